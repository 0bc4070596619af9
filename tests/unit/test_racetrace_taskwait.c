/* What a load can have read once other threads stored after what it saw
 * (analysis/syncvar.c, syncvar_future). The shape of libgomp's taskwait
 * in riscv64 omp_tasks: the parent M sets its queue of children Q to 0,
 * then to each child it makes, N1 and N2; A, running a child, takes N2
 * off the front (Q = N1), writes its result D, and empties Q with a
 * release store of 0; M's taskwait finds Q 0 and reads D. M's records come
 * before A's store, whose value 0 Q had held three stores before: M had
 * stored N2 since, and A's N1 only came after it, so M cannot read that
 * 0, and its load waits for A's store. When a thread's knowledge was only
 * whether it had seen the latest value, A's N1 undid M's, the load went
 * on without A's release, and M's read of D was reported (2 recordings of
 * 120). A writing D after its store: the race. */
#include "test_racetrace.h"

#define Q 0x10000ull
#define D 0x10100ull
#define N1 0x20100ull
#define N2 0x20200ull

static int write_trace(const char *path, bool racy)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(m, 0x401100, Q, 3, true, 0, 0);
    tt_put_mem_value(m, 0x401104, Q, 3, true, N1, 0);
    tt_put_mem_value(m, 0x401108, Q, 3, true, N2, 0);
    rt_spawn2(m, a, b);
    tt_put_mem_value(a, 0x401300, Q, 3, false, N2, 0);
    tt_put_mem_value(a, 0x401304, Q, 3, true, N1, 0);
    tt_put_sync(a, TT_SYNC_FENCE, 0x401308, 0, TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE);
    /* M's records from here come with A's up to A's next sync event. */
    tt_put_sync(m, TT_SYNC_FENCE, 0x401110, 0, TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE);
    tt_put_mem_value(m, 0x401114, Q, 3, false, 0, 0);
    tt_put_mem_value(m, 0x401118, D, 3, false, 7, 0);
    if (!racy)
        tt_put_mem_value(a, 0x401340, D, 3, true, 7, 0);
    tt_put_mem_value(a, 0x401350, Q, 3, true, 0, 0);
    tt_put_sync(a, TT_SYNC_RELEASE_STORE, 0x401350, Q, TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RELEASE);
    if (racy)
        tt_put_mem_value(a, 0x401340, D, 3, true, 7, 0);
    return rt_end3(w, m, a, b);
}

static int write_ordered(const char *path)
{
    return write_trace(path, false);
}

static int write_racy(const char *path)
{
    return write_trace(path, true);
}

int main(void)
{
    rt_expect("rttw", write_ordered, D, false, "M's load of 0 waits for A's store: its read of D comes after A's write");
    rt_expect("rttwracy", write_racy, D, true, "A writing D after its store: the race on D");
    return tap_done();
}
