/* Recording a program under QEMU: what `tcgtrace record` does, for the
 * commands that record before they analyse (`tcgtrace races -- PROG`). */
#ifndef TCGTRACE_RECORD_H
#define TCGTRACE_RECORD_H

#include <stdbool.h>

#define RECORD_MAX_ENV 8
#define RECORD_MAX_PLUGIN_OPTS 64

struct record_opts {
    const char *plugin;  /* lib<plugin>.so in plugin_dir(): "memtrace", "execlog" */
    const char *output;  /* the plugin's output, as the user named it */
    const char *format;  /* "bin" or "text" */
    const char *qemu;    /* the qemu-ARCH to run; NULL: tcgtrace's QEMU build */
    const char *sysroot; /* NULL: chosen from the program (guest.h) */
    bool progress;       /* a progress line while it runs, on a terminal */
    bool summary;        /* a line saying what was recorded, at the end */
    /* An existing output is kept as OUTPUT.old rather than overwritten
     * (for the default output, as perf does with perf.data). */
    bool keep_old;
    /* Set in the guest's environment (QEMU's -E): "VAR=VALUE". */
    const char *env[RECORD_MAX_ENV];
    int nenv;
    /* More plugin options, in order: key and value ("on" for a flag). */
    struct {
        const char *key, *value;
    } plugin_opts[RECORD_MAX_PLUGIN_OPTS];
    int nplugin_opts;
};

/* Runs PROG (argv[0]) with its arguments argv[1..argc) under the qemu-ARCH
 * its ELF header asks for, with o's plugin writing o->output. The guest's
 * stdin, stdout and stderr are QEMU's. Returns PROG's exit status as a
 * shell gives it (128 + N for signal N), or -1 when the recording could not
 * start (the reason printed); exits when out of memory or unable to fork. */
int record_run(const struct record_opts *o, int argc, char **argv);

#endif
