/* Spin inference: which sequences of a thread's loads and stores make a
 * location a synchronisation variable, and which do not. */
#include "../../analysis/spin.h"
#include "test_race.h"

#define PC 0x4011e3
#define A 0x404048

static void test_spins(void)
{
    struct spin s = { 0 };
    ok(!spin_load(&s, PC, A, 4, 0, 0), "a first load is no spin");
    ok(spin_load(&s, PC, A, 4, 1, 0), "the same pc loading the same word again, seeing a new value: a spin ends");

    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 4, 0, 2);
    spin_load(&s, PC, A, 4, 0, 2);
    ok(!spin_load(&s, PC, A, 4, 1, 2), "min_repeats 2: one repeat of the old value is not enough");
    spin_load(&s, PC, A, 4, 1, 2);
    spin_load(&s, PC, A, 4, 1, 2);
    ok(spin_load(&s, PC, A, 4, 2, 2), "two repeats are");

    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 4, 0, 1);
    ok(!spin_load(&s, PC, A, 4, 1, 1), "min_repeats 1: one load of the old value, then the new: no spin (a racy read "
                                       "once per iteration)");
    spin_load(&s, PC, A, 4, 2, 1);
    spin_fence(&s);
    ok(spin_load(&s, PC, A, 4, 3, 1), "... but with a system call between the two (a yield): a spin");
    /* A word whose stores share A's slot in the table of stores. */
    uint64_t b = A + 8;
    while (spin_stored_of(&s, b >> 3) != spin_stored_of(&s, A >> 3))
        b += 8;
    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 4, 0, 1);
    spin_store(&s, b);
    spin_load(&s, PC, A, 4, 0, 1);
    spin_store(&s, b);
    ok(spin_load(&s, PC, A, 4, 1, 1), "a store to another word in the loaded word's slot (a call's return address "
                                      "every round) is not the thread's own: a spin");
    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 4, 0, 1);
    spin_load(&s, PC, A, 4, 0, 1);
    spin_store(&s, A);
    spin_store(&s, b);
    ok(!spin_load(&s, PC, A, 4, 1, 1), "the thread's own store to the loaded word, pushed out of its slot by "
                                       "another: still its own, no spin");

    s = (struct spin){ 0 };
    spin_fence(&s);
    spin_load(&s, PC, A, 4, 0, 1);
    ok(!spin_load(&s, PC, A, 4, 1, 1), "a system call before the old value's load, none after: no spin");

    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 4, 0, 0);
    for (int i = 0; i < 4; i++)
        spin_store(&s, 0x7ffff000 - 8 * (uint64_t)i); /* call sched_yield */
    for (int i = 0; i < 4; i++)
        spin_load(&s, PC + 10 + (uint64_t)i, 0x7ffff000 - 8 * (uint64_t)i, 8, 0, 0);
    ok(spin_load(&s, PC, A, 4, 1, 0), "a few other accesses in between (a sched_yield call): still a spin");

    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 4, 0, 0);
    for (int i = 0; i < SPIN_GAP + 1; i++)
        spin_store(&s, 0x10000 + 8 * (uint64_t)i);
    ok(!spin_load(&s, PC, A, 4, 1, 0), "more than SPIN_GAP accesses in between: no spin (real work)");

    /* counter++: load, store of the thread's own new value, load. */
    s = (struct spin){ 0 };
    for (uint64_t v = 0; v < 10; v++) {
        ok(!spin_load(&s, PC, A, 8, v, 0), "counter++ iteration %llu: no spin", (unsigned long long)v);
        spin_store(&s, A);
    }
    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 8, 5, 0);
    spin_store(&s, A);
    ok(!spin_load(&s, PC, A, 8, 6, 0), "a value the thread stored itself ends no spin");

    s = (struct spin){ 0 };
    spin_load(&s, PC, A, 4, 0, 0);
    ok(!spin_load(&s, PC, A + 4, 4, 1, 0), "the same pc on another address (a loop over an array): no spin");
    spin_load(&s, PC, A, 4, 0, 0);
    ok(!spin_load(&s, PC, A, 8, 1, 0), "another size: no spin");
    spin_load(&s, PC, A, 4, 0, 0);
    ok(!spin_load(&s, PC + 4, A, 4, 1, 0), "another pc: no spin");
}

/* Through the detector: a learning pass marks the word a reader polls,
 * with one yield between its loads, and not the counter of racy_counter. */
static void test_learnt(void)
{
    struct tt_race *r = new_race(EM_X86_64, true);
    START(r, TT_RACE_NO_THREAD, 1, 0);
    START(r, 1, 2, 0);
    START(r, 1, 3, 0);
    for (uint64_t v = 0; v < 100; v++) {
        LD(r, 2, 0x401136, 0x404040, 8, v);
        ST(r, 2, 0x401136, 0x404040, 8, v + 1);
    }
    for (uint64_t round = 1; round < 4; round++) {
        LD(r, 3, PC, A, 4, round - 1);
        ST(r, 3, 0x401040, 0x7ffff000, 8, 0);
        LD(r, 3, PC, A, 4, round);
    }
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    ok(st.spins == 2 && st.sync_locations == 1,
       "a learning pass finds the polled word, twice (each value seen twice, then the next), not the counter");
    tt_race_free(r);
}

/* T2 sets the word T3 polls between runs of work on a page of its own:
 * 3 loads of 0, then the 1, each after 100 stores of the work. */
static void poll_between_work(struct tt_race *r)
{
    START(r, TT_RACE_NO_THREAD, 1, 0);
    START(r, 1, 2, 0);
    START(r, 1, 3, 0);
    for (uint64_t round = 0; round < 4; round++) {
        if (round == 3)
            ST(r, 2, 0x401040, A, 4, 1);
        LD(r, 3, PC, A, 4, round == 3);
        for (uint64_t i = 0; i < 100; i++)
            ST(r, 3, 0x401060, 0x7f0000000000 + 8 * i, 8, round);
    }
}

/* Both passes count the work on the thread's own page between two
 * loads: a poll between runs of real work is no spin in either, and the
 * racy flag is reported. The detecting pass once skipped accesses to
 * pages of one thread before counting them, found a spin there that the
 * learning pass had not, and hid the race. */
static void test_gap_both_passes(void)
{
    struct tt_race *r = new_race(EM_X86_64, true);
    poll_between_work(r);
    MUST(tt_race_rewind(r));
    poll_between_work(r);
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    ok(st.spins == 0 && nreports(r) == 1,
       "a flag polled between runs of private work: no spin in either pass, the race reported (%llu spins, %zu "
       "reports)",
       (unsigned long long)st.spins, nreports(r));
    tt_race_free(r);
}

int main(void)
{
    test_spins();
    test_learnt();
    test_gap_both_passes();
    return tap_done();
}
