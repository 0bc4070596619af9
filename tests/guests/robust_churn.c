/* Thread churn (tests/integration/robust_churn.t): SEQ threads created and
 * joined one after the other, then BATCHES batches of WIDTH threads alive
 * at once; each stores to its own cells and adds itself to a shared count.
 * Prints the count and the address of the threads' function, whose first
 * instruction the test counts in an execution trace.
 *   robust_churn SEQ BATCHES WIDTH */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_WIDTH 256

static long done;
static volatile long cells[MAX_WIDTH][8];

static void *body(void *arg)
{
    long i = (long)arg;
    for (int k = 0; k < 64; k++)
        cells[i][k & 7] += k;
    __atomic_add_fetch(&done, 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv)
{
    long seq = argc > 1 ? atol(argv[1]) : 100;
    long batches = argc > 2 ? atol(argv[2]) : 0;
    long width = argc > 3 ? atol(argv[3]) : 1;
    pthread_t t[MAX_WIDTH];
    if (width < 1 || width > MAX_WIDTH)
        return 2;
    for (long i = 0; i < seq; i++) {
        if (pthread_create(&t[0], NULL, body, (void *)0))
            return 1;
        pthread_join(t[0], NULL);
    }
    for (long b = 0; b < batches; b++) {
        for (long i = 0; i < width; i++)
            if (pthread_create(&t[i], NULL, body, (void *)i))
                return 1;
        for (long i = 0; i < width; i++)
            pthread_join(t[i], NULL);
    }
    printf("threads %ld body %p\n", done, (void *)body);
    return done == seq + batches * width ? 0 : 3;
}
