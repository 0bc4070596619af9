/* OpenMP parallel for summing (back to front, as omp_reduction) into a
 * shared variable without a reduction clause: a data race on `sum`, and
 * only there (the printed sum may be short). */
#include <stdio.h>
#include <stdlib.h>

#define N 3000
static long a[N];
long sum;

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 3;
#pragma omp parallel for num_threads(threads)
    for (int i = 0; i < N; i++)
        a[i] = 2L * i;
#pragma omp parallel for num_threads(threads)
    for (int i = 0; i < N; i++)
        sum += a[N - 1 - i];
    printf("summed %d elements\n", N);
    return 0;
}
