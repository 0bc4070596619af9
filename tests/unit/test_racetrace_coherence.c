/* What a polling load can have read (analysis/syncvar.c). Thread A polls
 * a synchronisation location with plain loads, sees one value again and
 * again, then another, and reads D; thread B wrote D, then stored that
 * other value with an exchange, which orders B's write before A's read.
 * A's records come long before B's later ones, as a thread's plain records
 * do up to its next event, and go in runs of LATE_SPAN: the load of the
 * new value must wait for B's store.
 *   - ABA (syncvar_future): B set the word W to 0xa, then 0xb, before A
 *     polled; A sees 0xb, then 0xa, which W held two stores before: it is
 *     still a store to come, since A had seen the latest (glibc's rwlock
 *     word, which a reader polls while a writer holds it: race_pool.cc's
 *     false reports);
 *   - two halves: B exchanged the word's low half L, then its high half H;
 *     A polls H, sees 0, then 1: H's values are kept beside L's (glibc's
 *     rwlock keeps __wrphase_futex and __writers_futex side by side).
 * Each as told: no race; B writing D after its last store: the race. */
#include <stdlib.h>
#include <unistd.h>

#include "test_racetrace.h"

#define W 0x10000ull /* the low half L, the high half H at W + 4 */
#define D 0x10100ull
/* The trace: B's first stores (first), A starting to poll addr, seeing
 * polled 3000 times, then seen, reading D and working on; B working,
 * writing D and storing seen at addr with an exchange (racy: D after). */
static int write_trace(const char *path, bool racy, void (*first)(struct tt_writer *, struct tt_stream *),
                       uint64_t addr, uint64_t polled, uint64_t seen)
{
    struct tt_error err;
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(m, 0x401110, W, 3, true, 0, 0); /* the word = 0: its contents known */
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 101);
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 102);
    rt_start(b, 102);
    first(w, b);
    rt_start(a, 101);
    for (int i = 0; i < 3000; i++)
        tt_put_mem_value(a, 0x401210, addr, 2, false, polled, 0);
    tt_put_mem_value(a, 0x401210, addr, 2, false, seen, 0);
    tt_put_mem_value(a, 0x401220, D, 3, false, 7, 0);
    for (uint64_t i = 0; i < 1000; i++)
        tt_put_mem_value(a, 0x401228, 0x40000 + 8 * (i % 512), 3, true, i, 0);
    for (uint64_t i = 0; i < 20000; i++)
        tt_put_mem_value(b, 0x401318, 0x30000 + 8 * (i % 512), 3, true, i, 0);
    if (!racy)
        tt_put_mem_value(b, 0x401320, D, 3, true, 7, 0);
    rt_xchg(b, 0x401330, addr, 2, polled, seen, tt_writer_next_gseq(w));
    if (racy)
        tt_put_mem_value(b, 0x401320, D, 3, true, 7, 0);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

static void aba_first(struct tt_writer *w, struct tt_stream *b)
{
    rt_xchg(b, 0x401310, W, 2, 0, 0xa, tt_writer_next_gseq(w));
    rt_xchg(b, 0x401310, W, 2, 0xa, 0xb, tt_writer_next_gseq(w));
}

static void halves_first(struct tt_writer *w, struct tt_stream *b)
{
    rt_xchg(b, 0x401310, W, 2, 0, 1, tt_writer_next_gseq(w));
    rt_xchg(b, 0x401318, W + 4, 2, 0, 0, tt_writer_next_gseq(w));
}

static void check(bool racy, void (*first)(struct tt_writer *, struct tt_stream *), uint64_t addr, uint64_t polled,
                  uint64_t seen, const char *what)
{
    char dir[] = "/tmp/tcgtrace-rtcoh.XXXXXX", path[4096];
    rt_paths(dir, path, sizeof path);
    const struct racetrace_report *reps = NULL;
    size_t n = 0;
    struct racetrace *rt = write_trace(path, racy, first, addr, polled, seen) == 0 ? rt_analyse(path, &n, &reps) : NULL;
    ok(rt && rt_raced(reps, n, D) == racy && n == racy, "%s (%zu reports)", what, n);
    racetrace_free(rt);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    check(false, aba_first, W, 0xb, 0xa, "ABA: A's 0xa after 0xb is B's third store, after its write of D: no race");
    check(true, aba_first, W, 0xb, 0xa, "ABA, B writing D after its third store: the race on D");
    check(false, halves_first, W + 4, 0, 1, "two halves: A's 1 in H is B's exchange after its write of D: no race");
    check(true, halves_first, W + 4, 0, 1, "two halves, B writing D after its exchange of H: the race on D");
    return tap_done();
}
