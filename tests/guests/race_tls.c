/* Each thread counts in its own thread-local variable and copies it out
 * once; main reads the copies after joining: no data race. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 8
static __thread long mine;
static long copy[MAXT];

static void *worker(void *arg)
{
    long me = (long)arg;
    for (long i = 0; i < 500; i++)
        mine += me + 1;
    copy[me] = mine;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    if (n < 1 || n > MAXT)
        return 2;
    pthread_t t[MAXT];
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    long total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += copy[i];
    }
    printf("total %ld (expected %ld)\n", total, 500L * n * (n + 1) / 2);
    return 0;
}
