/* analysis/heap.c: the live heap blocks of a trace (lookup of the block
 * holding an address, blocks dropped when a new one overlaps them, removal
 * by start) and its depot of call stacks; a long random run against a
 * plain array. */
#include <stdlib.h>
#include <string.h>

#include "../../analysis/heap.h"
#include "tap.h"

static const uint64_t stack_a[] = { 0x401000, 0x401234, 0x401500 };
static const uint64_t stack_b[] = { 0x401000, 0x401240 };

/* The model: blocks in an array, checked by brute force. */
struct model {
    struct heap_block b[4096];
    size_t n;
};

static void model_insert(struct model *m, uint64_t start, uint64_t size, int32_t thread, bool *dropped)
{
    uint64_t end = start + (size ? size : 1);
    *dropped = false;
    for (size_t i = 0; i < m->n;) {
        const struct heap_block *o = &m->b[i];
        bool overlap = o->start == start || (o->start < end && start < o->start + o->size);
        if (overlap) {
            m->b[i] = m->b[--m->n];
            *dropped = true;
        } else {
            i++;
        }
    }
    m->b[m->n++] = (struct heap_block){ start, size, thread, 0 };
}

static const struct heap_block *model_find(const struct model *m, uint64_t addr)
{
    for (size_t i = 0; i < m->n; i++)
        if (addr >= m->b[i].start && addr - m->b[i].start < m->b[i].size)
            return &m->b[i];
    return NULL;
}

static bool model_remove(struct model *m, uint64_t start)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->b[i].start == start) {
            m->b[i] = m->b[--m->n];
            return true;
        }
    return false;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void random_run(void)
{
    static struct model m;
    struct heap h = { 0 };
    uint64_t s = 88172645463325252ull;
    const char *bad = NULL;
    for (int op = 0; op < 200000 && !bad; op++) {
        uint64_t r = rng_next(&s), addr = 0x10000 + (rng_next(&s) % 4096) * 16;
        bool dh, dm;
        switch (r % 4) {
        case 0:
        case 1: {
            if (m.n == sizeof m.b / sizeof m.b[0])
                break;
            uint64_t size = rng_next(&s) % 8 == 0 ? 0 : rng_next(&s) % 200;
            int32_t thread = (int32_t)(r >> 40) % 8;
            if (heap_insert(&h, addr, size, thread, stack_a, 3, &dh) < 0)
                bad = "out of memory";
            model_insert(&m, addr, size, thread, &dm);
            if (dh != dm)
                bad = "insert dropped other blocks than the model";
            break;
        }
        case 2: {
            struct heap_block got;
            bool fh = heap_remove(&h, addr, &got), fm = model_remove(&m, addr);
            if (fh != fm || (fh && got.start != addr))
                bad = "remove disagrees with the model";
            break;
        }
        default: {
            uint64_t at = addr + rng_next(&s) % 64;
            const struct heap_block *a = heap_find(&h, at), *b = model_find(&m, at);
            if (!a != !b || (a && (a->start != b->start || a->size != b->size || a->thread != b->thread)))
                bad = "find disagrees with the model";
        }
        }
        if (!bad && heap_count(&h) != m.n)
            bad = "a different number of blocks";
    }
    ok(!bad, "200000 random inserts, removes and lookups agree with a plain array%s%s", bad ? ": " : "",
       bad ? bad : "");
    heap_clear(&h);
}

int main(void)
{
    struct heap h = { 0 };
    bool dropped = true;
    uint32_t n;
    ok(!heap_find(&h, 0x1000) && !heap_remove(&h, 0x1000, NULL) && heap_count(&h) == 0,
       "an empty set holds nothing");

    ok(heap_insert(&h, 0x1000, 24, 1, stack_a, 3, &dropped) == 0 && !dropped &&
           heap_insert(&h, 0x1020, 100, 2, stack_b, 2, &dropped) == 0 && !dropped &&
           heap_insert(&h, 0x2000, 0, 3, stack_a, 3, &dropped) == 0 && !dropped && heap_count(&h) == 3,
       "three blocks, none overlapping");
    const struct heap_block *b = heap_find(&h, 0x1000);
    ok(b && b->start == 0x1000 && b->size == 24 && b->thread == 1, "the block at its first byte");
    b = heap_find(&h, 0x1017);
    ok(b && b->start == 0x1000, "and at its last byte");
    ok(!heap_find(&h, 0x1018) && !heap_find(&h, 0xfff), "not a byte past its end or before its start");
    b = heap_find(&h, 0x1083);
    ok(b && b->start == 0x1020 && b->thread == 2, "the second block at its last byte");
    ok(!heap_find(&h, 0x1084), "nothing after it");
    ok(!heap_find(&h, 0x2000), "a block of size 0 holds no byte");

    const struct heap_block *a1 = heap_find(&h, 0x1000), *a2 = heap_find(&h, 0x1020);
    const uint64_t *st = heap_stack(&h, a1->stack, &n);
    ok(st && n == 3 && !memcmp(st, stack_a, sizeof stack_a), "a block's allocation stack");
    st = heap_stack(&h, a2->stack, &n);
    ok(st && n == 2 && !memcmp(st, stack_b, sizeof stack_b), "another stack for another site");
    ok(heap_find(&h, 0x1000)->stack != heap_find(&h, 0x1020)->stack, "two stacks, two ids");
    uint32_t before = h.nstacks > 0 ? (uint32_t)h.nstacks : 0;
    heap_insert(&h, 0x3000, 8, 1, stack_a, 3, NULL);
    ok(h.nstacks == before && heap_find(&h, 0x3000)->stack == heap_find(&h, 0x1000)->stack,
       "the same stack again is kept once");
    ok(!heap_stack(&h, 1000, &n) && n == 0, "an unknown stack id");

    struct heap_block out;
    ok(heap_remove(&h, 0x1020, &out) && out.start == 0x1020 && out.size == 100 && out.thread == 2,
       "removing a block gives it back");
    ok(!heap_find(&h, 0x1030) && !heap_remove(&h, 0x1020, NULL), "it is gone");
    ok(!heap_remove(&h, 0x1004, NULL) && heap_find(&h, 0x1004), "removal is by the block's start only");
    ok(heap_remove(&h, 0x2000, NULL), "a block of size 0 can be removed");

    heap_insert(&h, 0x1010, 64, 4, stack_b, 2, &dropped);
    ok(dropped && !heap_find(&h, 0x1000) && heap_find(&h, 0x1010)->thread == 4,
       "a new block over an old one that reaches into it drops the old one (a free the trace missed)");
    heap_insert(&h, 0x1010, 8, 5, stack_b, 2, &dropped);
    ok(dropped && heap_find(&h, 0x1010)->size == 8 && !heap_find(&h, 0x1018), "so does one at the same start");
    heap_insert(&h, 0x0f00, 0x1000, 6, stack_a, 3, &dropped);
    ok(dropped && heap_count(&h) == 2 && heap_find(&h, 0x1010)->thread == 6 && heap_find(&h, 0x3000),
       "a big one drops every block inside it, not the one after it");
    heap_insert(&h, UINT64_MAX - 8, 100, 7, stack_a, 3, &dropped);
    ok(!dropped && heap_find(&h, UINT64_MAX)->thread == 7, "a block at the top of the address space");
    ok(heap_memory(&h) > 0, "memory is counted");
    heap_clear(&h);
    ok(heap_count(&h) == 0 && !heap_find(&h, 0x1010), "cleared");

    random_run();
    heap_clear(&h);
    return tap_done();
}
