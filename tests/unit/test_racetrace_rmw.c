/* Read-modify-writes whose numbers do not say in which order they ran
 * (TT_SYNC_RMW_END, analysis/racetrace.c): thread B writes D, then does
 * `lock or $1, L`; thread A then does `lock or $2, L` and reads D. B's
 * write is ordered before A's read through L. But A's instruction took its
 * number before B's (A was preempted between its number and its run):
 * events numbered before the instructions ran say A's came first, which
 * alone would give a race on D. QEMU loses these loads' values (syncinsn.h:
 * TT_SYNCINSN_LOAD_VALUE_LOST), so the values cannot tell the order
 * either; each end, numbered after its instruction ran, acquires what L
 * holds then, B's release included.
 *   - with the ends: no race;
 *   - the same trace without them: the race;
 *   - a racy variant (B writes D after its lock or): the race, ends or not. */
#include <stdlib.h>
#include <unistd.h>

#include "tcgtrace/syncinsn.h"
#include "test_racetrace.h"

#define L 0x10000ull
#define D 0x10100ull
#define LOCK_OR (TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE | \
                 TT_SYNCINSN_FENCE | TT_SYNCINSN_LOAD_VALUE_LOST)

/* `lock or $operand, L` at pc, its event numbered before (the new value
 * it made is what QEMU reports for its load), its end after if ends. */
static void lock_or(struct tt_stream *s, uint64_t pc, uint64_t made, uint64_t operand, uint64_t before,
                    uint64_t after, bool ends)
{
    tt_put_mem_value(s, pc, L, 3, false, made, 0);
    tt_put_mem_value(s, pc, L, 3, true, operand, 0);
    tt_put_sync_seq(s, TT_SYNC_ATOMIC_RMW, pc, L, LOCK_OR, before);
    if (ends)
        tt_put_rmw_end(s, pc, L, after);
}

static int write_trace(const char *path, bool ends, bool racy)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, ends ? TT_FEAT_RMW_END : 0, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(m, 0x401100, D, 3, true, 0, 0);
    rt_spawn2(m, a, b);
    /* A numbered, B numbered, B ran and ended, A ran and ended. */
    uint64_t a_before = tt_writer_next_gseq(w), b_before = tt_writer_next_gseq(w);
    uint64_t b_after = tt_writer_next_gseq(w), a_after = tt_writer_next_gseq(w);
    if (!racy)
        tt_put_mem_value(b, 0x401300, D, 3, true, 5, 0);
    lock_or(b, 0x401310, 1, 1, b_before, b_after, ends);
    if (racy)
        tt_put_mem_value(b, 0x401300, D, 3, true, 5, 0);
    lock_or(a, 0x401210, 3, 2, a_before, a_after, ends);
    tt_put_mem_value(a, 0x401220, D, 3, false, racy ? 0 : 5, 0);
    return rt_end3(w, m, a, b);
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-rtrmw.XXXXXX", path[4096];
    rt_paths(dir, path, sizeof path);
    const struct racetrace_report *reps = NULL;
    size_t n;
    struct racetrace *rt = NULL;

    ok(write_trace(path, true, false) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && n == 0,
       "lock or numbered out of order, with their ends: no race");
    racetrace_free(rt);
    ok(write_trace(path, false, false) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && n == 1 &&
           rt_raced(reps, n, D),
       "the same without the ends: a race on D");
    racetrace_free(rt);
    ok(write_trace(path, true, true) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && n == 1 &&
           rt_raced(reps, n, D),
       "B writes D after its lock or: a race on D, ends or not");
    racetrace_free(rt);

    unlink(path);
    rmdir(dir);
    return tap_done();
}
