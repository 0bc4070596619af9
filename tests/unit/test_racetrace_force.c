/* Which waiting load goes without its store when nothing else can go on
 * (analysis/racetrace.c, force): the one whose store no other stream holds
 * back. The shape of a Chase-Lev work-stealing deque built with -O0, whose
 * owner M and thief T each waited for the other:
 *   - M loads TOP (a word T's compare-and-swaps update: the load is held to
 *     come late, right before M's next sync event), writes the task D and
 *     publishes it with a store to BOTTOM, then works on without a sync
 *     event for long;
 *   - T's compare-and-swaps take TOP from 0 to 6 meanwhile, then T loads
 *     BOTTOM, sees the task, reads D, and exchanges another word, its next
 *     sync event, numbered before M's next.
 * When M's load of TOP goes, TOP's recent values are 6, 5, 4 and 3: M's 1
 * is a store to come, and none comes; T's load of BOTTOM waits for M's
 * store, held behind M's load. Forcing T's load, whose stream holds the
 * next sync event, lost the publication (a race on D, in 15 of 24
 * recordings of such a deque); forcing M's, which no held store would
 * satisfy, lets M's store go to T. */

#include "test_racetrace.h"

#define TOP 0x10000ull
#define BOTTOM 0x10008ull
#define D 0x10100ull
#define Z 0x10200ull /* another word T exchanges, after reading D */
static int write_trace(const char *path)
{
    struct tt_stream *m, *t, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &t, &b);
    if (!w)
        return -1;
    /* BOTTOM synchronises (an acquire load once: no read-modify-write
     * updates it, so loads of it are not held to come late). */
    tt_put_mem_value(m, 0x401100, BOTTOM, 3, false, 0, 0);
    tt_put_sync(m, TT_SYNC_ACQUIRE_LOAD, 0x401100, BOTTOM, TT_SYNCINSN_ATOMIC | TT_SYNCINSN_ACQUIRE);
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 101);
    rt_start(t, 101);
    tt_put_mem_value(m, 0x401200, TOP, 3, false, 1, 0);
    tt_put_mem_value(m, 0x401208, D, 3, true, 7, 0);
    tt_put_mem_value(m, 0x401210, BOTTOM, 3, true, 5, 0);
    for (uint64_t i = 0; i < 6; i++)
        rt_xchg(t, 0x401300, TOP, 3, i, i + 1, tt_writer_next_gseq(w));
    tt_put_mem_value(t, 0x401310, BOTTOM, 3, false, 5, 0);
    tt_put_mem_value(t, 0x401318, D, 3, false, 7, 0);
    rt_xchg(t, 0x401320, Z, 3, 0, 1, tt_writer_next_gseq(w));
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 102);
    rt_start(b, 102);
    return rt_end3(w, m, t, b);
}

int main(void)
{
    rt_expect("rtforce", write_trace, D, false, "T's read of D comes after M's publication");
    return tap_done();
}
