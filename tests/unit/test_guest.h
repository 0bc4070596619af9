/* What unit tests know of the guest programs, found without the code under
 * test: an ELF file's segment extent and a symbol's address and size (read
 * with libelf alone; call elf_version(EV_CURRENT) first), and the lines of
 * the loop guest's kernel() in its source. */
#ifndef TEST_GUEST_H
#define TEST_GUEST_H

#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What the test needs of an ELF file, read with libelf alone. */
struct elfinfo {
    int ok;
    int type;
    uint64_t lo, hi; /* extent of the PT_LOAD segments */
    uint64_t value, size;
};

static inline struct elfinfo elf_info(const char *path, const char *symbol)
{
    struct elfinfo info = { 0 };
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return info;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    size_t nph;
    if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nph) != 0)
        goto out;
    info.type = eh.e_type;
    info.lo = UINT64_MAX;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
            if (ph.p_vaddr < info.lo)
                info.lo = ph.p_vaddr;
            if (ph.p_vaddr + ph.p_memsz > info.hi)
                info.hi = ph.p_vaddr + ph.p_memsz;
        }
    }
    /* .symtab when present, else .dynsym (a stripped libc). */
    for (int want = SHT_SYMTAB; want && !info.ok; want = want == SHT_SYMTAB ? SHT_DYNSYM : 0) {
        for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) && !info.ok;) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || sh.sh_type != (unsigned)want)
                continue;
            Elf_Data *data = elf_getdata(scn, NULL);
            for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
                GElf_Sym sym;
                const char *name;
                if (gelf_getsym(data, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
                    (name = elf_strptr(elf, sh.sh_link, sym.st_name)) && !strcmp(name, symbol)) {
                    info.value = sym.st_value;
                    info.size = sym.st_size;
                    info.ok = 1;
                    break;
                }
            }
        }
    }
out:
    if (elf)
        elf_end(elf);
    close(fd);
    return info;
}

/* The first and last line of kernel() in the guest's source. */
static inline void kernel_lines(int *first, int *last)
{
    FILE *f = fopen("tests/guests/loop.c", "r");
    char line[256];
    *first = *last = 0;
    for (int n = 1; f && fgets(line, sizeof line, f); n++) {
        if (strstr(line, "void kernel("))
            *first = n;
        else if (*first && !*last && line[0] == '}')
            *last = n;
    }
    if (f)
        fclose(f);
}

#endif
