/* Every way a traced program ends (tests/integration/robust_end.t). Each
 * mode first stores and loads memory (work), then stores MARKER to `marker`
 * (the test looks for that store in the trace: what happened just before
 * the end was recorded), then ends:
 *   exit N          main returns N
 *   work N          N iterations of work more, then returns 0
 *   thread-exit N   a second thread calls exit_group(N) while main waits
 *   segv            main stores through a null pointer
 *   segv-thread     a second thread does, while main waits
 *   abort           abort()
 *   execve PATH     execv(PATH), which runs outside QEMU's tracing
 *   execve-busy PATH  as execve, while a second thread works without end;
 *                   it stored BUSY to `busy` first
 *   execve-idle PATH  as execve, while a second thread, which stored BUSY
 *                   to `busy`, loops on registers alone (it records
 *                   nothing more: memtrace cannot take its buffer)
 *   spin            works forever, a little at a time (the test kills
 *                   QEMU once a few chunks are out)
 *   map-exit FILE FLAG  main maps FILE (an ELF file) while a second thread,
 *                   once FLAG exists, calls exit_group(4): the test's QEMU
 *                   creates FLAG from inside main's mmap-return callback
 *   close-all FILE  closes every descriptor from 3 up, as daemons do,
 *                   opens FILE (it gets the lowest number free: the
 *                   trace's before), works, writes "guest\n" to it
 *   unlink FILE     removes FILE (the test's trace), then works
 *   signals N       N threads, each interrupted by SIGUSR1 once; the
 *                   handler runs on the thread's own stack and vCPU and
 *                   stores to its own slot; prints the handler's and the
 *                   slots' addresses */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MARKER 0x5eed
#define BUSY 0xb05e
#define MAX_THREADS 64

static volatile long cells[64];
volatile int marker;
volatile int busy;
static volatile int slot[MAX_THREADS];
static volatile sig_atomic_t handled[MAX_THREADS];
static __thread int self;
static int ready;

static void work(long n)
{
    for (long i = 0; i < n; i++)
        cells[i & 63] += i;
}

static void *exit_group_thread(void *arg)
{
    work(1000);
    marker = MARKER;
    syscall(SYS_exit_group, (int)(long)arg);
    return NULL;
}

static void *segv_thread(void *arg)
{
    (void)arg;
    work(1000);
    marker = MARKER;
    *(volatile int *)(uintptr_t)arg = 1;
    return NULL;
}

/* map-exit's second thread: the process ends while main is in a callback
 * of the plugin. */
static void *exit_when(void *flag)
{
    while (access(flag, F_OK) != 0)
        usleep(1000);
    syscall(SYS_exit_group, 4);
    return NULL;
}

/* The second thread of execve-busy (arg 0) and execve-idle (arg 1). */
static void *busy_thread(void *arg)
{
    busy = BUSY;
    work(100);
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    if (!arg)
        for (;;)
            work(1000);
    for (unsigned long x = 1;; x = x * 6364136223846793005UL + 1)
        __asm__ volatile("" : "+r"(x));
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
    slot[self] = self + 1;
    handled[self] = 1;
}

static void *signalled(void *arg)
{
    self = (int)(long)arg;
    /* Ready for the signal only once the handler can tell who it runs on. */
    __atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
    work(100);
    while (!handled[self])
        usleep(1000);
    return NULL;
}

static int signals(int n)
{
    pthread_t t[MAX_THREADS];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    if (n < 1 || n >= MAX_THREADS || sigaction(SIGUSR1, &sa, NULL))
        return 2;
    for (int i = 1; i <= n; i++)
        if (pthread_create(&t[i], NULL, signalled, (void *)(long)i))
            return 2;
    while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < n)
        usleep(1000);
    for (int i = 1; i <= n; i++)
        pthread_kill(t[i], SIGUSR1);
    for (int i = 1; i <= n; i++)
        pthread_join(t[i], NULL);
    /* And the main thread's own. */
    raise(SIGUSR1);
    printf("handler %p slots %p\n", (void *)on_usr1, (void *)slot);
    for (int i = 0; i <= n; i++)
        if (slot[i] != i + 1)
            return 3;
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "exit";
    int arg = argc > 2 ? atoi(argv[2]) : 0;
    pthread_t t;
    if (!strcmp(mode, "signals"))
        return signals(arg);
    work(2000);
    if (!strcmp(mode, "thread-exit")) {
        pthread_create(&t, NULL, exit_group_thread, (void *)(long)arg);
        pthread_join(t, NULL);
        return 99; /* not reached: the thread ended the process */
    }
    if (!strcmp(mode, "map-exit") && argc > 3) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0 || pthread_create(&t, NULL, exit_when, argv[3]))
            return 2;
        mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        for (;;)
            pause();
    }
    if (!strcmp(mode, "close-all") && argc > 2) {
        syscall(SYS_close_range, 3u, ~0u, 0u);
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        work(20000);
        if (fd < 0 || write(fd, "guest\n", 6) != 6)
            return 2;
    }
    if (!strcmp(mode, "unlink") && argc > 2) {
        if (unlink(argv[2]) != 0)
            return 2;
        work(2000);
    }
    if (!strcmp(mode, "segv-thread")) {
        pthread_create(&t, NULL, segv_thread, NULL);
        pthread_join(t, NULL);
        return 99;
    }
    if (!strcmp(mode, "work"))
        work(arg);
    if (!strcmp(mode, "spin"))
        for (;;) {
            work(20000);
            usleep(200);
        }
    marker = MARKER;
    fflush(stdout);
    if (!strcmp(mode, "segv"))
        *(volatile int *)(uintptr_t)(argc - argc) = 1;
    if (!strcmp(mode, "abort"))
        abort();
    if (!strncmp(mode, "execve", 6) && argc > 2) {
        if (mode[6]) {
            pthread_create(&t, NULL, busy_thread, (void *)(long)!strcmp(mode, "execve-idle"));
            while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
                usleep(100);
        }
        execv(argv[2], argv + 2);
        return 98;
    }
    return strcmp(mode, "exit") ? 0 : arg;
}
