/* Compare-and-swaps that fail and succeed, once the guest has a second
 * thread (QEMU then runs atomics through its parallel helpers, whose store
 * callback gets the operand even when the comparison fails). Prints the
 * word's address, then its values: memtrace must record 3 (a failed
 * cmpxchg keeps it) and 9. */
#include <pthread.h>
#include <stdio.h>

static volatile long word;
static pthread_barrier_t both;

static void *idle(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&both); /* alive while main swaps */
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&both, NULL, 2);
    if (pthread_create(&t, NULL, idle, NULL))
        return 1;
    word = 3;
    long failed = __sync_val_compare_and_swap(&word, 5, 7);
    long done = __sync_val_compare_and_swap(&word, 3, 9);
    printf("%p %ld %ld %ld\n", (void *)&word, failed, done, word);
    pthread_barrier_wait(&both);
    pthread_join(t, NULL);
    return 0;
}
