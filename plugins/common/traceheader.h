/* The header of a binary trace written by a plugin (docs/format.md,
 * "Header"): what QEMU tells a plugin about the guest, the guest's command
 * line, the time, and the plugin's own name and options. A command line
 * longer than TRACE_COMMAND_MAX bytes (one built by xargs) keeps its first
 * arguments, then "[N more arguments not recorded]": the header holds at
 * most 1 MiB, and a trace is worth more than the end of its command. */
#ifndef TCGTRACE_TRACEHEADER_H
#define TCGTRACE_TRACEHEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "tcgtrace/reader.h" /* struct tt_header */

#define TRACE_COMMAND_MAX (256 * 1024)

struct trace_header {
    struct tt_header h;
    /* Storage behind h's strings. */
    char *options;
    char *cmdline;
    const char **argv;
    char *sysroot;
    char *more; /* the last argument of a command cut short */
};

/* Fills th for plugin, given its options as QEMU passed them to
 * qemu_plugin_install. arch is qemu_info_t's target_name. The command is
 * the guest's (linux-user: what follows QEMU's options on its command
 * line) or, under qemu-system, QEMU's own. The sysroot is linux-user's -L
 * (else the QEMU_LD_PREFIX environment variable, as QEMU reads them),
 * made absolute: readers find a foreign guest's libraries with it. */
void trace_header_init(struct trace_header *th, const char *plugin, int argc, char **argv,
                       const char *arch, bool big_endian, bool system, uint64_t features);
void trace_header_free(struct trace_header *th);

#endif
