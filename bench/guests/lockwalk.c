/* Lock-bound multithreaded benchmark guest: lockwalk THREADS ROUNDS.
 * Each thread, ROUNDS times, takes one of 4 mutexes (round-robin, so the
 * threads contend), updates the small record that mutex guards, and
 * releases it, with a little private work in between: the shape of a
 * server's shared tables and counters. Every shared access is under its
 * lock and main reads the records after joining, so the program is free
 * of data races: a race detector does all its work and reports nothing.
 * Where memwalk measures memory accesses, this measures synchronisation. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LOCKS 4

static struct {
    pthread_mutex_t lock;
    uint64_t count, sum;
} table[LOCKS];

static long rounds;

static void *walk(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 2654435761u + 1, local = 0;
    for (long r = 0; r < rounds; r++) {
        /* Private work: a few steps of a xorshift generator. */
        for (int i = 0; i < 8; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            local += seed & 0xff;
        }
        unsigned k = (unsigned)(r % LOCKS);
        pthread_mutex_lock(&table[k].lock);
        table[k].count++;
        table[k].sum += local & 0xffff;
        pthread_mutex_unlock(&table[k].lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    rounds = argc > 2 ? atol(argv[2]) : 100000;
    if (nthreads < 1 || nthreads > 64 || rounds < 1) {
        fprintf(stderr, "usage: lockwalk THREADS ROUNDS\n");
        return 2;
    }
    for (int k = 0; k < LOCKS; k++)
        pthread_mutex_init(&table[k].lock, NULL);
    pthread_t *t = calloc((size_t)nthreads, sizeof *t);
    if (!t)
        return 1;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, walk, (void *)(uintptr_t)i)) {
            perror("pthread_create");
            return 1;
        }
    uint64_t count = 0, sum = 0;
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    for (int k = 0; k < LOCKS; k++) {
        count += table[k].count;
        sum += table[k].sum;
    }
    printf("lockwalk %d %ld %llu %016llx\n", nthreads, rounds, (unsigned long long)count, (unsigned long long)sum);
    free(t);
    return 0;
}
