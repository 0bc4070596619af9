/* Shared by the race detector's unit tests: TAP output and short names for
 * the events a test feeds the detector. */
#ifndef TEST_RACE_H
#define TEST_RACE_H

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../analysis/race.h"
#include "tap.h"


static void is(uint64_t got, uint64_t want, const char *what) __attribute__((unused));
static void is(uint64_t got, uint64_t want, const char *what)
{
    ok(got == want, "%s", what);
    if (got != want)
        printf("#   got %llu (0x%llx), want %llu (0x%llx)\n", (unsigned long long)got, (unsigned long long)got,
               (unsigned long long)want, (unsigned long long)want);
}

/* Every event must succeed: a failure aborts the test program. */
static int must(int rc, const char *what, int line)
{
    if (rc < 0) {
        printf("Bail out! %s failed at line %d: %d\n", what, line, rc);
        exit(1);
    }
    return rc;
}
#define MUST(call) must((call), #call, __LINE__)

static struct tt_race *new_race(unsigned machine, bool learn) __attribute__((unused));
static struct tt_race *new_race(unsigned machine, bool learn)
{
    struct tt_race *r = tt_race_new(&(struct tt_race_config){ .elf_machine = machine, .learn = learn });
    if (!r) {
        printf("Bail out! tt_race_new\n");
        exit(1);
    }
    return r;
}

/* Plain loads and stores with their values, atomic ones with the flags of
 * their instruction (TT_SYNCINSN_*). */
#define LD(r, t, pc, a, sz, v) MUST(tt_race_access(r, t, pc, a, sz, TT_RACE_VALUE, v))
#define ST(r, t, pc, a, sz, v) MUST(tt_race_access(r, t, pc, a, sz, TT_RACE_WRITE | TT_RACE_VALUE, v))
#define ALD(r, t, pc, a, sz, f, v) MUST(tt_race_access(r, t, pc, a, sz, TT_SYNCINSN_ATOMIC | (f) | TT_RACE_VALUE, v))
#define AST(r, t, pc, a, sz, f, v)                                                                              \
    MUST(tt_race_access(r, t, pc, a, sz, TT_SYNCINSN_ATOMIC | (f) | TT_RACE_WRITE | TT_RACE_VALUE, v))
/* A read-modify-write: its load, then its store, as QEMU reports them. */
#define RMW(r, t, pc, a, sz, f, old, new)                                                                       \
    do {                                                                                                       \
        ALD(r, t, pc, a, sz, TT_SYNCINSN_RMW | (f), old);                                                      \
        AST(r, t, pc, a, sz, TT_SYNCINSN_RMW | (f), new);                                                      \
    } while (0)
#define START(r, parent, child, ctid) MUST(tt_race_thread_start(r, parent, child, ctid))
#define EXIT(r, t, ctid) MUST(tt_race_thread_exit(r, t, ctid))
#define FENCE(r, t, f) MUST(tt_race_fence(r, t, f))

#define ACQ TT_SYNCINSN_ACQUIRE
#define REL TT_SYNCINSN_RELEASE
#define ACQREL (TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE)
#define X86_LOCK (TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE | TT_SYNCINSN_FENCE)

static size_t nreports(const struct tt_race *r) __attribute__((unused));
static size_t nreports(const struct tt_race *r)
{
    size_t n;
    tt_race_reports(r, &n);
    return n;
}

#endif
