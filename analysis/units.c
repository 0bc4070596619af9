#include <stdint.h>
#include <stdlib.h>

#include "units.h"

struct unit_range {
    Dwarf_Addr lo, hi; /* [lo, hi), as the DWARF gives addresses */
    size_t die;        /* index in dies */
};

void units_free(struct units *u)
{
    free(u->v);
    free(u->dies);
    *u = (struct units){ 0 };
}

static int by_lo(const void *a, const void *b)
{
    const struct unit_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int build(struct units *u, Dwarf *dw)
{
    size_t cap = 0, dcap = 0;
    Dwarf_CU *unit = NULL;
    Dwarf_Die cu;
    while (dwarf_get_units(dw, unit, &unit, NULL, NULL, &cu, NULL) == 0) {
        if (u->ndies == dcap) {
            dcap = dcap ? 2 * dcap : 64;
            Dwarf_Die *d = realloc(u->dies, dcap * sizeof *d);
            if (!d)
                return -1;
            u->dies = d;
        }
        u->dies[u->ndies] = cu;
        Dwarf_Addr base, lo, hi;
        for (ptrdiff_t it = 0; (it = dwarf_ranges(&cu, it, &base, &lo, &hi)) > 0;) {
            if (hi <= lo)
                continue;
            if (u->n == cap) {
                cap = cap ? 2 * cap : 64;
                struct unit_range *v = realloc(u->v, cap * sizeof *v);
                if (!v)
                    return -1;
                u->v = v;
            }
            u->v[u->n++] = (struct unit_range){ lo, hi, u->ndies };
        }
        u->ndies++;
    }
    if (u->n) /* none: no array, which qsort must not be given */
        qsort(u->v, u->n, sizeof *u->v, by_lo);
    return 1;
}

Dwarf_Die *units_find(struct units *u, Dwfl_Module *mod, Dwarf_Addr a, Dwarf_Addr *cubias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(mod, a, cubias);
    if (cu && dwarf_haspc(cu, a - *cubias) > 0)
        return cu;
    Dwarf_Addr bias;
    Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
    if (!dw)
        return NULL;
    if (!u->built)
        u->built = build(u, dw);
    if (u->built < 0)
        return NULL;
    /* The last range starting at or below the address; ranges of one
     * unit do not overlap another's in sane DWARF, and a nested one
     * (bad DWARF) at worst names the wrong unit. */
    Dwarf_Addr d = a - bias;
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u->v[mid].lo <= d)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || d >= u->v[lo - 1].hi)
        return NULL;
    *cubias = bias;
    return &u->dies[u->v[lo - 1].die];
}
