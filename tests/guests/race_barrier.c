/* Threads take turns through a pthread_barrier: each writes its own slot,
 * waits, reads its neighbour's, waits again: no data race. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 8
static pthread_barrier_t barrier;
static long slot[MAXT], seen[MAXT];
static int nthreads = 3, rounds = 50;

static void *worker(void *arg)
{
    int me = (int)(long)arg;
    for (int r = 1; r <= rounds; r++) {
        slot[me] = (long)r * (me + 1);
        pthread_barrier_wait(&barrier);
        seen[me] += slot[(me + 1) % nthreads];
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nthreads = atoi(argv[1]);
    if (nthreads < 1 || nthreads > MAXT)
        return 2;
    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
    pthread_t t[MAXT];
    for (long i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    long total = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        total += seen[i];
    }
    pthread_barrier_destroy(&barrier);
    long want = 0;
    for (int i = 0; i < nthreads; i++)
        want += (long)rounds * (rounds + 1) / 2 * ((i + 1) % nthreads + 1);
    printf("total %ld (expected %ld)\n", total, want);
    return 0;
}
