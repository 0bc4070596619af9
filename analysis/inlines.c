#include <dwarf.h>
#include <stdint.h>
#include <stdlib.h>

#include "inlines.h"
#include "room.h"
#include "sorted.h"

/* A function's code range, and its entry's offset. */
struct func {
    Dwarf_Addr lo, hi;
    Dwarf_Off die;
};

struct inlines_unit {
    Dwarf_Off cu; /* the unit's DIE offset */
    Dwarf *dw;
    struct func *v;
    size_t n, cap;
};

void inlines_free(struct inlines *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->units[i].v);
    free(in->units);
    *in = (struct inlines){ 0 };
}

static int add_func(struct inlines_unit *u, Dwarf_Die *die)
{
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
        if (room(&u->v, &u->cap, u->n, sizeof *u->v) < 0)
            return -1;
        u->v[u->n++] = (struct func){ lo, hi, dwarf_dieoffset(die) };
    }
    return 0;
}

/* The functions with code under die, into u; nested functions (a C++
 * lambda's is its own entry) are found from their parent at lookup. */
static int index_scope(struct inlines_unit *u, Dwarf_Die *die, int depth)
{
    Dwarf_Die child;
    if (depth > 16 || dwarf_child(die, &child) != 0)
        return 0;
    do {
        switch (dwarf_tag(&child)) {
        case DW_TAG_subprogram:
            if (add_func(u, &child) < 0)
                return -1;
            break;
        case DW_TAG_namespace:
        case DW_TAG_module:
        case DW_TAG_class_type:
        case DW_TAG_structure_type:
        case DW_TAG_union_type:
            if (index_scope(u, &child, depth + 1) < 0)
                return -1;
            break;
        default:
            break;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

static int by_lo(const void *a, const void *b)
{
    const struct func *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

static struct inlines_unit *unit_of(struct inlines *in, Dwarf_Die *cudie)
{
    Dwarf_Off cu = dwarf_dieoffset(cudie);
    Dwarf *dw = dwarf_cu_getdwarf(cudie->cu);
    for (size_t i = 0; i < in->n; i++)
        if (in->units[i].cu == cu && in->units[i].dw == dw)
            return &in->units[i];
    if (room(&in->units, &in->cap, in->n, sizeof *in->units) < 0)
        return NULL;
    struct inlines_unit *u = &in->units[in->n];
    *u = (struct inlines_unit){ .cu = cu, .dw = dw };
    if (index_scope(u, cudie, 0) < 0) {
        free(u->v);
        return NULL;
    }
    qsort(u->v, u->n, sizeof *u->v, by_lo);
    in->n++;
    return u;
}

/* Scopes nest this deep at most (inlined calls, blocks): a damaged file's
 * deeper ones are not followed. */
#define MAX_NESTING 256

/* The inlined calls containing pc under die, appended to chain from depth
 * on; returns the new depth. */
static int descend(Dwarf_Die *die, Dwarf_Addr pc, Dwarf_Die *chain, int depth, int max, int nesting)
{
    Dwarf_Die child;
    if (nesting > MAX_NESTING || dwarf_child(die, &child) != 0)
        return depth;
    do {
        int tag = dwarf_tag(&child);
        if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block || tag == DW_TAG_subprogram) &&
            dwarf_haspc(&child, pc) == 1) {
            if (tag == DW_TAG_inlined_subroutine && depth < max)
                chain[depth++] = child;
            return descend(&child, pc, chain, depth, max, nesting + 1);
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return depth;
}

int inlines_at(struct inlines *in, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *chain, int max)
{
    struct inlines_unit *u = unit_of(in, cudie);
    if (!u)
        return 0;
    /* The last function starting at or before pc that covers it. */
    size_t lo = SORTED_FIRST(u->v, u->n, struct func, lo, pc, true);
    for (size_t i = lo; i-- > 0;) {
        Dwarf_Die f;
        if (pc < u->v[i].hi && dwarf_offdie(u->dw, u->v[i].die, &f))
            return descend(&f, pc, chain, 0, max, 0);
    }
    return 0;
}
