/* Threads add to a counter under a test-and-test-and-set spinlock built on
 * atomic exchange (x86 xchg, aarch64 swpa or ldaxr/stxr, riscv
 * amoswap.w.aq) and released by a C11 release store (x86 mov, aarch64
 * stlr, riscv fence rw,w + sw): no data race. */
#include <sched.h>

#include "spin_counter.h"

static void spin_lock(void)
{
    while (atomic_exchange_explicit(&lock, 1, memory_order_acquire))
        while (atomic_load_explicit(&lock, memory_order_relaxed))
            sched_yield();
}
