/* Like racy_counter, but each increment holds a mutex: no data race. */
#include <pthread.h>

#include "counter_threads.h"

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
    return counter_main(argc, argv, worker, &iterations, &counter);
}
