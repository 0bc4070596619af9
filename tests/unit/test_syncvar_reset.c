/* syncvars_reset (analysis/syncvar.c) over a range: the clocks and
 * contents of the variables inside go, those outside stay, marks stay;
 * whether the range is walked page by page (fewer pages than variables:
 * a heap block that free forgets) or by scanning every variable (an
 * munmap), with the range's ends inside pages and at word boundaries. */
#include "../../analysis/syncvar.h"
#include "tap.h"

#define NVARS 64

static struct syncvars sv;
static uint64_t keys[NVARS];

static void fill(void)
{
    for (int i = 0; i < NVARS; i++) {
        /* Four pages, a variable every 64 bytes in each, not in order. */
        keys[i] = 0x10000 + (uint64_t)(i % 4) * 0x1000 + (uint64_t)(i / 4) * 64;
        struct syncvar *v = syncvar_get(&sv, keys[i], true);
        vclock_set(&v->clock, 1, 7);
        v->marks = 1;
        syncvar_stored(v, 0, keys[i], 8, true, 42);
    }
}

/* Whether exactly the variables with keys in [lo, hi] were reset. */
static bool reset_exactly(uint64_t lo, uint64_t hi)
{
    for (int i = 0; i < NVARS; i++) {
        const struct syncvar *v = syncvar_get(&sv, keys[i], false);
        bool in = keys[i] >= lo && keys[i] <= hi;
        bool cleared = vclock_get(&v->clock, 1) == 0 && v->loc[0].nvals == 0;
        if (in != cleared || v->marks != 1)
            return false;
    }
    return true;
}

static void check(uint64_t lo, uint64_t hi, const char *what)
{
    syncvars_free(&sv);
    fill();
    syncvars_reset(&sv, lo, hi);
    ok(reset_exactly(lo, hi), "%s: [0x%llx, 0x%llx]", what, (unsigned long long)lo, (unsigned long long)hi);
}

int main(void)
{
    check(0x10040, 0x10040, "one word (page walk)");
    check(0x10038, 0x100bf, "a block within a page (page walk)");
    check(0x11fc0, 0x12047, "a block across a page boundary (page walk)");
    check(0x10100, 0x13fff, "four pages (page walk)");
    check(0x20000, 0x20fff, "a page with no variable");
    check(0x0, 0x1000000, "4096 pages: more than the variables (scan)");
    check(0, UINT64_MAX, "everything (scan)");
    check(0x10000 + 0x1000 * 2 + 64 * 3, UINT64_MAX, "to the top of the address space (scan)");
    syncvars_free(&sv);
    return tap_done();
}
