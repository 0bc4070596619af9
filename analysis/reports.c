#include <stdlib.h>

#include "reports.h"

void reports_free(struct reports *r)
{
    free(r->v);
    free(r->last_event);
    u64map_free(&r->index);
    *r = (struct reports){ 0 };
}

static bool same_pair(const struct tt_race_report *rep, uint64_t lo, uint64_t hi, uint64_t context)
{
    uint64_t a = rep->first.pc, b = rep->second.pc;
    return (a < b ? a : b) == lo && (a < b ? b : a) == hi && rep->context == context;
}

int reports_add(struct reports *r, const struct tt_race_access *first, const struct tt_race_access *second,
                uint64_t context, uint64_t event)
{
    /* The pair is unordered: a write racing a read later and a read racing
     * the write later are the same bug. */
    uint64_t lo = first->pc < second->pc ? first->pc : second->pc;
    uint64_t hi = first->pc < second->pc ? second->pc : first->pc;
    uint64_t key = (lo * UINT64_C(0x9e3779b97f4a7c15)) ^ hi ^ (context * UINT64_C(0xc2b2ae3d27d4eb4f));
    if (key == U64MAP_EMPTY)
        key--;
    bool added;
    uint64_t *slot = u64map_insert(&r->index, key, &added);
    if (!slot)
        return -1;
    struct tt_race_report *rep = NULL;
    if (!added) {
        rep = &r->v[*slot];
        /* Two pairs with one hash: never seen, but then search. */
        if (!same_pair(rep, lo, hi, context)) {
            rep = NULL;
            for (size_t i = 0; i < r->n && !rep; i++)
                if (same_pair(&r->v[i], lo, hi, context))
                    rep = &r->v[i];
        }
    }
    if (rep) {
        size_t i = (size_t)(rep - r->v);
        if (r->last_event[i] != event) {
            rep->count++;
            r->last_event[i] = event;
        }
        return 0;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        struct tt_race_report *v = realloc(r->v, cap * sizeof *v);
        if (v)
            r->v = v;
        uint64_t *last = v ? realloc(r->last_event, cap * sizeof *last) : NULL;
        if (!last)
            return -1;
        r->last_event = last;
        r->cap = cap;
    }
    if (added)
        *slot = r->n;
    r->last_event[r->n] = event;
    r->v[r->n++] = (struct tt_race_report){ *first, *second, 1, context };
    return 0;
}
