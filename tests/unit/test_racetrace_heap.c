/* Heap events in the race analysis (analysis/racetrace.c with
 * analysis/heap.c), on traces written here: the main thread mallocs a
 * block X and starts threads A and B, which nothing orders (no join, no
 * lock: what orders them, if anything, is not in the trace, as with an
 * allocator whose hand-off the trace cannot see).
 *   - A writes X + 8, B writes X + 8: a race, on the heap block X of size
 *     24 allocated by the main thread, with the allocator's entry and its
 *     call site as its first frames;
 *   - A writes X + 8 and frees X; B mallocs X and writes X + 8: no race
 *     (the free forgets X's history);
 *   - A writes X + 8 and reallocs X to Y; B mallocs X and writes X + 8:
 *     no race; B then writes Y + 8 after A wrote it: a race on Y, the
 *     block A's realloc made;
 *   - a block whose end is inside a word (write_odd_end).
 * Without the heap events, the second and third traces report X too. */
#include <stdlib.h>
#include <unistd.h>

#include "tcgtrace/heap.h"
#include "test_racetrace.h"

#define X 0x10000ull
#define Y 0x20000ull
#define MALLOC 0x7000ull
#define FREE 0x7100ull
#define REALLOC 0x7200ull

enum scenario { RACE, FREE_REUSE, REALLOC_REUSE };

static void store(struct tt_stream *s, uint64_t pc, uint64_t addr, uint64_t v)
{
    tt_put_mem_value(s, pc, addr, 3, true, v, 0);
}

static int write_trace(const char *path, enum scenario sc, bool heap)
{
    struct tt_error err;
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, heap ? TT_FEAT_HEAP : 0, &m, &a, &b);
    if (!w)
        return -1;
    if (heap)
        tt_put_heap(m, TT_HEAP_MALLOC, MALLOC, 0x401105, X, 24, 0);
    store(m, 0x401110, X + 8, 0);
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 101);
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 102);
    rt_start(a, 101);
    store(a, 0x401200, X + 8, 1);
    if (sc == FREE_REUSE && heap)
        tt_put_heap(a, TT_HEAP_FREE, FREE, 0x401210, X, 0, 0);
    if (sc == REALLOC_REUSE) {
        if (heap)
            tt_put_heap(a, TT_HEAP_REALLOC, REALLOC, 0x401220, Y, 48, X);
        store(a, 0x401230, Y + 8, 1);
    }
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    rt_start(b, 102);
    if (sc != RACE && heap)
        tt_put_heap(b, TT_HEAP_MALLOC, MALLOC, 0x401305, X, 24, 0);
    store(b, 0x401310, X + 8, 2);
    if (sc == REALLOC_REUSE)
        store(b, 0x401320, Y + 8, 2);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

/* A frees a block of 44 bytes after reading its last int (X + 40: the
 * word X + 40 is half in the block); B mallocs 44 bytes at X and writes
 * that int. The free and the malloc forget the word whole: the bytes after
 * the block to the next word are its chunk's slack, never another
 * block's. (They forgot whole words only: a C++ vector<int> of 11 freed
 * by a worker and made anew by main raced with the worker's read.) */
static int write_odd_end(const char *path)
{
    struct tt_error err;
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, TT_FEAT_HEAP, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_heap(m, TT_HEAP_MALLOC, MALLOC, 0x401105, X, 44, 0);
    tt_put_mem_value(m, 0x401110, X + 40, 2, true, 7, 0);
    rt_spawn2(m, a, b);
    tt_put_mem_value(a, 0x401200, X + 40, 2, false, 7, 0);
    tt_put_heap(a, TT_HEAP_FREE, FREE, 0x401210, X, 0, 0);
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    tt_put_heap(b, TT_HEAP_MALLOC, MALLOC, 0x401305, X, 44, 0);
    tt_put_mem_value(b, 0x401310, X + 40, 2, true, 9, 0);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-rtheap.XXXXXX", path[4096];
    rt_paths(dir, path, sizeof path);
    const struct racetrace_report *reps = NULL;
    size_t n;
    struct racetrace *rt = NULL;
    struct racetrace_stats st;

    ok(write_trace(path, RACE, true) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL, "a racy trace");
    if (!rt) {
        printf("Bail out! the racy trace could not be written or analysed\n");
        return 1;
    }
    ok(n == 1 && rt_raced(reps, n, X + 8), "one race, on X + 8");
    const struct racetrace_block *b = n ? &reps[0].block : NULL;
    ok(b && b->found && b->start == X && b->size == 24 && b->thread == 0,
       "its location: the heap block X of size 24, allocated by the main thread");
    ok(b && b->alloc.n >= 2 && b->alloc.pc[0] == MALLOC && b->alloc.pc[1] == 0x401104,
       "the allocation's stack: the allocator's entry, then its call site (x86: the return address - 1)");
    racetrace_stats(rt, &st);
    ok(st.heap_events == 1, "one heap event read");
    racetrace_free(rt);

    ok(write_trace(path, RACE, false) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && n == 1 &&
           !reps[0].block.found,
       "without heap events the race has no block");
    racetrace_free(rt);

    ok(write_trace(path, FREE_REUSE, true) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && n == 0,
       "A frees X, B mallocs X: no race");
    racetrace_free(rt);
    ok(write_trace(path, FREE_REUSE, false) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && n == 1,
       "the same accesses without the heap events: a race");
    racetrace_free(rt);

    ok(write_trace(path, REALLOC_REUSE, true) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL, "realloc moving X");
    ok(rt && !rt_raced(reps, n, X + 8), "A reallocs X to Y, B mallocs X: no race on X");
    const struct racetrace_report *ry = NULL;
    for (size_t i = 0; i < n; i++)
        if (reps[i].race.second.addr == Y + 8)
            ry = &reps[i];
    ok(ry && ry->block.found && ry->block.start == Y && ry->block.size == 48 && ry->block.thread == 1 &&
           ry->block.alloc.pc[0] == REALLOC,
       "a race on Y, in the block of size 48 that thread T1's realloc made");
    racetrace_free(rt);
    ok(write_trace(path, REALLOC_REUSE, false) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL &&
           rt_raced(reps, n, X + 8),
       "without the heap events X races");
    racetrace_free(rt);

    ok(write_odd_end(path) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL && !rt_raced(reps, n, X + 40),
       "A frees 44 bytes at X after reading X + 40, B mallocs 44 there and writes X + 40: no race");
    racetrace_free(rt);

    unlink(path);
    rmdir(dir);
    return tap_done();
}
