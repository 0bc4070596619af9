/* Vector clocks, FastTrack epochs and the happens-before rules of the
 * detector: program order, release/acquire, epochs ending at a release,
 * concurrent reads (the read-shared state), fences on a weakly ordered
 * guest, thread ids reused, the learning pass. */
#include <errno.h>

#include "../../analysis/shadow.h"
#include "../../analysis/vclock.h"
#include "test_race.h"

static void test_vclock(void)
{
    struct vclock a = { 0 }, b = { 0 };
    is(vclock_get(&a, 5), 0, "an empty clock reads 0 everywhere");
    MUST(vclock_set(&a, 5, 7));
    ok(a.n == 6 && vclock_get(&a, 5) == 7 && vclock_get(&a, 0) == 0 && vclock_get(&a, 4) == 0 &&
           vclock_get(&a, 100) == 0,
       "setting entry 5 grows the clock with zeros, entries past the end read 0");
    MUST(vclock_set(&b, 1, 3));
    MUST(vclock_set(&b, 5, 2));
    MUST(vclock_set(&b, 9, 1));
    MUST(vclock_join(&a, &b));
    ok(vclock_get(&a, 1) == 3 && vclock_get(&a, 5) == 7 && vclock_get(&a, 9) == 1 && a.n == 10,
       "join takes the maximum of each entry and the longer length");
    MUST(vclock_copy(&b, &a));
    ok(b.n == a.n && vclock_get(&b, 5) == 7 && vclock_get(&b, 9) == 1, "copy");
    vclock_clear(&b);
    ok(b.n == 0 && vclock_get(&b, 5) == 0, "clear");
    MUST(vclock_join(&b, &a));
    is(vclock_get(&b, 5), 7, "a cleared clock joins again");

    epoch_t e = epoch_make(5, 7);
    ok(epoch_thread(e) == 5 && epoch_clock(e) == 7 && e != 0, "an epoch packs thread and clock, never 0");
    ok(epoch_leq(e, &a), "7@5 happens before a clock with entry 5 at 7");
    ok(!epoch_leq(epoch_make(5, 8), &a), "8@5 does not");
    ok(!epoch_leq(epoch_make(12, 1), &a), "nor does 1@12, past the clock's end");
    vclock_free(&a);
    vclock_free(&b);
}

#define T1 1
#define T2 2
#define T3 3
#define X 0x5000
#define PCW 0x100
#define PCR 0x200
#define PCR2 0x300

static struct tt_race *three_threads(unsigned arch)
{
    struct tt_race *r = new_race(arch, false);
    START(r, TT_RACE_NO_THREAD, T1, 0);
    START(r, T1, T2, 0);
    START(r, T1, T3, 0);
    return r;
}

static void test_happens_before(void)
{
    struct tt_race *r = three_threads(EM_X86_64);
    ST(r, T1, PCW, X, 8, 1);
    LD(r, T1, PCR, X, 8, 1);
    is(nreports(r), 0, "program order: a thread's write then its read");
    LD(r, T2, PCR, X, 8, 1);
    is(nreports(r), 1, "another thread's read with no edge: a race");
    tt_race_free(r);

    r = three_threads(EM_X86_64);
    ST(r, T1, PCW, X, 8, 1);
    MUST(tt_race_release(r, T1, 42));
    MUST(tt_race_acquire(r, T2, 42));
    LD(r, T2, PCR, X, 8, 1);
    is(nreports(r), 0, "release then acquire of one object: ordered");
    ST(r, T1, PCW, X + 8, 8, 1);
    MUST(tt_race_acquire(r, T3, 42));
    LD(r, T3, PCR, X + 8, 8, 1);
    is(nreports(r), 1, "a write after the release is not covered by acquiring it (the epoch ended)");
    MUST(tt_race_acquire(r, T3, 43));
    LD(r, T3, PCR2, X + 16, 8, 0);
    ST(r, T2, PCW + 8, X + 16, 8, 0);
    is(nreports(r), 2, "acquiring an object nobody released gives nothing");
    tt_race_free(r);

    r = three_threads(EM_X86_64);
    ST(r, T1, PCW, X, 8, 1);
    MUST(tt_race_release(r, T1, 1));
    MUST(tt_race_acquire(r, T2, 1));
    MUST(tt_race_release(r, T2, 2));
    MUST(tt_race_acquire(r, T3, 2));
    ST(r, T3, PCW, X, 8, 2);
    is(nreports(r), 0, "happens-before is transitive: T1 -> T2 -> T3");
    tt_race_free(r);
}

static void test_read_shared(void)
{
    struct tt_race *r = three_threads(EM_X86_64);
    struct tt_race_stats st0, st1, st2;
    /* A first race, so that the reports' memory is there from the start. */
    ST(r, T2, PCW + 4, X + 64, 8, 1);
    ST(r, T3, PCW + 4, X + 64, 8, 1);
    ST(r, T1, PCW, X, 8, 1);
    MUST(tt_race_release(r, T1, 1));
    MUST(tt_race_acquire(r, T2, 1));
    MUST(tt_race_acquire(r, T3, 1));
    LD(r, T1, PCR, X, 8, 1);
    tt_race_stats(r, &st0);
    LD(r, T2, PCR2, X, 8, 1);
    tt_race_stats(r, &st1);
    is(nreports(r), 1, "concurrent reads do not race");
    ok(st1.memory > st0.memory, "two unordered reads are both kept (a read set)");
    for (int i = 0; i < 100; i++) {
        LD(r, T1, PCR, X, 8, 1);
        LD(r, T2, PCR2, X, 8, 1);
    }
    tt_race_stats(r, &st2);
    is(st2.memory, st1.memory, "reads repeated in the same epochs keep nothing more");
    /* T3 is ordered after T1's read only. */
    MUST(tt_race_release(r, T1, 2));
    MUST(tt_race_acquire(r, T3, 2));
    tt_race_stats(r, &st0);
    ST(r, T3, PCW, X, 8, 2);
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    ok(n == 2 && rep[1].first.tid == T2 && !rep[1].first.write && rep[1].first.pc == PCR2 && rep[1].second.tid == T3 &&
           rep[1].second.write,
       "a write after two concurrent reads races with the one it is not ordered after (T2's), only");
    tt_race_stats(r, &st2);
    is(st0.memory - st2.memory, sizeof(struct shadow_reads) + 4 * sizeof(struct shadow_read),
       "the write drops the read set");
    tt_race_free(r);
}

static void test_fences(void)
{
    /* aarch64: a relaxed atomic load of a location T1 released into orders
     * nothing until an acquire fence. */
    struct tt_race *r = three_threads(EM_AARCH64);
    ST(r, T1, PCW, X, 8, 1);
    AST(r, T1, PCW + 4, X + 64, 4, REL, 1);
    ALD(r, T2, PCR + 4, X + 64, 4, 0, 1);
    LD(r, T2, PCR, X, 8, 1);
    is(nreports(r), 1, "aarch64: after a relaxed load (ldr of an atomic): unordered");
    FENCE(r, T2, ACQ);
    LD(r, T2, PCR2, X, 8, 1);
    is(nreports(r), 1, "after dmb ishld: ordered");
    /* A relaxed store releases what the thread did before its last release
     * fence, not what it did after. */
    ST(r, T1, PCW, X + 8, 8, 1);
    FENCE(r, T1, REL);
    ST(r, T1, PCW + 8, X + 16, 8, 1);
    AST(r, T1, PCW + 4, X + 64, 4, 0, 2);
    ALD(r, T3, PCR + 4, X + 64, 4, ACQ, 2);
    LD(r, T3, PCR, X + 8, 8, 1);
    is(nreports(r), 1, "a write before dmb ish, published by a relaxed store: ordered");
    LD(r, T3, PCR2, X + 16, 8, 1);
    is(nreports(r), 2, "a write after the fence: unordered");
    tt_race_free(r);

    /* Cumulativity: what T2 acquired, a relaxed store of T2 after it passes
     * on (the acquire orders the store after it; aarch64 and riscv64 are
     * multi-copy atomic). glibc's barrier on riscv64 relies on it. */
    r = three_threads(EM_RISCV);
    ST(r, T1, PCW, X, 8, 1);
    AST(r, T1, PCW + 4, X + 64, 4, REL, 1);
    ALD(r, T2, PCR + 4, X + 64, 4, TT_SYNCINSN_RMW | ACQ, 1);
    ST(r, T2, PCW + 8, X + 8, 8, 1);
    AST(r, T2, PCW + 12, X + 128, 4, TT_SYNCINSN_RMW, 1);
    ALD(r, T3, PCR + 8, X + 128, 4, ACQ, 1);
    LD(r, T3, PCR, X, 8, 1);
    is(nreports(r), 0, "riscv64: T1 -> (acquire) T2 -> relaxed store -> (acquire) T3: ordered");
    LD(r, T3, PCR2, X + 8, 8, 1);
    is(nreports(r), 1, "but T2's own write before that store, with no release fence, is not");
    tt_race_free(r);

    /* An RMW's store record after another thread's RMW on the same word:
     * the release happens at its load. */
    r = three_threads(EM_AARCH64);
    ST(r, T1, PCW, X, 8, 1);
    ALD(r, T1, PCW + 4, X + 64, 4, TT_SYNCINSN_RMW | ACQ | REL, 0);
    ALD(r, T2, PCR + 4, X + 64, 4, TT_SYNCINSN_RMW | ACQ | REL, 1);
    AST(r, T1, PCW + 4, X + 64, 4, TT_SYNCINSN_RMW | ACQ | REL, 1);
    AST(r, T2, PCR + 4, X + 64, 4, TT_SYNCINSN_RMW | ACQ | REL, 2);
    LD(r, T2, PCR, X, 8, 1);
    is(nreports(r), 0, "ldaddal's load and store records split by another thread's: still ordered");
    tt_race_free(r);

    /* x86 is TSO: the same loads and stores acquire and release. */
    r = three_threads(EM_X86_64);
    ST(r, T1, PCW, X, 8, 1);
    AST(r, T1, PCW + 4, X + 64, 4, 0, 1);
    LD(r, T2, PCR + 4, X + 64, 4, 1);
    LD(r, T2, PCR, X, 8, 1);
    is(nreports(r), 0, "x86_64: a store and a load of a synchronisation location order");
    tt_race_free(r);
}

static void test_threads(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    START(r, TT_RACE_NO_THREAD, T1, 0);
    START(r, T1, T2, 0x9000);
    ST(r, T2, PCW, X, 8, 1);
    EXIT(r, T2, 0x9000);
    MUST(tt_race_futex_wait(r, T1, 0x9000));
    /* The kernel gives T2's id to a new thread. */
    START(r, T1, T2, 0x9000);
    ST(r, T2, PCW, X, 8, 2);
    is(nreports(r), 0, "a thread id reused after exit and join is a new thread, ordered after the old");
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    is(st.threads, 3, "three threads");
    ST(r, 77, PCW, X, 8, 3);
    is(nreports(r), 1, "an id never started is a thread with no history: it races");
    tt_race_free(r);

    r = three_threads(EM_X86_64);
    ST(r, T1, PCW, X, 8, 1);
    MUST(tt_race_fence(r, T2, ACQ | REL));
    LD(r, T2, PCR, X, 8, 1);
    is(nreports(r), 1, "x86_64: fences do not order by themselves");
    ok(tt_race_access(r, T1, PCW, X, 0, 0, 0) == -EINVAL, "a 0-byte access: -EINVAL");
    ok(tt_race_access(r, T1, PCW, UINT64_MAX - 2, 4, 0, 0) == -EINVAL, "an access past the address space: -EINVAL");
    tt_race_free(r);
}

static void racy(struct tt_race *r)
{
    START(r, TT_RACE_NO_THREAD, T1, 0);
    START(r, T1, T2, 0);
    ST(r, T1, PCW, X, 8, 1);
    ST(r, T2, PCW, X, 8, 2);
}

static void test_learning(void)
{
    struct tt_race *r = new_race(EM_X86_64, true);
    racy(r);
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    ok(nreports(r) == 0 && st.accesses == 0 && st.shadow_pages == 0, "a learning pass checks nothing");
    MUST(tt_race_rewind(r));
    racy(r);
    is(nreports(r), 1, "the detecting pass after it does");
    tt_race_free(r);
}

int main(void)
{
    test_vclock();
    test_happens_before();
    test_read_shared();
    test_fences();
    test_threads();
    test_learning();
    return tap_done();
}
