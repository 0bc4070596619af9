/* A polling load that sees a value the word held a few stores ago
 * (syncvar_future): thread B sets the word W to 0xa, then 0xb, by
 * compare-and-swap; thread A polls W with plain loads, sees 0xb again
 * and again, then 0xa, and reads D. B wrote D, then set W back to 0xa: A's
 * 0xa is that store's, the third, which orders B's write before A's read
 * (glibc's rwlock word, which a reader polls while a writer holds it:
 * race_pool.cc's false reports). A starts polling once W is 0xb; its
 * records come long before B's next ones, as a thread's plain records do
 * up to its next event, and go in runs of LATE_SPAN: the load of 0xa went
 * on while 0xa was only of the past, and D's read before B's write.
 *   - as told: no race;
 *   - B writing D after its last store to W: the race. */
#include <stdlib.h>
#include <unistd.h>

#include "tcgtrace/syncinsn.h"
#include "test_racetrace.h"

#define W 0x10000ull
#define D 0x10100ull
#define CAS (TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE | TT_SYNCINSN_FENCE | \
             TT_SYNCINSN_CAS | TT_SYNCINSN_STORE_EXACT)

static void cas(struct tt_writer *w, struct tt_stream *s, uint64_t pc, uint64_t loaded, uint64_t stored)
{
    tt_put_mem_value(s, pc, W, 2, false, loaded, 0);
    tt_put_mem_value(s, pc, W, 2, true, stored, 0);
    tt_put_sync_seq(s, TT_SYNC_ATOMIC_RMW, pc, W, CAS, tt_writer_next_gseq(w));
}

static int write_trace(const char *path, bool racy)
{
    struct tt_error err;
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(m, 0x401110, W, 2, true, 0, 0); /* W = 0: its contents known */
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 101);
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 102);
    rt_start(b, 102);
    cas(w, b, 0x401310, 0, 0xa);
    cas(w, b, 0x401310, 0xa, 0xb);
    /* A starts polling once W is 0xb: its loads go as they come. */
    rt_start(a, 101);
    for (int i = 0; i < 3000; i++)
        tt_put_mem_value(a, 0x401210, W, 2, false, 0xb, 0);
    tt_put_mem_value(a, 0x401210, W, 2, false, 0xa, 0);
    tt_put_mem_value(a, 0x401220, D, 3, false, 7, 0);
    for (uint64_t i = 0; i < 1000; i++) /* then its own work */
        tt_put_mem_value(a, 0x401228, 0x40000 + 8 * (i % 512), 3, true, i, 0);
    /* B's own work meanwhile. */
    for (uint64_t i = 0; i < 20000; i++)
        tt_put_mem_value(b, 0x401318, 0x30000 + 8 * (i % 512), 3, true, i, 0);
    if (!racy)
        tt_put_mem_value(b, 0x401320, D, 3, true, 7, 0);
    cas(w, b, 0x401330, 0xb, 0xa);
    if (racy)
        tt_put_mem_value(b, 0x401320, D, 3, true, 7, 0);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

static void check(bool racy, const char *what)
{
    char dir[] = "/tmp/tcgtrace-rtcoh.XXXXXX", path[4096];
    rt_paths(dir, path, sizeof path);
    const struct racetrace_report *reps = NULL;
    size_t n = 0;
    struct racetrace *rt = write_trace(path, racy) == 0 ? rt_analyse(path, &n, &reps) : NULL;
    ok(rt && rt_raced(reps, n, D) == racy && n == racy, "%s (%zu reports)", what, n);
    racetrace_free(rt);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    check(false, "A's 0xa after B's 0xb is B's third store, which comes after B's write of D: no race");
    check(true, "B writing D after its third store: the race on D");
    return tap_done();
}
