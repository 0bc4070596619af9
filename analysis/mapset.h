/* The guest's mappings as a trace's mapping-change records leave them: a
 * sorted set of disjoint address ranges, each with the cause that mapped it
 * (tt_map_cause), so a report can say a page was brk's heap or an mmap.
 * Its size is the number of live mappings, not of changes. */
#ifndef TCGTRACE_MAPSET_H
#define TCGTRACE_MAPSET_H

#include <stddef.h>
#include <stdint.h>

struct mapset_range {
    uint64_t start, end; /* [start, end) */
    unsigned cause;
};

struct mapset {
    struct mapset_range *v;
    size_t n, cap;
};

/* A zeroed struct mapset is an empty one. */
void mapset_free(struct mapset *m);

/* [start, start + len) is now mapped by cause, or unmapped (cause 0),
 * whatever covered it before. 0, or -1 when out of memory (the set is then
 * unchanged). */
int mapset_set(struct mapset *m, uint64_t start, uint64_t len, unsigned cause);

/* The cause of the mapping covering addr; 0 when none does. */
unsigned mapset_cause(const struct mapset *m, uint64_t addr);

/* The mapping covering addr, or NULL; valid until the next mapset_set. */
const struct mapset_range *mapset_find(const struct mapset *m, uint64_t addr);

#endif
