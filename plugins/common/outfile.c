/* Opening a plugin's output files all or none: see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static const char *plugin_name;

static int open_one(struct outfile *f, int flags)
{
    flags |= O_WRONLY | O_CLOEXEC;
    f->unnamed = f->created = false;
    f->fd = open(f->path, flags);
    if (f->fd >= 0 || errno != ENOENT)
        return f->fd;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", f->path);
    f->fd = open(dirname(dir), flags | O_TMPFILE, 0666);
    if (f->fd >= 0) {
        f->unnamed = true;
        return f->fd;
    }
    /* A file system without O_TMPFILE (EOPNOTSUPP, EISDIR from older
     * kernels): created now, removed at exit if the guest never starts.
     * Other errors (no such directory, no permission) are the path's. */
    if (errno != EOPNOTSUPP && errno != EISDIR)
        return -1;
    f->created = true;
    f->fd = open(f->path, flags | O_CREAT | O_EXCL, 0666);
    if (f->fd < 0 && errno == EEXIST) {
        f->created = false;
        f->fd = open(f->path, flags);
    }
    return f->fd;
}

/* The outputs until the guest starts (outfile_open_all). */
static struct outfile *pending;
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
    plugin_name = plugin;
    pending = files;
    npending = n;
    return 0;
}

/* Gives an unnamed file its path. If the name was taken meanwhile, or
 * /proc is missing, the path is opened instead, on the same fd. */
static void name_file(struct outfile *f)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, f->path, AT_SYMLINK_FOLLOW) == 0)
        return;
    int flags = fcntl(f->fd, F_GETFL);
    int fd = open(f->path, (flags >= 0 ? flags & O_APPEND : 0) | O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || dup3(fd, f->fd, O_CLOEXEC) < 0)
        fprintf(stderr, "%s: cannot create '%s': %s: nothing is written there\n", plugin_name, f->path,
                strerror(errno));
    if (fd >= 0)
        close(fd);
}

void outfile_start(void)
{
    struct stat st;
    for (size_t i = 0; i < npending; i++) {
        struct outfile *f = &pending[i];
        if (f->unnamed)
            name_file(f);
        else if (f->fd >= 0 && fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(f->fd, 0) != 0) {
            /* Not for a regular file open for writing. */
        }
    }
    npending = 0;
}
