/* Which parts of a statically linked program's image are the program's
 * own, and which the C library's (and whatever else was linked in without
 * debug information: libgcc, a static libstdc++).
 *
 * Why: the detector takes no order from the C library's own data and
 * leaves races inside its code out of the report (racetrace.c, races.c).
 * Loaded as libc.so.6, the C library is known by its module; linked into
 * the program, it is part of the program's module, and its thread count,
 * malloc's arena and its condition variables' internals made a static
 * build of a correct program report races, and of a racy one miss them.
 * What the program's debug information describes (its compilation units'
 * code, its variables) is its own; the rest of the image is not. Without
 * debug information nothing can be told apart. */
#ifndef TCGTRACE_OWNIMAGE_H
#define TCGTRACE_OWNIMAGE_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

struct ownimage {
    uint64_t start, end; /* the image at run time; empty when none */
    uint64_t *own;       /* a bit per 8 bytes from start: the program's */
};

/* Whether the module file whose ELF is elf carries the C library in
 * itself: an executable with no program interpreter that defines
 * __libc_start_main. */
bool ownimage_static(Elf *elf);

/* Builds o for such a module mapped at [start, end) with load bias bias,
 * from its ELF file (for the symbols of C++'s guard variables) and debug
 * information dw, whose addresses plus to_vaddr are ELF virtual
 * addresses. Returns 0 or -ENOMEM. */
int ownimage_build(struct ownimage *o, Elf *elf, Dwarf *dw, int64_t to_vaddr, uint64_t bias, uint64_t start,
                   uint64_t end);
void ownimage_free(struct ownimage *o);

/* Whether addr lies in the image and is not the program's own. */
static inline bool ownimage_runtime(const struct ownimage *o, uint64_t addr)
{
    uint64_t off = addr - o->start;
    return off < o->end - o->start && !(o->own[off / 512] >> (off / 8 % 64) & 1);
}

#endif
