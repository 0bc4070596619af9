#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "dwarfvars.h"
#include "elfsyms.h"
#include "ownimage.h"

static int is_libc_start(void *arg, const GElf_Sym *sym, const char *name)
{
    (void)arg;
    (void)sym;
    return !strcmp(name, "__libc_start_main");
}

bool ownimage_static(Elf *elf)
{
    GElf_Ehdr eh;
    size_t n;
    if (!elf || !gelf_getehdr(elf, &eh) || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || elf_getphdrnum(elf, &n))
        return false;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
            return false;
    }
    return elfsyms_each(elf, SHT_SYMTAB, is_libc_start, NULL) != 0;
}

struct build {
    struct ownimage *o;
    uint64_t bias;     /* ELF virtual address -> run time */
    int64_t to_vaddr;  /* DWARF address -> ELF virtual address */
};

/* [addr, addr + len) at run time is the program's own. */
static void set_own(struct ownimage *o, uint64_t addr, uint64_t len)
{
    uint64_t lo = addr < o->start ? o->start : addr, hi = addr + len > o->end || addr + len < addr ? o->end : addr + len;
    for (uint64_t g = (lo - o->start) / 8; lo < hi && g <= (hi - 1 - o->start) / 8; g++)
        o->own[g / 64] |= UINT64_C(1) << (g % 64);
}

static int own_variable(void *arg, Dwarf_Die *var, uint64_t addr)
{
    struct build *b = arg;
    Dwarf_Die type;
    uint64_t size;
    if (dwarfvars_type(var, &type) && dwarfvars_size(&type, &size))
        set_own(b->o, b->bias + (uint64_t)((int64_t)addr + b->to_vaddr), size);
    return 0;
}

/* C++'s guard variables of function-local statics have no debug
 * information of their own. */
static int own_guard(void *arg, const GElf_Sym *sym, const char *name)
{
    struct build *b = arg;
    if (GELF_ST_TYPE(sym->st_info) == STT_OBJECT && !strncmp(name, "_ZGV", 4))
        set_own(b->o, b->bias + sym->st_value, sym->st_size ? sym->st_size : 8);
    return 0;
}

int ownimage_build(struct ownimage *o, Elf *elf, Dwarf *dw, int64_t to_vaddr, uint64_t bias, uint64_t start,
                   uint64_t end)
{
    *o = (struct ownimage){ 0 };
    if (end <= start)
        return 0;
    if (!(o->own = calloc(((end - start) / 8 + 64) / 64, sizeof *o->own)))
        return -ENOMEM;
    o->start = start;
    o->end = end;
    struct build b = { .o = o, .bias = bias, .to_vaddr = to_vaddr };
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    while (dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
        Dwarf_Addr base, lo, hi;
        for (ptrdiff_t off = 0; (off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0;)
            if (hi > lo)
                set_own(o, bias + (uint64_t)((int64_t)lo + to_vaddr), hi - lo);
    }
    dwarfvars_each(dw, own_variable, &b);
    elfsyms_each(elf, SHT_SYMTAB, own_guard, &b);
    return 0;
}

void ownimage_free(struct ownimage *o)
{
    free(o->own);
    *o = (struct ownimage){ 0 };
}
