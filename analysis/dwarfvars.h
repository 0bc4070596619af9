/* The variables with a fixed address in a module's debug information:
 * globals, file-static and function-local static variables, in every
 * unit, namespace, function and block. Locals on the stack or in
 * registers, and thread-local variables, have no fixed address and are
 * left out. */
#ifndef TCGTRACE_DWARFVARS_H
#define TCGTRACE_DWARFVARS_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

/* Called with a variable's DIE and its address as the debug information
 * gives it; nonzero stops the walk. */
typedef int dwarfvars_fn(void *arg, Dwarf_Die *var, uint64_t addr);

/* Calls fn for each such variable of dw. Returns 0 or fn's nonzero answer. */
int dwarfvars_each(Dwarf *dw, dwarfvars_fn *fn, void *arg);

/* A type under its typedefs and qualifiers other than _Atomic, in place;
 * false when there is none under them (void). */
bool dwarfvars_peel(Dwarf_Die *type);

/* A type's size in bytes, through _Atomic; false when unknown or 0. */
bool dwarfvars_size(Dwarf_Die *type, uint64_t *size);

/* A variable's type (not peeled); false for one without. */
bool dwarfvars_type(Dwarf_Die *var, Dwarf_Die *type);

#endif
