/* Two threads (or argv[1]) increment a shared counter without any
 * synchronisation: a data race on `counter`. */
#include <pthread.h>

#include "counter_threads.h"

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
    return counter_main(argc, argv, worker, &iterations, &counter);
}
