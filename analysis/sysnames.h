/* Names of guest system calls, for reports: the Linux table of each guest
 * architecture (x86_64 has its own; aarch64 and riscv64 share the generic
 * one, with a few numbers each of their own). */
#ifndef TCGTRACE_SYSNAMES_H
#define TCGTRACE_SYSNAMES_H

#include <stdint.h>

/* "mmap" for (x86_64, 9); NULL for an unknown architecture or number. */
const char *sysname(const char *arch, uint64_t num);

#endif
