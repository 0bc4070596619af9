/* Heap blocks in race reports (tests/integration/races_heap.t).
 *
 *   race_heap          a node that make_node mallocs in main is updated by
 *                      two threads without a lock (they meet at a barrier
 *                      first): a race on a heap block of size 24, allocated
 *                      by the main thread in make_node
 *   race_heap reuse    two threads take blocks from every allocator function
 *                      (malloc, calloc, realloc, reallocarray,
 *                      posix_memalign, aligned_alloc, memalign, valloc),
 *                      fill and free them; one arena and blocks too big for
 *                      the per-thread cache make a block one thread frees
 *                      the other's next: no race
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    long key;
    long value;
    struct node *next;
};

static pthread_barrier_t start;

__attribute__((noinline)) struct node *make_node(long key)
{
    struct node *n = malloc(sizeof *n);
    if (n)
        *n = (struct node){ .key = key };
    return n;
}

static void *bump(void *arg)
{
    struct node *n = arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < 100; i++) {
        n->value++;
        __asm__ volatile("" ::: "memory");
    }
    return NULL;
}

static int racy(void)
{
    struct node *n = make_node(7);
    if (!n)
        return 1;
    pthread_t t[2];
    pthread_barrier_init(&start, NULL, 2);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, bump, n);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("node %ld bumped by 2 threads\n", n->key);
    free(n);
    return 0;
}

/* Here, not above: races_heap.t and docs/races.md quote the racy part's
 * line numbers. */
#include "heap_churn.h"

#define SIZE 2048 /* beyond glibc's per-thread cache (1032 bytes) */
static int rounds = 40;

/* A block from allocator function number i % 8. */
static unsigned char *take(int i)
{
    void *p = NULL;
    switch (i % 8) {
    case 0: return malloc(SIZE);
    case 1: return calloc(SIZE / 8, 8);
    case 2: return realloc(malloc(SIZE / 2), SIZE);
    case 3: return reallocarray(NULL, SIZE / 4, 4);
    case 4: return posix_memalign(&p, 64, SIZE) ? NULL : p;
    case 5: return aligned_alloc(64, SIZE);
    case 6: return memalign(128, SIZE);
    default: return valloc(SIZE);
    }
}

static int reuse(void)
{
    long bad = churn(take, SIZE, rounds);
    printf("corrupted %ld\n", bad);
    return bad != 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "reuse"))
        return reuse();
    return racy();
}
