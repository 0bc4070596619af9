/* Race detector micro-benchmark (not a test): accesses checked per second
 * on one core, and the memory the detector holds, on a synthetic event
 * stream shaped like a merged trace of a 4-thread program.
 *
 *   race_bench [--quick]
 *
 * Each thread runs slices of 100 events, in turn: 8-byte stack accesses
 * around its frame (60%), a walk over its private heap array with 4-byte
 * accesses (25%), reads of a table all threads share (10%), and every 20
 * events a lock (an x86 lock cmpxchg), 4 accesses to a shared counter block,
 * an unlock (xchg). No race. Events are generated in blocks before timing;
 * the time is the CPU time of the tt_race calls alone (a loaded machine
 * does not skew it). The learning pass is timed too (tcgtrace races runs
 * both). */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../analysis/race.h"

enum { NTHREADS = 4, BLOCK = 1 << 20 };

struct ev {
    uint64_t tid, pc, addr, value;
    uint32_t size;
    unsigned flags;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252u;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define STACK(t) (0x7f0000100000 + (uint64_t)(t) * 0x100000)
#define HEAP(t) (0x555555600000 + (uint64_t)(t) * 0x10000)
#define TABLE 0x555555500000
#define LOCK 0x555555580000
#define SHARED 0x555555580040

/* Fills b with the next n events. */
static void generate(struct ev *b, size_t n, uint64_t *heap_pos)
{
    static unsigned slice_t, slice_left, since_lock;
    size_t i = 0;
    while (i < n) {
        if (!slice_left) {
            slice_t = (slice_t + 1) % NTHREADS;
            slice_left = 100;
        }
        uint64_t t = slice_t + 1, x = next();
        slice_left--;
        if (++since_lock >= 20 && i + 8 <= n) {
            since_lock = 0;
            const unsigned lk = TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE;
            b[i++] = (struct ev){ t, 0x401000, LOCK, 0, 4, lk | TT_RACE_VALUE };
            b[i++] = (struct ev){ t, 0x401000, LOCK, 1, 4, lk | TT_RACE_VALUE | TT_RACE_WRITE };
            for (int k = 0; k < 4; k++)
                b[i++] = (struct ev){ t, 0x401010 + (uint64_t)k, SHARED + 8 * (x % 16), k, 8, k % 2 ? TT_RACE_WRITE : 0 };
            b[i++] = (struct ev){ t, 0x401020, LOCK, 1, 4, lk | TT_RACE_VALUE };
            b[i++] = (struct ev){ t, 0x401020, LOCK, 0, 4, lk | TT_RACE_VALUE | TT_RACE_WRITE };
            continue;
        }
        unsigned kind = x % 100;
        if (kind < 60) {
            b[i++] = (struct ev){ t, 0x402000 + (x >> 8) % 64 * 4, STACK(t) - 8 * ((x >> 16) % 64), 0, 8,
                                  (x >> 24) % 3 ? 0 : TT_RACE_WRITE };
        } else if (kind < 85) {
            uint64_t *pos = &heap_pos[t - 1];
            b[i++] = (struct ev){ t, 0x403000 + (x >> 8) % 8 * 4, HEAP(t) + *pos, 0, 4, x >> 20 & 1 ? TT_RACE_WRITE : 0 };
            *pos = (*pos + 4) % 0x10000;
        } else {
            b[i++] = (struct ev){ t, 0x404000, TABLE + 8 * ((x >> 8) % 2048), 0, 8, 0 };
        }
    }
}

static double run(struct tt_race *r, uint64_t total, uint64_t *accesses)
{
    struct ev *b = malloc(BLOCK * sizeof *b);
    uint64_t heap_pos[NTHREADS] = { 0 };
    double spent = 0;
    if (!b)
        exit(1);
    tt_race_thread_start(r, TT_RACE_NO_THREAD, 1, 0);
    for (uint64_t k = 0; k < 2048; k++) /* main fills the shared table */
        tt_race_access(r, 1, 0x400500, TABLE + 8 * k, 8, TT_RACE_WRITE, 0);
    for (uint64_t t = 2; t <= NTHREADS; t++)
        tt_race_thread_start(r, 1, t, 0);
    *accesses = 0;
    while (*accesses < total) {
        size_t n = BLOCK;
        generate(b, n, heap_pos);
        *accesses += n;
        double t0 = now();
        for (size_t i = 0; i < n; i++)
            if (tt_race_access(r, b[i].tid, b[i].pc, b[i].addr, b[i].size, b[i].flags, b[i].value) < 0) {
                fprintf(stderr, "race_bench: tt_race_access failed\n");
                exit(1);
            }
        spent += now() - t0;
    }
    free(b);
    return spent;
}

int main(int argc, char **argv)
{
    uint64_t total = argc > 1 && !strcmp(argv[1], "--quick") ? 5000000 : 50000000, n;
    struct tt_race *r = tt_race_new(&(struct tt_race_config){ .elf_machine = EM_X86_64, .learn = true });
    if (!r)
        return 1;
    double learn = run(r, total, &n);
    printf("learning pass:  %6.1f M accesses in %.2f s: %6.1f M accesses/s\n", n / 1e6, learn, n / learn / 1e6);
    tt_race_rewind(r);
    rng = 88172645463325252u;
    double detect = run(r, total, &n);
    struct tt_race_stats st;
    tt_race_stats(r, &st);
    size_t reports;
    tt_race_reports(r, &reports);
    printf("detecting pass: %6.1f M accesses in %.2f s: %6.1f M accesses/s\n", n / 1e6, detect, n / detect / 1e6);
    printf("both passes:    %6.1f M accesses/s of trace\n", n / (learn + detect) / 1e6);
    /* Touched: 4 stacks of 512 bytes, 4 heap arrays of 64 KiB, a 16 KiB
     * table, the lock and counter block: 69 pages. */
    printf("memory: %.2f MiB held for %llu shadow pages (%.2f bytes per byte of touched page); %zu reports\n",
           st.memory / 1048576.0, (unsigned long long)st.shadow_pages, (double)st.memory / (st.shadow_pages * 4096.0),
           reports);
    tt_race_free(r);
    return reports != 0;
}
