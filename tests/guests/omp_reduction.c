/* OpenMP parallel for: the team fills an array (disjoint elements), then
 * sums it back to front with a reduction clause, so each thread reads what
 * others wrote before the barrier between the loops: no data race. */
#include <stdio.h>
#include <stdlib.h>

#define N 3000
static long a[N];

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 3;
    long sum = 0;
#pragma omp parallel for num_threads(threads)
    for (int i = 0; i < N; i++)
        a[i] = 2L * i;
#pragma omp parallel for num_threads(threads) reduction(+ : sum)
    for (int i = 0; i < N; i++)
        sum += a[N - 1 - i];
    printf("sum %ld (expected %ld)\n", sum, (long)N * (N - 1));
    return 0;
}
