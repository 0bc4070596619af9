#include <string.h>

#include "elfsyms.h"
#include "ompwait.h"
#include "symbols.h"

bool ompwait_runtime(const char *path)
{
    static const char *const names[] = { "libgomp.so" };
    return symbols_named(path, names, sizeof names / sizeof names[0]);
}

static bool waits(const char *name)
{
    static const char *const names[] = { "GOMP_taskwait", "GOMP_taskgroup_end" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return true;
    return false;
}

struct wait_ranges {
    atomiccode_fn *fn;
    void *arg;
};

static int wait_range(void *arg, const GElf_Sym *sym, const char *name)
{
    const struct wait_ranges *w = arg;
    return GELF_ST_TYPE(sym->st_info) == STT_FUNC && sym->st_value && sym->st_size && waits(name)
               ? w->fn(w->arg, sym->st_value, sym->st_value + sym->st_size)
               : 0;
}

/* The dynamic symbol table: exported functions are there, and a stripped
 * library has no other. */
int ompwait_find(Elf *elf, atomiccode_fn *fn, void *arg)
{
    struct wait_ranges w = { fn, arg };
    return elfsyms_each(elf, SHT_DYNSYM, wait_range, &w);
}
