/* Preloaded into QEMU by robust_end.t: holds a vCPU inside a plugin's
 * syscall-return callback. The first readlink(2) whose answer names a file
 * whose name holds "slowmap" (procrec reads a mapped file's name at mmap's
 * return) creates $SLOW_READLINK_FLAG, which tells the guest's other
 * thread to end the process, then returns 0.5 s later. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void hold(const char *buf, ssize_t n)
{
    static atomic_bool done;
    const char *flag = getenv("SLOW_READLINK_FLAG");
    if (n <= 0 || !flag || !memmem(buf, (size_t)n, "slowmap", 7) || atomic_exchange(&done, true))
        return;
    int fd = open(flag, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0)
        close(fd);
    nanosleep(&(struct timespec){ .tv_nsec = 500000000 }, NULL);
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t size)
{
    static ssize_t (*real)(const char *restrict, char *restrict, size_t);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "readlink");
    ssize_t n = real(path, buf, size);
    hold(buf, n);
    return n;
}

/* The same, where _FORTIFY_SOURCE made the call this one. */
ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
    (void)buflen;
    return readlink(path, buf, size);
}
