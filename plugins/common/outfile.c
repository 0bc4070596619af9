/* Opening a plugin's output files all or none: see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The outputs until the guest starts (outfile_open_all). */
static const struct outfile *pending;
static size_t npending;

static void abandon(void)
{
    for (size_t i = 0; i < npending; i++)
        if (pending[i].created)
            unlink(pending[i].path);
    npending = 0;
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
    /* From a shared object, atexit runs at its unloading too (glibc's
     * __cxa_atexit with the object's handle): a plugin refused after this
     * removes what it created. */
    static bool registered;
    if (!registered && atexit(abandon) == 0)
        registered = true;
    pending = files;
    npending = n;
    return 0;
}

void outfile_start(void)
{
    struct stat st;
    for (size_t i = 0; i < npending; i++)
        if (pending[i].fd >= 0 && fstat(pending[i].fd, &st) == 0 && S_ISREG(st.st_mode) &&
            ftruncate(pending[i].fd, 0) != 0) {
            /* Not for a regular file open for writing. */
        }
    npending = 0;
}
