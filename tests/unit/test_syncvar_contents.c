/* What a synchronisation variable knows of its contents (analysis/
 * syncvar.c): whether a load's value is one stored already, for a load of
 * the location stored, of a part of it (a guard byte of a word stored
 * whole, on little-endian guests) or of a word holding it, and whether the contents were ever
 * known, which a reset does not undo. */
#include "../../analysis/syncvar.h"
#include "tap.h"

int main(void)
{
    struct syncvars sv = { 0 };
    struct syncvar *v = syncvar_get(&sv, 0x1000, true);
    ok(syncvar_seen(v, 0x1000, 1, 1) && !v->known_once, "nothing known: any value may be there, never known");
    syncvar_stored(v, 0x1000, 4, true, 0x100);
    syncvar_stored(v, 0x1000, 4, true, 0x1);
    ok(v->known_once, "a store with its value: known");
    ok(syncvar_seen(v, 0x1000, 1, 1), "byte 0 of the word's last value: seen");
    ok(syncvar_seen(v, 0x1001, 1, 1), "byte 1 of the value before: seen");
    ok(!syncvar_seen(v, 0x1000, 1, 2), "a byte value no store wrote: not seen");
    ok(!syncvar_seen(v, 0x1000, 2, 0x101), "a half word no store wrote: not seen");
    ok(syncvar_seen(v, 0x1004, 1, 9), "outside the location stored: unknown, seen");
    ok(!syncvar_seen(v, 0x1000, 8, 9), "a word holding it whose part there no store wrote: not seen");
    ok(syncvar_seen(v, 0x1000, 8, UINT64_C(0x700000001)),
       "a word holding it, its part there the last value (a shared_ptr's use and weak counts loaded at once, the "
       "use count stored by lock xadd): seen");
    ok(syncvar_seen(v, 0x1000, 8, UINT64_C(0x700000100)), "... the value before: seen");
    ok(syncvar_current(v, 0x1000, 8, UINT64_C(0x700000001)) && !syncvar_current(v, 0x1000, 8, UINT64_C(0x100)),
       "a read-modify-write of the word holding it: only the last value's");
    ok(syncvar_seen(v, 0x1002, 4, 9), "a part beside it, neither in it nor holding it: unknown, seen");
    ok(syncvar_current(v, 0x1000, 1, 1) && !syncvar_current(v, 0x1001, 1, 1),
       "a read-modify-write of a byte: only the last value's");
    syncvar_loaded(v, 0x1000, 1, 1);
    ok(v->vals_size == 4 && v->nvals == 2, "a byte load agreeing with the history keeps it");
    syncvar_loaded(v, 0x1000, 1, 7);
    ok(v->vals_size == 1 && v->nvals == 1 && syncvar_seen(v, 0x1000, 1, 7), "one that does not: its value is there now");
    syncvars_reset(&sv, 0, UINT64_MAX);
    ok(v->nvals == 0 && v->known_once, "a reset forgets the values, not that they were known");
    syncvar_stored(v, 0x1000, 4, false, 0);
    ok(v->nvals == 0 && syncvar_seen(v, 0x1000, 4, 5), "a store of a value not known: unknown again");
    syncvars_free(&sv);
    return tap_done();
}
