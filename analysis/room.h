/* Growing arrays: the one helper the analyses share for it. */
#ifndef TCGTRACE_ROOM_H
#define TCGTRACE_ROOM_H

#include <stddef.h>
#include <stdlib.h>

/* Grows the array *v (of *cap elements of size sz) to hold n + 1, doubling
 * it. 0, or -1 when memory runs out (the array is then unchanged). */
static inline int room(void *v, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 16;
    void *p = realloc(*(void **)v, c * sz);
    if (!p)
        return -1;
    *(void **)v = p;
    *cap = c;
    return 0;
}

#endif
