#include <dwarf.h>
#include <stdbool.h>
#include <string.h>

#include "atomicobj.h"

/* Types nest (a struct of arrays of structs ...); deeper ones are left
 * out rather than followed through a cycle of bad debug information. */
#define MAX_DEPTH 8

/* Elements of an array of structs walked one by one, at most: an array
 * of a million records with an atomic member each is left out. */
#define MAX_ELEMENTS 4096

struct walk {
    atomicobj_fn *fn;
    void *arg;
    int64_t to_vaddr;
};

/* The type under typedefs and qualifiers other than _Atomic. */
static bool peel(Dwarf_Die *type)
{
    for (int i = 0; i < 16; i++) {
        int tag = dwarf_tag(type);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
            tag != DW_TAG_restrict_type)
            return true;
        Dwarf_Attribute a;
        if (!dwarf_attr_integrate(type, DW_AT_type, &a) || !dwarf_formref_die(&a, type))
            return false; /* a qualified void */
    }
    return false;
}

static bool starts(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

/* Whether a (peeled) type is atomic as a whole: C11 _Atomic T (and C's
 * atomic_flag, an _Atomic struct), or libstdc++'s and libc++'s classes. */
static bool atomic_type(Dwarf_Die *type)
{
    int tag = dwarf_tag(type);
    if (tag == DW_TAG_atomic_type)
        return true;
    if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type)
        return false;
    const char *name = dwarf_diename(type);
    return starts(name, "atomic<") || starts(name, "__atomic_base<") || starts(name, "__atomic_float<") ||
           starts(name, "atomic_flag") || starts(name, "__atomic_flag_base");
}

static bool size_of(Dwarf_Die *type, uint64_t *size)
{
    Dwarf_Die t = *type;
    Dwarf_Word w;
    /* dwarf_aggregate_size does not look through _Atomic. */
    if (dwarf_tag(&t) == DW_TAG_atomic_type) {
        Dwarf_Attribute a;
        if (!dwarf_attr_integrate(&t, DW_AT_type, &a) || !dwarf_formref_die(&a, &t) || !peel(&t))
            return false;
    }
    if (dwarf_aggregate_size(&t, &w) != 0 || w == 0)
        return false;
    *size = w;
    return true;
}

static int visit(struct walk *w, Dwarf_Die *type, uint64_t addr, int depth);

/* The members (and base classes) of a struct or class at addr. */
static int visit_members(struct walk *w, Dwarf_Die *type, uint64_t addr, int depth)
{
    Dwarf_Die m;
    if (dwarf_child(type, &m) != 0)
        return 0;
    do {
        int tag = dwarf_tag(&m);
        Dwarf_Attribute a, ta;
        Dwarf_Word off;
        Dwarf_Die mt;
        if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) || dwarf_hasattr(&m, DW_AT_bit_size) ||
            !dwarf_attr(&m, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &off) != 0 ||
            !dwarf_attr_integrate(&m, DW_AT_type, &ta) || !dwarf_formref_die(&ta, &mt))
            continue;
        int rc = visit(w, &mt, addr + off, depth + 1);
        if (rc)
            return rc;
    } while (dwarf_siblingof(&m, &m) == 0);
    return 0;
}

/* The elements of an array at addr: all at once when they are atomic. */
static int visit_array(struct walk *w, Dwarf_Die *type, uint64_t addr, int depth)
{
    Dwarf_Attribute a;
    Dwarf_Die elem;
    uint64_t total, esize;
    if (!dwarf_attr_integrate(type, DW_AT_type, &a) || !dwarf_formref_die(&a, &elem) || !peel(&elem) ||
        !size_of(type, &total) || !size_of(&elem, &esize))
        return 0;
    if (atomic_type(&elem))
        return w->fn(w->arg, (uint64_t)((int64_t)addr + w->to_vaddr), total);
    int tag = dwarf_tag(&elem);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type && tag != DW_TAG_array_type)
        return 0;
    for (uint64_t i = 0; i < total / esize && i < MAX_ELEMENTS; i++) {
        int rc = visit(w, &elem, addr + i * esize, depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

static int visit(struct walk *w, Dwarf_Die *type, uint64_t addr, int depth)
{
    uint64_t size;
    if (depth > MAX_DEPTH || !peel(type))
        return 0;
    if (atomic_type(type))
        return size_of(type, &size) ? w->fn(w->arg, (uint64_t)((int64_t)addr + w->to_vaddr), size) : 0;
    switch (dwarf_tag(type)) {
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
        return visit_members(w, type, addr, depth);
    case DW_TAG_array_type:
        return visit_array(w, type, addr, depth);
    default:
        return 0;
    }
}

/* A variable's fixed address: a location of one DW_OP_addr (or, with
 * split DWARF, DW_OP_addrx). Locals on the stack, in registers, and
 * thread-local variables have none. */
static bool fixed_address(Dwarf_Die *var, uint64_t *addr)
{
    Dwarf_Attribute a, aa;
    Dwarf_Op *ops;
    size_t n;
    Dwarf_Addr v;
    if (!dwarf_attr(var, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &n) != 0 || n != 1)
        return false;
    if (ops[0].atom == DW_OP_addr) {
        *addr = ops[0].number;
        return true;
    }
    if ((ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) &&
        dwarf_getlocation_attr(&a, ops, &aa) == 0 && dwarf_formaddr(&aa, &v) == 0) {
        *addr = v;
        return true;
    }
    return false;
}

/* The variables under die: at the top of a unit, in namespaces, and the
 * static ones in functions and their blocks. */
static int walk_scope(struct walk *w, Dwarf_Die *die, int depth)
{
    Dwarf_Die c;
    if (depth > MAX_DEPTH * 4 || dwarf_child(die, &c) != 0)
        return 0;
    do {
        int rc = 0;
        Dwarf_Attribute ta;
        Dwarf_Die type;
        uint64_t addr;
        switch (dwarf_tag(&c)) {
        case DW_TAG_variable:
            if (fixed_address(&c, &addr) && dwarf_attr_integrate(&c, DW_AT_type, &ta) &&
                dwarf_formref_die(&ta, &type))
                rc = visit(w, &type, addr, 0);
            break;
        case DW_TAG_namespace:
        case DW_TAG_subprogram:
        case DW_TAG_lexical_block:
        case DW_TAG_inlined_subroutine:
            rc = walk_scope(w, &c, depth + 1);
            break;
        default:
            break;
        }
        if (rc)
            return rc;
    } while (dwarf_siblingof(&c, &c) == 0);
    return 0;
}

int atomicobj_find(Dwarf *dw, int64_t to_vaddr, atomicobj_fn *fn, void *arg)
{
    struct walk w = { .fn = fn, .arg = arg, .to_vaddr = to_vaddr };
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    uint8_t unit_type;
    while (dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0) {
        if (unit_type != DW_UT_compile && unit_type != DW_UT_partial)
            continue;
        int rc = walk_scope(&w, &cudie, 0);
        if (rc)
            return rc;
    }
    return 0;
}
