/* What a heap object is, told by where it is allocated: the pointer the
 * program allocates into names the object's type. C code declares it on
 * the call's own line (`struct msg *m = calloc(1, sizeof *m);`), or, when
 * optimised, has it in the return-value register right after the call
 * (`ms = calloc(n, sizeof *ms);`, its location list says). Unoptimised
 * code leaves only a guess (heaptype_atomics).
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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heaptype_part {
    uint64_t offset, size;
};

/* An allocation call: an address inside it and its return address, as
 * its unit's debug information gives addresses, and the DWARF number of
 * the register a function returns a pointer in (0: x86_64's rax, arm64's
 * x0; 10: riscv's a0). */
struct heaptype_call {
    Dwarf_Addr pc, ret;
    unsigned ret_reg;
};

/* The atomic parts of the object allocated by call, in cudie's unit: of
 * the type pointed to by the pointer variables, in the scopes holding the
 * call, declared on its line or in the return register at its return,
 * when they all point to one type. Failing any such variable, a guess
 * (unoptimised code, a helper returning the block), with *whole set: the
 * type the function holding the call returns a pointer to, or its pointer
 * variables point to, when that makes one type with atomic parts. At most
 * max parts in parts, the type's size in *size. Returns how many: 0 for
 * variables of different types, or for a type without atomic parts. */
size_t heaptype_atomics(Dwarf_Die *cudie, const struct heaptype_call *call, struct heaptype_part *parts, size_t max,
                        uint64_t *size, bool *whole);

#endif
