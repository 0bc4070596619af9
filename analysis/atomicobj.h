/* The statically allocated objects a module's debug information declares
 * atomic: C11 `_Atomic` and `atomic_flag`, C++ `std::atomic<T>`,
 * `std::atomic_flag`, whether whole variables (global, file-static,
 * function-local static) or members and elements of them.
 *
 * Why: on x86_64 a C11 acquire load and release store are plain `mov`s,
 * and on every guest a relaxed atomic access is a plain load or store. A
 * location only ever accessed so (double-checked initialisation through
 * an atomic pointer, a relaxed statistics counter) looks like any other
 * to a detector that sees instructions: the program's own declaration is
 * what says it is atomic. Heap and stack objects have no such
 * declaration at a fixed address and are not found here. */
#ifndef TCGTRACE_ATOMICOBJ_H
#define TCGTRACE_ATOMICOBJ_H

#include <elfutils/libdw.h>
#include <stdint.h>

/* Called with an atomic object's (or part's) address, as the module's
 * ELF virtual address, and its size in bytes; nonzero stops the walk. */
typedef int atomicobj_fn(void *arg, uint64_t vaddr, uint64_t size);

/* Calls fn for each atomic object of dw, whose addresses plus to_vaddr
 * are ELF virtual addresses. Returns 0, or fn's nonzero answer. */
int atomicobj_find(Dwarf *dw, int64_t to_vaddr, atomicobj_fn *fn, void *arg);

/* Calls fn for each atomic part of an object of the given type, with
 * its offset in the object in place of an address (a heap object's type:
 * heaptype.h). Returns 0, or fn's nonzero answer. */
int atomicobj_in_type(Dwarf_Die *type, atomicobj_fn *fn, void *arg);

#endif
