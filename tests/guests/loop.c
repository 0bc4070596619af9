/* Single-threaded loop with a known amount of work: N iterations (argv[1],
 * default 1000) each load one int from `src` and store one int to `dst`.
 * Tests count the accesses made by `kernel` through its code addresses. */
#include <stdio.h>
#include <stdlib.h>

#define LEN 256
int src[LEN];
int dst[LEN];

__attribute__((noinline)) void kernel(long n)
{
    for (long i = 0; i < n; i++)
        dst[i % LEN] = src[i % LEN] + 1;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (int i = 0; i < LEN; i++)
        src[i] = i;
    kernel(n);
    printf("loop %ld %d\n", n, dst[(n - 1) % LEN]);
    return 0;
}
