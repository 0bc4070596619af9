/* OpenMP tasks: Fibonacci numbers computed by a task per call, each parent
 * waiting in taskwait for the two children that wrote its shared
 * variables, the first task made by the master thread while the others go
 * to the region's end, where they run tasks; ROUNDS parallel regions.
 * Correct OpenMP: no race. races_cli.t builds it with clang -fopenmp
 * (LLVM's libomp) too. With gcc's libgomp on x86_64, a parent's read of a
 * child's result was reported until taskwait's fast path was found
 * (libgomp's release store and acquire load of the parent's queue of
 * children are plain movs: docs/races.md). Usage: omp_tasks [N]. */
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 32

static long fib(int n)
{
    if (n < 2)
        return n;
    long a, b;
#pragma omp task shared(a)
    a = fib(n - 1);
#pragma omp task shared(b)
    b = fib(n - 2);
#pragma omp taskwait
    return a + b;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 12;
    long sum = 0;
    for (int r = 0; r < ROUNDS; r++) {
#pragma omp parallel num_threads(3)
#pragma omp master
        {
            long f = 0;
#pragma omp task shared(f)
            f = fib(n);
#pragma omp taskwait
            sum += f;
        }
    }
    printf("%d rounds of fib(%d): %ld\n", ROUNDS, n, sum);
    return 0;
}
