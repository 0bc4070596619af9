/* Races inside a leaf function, called from several lines: two threads
 * meet at a barrier, then call add() on three counters in opposite
 * orders, with nothing between the calls. On arm64 and riscv64 add()
 * saves no return address in memory; the stack of a race must still show
 * the line of the call that touched its counter, in each thread (the
 * trace's call records, docs/format.md "Call"). */
#include <pthread.h>
#include <stdio.h>

long a, b, c;
static pthread_barrier_t start;

__attribute__((noinline)) void add(long *p)
{
    *p += 1;
}

static void *forward(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < 100; i++) {
        add(&a); /* forward a */
        add(&b); /* forward b */
        add(&c); /* forward c */
    }
    return NULL;
}

static void *backward(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < 100; i++) {
        add(&c); /* backward c */
        add(&b); /* backward b */
        add(&a); /* backward a */
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    pthread_barrier_init(&start, NULL, 2);
    pthread_create(&t[0], NULL, forward, NULL);
    pthread_create(&t[1], NULL, backward, NULL);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    puts("done");
    return 0;
}
