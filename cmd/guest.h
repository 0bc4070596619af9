/* What running a program under QEMU needs to know of it: where it is, which
 * qemu-ARCH runs it, and the sysroot its dynamic loader lives in. */
#ifndef TCGTRACE_GUEST_H
#define TCGTRACE_GUEST_H

#include <limits.h>
#include <stdbool.h>

struct guest {
    char path[PATH_MAX];  /* the program, found as execvp would */
    const char *arch;     /* "x86_64", "aarch64" or "riscv64": qemu-ARCH */
    bool dynamic;         /* has a PT_INTERP */
    char interp[PATH_MAX];/* the dynamic loader it names, "" when static */
    char sysroot[PATH_MAX];/* QEMU's -L, "" for none */
};

/* Finds PROG (a name without '/' is searched in $PATH), reads its ELF
 * header and picks the sysroot: `sysroot` when not NULL, else
 * /usr/<triplet> for a dynamically linked program of another architecture
 * than the host's. On failure prints one line naming the problem and
 * returns -1. */
int guest_inspect(const char *prog, const char *sysroot, struct guest *g);

/* 0 when dir is a directory; else prints "cannot use sysroot ..." and
 * returns -1. */
int guest_check_sysroot(const char *dir);

struct tt_header;

/* Where the files of the guest a trace recorded are when no sysroot is
 * given: the sysroot the trace recorded (QEMU's -L), if it is a directory
 * here; else /usr/<triplet> for an architecture other than the host's, if
 * that directory exists; else NULL (the host's own files). */
const char *guest_trace_sysroot(const struct tt_header *h);

#endif
