/* A stop flag in a heap block: a worker reads it between long runs of
 * work (too much work between two reads for a spin), main sets it once.
 * Correct C11, no race. The flag is a bool: on riscv64 GCC has no atomic
 * instruction for a byte, and compiles the seq_cst load and store as
 * plain ones between fences (fence; lbu; fence and fence; sb; fence); on
 * x86_64 the store is an xchg, on arm64 ldar and stlr. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct job {
    atomic_bool stop;
    long work[64];
    long rounds; /* the worker's alone until it returns */
};

static void *worker(void *arg)
{
    struct job *j = arg;
    while (!atomic_load(&j->stop)) {
        for (int i = 0; i < 64; i++)
            j->work[i] += i;
        j->rounds++;
    }
    return NULL;
}

int main(void)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, worker, j);
    nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
    atomic_store(&j->stop, true);
    pthread_join(t, NULL);
    printf("stopped after %s round\n", j->rounds ? "at least one" : "no");
    free(j);
    return 0;
}
