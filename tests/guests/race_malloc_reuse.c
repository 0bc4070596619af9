/* Two threads allocate, fill and free blocks concurrently, with nothing
 * between them but malloc itself. One arena and blocks too big for the
 * per-thread cache make glibc hand each block freed by one thread to the
 * other's next malloc, under the arena lock: no data race. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE 2000
static int rounds = 200;

static void *worker(void *arg)
{
    long me = (long)arg, bad = 0;
    for (int r = 0; r < rounds; r++) {
        unsigned char *p = malloc(SIZE);
        if (!p)
            return (void *)1;
        memset(p, (int)me, SIZE);
        for (int i = 0; i < SIZE; i += 97)
            bad += p[i] != me;
        free(p);
    }
    return (void *)bad;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atoi(argv[1]);
    mallopt(M_ARENA_MAX, 1);
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, (void *)(i + 1));
    long bad = 0;
    for (int i = 0; i < 2; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        bad += (long)ret;
    }
    printf("corrupted %ld\n", bad);
    return 0;
}
