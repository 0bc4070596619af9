/* A text trace's descriptors, kept from the guest. QEMU runs a user-mode
 * guest's system calls in its own process, so a guest's close, dup2, dup3
 * or close_range reaches the plugin's descriptors too, and programs close
 * descriptors they did not open (close_range(3, ~0U, 0) in a daemon or a
 * child before exec): the log's lines then went nowhere, or into the
 * file the guest opened next under the log's number. Before such a call,
 * a guarded descriptor in its range moves to a number out of it; when
 * there is none (every number from 3 up), the file is opened again by its
 * name once the call returned. A bin trace needs none of this: its writer
 * thread has a table of descriptors of its own (lib/writer.c).
 *
 * Writers use a guarded descriptor only between fdguard_hold and
 * fdguard_release (a read lock: they do not wait for one another). */
#ifndef TCGTRACE_FDGUARD_H
#define TCGTRACE_FDGUARD_H

#include <stdint.h>

#include "guestarch.h"

/* *fd, an output open on path, is guarded from now on; call before any
 * vCPU runs. Up to FDGUARD_MAX of them. A relative path is taken from the
 * current directory now, as the guest may change it. The first call
 * registers fork handlers that take the lock: a plugin's own handler that
 * writes through the guard (execlog's flush) must be registered after, so
 * that it runs before them. */
#define FDGUARD_MAX 4
void fdguard_add(int *fd, const char *path);

/* At a system call's entry and return, on the vCPU's thread (args: its
 * first three arguments). */
void fdguard_syscall(enum guest_sys sys, const uint64_t *args);
void fdguard_syscall_return(void);

/* The descriptor to write *fd's data to, read-locked until
 * fdguard_release; -1 when it could not be opened again (errno set). An
 * unguarded fd is given as it is. */
int fdguard_hold(const int *fd);
void fdguard_release(void);

/* At exit, when no guest system call is in flight: a descriptor still to
 * be opened again is. */
void fdguard_settle(void);

#endif
