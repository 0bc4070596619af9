/* OpenMP threads clearing windows of one heap buffer with memset, each
 * window 64 bytes; they start 32 bytes apart, so neighbours overlap: a
 * data race whose both accesses are inside the C library's memset (on
 * arm64 and riscv64 a leaf, which saves no return address: the outlined
 * loop's call is found from the code). "omp_memset apart" starts them 64
 * bytes apart: no race. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOWS 64

int main(int argc, char **argv)
{
    size_t step = argc > 1 && !strcmp(argv[1], "apart") ? 64 : 32;
    /* Known only at run time: the C library's memset, not an inlined one. */
    size_t len = 64 + (size_t)(argc > 2);
    char *buf = malloc(WINDOWS * 64 + 64);
    if (!buf)
        return 1;
#pragma omp parallel for num_threads(3)
    for (int i = 0; i < WINDOWS; i++)
        memset(buf + (size_t)i * step, i, len);
    long sum = 0;
    for (size_t i = 0; i < WINDOWS * step; i++)
        sum += buf[i];
    printf("cleared %d windows %zu bytes apart\n", WINDOWS, step);
    free(buf);
    return sum < 0;
}
