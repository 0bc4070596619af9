/* Threads for execlog's per-vCPU tests: argv[1] threads one after another
 * (in linux-user each takes the vCPU index the previous one freed), then
 * argv[2] threads at once. Each thread loops argv[3] times over its own
 * array: its instruction sequence depends on nothing the others do. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 16

static void *worker(void *arg)
{
    long n = (long)arg;
    volatile long a[32];
    long s = 0;
    for (long i = 0; i < n; i++) {
        a[i & 31] = i;
        s += a[(i * 7) & 31];
    }
    return (void *)s;
}

int main(int argc, char **argv)
{
    int nseq = argc > 1 ? atoi(argv[1]) : 2;
    int npar = argc > 2 ? atoi(argv[2]) : 2;
    long n = argc > 3 ? atol(argv[3]) : 100;
    if (nseq < 0 || npar < 0 || npar > MAXT)
        return 2;
    pthread_t t[MAXT];
    for (int i = 0; i < nseq; i++) {
        if (pthread_create(&t[0], NULL, worker, (void *)n) || pthread_join(t[0], NULL))
            return 1;
    }
    for (int i = 0; i < npar; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)n))
            return 1;
    for (int i = 0; i < npar; i++)
        if (pthread_join(t[i], NULL))
            return 1;
    printf("threads %d %d\n", nseq, npar);
    return 0;
}
