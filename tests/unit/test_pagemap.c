/* The lock-free page set behind memtrace's writable-memory filter: exact
 * answers at page, leaf and node boundaries and at the ends of the address
 * space, random updates checked against a plain bitmap, and readers racing
 * a writer that publishes new nodes. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcgtrace/pagemap.h"
#include "tap.h"


#define PG PAGEMAP_PAGE_SIZE
#define LEAF_SPAN (PG << PAGEMAP_LEAF_BITS)

static void test_boundaries(void)
{
    struct pagemap *pm = pagemap_new();
    ok(pm != NULL, "pagemap_new");
    ok(!pagemap_test(pm, 0) && !pagemap_test(pm, UINT64_MAX) && !pagemap_test(pm, 0x7fff12345678),
       "an empty map holds no page");

    pagemap_set(pm, 0x1000, 0x2000, true);
    ok(!pagemap_test(pm, 0xfff) && pagemap_test(pm, 0x1000) && pagemap_test(pm, 0x2fff) &&
           !pagemap_test(pm, 0x3000),
       "[0x1000, 0x3000) holds exactly pages 1 and 2");

    pagemap_set(pm, 0x10fff, 2, true);
    ok(!pagemap_test(pm, 0xffff) && pagemap_test(pm, 0x10000) && pagemap_test(pm, 0x11000) &&
           !pagemap_test(pm, 0x12000),
       "an unaligned 2-byte range adds both pages it touches");

    pagemap_set(pm, 0x10000, 0, true);
    pagemap_set(pm, 0x40000, 0, true);
    ok(!pagemap_test(pm, 0x40000), "a zero-length range adds nothing");

    uint64_t b = 5 * LEAF_SPAN;
    pagemap_set(pm, b - PG, 2 * PG, true);
    ok(pagemap_test(pm, b - PG) && pagemap_test(pm, b) && !pagemap_test(pm, b - 2 * PG) &&
           !pagemap_test(pm, b + PG),
       "a range across two leaves");

    uint64_t mid = UINT64_C(1) << (PAGEMAP_PAGE_SHIFT + PAGEMAP_LEAF_BITS + 2 * PAGEMAP_NODE_BITS);
    pagemap_set(pm, mid - 3 * PG, 6 * PG, true);
    ok(pagemap_test(pm, mid - 3 * PG) && pagemap_test(pm, mid + 2 * PG) &&
           !pagemap_test(pm, mid + 3 * PG) && !pagemap_test(pm, mid - 4 * PG),
       "a range across two top-level subtrees");

    pagemap_set(pm, 0xffffffffff600000, PG, true);
    ok(pagemap_test(pm, 0xffffffffff600000) && pagemap_test(pm, 0xffffffffff600fff) &&
           !pagemap_test(pm, 0xffffffffff601000),
       "x86_64's vsyscall page, at the top of the address space");

    pagemap_set(pm, UINT64_MAX - PG + 1, 4 * PG, true);
    ok(pagemap_test(pm, UINT64_MAX) && !pagemap_test(pm, 0),
       "a range wrapping past 2^64 stops at the last page");

    pagemap_set(pm, 0x2000, 1, false);
    ok(pagemap_test(pm, 0x1000) && !pagemap_test(pm, 0x2000), "removing one page keeps its neighbour");

    ok(pagemap_test_access(pm, 0x0ffc, 8), "an access from an absent page into a present one counts");
    ok(pagemap_test_access(pm, 0x1ffc, 8), "an access from a present page into an absent one counts");
    ok(!pagemap_test_access(pm, 0x2ffc, 8) && !pagemap_test_access(pm, 0x3ff8, 8),
       "accesses touching only absent pages do not count");
    ok(pagemap_test_access(pm, 0x1000, 1) && !pagemap_test_access(pm, 0x3000, 16),
       "accesses inside one page");

    uint64_t first, last, from = 0;
    char runs[512] = "", *r = runs;
    while (pagemap_next(pm, from, &first, &last) && r < runs + sizeof(runs) - 64) {
        r += sprintf(r, "%llx-%llx ", (unsigned long long)first, (unsigned long long)last);
        if (last == UINT64_MAX)
            break;
        from = last + 1;
    }
    const char *want_runs = "1000-1fff 10000-11fff 27fff000-28000fff 7ffffffffd000-8000000002fff "
                            "ffffffffff600000-ffffffffff600fff fffffffffffff000-ffffffffffffffff ";
    ok(!strcmp(runs, want_runs), "pagemap_next lists the runs, the top page included");
    if (strcmp(runs, want_runs))
        printf("#   got:  %s\n#   want: %s\n", runs, want_runs);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pagemap_set(pm, 0, UINT64_MAX, false);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ok(!pagemap_test(pm, 0x1000) && !pagemap_test(pm, b) && !pagemap_test(pm, mid) &&
           !pagemap_test(pm, UINT64_MAX),
       "removing the whole address space empties the map");
    ok(secs < 0.5, "removing it skips absent subtrees (%.3f s)", secs);
    pagemap_free(pm);
}

/* Random ranges over a window of several leaves, against a byte per page. */
static void test_random(void)
{
    enum { PAGES = 3 << PAGEMAP_LEAF_BITS };
    uint64_t base = 0x7ff000000000 - LEAF_SPAN / 2;
    unsigned char *ref = calloc(PAGES, 1);
    struct pagemap *pm = pagemap_new();
    unsigned seed = 12345;
    int bad = 0;
    for (int round = 0; round < 2000 && !bad; round++) {
        seed = seed * 1103515245 + 12345;
        unsigned first = (seed >> 8) % PAGES;
        seed = seed * 1103515245 + 12345;
        unsigned n = (seed >> 8) % (round % 10 == 0 ? PAGES / 2 : 300);
        bool in = round % 3 != 2;
        unsigned off = (seed >> 4) & 0xfff;
        if (first + n >= PAGES)
            n = PAGES - first - 1;
        /* [base + first pages + off, +len) touches pages first..first+n. */
        uint64_t start = base + first * PG + off;
        uint64_t len = n * PG + (PG - off);
        pagemap_set(pm, start, len, in);
        memset(ref + first, in, n + 1);
        if (round % 100 != 99)
            continue;
        for (unsigned p = 0; p < PAGES; p++)
            if (pagemap_test(pm, base + p * PG + (p * 7) % PG) != ref[p]) {
                bad = 1;
                printf("# round %d page %u: got %d want %d\n", round, p, !ref[p], ref[p]);
                break;
            }
        /* The same through pagemap_next: runs with absent pages between. */
        uint64_t from = 0, run_first, run_last;
        unsigned p = 0;
        while (!bad && pagemap_next(pm, from, &run_first, &run_last)) {
            unsigned a = (unsigned)((run_first - base) / PG), b = (unsigned)((run_last - base) / PG);
            for (; p < a; p++)
                bad |= ref[p];
            for (; p <= b; p++)
                bad |= !ref[p];
            bad |= b + 1 < PAGES && ref[b + 1];
            from = run_last + 1;
        }
        for (; p < PAGES; p++)
            bad |= ref[p];
        if (bad)
            printf("# round %d: pagemap_next disagrees\n", round);
    }
    ok(!bad, "2000 random updates agree with a plain bitmap (pagemap_test, pagemap_next)");
    pagemap_free(pm);
    free(ref);
}

/* One writer, several readers: a page the writer never touches always reads
 * present, and a page the writer added before publishing a counter (release)
 * reads present to any reader that saw the counter (acquire), even when the
 * page needed new nodes. */
#define N_READERS 3
#define N_STEPS 8000
static struct pagemap *shared;
static _Atomic uint64_t published;
static _Atomic int readers_failed;
static const uint64_t stable_page = 0x555555554000;

static uint64_t step_addr(uint64_t i)
{
    /* Every 16th step needs fresh nodes at every level. */
    return ((i / 16) * 7919 + 1) * LEAF_SPAN + (i % 16) * PG;
}

static void *reader(void *arg)
{
    (void)arg;
    uint64_t seen = 0;
    unsigned x = 1;
    while (seen < N_STEPS) {
        seen = atomic_load_explicit(&published, memory_order_acquire);
        if (!pagemap_test(shared, stable_page))
            atomic_store(&readers_failed, 1);
        if (seen) {
            x = x * 1103515245 + 12345;
            uint64_t i = (x >> 4) % seen;
            if (!pagemap_test(shared, step_addr(i)))
                atomic_store(&readers_failed, 1);
        }
    }
    return NULL;
}

static void test_concurrent(void)
{
    shared = pagemap_new();
    pagemap_set(shared, stable_page, PG, true);
    pthread_t t[N_READERS];
    for (int i = 0; i < N_READERS; i++)
        pthread_create(&t[i], NULL, reader, NULL);
    for (uint64_t i = 0; i < N_STEPS; i++) {
        pagemap_set(shared, step_addr(i), PG, true);
        /* Churn next to the stable page: same leaf, different bits. */
        pagemap_set(shared, stable_page + PG, PG, i & 1);
        atomic_store_explicit(&published, i + 1, memory_order_release);
    }
    for (int i = 0; i < N_READERS; i++)
        pthread_join(t[i], NULL);
    ok(!atomic_load(&readers_failed), "readers racing a writer never miss a published page");
    pagemap_free(shared);
}

int main(void)
{
    printf("1..19\n");
    test_boundaries();
    test_random();
    test_concurrent();
    return n_failed != 0;
}
