/* Binary search in arrays sorted by an unsigned integer member: the one
 * helper the analyses share for it. */
#ifndef TCGTRACE_SORTED_H
#define TCGTRACE_SORTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The index of the first of the n elements of size bytes at base whose
 * key (an unsigned member of key_size bytes, 4 or 8, at key_offset) is
 * above x when above, else not below x; n when there is none. */
static inline size_t sorted_first(const void *base, size_t n, size_t size, size_t key_offset, size_t key_size,
                                  uint64_t x, bool above)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *p = (const char *)base + mid * size + key_offset;
        uint64_t k;
        if (key_size == 4) {
            uint32_t k32;
            memcpy(&k32, p, sizeof k32);
            k = k32;
        } else {
            memcpy(&k, p, sizeof k);
        }
        if (k < x || (above && k == x))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* sorted_first over the array v of n elements of type T, by member. */
#define SORTED_FIRST(v, n, T, member, x, above)                                                                    \
    sorted_first((v), (n), sizeof(T), offsetof(T, member), sizeof((T *)0)->member, (x), (above))

#endif
