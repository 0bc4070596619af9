/* Vector clocks and FastTrack epochs (Flanagan and Freund, PLDI 2009).
 *
 * Threads are numbered densely from 0 in the order the detector meets
 * them. A vector clock maps a thread number to the last clock of that
 * thread known to happen before; entries past its length are 0. An epoch
 * is one thread's clock, c@t, packed in 64 bits: (t << 32) | c. Clocks
 * start at 1, so the epoch 0 means "no access". */
#ifndef TCGTRACE_VCLOCK_H
#define TCGTRACE_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t epoch_t;

/* Epochs use bits 0-62; bit 63 is left to the shadow memory, which marks
 * a read state that is not an epoch with it. */
#define VCLOCK_MAX_THREADS (UINT32_C(1) << 31)

static inline epoch_t epoch_make(uint32_t thread, uint32_t clock)
{
    return (epoch_t)thread << 32 | clock;
}

static inline uint32_t epoch_thread(epoch_t e)
{
    return (uint32_t)(e >> 32);
}

static inline uint32_t epoch_clock(epoch_t e)
{
    return (uint32_t)e;
}

struct vclock {
    uint32_t *c;
    uint32_t n, cap;
};

static inline uint32_t vclock_get(const struct vclock *v, uint32_t thread)
{
    return thread < v->n ? v->c[thread] : 0;
}

/* Whether the access at epoch e happens before a thread whose clock is v. */
static inline bool epoch_leq(epoch_t e, const struct vclock *v)
{
    return epoch_clock(e) <= vclock_get(v, epoch_thread(e));
}

/* 0, or -1 when memory runs out (v is then unchanged). */
int vclock_set(struct vclock *v, uint32_t thread, uint32_t clock);
/* dst = dst joined with src (the entry-wise maximum). */
int vclock_join(struct vclock *dst, const struct vclock *src);
int vclock_copy(struct vclock *dst, const struct vclock *src);
/* All entries 0; keeps the memory. */
void vclock_clear(struct vclock *v);
void vclock_free(struct vclock *v);

#endif
