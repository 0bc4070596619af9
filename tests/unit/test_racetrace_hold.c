/* How long the detecting pass holds events back (analysis/racetrace.c,
 * stuck()): threads A and B exchange a lock word L (x86 xchg); B's ran
 * first, but A's took the lower number, so A's load of B's 1 waits for
 * B's store, which waits behind B's event, which waits for A's: only
 * delivering B's instruction early settles it. Then each does 3000 plain
 * stores, while the main thread sits in a system call whose event comes
 * last. Nothing the main thread can bring helps (its next record is an
 * event numbered after A's), so the instruction goes early at once: a few
 * events held, not A's and B's 6000 (before, the pass waited for the main
 * thread and held everything, in lock-bound programs a million events and
 * 150 MB). No race either way. */
#include <stdlib.h>
#include <unistd.h>

#include "test_racetrace.h"

#define L 0x10000ull
static void work(struct tt_stream *s, uint64_t base)
{
    for (uint64_t i = 0; i < 3000; i++)
        tt_put_mem_value(s, 0x401500, base + 8 * (i % 512), 3, true, i, 0);
}

static int write_trace(const char *path)
{
    struct tt_error err;
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(m, 0x401110, L, 3, true, 0, 0); /* L = 0: its contents known */
    rt_spawn2(m, a, b);
    uint64_t a_seq = tt_writer_next_gseq(w), b_seq = tt_writer_next_gseq(w);
    rt_xchg(b, 0x401310, L, 3, 0, 1, b_seq);
    rt_xchg(a, 0x401210, L, 3, 1, 1, a_seq);
    work(a, 0x20000);
    work(b, 0x30000);
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    tt_put_sync(m, TT_SYNC_FUTEX_WAIT, 0x401130, 0x7000, 0);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-rthold.XXXXXX", path[4096];
    rt_paths(dir, path, sizeof path);
    const struct racetrace_report *reps = NULL;
    size_t n;
    struct racetrace *rt = NULL;
    ok(write_trace(path) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && n == 0, "two exchanges out of order: no race");
    struct racetrace_stats st = { 0 };
    if (rt)
        racetrace_stats(rt, &st);
    ok(st.early == 1 && st.forced == 0, "B's exchange delivered early, for the load of A that saw its store "
       "(early %llu, forced %llu, waits %llu)", (unsigned long long)st.early, (unsigned long long)st.forced,
       (unsigned long long)st.det.waits);
    ok(st.max_held < 100, "a few events held at once, not the threads' 6000 (%llu)", (unsigned long long)st.max_held);
    racetrace_free(rt);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
