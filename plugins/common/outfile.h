/* The files a plugin opens when QEMU installs it, all or none: a plugin
 * refused for one path it cannot open leaves the others as they were (an
 * existing trace is not emptied, no new empty file is left behind). Nor
 * does a QEMU that fails after installing the plugin (no such guest
 * program): the files are emptied only once the guest starts, and those
 * created are removed again if it never does. */
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
 * does not exist. On a failure closes them all, removes those it created,
 * prints "PLUGIN: cannot open 'PATH': ERROR" on standard error and returns
 * -1; else 0, and files (which must outlive the process) are the plugin's
 * outputs: when the process exits, or the plugin is unloaded, before
 * outfile_start, those created are removed and the others left as they
 * were (a C exit handler, which also runs when QEMU unloads a plugin it
 * refused). QEMU 7.2 ends with _exit when it cannot load the program: a
 * file created is left there, empty. A caller that closes a file's fd
 * sets it to -1. */
int outfile_open_all(const char *plugin, struct outfile *files, size_t n, int flags);

/* The guest starts: the outputs are the plugin's to keep, and the regular
 * files among them still open are emptied (a terminal or a pipe has
 * nothing to empty). */
void outfile_start(void);

#endif
