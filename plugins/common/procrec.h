/* The records both plugins make in a binary trace of the guest as a
 * process (linux-user): the ELF modules it loads (the program, its dynamic
 * loader and the vDSO, which QEMU maps itself, then every ELF file mapped
 * at offset 0: libraries, dlopen), its threads' starts and exits, its
 * system calls and their results; and, around each system call, the
 * calling thread's stream parked, so that execve can seal the trace
 * (tt_writer_seal) with every stream it may flush. Symbolisation (`tcgtrace
 * stats`, `races`) needs the module records; docs/format.md has them all.
 *
 * Per thread, from its own thread only:
 *   procrec_thread_begin          vcpu_init (QEMU 9.0 and newer: the new
 *                                 thread's own), before its first record
 *   procrec_syscall_entry         syscall callback, before other records
 *   ... the plugin's own records of the call's entry ...
 *   procrec_syscall_park          syscall callback, last
 *   procrec_syscall_unpark        syscall-return callback, first
 *   ... the plugin's own records of the call's return ...
 *   procrec_syscall_return        syscall-return callback, last */
#ifndef TCGTRACE_PROCREC_H
#define TCGTRACE_PROCREC_H

#include <stdbool.h>
#include <stdint.h>

#include "guestarch.h"
#include "guestelf.h"
#include "tcgtrace/writer.h"

/* A guest thread's part, in its plugin's per-vCPU state. */
struct procrec_thread {
    struct tt_stream *s; /* NULL: not recorded */
    uint64_t tid;        /* the guest's (linux-user: the host's) */
};

/* Once the writer exists, in the process that owns it (its writer
 * thread): a forked child records nothing and never seals. plugin names
 * the messages. */
void procrec_init(const char *plugin, struct tt_writer *w);

/* The modules QEMU loaded before the first instruction (guestelf_initial),
 * at the first thread's start: paths as the guest has them (AT_EXECFN,
 * PT_INTERP, "[vdso]"). */
void procrec_put_initial_modules(struct tt_stream *s, const struct guest_initial *in);

/* The thread start record, with the calling thread's tid. */
void procrec_thread_begin(struct procrec_thread *t);

/* The syscall record; a thread exit record for exit and exit_group. */
void procrec_syscall_entry(struct procrec_thread *t, int64_t num, enum guest_sys sys, const uint64_t args[6]);
/* Parks the stream for the call; execve (execveat) seals the trace. */
void procrec_syscall_park(struct procrec_thread *t, enum guest_sys sys);
/* Unparks it; after a failed execve, unseals the trace. */
void procrec_syscall_unpark(struct procrec_thread *t, enum guest_sys sys);
/* A module load record for a successful mmap of an ELF file at offset 0;
 * the syscall return record. */
void procrec_syscall_return(struct procrec_thread *t, int64_t num, enum guest_sys sys, const uint64_t args[6],
                            int64_t ret);

#endif
