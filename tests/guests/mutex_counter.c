/* Like racy_counter, but each increment holds a mutex: no data race. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 8
long counter;
static long iterations = 1000;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < iterations; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
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
