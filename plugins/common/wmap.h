/* The guest's writable memory, as a lock-free page set (tcgtrace/pagemap.h)
 * that the memory-access callbacks read. It starts from what QEMU mapped
 * before the first guest instruction (found through the initial stack:
 * initstack.h, guestelf.h) and follows every system call that maps, unmaps
 * or reprotects memory, applied when the call returns with its result.
 * Updates are serialised by a mutex; they happen only at start-up and in
 * those system calls. An observer (for a binary trace) hears of every
 * change, with its protection and cause. */
#ifndef TCGTRACE_WMAP_H
#define TCGTRACE_WMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "guestarch.h"
#include "guestelf.h"
#include "initstack.h"
#include "tcgtrace/pagemap.h"

/* The page set; NULL until wmap_init succeeded. */
extern struct pagemap *wmap_pages;

/* [start, start + len) now has protection prot (TT_PROT_* bits, or
 * TT_PROT_UNMAPPED), because of cause (enum tt_map_cause). Called with
 * wmap's mutex held, from the thread of the call that made the change;
 * ctx is what that call passed to wmap. After mremap the protection is
 * given as read, plus write if the moved memory was writable: wmap keeps no
 * more than writability. */
typedef void wmap_observer(void *ctx, uint64_t start, uint64_t len, uint32_t prot, unsigned cause);

/* 0, or -1 when out of memory. observer may be NULL. */
int wmap_init(const struct guest_arch *arch, wmap_observer *observer);

/* Adds what QEMU mapped before the first instruction (guestelf_initial,
 * from the stack pointer sp): the main thread's stack and the writable
 * segments of the main program and the dynamic loader; the vDSO stays
 * read-only (its one segment says RWX, but Linux and QEMU map it read and
 * execute only). Call from the first vCPU's init callback (its registers
 * and memory are set, no guest instruction has run). */
void wmap_add_initial(uint64_t sp, const struct guest_initial *in, void *ctx);

/* A system call as the syscall callback saw it, carried to its return.
 * Changes that take memory away (munmap, mprotect or a MAP_FIXED mmap
 * without write, a shrinking brk, shmdt, the old range of mremap) are
 * applied when the call starts, those that add memory when it returns with
 * its result: then when one thread unmaps a range and another maps it
 * again, the removal always comes first, whatever order the two threads'
 * callbacks run in. */
struct wmap_call {
    enum guest_sys sys;
    uint64_t args[6];
    uint32_t old_prot; /* mremap: the moved memory's protection */
};

/* At the syscall callback: c->sys and c->args set by the caller. */
void wmap_syscall_entry(struct wmap_call *c, void *ctx);
/* At the syscall-return callback, with the call's result. */
void wmap_syscall_return(struct wmap_call *c, int64_t ret, void *ctx);

/* Number of updates that failed for want of memory (reported at exit). */
uint64_t wmap_failures(void);

#endif
