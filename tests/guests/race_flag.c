/* C11 release/acquire hand-off: a writer and a reader take turns, each
 * publishing with a release store and waiting with an acquire load in a
 * loop (plain movs on x86_64; stlr/ldar on aarch64; fences around sw/lw on
 * riscv64). The plain `data` passes between them: no data race. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int flag, ack;
static int data;
static int rounds = 200;

static void wait_for(atomic_int *v, int value)
{
    while (atomic_load_explicit(v, memory_order_acquire) != value)
        sched_yield();
}

static void *writer(void *arg)
{
    (void)arg;
    for (int r = 1; r <= rounds; r++) {
        wait_for(&ack, r - 1);
        data = 7 * r;
        atomic_store_explicit(&flag, r, memory_order_release);
    }
    return NULL;
}

static void *reader(void *arg)
{
    long *sum = arg;
    for (int r = 1; r <= rounds; r++) {
        wait_for(&flag, r);
        *sum += data;
        atomic_store_explicit(&ack, r, memory_order_release);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atoi(argv[1]);
    long sum = 0;
    pthread_t w, r;
    pthread_create(&r, NULL, reader, &sum);
    pthread_create(&w, NULL, writer, NULL);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    printf("sum %ld (expected %ld)\n", sum, 7L * rounds * (rounds + 1) / 2);
    return 0;
}
