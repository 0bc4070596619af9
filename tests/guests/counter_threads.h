/* For the counter guests (racy_counter, race_counter, mutex_counter,
 * race_spin_*): their command line, [THREADS [ITERATIONS]] (2 threads by
 * default, at most MAXT; each guest has its own default iterations),
 * running the threads, and main() for those that print their count.
 * static inline: a guest uses what it needs. */
#ifndef COUNTER_THREADS_H
#define COUNTER_THREADS_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 8

/* The number of threads; *iterations set from argv[2] when given. Exits
 * with status 2 on a number of threads out of range. */
static inline int counter_args(int argc, char **argv, long *iterations)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2)
        *iterations = atol(argv[2]);
    if (n < 1 || n > MAXT)
        exit(2);
    return n;
}

static inline void counter_join(const pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* Runs n threads of worker to their end. */
static inline void counter_run(int n, void *(*worker)(void *))
{
    pthread_t t[MAXT];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    counter_join(t, n);
}

/* main() of the guests whose count comes out exact: n threads of worker,
 * then the count and what it should be. */
static inline int counter_main(int argc, char **argv, void *(*worker)(void *), long *iterations, const long *counter)
{
    int n = counter_args(argc, argv, iterations);
    counter_run(n, worker);
    printf("counter %ld (expected %ld)\n", *counter, n * *iterations);
    return 0;
}

#endif
