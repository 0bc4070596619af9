#include <stdlib.h>
#include <string.h>

#include "shadow.h"

static size_t reads_size(uint32_t cap)
{
    return sizeof(struct shadow_reads) + (size_t)cap * sizeof(struct shadow_read);
}

struct shadow_reads *shadow_reads_reserve(struct shadow *s, struct shadow_reads *rs, uint32_t thread)
{
    uint32_t old = rs ? rs->cap : 0;
    if (thread < old)
        return rs;
    uint32_t cap = old ? old : 4;
    while (cap <= thread)
        cap *= 2;
    struct shadow_reads *n = realloc(rs, reads_size(cap));
    if (!n)
        return NULL;
    memset(n->e + old, 0, (size_t)(cap - old) * sizeof n->e[0]);
    n->cap = cap;
    s->bytes += reads_size(cap) - (old ? reads_size(old) : 0);
    return n;
}

void shadow_reads_free(struct shadow *s, struct shadow_reads *rs)
{
    if (!rs)
        return;
    s->bytes -= reads_size(rs->cap);
    free(rs);
}

static struct shadow_reads *reads_of(const struct shadow_cell *c)
{
    return c->r & SHADOW_SHARED ? (struct shadow_reads *)(uintptr_t)(c->r & ~SHADOW_SHARED) : NULL;
}

static void cell_clear(struct shadow *s, struct shadow_cell *c)
{
    shadow_reads_free(s, reads_of(c));
    *c = (struct shadow_cell){ 0 };
}

static void word_clear(struct shadow *s, struct shadow_page *p, unsigned w)
{
    if (!p->level[w]) {
        cell_clear(s, &p->slot[w].cell);
        return;
    }
    unsigned n = 1u << p->level[w];
    for (unsigned i = 0; i < n; i++)
        cell_clear(s, &p->slot[w].split[i]);
    free(p->slot[w].split);
    s->bytes -= n * sizeof(struct shadow_cell);
    p->level[w] = 0;
    p->slot[w].cell = (struct shadow_cell){ 0 };
}

static struct shadow_page **cached(struct shadow *s, uint64_t pn)
{
    return &s->cache[pn % SHADOW_CACHE].page;
}

struct shadow_page *shadow_page(struct shadow *s, uint64_t addr, bool create, bool *created)
{
    uint64_t pn = addr >> SHADOW_PAGE_SHIFT;
    unsigned ci = pn % SHADOW_CACHE;
    *created = false;
    if (s->cache[ci].page && s->cache[ci].pn == pn)
        return s->cache[ci].page;
    struct shadow_page *p;
    uint64_t *v = u64map_find(&s->pages, pn);
    if (v && *v) {
        p = (struct shadow_page *)(uintptr_t)*v;
    } else {
        if (!create)
            return NULL;
        bool added;
        if (!(v = u64map_insert(&s->pages, pn, &added)) || !(p = calloc(1, sizeof *p)))
            return NULL;
        *v = (uintptr_t)p;
        s->bytes += sizeof *p;
        s->npages++;
        *created = true;
    }
    s->cache[ci].pn = pn;
    s->cache[ci].page = p;
    return p;
}

struct shadow_cell *shadow_cells(struct shadow *s, struct shadow_page *p, unsigned w, unsigned off, unsigned len,
                                 unsigned *n)
{
    /* The granule this access needs: the largest power of two (at most 8)
     * dividing both its offset and its length. */
    unsigned need = (unsigned)__builtin_ctz(off | len | 8);
    unsigned level = 3 - need, cur = p->level[w];
    if (level > cur) {
        unsigned cells = 1u << level, rep = 1u << (level - cur);
        struct shadow_cell *old = cur ? p->slot[w].split : &p->slot[w].cell;
        struct shadow_cell *split = malloc(cells * sizeof *split);
        if (!split)
            return NULL;
        for (unsigned i = 0; i < cells; i++)
            split[i] = old[i / rep];
        /* The first copy of a cell keeps its set of reads; the others get
         * sets of their own. */
        for (unsigned i = 0; i < cells; i++) {
            struct shadow_reads *rs = reads_of(&split[i]), *copy;
            if (!rs || i % rep == 0)
                continue;
            if (!(copy = malloc(reads_size(rs->cap)))) {
                while (i-- > 0)
                    if (i % rep)
                        shadow_reads_free(s, reads_of(&split[i]));
                free(split);
                return NULL;
            }
            memcpy(copy, rs, reads_size(rs->cap));
            s->bytes += reads_size(rs->cap);
            split[i].r = SHADOW_SHARED | (uintptr_t)copy;
        }
        if (cur) {
            free(old);
            s->bytes -= (1u << cur) * sizeof *old;
        }
        s->bytes += cells * sizeof *split;
        p->slot[w].split = split;
        p->level[w] = (uint8_t)level;
        cur = level;
    }
    /* Granules of 8 >> cur bytes: shifts, not divisions (slow, and one
     * for every access checked). */
    *n = len >> (3 - cur);
    return cur ? p->slot[w].split + (off >> (3 - cur)) : &p->slot[w].cell;
}

void shadow_collapse(struct shadow *s, struct shadow_page *p, unsigned w)
{
    unsigned cur = p->level[w];
    if (!cur)
        return;
    struct shadow_cell *split = p->slot[w].split;
    p->slot[w].cell = split[0];
    p->level[w] = 0;
    free(split);
    s->bytes -= (1u << cur) * sizeof *split;
}

static void page_release(struct shadow *s, uint64_t pn, uint64_t *slot)
{
    struct shadow_page *p = (struct shadow_page *)(uintptr_t)*slot;
    for (unsigned w = 0; w < SHADOW_WORDS; w++)
        word_clear(s, p, w);
    if (*cached(s, pn) == p)
        *cached(s, pn) = NULL;
    free(p);
    *slot = 0; /* the map keeps the key: it never deletes */
    s->bytes -= sizeof *p;
    s->npages--;
}

/* Forgets the part of [addr, last] (inclusive: the range may end at the
 * top of the address space) in page pn, held at *slot. */
static void forget_in_page(struct shadow *s, uint64_t pn, uint64_t *slot, uint64_t addr, uint64_t last)
{
    uint64_t lo = pn << SHADOW_PAGE_SHIFT, hi = lo + (SHADOW_PAGE_SIZE - 1);
    if (addr <= lo && last >= hi) {
        page_release(s, pn, slot);
        return;
    }
    struct shadow_page *p = (struct shadow_page *)(uintptr_t)*slot;
    uint64_t a = addr > lo ? addr - lo : 0, b = (last < hi ? last : hi) - lo + 1;
    for (uint64_t w = (a + 7) / 8; w < b / 8; w++)
        word_clear(s, p, (unsigned)w);
}

void shadow_forget(struct shadow *s, uint64_t addr, uint64_t len)
{
    if (len == 0)
        return;
    uint64_t last = len - 1 > UINT64_MAX - addr ? UINT64_MAX : addr + (len - 1);
    uint64_t first_pn = addr >> SHADOW_PAGE_SHIFT, last_pn = last >> SHADOW_PAGE_SHIFT;
    if (last_pn - first_pn >= s->pages.n) {
        /* A range larger than what is held (an munmap of a big
         * reservation): walk the pages held, not the range. */
        for (size_t i = 0; s->pages.keys && i <= s->pages.mask; i++) {
            uint64_t pn = s->pages.keys[i];
            if (pn != U64MAP_EMPTY && s->pages.vals[i] && pn >= first_pn && pn <= last_pn)
                forget_in_page(s, pn, &s->pages.vals[i], addr, last);
        }
        return;
    }
    for (uint64_t pn = first_pn;; pn++) {
        uint64_t *slot = u64map_find(&s->pages, pn);
        if (slot && *slot)
            forget_in_page(s, pn, slot, addr, last);
        if (pn == last_pn)
            break;
    }
}

void shadow_free(struct shadow *s)
{
    for (size_t i = 0; s->pages.keys && i <= s->pages.mask; i++)
        if (s->pages.keys[i] != U64MAP_EMPTY && s->pages.vals[i])
            page_release(s, s->pages.keys[i], &s->pages.vals[i]);
    u64map_free(&s->pages);
    *s = (struct shadow){ 0 };
}
