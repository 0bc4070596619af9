/* POSIX asynchronous I/O: glibc runs each request on a helper thread of
 * its own, which updates the program's aiocb (on main's stack) under the
 * C library's own lock while main waits in aio_suspend and reads the
 * result with aio_error and aio_return. No race of the program's: the
 * helper runs none of its code (docs/races.md, "Races left out"). */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    int fd = open(argv[0], O_RDONLY);
    char *buf = malloc(4096);
    if (fd < 0 || !buf)
        return 1;
    long total = 0;
    for (int round = 0; round < 4; round++) {
        struct aiocb cb;
        memset(&cb, 0, sizeof cb);
        cb.aio_fildes = fd;
        cb.aio_buf = buf;
        cb.aio_nbytes = 4096;
        cb.aio_offset = 4096 * round;
        if (aio_read(&cb))
            return 2;
        const struct aiocb *list[1] = { &cb };
        while (aio_error(&cb) == EINPROGRESS)
            aio_suspend(list, 1, NULL);
        ssize_t n = aio_return(&cb);
        for (ssize_t i = 0; i < n; i++)
            total += (unsigned char)buf[i];
    }
    printf("read, sum %ld\n", total);
    free(buf);
    close(fd);
    return 0;
}
