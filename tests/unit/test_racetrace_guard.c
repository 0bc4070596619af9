/* A first load delivered before the store it read (analysis/racetrace.c,
 * race.c): the double-checked initialisation of a C++ function-local
 * static (GCC, x86_64). Thread A finds the guard byte G clear, takes it
 * with a compare-and-swap (0 -> 0x100), constructs the object O, and
 * releases G with an exchange (-> 1). Thread B then finds G set with a
 * plain byte load (an acquire on x86) and reads O. The reader hands over
 * B's plain records up to B's next event at once, so B's load of G came
 * to the detector before A's compare-and-swap, as the first access to G
 * there, and B's own work after it let it go before B's next event. With
 * no contents of G known yet it went on, acquired nothing, and B's read
 * of O raced with A's construction after it (a C++ guest with std::async,
 * 1 run in 10). Now such a load waits for a store of its value, and a
 * byte of a word stored whole is compared with that byte. */

#include "tcgtrace/syncinsn.h"
#include "test_racetrace.h"

#define G 0x10000ull
#define O 0x10008ull
#define RMW (TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE | TT_SYNCINSN_FENCE)

static void rmw(struct tt_stream *s, uint64_t pc, uint64_t loaded, uint64_t stored, unsigned flags)
{
    tt_put_mem_value(s, pc, G, 2, false, loaded, 0);
    tt_put_mem_value(s, pc, G, 2, true, stored, 0);
    tt_put_sync(s, TT_SYNC_ATOMIC_RMW, pc, G, flags);
}

static int write_trace(const char *path)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, TT_FEAT_CAS_EXACT, &m, &a, &b);
    if (!w)
        return -1;
    rt_spawn2(m, a, b);
    /* B, whose records up to its exit the reader hands over first. */
    tt_put_mem_value(b, 0x401200, G, 0, false, 1, 0);
    tt_put_mem_value(b, 0x401210, O, 3, false, 0x5000, 0);
    for (uint64_t i = 0; i < 300; i++) /* its own work, long before its next event */
        tt_put_mem_value(b, 0x401220, 0x30000 + 8 * i, 3, true, i, 0);
    /* A: the fast path, the slow one, the construction, the release. */
    tt_put_mem_value(a, 0x401200, G, 0, false, 0, 0);
    rmw(a, 0x402000, 0, 0x100, RMW | TT_SYNCINSN_CAS);
    tt_put_mem_value(a, 0x401300, O, 3, true, 0x5000, 0);
    rmw(a, 0x402100, 0x100, 1, RMW | TT_SYNCINSN_STORE_EXACT);
    tt_put_mem_value(a, 0x401210, O, 3, false, 0x5000, 0);
    return rt_end3(w, m, a, b);
}

int main(void)
{
    rt_expect("rtguard", write_trace, O, false, "B's read of the object is ordered after its construction");
    return tap_done();
}
