/* Messages in heap blocks, each published by a producer thread with a C11
 * release store of its _Atomic `ready` member, and read by main once an
 * acquire load of it sees 1. Correct C11, no race. main polls between runs
 * of other work (too much for a spin), so nothing but the declared type
 * says `ready` is atomic: on x86_64 the store and the load are plain
 * `mov`s (on arm64 stlr and ldar, on riscv64 fenced). The pointer each
 * block is allocated into names the struct: one message, returned by a
 * function inlined into main into main's pointer (in the return register
 * after the call), then an array of them, into a pointer declared on the
 * call's line, then one into a pointer declared before. Built with -O0
 * too (its own build directory): new_msg is not inlined, nor kept in a
 * register, and the last pointer lives in its stack slot.
 *
 * race_heap_atomic plain: the same with a volatile int flag, no atomics:
 * races on `ready` and on the data (reported). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NMSG 4

struct msg {
    long data[8];
    atomic_int ready;
};

struct plain_msg {
    long data[8];
    volatile int ready;
};

static long scratch[128]; /* main's work between two polls */

static void work(void)
{
    for (int i = 0; i < 128; i++)
        scratch[i] += i;
}

static struct msg *one, *many, *last; /* set before the producer starts */

static void publish(struct msg *m, int k)
{
    for (int i = 0; i < 8; i++)
        m->data[i] = k * 8 + i;
    atomic_store_explicit(&m->ready, 1, memory_order_release);
}

static void *produce(void *arg)
{
    (void)arg;
    publish(one, 0);
    for (int k = 0; k < NMSG; k++)
        publish(&many[k], k + 1);
    publish(last, NMSG + 1);
    return NULL;
}

static void *produce_plain(void *arg)
{
    struct plain_msg *m = arg;
    for (int i = 0; i < 8; i++)
        m->data[i] = i;
    m->ready = 1;
    return NULL;
}

/* Called once: gcc inlines it into main. */
static struct msg *new_msg(void)
{
    return calloc(1, sizeof(struct msg));
}

static long consume(struct msg *m)
{
    long sum = 0;
    while (!atomic_load_explicit(&m->ready, memory_order_acquire))
        work();
    for (int i = 0; i < 8; i++)
        sum += m->data[i];
    return sum;
}

int main(int argc, char **argv)
{
    pthread_t t;
    long sum = 0;
    if (argc > 1 && !strcmp(argv[1], "plain")) {
        struct plain_msg *p = calloc(1, sizeof *p);
        if (!p || pthread_create(&t, NULL, produce_plain, p))
            return 1;
        while (!p->ready)
            work();
        for (int i = 0; i < 8; i++)
            sum += p->data[i];
        pthread_join(t, NULL);
        free(p);
    } else {
        struct msg *m = new_msg(), *l;
        struct msg *ms = calloc(NMSG, sizeof *ms);
        l = calloc(1, sizeof *l);
        if (!m || !ms || !l)
            return 1;
        one = m;
        many = ms;
        last = l;
        if (pthread_create(&t, NULL, produce, NULL))
            return 1;
        sum += consume(one);
        for (int k = 0; k < NMSG; k++)
            sum += consume(&many[k]);
        sum += consume(last);
        pthread_join(t, NULL);
        free(m);
        free(ms);
        free(l);
    }
    printf("sum %ld\n", sum);
    return 0;
}
