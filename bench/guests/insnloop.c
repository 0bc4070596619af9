/* Instruction-bound single-threaded benchmark guest: insnloop N.
 * N iterations of integer mixing (xorshift, multiply, rotate, a branch)
 * with one load from a small table per iteration: about 12 instructions
 * each, mostly register work, so the cost of tracing is per instruction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t table[256];

__attribute__((noinline)) static uint64_t mix(long n, uint64_t x)
{
    uint64_t acc = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += table[x & 255] ^ (x * 0x9e3779b97f4a7c15ull);
        if (acc & 1)
            acc = (acc << 5) | (acc >> 59);
    }
    return acc;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    for (int i = 0; i < 256; i++)
        table[i] = (uint32_t)i * 2246822519u;
    printf("insnloop %ld %016llx\n", n, (unsigned long long)mix(n, 88172645463325252ull));
    return 0;
}
