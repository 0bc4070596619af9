/* A single-threaded loop for execlog's speed measurements: argv[1]
 * iterations (default 10 million) of a few instructions, one load and one
 * store each, so that the trace has the line mix of ordinary code. */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long cells[64];

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    unsigned long x = 1;
    for (long i = 0; i < n; i++) {
        x = x * 5 + cells[i & 63];
        cells[(i + 1) & 63] = x;
    }
    printf("spin %ld %lu\n", n, x & 0xffff);
    return 0;
}
