/* Two threads increment a shared counter without synchronisation, one
 * after the other: main lets the first end before it creates the second,
 * and joins both only then. Nothing the program does orders the two
 * threads' updates, so they race; only the C library's own bookkeeping
 * does (its thread count, decremented by the first thread at its exit and
 * incremented by the second's pthread_create, both atomically), which a
 * detector that took order from the C library's data would see as a
 * happens-before edge and report nothing. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

long counter;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        counter++;
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    struct timespec pause = { 0, 200 * 1000 * 1000 };
    pthread_create(&a, NULL, worker, NULL);
    nanosleep(&pause, NULL); /* the first thread ends meanwhile */
    pthread_create(&b, NULL, worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("counter %ld\n", counter);
    return 0;
}
