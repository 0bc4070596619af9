#include <dwarf.h>
#include <stdbool.h>
#include <string.h>

#include "atomicobj.h"
#include "dwarfvars.h"

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

static bool starts(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

/* Whether a (peeled) type is atomic as a whole: C11 _Atomic T (and C's
 * atomic_flag, an _Atomic struct), libstdc++'s and libc++'s classes, or
 * GLib's GOnce: g_once's inline fast path loads its status with an acquire
 * load and g_once_impl stores it with a release store, plain `mov`s on
 * x86_64, while its fields are declared volatile, not _Atomic (a GLib
 * thread pool initialising a table with g_once was reported in 6 runs of
 * 12). */
static bool atomic_type(Dwarf_Die *type)
{
    int tag = dwarf_tag(type);
    if (tag == DW_TAG_atomic_type)
        return true;
    if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type)
        return false;
    const char *name = dwarf_diename(type);
    return starts(name, "atomic<") || starts(name, "__atomic_base<") || starts(name, "__atomic_float<") ||
           starts(name, "atomic_flag") || starts(name, "__atomic_flag_base") || (name && !strcmp(name, "_GOnce"));
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
        Dwarf_Attribute a;
        Dwarf_Word off;
        Dwarf_Die mt;
        if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) || dwarf_hasattr(&m, DW_AT_bit_size) ||
            !dwarf_attr(&m, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &off) != 0 ||
            !dwarfvars_type(&m, &mt))
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
    Dwarf_Die elem;
    uint64_t total, esize;
    if (!dwarfvars_type(type, &elem) || !dwarfvars_peel(&elem) ||
        !dwarfvars_size(type, &total) || !dwarfvars_size(&elem, &esize))
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
    if (depth > MAX_DEPTH || !dwarfvars_peel(type))
        return 0;
    if (atomic_type(type))
        return dwarfvars_size(type, &size) ? w->fn(w->arg, (uint64_t)((int64_t)addr + w->to_vaddr), size) : 0;
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

static int variable(void *arg, Dwarf_Die *var, uint64_t addr)
{
    Dwarf_Die type;
    return dwarfvars_type(var, &type) ? visit(arg, &type, addr, 0) : 0;
}

int atomicobj_in_type(Dwarf_Die *type, atomicobj_fn *fn, void *arg)
{
    struct walk w = { .fn = fn, .arg = arg };
    Dwarf_Die t = *type;
    return visit(&w, &t, 0, 0);
}

int atomicobj_find(Dwarf *dw, int64_t to_vaddr, atomicobj_fn *fn, void *arg)
{
    struct walk w = { .fn = fn, .arg = arg, .to_vaddr = to_vaddr };
    return dwarfvars_each(dw, variable, &w);
}
