/* Keeping a text trace's descriptors from the guest: see fdguard.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdguard.h"

struct guarded {
    int *fd;     /* -1 while it waits to be opened again, or could not be */
    char path[PATH_MAX];
    dev_t dev;   /* what it is open on: the file opened again must be it */
    ino_t ino;
    int error;   /* why it could not be opened again */
    bool pending;
    pthread_t owner; /* the thread whose system call closes it */
};

/* Writers read-lock; the guard write-locks to move or open one again. */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct guarded guarded[FDGUARD_MAX];
static unsigned nguarded;
static _Atomic bool any_pending;

/* A fork while a writer holds the lock would leave it held in the child.
 * There the lock is made anew: glibc knows a write lock's holder by its
 * thread id, which is another in the child. */
static void fork_prepare(void)
{
    pthread_rwlock_wrlock(&lock);
}

static void fork_parent(void)
{
    pthread_rwlock_unlock(&lock);
}

static void fork_child(void)
{
    pthread_rwlock_init(&lock, NULL);
}

void fdguard_add(int *fd, const char *path)
{
    struct stat st;
    if (nguarded == FDGUARD_MAX || *fd < 0 || fstat(*fd, &st) != 0)
        return;
    struct guarded *g = &guarded[nguarded];
    char cwd[PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        return;
    if (snprintf(g->path, sizeof g->path, "%s%s%s", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/", path) >=
        (int)sizeof g->path)
        return;
    g->fd = fd;
    g->dev = st.st_dev;
    g->ino = st.st_ino;
    if (!nguarded++)
        pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Where a moved descriptor goes: high, as the guest's next files get the
 * lowest numbers free, which they would without the plugin. */
static int high_base(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > INT_MAX)
        return 1024;
    return rl.rlim_cur > 128 ? (int)rl.rlim_cur - 64 : 3;
}

/* A copy of fd out of [lo, hi]: above it, else the highest number free
 * below it (a loop closing one by one has passed there). -1 for none. */
static int move_out(int fd, uint64_t lo, uint64_t hi)
{
    int base = high_base();
    if (hi < INT_MAX) {
        int to = fcntl(fd, F_DUPFD_CLOEXEC, hi < (uint64_t)base ? base : (int)hi + 1);
        if (to >= 0)
            return to;
    }
    int floor = lo > 4096 ? (int)(lo - 4096) : 0;
    for (int i = lo > INT_MAX ? INT_MAX : (int)lo - 1; i >= floor; i--) {
        if (fcntl(i, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* Another thread may take i first: then the lowest free above. */
        int to = fcntl(fd, F_DUPFD_CLOEXEC, i);
        if (to >= 0 && (uint64_t)to >= lo && (uint64_t)to <= hi) {
            close(to);
            to = -1;
        }
        return to;
    }
    return -1;
}

/* Opens g again (lock held), for appending: the log's end is the place,
 * whoever wrote last (a forked child shares it). */
static void reopen(struct guarded *g)
{
    struct stat st;
    int fd = open(g->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    int high = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, high_base()) : -1;
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != g->dev || st.st_ino != g->ino)) {
        close(fd);
        fd = -1;
        errno = ESTALE; /* removed or replaced meanwhile */
    }
    if (fd < 0)
        g->error = errno;
    *g->fd = fd;
    g->pending = false;
}

void fdguard_syscall(enum guest_sys sys, const uint64_t *args)
{
    uint64_t lo, hi;
    switch (sys) {
    /* The kernel takes these as unsigned int: upper bits are ignored. */
    case GSYS_CLOSE:
        lo = hi = (uint32_t)args[0];
        break;
    case GSYS_DUP2:
        if ((uint32_t)args[0] == (uint32_t)args[1])
            return; /* closes nothing */
        /* fall through */
    case GSYS_DUP3:
        lo = hi = (uint32_t)args[1];
        break;
    case GSYS_CLOSE_RANGE:
        if (args[2] & CLOSE_RANGE_CLOEXEC)
            return; /* ours are close-on-exec already */
        lo = (uint32_t)args[0];
        hi = (uint32_t)args[1];
        break;
    default:
        return;
    }
    if (!nguarded)
        return;
    pthread_rwlock_wrlock(&lock);
    for (unsigned i = 0; i < nguarded; i++) {
        struct guarded *g = &guarded[i];
        int fd = *g->fd;
        if (fd < 0 || (uint64_t)fd < lo || (uint64_t)fd > hi)
            continue;
        /* The call closes the old number. */
        int moved = move_out(fd, lo, hi);
        if (moved >= 0) {
            *g->fd = moved;
        } else {
            *g->fd = -1;
            g->pending = true;
            g->owner = pthread_self();
            atomic_store(&any_pending, true);
        }
    }
    pthread_rwlock_unlock(&lock);
}

static void settle_locked(bool mine_only)
{
    bool left = false;
    for (unsigned i = 0; i < nguarded; i++) {
        struct guarded *g = &guarded[i];
        if (g->pending && (!mine_only || pthread_equal(g->owner, pthread_self())))
            reopen(g);
        left |= g->pending;
    }
    atomic_store(&any_pending, left);
}

void fdguard_syscall_return(void)
{
    if (!atomic_load_explicit(&any_pending, memory_order_relaxed))
        return;
    pthread_rwlock_wrlock(&lock);
    settle_locked(true);
    pthread_rwlock_unlock(&lock);
}

void fdguard_settle(void)
{
    pthread_rwlock_wrlock(&lock);
    settle_locked(false);
    pthread_rwlock_unlock(&lock);
}

/* How long a writer waits for another thread's close to return. */
#define PENDING_WAIT_MS 1000

int fdguard_hold(const int *fd)
{
    const struct guarded *g = NULL;
    for (unsigned i = 0; i < nguarded && !g; i++)
        if (guarded[i].fd == fd)
            g = &guarded[i];
    for (int waited = 0;; waited++) {
        pthread_rwlock_rdlock(&lock);
        if (!g || !g->pending || waited == PENDING_WAIT_MS)
            break;
        pthread_rwlock_unlock(&lock);
        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
    }
    if (*fd < 0)
        errno = g && g->error ? g->error : EBADF;
    return *fd;
}

void fdguard_release(void)
{
    pthread_rwlock_unlock(&lock);
}
