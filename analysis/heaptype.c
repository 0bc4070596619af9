#include <dwarf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "atomicobj.h"
#include "dwarfvars.h"
#include "heaptype.h"

struct parts {
    struct heaptype_part *v;
    size_t n, max;
};

static int add_part(void *arg, uint64_t offset, uint64_t size)
{
    struct parts *p = arg;
    if (p->n == p->max)
        return 1;
    p->v[p->n++] = (struct heaptype_part){ offset, size };
    return 0;
}

/* Whether var was declared at file:line. A unit's line table and its
 * declarations may name one file with different directories: the base
 * name decides. */
static bool declared_at(Dwarf_Die *var, const char *file, int line)
{
    int l;
    const char *f;
    return dwarf_decl_line(var, &l) == 0 && l == line && (f = dwarf_decl_file(var)) &&
           !strcmp(basename(f), basename(file));
}

/* How far after a call its result may first be described as in the
 * return register: gcc -O1 can start the range after an instruction
 * that copies it (`mov %rax,%r12`), gcc -O2 after it set up the next
 * call's arguments (31 bytes of x86_64). */
#define RET_WINDOW 64

static bool is_register(const Dwarf_Op *expr, size_t len, unsigned reg)
{
    return len == 1 &&
           ((reg < 32 && expr[0].atom == DW_OP_reg0 + reg) || (expr[0].atom == DW_OP_regx && expr[0].number == reg));
}

/* Whether a call in scope (a function, its blocks and inlined calls)
 * returns in (from, to]: the return register then holds its result. */
static bool returns_in(Dwarf_Die *scope, Dwarf_Addr from, Dwarf_Addr to, int depth)
{
    Dwarf_Die c;
    if (depth > 16 || dwarf_child(scope, &c) != 0)
        return false;
    do {
        Dwarf_Attribute a;
        Dwarf_Addr ret;
        switch (dwarf_tag(&c)) {
        case DW_TAG_call_site:
        case DW_TAG_GNU_call_site:
            if ((dwarf_attr(&c, DW_AT_call_return_pc, &a) || dwarf_attr(&c, DW_AT_low_pc, &a)) &&
                dwarf_formaddr(&a, &ret) == 0 && ret > from && ret <= to)
                return true;
            break;
        case DW_TAG_lexical_block:
        case DW_TAG_inlined_subroutine:
            if (returns_in(&c, from, to, depth + 1))
                return true;
            break;
        default:
            break;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

/* Whether var holds the call's result: its location list has it in the
 * return register at the return address, or from a little after with no
 * other call returning between (fn: the function holding the call). */
static bool holds_result(Dwarf_Die *var, const struct heaptype_call *call, Dwarf_Die *fn)
{
    Dwarf_Attribute a;
    Dwarf_Addr base, start, end;
    Dwarf_Op *expr;
    size_t len;
    if (!dwarf_attr(var, DW_AT_location, &a))
        return false;
    for (ptrdiff_t off = 0; (off = dwarf_getlocations(&a, off, &base, &start, &end, &expr, &len)) > 0;)
        if (is_register(expr, len, call->ret_reg) && start < call->ret + RET_WINDOW && end > call->ret)
            return start <= call->ret || (fn && !returns_in(fn, call->ret, start, 0));
    return false;
}

/* The type a pointer variable points to. */
static bool pointee(Dwarf_Die *var, Dwarf_Die *type)
{
    Dwarf_Die t;
    return dwarfvars_type(var, &t) && dwarfvars_peel(&t) && dwarf_tag(&t) == DW_TAG_pointer_type &&
           dwarfvars_type(&t, type) && dwarfvars_peel(type);
}

static int any_part(void *arg, uint64_t offset, uint64_t size)
{
    (void)arg, (void)offset, (void)size;
    return 1;
}

/* One more candidate type t for the object: found counts them as
 * heaptype_atomics does (-1 for two different types). */
static int candidate(int found, Dwarf_Die *type, Dwarf_Die *t)
{
    if (found && dwarf_dieoffset(t) != dwarf_dieoffset(type))
        return -1;
    *type = *t;
    return 1;
}

/* Whether die (a variable, or a function by its return type) points to
 * a type with atomic parts, in *type. */
static bool atomic_pointee(Dwarf_Die *die, Dwarf_Die *type)
{
    return pointee(die, type) && atomicobj_in_type(type, any_part, NULL);
}

/* When no pointer holds the call's result as far as the debug information
 * tells: unoptimised code keeps a pointer assigned after its declaration
 * in its stack slot (`m = calloc(...)`, gcc -O0), and a helper's
 * `return calloc(...)` not inlined has no variable at all. The guess is
 * the type with atomic parts that the function holding the call returns a
 * pointer to, or that its pointer variables point to, when they name just
 * one; the caller takes it only for a block of whole objects of it. */
static int guess(Dwarf_Die *scopes, int nscopes, Dwarf_Die *type)
{
    int found = 0;
    for (int i = 0; i < nscopes && found >= 0; i++) {
        int tag = dwarf_tag(&scopes[i]);
        bool fn = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
        Dwarf_Die c, t;
        if (fn && atomic_pointee(&scopes[i], &t))
            found = candidate(found, type, &t);
        if (tag != DW_TAG_compile_unit && dwarf_child(&scopes[i], &c) == 0)
            do
                if (dwarf_tag(&c) == DW_TAG_variable && atomic_pointee(&c, &t))
                    found = candidate(found, type, &t);
            while (found >= 0 && dwarf_siblingof(&c, &c) == 0);
        if (fn)
            break; /* the scopes beyond are its caller's */
    }
    return found;
}

size_t heaptype_atomics(Dwarf_Die *cudie, const struct heaptype_call *call, struct heaptype_part *parts, size_t max,
                        uint64_t *size, bool *whole)
{
    Dwarf_Line *ln = dwarf_getsrc_die(cudie, call->pc);
    const char *file;
    int line;
    if (!ln || dwarf_lineno(ln, &line) != 0 || !(file = dwarf_linesrc(ln, NULL, NULL)))
        return 0;
    /* dwarf_getscopes goes from an inlined function to its abstract
     * definition's scopes; those the code is in are its DIE's parents. */
    Dwarf_Die *inner, *scopes, type, t;
    int ninner = dwarf_getscopes(cudie, call->pc, &inner);
    int nscopes = ninner > 0 ? dwarf_getscopes_die(&inner[0], &scopes) : 0;
    if (ninner > 0)
        free(inner);
    Dwarf_Die *fn = NULL; /* the outermost function: its calls include the inlined ones' */
    for (int i = 0; i < nscopes; i++)
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
            fn = &scopes[i];
    int found = 0;
    /* The unit's own scope is left out: C initialises no global with a
     * call, and it holds every declaration of the unit. */
    for (int i = 0; i < nscopes && found >= 0; i++) {
        Dwarf_Die c;
        if (dwarf_tag(&scopes[i]) == DW_TAG_compile_unit || dwarf_child(&scopes[i], &c) != 0)
            continue;
        do {
            if (dwarf_tag(&c) == DW_TAG_variable && (declared_at(&c, file, line) || holds_result(&c, call, fn)) &&
                pointee(&c, &t))
                found = candidate(found, &type, &t); /* two objects on one line: which is this one? */
        } while (found >= 0 && dwarf_siblingof(&c, &c) == 0);
    }
    *whole = found == 0;
    if (found == 0)
        found = guess(scopes, nscopes, &type);
    if (nscopes > 0)
        free(scopes);
    struct parts p = { parts, 0, max };
    if (found <= 0 || !dwarfvars_size(&type, size))
        return 0;
    atomicobj_in_type(&type, add_part, &p);
    return p.n;
}
