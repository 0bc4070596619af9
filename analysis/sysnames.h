/* Names of guest system calls, for reports: the Linux table of each guest
 * architecture (x86_64 has its own; aarch64 and riscv64 share the generic
 * one, with a few numbers each of their own). */
#ifndef TCGTRACE_SYSNAMES_H
#define TCGTRACE_SYSNAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* "mmap" for (x86_64, 9); NULL for an unknown architecture or number. */
const char *sysname(const char *arch, uint64_t num);

/* Whether num is execve or execveat: one that does not return replaced
 * the program, whose successor runs outside QEMU, untraced. (Here, since
 * sysnames.c is generated.) */
static inline bool sys_is_execve(const char *arch, uint64_t num)
{
    const char *name = sysname(arch, num);
    return name && (!strcmp(name, "execve") || !strcmp(name, "execveat"));
}

#endif
