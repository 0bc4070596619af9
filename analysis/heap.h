/* The guest's live heap blocks, from a trace's heap events: each block's
 * address and size, the thread that allocated it and the call stack of its
 * allocation, so that a race report can say "heap block of size 24 at ...
 * allocated by thread T1 at ...". An ordered set keyed by address (a
 * treap: insertion, removal and the lookup of the block holding an address
 * in O(log n) expected), and a depot of call stacks, each kept once however
 * many blocks share it (TSan's StackDepot): memory follows the blocks alive
 * and the distinct allocation sites, not the number of allocations. */
#ifndef TCGTRACE_HEAP_BLOCKS_H
#define TCGTRACE_HEAP_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u64map.h"

struct heap_block {
    uint64_t start, size;
    int32_t thread; /* the caller's number for the allocating thread */
    uint32_t stack; /* its allocation's call stack: heap_stack */
};

struct heap_node;

/* A zeroed struct heap is an empty one. */
struct heap {
    struct heap_node *nodes; /* [0] unused: index 0 is no node */
    size_t n, cap;
    uint32_t root, free_list;
    uint64_t rng;
    size_t live;
    /* The depot: stacks[i] is pcs[off, off + n), found again by hash. */
    uint64_t *pcs;
    size_t npcs, pcs_cap;
    struct heap_stack {
        size_t off;
        uint32_t n;
    } *stacks;
    size_t nstacks, stacks_cap;
    struct u64map stack_index; /* hash (probed on) -> stack id + 1 */
};

void heap_clear(struct heap *h);

/* A block [start, start + size) allocated by thread, pcs[0..n) its call
 * stack (innermost first). Blocks it overlaps, or one at the same start,
 * were freed without the trace saying so: they go, and *dropped (if not
 * NULL) says whether any did. 0, or -1 when memory runs out (the set is
 * then unchanged). */
int heap_insert(struct heap *h, uint64_t start, uint64_t size, int32_t thread, const uint64_t *pcs, uint32_t n,
                bool *dropped);

/* Removes the block that starts at start into *out (if not NULL); false
 * when none does. */
bool heap_remove(struct heap *h, uint64_t start, struct heap_block *out);

/* The block holding addr (a block of size 0 holds nothing), or NULL; valid
 * until the next insertion or removal. */
const struct heap_block *heap_find(const struct heap *h, uint64_t addr);

/* A stack of the depot: *n pcs, innermost first. */
const uint64_t *heap_stack(const struct heap *h, uint32_t id, uint32_t *n);

/* Blocks alive, and the bytes the set holds. */
size_t heap_count(const struct heap *h);
uint64_t heap_memory(const struct heap *h);

#endif
