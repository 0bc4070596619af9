/* Call stacks rebuilt from a memory trace alone: a call's return address
 * goes through memory. x86_64's call stores it on the stack (the store's
 * pc is the call, its value the next instruction) and ret loads it back;
 * an arm64 or riscv64 function that calls others saves its link register
 * in its prologue and loads it in its epilogue (a stored value that
 * follows a bl, blr, jal or jalr, read from the module's file). So a
 * thread's stack of (where, return address) pairs follows its stores and
 * loads, at the cost of a compare for most accesses.
 *
 * On arm64 and riscv64 a leaf function saves nothing: its caller's call is
 * the last call record (docs/format.md, "Call") its caller's frame had
 * while innermost, shown when the thread is outside that caller's
 * function (its symbol's extent); without call records, or the caller's
 * symbol, it is missing. Frames left by longjmp or an exception go when a
 * later call stores below them. */
#ifndef TCGTRACE_CALLSTACK_H
#define TCGTRACE_CALLSTACK_H

#include <stddef.h>
#include <stdint.h>

#include "symbols.h"
#include "u64map.h"

struct callstack_frame {
    uint64_t sp;  /* where the return address is stored */
    uint64_t ret; /* the return address */
    /* The function that stored it, [lo, lo + size), when its symbol is
     * known on arm64 and riscv64 (size 0 else), and the last call it made
     * (0 for none): a leaf's, while the thread is outside it. */
    uint64_t lo, size, call;
};

/* One thread's stack, innermost last. A zeroed struct is an empty one. */
struct callstack {
    struct callstack_frame *v;
    size_t n, cap;
    /* Where the thread's stack is, when known: return addresses stored
     * elsewhere (a dynamic loader filling a table with code addresses) are
     * no calls. */
    uint64_t lo, hi;
};

/* What every thread's stack shares: the guest architecture and, for arm64
 * and riscv64, which values are return addresses (decided once per value
 * from the code before it). */
struct callstacks {
    unsigned machine; /* EM_X86_64, EM_AARCH64, EM_RISCV */
    struct symbols *syms;
    struct u64map is_ret; /* value -> 1 a return address, 2 not */
};

/* Deepest stack kept: deeper calls are not followed (recursion). */
#define CALLSTACK_MAX 4096

void callstacks_init(struct callstacks *cs, unsigned machine, struct symbols *syms);
void callstacks_free(struct callstacks *cs);

void callstack_free(struct callstack *st);
/* Empties st for a thread whose stack is [lo, hi), or anywhere (0, 0). */
static inline void callstack_reset(struct callstack *st, uint64_t lo, uint64_t hi)
{
    st->n = 0;
    st->lo = lo;
    st->hi = hi;
}

/* The thread stored size bytes at addr, by the instruction at pc: value,
 * and for 16 bytes value_hi at addr + 8 (an arm64 stp of x29 and x30 is
 * one 16-byte store). 0, or -1 when memory runs out. */
int callstack_store(struct callstacks *cs, struct callstack *st, uint64_t pc, uint64_t addr, uint32_t size,
                    uint64_t value, uint64_t value_hi);

/* The thread ran the call instruction at pc (a call record): made by the
 * innermost frame's function, a leaf's call until the next one. */
static inline void callstack_call(struct callstack *st, uint64_t pc)
{
    if (st->n)
        st->v[st->n - 1].call = pc;
}

/* The thread loaded size bytes from addr (value, value_hi as above): a
 * return address loaded back from where it was stored returns. */
static inline void callstack_load(struct callstack *st, uint64_t addr, uint32_t size, uint64_t value,
                                  uint64_t value_hi)
{
    if (size == 16) {
        addr += 8;
        value = value_hi;
    } else if (size != 8) {
        return;
    }
    if (st->n && st->v[st->n - 1].sp == addr && st->v[st->n - 1].ret == value)
        st->n--;
}

/* The call sites of st seen from the instruction at pc, innermost first
 * (an address inside each call instruction: what symbolises to its line),
 * at most max into out; returns how many. */
size_t callstack_calls(const struct callstacks *cs, const struct callstack *st, uint64_t pc, uint64_t *out,
                       size_t max);

/* The call site of return address ret, as callstack_calls gives them. */
uint64_t callstack_site(const struct callstacks *cs, uint64_t ret);

#endif
