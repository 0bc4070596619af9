/* What a synchronisation variable knows of its contents (analysis/
 * syncvar.c): whether a load's value is one stored already, for a load of
 * the location stored, of a part of it (a guard byte of a word stored
 * whole, on little-endian guests) or of a word holding it, whether the contents were ever
 * known, which a reset does not undo, which store each thread saw last,
 * for which a value stored before it is a store to come, and two
 * locations of one word kept apart. */
#include "../../analysis/syncvar.h"
#include "tap.h"

int main(void)
{
    struct syncvars sv = { 0 };
    struct syncvar *v = syncvar_get(&sv, 0x1000, true);
    ok(syncvar_seen(v, 0x1000, 1, 1) && !v->known_once, "nothing known: any value may be there, never known");
    syncvar_stored(v, 0, 0x1000, 4, true, 0x100);
    syncvar_stored(v, 0, 0x1000, 4, true, 0x1);
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
    syncvar_loaded(v, 1, 0x1000, 1, 1);
    ok(v->loc[0].size == 4 && v->loc[0].nvals == 2, "a byte load agreeing with the history keeps it");
    syncvar_loaded(v, 1, 0x1000, 1, 7);
    ok(v->loc[0].size == 1 && v->loc[0].nvals == 1 && !v->loc[1].nvals && syncvar_seen(v, 0x1000, 1, 7),
       "one that does not: its value is there now");
    syncvars_reset(&sv, 0, UINT64_MAX);
    ok(!v->loc[0].nvals && !v->loc[1].nvals && v->known_once, "a reset forgets the values, not that they were known");
    syncvar_stored(v, 0, 0x1000, 4, false, 0);
    ok(!v->loc[0].nvals && syncvar_seen(v, 0x1000, 4, 5), "a store of a value not known: unknown again");

    /* Thread 0 stores 0xb, 0xa, 0xb: 0xa is of the recent past. */
    syncvar_stored(v, 0, 0x1000, 4, true, 0xb);
    syncvar_stored(v, 0, 0x1000, 4, true, 0xa);
    syncvar_stored(v, 0, 0x1000, 4, true, 0xb);
    ok(syncvar_seen(v, 0x1000, 4, 0xa) && !syncvar_future(v, 1, 0x1000, 4, 0xa),
       "0xa, stored two stores ago, loaded by a thread that has not loaded the word: seen, maybe of the past");
    syncvar_loaded(v, 1, 0x1000, 4, 0xb);
    ok(syncvar_future(v, 1, 0x1000, 4, 0xa) && !syncvar_future(v, 1, 0x1000, 4, 0xb),
       "once thread 1 loaded the latest, 0xb: 0xa is a store to come for it (the rwlock word a reader polls), 0xb not");
    ok(syncvar_future(v, 0, 0x1000, 4, 0xa) && !syncvar_future(v, 2, 0x1000, 4, 0xa),
       "... and for thread 0, which stored it; not for thread 2");
    syncvar_stored(v, 2, 0x1000, 4, true, 0xb);
    ok(syncvar_future(v, 1, 0x1000, 4, 0xa),
       "a store of the same value again (a failed compare-and-swap writing 0xb back): thread 1 still has seen the latest");
    syncvar_loaded(v, 2, 0x1000, 4, 0xa);
    ok(!syncvar_future(v, 2, 0x1000, 4, 0xa) && syncvar_future(v, 1, 0x1000, 4, 0xa),
       "thread 2 loading the older 0xa after storing 0xb (a load's record late): no more of the latest");
    syncvar_stored(v, 2, 0x1000, 4, true, 0xc);
    ok(syncvar_future(v, 2, 0x1000, 4, 0xb) && syncvar_future(v, 1, 0x1000, 4, 0xa) &&
           !syncvar_future(v, 1, 0x1000, 4, 0xb) && syncvar_future(v, 0, 0x1000, 4, 0xa) &&
           !syncvar_future(v, 3, 0x1000, 4, 0xa),
       "a new store: the storing thread has seen the latest; threads 1 and 0, which saw the 0xb stored after 0xa, "
       "still cannot read 0xa (libgomp's queue of children), but either 0xb; thread 3 saw nothing");
    syncvar_stored(v, 70, 0x1000, 4, true, 0xd);
    syncvar_loaded(v, 70, 0x1000, 4, 0xd);
    ok(!syncvar_future(v, 70, 0x1000, 4, 0xc), "a thread of index 64 or more: no such knowledge kept");
    syncvar_loaded(v, 1, 0x1000, 4, 0xd);
    ok(!syncvar_future(v, 1, 0x1004, 4, 0xa), "a load beside the location: nothing known there");
    syncvars_reset(&sv, 0, UINT64_MAX);
    ok(!syncvar_future(v, 1, 0x1000, 4, 0xa), "a reset forgets who saw what");

    /* Two locations in the word: the low half, then the high one. */
    syncvar_stored(v, 0, 0x1000, 4, true, 1);
    syncvar_stored(v, 0, 0x1004, 4, true, 2);
    ok(syncvar_seen(v, 0x1000, 4, 1) && !syncvar_seen(v, 0x1000, 4, 2) && syncvar_seen(v, 0x1004, 4, 2) &&
           !syncvar_seen(v, 0x1004, 4, 1),
       "two halves stored: each keeps its own values (glibc's rwlock, two futex words in one)");
    ok(syncvar_seen(v, 0x1000, 8, UINT64_C(0x200000001)) && !syncvar_seen(v, 0x1000, 8, UINT64_C(0x300000001)) &&
           syncvar_current(v, 0x1000, 8, UINT64_C(0x200000001)),
       "a load of the whole word: each half compared with its own");
    syncvar_loaded(v, 1, 0x1004, 4, 2);
    ok(syncvar_future(v, 1, 0x1004, 4, 3) && !syncvar_future(v, 1, 0x1000, 4, 3),
       "a thread that loaded the high half's latest: another value there is to come, not in the low half");
    syncvar_stored(v, 0, 0x1002, 4, true, 5);
    ok(syncvar_seen(v, 0x1000, 4, 9) && syncvar_seen(v, 0x1004, 4, 9) && !syncvar_seen(v, 0x1002, 4, 4),
       "a store across both: neither known, the new location is");
    syncvar_stored(v, 0, 0x1000, 2, true, 1);
    syncvar_stored(v, 0, 0x1006, 2, true, 2);
    ok(!syncvar_seen(v, 0x1000, 2, 3) && !syncvar_seen(v, 0x1006, 2, 3) && syncvar_seen(v, 0x1002, 4, 4),
       "two more beside each other: the one across them forgotten (only two are kept)");
    syncvar_stored(v, 0, 0x1003, 1, true, 1);
    ok(syncvar_seen(v, 0x1000, 2, 3) && !syncvar_seen(v, 0x1006, 2, 3) && !syncvar_seen(v, 0x1003, 1, 3),
       "a third: the one stored longest ago gives way");
    syncvars_free(&sv);
    return tap_done();
}
