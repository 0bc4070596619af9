/* Spin-loop inference: finds the plain loads that wait for another thread.
 *
 * A C11 relaxed or acquire load is a plain `mov` on x86_64 and a relaxed
 * one a plain `ldr`/`lw` elsewhere, so the only trace of such a variable is
 * how it is used: a thread loads it at one pc, again and again with little
 * else in between (a pause, a sched_yield, a futex wait), until it sees a
 * value it did not store itself. That location is a synchronisation
 * variable (docs/races.md).
 *
 * One spin tracker per thread, fed with the thread's plain loads (with
 * their values) and stores in program order. A load costs a probe of a
 * two-way set of a table indexed by a hash of its pc (two ways, because a
 * wait loop's other loads, in sched_yield say, must not evict its load); a
 * store one write. */
#ifndef TCGTRACE_SPIN_H
#define TCGTRACE_SPIN_H

#include <stdbool.h>
#include <stdint.h>

#define SPIN_SETS 64
/* At most this many other accesses of the thread between two loads of a
 * spin: a loop that only waits. A function called again after real work
 * that happens to reload a changed global is no spin. */
#define SPIN_GAP 64
#define SPIN_STORE_SLOTS 256

struct spin {
    uint64_t accesses; /* loads and stores fed so far */
    struct spin_entry {
        uint64_t pc, addr, value;
        uint64_t at;      /* accesses when it was last loaded */
        uint32_t repeats; /* loads after the first that saw value */
        uint32_t size;
    } e[SPIN_SETS][2];
    /* When the thread last stored to an address of each hash: its own
     * store changing a value is no sign of another thread. Addresses that
     * share a slot make a store look like the thread's own: a spin missed,
     * never one made up. */
    uint64_t stored_at[SPIN_STORE_SLOTS];
};

static inline unsigned spin_store_slot(uint64_t addr)
{
    return (unsigned)(((addr >> 2) * UINT64_C(0x9e3779b97f4a7c15)) >> 56);
}

/* A zeroed struct spin is an empty tracker. */

/* Feeds a load of size bytes at addr by the instruction at pc, which saw
 * value. True when it ends a spin: the same pc loaded the same location at
 * least min_repeats + 1 times in a row seeing one value, each time at most
 * SPIN_GAP accesses after the last, and now sees another, with no store of
 * this thread to it in between. */
bool spin_load(struct spin *s, uint64_t pc, uint64_t addr, unsigned size, uint64_t value, unsigned min_repeats);

/* Feeds a store of the thread to addr. */
static inline void spin_store(struct spin *s, uint64_t addr)
{
    s->stored_at[spin_store_slot(addr)] = ++s->accesses;
}

#endif
