/* Threads add to a counter under a test-and-test-and-set spinlock built on
 * atomic exchange (x86 xchg, aarch64 swpa or ldaxr/stxr, riscv
 * amoswap.w.aq) and released by a C11 release store (x86 mov, aarch64
 * stlr, riscv fence rw,w + sw): no data race. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 8
static atomic_int lock;
static long counter;
static long iterations = 300;

static void spin_lock(void)
{
    while (atomic_exchange_explicit(&lock, 1, memory_order_acquire))
        while (atomic_load_explicit(&lock, memory_order_relaxed))
            sched_yield();
}

static void spin_unlock(void)
{
    atomic_store_explicit(&lock, 0, memory_order_release);
}

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < iterations; i++) {
        spin_lock();
        counter++;
        spin_unlock();
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
