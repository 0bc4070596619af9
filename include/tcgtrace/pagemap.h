/* A set of 4 KiB pages of a 64-bit address space that one thread updates
 * and any number of threads read without locks: memtrace asks "is this page
 * writable" on every guest memory access, while only the rare mapping
 * system calls change the answer.
 *
 * It is a radix tree of three pointer levels over a bitmap leaf (page
 * number = 13 + 12 + 12 + 15 bits). Absent subtrees point at shared empty
 * nodes owned by the map, so a lookup is four dependent loads and no branch.
 * Nodes are published with release stores and read with acquire loads, and
 * are never freed while the map lives, so a reader never holds a dangling
 * pointer; clearing pages only clears bits.
 *
 * Writers (pagemap_set) must be serialised by the caller; readers need
 * nothing. */
#ifndef TCGTRACE_PAGEMAP_H
#define TCGTRACE_PAGEMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PAGEMAP_PAGE_SHIFT 12
#define PAGEMAP_PAGE_SIZE (UINT64_C(1) << PAGEMAP_PAGE_SHIFT)
#define PAGEMAP_LEAF_BITS 15 /* pages per leaf: 128 MiB in a 4 KiB bitmap */
#define PAGEMAP_NODE_BITS 12
#define PAGEMAP_TOP_BITS (64 - PAGEMAP_PAGE_SHIFT - PAGEMAP_LEAF_BITS - 2 * PAGEMAP_NODE_BITS)

struct pagemap_leaf {
    _Atomic uint64_t bits[(1u << PAGEMAP_LEAF_BITS) / 64];
};
struct pagemap_low {
    struct pagemap_leaf *_Atomic leaf[1u << PAGEMAP_NODE_BITS];
};
struct pagemap_mid {
    struct pagemap_low *_Atomic low[1u << PAGEMAP_NODE_BITS];
};

struct pagemap {
    struct pagemap_mid *_Atomic top[1u << PAGEMAP_TOP_BITS];
    /* What absent subtrees point at; never written after pagemap_new. */
    struct pagemap_mid empty_mid;
    struct pagemap_low empty_low;
    struct pagemap_leaf empty_leaf;
};

/* NULL when out of memory. */
struct pagemap *pagemap_new(void);
/* Only once no reader can still use the map. */
void pagemap_free(struct pagemap *pm);

/* Adds (in=true) or removes the pages touched by [start, start+len) (len 0:
 * none; a range wrapping past 2^64 stops there). Returns 0, or -ENOMEM with
 * the pages before the failure updated. Callers serialise calls. */
int pagemap_set(struct pagemap *pm, uint64_t start, uint64_t len, bool in);

/* The first run of pages in the set at or after the page holding from:
 * its first byte and its last (inclusive, so the top page can be named).
 * False if there is none. For diagnostics: it walks the tree. */
bool pagemap_next(const struct pagemap *pm, uint64_t from, uint64_t *first, uint64_t *last);

/* Whether the page holding addr is in the set. */
static inline bool pagemap_test(const struct pagemap *pm, uint64_t addr)
{
    uint64_t pn = addr >> PAGEMAP_PAGE_SHIFT;
    const struct pagemap_mid *mid = atomic_load_explicit(
        &pm->top[pn >> (PAGEMAP_LEAF_BITS + 2 * PAGEMAP_NODE_BITS)], memory_order_acquire);
    const struct pagemap_low *low = atomic_load_explicit(
        &mid->low[(pn >> (PAGEMAP_LEAF_BITS + PAGEMAP_NODE_BITS)) & ((1u << PAGEMAP_NODE_BITS) - 1)],
        memory_order_acquire);
    const struct pagemap_leaf *leaf = atomic_load_explicit(
        &low->leaf[(pn >> PAGEMAP_LEAF_BITS) & ((1u << PAGEMAP_NODE_BITS) - 1)], memory_order_acquire);
    uint64_t word = atomic_load_explicit(
        &leaf->bits[(pn >> 6) & ((1u << PAGEMAP_LEAF_BITS) / 64 - 1)], memory_order_relaxed);
    return (word >> (pn & 63)) & 1;
}

/* Whether any byte of [addr, addr+size) lies in a page of the set; size is
 * at most a page, so the access touches one or two pages. */
static inline bool pagemap_test_access(const struct pagemap *pm, uint64_t addr, unsigned size)
{
    uint64_t last = addr + size - 1;
    if (pagemap_test(pm, addr))
        return true;
    return ((addr ^ last) >> PAGEMAP_PAGE_SHIFT) != 0 && pagemap_test(pm, last);
}

#endif
