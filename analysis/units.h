/* The compilation unit holding an address of a module, as libdwfl finds
 * it from .debug_aranges, else from the units' own address ranges: clang
 * writes no .debug_aranges by default, and libdw 0.188 then finds no unit
 * at all (no source line, no inlined frame, no allocation type for a clang
 * program). An address in no unit's ranges (crt1.o's _start between two
 * functions of one unit) has none, where libdwfl would give the unit
 * before it. */
#ifndef TCGTRACE_UNITS_H
#define TCGTRACE_UNITS_H

#include <elfutils/libdwfl.h>
#include <stddef.h>

struct units {
    struct unit_range *v; /* every unit's ranges, by address */
    size_t n;
    Dwarf_Die *dies; /* the units, which v's entries point into */
    size_t ndies;
    int built; /* 0 not yet, 1 built, -1 out of memory */
};

/* A zeroed struct units is an empty one. */
void units_free(struct units *u);

/* The unit of mod holding a (a Dwfl address), with *cubias set so that
 * a - *cubias is the address as the unit's DWARF gives it; NULL for
 * none. The ranges are read from the units the first time libdwfl's
 * answer does not hold a. */
Dwarf_Die *units_find(struct units *u, Dwfl_Module *mod, Dwarf_Addr a, Dwarf_Addr *cubias);

#endif
