/* ELF images as the guest has them mapped: their PT_LOAD segments at their
 * real (load-bias applied) addresses, read from guest memory. Works for the
 * main program (from AT_PHDR, PIE or not, static or dynamic), the dynamic
 * loader (from AT_BASE) and the vDSO (AT_SYSINFO_EHDR): the images QEMU maps
 * without a guest system call. ELF32 and ELF64, either byte order. Only
 * from a vCPU context (guestmem.h). */
#ifndef TCGTRACE_GUESTELF_H
#define TCGTRACE_GUESTELF_H

#include <stdbool.h>
#include <stdint.h>

#include "guestarch.h"
#include "initstack.h"

#define GUESTELF_MAX_LOADS 16

struct guest_segment {
    uint64_t start, end; /* [bias + p_vaddr, + p_memsz) */
    uint32_t flags;      /* PF_R, PF_W, PF_X */
};

struct guest_image {
    uint64_t bias;
    uint64_t interp; /* where PT_INTERP's path is, 0 if none */
    uint64_t start, end; /* the span of the PT_LOAD segments */
    unsigned nloads;
    struct guest_segment loads[GUESTELF_MAX_LOADS];
};

/* The image whose ELF header is mapped at ehdr (the loader, the vDSO).
 * 0, or -1 if there is no valid ELF header or program header table there. */
int guestelf_from_ehdr(uint64_t ehdr, struct guest_image *img);
/* The main program, from the auxiliary vector's AT_PHDR, AT_PHENT and
 * AT_PHNUM (the class follows from AT_PHENT, the byte order is the guest's).
 * 0 or -1. */
int guestelf_from_phdr(uint64_t phdr, unsigned phent, unsigned phnum, bool big_endian,
                       struct guest_image *img);

/* What QEMU loaded before the first instruction, without a guest system
 * call: the initial stack, the main program, the dynamic loader and the
 * vDSO. */
struct guest_initial {
    bool has_stack, has_main, has_interp, has_vdso;
    struct initstack stack;
    struct guest_image main, interp, vdso;
};

/* Reads them from the first vCPU's initial stack pointer sp, before its
 * first instruction. 0, or -1 with a message in *err (static storage) for
 * what could not be read; what could is in *in. */
int guestelf_initial(const struct guest_arch *arch, uint64_t sp, struct guest_initial *in, const char **err);

#endif
