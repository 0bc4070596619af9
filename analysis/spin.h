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
    /* The thread's last stores, one slot per hash of the 8-byte word: its
     * own store changing a value is no sign of another thread. A slot
     * keeps the word it holds, so that another word's store there (a
     * wait loop's call pushing its return address, every round) does not
     * pass for one to the loaded word; and when the latest store of a word
     * it held before, so that a store pushed out of the table still counts:
     * a spin can be missed, never made up. */
    struct spin_stored {
        uint64_t word, at, evicted_at;
    } stored[SPIN_STORE_SLOTS];
    uint64_t fenced_at; /* accesses at the thread's last system call or fence */
};

static inline struct spin_stored *spin_stored_of(struct spin *s, uint64_t word)
{
    return &s->stored[(word * UINT64_C(0x9e3779b97f4a7c15)) >> 56];
}

/* A zeroed struct spin is an empty tracker. */

/* Feeds a load of size bytes at addr by the instruction at pc, which saw
 * value. True when it ends a spin: the same pc loaded the same location at
 * least min_repeats + 1 times in a row seeing one value (once is enough
 * when a system call or fence came after the last of them: the thread
 * yielded or slept between two checks, as a wait loop on a busy machine
 * does once per time slice), each time at most SPIN_GAP accesses after the
 * last, and now sees another, with no store of this thread to it in
 * between. */
bool spin_load(struct spin *s, uint64_t pc, uint64_t addr, unsigned size, uint64_t value, unsigned min_repeats);

/* Feeds a system call or fence instruction of the thread. */
static inline void spin_fence(struct spin *s)
{
    s->fenced_at = s->accesses;
}

/* Feeds a store of the thread to addr. */
static inline void spin_store(struct spin *s, uint64_t addr)
{
    uint64_t word = addr >> 3;
    struct spin_stored *st = spin_stored_of(s, word);
    if (st->word != word) {
        if (st->at > st->evicted_at)
            st->evicted_at = st->at;
        st->word = word;
    }
    st->at = ++s->accesses;
}

#endif
