/* A hash map from 64-bit keys to 64-bit values: open addressing, linear
 * probing, no deletion (the analyses only add keys, and reset values).
 * UINT64_MAX is reserved as the empty key. */
#ifndef TCGTRACE_U64MAP_H
#define TCGTRACE_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define U64MAP_EMPTY UINT64_MAX

struct u64map {
    uint64_t *keys;
    uint64_t *vals;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t n;
};

/* An empty map needs no allocation: a zeroed struct u64map is one. */
void u64map_free(struct u64map *m);

/* The value slot for key, or NULL when absent. The pointer stays valid
 * until the next insertion. */
uint64_t *u64map_find(const struct u64map *m, uint64_t key);

/* The value slot for key, added (holding 0) when absent; *added says
 * which. NULL when memory runs out. */
uint64_t *u64map_insert(struct u64map *m, uint64_t key, bool *added);

#endif
