/* Publication through an atomic read-modify-write: the producer fills
 * slot i, then counts it published with a release fetch-add (x86 lock
 * xadd, aarch64 ldaddl, riscv amoadd.w.rl); the consumer polls the count
 * with an acquire fetch-add of 0 before reading the slot: no data race. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define N 1000
static int slot[N];
static atomic_int published;
static int n = 300;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < n; i++) {
        slot[i] = 3 * i + 1;
        atomic_fetch_add_explicit(&published, 1, memory_order_release);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long *sum = arg;
    for (int i = 0; i < n; i++) {
        while (atomic_fetch_add_explicit(&published, 0, memory_order_acquire) <= i)
            sched_yield();
        *sum += slot[i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n = atoi(argv[1]);
    if (n < 1 || n > N)
        return 2;
    long sum = 0;
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, &sum);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("sum %ld (expected %ld)\n", sum, 3L * n * (n - 1) / 2 + n);
    return 0;
}
