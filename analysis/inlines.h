/* The calls the compiler inlined at a pc, from a module's DWARF: the
 * DW_TAG_inlined_subroutine entries that contain it, in the function that
 * contains it. Each unit's functions are indexed by address the first time
 * a pc in it is asked for (one walk of the unit, through namespaces and
 * classes, where Rust and C++ nest them), so a lookup is a binary search
 * and a walk down one function. */
#ifndef TCGTRACE_INLINES_H
#define TCGTRACE_INLINES_H

#include <elfutils/libdw.h>
#include <stddef.h>

struct inlines {
    struct inlines_unit *units;
    size_t n, cap;
};

/* A zeroed struct inlines is an empty one. */
void inlines_free(struct inlines *in);

/* The inlined calls containing pc (an address of cudie's unit, as its
 * DWARF says), outermost first, in chain (at most max); returns how many:
 * 0 when none, or out of memory. */
int inlines_at(struct inlines *in, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *chain, int max);

#endif
