#include <dwarf.h>

#include "dwarfvars.h"

/* Scopes nest (namespaces, functions, blocks, inlined calls); deeper ones
 * are left out rather than followed through bad debug information. */
#define MAX_SCOPE_DEPTH 32

bool dwarfvars_peel(Dwarf_Die *type)
{
    for (int i = 0; i < 16; i++) {
        int tag = dwarf_tag(type);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
            tag != DW_TAG_restrict_type)
            return true;
        if (!dwarfvars_type(type, type))
            return false; /* a qualified void */
    }
    return false;
}

bool dwarfvars_size(Dwarf_Die *type, uint64_t *size)
{
    Dwarf_Die t = *type;
    Dwarf_Word w;
    /* dwarf_aggregate_size does not look through _Atomic. */
    if (!dwarfvars_peel(&t) || (dwarf_tag(&t) == DW_TAG_atomic_type && (!dwarfvars_type(&t, &t) || !dwarfvars_peel(&t))))
        return false;
    if (dwarf_aggregate_size(&t, &w) != 0 || w == 0)
        return false;
    *size = w;
    return true;
}

bool dwarfvars_type(Dwarf_Die *var, Dwarf_Die *type)
{
    Dwarf_Attribute a;
    return dwarf_attr_integrate(var, DW_AT_type, &a) && dwarf_formref_die(&a, type);
}

/* A variable's fixed address: a location of one DW_OP_addr (or, with
 * split DWARF, DW_OP_addrx). */
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

static int walk_scope(Dwarf_Die *die, int depth, dwarfvars_fn *fn, void *arg)
{
    Dwarf_Die c;
    if (depth > MAX_SCOPE_DEPTH || dwarf_child(die, &c) != 0)
        return 0;
    do {
        int rc = 0;
        uint64_t addr;
        switch (dwarf_tag(&c)) {
        case DW_TAG_variable:
            if (fixed_address(&c, &addr))
                rc = fn(arg, &c, addr);
            break;
        case DW_TAG_namespace:
        case DW_TAG_subprogram:
        case DW_TAG_lexical_block:
        case DW_TAG_inlined_subroutine:
            rc = walk_scope(&c, depth + 1, fn, arg);
            break;
        default:
            break;
        }
        if (rc)
            return rc;
    } while (dwarf_siblingof(&c, &c) == 0);
    return 0;
}

int dwarfvars_each(Dwarf *dw, dwarfvars_fn *fn, void *arg)
{
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    uint8_t unit_type;
    while (dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0) {
        if (unit_type != DW_UT_compile && unit_type != DW_UT_partial)
            continue;
        int rc = walk_scope(&cudie, 0, fn, arg);
        if (rc)
            return rc;
    }
    return 0;
}
