/* Touches one word in each kind of writable memory, from 1 to 8 threads
 * (argv[1], default 2): globals (.data and .bss), the heap (malloc, a
 * calloc of several MiB that glibc serves with mmap), an anonymous mmap,
 * the main thread's stack, thread stacks and thread-local storage. It also
 * reads a read-only mapping, which a writable-memory tracer must skip.
 * Each address is printed so tests can check the trace against it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAXT 8
long data_word = 1;
long bss_word;
__thread long tls_word;
static long results[MAXT];

static void *worker(void *arg)
{
    long id = (long)arg;
    volatile long stack_word = id;
    tls_word = id;
    stack_word += tls_word;
    results[id] = stack_word;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    if (n < 1 || n > MAXT)
        return 2;
    volatile long main_stack = 3;
    long *heap = malloc(64);
    long *big = calloc(4 << 20, 1);
    long *anon = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!heap || !big || anon == MAP_FAILED || ro == MAP_FAILED)
        return 1;
    data_word++;
    bss_word = data_word;
    heap[0] = bss_word;
    big[(4 << 20) / sizeof(long) - 1] = heap[0];
    anon[100] = big[(4 << 20) / sizeof(long) - 1];
    main_stack += anon[100] + ro[10];

    pthread_t t[MAXT];
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    long sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        sum += results[i];
    }
    printf("regions threads=%d sum=%ld stack=%ld\n", n, sum, main_stack);
    free(big);
    free(heap);
    return 0;
}
