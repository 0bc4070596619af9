/* A heap block's synchronisation locations are that block's alone: a
 * struct whose first word is a spinlock (taken with an atomic exchange)
 * is freed, and the struct malloc hands out next at the same address has
 * its first word incremented by two threads with no lock. That is a data
 * race, on memory that was a lock word before. The threads of each phase
 * meet at a barrier, so the race shows whatever the scheduling. */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

struct locked {
    int lock;
    long n;
};

struct counts {
    long a, b;
};

static pthread_barrier_t start;

static void *locker(void *arg)
{
    struct locked *l = arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < 100; i++) {
        while (__atomic_exchange_n(&l->lock, 1, __ATOMIC_ACQUIRE))
            ;
        l->n++;
        __atomic_store_n(&l->lock, 0, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void *adder(void *arg)
{
    struct counts *c = arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < 100; i++) {
        c->a++;
        __asm__ volatile("" ::: "memory");
    }
    return NULL;
}

static void both(void *(*fn)(void *), void *arg)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, fn, arg);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
}

int main(void)
{
    pthread_barrier_init(&start, NULL, 2);
    struct locked *l = calloc(1, sizeof *l);
    if (!l)
        return 1;
    both(locker, l);
    long n = l->n;
    uintptr_t was = (uintptr_t)l;
    free(l);
    /* malloc, not calloc: glibc's calloc does not take a block from the
     * thread's cache of freed ones, where l went. */
    struct counts *c = malloc(sizeof *c);
    if (!c)
        return 1;
    c->a = c->b = 0;
    both(adder, c);
    printf("locked %ld, %s block\n", n, (uintptr_t)c == was ? "same" : "another");
    free(c);
    return 0;
}
