/* What the guest's initial stack tells, read at the first vCPU's start
 * before any guest instruction runs: the auxiliary vector (where QEMU put
 * the main program's program headers, the dynamic loader and the vDSO) and
 * the bounds of the main thread's stack. QEMU maps all of these itself,
 * without a guest system call, so a tracer sees them only this way. */
#ifndef TCGTRACE_INITSTACK_H
#define TCGTRACE_INITSTACK_H

#include <stdint.h>

#include "guestarch.h"

struct initstack {
    uint64_t phdr, phent, phnum; /* AT_PHDR, AT_PHENT, AT_PHNUM */
    uint64_t base;               /* AT_BASE: the interpreter's ELF header, 0 if none */
    uint64_t sysinfo_ehdr;       /* AT_SYSINFO_EHDR: the vDSO, 0 if none */
    uint64_t execfn;             /* AT_EXECFN: the program's path, 0 if none */
    /* The stack mapping [bottom, top): top ends the page holding the last
     * argument, environment or AT_EXECFN string (the kernel and QEMU put
     * them at the very top). bottom is the lowest of the pages mapped
     * without a hole below the stack pointer: QEMU's reads see through
     * protections, so it takes in the guard page and any image QEMU loaded
     * right below (wmap.c separates those). */
    uint64_t bottom, top;
};

/* Reads from the stack pointer sp at the program's entry. 0, or -1 if the
 * layout is not argc, argv, envp and an auxiliary vector. */
int initstack_read(const struct guest_arch *arch, uint64_t sp, struct initstack *is);

/* Without the register API (before QEMU 9.0): the stack pointer at the
 * program's entry, found upwards from addr, a stack address the start-up
 * code accessed before moving the stack pointer up (the first accesses of
 * ld.so's and of static programs' _start are a return address or frame
 * pushed below it, or argc loaded from it). 0, or -1 if no initial stack
 * layout starts within 64 KiB above addr. */
int initstack_find(const struct guest_arch *arch, uint64_t addr, uint64_t *sp);

#endif
