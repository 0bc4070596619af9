/* Open addressing keeps a lookup to one multiply and, at the load factor
 * kept here (at most 1/2), about 1.5 probes of adjacent slots. */
#include <stdlib.h>

#include "u64map.h"

static size_t slot_of(const struct u64map *m, uint64_t key)
{
    /* Fibonacci hashing: keys are addresses and page numbers whose low
     * bits are often equal; the multiply spreads them over the high bits. */
    return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & m->mask;
}

void u64map_free(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    *m = (struct u64map){ 0 };
}

uint64_t *u64map_find(const struct u64map *m, uint64_t key)
{
    if (!m->keys)
        return NULL;
    for (size_t i = slot_of(m, key);; i = (i + 1) & m->mask) {
        if (m->keys[i] == key)
            return &m->vals[i];
        if (m->keys[i] == U64MAP_EMPTY)
            return NULL;
    }
}

static int grow(struct u64map *m)
{
    size_t cap = m->keys ? 2 * (m->mask + 1) : 64;
    struct u64map g = { .keys = malloc(cap * sizeof *g.keys), .vals = malloc(cap * sizeof *g.vals), .mask = cap - 1 };
    if (!g.keys || !g.vals) {
        u64map_free(&g);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        g.keys[i] = U64MAP_EMPTY;
    for (size_t i = 0; m->keys && i <= m->mask; i++) {
        if (m->keys[i] == U64MAP_EMPTY)
            continue;
        size_t j = slot_of(&g, m->keys[i]);
        while (g.keys[j] != U64MAP_EMPTY)
            j = (j + 1) & g.mask;
        g.keys[j] = m->keys[i];
        g.vals[j] = m->vals[i];
    }
    g.n = m->n;
    u64map_free(m);
    *m = g;
    return 0;
}

uint64_t *u64map_insert(struct u64map *m, uint64_t key, bool *added)
{
    if ((!m->keys || 2 * (m->n + 1) > m->mask + 1) && grow(m) < 0)
        return NULL;
    size_t i = slot_of(m, key);
    for (; m->keys[i] != U64MAP_EMPTY; i = (i + 1) & m->mask) {
        if (m->keys[i] == key) {
            *added = false;
            return &m->vals[i];
        }
    }
    m->keys[i] = key;
    m->vals[i] = 0;
    m->n++;
    *added = true;
    return &m->vals[i];
}
