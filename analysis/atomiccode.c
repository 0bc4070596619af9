#include <dwarf.h>
#include <stdbool.h>
#include <string.h>

#include "atomiccode.h"

bool atomiccode_source(const char *path)
{
    if (!path)
        return false;
    const char *base = basename(path);
    return !strcmp(base, "atomic_base.h") || !strcmp(base, "atomic") || !strcmp(base, "atomic_wait.h") ||
           !strcmp(base, "atomic_timed_wait.h") || strstr(path, "/__atomic/") ||
           strstr(path, "/core/src/sync/atomic.rs");
}

/* The rows of one unit's line table: each row's code runs to the next
 * row's address, but for the last of a sequence. Rows that follow each
 * other make one range: fn is called once per inlined body, not per line
 * of it. */
static int unit_lines(Dwarf_Die *cudie, int64_t to_vaddr, atomiccode_fn *fn, void *arg)
{
    Dwarf_Lines *lines;
    size_t n;
    if (dwarf_getsrclines(cudie, &lines, &n) != 0)
        return 0;
    Dwarf_Addr start = 0, stop = 0; /* the range being gathered, empty */
    for (size_t i = 0; i < n; i++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, i), *next = i + 1 < n ? dwarf_onesrcline(lines, i + 1) : NULL;
        Dwarf_Addr a, b;
        bool end;
        bool in = l && next && dwarf_lineendsequence(l, &end) == 0 && !end &&
                  atomiccode_source(dwarf_linesrc(l, NULL, NULL)) && dwarf_lineaddr(l, &a) == 0 &&
                  dwarf_lineaddr(next, &b) == 0 && b > a;
        if (in && a == stop && stop > start) {
            stop = b;
            continue;
        }
        if (stop > start) {
            int rc = fn(arg, (uint64_t)((int64_t)start + to_vaddr), (uint64_t)((int64_t)stop + to_vaddr));
            if (rc)
                return rc;
        }
        start = in ? a : 0;
        stop = in ? b : 0;
    }
    return 0;
}

int atomiccode_find(Dwarf *dw, int64_t to_vaddr, atomiccode_fn *fn, void *arg)
{
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    uint8_t unit_type;
    while (dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0) {
        if (unit_type != DW_UT_compile)
            continue;
        int rc = unit_lines(&cudie, to_vaddr, fn, arg);
        if (rc)
            return rc;
    }
    return 0;
}
