/* Shadow memory: granules split by mixed access sizes and merged by whole
 * writes, overlapping and unaligned accesses across words and pages, what a
 * report says of the earlier access, memory held only for touched pages,
 * forgetting ranges. */
#include "../../analysis/shadow.h"
#include "test_race.h"

static void test_granules(void)
{
    struct shadow s = { 0 };
    bool created;
    struct shadow_page *p = shadow_page(&s, 0x12345678, true, &created);
    ok(p && created && s.npages == 1, "a page is created on first touch");
    ok(shadow_page(&s, 0x12345000, false, &created) == p && !created, "found again, for any address in it");
    ok(shadow_page(&s, 0x12346000, false, &created) == NULL, "the next page does not exist");
    uint64_t base = s.bytes;
    unsigned n;
    struct shadow_cell *c = shadow_cells(&s, p, 3, 0, 8, &n);
    ok(c == &p->slot[3].cell && n == 1 && p->level[3] == 0 && s.bytes == base, "8 bytes: one cell, in the page");
    c->w = epoch_make(1, 5);
    c = shadow_cells(&s, p, 3, 4, 4, &n);
    ok(n == 1 && p->level[3] == 1 && c == &p->slot[3].split[1], "4 bytes at 4: the word splits into two 4-byte cells");
    ok(p->slot[3].split[0].w == epoch_make(1, 5) && c->w == epoch_make(1, 5),
       "each keeps the history of the 8-byte access");
    c = shadow_cells(&s, p, 3, 0, 8, &n);
    ok(n == 2 && c == p->slot[3].split, "8 bytes over a split word: both cells");
    c = shadow_cells(&s, p, 3, 5, 2, &n);
    ok(p->level[3] == 3 && n == 2 && c == &p->slot[3].split[5], "2 bytes at 5 (odd): byte cells");
    ok(p->slot[3].split[7].w == epoch_make(1, 5), "still the same history in every byte");
    c = shadow_cells(&s, p, 3, 2, 4, &n);
    ok(p->level[3] == 3 && n == 4 && c == &p->slot[3].split[2], "a coarser access over a finer word takes its cells");
    ok(s.bytes == base + 8 * sizeof(struct shadow_cell), "split cells are counted");
    shadow_collapse(&s, p, 3);
    ok(p->level[3] == 0 && p->slot[3].cell.w == epoch_make(1, 5) && s.bytes == base, "collapse makes one cell again");

    /* A cell holding concurrent reads splits into cells with sets of their own. */
    struct shadow_reads *rs = shadow_reads_reserve(&s, NULL, 2);
    rs->e[2].clock = 9;
    p->slot[4].cell.r = SHADOW_SHARED | (uintptr_t)rs;
    c = shadow_cells(&s, p, 4, 6, 1, &n);
    struct shadow_reads *r0 = (void *)(uintptr_t)(p->slot[4].split[0].r & ~SHADOW_SHARED);
    struct shadow_reads *r6 = (void *)(uintptr_t)(c->r & ~SHADOW_SHARED);
    ok(r0 != r6 && r0->e[2].clock == 9 && r6->e[2].clock == 9, "a read set is copied into each byte cell");
    shadow_forget(&s, 0x12345000 + 32, 8);
    ok(p->level[4] == 0 && p->slot[4].cell.r == 0 && p->slot[3].cell.w != 0, "forgetting a word empties it only");
    shadow_forget(&s, 0x12345000 + 20, 8);
    ok(p->slot[3].cell.w != 0, "a word only partly in the range keeps its history");
    shadow_forget(&s, 0x12345000, 4096);
    ok(s.npages == 0 && s.bytes == 0 && !shadow_page(&s, 0x12345000, false, &created), "a whole page is released");
    shadow_free(&s);
}

#define T1 1
#define T2 2
#define T3 3
#define W 0x8000 /* a word */
#define PC1 0x100
#define PC2 0x200
#define PC3 0x300

static struct tt_race *threads3(void)
{
    struct tt_race *r = new_race(EM_X86_64, false);
    START(r, TT_RACE_NO_THREAD, T1, 0);
    START(r, T1, T2, 0);
    START(r, T1, T3, 0);
    return r;
}

static void test_mixed_sizes(void)
{
    struct tt_race *r = threads3();
    for (int i = 0; i < 8; i++)
        ST(r, i % 2 ? T2 : T1, PC1, W + (uint64_t)i, 1, 1);
    ST(r, T1, PC1, W + 8, 4, 1);
    ST(r, T2, PC1 + 4, W + 12, 4, 1);
    ST(r, T1, PC2, W + 16, 2, 1);
    ST(r, T2, PC2, W + 18, 2, 1);
    ST(r, T3, PC2, W + 20, 4, 1);
    is(nreports(r), 0, "threads writing distinct bytes, halves, quarters of words: no race");
    LD(r, T3, PC3, W + 8, 8, 2);
    size_t n;
    const struct tt_race_report *rep = tt_race_reports(r, &n);
    ok(n == 2 && rep[0].first.addr == W + 8 && rep[0].first.size == 4 && rep[0].second.addr == W + 8 &&
           rep[0].second.size == 8,
       "an 8-byte read over both halves races with both writers: 4-byte write at +8 first");
    ok(n == 2 && rep[1].first.addr == W + 12 && rep[1].first.tid == T2, "then the one at +12");
    tt_race_free(r);

    /* A split keeps the history of every byte: T2 overwrites byte 0 of
     * T1's 8-byte write without order; T3 ordered after T2 only still
     * races with T1 on the other bytes. */
    r = threads3();
    ST(r, T1, PC1, W, 8, 1);
    ST(r, T2, PC2, W, 1, 1);
    MUST(tt_race_release(r, T2, 5));
    MUST(tt_race_acquire(r, T3, 5));
    LD(r, T3, PC3, W, 1, 1);
    is(nreports(r), 1, "byte 0: only the race between T1 and T2");
    LD(r, T3, PC3 + 4, W + 5, 1, 1);
    rep = tt_race_reports(r, &n);
    ok(n == 2 && rep[1].first.tid == T1 && rep[1].first.addr == W && rep[1].first.size == 8 && rep[1].first.write,
       "byte 5: T1's 8-byte write, reported at its address and size");
    tt_race_free(r);
}

static void test_unaligned(void)
{
    struct tt_race *r = threads3();
    ST(r, T1, PC1, W + 4, 8, 1);
    LD(r, T2, PC2, W + 3, 1, 1);
    LD(r, T2, PC2, W + 12, 1, 1);
    is(nreports(r), 0, "an 8-byte write across two words leaves the bytes around it alone");
    LD(r, T2, PC2 + 4, W + 9, 1, 1);
    is(nreports(r), 1, "and covers the bytes in the second word");
    LD(r, T3, PC3, W + 0xffc + 0x7000, 8, 1);
    ST(r, T1, PC1 + 4, W + 0x1000 + 0x7000, 1, 1);
    is(nreports(r), 2, "an 8-byte read across a page boundary races with a write on the second page");
    LD(r, T3, PC3 + 4, W + 0x2000, 16, 1);
    ST(r, T1, PC1 + 8, W + 0x2008, 8, 1);
    is(nreports(r), 3, "a 16-byte read races with a write to its upper half");
    tt_race_free(r);
}

static void test_memory(void)
{
    struct tt_race *r = threads3();
    struct tt_race_stats st0, st1, st2;
    for (uint64_t pg = 0; pg < 100; pg++)
        ST(r, T1, PC1, 0x100000 + pg * 4096 + 8 * (pg % 512), 8, 1);
    ST(r, T1, PC1, 0x7fff00000000, 8, 1);
    tt_race_stats(r, &st0);
    is(st0.shadow_pages, 101, "101 pages touched, 101 shadow pages, whatever the distance between them");
    for (int round = 0; round < 10; round++)
        for (uint64_t pg = 0; pg < 100; pg++)
            for (uint64_t w = 0; w < 8; w++)
                ST(r, T1, PC1, 0x100000 + pg * 4096 + 8 * w, 8, 1);
    tt_race_stats(r, &st1);
    ok(st1.shadow_pages == 101 && st1.memory == st0.memory,
       "accessing the same pages again holds nothing more: memory follows touched memory, not the trace");
    ok(st0.memory < 101 * 5 * 4096, "under 5 bytes of state per byte of touched page (%.2f)",
       (double)st0.memory / (101 * 4096));
    for (uint64_t b = 0; b < 64; b++)
        ST(r, T1, PC2, 0x200000 + b, 1, 1);
    tt_race_stats(r, &st1);
    for (uint64_t w = 0; w < 8; w++)
        ST(r, T1, PC2, 0x200000 + 8 * w, 8, 1);
    tt_race_stats(r, &st2);
    is(st1.memory - st2.memory, 8 * 8 * sizeof(struct shadow_cell), "byte-written words merge back when written whole");
    MUST(tt_race_forget(r, 0x100000, 100 * 4096));
    MUST(tt_race_forget(r, 0, UINT64_MAX));
    tt_race_stats(r, &st2);
    is(st2.shadow_pages, 0, "forgetting ranges releases their pages (a huge one too)");
    ST(r, T2, PC2, 0x100000, 8, 1);
    is(nreports(r), 0, "forgotten memory has no history to race with");
    tt_race_free(r);
}

int main(void)
{
    test_granules();
    test_mixed_sizes();
    test_unaligned();
    test_memory();
    return tap_done();
}
