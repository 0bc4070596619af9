/* Memory-bound multithreaded benchmark guest: memwalk THREADS KIB ROUNDS.
 * Each thread owns a heap array of KIB KiB and walks it ROUNDS times with
 * several strides (8 bytes: sequential; 64: one access per cache line;
 * 4104: a new page nearly every access), loading and storing at each step,
 * and reads a global table shared by all threads. Threads only write their
 * own memory and are joined before main reads their sums, so the program is
 * free of data races: a race detector does all its work and reports nothing. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SHARED_LEN 4096
static uint64_t shared[SHARED_LEN];

struct worker {
    pthread_t tid;
    size_t len; /* elements of 8 bytes */
    long rounds;
    uint64_t sum;
};

static const size_t strides[] = { 1, 8, 513 }; /* in elements */

static void *walk(void *arg)
{
    struct worker *w = arg;
    uint64_t *a = malloc(w->len * sizeof *a);
    if (!a)
        return NULL;
    for (size_t i = 0; i < w->len; i++)
        a[i] = i;
    uint64_t sum = 0;
    for (long r = 0; r < w->rounds; r++) {
        for (size_t s = 0; s < sizeof strides / sizeof strides[0]; s++) {
            size_t st = strides[s];
            /* Every stride visits len / 8 elements, so each costs the same. */
            size_t n = w->len / 8, j = (size_t)r % st;
            for (size_t k = 0; k < n; k++) {
                a[j] = a[j] * 3 + shared[j % SHARED_LEN];
                sum += a[j];
                j += st;
                if (j >= w->len)
                    j -= w->len;
            }
        }
    }
    free(a);
    w->sum = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 2;
    long kib = argc > 2 ? atol(argv[2]) : 1024;
    long rounds = argc > 3 ? atol(argv[3]) : 8;
    if (nthreads < 1 || nthreads > 64 || kib < 1 || rounds < 1) {
        fprintf(stderr, "usage: memwalk THREADS KIB ROUNDS\n");
        return 2;
    }
    for (int i = 0; i < SHARED_LEN; i++)
        shared[i] = (uint64_t)i * 2654435761u;
    struct worker *w = calloc((size_t)nthreads, sizeof *w);
    if (!w)
        return 1;
    for (int t = 0; t < nthreads; t++) {
        w[t].len = (size_t)kib * 1024 / 8;
        w[t].rounds = rounds;
        if (pthread_create(&w[t].tid, NULL, walk, &w[t])) {
            perror("pthread_create");
            return 1;
        }
    }
    uint64_t total = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(w[t].tid, NULL);
        total += w[t].sum;
    }
    printf("memwalk %d %ld %ld %016llx\n", nthreads, kib, rounds, (unsigned long long)total);
    free(w);
    return 0;
}
