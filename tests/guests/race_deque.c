/* A Chase-Lev work-stealing deque (Lê, Pop, Cohen, Zappa Nardelli, PPoPP
 * 2013, the C11 version): the owner pushes tasks written just before and
 * takes them back, two thieves steal them, each task's square computed once.
 * Correct C11: no race. Built with -O0 too, where the owner's relaxed loads
 * and stores of top and bottom are plain and far between its sync events:
 * the owner and a thief each waited for the other's store, and the one
 * that went first without its store lost the task's publication (a false
 * report in 15 of 24 recordings, docs/races.md). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define SIZE 4096
#define ROUNDS 3
#define TASKS 1000

struct task {
    long in, out;
};

static struct {
    atomic_long top, bottom;
    _Atomic(struct task *) buf[SIZE];
} dq;
static atomic_int done;

/* The owner's end. */
static void push(struct task *x)
{
    long b = atomic_load_explicit(&dq.bottom, memory_order_relaxed);
    long t = atomic_load_explicit(&dq.top, memory_order_acquire);
    if (b - t > SIZE - 1)
        abort();
    atomic_store_explicit(&dq.buf[b % SIZE], x, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&dq.bottom, b + 1, memory_order_relaxed);
}

static struct task *take(void)
{
    long b = atomic_load_explicit(&dq.bottom, memory_order_relaxed) - 1;
    atomic_store_explicit(&dq.bottom, b, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    long t = atomic_load_explicit(&dq.top, memory_order_relaxed);
    struct task *x = NULL;
    if (t <= b) {
        x = atomic_load_explicit(&dq.buf[b % SIZE], memory_order_relaxed);
        if (t == b) {
            if (!atomic_compare_exchange_strong_explicit(&dq.top, &t, t + 1, memory_order_seq_cst,
                                                         memory_order_relaxed))
                x = NULL;
            atomic_store_explicit(&dq.bottom, b + 1, memory_order_relaxed);
        }
    } else {
        atomic_store_explicit(&dq.bottom, b + 1, memory_order_relaxed);
    }
    return x;
}

/* The thieves' end: NULL when empty or lost to another. */
static struct task *steal(void)
{
    long t = atomic_load_explicit(&dq.top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    long b = atomic_load_explicit(&dq.bottom, memory_order_acquire);
    if (t >= b)
        return NULL;
    struct task *x = atomic_load_explicit(&dq.buf[t % SIZE], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&dq.top, &t, t + 1, memory_order_seq_cst, memory_order_relaxed))
        return NULL;
    return x;
}

static void run(struct task *x)
{
    x->out = x->in * x->in;
}

static void *thief(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&done, memory_order_acquire)) {
        struct task *x = steal();
        if (x)
            run(x);
    }
    return NULL;
}

int main(void)
{
    static struct task tasks[ROUNDS * TASKS];
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, thief, NULL);
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < TASKS; i++) {
            struct task *x = &tasks[r * TASKS + i];
            x->in = i;
            push(x);
        }
        struct task *x;
        while ((x = take()))
            run(x);
    }
    atomic_store_explicit(&done, 1, memory_order_release);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    long sum = 0;
    for (int i = 0; i < ROUNDS * TASKS; i++)
        sum += tasks[i].out;
    printf("%ld\n", sum);
    return 0;
}
