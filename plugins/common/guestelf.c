/* ELF images in guest memory: see guestelf.h. */
#include <elf.h>
#include <string.h>

#include "guestelf.h"
#include "guestmem.h"

struct ehdr_info {
    bool is64, big;
    uint64_t phoff;
    unsigned phentsize, phnum;
};

static int read_ehdr(uint64_t addr, struct ehdr_info *e)
{
    uint8_t h[sizeof(Elf64_Ehdr)];
    if (!guestmem_read(addr, h, EI_NIDENT) || memcmp(h, ELFMAG, SELFMAG))
        return -1;
    if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)
        return -1;
    if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)
        return -1;
    e->is64 = h[EI_CLASS] == ELFCLASS64;
    e->big = h[EI_DATA] == ELFDATA2MSB;
    if (!guestmem_read(addr, h, e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
        return -1;
    if (e->is64) {
        e->phoff = guestmem_uint(h + offsetof(Elf64_Ehdr, e_phoff), 8, e->big);
        e->phentsize = (unsigned)guestmem_uint(h + offsetof(Elf64_Ehdr, e_phentsize), 2, e->big);
        e->phnum = (unsigned)guestmem_uint(h + offsetof(Elf64_Ehdr, e_phnum), 2, e->big);
    } else {
        e->phoff = guestmem_uint(h + offsetof(Elf32_Ehdr, e_phoff), 4, e->big);
        e->phentsize = (unsigned)guestmem_uint(h + offsetof(Elf32_Ehdr, e_phentsize), 2, e->big);
        e->phnum = (unsigned)guestmem_uint(h + offsetof(Elf32_Ehdr, e_phnum), 2, e->big);
    }
    if (e->phentsize != (e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
        return -1;
    return 0;
}

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz;
};

static int read_phdr(uint64_t addr, bool is64, bool big, struct phdr *p)
{
    uint8_t b[sizeof(Elf64_Phdr)];
    if (!guestmem_read(addr, b, is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
        return -1;
#define FIELD(T, f) guestmem_uint(b + offsetof(T, f), sizeof(((T *)0)->f), big)
    if (is64) {
        *p = (struct phdr){ (uint32_t)FIELD(Elf64_Phdr, p_type), (uint32_t)FIELD(Elf64_Phdr, p_flags),
                            FIELD(Elf64_Phdr, p_offset), FIELD(Elf64_Phdr, p_vaddr),
                            FIELD(Elf64_Phdr, p_filesz), FIELD(Elf64_Phdr, p_memsz) };
    } else {
        *p = (struct phdr){ (uint32_t)FIELD(Elf32_Phdr, p_type), (uint32_t)FIELD(Elf32_Phdr, p_flags),
                            FIELD(Elf32_Phdr, p_offset), FIELD(Elf32_Phdr, p_vaddr),
                            FIELD(Elf32_Phdr, p_filesz), FIELD(Elf32_Phdr, p_memsz) };
    }
#undef FIELD
    return 0;
}

/* Fills img->loads (unbiased) from the program header table at addr and
 * finds the two ways to the bias: PT_PHDR's p_vaddr, and the link-time
 * address of file offset 0 (the ELF header). */
struct bias_hints {
    bool has_phdr, has_offset0;
    uint64_t phdr_vaddr, offset0_vaddr;
};

static int read_table(uint64_t addr, unsigned phnum, bool is64, bool big, struct guest_image *img,
                      struct bias_hints *h)
{
    unsigned size = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    memset(img, 0, sizeof(*img));
    memset(h, 0, sizeof(*h));
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr p;
        if (read_phdr(addr + (uint64_t)i * size, is64, big, &p))
            return -1;
        if (p.type == PT_PHDR) {
            h->has_phdr = true;
            h->phdr_vaddr = p.vaddr;
        } else if (p.type == PT_INTERP) {
            img->interp = p.vaddr;
        } else if (p.type == PT_LOAD) {
            if (img->nloads == GUESTELF_MAX_LOADS)
                return -1;
            img->loads[img->nloads++] = (struct guest_segment){ p.vaddr, p.vaddr + p.memsz, p.flags };
            if (!h->has_offset0 && p.offset == 0 && p.filesz) {
                h->has_offset0 = true;
                h->offset0_vaddr = p.vaddr;
            }
        }
    }
    return img->nloads ? 0 : -1;
}

static void apply_bias(struct guest_image *img, uint64_t bias)
{
    img->bias = bias;
    if (img->interp)
        img->interp += bias;
    img->start = UINT64_MAX;
    img->end = 0;
    for (unsigned i = 0; i < img->nloads; i++) {
        struct guest_segment *g = &img->loads[i];
        g->start += bias;
        g->end += bias;
        img->start = g->start < img->start ? g->start : img->start;
        img->end = g->end > img->end ? g->end : img->end;
    }
}

int guestelf_from_ehdr(uint64_t ehdr, struct guest_image *img)
{
    struct ehdr_info e;
    struct bias_hints h;
    if (read_ehdr(ehdr, &e) || read_table(ehdr + e.phoff, e.phnum, e.is64, e.big, img, &h) ||
        !h.has_offset0)
        return -1;
    apply_bias(img, ehdr - h.offset0_vaddr);
    return 0;
}

int guestelf_from_phdr(uint64_t phdr, unsigned phent, unsigned phnum, bool big_endian,
                       struct guest_image *img)
{
    bool is64 = phent == sizeof(Elf64_Phdr);
    struct bias_hints h;
    if ((!is64 && phent != sizeof(Elf32_Phdr)) || read_table(phdr, phnum, is64, big_endian, img, &h))
        return -1;
    uint64_t bias = 0;
    if (h.has_phdr) {
        bias = phdr - h.phdr_vaddr;
    } else if (h.has_offset0) {
        /* Static executables have no PT_PHDR. Their table follows the ELF
         * header in its first page, where the bias shows (static PIE);
         * failing that the executable is not relocated (ET_EXEC). */
        uint64_t ehdr = phdr & ~(uint64_t)0xfff;
        struct ehdr_info e;
        if (!read_ehdr(ehdr, &e) && ehdr + e.phoff == phdr)
            bias = ehdr - h.offset0_vaddr;
    }
    apply_bias(img, bias);
    return 0;
}

int guestelf_initial(const struct guest_arch *arch, uint64_t sp, struct guest_initial *in, const char **err)
{
    struct initstack *is = &in->stack;
    *in = (struct guest_initial){ 0 };
    *err = NULL;
    if (initstack_read(arch, sp, is)) {
        *err = "cannot read the initial stack (argc, argv, environment, auxiliary vector)";
        return -1;
    }
    in->has_stack = true;
    in->has_main = !guestelf_from_phdr(is->phdr, (unsigned)is->phent, (unsigned)is->phnum,
                                       arch->big_endian, &in->main);
    if (!in->has_main)
        *err = "cannot read the main program's program headers";
    in->has_interp = is->base && !guestelf_from_ehdr(is->base, &in->interp);
    if (is->base && !in->has_interp)
        *err = "cannot read the dynamic loader's ELF header";
    in->has_vdso = is->sysinfo_ehdr && !guestelf_from_ehdr(is->sysinfo_ehdr, &in->vdso);
    if (is->sysinfo_ehdr && !in->has_vdso)
        *err = "cannot read the vDSO's ELF header";
    return *err ? -1 : 0;
}
