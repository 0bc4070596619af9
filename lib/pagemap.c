/* The lock-free page set: see include/tcgtrace/pagemap.h. */
#include <errno.h>
#include <stdlib.h>

#include "tcgtrace/pagemap.h"

#define NODE_ENTRIES (1u << PAGEMAP_NODE_BITS)
#define LEAF_PAGES (UINT64_C(1) << PAGEMAP_LEAF_BITS)
#define LOW_SHIFT PAGEMAP_LEAF_BITS
#define MID_SHIFT (PAGEMAP_LEAF_BITS + PAGEMAP_NODE_BITS)
#define TOP_SHIFT (PAGEMAP_LEAF_BITS + 2 * PAGEMAP_NODE_BITS)

struct pagemap *pagemap_new(void)
{
    struct pagemap *pm = calloc(1, sizeof(*pm));
    if (!pm)
        return NULL;
    for (unsigned i = 0; i < NODE_ENTRIES; i++) {
        atomic_init(&pm->empty_low.leaf[i], &pm->empty_leaf);
        atomic_init(&pm->empty_mid.low[i], &pm->empty_low);
    }
    for (unsigned i = 0; i < (1u << PAGEMAP_TOP_BITS); i++)
        atomic_init(&pm->top[i], &pm->empty_mid);
    return pm;
}

void pagemap_free(struct pagemap *pm)
{
    if (!pm)
        return;
    for (unsigned t = 0; t < (1u << PAGEMAP_TOP_BITS); t++) {
        struct pagemap_mid *mid = atomic_load_explicit(&pm->top[t], memory_order_relaxed);
        if (mid == &pm->empty_mid)
            continue;
        for (unsigned m = 0; m < NODE_ENTRIES; m++) {
            struct pagemap_low *low = atomic_load_explicit(&mid->low[m], memory_order_relaxed);
            if (low == &pm->empty_low)
                continue;
            for (unsigned l = 0; l < NODE_ENTRIES; l++) {
                struct pagemap_leaf *leaf = atomic_load_explicit(&low->leaf[l], memory_order_relaxed);
                if (leaf != &pm->empty_leaf)
                    free(leaf);
            }
            free(low);
        }
        free(mid);
    }
    free(pm);
}

/* The leaf covering page pn, or NULL if absent: then *absent_last is the
 * last page of the absent subtree, which callers skip whole. */
static struct pagemap_leaf *leaf_find(const struct pagemap *pm, uint64_t pn, uint64_t *absent_last)
{
    struct pagemap_mid *mid = atomic_load_explicit(&pm->top[pn >> TOP_SHIFT], memory_order_acquire);
    if (mid == &pm->empty_mid) {
        *absent_last = pn | ((UINT64_C(1) << TOP_SHIFT) - 1);
        return NULL;
    }
    struct pagemap_low *low =
        atomic_load_explicit(&mid->low[(pn >> MID_SHIFT) & (NODE_ENTRIES - 1)], memory_order_acquire);
    if (low == &pm->empty_low) {
        *absent_last = pn | ((UINT64_C(1) << MID_SHIFT) - 1);
        return NULL;
    }
    struct pagemap_leaf *leaf =
        atomic_load_explicit(&low->leaf[(pn >> LOW_SHIFT) & (NODE_ENTRIES - 1)], memory_order_acquire);
    if (leaf == &pm->empty_leaf) {
        *absent_last = pn | (LEAF_PAGES - 1);
        return NULL;
    }
    return leaf;
}

/* The leaf covering page pn, created and published where absent; NULL when
 * out of memory. Only the (serialised) writer calls it. */
static struct pagemap_leaf *leaf_get(struct pagemap *pm, uint64_t pn)
{
    struct pagemap_mid *_Atomic *mslot = &pm->top[pn >> TOP_SHIFT];
    struct pagemap_mid *mid = atomic_load_explicit(mslot, memory_order_relaxed);
    if (mid == &pm->empty_mid) {
        if (!(mid = malloc(sizeof(*mid))))
            return NULL;
        for (unsigned i = 0; i < NODE_ENTRIES; i++)
            atomic_init(&mid->low[i], &pm->empty_low);
        /* Release: a reader that sees the node sees it initialised. */
        atomic_store_explicit(mslot, mid, memory_order_release);
    }
    struct pagemap_low *_Atomic *lslot = &mid->low[(pn >> MID_SHIFT) & (NODE_ENTRIES - 1)];
    struct pagemap_low *low = atomic_load_explicit(lslot, memory_order_relaxed);
    if (low == &pm->empty_low) {
        if (!(low = malloc(sizeof(*low))))
            return NULL;
        for (unsigned i = 0; i < NODE_ENTRIES; i++)
            atomic_init(&low->leaf[i], &pm->empty_leaf);
        atomic_store_explicit(lslot, low, memory_order_release);
    }
    struct pagemap_leaf *_Atomic *fslot = &low->leaf[(pn >> LOW_SHIFT) & (NODE_ENTRIES - 1)];
    struct pagemap_leaf *leaf = atomic_load_explicit(fslot, memory_order_relaxed);
    if (leaf == &pm->empty_leaf) {
        if (!(leaf = calloc(1, sizeof(*leaf))))
            return NULL;
        atomic_store_explicit(fslot, leaf, memory_order_release);
    }
    return leaf;
}

/* Sets or clears the bits of pages [first, last] inside one leaf. */
static void leaf_update(struct pagemap_leaf *leaf, uint64_t first, uint64_t last, bool in)
{
    unsigned a = (unsigned)(first & (LEAF_PAGES - 1));
    unsigned b = (unsigned)(last & (LEAF_PAGES - 1));
    for (unsigned w = a / 64; w <= b / 64; w++) {
        unsigned lo = w == a / 64 ? a % 64 : 0;
        unsigned hi = w == b / 64 ? b % 64 : 63;
        uint64_t mask = (~UINT64_C(0) >> (63 - hi)) & (~UINT64_C(0) << lo);
        if (in)
            atomic_fetch_or_explicit(&leaf->bits[w], mask, memory_order_relaxed);
        else
            atomic_fetch_and_explicit(&leaf->bits[w], ~mask, memory_order_relaxed);
    }
}

int pagemap_set(struct pagemap *pm, uint64_t start, uint64_t len, bool in)
{
    if (len == 0)
        return 0;
    uint64_t first = start >> PAGEMAP_PAGE_SHIFT;
    uint64_t end = start + len - 1;
    if (end < start)
        end = UINT64_MAX;
    uint64_t last = end >> PAGEMAP_PAGE_SHIFT;
    for (uint64_t pn = first;;) {
        uint64_t span_last = pn | (LEAF_PAGES - 1);
        struct pagemap_leaf *leaf = in ? leaf_get(pm, pn) : leaf_find(pm, pn, &span_last);
        if (in && !leaf)
            return -ENOMEM;
        if (span_last > last)
            span_last = last;
        if (leaf)
            leaf_update(leaf, pn, span_last, in);
        if (span_last == last)
            return 0;
        pn = span_last + 1;
    }
}

/* The first page at or after pn whose bit is `want`, or false if none. */
static bool find_page(const struct pagemap *pm, uint64_t pn, bool want, uint64_t *found)
{
    for (;;) {
        uint64_t span_last = 0;
        const struct pagemap_leaf *leaf = leaf_find(pm, pn, &span_last);
        if (!leaf) {
            if (!want) {
                *found = pn;
                return true;
            }
        } else {
            span_last = pn | (LEAF_PAGES - 1);
            for (unsigned w = (unsigned)((pn & (LEAF_PAGES - 1)) / 64); w < LEAF_PAGES / 64; w++) {
                uint64_t bits = atomic_load_explicit(&leaf->bits[w], memory_order_relaxed);
                if (!want)
                    bits = ~bits;
                uint64_t base = (pn & ~(LEAF_PAGES - 1)) + (uint64_t)w * 64;
                if (base < pn)
                    bits &= ~UINT64_C(0) << (pn - base);
                if (bits) {
                    *found = base + (uint64_t)__builtin_ctzll(bits);
                    return true;
                }
            }
        }
        if (span_last == UINT64_MAX >> PAGEMAP_PAGE_SHIFT)
            return false;
        pn = span_last + 1;
    }
}

bool pagemap_next(const struct pagemap *pm, uint64_t from, uint64_t *first, uint64_t *last)
{
    uint64_t a, b;
    if (!find_page(pm, from >> PAGEMAP_PAGE_SHIFT, true, &a))
        return false;
    *first = a << PAGEMAP_PAGE_SHIFT;
    *last = find_page(pm, a, false, &b) ? (b << PAGEMAP_PAGE_SHIFT) - 1 : UINT64_MAX;
    return true;
}
