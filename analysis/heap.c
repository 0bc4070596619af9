/* Live heap blocks: see heap.h. */
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "room.h"

struct heap_node {
    struct heap_block b; /* first: heap_find returns its address */
    uint32_t left, right;
    uint32_t prio; /* a max-heap on these keeps the tree balanced in expectation */
};

void heap_clear(struct heap *h)
{
    free(h->nodes);
    free(h->pcs);
    free(h->stacks);
    u64map_free(&h->stack_index);
    *h = (struct heap){ 0 };
}

/* --- The depot ----------------------------------------------------------- */

static uint64_t stack_hash(const uint64_t *pcs, uint32_t n)
{
    uint64_t x = n;
    for (uint32_t i = 0; i < n; i++) {
        x = (x ^ pcs[i]) * UINT64_C(0x9e3779b97f4a7c15);
        x ^= x >> 29;
    }
    return x == U64MAP_EMPTY ? 0 : x;
}

/* The id of stack pcs[0..n), added when new; -1 when memory runs out. */
static int64_t stack_id(struct heap *h, const uint64_t *pcs, uint32_t n)
{
    /* Two stacks with one hash: the second is filed at the next key that
     * is free, and found again by probing as far. */
    for (uint64_t key = stack_hash(pcs, n);; key = key + 1 == U64MAP_EMPTY ? 0 : key + 1) {
        bool added;
        uint64_t *slot = u64map_insert(&h->stack_index, key, &added);
        if (!slot)
            return -1;
        if (!added && *slot) {
            const struct heap_stack *s = &h->stacks[*slot - 1];
            if (s->n == n && !memcmp(h->pcs + s->off, pcs, n * sizeof *pcs))
                return (int64_t)*slot - 1;
            continue;
        }
        if (room(&h->stacks, &h->stacks_cap, h->nstacks, sizeof *h->stacks) < 0)
            goto nomem;
        while (h->pcs_cap < h->npcs + n)
            if (room(&h->pcs, &h->pcs_cap, h->pcs_cap, sizeof *h->pcs) < 0)
                goto nomem;
        memcpy(h->pcs + h->npcs, pcs, n * sizeof *pcs);
        h->stacks[h->nstacks] = (struct heap_stack){ h->npcs, n };
        h->npcs += n;
        *slot = ++h->nstacks;
        return (int64_t)h->nstacks - 1;
    nomem:
        /* u64map cannot delete: the key stays, pointing at no stack, for
         * the next stack of that hash to take. */
        *slot = 0;
        return -1;
    }
}

const uint64_t *heap_stack(const struct heap *h, uint32_t id, uint32_t *n)
{
    if (id >= h->nstacks) {
        *n = 0;
        return NULL;
    }
    *n = h->stacks[id].n;
    return h->pcs + h->stacks[id].off;
}

/* --- The treap ----------------------------------------------------------- */

#define NODE(i) (&h->nodes[i])

/* Splits tree t into the nodes whose start is below key, *l, and the
 * others, *r. */
static void split(struct heap *h, uint32_t t, uint64_t key, uint32_t *l, uint32_t *r)
{
    while (t) {
        if (NODE(t)->b.start < key) {
            *l = t;
            l = &NODE(t)->right;
            t = NODE(t)->right;
        } else {
            *r = t;
            r = &NODE(t)->left;
            t = NODE(t)->left;
        }
    }
    *l = *r = 0;
}

/* Joins a and b, every start in a below every start in b. */
static uint32_t merge(struct heap *h, uint32_t a, uint32_t b)
{
    uint32_t root, *at = &root;
    while (a && b) {
        if (NODE(a)->prio > NODE(b)->prio) {
            *at = a;
            at = &NODE(a)->right;
            a = NODE(a)->right;
        } else {
            *at = b;
            at = &NODE(b)->left;
            b = NODE(b)->left;
        }
    }
    *at = a ? a : b;
    return root;
}

/* Gives the nodes of tree t back to the free list. */
static void drop(struct heap *h, uint32_t t)
{
    while (t) {
        /* Rotate the left subtree away until there is none, then take the
         * root: no recursion, however the tree is shaped. */
        uint32_t l = NODE(t)->left;
        if (l) {
            NODE(t)->left = NODE(l)->right;
            NODE(l)->right = t;
            t = l;
            continue;
        }
        uint32_t next = NODE(t)->right;
        NODE(t)->left = h->free_list;
        h->free_list = t;
        h->live--;
        t = next;
    }
}

static uint32_t node_new(struct heap *h)
{
    if (h->free_list) {
        uint32_t i = h->free_list;
        h->free_list = NODE(i)->left;
        return i;
    }
    if (!h->n)
        h->n = 1; /* index 0 is no node */
    if (h->n >= UINT32_MAX || room(&h->nodes, &h->cap, h->n, sizeof *h->nodes) < 0)
        return 0;
    return (uint32_t)h->n++;
}

static uint32_t next_prio(struct heap *h)
{
    /* xorshift64: any fixed sequence does, the keys are not chosen
     * against it. */
    uint64_t x = h->rng ? h->rng : UINT64_C(0x2545f4914f6cdd1d);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    h->rng = x;
    return (uint32_t)(x >> 32);
}

int heap_insert(struct heap *h, uint64_t start, uint64_t size, int32_t thread, const uint64_t *pcs, uint32_t n,
                bool *dropped)
{
    int64_t stack = stack_id(h, pcs, n);
    uint32_t i = stack < 0 ? 0 : node_new(h);
    if (!i)
        return -1;
    *NODE(i) = (struct heap_node){ .b = { start, size, thread, (uint32_t)stack }, .prio = next_prio(h) };
    uint64_t end = size > UINT64_MAX - start ? UINT64_MAX : start + (size ? size : 1);
    uint32_t l, mid, r;
    split(h, h->root, start, &l, &r);
    split(h, r, end, &mid, &r);
    bool any = mid != 0;
    drop(h, mid);
    /* The block before it, if it reaches start. */
    uint32_t last = l;
    while (last && NODE(last)->right)
        last = NODE(last)->right;
    if (last && NODE(last)->b.size > start - NODE(last)->b.start) {
        uint32_t before;
        split(h, l, NODE(last)->b.start, &l, &before);
        drop(h, before);
        any = true;
    }
    h->root = merge(h, merge(h, l, i), r);
    h->live++;
    if (dropped)
        *dropped = any;
    return 0;
}

bool heap_remove(struct heap *h, uint64_t start, struct heap_block *out)
{
    uint32_t l, mid, r;
    if (start == UINT64_MAX)
        return false;
    split(h, h->root, start, &l, &r);
    split(h, r, start + 1, &mid, &r);
    if (mid && out)
        *out = NODE(mid)->b;
    bool found = mid != 0;
    drop(h, mid);
    h->root = merge(h, l, r);
    return found;
}

const struct heap_block *heap_find(const struct heap *h, uint64_t addr)
{
    uint32_t t = h->root, best = 0;
    while (t) {
        if (NODE(t)->b.start <= addr) {
            best = t;
            t = NODE(t)->right;
        } else {
            t = NODE(t)->left;
        }
    }
    if (!best || addr - NODE(best)->b.start >= NODE(best)->b.size)
        return NULL;
    return &NODE(best)->b;
}

size_t heap_count(const struct heap *h)
{
    return h->live;
}

uint64_t heap_memory(const struct heap *h)
{
    return h->cap * sizeof *h->nodes + h->pcs_cap * sizeof *h->pcs + h->stacks_cap * sizeof *h->stacks +
           (h->stack_index.mask + (h->stack_index.keys != NULL)) * 16;
}
