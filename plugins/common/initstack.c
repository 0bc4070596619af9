/* The initial stack: see initstack.h. Its layout at the entry point (System
 * V ABI, and what linux-user's create_elf_tables builds): argc, argv[argc],
 * NULL, envp[], NULL, then (type, value) pairs up to AT_NULL. */
#include <elf.h>
#include <unistd.h>

#include "guestmem.h"
#include "initstack.h"

/* Bounds on what a sane initial stack holds, so garbage cannot loop long. */
#define MAX_POINTERS (1u << 20)
#define MAX_STRING 65536
#define PAGE 4096u
/* How far above a start-up access initstack_find looks for the stack
 * pointer: more than any start-up frame. */
#define FIND_RANGE 65536u

/* One past the NUL of the string at s, or 0 if unreadable. */
static uint64_t string_end(uint64_t s)
{
    char c;
    for (unsigned i = 0; i < MAX_STRING; i++) {
        if (!guestmem_read(s + i, &c, 1))
            return 0;
        if (!c)
            return s + i + 1;
    }
    return 0;
}

int initstack_read(const struct guest_arch *arch, uint64_t sp, struct initstack *is)
{
    unsigned w = arch->word;
    bool big = arch->big_endian;
    uint64_t p = sp, v, argc, last_string = 0;
    *is = (struct initstack){ 0 };

    if (!guestmem_read_uint(p, w, big, &argc) || argc > MAX_POINTERS)
        return -1;
    p += w;
    /* argv then envp, each ending with NULL. */
    for (int list = 0; list < 2; list++) {
        for (unsigned n = 0;; n++, p += w) {
            if (n == MAX_POINTERS || !guestmem_read_uint(p, w, big, &v))
                return -1;
            if (!v)
                break;
            if (v > last_string)
                last_string = v;
        }
        p += w;
    }
    for (unsigned n = 0;; n++, p += 2 * w) {
        uint64_t type;
        if (n == MAX_POINTERS || !guestmem_read_uint(p, w, big, &type) ||
            !guestmem_read_uint(p + w, w, big, &v))
            return -1;
        if (type == AT_NULL)
            break;
        switch (type) {
        case AT_PHDR: is->phdr = v; break;
        case AT_PHENT: is->phent = v; break;
        case AT_PHNUM: is->phnum = v; break;
        case AT_BASE: is->base = v; break;
        case AT_SYSINFO_EHDR: is->sysinfo_ehdr = v; break;
        case AT_EXECFN:
            is->execfn = v;
            if (v > last_string)
                last_string = v;
            break;
        }
    }
    if (!is->phdr || !last_string || last_string < sp)
        return -1;
    uint64_t end = string_end(last_string);
    if (!end)
        return -1;
    is->top = (end + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    uint64_t bottom = sp & ~(uint64_t)(PAGE - 1);
    char c;
    while (bottom >= PAGE && guestmem_read(bottom - PAGE, &c, 1))
        bottom -= PAGE;
#if !QEMUAPI_READ_MEMORY
    /* These reads stop at QEMU's PROT_NONE guard page, which QEMU's own
     * reads take in: the bottom is that page's, as with them. */
    bottom -= (uint64_t)getpagesize() > PAGE ? (uint64_t)getpagesize() : PAGE;
#endif
    is->bottom = bottom;
    return 0;
}

int initstack_find(const struct guest_arch *arch, uint64_t addr, uint64_t *sp)
{
    unsigned w = arch->word;
    bool big = arch->big_endian;
    struct initstack is;
    /* The stack pointer is 16-byte aligned at the entry point (x86_64,
     * aarch64 and riscv64 ABIs); argv[argc] is NULL, argv[0] is not. */
    for (uint64_t p = (addr + 15) & ~(uint64_t)15; p - addr < FIND_RANGE; p += 16) {
        uint64_t argc, v;
        if (!guestmem_read_uint(p, w, big, &argc))
            return -1;
        if (argc == 0 || argc > MAX_POINTERS || !guestmem_read_uint(p + w * (argc + 1), w, big, &v) || v ||
            !guestmem_read_uint(p + w, w, big, &v) || !v)
            continue;
        if (initstack_read(arch, p, &is) == 0) {
            *sp = p;
            return 0;
        }
    }
    return -1;
}
