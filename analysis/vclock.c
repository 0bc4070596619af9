#include <stdlib.h>
#include <string.h>

#include "vclock.h"

static int reserve(struct vclock *v, uint32_t n)
{
    if (n <= v->cap)
        return 0;
    uint32_t cap = v->cap ? v->cap : 4;
    while (cap < n)
        cap *= 2;
    uint32_t *c = realloc(v->c, (size_t)cap * sizeof *c);
    if (!c)
        return -1;
    v->c = c;
    v->cap = cap;
    return 0;
}

/* Grows v to n entries, the new ones 0. */
static int extend(struct vclock *v, uint32_t n)
{
    if (n <= v->n)
        return 0;
    if (reserve(v, n) < 0)
        return -1;
    memset(v->c + v->n, 0, (size_t)(n - v->n) * sizeof *v->c);
    v->n = n;
    return 0;
}

int vclock_set(struct vclock *v, uint32_t thread, uint32_t clock)
{
    if (extend(v, thread + 1) < 0)
        return -1;
    v->c[thread] = clock;
    return 0;
}

int vclock_join(struct vclock *dst, const struct vclock *src)
{
    if (extend(dst, src->n) < 0)
        return -1;
    for (uint32_t i = 0; i < src->n; i++)
        if (src->c[i] > dst->c[i])
            dst->c[i] = src->c[i];
    return 0;
}

int vclock_copy(struct vclock *dst, const struct vclock *src)
{
    if (reserve(dst, src->n) < 0)
        return -1;
    if (src->n)
        memcpy(dst->c, src->c, (size_t)src->n * sizeof *src->c);
    dst->n = src->n;
    return 0;
}

void vclock_clear(struct vclock *v)
{
    v->n = 0;
}

void vclock_free(struct vclock *v)
{
    free(v->c);
    *v = (struct vclock){ 0 };
}
