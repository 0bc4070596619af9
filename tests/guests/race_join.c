/* Threads compute into their own slot of a shared array; main reads the
 * slots after joining them, twice over, so the second round's threads
 * reuse the first round's stacks: no data race. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 8
static long result[MAXT];

static void *worker(void *arg)
{
    long me = (long)arg, acc = 0;
    for (long i = 0; i <= 100 * (me + 1); i++)
        acc += i;
    result[me] = acc;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    if (n < 1 || n > MAXT)
        return 2;
    long total = 0, want = 0;
    for (int round = 0; round < 2; round++) {
        pthread_t t[MAXT];
        for (long i = 0; i < n; i++)
            pthread_create(&t[i], NULL, worker, (void *)i);
        for (int i = 0; i < n; i++) {
            pthread_join(t[i], NULL);
            total += result[i];
            want += 100L * (i + 1) * (100 * (i + 1) + 1) / 2;
        }
    }
    printf("total %ld (expected %ld)\n", total, want);
    return 0;
}
