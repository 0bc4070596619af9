/* OpenMP taskloop: in each of ROUNDS parallel regions one thread's
 * taskloop fills an array in 40 tasks, run by the team's threads, and that
 * thread then reads the array back: the taskloop's implicit taskgroup
 * waits for its tasks, so this is correct OpenMP and no race. With gcc's
 * libgomp on x86_64 the reads were reported: the taskgroup's count of
 * children, loaded on GOMP_taskgroup_end's fast path, had been 0 when the
 * group began too (docs/races.md). `omp_taskloop race` also adds each
 * element, inside the loop, into a shared sum with no reduction, in two
 * tasks made to meet first so that they overlap: that race is reported. */
#include <stdio.h>
#include <string.h>

#define N 4000
#define ROUNDS 16

static long a[N], sum;
static int met;

int main(int argc, char **argv)
{
    int racy = argc > 1 && !strcmp(argv[1], "race");
    long check = 0;
    for (int r = 0; r < ROUNDS; r++) {
#pragma omp parallel num_threads(3)
#pragma omp single
        {
#pragma omp taskloop num_tasks(racy ? 2 : 40)
            for (int i = 0; i < N; i++) {
                if (racy && i % (N / 2) == 0) {
                    __atomic_add_fetch(&met, 1, __ATOMIC_ACQ_REL);
                    while (__atomic_load_n(&met, __ATOMIC_ACQUIRE) < 2 * (r + 1))
                        ;
                }
                a[i] = (long)i * r;
                if (racy)
                    sum += a[i];
            }
            for (int i = 0; i < N; i++)
                check += a[i];
        }
    }
    printf("%ld %ld\n", sum, check);
    return 0;
}
