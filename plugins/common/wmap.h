/* The guest's writable memory, as a lock-free page set (tcgtrace/pagemap.h)
 * that the memory-access callbacks read. It starts from what QEMU mapped
 * before the first guest instruction (found through the initial stack:
 * initstack.h, guestelf.h) and follows every system call that maps, unmaps
 * or reprotects memory, applied when the call returns with its result.
 * Updates are serialised by a mutex; they happen only at start-up and in
 * those system calls. */
#ifndef TCGTRACE_WMAP_H
#define TCGTRACE_WMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "guestarch.h"
#include "tcgtrace/pagemap.h"

/* The page set; NULL until wmap_init succeeded. */
extern struct pagemap *wmap_pages;

/* 0, or -1 when out of memory. */
int wmap_init(const struct guest_arch *arch);

/* Adds the initial regions: the main thread's stack and the writable
 * segments of the main program and the dynamic loader; the vDSO is found
 * too but stays read-only (its one segment says RWX, but Linux and QEMU map
 * it read and execute only). Call from
 * the first vCPU's init callback (its registers and memory are set, no
 * guest instruction has run), with its stack pointer. 0, or -1 with a
 * message in *err (static storage) for what could not be read; what could
 * was added. */
int wmap_add_initial(uint64_t sp, const char **err);

/* Applies a finished system call: sys and its arguments as the syscall
 * callback saw them, ret as the syscall-return callback did. */
void wmap_syscall(enum guest_sys sys, const uint64_t args[6], int64_t ret);

/* Number of updates that failed for want of memory (reported at exit). */
uint64_t wmap_failures(void);

#endif
