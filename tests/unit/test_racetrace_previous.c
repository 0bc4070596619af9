/* The earlier access's stack (racetrace_previous) is its own thread's when
 * another thread ran on the same vCPU since and made the same instruction's
 * access to the same memory: two threads' memmoves into one block, one
 * after the other on vCPU 1 (race_memcpy on aarch64 showed the second
 * thread's caller for the first thread's access). */
#include <string.h>
#include <unistd.h>

#include "test_racetrace.h"

#define X 0x600000
#define STORE_PC 0x402000 /* the copy's 16-byte store, in both threads */
#define TAIL_PC 0x402008  /* its last 8 bytes, stored apart */
#define A_CALL 0x401500   /* thread 101's call of the copy */
#define B_CALL 0x401600   /* thread 102's */
#define STACK 0x7ff000 /* 101's stack slot; 102's is 0x1000 below */

/* Thread tid starts on s, calls the copy from call_pc (x86_64: the call
 * stores its return address, 5 bytes on, at sp), and copies 16 bytes into
 * X, or with tail 8 bytes, then 8 more at X + 8 by another instruction. */
static void copier(struct tt_stream *s, uint64_t tid, uint64_t call_pc, uint64_t sp, bool tail)
{
    rt_start(s, tid);
    tt_put_mem_value(s, call_pc, sp, 3, true, call_pc + 5, 0);
    tt_put_mem_value(s, STORE_PC, X, tail ? 3 : 4, true, 0, 0);
    if (tail)
        tt_put_mem_value(s, TAIL_PC, X + 8, 3, true, 0, 0);
    tt_put_sync(s, TT_SYNC_THREAD_EXIT, 0x401240, 0, tid);
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-rtprevious.XXXXXX", path[4096];
    rt_paths(dir, path, sizeof path);
    struct tt_stream *m, *a, *b;
    struct tt_error err;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    ok(w != NULL, "trace opened");
    if (!w)
        return tap_done();
    /* No join between them: 102's copy races with 101's, first at the
     * store both make (STORE_PC against STORE_PC), then at 102's tail
     * (TAIL_PC against STORE_PC, a second report whose earlier access is
     * 101's store, which 102's own store matches too). */
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 101);
    copier(a, 101, A_CALL, STACK, false);
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 102);
    copier(a, 102, B_CALL, STACK - 0x1000, true);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    ok(tt_writer_close(w, NULL, &err) == 0, "trace written");

    size_t n;
    const struct racetrace_report *reps;
    struct racetrace *rt = rt_analyse(path, &n, &reps);
    struct tt_reader *r3 = tt_reader_open(path, TT_READ_MERGED, &err);
    ok(rt && r3 && racetrace_previous(rt, r3, &err) == 0, "analysed, earlier stacks read");
    reps = rt ? racetrace_reports(rt, &n) : NULL;
    ok(n == 2, "two reports: %zu", n);
    for (size_t i = 0; i < n; i++) {
        const struct racetrace_report *rp = &reps[i];
        ok(rp->race.first.tid == 101 && rp->race.second.tid == 102, "report %zu: 101's access first, 102's second", i);
        ok(rp->first_calls.n == 1 && rp->first_calls.pc[0] == A_CALL + 4,
           "report %zu: the earlier access's stack is 101's call (%u frames, 0x%llx)", i, rp->first_calls.n,
           rp->first_calls.n ? (unsigned long long)rp->first_calls.pc[0] : 0ULL);
        ok(rp->second_calls.n == 1 && rp->second_calls.pc[0] == B_CALL + 4, "report %zu: the later one's 102's", i);
    }
    if (r3)
        tt_reader_close(r3);
    racetrace_free(rt);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
