/* The race_spin_* guests: threads add to a counter under a spinlock that
 * each guest takes its own way (its spin_lock(), defined after including
 * this) and that a C11 release store releases (x86 mov, aarch64 stlr,
 * riscv fence rw,w + sw): no data race. */
#ifndef SPIN_COUNTER_H
#define SPIN_COUNTER_H

#include <stdatomic.h>

#include "counter_threads.h"

static atomic_int lock;
static long counter;
static long iterations = 300;

static void spin_lock(void);

static void spin_unlock(void)
{
    atomic_store_explicit(&lock, 0, memory_order_release);
}

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < iterations; i++) {
        spin_lock();
        counter++;
        spin_unlock();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    return counter_main(argc, argv, worker, &iterations, &counter);
}

#endif
