/* A store-conditional's store (analysis/racetrace.c, rmw_stored): QEMU
 * runs it as a compare-and-swap with what the load-reserved loaded, so
 * what it leaves in memory is known, and the value lets a load wait for
 * it. The shape of riscv64 libgomp's team lock in omp_tasks:
 *   - A takes LOCK (lr of 0, sc of 1), but its sc's sync event is
 *     numbered after B's lr, which saw the 1 (a sync event without release
 *     semantics is numbered when its record is made); A then writes D and
 *     publishes it: a release fence, a store of F;
 *   - B's lr of LOCK waits for the store of 1, held in A's stream behind
 *     A's sync event, itself after B's;
 *   - M, which has loaded F (a load right before an acquire fence: F
 *     synchronises), waits for A's store of F, which A's stream brings
 *     once A's sync event has gone; then M reads D.
 * Nothing can go on. With the sc's value, A's store goes early to B (the
 * values say it came first); without it, M's load was forced without its
 * store (no other stream held one), and M's read of D was reported.
 *
 * A store-conditional that fails leaves memory as its load found it,
 * though QEMU records its store of the register: A's sc of 2 after M took
 * LOCK from 0 to 1 stored nothing, and M's later load of 2, which B's
 * exchange stored (its publication of D), waits for B's, not A's. */

#include "test_racetrace.h"

#define LOCK 0x10000ull
#define F 0x10100ull
#define D 0x10200ull
#define LR_SC (TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE)

/* An lr.w at pc of LOCK that loaded v. */
static void lr(struct tt_stream *s, uint64_t pc, uint64_t v)
{
    tt_put_mem_value(s, pc, LOCK, 2, false, v, 0);
    tt_put_sync(s, TT_SYNC_LOAD_RESERVED, pc, LOCK, LR_SC);
}

/* An sc.w at pc of LOCK: its load of loaded, its store of stored (the
 * register's), and its sync event. */
static void sc(struct tt_stream *s, uint64_t pc, uint64_t loaded, uint64_t stored)
{
    tt_put_mem_value(s, pc, LOCK, 2, false, loaded, 0);
    tt_put_mem_value(s, pc, LOCK, 2, true, stored, 0);
    tt_put_sync(s, TT_SYNC_STORE_CONDITIONAL, pc, LOCK, LR_SC);
}

static int write_trace(const char *path)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    if (!w)
        return -1;
    rt_spawn2(m, a, b);
    tt_put_mem_value(m, 0x401500, F, 3, false, 1, 0);
    lr(a, 0x401300, 0);
    /* A's sc: its accesses, then (below) its sync event, after B's lr. */
    tt_put_mem_value(a, 0x401304, LOCK, 2, false, 0, 0);
    tt_put_mem_value(a, 0x401304, LOCK, 2, true, 1, 0);
    lr(b, 0x401400, 1);
    tt_put_sync(a, TT_SYNC_STORE_CONDITIONAL, 0x401304, LOCK, LR_SC);
    tt_put_mem_value(a, 0x401310, D, 3, true, 7, 0);
    tt_put_sync(a, TT_SYNC_FENCE_RELEASE, 0x401314, 0, TT_SYNCINSN_FENCE | TT_SYNCINSN_RELEASE);
    tt_put_mem_value(a, 0x401318, F, 3, true, 1, 0);
    tt_put_sync(m, TT_SYNC_FENCE_ACQUIRE, 0x401504, 0, TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE);
    tt_put_mem_value(m, 0x401508, D, 3, false, 7, 0);
    return rt_end3(w, m, a, b);
}

static int write_failed(const char *path)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    if (!w)
        return -1;
    rt_spawn2(m, a, b);
    lr(a, 0x401300, 0);
    rt_xchg(m, 0x401500, LOCK, 2, 0, 1, tt_writer_next_gseq(w));
    sc(a, 0x401304, 1, 2);
    tt_put_mem_value(b, 0x401400, D, 3, true, 7, 0);
    tt_put_mem_value(m, 0x401508, LOCK, 2, false, 2, 0);
    tt_put_mem_value(m, 0x401510, D, 3, false, 7, 0);
    rt_xchg(b, 0x401408, LOCK, 2, 1, 2, tt_writer_next_gseq(w));
    return rt_end3(w, m, a, b);
}

int main(void)
{
    rt_expect("rtsc", write_trace, D, false, "M's read of D comes after A's publication");
    rt_expect("rtscfail", write_failed, D, false, "a failed sc stores nothing: M's read of D comes after B's publication");
    return tap_done();
}
