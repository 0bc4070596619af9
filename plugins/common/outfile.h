/* The files a plugin opens when QEMU installs it, all or none: a plugin
 * refused for one path it cannot open leaves the others as they were (an
 * existing trace is not emptied, no new empty file is left behind). Nor
 * does a QEMU that fails after installing the plugin (no such guest
 * program): existing files are emptied only once the guest starts, and new
 * ones get their name only then. */
#ifndef TCGTRACE_OUTFILE_H
#define TCGTRACE_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>

struct outfile {
    const char *path;
    int fd;       /* set by outfile_open_all */
    /* A new file: unnamed (O_TMPFILE) until outfile_start links it, or,
     * where the file system cannot do that, created and removed again at
     * exit if the guest never starts. */
    bool unnamed, created;
};

/* Opens each path for writing, with flags added (O_APPEND): an existing
 * file as it is, a new one unnamed in its directory. On a failure closes
 * them all, removes any it created, prints "PLUGIN: cannot open 'PATH':
 * ERROR" on standard error and returns -1; else 0, and files (which must
 * outlive the process) are the plugin's outputs until outfile_start. A new
 * file then vanishes with the process even when it ends with _exit (QEMU
 * 7.2 when it cannot load the program). The caller keeps the fds open
 * until outfile_start. */
int outfile_open_all(const char *plugin, struct outfile *files, size_t n, int flags);

/* The guest starts: new files get their names, and the regular files among
 * the others are emptied (a terminal or a pipe has nothing to empty). The
 * fds stay open, the caller's to use or close. */
void outfile_start(void);

#endif
