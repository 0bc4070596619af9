/* Race reports, deduplicated by the pair of code locations: the first
 * race between two pcs in one calling context of the later access is kept
 * whole, later ones only counted. */
#ifndef TCGTRACE_REPORTS_H
#define TCGTRACE_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u64map.h"

/* One side of a race. */
struct tt_race_access {
    uint64_t tid;  /* the thread, as the caller names it */
    uint64_t pc;
    uint64_t addr; /* for the earlier access: the bytes it covered as far as
                      the shadow knows, aligned to its size */
    uint32_t size;
    bool write;
};

struct tt_race_report {
    struct tt_race_access first;  /* the earlier access in trace order */
    struct tt_race_access second; /* the one that found the race */
    uint64_t count;               /* races found between these two pcs, in this context */
    uint64_t context;             /* the later access's calling context (race.h), 0 for none */
};

struct reports {
    struct tt_race_report *v;
    uint64_t *last_event; /* per report: the access that counted last */
    size_t n, cap;
    struct u64map index; /* hash of the pc pair -> index */
};

/* A zeroed struct reports is an empty set. */
void reports_free(struct reports *r);

/* Counts a race between first and second, found by access number event
 * in the calling context context: one access counts once per pc pair,
 * however many granules it races on. 0, or -1 when memory runs out. */
int reports_add(struct reports *r, const struct tt_race_access *first, const struct tt_race_access *second,
                uint64_t context, uint64_t event);

#endif
