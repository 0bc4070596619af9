/* Heap events from the guest's allocator: the calls to malloc, calloc,
 * realloc, reallocarray, free, posix_memalign, aligned_alloc, memalign,
 * valloc and pvalloc, with their arguments, result and call site
 * (docs/format.md, "Heap event"), found without help from the guest.
 *
 * Each ELF module the guest loads is read from its file for the entry
 * addresses of those functions (.dynsym, and .symtab where the file has
 * one: a static program's own malloc). An instruction callback at each
 * entry reads the arguments, the return address and the stack pointer;
 * free is reported there. The others wait for their return: a per-vCPU
 * scoreboard entry holds the pending return address, and every
 * translation block gets a conditional callback that fires only when it
 * starts at that address (an inline compare per block executed; no call
 * otherwise), which reads the result. A call an allocator function makes
 * to another of them (glibc's realloc calling malloc) is left out: the
 * outermost pending call is kept until the stack unwinds past it.
 *
 * Needs the register API (QEMU 9.0, plugin API v2): built against an older
 * API, heaphook_install says no and the rest does nothing. Guests: x86_64,
 * aarch64, riscv64 (their C calling conventions). */
#ifndef TCGTRACE_HEAPHOOK_H
#define TCGTRACE_HEAPHOOK_H

#include <stdbool.h>
#include <stdint.h>

#include <qemu-plugin.h>

#include "guestarch.h"

/* What the trace records (fields as docs/format.md names them). */
struct heap_event {
    unsigned kind;  /* tt_heap_kind */
    uint64_t func;  /* the function's entry */
    uint64_t call;  /* its return address */
    uint64_t addr;  /* the block returned (0: none), or freed */
    uint64_t size;  /* bytes asked for */
    uint64_t old;   /* realloc, reallocarray: the block given */
};

/* Called from the vCPU's own thread, in the middle of its execution: it
 * appends to that vCPU's records. */
typedef void (*heaphook_emit_fn)(unsigned vcpu, const struct heap_event *e);

/* Once, at plugin install. False when this build's plugin API or the
 * architecture cannot serve (nothing is hooked then); memory for the
 * per-vCPU state is QEMU's scoreboard. */
bool heaphook_install(const struct guest_arch *arch, heaphook_emit_fn emit);
/* In each vCPU's init callback, in the vCPU's thread. */
void heaphook_vcpu_init(unsigned vcpu);
/* An ELF module the guest mapped: path on the host, load bias. Its
 * allocator functions are hooked from now on (translation time). */
void heaphook_module(const char *path, uint64_t bias);
/* Each translation block, in the translation callback. */
void heaphook_tb(struct qemu_plugin_tb *tb);

#endif
