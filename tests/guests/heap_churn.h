/* Two threads take heap blocks, fill, check and free them, with nothing
 * between them but the allocator: one arena and blocks too big for glibc's
 * per-thread cache (1032 bytes) make it hand each block one thread frees
 * to the other's next allocation, under the arena lock. No data race. */
#include <malloc.h>
#include <pthread.h>
#include <string.h>

struct churn {
    unsigned char *(*take)(int round); /* a block of size bytes, or NULL */
    size_t size;
    int rounds;
    long me; /* the byte the thread fills its blocks with */
};

static void *churn_thread(void *arg)
{
    const struct churn *c = arg;
    long bad = 0;
    for (int r = 0; r < c->rounds; r++) {
        unsigned char *p = c->take(r);
        if (!p)
            return (void *)1;
        memset(p, (int)c->me, c->size);
        for (size_t i = 0; i < c->size; i += 97)
            bad += p[i] != c->me;
        free(p);
    }
    return (void *)bad;
}

/* The blocks found corrupted (or not taken) by two churning threads. */
static long churn(unsigned char *(*take)(int round), size_t size, int rounds)
{
    mallopt(M_ARENA_MAX, 1);
    struct churn c[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        c[i] = (struct churn){ take, size, rounds, i + 1 };
        pthread_create(&t[i], NULL, churn_thread, &c[i]);
    }
    long bad = 0;
    for (int i = 0; i < 2; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        bad += (long)ret;
    }
    return bad;
}
