/* Callbacks held off the plugin's exit: see exitguard.h. */
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <time.h>

#include "exitguard.h"

/* Callbacks under way, counted per vCPU (vCPUs SLOTS apart share a count):
 * a lock-bound guest makes tens of thousands of system calls a second
 * from every thread, and one shared count would bounce its cache line
 * between them at each. */
#define SLOTS 256
static struct {
    alignas(64) atomic_uint busy;
} slots[SLOTS];
static atomic_bool ended;

/* The thread that forks is in no callback (QEMU forks between the syscall
 * and syscall-return ones): the callbacks counted were other threads',
 * which the child does not have. */
static void forked_child(void)
{
    for (unsigned i = 0; i < SLOTS; i++)
        atomic_store(&slots[i].busy, 0);
}

void exitguard_init(void)
{
    pthread_atfork(NULL, NULL, forked_child);
}

/* Sequentially consistent, as exitguard_end is: either it sees this
 * callback under way, or this callback sees the end. */
bool exitguard_enter(unsigned vcpu)
{
    atomic_uint *busy = &slots[vcpu % SLOTS].busy;
    atomic_fetch_add(busy, 1);
    if (!atomic_load(&ended))
        return true;
    atomic_fetch_sub(busy, 1);
    return false;
}

void exitguard_leave(unsigned vcpu)
{
    atomic_fetch_sub(&slots[vcpu % SLOTS].busy, 1);
}

static bool any_busy(void)
{
    for (unsigned i = 0; i < SLOTS; i++)
        if (atomic_load(&slots[i].busy))
            return true;
    return false;
}

/* Long enough for a callback whose thread another process keeps off the
 * CPU (a loaded machine). */
#define WAIT_MS 1000

void exitguard_end(void)
{
    atomic_store(&ended, true);
    /* A callback under way waits for nothing but the writer: a free
     * buffer, or the end of a seal (another thread's execve). A seal whose
     * execve fails now ends no more (QEMU has unregistered the
     * syscall-return callback): after WAIT_MS the exit goes on, and
     * tt_writer_close lifts the seal, as before. */
    for (int ms = 0; any_busy() && ms < WAIT_MS; ms++)
        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
}
