/* Two threads (or argv[1]) increment a shared counter without any
 * synchronisation: a data race on `counter`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 8
long counter;
static long iterations = 1000;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < iterations; i++)
        counter++;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2)
        iterations = atol(argv[2]);
    if (n < 1 || n > MAXT)
        return 2;
    pthread_t t[MAXT];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("counter %ld (expected %ld)\n", counter, n * iterations);
    return 0;
}
