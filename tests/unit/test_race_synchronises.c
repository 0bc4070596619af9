/* tt_race_synchronises (analysis/race.c): whether a range holds a byte of
 * a synchronisation location, by the byte, across words; `tcgtrace races`
 * asks it of the memory around a race inside the C library, to tell a
 * pthread object's relaxed fields from the program's buffer. And
 * tt_race_unmark, which a heap block's free makes. */
#include "test_race.h"

int main(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    /* Bytes 0x1004..0x1007 of one word, and a location an atomic
     * instruction made, in another page. */
    MUST(tt_race_mark(r, 0x1004, 4));
    MUST(tt_race_access(r, 1, 0x400000, 0x5010, 8, TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW, 0));

    ok(tt_race_synchronises(r, 0x1004, 0x1005), "the marked word's first byte");
    ok(tt_race_synchronises(r, 0x1007, 0x1008), "its last byte");
    ok(!tt_race_synchronises(r, 0x1000, 0x1004), "the bytes of the word before it");
    ok(!tt_race_synchronises(r, 0x1008, 0x1040), "the words after it");
    ok(tt_race_synchronises(r, 0x0fc0, 0x1005), "a range ending in it");
    ok(tt_race_synchronises(r, 0x1006, 0x1100), "a range starting in it");
    ok(tt_race_synchronises(r, 0x5000, 0x5011), "a location an atomic instruction accessed");
    ok(!tt_race_synchronises(r, 0x2000, 0x5000), "pages with none");

    /* tt_race_unmark: a freed block's bytes, and those only. */
    tt_race_unmark(r, 0x1004, 2);
    ok(!tt_race_synchronises(r, 0x1004, 0x1006), "unmarked: the two bytes");
    ok(tt_race_synchronises(r, 0x1006, 0x1008), "unmarked: not the bytes after them");
    tt_race_unmark(r, 0x4000, 0x2000);
    ok(!tt_race_synchronises(r, 0x5000, 0x5018), "unmarked: a location inside a larger range");
    MUST(tt_race_mark(r, 0x5010, 8));
    ok(tt_race_synchronises(r, 0x5010, 0x5011), "marked again after");
    tt_race_free(r);
    return tap_done();
}
