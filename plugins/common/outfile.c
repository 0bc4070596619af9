/* Opening a plugin's output files all or none: see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static int open_one(struct outfile *f, int flags)
{
    flags |= O_WRONLY | O_CLOEXEC;
    f->created = true;
    f->fd = open(f->path, flags | O_CREAT | O_EXCL, 0666);
    if (f->fd < 0 && errno == EEXIST) {
        f->created = false;
        f->fd = open(f->path, flags);
    }
    return f->fd;
}

int outfile_open_all(const char *plugin, struct outfile *files, size_t n, int flags)
{
    for (size_t i = 0; i < n; i++) {
        if (open_one(&files[i], flags) >= 0)
            continue;
        fprintf(stderr, "%s: cannot open '%s': %s\n", plugin, files[i].path, strerror(errno));
        while (i--) {
            close(files[i].fd);
            if (files[i].created)
                unlink(files[i].path);
        }
        return -1;
    }
    return 0;
}

void outfile_start(const struct outfile *files, size_t n)
{
    struct stat st;
    for (size_t i = 0; i < n; i++)
        if (files[i].fd >= 0 && fstat(files[i].fd, &st) == 0 && S_ISREG(st.st_mode) &&
            ftruncate(files[i].fd, 0) != 0) {
            /* Not for a regular file open for writing. */
        }
}

void outfile_abandon(const struct outfile *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (files[i].created)
            unlink(files[i].path);
}
