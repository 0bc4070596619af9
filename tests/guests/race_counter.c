/* A racy counter whose race a happens-before detector sees whatever the
 * scheduling: the threads meet at a barrier, then increment `counter`
 * without synchronisation (racy_counter's threads may run one after the
 * other, ordered by glibc's own atomics, and gcc turns its loop into one
 * addition). The lost updates make the final count vary, so only the
 * number of threads and iterations is printed. */
#include <pthread.h>
#include <stdio.h>

#include "counter_threads.h"

long counter;
static long iterations = 1000;
static pthread_barrier_t start;

static void *worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (long i = 0; i < iterations; i++) {
        counter++;
        /* Keeps the increment a load and a store per iteration. */
        __asm__ volatile("" ::: "memory");
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int n = counter_args(argc, argv, &iterations);
    pthread_barrier_init(&start, NULL, (unsigned)n);
    /* Created here, not by counter_run() (inlined, its lines are the
     * header's): the report of the demo's program names main at this
     * file's line as where each thread was created. */
    pthread_t t[MAXT];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    counter_join(t, n);
    pthread_barrier_destroy(&start);
    printf("%d threads added %ld each\n", n, iterations);
    return 0;
}
