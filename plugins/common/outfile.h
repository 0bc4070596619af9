/* The files a plugin opens when QEMU installs it, all or none: a plugin
 * refused for one path it cannot open leaves the others as they were (an
 * existing trace is not emptied, no new empty file is left behind). */
#ifndef TCGTRACE_OUTFILE_H
#define TCGTRACE_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>

struct outfile {
    const char *path;
    int fd;       /* set by outfile_open_all */
    bool created; /* by outfile_open_all: removed again if another fails */
};

/* Opens each path for writing, with flags added (O_APPEND), creating what
 * does not exist; once all are open, empties the regular files among them.
 * On a failure closes them all, removes those it created, prints
 * "PLUGIN: cannot open 'PATH': ERROR" on standard error and returns -1;
 * else 0. */
int outfile_open_all(const char *plugin, struct outfile *files, size_t n, int flags);

#endif
