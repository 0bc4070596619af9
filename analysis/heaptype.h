/* What a heap object is, told by where it is allocated: C code allocates
 * into a pointer it declares on the call's own line
 * (`struct msg *m = calloc(1, sizeof *m);`), and that pointer's type names
 * the object's.
 *
 * Why: on x86_64 a C11 acquire load and release store are plain `mov`s. An
 * _Atomic member of a heap object (a message's `ready` flag) has no
 * declaration at a fixed address (atomicobj.h), no code of its own
 * (atomiccode.h: atomic_load_explicit is a builtin in the caller's lines),
 * and a reader that finds it set, or polls it between runs of work, makes
 * no spin: only the object's type says it is atomic. */
#ifndef TCGTRACE_HEAPTYPE_H
#define TCGTRACE_HEAPTYPE_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

struct heaptype_part {
    uint64_t offset, size;
};

/* The atomic parts of the object allocated by the call at pc (an address
 * of cudie's unit, as its debug information says): of the type pointed to
 * by the pointer variables declared on the call's line, in the scopes
 * holding pc, when they all point to one type. At most max parts in parts,
 * the type's size in *size. Returns how many: 0 for no such variable, for
 * variables of different types, or for a type without atomic parts. */
size_t heaptype_atomics(Dwarf_Die *cudie, Dwarf_Addr pc, struct heaptype_part *parts, size_t max, uint64_t *size);

#endif
