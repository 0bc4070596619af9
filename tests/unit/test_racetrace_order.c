/* The C library's own atomic instructions order nothing, but keep their
 * place in the global order (analysis/racetrace.c, ORDER_ONLY). Thread A
 * frees block X: its free's store into X (the allocator's bookkeeping),
 * then the compare-and-swap that puts X on the arena's free list, on the C
 * library's data. Thread B takes X off that list with its own
 * compare-and-swap, numbered after A's, gets X from malloc and writes it.
 * A load of A's, of a word read-modify-writes update, is held back until
 * A's next sync event, and A's free with it. When the C library's events
 * were dropped, B's records went first, and A's store into X raced with
 * B's write: a C++ thread pool whose tasks' results were freed by the
 * workers, 2 runs in 5. */
#include <stdlib.h>

#include "tcgtrace/heap.h"
#include "tcgtrace/syncinsn.h"
#include "test_racetrace.h"

#define X 0x10000ull
#define W 0x20000ull /* the program's word read-modify-writes update */
#define LIBC 0x7f0000000000ull
#define ARENA (LIBC + 0x1f0000) /* the free list's head, in the C library's data */
#define MALLOC (LIBC + 0x1000)
#define FREE (LIBC + 0x1100)
#define RMW (TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE | TT_SYNCINSN_FENCE)

static void rmw(struct tt_stream *s, uint64_t pc, uint64_t addr, uint64_t loaded, uint64_t stored)
{
    tt_put_mem_value(s, pc, addr, 3, false, loaded, 0);
    tt_put_mem_value(s, pc, addr, 3, true, stored, 0);
    tt_put_sync(s, TT_SYNC_ATOMIC_RMW, pc, addr, RMW | TT_SYNCINSN_CAS);
}

static int write_trace(const char *path)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, TT_FEAT_HEAP | TT_FEAT_CAS_EXACT, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_module(m, "/lib/x86_64-linux-gnu/libc.so.6", LIBC, LIBC, LIBC + 0x200000);
    rmw(m, 0x401100, W, 0, 1);
    rt_spawn2(m, a, b);
    /* A: free(X), a load of W held in its midst, its store into X, then
     * its compare-and-swap on the arena (#n). */
    tt_put_heap(a, TT_HEAP_FREE, FREE, 0x401210, X, 0, 0);
    tt_put_mem_value(a, 0x401220, W, 3, false, 1, 0);
    tt_put_mem_value(a, FREE + 0x40, X + 8, 3, true, 0xdead, 0);
    rmw(a, FREE + 0x80, ARENA, 0, X);
    /* B: its compare-and-swap on the arena (#n + 1), malloc's X, its
     * write. */
    rmw(b, MALLOC + 0x80, ARENA, X, 0);
    tt_put_heap(b, TT_HEAP_MALLOC, MALLOC, 0x401305, X, 24, 0);
    tt_put_mem_value(b, 0x401310, X + 8, 3, true, 42, 0);
    return rt_end3(w, m, a, b);
}

int main(void)
{
    rt_expect("rtorder", write_trace, X + 8, false, "A's free of X comes before B's malloc of it");
    return tap_done();
}
