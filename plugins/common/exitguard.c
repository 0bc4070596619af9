/* Callbacks held off the plugin's exit: see exitguard.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "exitguard.h"

static atomic_uint busy; /* callbacks under way */
static atomic_bool ended;

/* The thread that forks is in no callback (QEMU forks between the syscall
 * and syscall-return ones): the callbacks counted were other threads',
 * which the child does not have. */
static void forked_child(void)
{
    atomic_store(&busy, 0);
}

void exitguard_init(void)
{
    pthread_atfork(NULL, NULL, forked_child);
}

/* Sequentially consistent, as exitguard_end is: either it sees this
 * callback under way, or this callback sees the end. */
bool exitguard_enter(void)
{
    atomic_fetch_add(&busy, 1);
    if (!atomic_load(&ended))
        return true;
    atomic_fetch_sub(&busy, 1);
    return false;
}

void exitguard_leave(void)
{
    atomic_fetch_sub(&busy, 1);
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
    for (int ms = 0; atomic_load(&busy) && ms < WAIT_MS; ms++)
        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
}
