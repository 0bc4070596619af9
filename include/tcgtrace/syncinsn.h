/* Which guest instructions synchronise threads: atomic read-modify-writes,
 * acquire loads, release stores and fences, on x86_64, aarch64 and riscv64.
 * The memtrace plugin classifies each instruction once, at translation
 * time, and the race detector turns the result into happens-before edges.
 *
 * The classification reads the instruction's bytes, never its disassembly:
 * the capstone 4 that Debian 12's QEMU links prints every aarch64 LSE and
 * RCpc instruction (cas, swp, ldadd, ldapr, ...) as ".byte ...", and the
 * bytes mean the same whatever disassembler a QEMU build uses. */
#ifndef TCGTRACE_SYNCINSN_H
#define TCGTRACE_SYNCINSN_H

#include <stddef.h>
#include <stdint.h>

/* Flags; 0 is a plain instruction. */
enum {
    /* Its memory accesses are atomic: they synchronise and never race. */
    TT_SYNCINSN_ATOMIC = 1u << 0,
    /* A read-modify-write, or one half of a load-/store-exclusive pair
     * (arm64 ldxr/stxr, riscv lr/sc) whose other half completes it. */
    TT_SYNCINSN_RMW = 1u << 1,
    /* Acquire: later accesses of the thread stay after it. On an access
     * (ldar, lr.aq, lock add) it acquires what the location released; on a
     * fence it acquires what the thread's earlier atomic loads read. */
    TT_SYNCINSN_ACQUIRE = 1u << 2,
    /* Release: earlier accesses of the thread stay before it. On an access
     * it releases into the location; on a fence, into the thread's later
     * atomic stores. */
    TT_SYNCINSN_RELEASE = 1u << 3,
    /* A barrier: it orders the thread's other accesses around it (x86
     * mfence, lfence, sfence and lock-prefixed instructions; arm64 dmb and
     * dsb; riscv fence). ACQUIRE and RELEASE say in which direction. */
    TT_SYNCINSN_FENCE = 1u << 4,
    /* QEMU does not report this read-modify-write's loaded value: it runs
     * x86 lock add, adc, sbb, inc, dec, and, or, xor and not through its
     * op-then-fetch helpers, and from the moment a guest has a second
     * thread its memory callback gets the new value for the load (QEMU
     * 9.0 to 10.0 at least; the old one is gone). The value a tracer
     * records for such a load is wrong. (For the store of every RMW, QEMU
     * reports the operand, or cmpxchg's new value even when it failed: see
     * TT_SYNCINSN_CAS.) */
    TT_SYNCINSN_LOAD_VALUE_LOST = 1u << 5,
    /* A swap (x86 xchg, arm64 swp, riscv amoswap): its store writes its
     * operand, so the value QEMU reports for it is what memory holds after
     * it, unlike other read-modify-writes' (above). */
    TT_SYNCINSN_STORE_EXACT = 1u << 6,
    /* A fetch-and-add (x86 lock xadd, arm64 ldadd and stadd, riscv
     * amoadd): it stores what it loaded plus the value QEMU reports for
     * its store (the operand). */
    TT_SYNCINSN_STORE_ADD = 1u << 7,
    /* A compare-and-swap (x86 lock cmpxchg, arm64 cas*): its store writes
     * its operand only when the loaded value was the expected one, else
     * memory keeps the loaded value. QEMU reports the operand either way; memtrace
     * records the value memory holds after it (TT_FEAT_CAS_EXACT). */
    TT_SYNCINSN_CAS = 1u << 8,
};

/* The TT_SYNCINSN_* flags of the instruction whose first len bytes are at
 * bytes, for the guest architecture given by its ELF machine number
 * (EM_X86_64, EM_AARCH64, EM_RISCV). Unknown machines and instructions too
 * short to decode are plain (0). */
unsigned tt_syncinsn_classify(unsigned elf_machine, const uint8_t *bytes, size_t len);

#endif
