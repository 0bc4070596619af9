/* Threads add to a counter under a spinlock taken by compare-and-swap (x86
 * lock cmpxchg, aarch64 casa or ldaxr/stxr, riscv lr.w.aq/sc.w) and
 * released by a C11 release store: no data race. */
#include <sched.h>

#include "spin_counter.h"

static void spin_lock(void)
{
    int expected = 0;
    while (!atomic_compare_exchange_weak_explicit(&lock, &expected, 1, memory_order_acquire,
                                                  memory_order_relaxed)) {
        expected = 0;
        sched_yield();
    }
}
