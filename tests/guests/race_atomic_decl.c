/* Atomics no atomic instruction touches: a C11 double-checked
 * initialisation through an _Atomic pointer (an acquire load on the fast
 * path, a release store under the mutex: plain movs on x86_64), and a
 * progress counter in a struct, stored and loaded relaxed (plain loads
 * and stores on every guest) while its writer runs, and a function-local
 * static one, which worker ran last, read so too, and an array of 8 KiB
 * of atomic slots, stored and loaded relaxed as well (objects over 4 KiB
 * were left out: a work-stealing deque's array of task pointers raced at
 * -O0, docs/races.md). C11 makes none of them a
 * data race; only the program's debug information says these objects are
 * atomic (analysis/atomicobj.h). Usage: race_atomic_decl [THREADS]. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct config {
    int a, b;
};

static _Atomic(struct config *) config;
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    long runs;               /* plain: the main thread's alone */
    atomic_long progress[2]; /* relaxed, read by the main thread */
} status;

static atomic_long slots[1024];

static const struct config *get_config(void)
{
    struct config *c = atomic_load_explicit(&config, memory_order_acquire);
    if (c)
        return c;
    pthread_mutex_lock(&config_lock);
    c = atomic_load_explicit(&config, memory_order_relaxed);
    if (!c) {
        c = malloc(sizeof *c);
        c->a = 6;
        c->b = 7;
        atomic_store_explicit(&config, c, memory_order_release);
    }
    pthread_mutex_unlock(&config_lock);
    return c;
}

/* Work of a thread's own, long enough for worker 0 to have published the
 * configuration: the others' first call takes the fast path. */
static long busy(long n)
{
    volatile long x = 0;
    for (long i = 0; i < n; i++)
        x += i;
    return x;
}

/* A function-local static atomic: which worker ran last. */
static atomic_long *last_worker(void)
{
    static atomic_long last;
    return &last;
}

static void *worker(void *arg)
{
    long id = (long)arg, sum = 0;
    atomic_store_explicit(last_worker(), id, memory_order_relaxed);
    if (id > 0)
        sum = busy(20000) & 1;
    for (long i = 1; i <= 500; i++) {
        const struct config *c = get_config();
        sum += c->a * c->b;
        if (id < 2)
            atomic_store_explicit(&status.progress[id], i, memory_order_relaxed);
        if (id == 0)
            atomic_store_explicit(&slots[i], i, memory_order_relaxed);
    }
    return (void *)sum;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (n < 2 || n > 16)
        n = 4;
    pthread_t t[16];
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    /* One look at each counter while the workers run: no loop over one
     * location that a spin could be taken for. */
    status.runs = busy(10000) & 1;
    /* The slot first: on x86_64 a load of progress acquires (TSO) what
     * worker 0 stored before it, slots included. */
    long slot = atomic_load_explicit(&slots[300], memory_order_relaxed);
    long seen = slot + atomic_load_explicit(&status.progress[0], memory_order_relaxed) +
                atomic_load_explicit(&status.progress[1], memory_order_relaxed) +
                atomic_load_explicit(last_worker(), memory_order_relaxed);
    long total = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (long)r;
    }
    printf("%d threads, total %ld, progress seen %s\n", n, total, seen >= 0 ? "yes" : "no");
    return 0;
}
