/* The race detector's verdicts on hand-written event sequences, one per
 * case of the guest programs (tests/guests/race_*.c), on the three guest
 * architectures: each as tcgtrace races runs it, a learning pass then a
 * detecting pass over the same events, unless a test says otherwise. The
 * sequences follow what the guests' machine code does (glibc's locks,
 * pthread_join's load of the thread's tid word, ...). */
#include <errno.h>

#include "test_race.h"

#define NONE TT_RACE_NO_THREAD
#define MAIN 100
#define T1 101
#define T2 102

/* Guest addresses. */
#define DATA 0x10000
#define FLAG 0x10400
#define LOCK 0x10480
#define COUNTER 0x104c0
#define CTID1 0x7f0000001010 /* pthread structs, at the top of the stacks */
#define CTID2 0x7f0000101010
#define STACK1 0x7f0000000800

/* Code addresses. */
#define PC_INC 0x401136      /* x86: addq $1, counter(%rip) */
#define PC_LD 0x401200       /* a plain load */
#define PC_ST 0x401204       /* a plain store */
#define PC_LD2 0x401208
#define PC_ST2 0x40120c
#define PC_SPIN 0x401300     /* the load of a spin loop */
#define PC_JOIN 0x4f1000     /* pthread_join's load of the tid word */
#define PC_LOCK 0x4f2000
#define PC_UNLOCK 0x4f2100
#define PC_STACK 0x4f3000    /* glibc code touching a stack */
#define PC_FREE_TID 0x4f4000 /* get_cached_stack's load of the tid word */

typedef void scenario(struct tt_race *r, unsigned arch, int variant);

/* As tcgtrace races runs: learn, rewind, detect. */
static struct tt_race *run(unsigned arch, scenario *fn, int variant)
{
    struct tt_race *r = new_race(arch, true);
    fn(r, arch, variant);
    MUST(tt_race_rewind(r));
    fn(r, arch, variant);
    return r;
}

static const char *arch_name(unsigned arch)
{
    return arch == EM_X86_64 ? "x86_64" : arch == EM_AARCH64 ? "aarch64" : "riscv64";
}

static const unsigned archs[] = { EM_X86_64, EM_AARCH64, EM_RISCV };
#define FOR_ARCHS(a) for (unsigned ai_ = 0, a; ai_ < 3 && (a = archs[ai_], 1); ai_++)

/* glibc's lll_lock and lll_unlock: x86 lock cmpxchg, then xchg; aarch64
 * (LSE) casa, then swpl; riscv lr.w.aq/sc.w, then amoswap.w.rl. */
static void lock(struct tt_race *r, unsigned arch, uint64_t t, uint64_t addr)
{
    if (arch == EM_X86_64) {
        RMW(r, t, PC_LOCK, addr, 4, X86_LOCK, 0, 1);
    } else if (arch == EM_AARCH64) {
        RMW(r, t, PC_LOCK, addr, 4, ACQ, 0, 1);
    } else {
        ALD(r, t, PC_LOCK, addr, 4, TT_SYNCINSN_RMW | ACQ, 0);
        AST(r, t, PC_LOCK + 4, addr, 4, TT_SYNCINSN_RMW, 1);
    }
}

static void unlock(struct tt_race *r, unsigned arch, uint64_t t, uint64_t addr)
{
    RMW(r, t, PC_UNLOCK, addr, 4, arch == EM_X86_64 ? X86_LOCK : REL, 1, 0);
}

/* pthread_join after the thread exited: its acquire load of the tid word
 * sees 0 (x86 mov, aarch64 ldar, riscv lw + fence r,rw). */
static void join_load(struct tt_race *r, unsigned arch, uint64_t t, uint64_t ctid)
{
    if (arch == EM_X86_64) {
        LD(r, t, PC_JOIN, ctid, 4, 0);
    } else if (arch == EM_AARCH64) {
        ALD(r, t, PC_JOIN, ctid, 4, ACQ, 0);
    } else {
        LD(r, t, PC_JOIN, ctid, 4, 0);
        FENCE(r, t, ACQ);
    }
}

static void spawn2(struct tt_race *r)
{
    START(r, NONE, MAIN, 0);
    START(r, MAIN, T1, CTID1);
    START(r, MAIN, T2, CTID2);
}

static void exit_join2(struct tt_race *r, unsigned arch)
{
    EXIT(r, T1, CTID1);
    EXIT(r, T2, CTID2);
    join_load(r, arch, MAIN, CTID1);
    join_load(r, arch, MAIN, CTID2);
}

/* --- racy counter / mutex counter ----------------------------------------- */

/* Two threads add 1 to a counter 100 times each, turn about; variant 1
 * holds a mutex around each increment. x86 increments with one addq, the
 * others load and store at two pcs. Main prints the counter after join. */
static void counter(struct tt_race *r, unsigned arch, int locked)
{
    uint64_t v = 0;
    spawn2(r);
    for (int i = 0; i < 200; i++) {
        uint64_t t = i % 2 ? T2 : T1;
        if (locked)
            lock(r, arch, t, LOCK);
        LD(r, t, arch == EM_X86_64 ? PC_INC : PC_LD, COUNTER, 8, v);
        ST(r, t, arch == EM_X86_64 ? PC_INC : PC_ST, COUNTER, 8, ++v);
        if (locked)
            unlock(r, arch, t, LOCK);
    }
    exit_join2(r, arch);
    LD(r, MAIN, PC_LD2, COUNTER, 8, v);
}

static void test_counters(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, counter, 0);
        size_t n;
        const struct tt_race_report *rep = tt_race_reports(r, &n);
        if (arch == EM_X86_64) {
            ok(n == 1 && rep[0].first.pc == PC_INC && rep[0].second.pc == PC_INC && rep[0].first.addr == COUNTER &&
                   rep[0].second.addr == COUNTER && rep[0].first.size == 8 && rep[0].count == 2 * 199,
               "%s: racy counter: one report, addq against itself, found by the load and the store of 199 "
               "increments",
               arch_name(arch));
        } else {
            /* load after store (PC_ST, PC_LD), store after store (PC_ST,
             * PC_ST); a store after a load pairs PC_LD with PC_ST again. */
            bool st_st = false, ld_st = false;
            for (size_t i = 0; i < n; i++) {
                uint64_t a = rep[i].first.pc, b = rep[i].second.pc;
                st_st |= a == PC_ST && b == PC_ST;
                ld_st |= (a == PC_LD && b == PC_ST) || (a == PC_ST && b == PC_LD);
            }
            ok(n == 2 && st_st && ld_st, "%s: racy counter: store/store and load/store reported", arch_name(arch));
        }
        struct tt_race_stats st;
        tt_race_stats(r, &st);
        is(st.spins, 0, "racy counter: its load is no spin (the thread's own store changes the value)");
        tt_race_free(r);

        r = run(arch, counter, 1);
        is(nreports(r), 0, "mutex counter: no report");
        tt_race_free(r);
    }
}

/* --- spinlocks ----------------------------------------------------------- */

/* Variant 0, a test-and-set lock on xchg: x86 xchg, then a plain mov 0
 * (C11 release store); aarch64 swpa, then stlr; riscv amoswap.w.aq, then
 * fence rw,w and sw. Variant 1, compare-and-swap: lock cmpxchg; ldaxr/stxr;
 * lr.w.aq/sc.w (a failed attempt loads 1 and stores nothing). Variant 2:
 * variant 0 with riscv's unlock missing its fence. T2 tries the lock while
 * T1 holds it, and the other way round. */
static void spinlock(struct tt_race *r, unsigned arch, int variant)
{
    unsigned acq = arch == EM_X86_64 ? X86_LOCK : ACQ;
    spawn2(r);
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 2; k++) {
            uint64_t t = k ? T2 : T1, other = k ? T1 : T2;
            if (variant == 1 && arch != EM_X86_64) {
                ALD(r, t, PC_LOCK, LOCK, 4, TT_SYNCINSN_RMW | ACQ, 0);
                AST(r, t, PC_LOCK + 4, LOCK, 4, TT_SYNCINSN_RMW, 1);
                ALD(r, other, PC_LOCK, LOCK, 4, TT_SYNCINSN_RMW | ACQ, 1);
            } else {
                RMW(r, t, PC_LOCK, LOCK, 4, acq, 0, 1);
                RMW(r, other, PC_LOCK, LOCK, 4, acq, 1, 1);
            }
            LD(r, t, PC_LD, COUNTER, 8, (uint64_t)(2 * round + k));
            ST(r, t, PC_ST, COUNTER, 8, (uint64_t)(2 * round + k + 1));
            if (arch == EM_X86_64) {
                ST(r, t, PC_UNLOCK, LOCK, 4, 0);
            } else if (arch == EM_AARCH64) {
                AST(r, t, PC_UNLOCK, LOCK, 4, REL, 0);
            } else {
                if (variant != 2)
                    FENCE(r, t, REL);
                ST(r, t, PC_UNLOCK, LOCK, 4, 0);
            }
        }
    }
    exit_join2(r, arch);
}

static void test_spinlocks(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, spinlock, 0);
        is(nreports(r), 0, "spinlock on xchg/swp/amoswap: no report");
        tt_race_free(r);
        r = run(arch, spinlock, 1);
        is(nreports(r), 0, "spinlock on compare-and-swap: no report");
        tt_race_free(r);
    }
    struct tt_race *r = run(EM_RISCV, spinlock, 2);
    ok(nreports(r) > 0, "riscv64: a spinlock released by a plain sw without fence rw,w protects nothing");
    tt_race_free(r);
}

/* --- C11 release/acquire flag hand-off ------------------------------------ */

enum {
    FLAG_C11,        /* correct C11: release store, acquire load */
    FLAG_NO_SPIN,    /* as FLAG_C11, but the reader only spins in round 0 */
    FLAG_LATE_DATA,  /* racy: the writer stores the data after the flag */
    FLAG_RELAXED,    /* aarch64/riscv: relaxed flag, no barrier anywhere */
    FLAG_FENCES,     /* aarch64/riscv: relaxed flag with dmb/fence */
};

static void flag_store(struct tt_race *r, unsigned arch, int variant, uint64_t value)
{
    if (arch == EM_X86_64 || variant == FLAG_RELAXED) {
        ST(r, T1, PC_ST2, FLAG, 4, value);
    } else if (variant == FLAG_FENCES || arch == EM_RISCV) {
        FENCE(r, T1, variant == FLAG_FENCES && arch == EM_AARCH64 ? ACQREL : REL);
        ST(r, T1, PC_ST2, FLAG, 4, value);
    } else {
        AST(r, T1, PC_ST2, FLAG, 4, REL, value);
    }
}

static void flag_load(struct tt_race *r, unsigned arch, int variant, uint64_t value, bool last)
{
    if (arch == EM_AARCH64 && variant != FLAG_RELAXED && variant != FLAG_FENCES)
        ALD(r, T2, PC_SPIN, FLAG, 4, ACQ, value);
    else
        LD(r, T2, PC_SPIN, FLAG, 4, value);
    /* riscv's acquire load is lw + fence r,rw; the fenced relaxed loop
     * has one fence after the loop (dmb ishld on aarch64). */
    if (arch == EM_RISCV && variant != FLAG_RELAXED && (variant != FLAG_FENCES || last))
        FENCE(r, T2, ACQ);
    if (arch == EM_AARCH64 && variant == FLAG_FENCES && last)
        FENCE(r, T2, ACQ);
}

/* Ten rounds: T1 publishes 42 + round in slot round of DATA through FLAG =
 * round + 1; T2 waits for it (spinning 3 loads in round 0, or in every
 * round) and reads the slot. */
static void flag_handoff(struct tt_race *r, unsigned arch, int variant)
{
    spawn2(r);
    for (uint64_t round = 0; round < 10; round++) {
        int spins = variant == FLAG_NO_SPIN && round > 0 ? 0 : 3;
        for (int i = 0; i < spins; i++)
            flag_load(r, arch, variant, round, false);
        if (variant != FLAG_LATE_DATA)
            ST(r, T1, PC_ST, DATA + 8 * round, 8, 42 + round);
        flag_store(r, arch, variant, round + 1);
        if (variant == FLAG_LATE_DATA)
            ST(r, T1, PC_ST, DATA + 8 * round, 8, 42 + round);
        flag_load(r, arch, variant, round + 1, true);
        LD(r, T2, PC_LD, DATA + 8 * round, 8, 42 + round);
    }
    exit_join2(r, arch);
}

static bool only_data_reported(const struct tt_race *r)
{
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    for (size_t i = 0; i < n; i++)
        if (rep[i].first.addr / 128 != DATA / 128 || rep[i].second.addr / 128 != DATA / 128)
            return false;
    return n > 0;
}

static void test_flag_handoff(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, flag_handoff, FLAG_C11);
        is(nreports(r), 0, "C11 release/acquire flag hand-off: no report");
        struct tt_race_stats st;
        tt_race_stats(r, &st);
        if (arch == EM_X86_64)
            ok(st.spins >= 1, "x86_64: the flag was found as a spin location (%llu spins)",
               (unsigned long long)st.spins);
        tt_race_free(r);

        r = run(arch, flag_handoff, FLAG_NO_SPIN);
        is(nreports(r), 0, "flag hand-off where T2 only spins in the first round: no report");
        tt_race_free(r);

        r = run(arch, flag_handoff, FLAG_LATE_DATA);
        ok(only_data_reported(r), "data stored after the flag: the data race reported, the flag not");
        tt_race_free(r);
    }
    for (unsigned i = 1; i < 3; i++) {
        struct tt_race *r = run(archs[i], flag_handoff, FLAG_RELAXED);
        ok(only_data_reported(r), "%s: relaxed flag without barriers: the data race reported, the flag not",
           arch_name(archs[i]));
        tt_race_free(r);
        r = run(archs[i], flag_handoff, FLAG_FENCES);
        is(nreports(r), 0, "relaxed flag with a release fence and an acquire fence: no report");
        tt_race_free(r);
    }

    /* x86 without a learning pass: the spin is found at its last load, after
     * the flag's store went by as a plain write: its epoch is acquired. */
    struct tt_race *r = new_race(EM_X86_64, false);
    flag_handoff(r, EM_X86_64, FLAG_NO_SPIN);
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    bool data = false;
    for (size_t i = 0; i < n; i++)
        data |= rep[i].first.addr / 128 == DATA / 128;
    ok(!data, "x86_64, one pass: no race on the data (%zu on the flag before it was known)", n);
    tt_race_free(r);
}

/* Values in the trace order the hand-off even when the reader's loads come
 * before the writer's stores (threads' events interleaved by a reader that
 * cannot know better). */
static void test_wait_for_store(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    spawn2(r);
    MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE, 0));
    MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE, 0));
    MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE, 0));
    int rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 1));
    is(rc, TT_RACE_WAIT, "the load ending the spin, the first of the location known: wait (its store may come)");
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE, 1));
    is(rc, 0, "delivered again without TT_RACE_CAN_WAIT (no store of 1 is to come): taken");
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 2));
    is(rc, TT_RACE_WAIT, "a load of a spin location that sees 2, after one that saw 1: wait");
    ST(r, T1, PC_ST, DATA, 8, 7);
    ST(r, T1, PC_ST2, FLAG, 4, 2);
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 2));
    is(rc, 0, "delivered again after the store of 2: taken");
    LD(r, T2, PC_LD, DATA, 8, 7);
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    bool data = false;
    for (size_t i = 0; i < n; i++)
        data |= rep[i].first.addr == DATA;
    ok(!data, "the data read after it is ordered after the store");
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    is(st.waits, 2, "two waits counted");
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE, 9));
    is(rc, 0, "without TT_RACE_CAN_WAIT a load is always taken");
    ST(r, T1, PC_ST2, FLAG, 4, 10);
    ST(r, T1, PC_ST2 + 4, FLAG + 4, 4, 77);
    ST(r, T1, PC_ST2, FLAG, 4, 11);
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 10));
    is(rc, 0, "a load seeing a value stored before the last (its callback came late): taken");
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 12));
    is(rc, TT_RACE_WAIT, "one seeing a value never stored yet: wait (a store beside it in the word changes nothing)");
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4,
                             TT_SYNCINSN_ATOMIC | TT_SYNCINSN_LOAD_VALUE_LOST | TT_RACE_VALUE | TT_RACE_CAN_WAIT, 12));
    is(rc, 0, "the same value from an instruction whose loaded value QEMU loses: ignored, taken");
    EXIT(r, T1, 0);
    EXIT(r, MAIN, 0);
    rc = MUST(tt_race_access(r, T2, PC_SPIN, FLAG, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 13));
    is(rc, 0, "with no other thread alive to store it, no wait");
    tt_race_free(r);
}

/* A lock word's read-modify-writes numbered out of the order they took
 * effect in: T1's lock exchange, numbered before T2's unlock, saw the 0
 * that unlock stored. It must wait for it though 0 is an old value of the
 * word, or T1's critical section races with T2's. */
static void test_rmw_waits_for_last_store(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    spawn2(r);
    RMW(r, T2, PC_LOCK, LOCK, 4, X86_LOCK, 0, 1);
    ST(r, T2, PC_ST, COUNTER, 8, 1);
    unsigned load = TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | X86_LOCK | TT_RACE_VALUE | TT_RACE_CAN_WAIT;
    int rc = MUST(tt_race_access(r, T1, PC_LOCK, LOCK, 4, load, 0));
    is(rc, TT_RACE_WAIT, "an exchange that loaded 0 while the word holds 1 (0 stored before): wait");
    rc = MUST(tt_race_access(r, T2, PC_LOCK + 8, LOCK, 4, load, 1));
    is(rc, 0, "the unlock, which loaded the 1 the word holds: taken");
    AST(r, T2, PC_LOCK + 8, LOCK, 4, TT_SYNCINSN_RMW | X86_LOCK, 0);
    rc = MUST(tt_race_access(r, T1, PC_LOCK, LOCK, 4, load, 0));
    is(rc, 0, "the exchange again, after the store of 0: taken");
    AST(r, T1, PC_LOCK, LOCK, 4, TT_SYNCINSN_RMW | X86_LOCK, 2);
    ST(r, T1, PC_ST, COUNTER, 8, 2);
    is(nreports(r), 0, "the counter's stores are ordered: no report");
    tt_race_free(r);
}

/* libgomp's taskgroup: the waiting thread (MAIN) set the group's count
 * of children to 0, then counted its two tasks up; T1 ran one and counted
 * down to 1, T2 wrote its result and counted down to 0, and MAIN's load at
 * the group's end saw that 0. With T2's part not delivered yet, the 0 the
 * word held before let a plain load go until what a thread saw outlived
 * other threads' stores (syncvar_future: MAIN stored 2 after that 0, so it
 * cannot read it); a load that read the latest store (TT_RACE_LATEST)
 * waits for it whatever the thread saw. */
static int taskgroup_end(unsigned latest)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    spawn2(r);
    AST(r, MAIN, PC_ST, FLAG, 8, REL, 0);
    ST(r, MAIN, PC_ST, FLAG, 8, 1);
    ST(r, MAIN, PC_ST, FLAG, 8, 2);
    ST(r, T1, PC_ST2, DATA, 8, 7);
    ST(r, T1, PC_ST, FLAG, 8, 1);
    unsigned load = TT_RACE_VALUE | TT_RACE_CAN_WAIT | latest;
    int rc = MUST(tt_race_access(r, MAIN, PC_LD, FLAG, 8, load, 0));
    if (latest) {
        ST(r, T2, PC_ST2, DATA + 8, 8, 8);
        ST(r, T2, PC_ST, FLAG, 8, 0);
        is(MUST(tt_race_access(r, MAIN, PC_LD, FLAG, 8, load, 0)), 0, "taskgroup: after T2's store of 0, taken");
        LD(r, MAIN, PC_LD2, DATA, 8, 7);
        LD(r, MAIN, PC_LD2, DATA + 8, 8, 8);
        is(nreports(r), 0, "taskgroup: both tasks' results read after them: no report");
    }
    tt_race_free(r);
    return rc;
}

static void test_latest_load(void)
{
    is(taskgroup_end(0), TT_RACE_WAIT, "taskgroup: a plain load of 0, which the word held before MAIN's 2, waits too");
    is(taskgroup_end(TT_RACE_LATEST), TT_RACE_WAIT, "taskgroup: the same load reading the latest store waits");
}

/* libgomp's team word: task_count, a synchronisation location, and the
 * plain task_queued_count beside it, both stored as one 8-byte word, then
 * task_queued_count decremented alone. The next 8-byte load sees what
 * memory holds; it waited for a store that had come, until every thread
 * waited and the oldest load was forced (a parent's, too early). */
static void test_store_beside(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    spawn2(r);
    AST(r, T1, PC_ST, FLAG, 4, TT_SYNCINSN_RMW, 0x12);
    ST(r, T1, PC_ST2, FLAG, 8, UINT64_C(0x400000012));
    ST(r, T1, PC_ST2 + 8, FLAG + 4, 4, 3);
    is(MUST(tt_race_access(r, T1, PC_LD, FLAG, 8, TT_RACE_VALUE | TT_RACE_CAN_WAIT, UINT64_C(0x300000012))), 0,
       "a plain store beside a synchronisation location: a wider load of what it stored goes on");
    tt_race_free(r);
}

/* One wait loop (glibc's, libgomp's) serves many objects, and need not
 * spin on every one: a pc found spinning makes what it loads elsewhere a
 * synchronisation location too, ordered after the last write there. */
static void test_spin_pc(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    spawn2(r);
    for (uint64_t v = 0; v < 3; v++)
        LD(r, T2, PC_SPIN, FLAG, 4, 0);
    ST(r, T1, PC_ST2, FLAG, 4, 1);
    LD(r, T2, PC_SPIN, FLAG, 4, 1);
    ST(r, T1, PC_ST, DATA, 8, 5);
    ST(r, T1, PC_ST2, FLAG + 64, 4, 1);
    LD(r, T2, PC_SPIN, FLAG + 64, 4, 1);
    LD(r, T2, PC_LD, DATA, 8, 5);
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    bool data = false;
    for (size_t i = 0; i < n; i++)
        data |= rep[i].first.addr == DATA;
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    ok(!data && st.spin_pcs == 1 && st.spins == 1,
       "a single load at a spin pc of another word orders what was written before it");
    tt_race_free(r);
}

/* --- publication through an atomic read-modify-write --------------------- */

/* T1 fills DATA and publishes with an RMW (x86 lock xadd; aarch64 ldaddal;
 * riscv amoadd.w.aqrl); T2 polls with the same RMW until it sees the
 * publication, then reads. Variant 1: aarch64/riscv with relaxed RMWs
 * (ldadd, amoadd.w) and no fence: no order. */
static void rmw_publish(struct tt_race *r, unsigned arch, int variant)
{
    unsigned f = arch == EM_X86_64 ? X86_LOCK : variant ? 0 : ACQREL;
    spawn2(r);
    RMW(r, T2, PC_LOCK, FLAG, 4, f, 0, 0);
    ST(r, T1, PC_ST, DATA, 8, 1);
    RMW(r, T1, PC_UNLOCK, FLAG, 4, f, 0, 1);
    RMW(r, T2, PC_LOCK, FLAG, 4, f, 1, 1);
    LD(r, T2, PC_LD, DATA, 8, 1);
    exit_join2(r, arch);
}

static void test_rmw_publication(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, rmw_publish, 0);
        is(nreports(r), 0, "publication through an atomic read-modify-write: no report");
        tt_race_free(r);
    }
    struct tt_race *r = run(EM_AARCH64, rmw_publish, 1);
    is(nreports(r), 1, "aarch64: publication through relaxed ldadd: the data race reported");
    tt_race_free(r);
}

/* --- condition variable, barrier ------------------------------------------ */

/* T2 waits for `ready` under a mutex: sees 0, unlocks, sleeps on the
 * condition's futex; T1 sets data and ready under the mutex, unlocks and
 * wakes it; T2 relocks and reads. */
static void condvar(struct tt_race *r, unsigned arch, int variant)
{
    (void)variant;
    const uint64_t cond = LOCK + 8, ready = FLAG;
    spawn2(r);
    lock(r, arch, T2, LOCK);
    LD(r, T2, PC_LD2, ready, 4, 0);
    unlock(r, arch, T2, LOCK);
    lock(r, arch, T1, LOCK);
    ST(r, T1, PC_ST, DATA, 8, 5);
    ST(r, T1, PC_ST2, ready, 4, 1);
    unlock(r, arch, T1, LOCK);
    MUST(tt_race_futex_wake(r, T1, cond));
    MUST(tt_race_futex_wait(r, T2, cond));
    lock(r, arch, T2, LOCK);
    LD(r, T2, PC_LD2, ready, 4, 1);
    LD(r, T2, PC_LD, DATA, 8, 5);
    unlock(r, arch, T2, LOCK);
    exit_join2(r, arch);
}

/* Both threads write their slot, meet at a barrier (an acq_rel RMW on the
 * count; the first sleeps on the generation word until the last stores
 * the new generation and wakes it), then read the other's slot. Variant 1
 * skips the barrier. */
static void barrier(struct tt_race *r, unsigned arch, int variant)
{
    const uint64_t count = LOCK, gen = LOCK + 4;
    unsigned f = arch == EM_X86_64 ? X86_LOCK : ACQREL;
    spawn2(r);
    ST(r, T1, PC_ST, DATA, 8, 1);
    ST(r, T2, PC_ST, DATA + 8, 8, 2);
    if (!variant) {
        RMW(r, T1, PC_LOCK, count, 4, f, 2, 1);
        LD(r, T1, PC_LD2, gen, 4, 0);
        RMW(r, T2, PC_LOCK, count, 4, f, 1, 0);
        if (arch == EM_AARCH64)
            AST(r, T2, PC_ST2, gen, 4, REL, 1);
        else
            ST(r, T2, PC_ST2, gen, 4, 1);
        MUST(tt_race_futex_wake(r, T2, gen));
        MUST(tt_race_futex_wait(r, T1, gen));
    }
    LD(r, T1, PC_LD, DATA + 8, 8, 2);
    LD(r, T2, PC_LD, DATA, 8, 1);
    exit_join2(r, arch);
}

static void test_condvar_barrier(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, condvar, 0);
        is(nreports(r), 0, "condition variable: no report");
        tt_race_free(r);
        r = run(arch, barrier, 0);
        is(nreports(r), 0, "pthread_barrier: no report");
        tt_race_free(r);
        r = run(arch, barrier, 1);
        size_t n;
        const struct tt_race_report *rep = tt_race_reports(r, &n);
        ok(n == 1 && rep[0].count == 2, "the same without the barrier: both slots reported (one pc pair)");
        tt_race_free(r);
    }
}

/* --- join, detached threads, stack reuse ---------------------------------- */

/* T1 writes the counter and exits; main reads it. Variant 0: after
 * pthread_join's load of the tid word; 1: after a futex wait on it (the
 * thread had not exited yet); 2: without joining. */
static void join_case(struct tt_race *r, unsigned arch, int variant)
{
    START(r, NONE, MAIN, 0);
    START(r, MAIN, T1, CTID1);
    ST(r, T1, PC_ST, COUNTER, 8, 1);
    EXIT(r, T1, CTID1);
    if (variant == 0)
        join_load(r, arch, MAIN, CTID1);
    else if (variant == 1)
        MUST(tt_race_futex_wait(r, MAIN, CTID1));
    LD(r, MAIN, PC_LD, COUNTER, 8, 1);
}

/* Detached T1 uses its stack and exits; glibc gives the stack to T2, which
 * main creates after get_cached_stack saw the old thread's tid word at 0
 * (a plain load; on aarch64/riscv the clone that follows is the fence).
 * Variant 1: the stack is reused without that load, nothing orders it. */
static void stack_reuse(struct tt_race *r, unsigned arch, int variant)
{
    (void)arch;
    START(r, NONE, MAIN, 0);
    START(r, MAIN, T1, CTID1);
    ST(r, T1, PC_STACK, STACK1, 8, 1);
    LD(r, T1, PC_STACK + 4, STACK1, 8, 1);
    EXIT(r, T1, CTID1);
    if (!variant)
        LD(r, MAIN, PC_FREE_TID, CTID1, 4, 0);
    START(r, MAIN, T2, CTID1);
    ST(r, T2, PC_STACK, STACK1, 8, 2);
    EXIT(r, T2, CTID1);
    join_load(r, arch, MAIN, CTID1);
}

static void test_join_detached(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, join_case, 0);
        is(nreports(r), 0, "join (tid word seen 0): no report");
        tt_race_free(r);
        r = run(arch, join_case, 1);
        is(nreports(r), 0, "join (futex wait on the tid word): no report");
        tt_race_free(r);
        r = run(arch, join_case, 2);
        is(nreports(r), 1, "no join: reported");
        tt_race_free(r);
        r = run(arch, stack_reuse, 0);
        is(nreports(r), 0, "a detached thread's stack reused by a new thread: no report");
        tt_race_free(r);
        r = run(arch, stack_reuse, 1);
        ok(nreports(r) > 0, "the same memory handed over with no synchronisation: reported");
        tt_race_free(r);
    }

    /* The joiner's load is delivered before the thread's exit. */
    struct tt_race *r = new_race(EM_X86_64, false);
    START(r, NONE, MAIN, 0);
    START(r, MAIN, T1, CTID1);
    ST(r, T1, PC_ST, COUNTER, 8, 1);
    int rc = MUST(tt_race_access(r, MAIN, PC_JOIN, CTID1, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 0));
    is(rc, TT_RACE_WAIT, "pthread_join's load seeing 0 before the exit is delivered: wait");
    rc = MUST(tt_race_access(r, MAIN, PC_JOIN, CTID1, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, T1));
    is(rc, 0, "a load seeing the tid the kernel stored at clone: taken");
    EXIT(r, T1, CTID1);
    rc = MUST(tt_race_access(r, MAIN, PC_JOIN, CTID1, 4, TT_RACE_VALUE | TT_RACE_CAN_WAIT, 0));
    is(rc, 0, "after the exit: taken");
    LD(r, MAIN, PC_LD, COUNTER, 8, 1);
    is(nreports(r), 0, "and the join orders the thread's work");
    MUST(tt_race_join(r, MAIN, T1));
    ok(tt_race_join(r, MAIN, 999) == -EINVAL, "joining an unknown thread: -EINVAL");
    tt_race_free(r);
}

/* --- thread-local data, memory reuse --------------------------------------- */

static void tls(struct tt_race *r, unsigned arch, int variant)
{
    (void)variant;
    spawn2(r);
    for (int i = 0; i < 10; i++) {
        ST(r, T1, PC_ST, 0x7f0000000f00, 8, (uint64_t)i); /* %fs:-8 of each thread */
        ST(r, T2, PC_ST, 0x7f0000100f00, 8, (uint64_t)i);
    }
    exit_join2(r, arch);
}

/* T1 writes a heap block, frees it into the arena (under the arena lock:
 * glibc writes the free-list link into the block); T2 allocates (same
 * lock), gets the block, reads the link and writes the block. Variant 1:
 * a big block, unmapped by free and mapped again at the same address by
 * T2's malloc, with no lock between. */
static void malloc_reuse(struct tt_race *r, unsigned arch, int variant)
{
    const uint64_t arena = LOCK, block = 0x555555560000;
    spawn2(r);
    if (!variant) {
        lock(r, arch, T1, arena);
        ST(r, T1, PC_STACK, block - 8, 8, 0x21); /* chunk header */
        unlock(r, arch, T1, arena);
    }
    ST(r, T1, PC_ST, block, 8, 1);
    ST(r, T1, PC_ST, block + 8, 8, 2);
    if (!variant) {
        lock(r, arch, T1, arena);
        ST(r, T1, PC_STACK + 4, block, 8, 0); /* free-list link */
        LD(r, T1, PC_STACK, block - 8, 8, 0x21);
        unlock(r, arch, T1, arena);
        lock(r, arch, T2, arena);
        LD(r, T2, PC_STACK + 8, block, 8, 0);
        unlock(r, arch, T2, arena);
    } else {
        MUST(tt_race_forget(r, block & ~UINT64_C(0xfff), 0x21000)); /* munmap */
        MUST(tt_race_forget(r, block & ~UINT64_C(0xfff), 0x21000)); /* mmap */
    }
    ST(r, T2, PC_ST2, block, 8, 3);
    ST(r, T2, PC_ST2, block + 8, 8, 4);
    exit_join2(r, arch);
}

static void test_tls_reuse(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, tls, 0);
        is(nreports(r), 0, "thread-local data: no report");
        tt_race_free(r);
        r = run(arch, malloc_reuse, 0);
        is(nreports(r), 0, "malloc memory reused across threads through the arena lock: no report");
        tt_race_free(r);
        r = run(arch, malloc_reuse, 1);
        is(nreports(r), 0, "unmapped and mapped again: forgotten, no report");
        tt_race_free(r);
    }
}

/* --- pages one thread alone touches ---------------------------------------- */

/* Each thread writes its own page 100 times and one word of a shared
 * page; variant 1: T2 exits unjoined and a new thread with T2's tid (the
 * kernel reused it) writes T2's page, with nothing ordering the two. */
static void private_pages(struct tt_race *r, unsigned arch, int variant)
{
    spawn2(r);
    for (int i = 0; i < 100; i++) {
        ST(r, T1, PC_ST, 0x20000 + 8 * (uint64_t)i, 8, (uint64_t)i);
        ST(r, T2, PC_ST2, 0x30000 + 8 * (uint64_t)i, 8, (uint64_t)i);
    }
    ST(r, T1, PC_ST, DATA, 8, 1);
    ST(r, T2, PC_ST2, DATA + 8, 8, 2);
    if (variant) {
        EXIT(r, T2, 0);
        START(r, T1, T2, 0);
        ST(r, T2, PC_ST, 0x30000, 8, 7);
    }
    exit_join2(r, arch);
}

static void test_private_pages(void)
{
    struct tt_race *r = run(EM_X86_64, private_pages, 0);
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    is(nreports(r), 0, "pages of one thread each: no report");
    is(st.private_accesses, 200, "their 200 accesses skip the shadow, the shared page's 2 do not");
    is(st.shadow_pages, 3, "shadow for the shared page and the tid words' two pages alone");
    tt_race_free(r);
    r = run(EM_X86_64, private_pages, 1);
    is(nreports(r), 1, "a page of two threads with one tid (reused): the race is reported");
    tt_race_free(r);
}

/* --- OpenMP parallel for ------------------------------------------------ */

/* Two team threads sum their half of an array. Variant 0 (reduction):
 * private partial sums on their stacks, added into the shared sum with an
 * atomic RMW, then libgomp's barrier; main reads the sum after it.
 * Variant 1 (no reduction): both add into the shared sum directly. */
static void omp_sum(struct tt_race *r, unsigned arch, int variant)
{
    const uint64_t a = 0x10000, sum = COUNTER, bar = LOCK, gen = LOCK + 4;
    unsigned f = arch == EM_X86_64 ? X86_LOCK : ACQREL;
    uint64_t s = 0;
    START(r, NONE, MAIN, 0);
    for (int i = 0; i < 64; i++)
        ST(r, MAIN, PC_ST, a + 8 * (uint64_t)i, 8, (uint64_t)i);
    START(r, MAIN, T1, CTID1);
    for (int k = 0; k < 2; k++) {
        uint64_t t = k ? T1 : MAIN, stack = k ? 0x7f0000000100 : 0x7ffff000;
        for (int i = 32 * k; i < 32 * k + 32; i++) {
            LD(r, t, PC_LD, a + 8 * (uint64_t)i, 8, (uint64_t)i);
            if (variant) {
                LD(r, t, PC_LD2, sum, 8, s);
                ST(r, t, PC_ST2, sum, 8, s += (uint64_t)i);
            } else {
                ST(r, t, PC_STACK, stack, 8, (uint64_t)i);
            }
        }
        if (!variant)
            RMW(r, t, PC_LOCK, sum, 8, f, s, s + 1);
        RMW(r, t, PC_UNLOCK, bar, 4, f, (uint64_t)(2 - k), (uint64_t)(1 - k));
    }
    /* main waits for the generation T1 (the last) stores; x86 spins. */
    LD(r, MAIN, PC_SPIN, gen, 4, 0);
    LD(r, MAIN, PC_SPIN, gen, 4, 0);
    LD(r, MAIN, PC_SPIN, gen, 4, 0);
    if (arch == EM_AARCH64)
        AST(r, T1, PC_ST2 + 4, gen, 4, REL, 4);
    else if (arch == EM_RISCV)
        FENCE(r, T1, REL);
    if (arch != EM_AARCH64)
        ST(r, T1, PC_ST2 + 4, gen, 4, 4);
    if (arch == EM_AARCH64)
        ALD(r, MAIN, PC_SPIN, gen, 4, ACQ, 4);
    else
        LD(r, MAIN, PC_SPIN, gen, 4, 4);
    if (arch == EM_RISCV)
        FENCE(r, MAIN, ACQ);
    LD(r, MAIN, PC_LD2 + 4, sum, 8, s);
}

static void test_openmp(void)
{
    FOR_ARCHS(arch) {
        struct tt_race *r = run(arch, omp_sum, 0);
        is(nreports(r), 0, "OpenMP parallel for with a reduction: no report");
        tt_race_free(r);
        r = run(arch, omp_sum, 1);
        ok(nreports(r) > 0, "OpenMP parallel for summing into a shared variable: reported");
        tt_race_free(r);
    }
}

/* --- deduplication ----------------------------------------------------- */

static void test_dedup(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    spawn2(r);
    /* A write at PC_ST racing a read at PC_LD, found in both orders. */
    for (uint64_t i = 0; i < 50; i++) {
        ST(r, T1, PC_ST, DATA + 16 * i, 8, 1);
        LD(r, T2, PC_LD, DATA + 16 * i, 8, 1);
    }
    for (uint64_t i = 0; i < 50; i++) {
        LD(r, T2, PC_LD, DATA + 1024 + 16 * i, 4, 1);
        ST(r, T1, PC_ST, DATA + 1024 + 16 * i, 4, 1);
    }
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    ok(n == 1 && rep[0].count == 100, "100 races between one pair of pcs, in either order: one report, count 100");
    ok(n == 1 && rep[0].first.tid == T1 && rep[0].first.write && rep[0].first.pc == PC_ST &&
           rep[0].first.addr == DATA && rep[0].first.size == 8 && rep[0].second.tid == T2 && !rep[0].second.write &&
           rep[0].second.pc == PC_LD && rep[0].second.size == 8,
       "the first race is kept whole: thread, pc, address, size, read/write of both accesses");

    /* One 16-byte access racing on two granules counts once. */
    ST(r, T1, PC_ST2, DATA + 2048, 8, 1);
    ST(r, T1, PC_ST2, DATA + 2056, 8, 1);
    LD(r, T2, PC_LD2, DATA + 2048, 16, 1);
    rep = tt_race_reports(r, &n);
    ok(n == 2 && rep[1].count == 1, "a 16-byte load racing with two 8-byte stores: one race");
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    is(st.races, 102, "races counted before deduplication: one per granule");
    tt_race_free(r);
}

/* The context the detector asks for when a race is found: what the test
 * set last, standing for the call that made the access (a helper called
 * from two places). */
static uint64_t context_of(void *arg, uint64_t tid, uint64_t pc)
{
    (void)tid;
    (void)pc;
    return *(const uint64_t *)arg;
}

static void test_dedup_context(void)
{
    uint64_t ctx = 0;
    struct tt_race *r = tt_race_new(&(struct tt_race_config){ .elf_machine = EM_X86_64, .context = context_of,
                                                              .context_arg = &ctx });
    spawn2(r);
    /* One pair of pcs racing on two words, the later access's context
     * different for each: two reports. */
    for (uint64_t i = 0; i < 2; i++) {
        ST(r, T1, PC_ST, DATA + 64 * i, 8, 1);
        ctx = 0x401000 + i;
        LD(r, T2, PC_LD, DATA + 64 * i, 8, 1);
    }
    /* The first context again: counted in its report. */
    ST(r, T1, PC_ST, DATA + 256, 8, 1);
    ctx = 0x401000;
    LD(r, T2, PC_LD, DATA + 256, 8, 1);
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    ok(n == 2 && rep[0].context == 0x401000 && rep[0].count == 2 && rep[1].context == 0x401001 &&
           rep[1].count == 1,
       "one pair of pcs in two contexts: a report each, counted apart (%zu reports)", n);
    tt_race_free(r);
}

int main(void)
{
    test_counters();
    test_spinlocks();
    test_flag_handoff();
    test_wait_for_store();
    test_rmw_waits_for_last_store();
    test_latest_load();
    test_store_beside();
    test_spin_pc();
    test_rmw_publication();
    test_condvar_barrier();
    test_join_detached();
    test_tls_reuse();
    test_private_pages();
    test_openmp();
    test_dedup();
    test_dedup_context();
    return tap_done();
}
