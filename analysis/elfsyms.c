#include <stddef.h>

#include "elfsyms.h"

int elfsyms_each(Elf *elf, unsigned sh_type, elfsyms_fn *fn, void *arg)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        Elf_Data *d;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != sh_type || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
            continue;
        for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym sym;
            const char *name;
            int rc;
            if (gelf_getsym(d, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
                (name = elf_strptr(elf, sh.sh_link, sym.st_name)) && (rc = fn(arg, &sym, name)))
                return rc;
        }
    }
    return 0;
}
