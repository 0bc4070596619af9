/* The defined symbols of an ELF file's symbol tables. */
#ifndef TCGTRACE_ELFSYMS_H
#define TCGTRACE_ELFSYMS_H

#include <gelf.h>

/* Called with each symbol and its name; nonzero stops the walk. */
typedef int elfsyms_fn(void *arg, const GElf_Sym *sym, const char *name);

/* Calls fn for each defined symbol of elf's tables of section type
 * sh_type (SHT_SYMTAB, SHT_DYNSYM). Returns 0, or fn's nonzero answer. */
int elfsyms_each(Elf *elf, unsigned sh_type, elfsyms_fn *fn, void *arg);

#endif
