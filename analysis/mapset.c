/* Mapping set: see mapset.h. Changes are rare (system calls) and lookups
 * one per page first touched, so a sorted array with binary search does. */
#include <stdlib.h>
#include <string.h>

#include "mapset.h"
#include "sorted.h"

void mapset_free(struct mapset *m)
{
    free(m->v);
    *m = (struct mapset){ 0 };
}

/* The first range ending after addr. */
static size_t first_after(const struct mapset *m, uint64_t addr)
{
    return SORTED_FIRST(m->v, m->n, struct mapset_range, end, addr, true);
}

int mapset_set(struct mapset *m, uint64_t start, uint64_t len, unsigned cause)
{
    uint64_t end = start + len < start ? UINT64_MAX : start + len;
    if (end <= start)
        return 0;
    /* At most two more ranges: the new one, and an old one split in two. */
    if (m->n + 2 > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 32;
        struct mapset_range *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return -1;
        m->v = v;
        m->cap = cap;
    }
    size_t i = first_after(m, start), j = i;
    /* Ranges [i, j) overlap the new one; keep their parts outside it. */
    while (j < m->n && m->v[j].start < end)
        j++;
    struct mapset_range keep[3];
    size_t k = 0;
    if (i < j && m->v[i].start < start)
        keep[k++] = (struct mapset_range){ m->v[i].start, start, m->v[i].cause };
    if (cause)
        keep[k++] = (struct mapset_range){ start, end, cause };
    if (i < j && m->v[j - 1].end > end)
        keep[k++] = (struct mapset_range){ end, m->v[j - 1].end, m->v[j - 1].cause };
    memmove(&m->v[i + k], &m->v[j], (m->n - j) * sizeof *m->v);
    memcpy(&m->v[i], keep, k * sizeof *keep);
    m->n = m->n - (j - i) + k;
    return 0;
}

const struct mapset_range *mapset_find(const struct mapset *m, uint64_t addr)
{
    size_t i = first_after(m, addr);
    return i < m->n && m->v[i].start <= addr ? &m->v[i] : NULL;
}

unsigned mapset_cause(const struct mapset *m, uint64_t addr)
{
    const struct mapset_range *r = mapset_find(m, addr);
    return r ? r->cause : 0;
}
