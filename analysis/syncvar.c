#include <stdlib.h>

#include "syncvar.h"

void syncvars_free(struct syncvars *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        vclock_free(&sv->v[i]->clock);
        free(sv->v[i]);
    }
    free(sv->v);
    u64map_free(&sv->by_key);
    u64map_free(&sv->by_page);
    *sv = (struct syncvars){ 0 };
}

struct syncvar *syncvar_get(struct syncvars *sv, uint64_t key, bool create)
{
    uint64_t *idx = u64map_find(&sv->by_key, key);
    if (idx)
        return sv->v[*idx];
    if (!create)
        return NULL;
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? 2 * sv->cap : 64;
        struct syncvar **v = realloc(sv->v, cap * sizeof *v);
        if (!v)
            return NULL;
        sv->v = v;
        sv->cap = cap;
    }
    struct syncvar *var = calloc(1, sizeof *var);
    bool added;
    uint64_t *page_head = var ? u64map_insert(&sv->by_page, key >> 12, &added) : NULL;
    /* Inserted last: a failure before leaves no key without a variable. */
    if (!page_head || !(idx = u64map_insert(&sv->by_key, key, &added))) {
        free(var);
        return NULL;
    }
    var->key = key;
    var->next = (uint32_t)*page_head;
    *page_head = sv->n + 1;
    *idx = sv->n;
    sv->v[sv->n++] = var;
    return var;
}

uint8_t syncvar_marks(const struct syncvars *sv, uint64_t key)
{
    const uint64_t *idx = u64map_find(&sv->by_key, key);
    return idx ? sv->v[*idx]->marks : 0;
}

struct syncvar *syncvar_first_in_page(const struct syncvars *sv, uint64_t pn)
{
    const uint64_t *head = u64map_find(&sv->by_page, pn);
    return head && *head ? sv->v[*head - 1] : NULL;
}

struct syncvar *syncvar_next(const struct syncvars *sv, const struct syncvar *var)
{
    return var->next ? sv->v[var->next - 1] : NULL;
}

void syncvars_each(struct syncvars *sv, uint64_t lo, uint64_t hi, void (*fn)(struct syncvar *var, void *arg),
                   void *arg)
{
    /* A range of fewer pages than there are variables (a heap block that
     * free forgets) walks its pages' chains; a larger one (an munmap) all
     * the variables. */
    if ((hi >> 12) - (lo >> 12) < sv->n) {
        for (uint64_t pn = lo >> 12;; pn++) {
            for (struct syncvar *var = syncvar_first_in_page(sv, pn); var; var = syncvar_next(sv, var))
                if (var->key >= lo && var->key <= hi)
                    fn(var, arg);
            if (pn == hi >> 12)
                break;
        }
        return;
    }
    for (size_t i = 0; i < sv->n; i++)
        if (sv->v[i]->key >= lo && sv->v[i]->key <= hi)
            fn(sv->v[i], arg);
}

static void reset_one(struct syncvar *var, void *arg)
{
    (void)arg;
    vclock_clear(&var->clock);
    for (unsigned i = 0; i < SYNCVAR_LOCS; i++)
        var->loc[i].nvals = 0;
}

void syncvars_reset(struct syncvars *sv, uint64_t lo, uint64_t hi)
{
    syncvars_each(sv, lo, hi, reset_one, NULL);
}

static uint64_t thread_bit(uint32_t thread)
{
    return thread < 64 ? UINT64_C(1) << thread : 0;
}

void syncvar_stored(struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, bool known, uint64_t value)
{
    unsigned off = (unsigned)(addr - var->key);
    struct syncvar_loc *l = NULL, *free_slot = NULL;
    for (unsigned i = 0; i < SYNCVAR_LOCS; i++) {
        struct syncvar_loc *c = &var->loc[i];
        if (c->nvals && c->off == off && c->size == size)
            l = c;
        else if (c->nvals && c->off < off + size && off < c->off + c->size)
            c->nvals = 0; /* a store across it */
        if (!c->nvals && !free_slot)
            free_slot = c;
    }
    if (!known) {
        if (l)
            l->nvals = 0;
        return;
    }
    if (!l) {
        l = free_slot ? free_slot : &var->loc[!var->newer];
        *l = (struct syncvar_loc){ .off = (uint8_t)off, .size = (uint8_t)size };
    }
    var->newer = (uint8_t)(l - var->loc);
    var->known_once = true;
    for (unsigned i = SYNCVAR_HISTORY - 1; i > 0; i--) {
        l->vals[i] = l->vals[i - 1];
        l->saw[i] = l->saw[i - 1] & ~thread_bit(thread);
    }
    l->vals[0] = value;
    l->saw[0] = thread_bit(thread);
    if (l->nvals < SYNCVAR_HISTORY)
        l->nvals++;
}

/* The bytes [addr, addr + size) has in common with location l, when one
 * holds the other: a guard byte loaded of a word stored whole, or two
 * counts loaded as one word of which one was stored (libstdc++'s
 * shared_ptr release loads its use and weak counts at once, and a lock
 * xadd stores the use count). The common part is the bits under mask from
 * bit *in_value of the access's value on, from bit *in_vals of l's values
 * (guests little-endian). False too when nothing is known of l. */
static bool common(const struct syncvar *var, const struct syncvar_loc *l, uint64_t addr, uint32_t size,
                   unsigned *in_value, unsigned *in_vals, uint64_t *mask)
{
    if (!l->nvals)
        return false;
    uint64_t start = var->key + l->off, end = start + l->size;
    bool inside = addr >= start && addr + size <= end;
    bool around = start >= addr && end <= addr + size;
    if (!inside && !around)
        return false;
    uint64_t lo = inside ? addr : start, len = inside ? size : l->size;
    *in_value = 8 * (unsigned)(lo - addr);
    *in_vals = 8 * (unsigned)(lo - start);
    *mask = len >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * len)) - 1;
    return true;
}

static bool holds(const struct syncvar_loc *l, unsigned i, uint64_t value, unsigned in_value, unsigned in_vals,
                  uint64_t mask)
{
    return (l->vals[i] >> in_vals & mask) == (value >> in_value & mask);
}

/* Whether value is one of l's last values on their common bytes. */
static bool loc_seen(const struct syncvar_loc *l, uint64_t value, unsigned in_value, unsigned in_vals, uint64_t mask)
{
    for (unsigned i = 0; i < l->nvals; i++)
        if (holds(l, i, value, in_value, in_vals, mask))
            return true;
    return false;
}

void syncvar_loaded(struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, uint64_t value)
{
    unsigned in_value, in_vals;
    uint64_t mask;
    bool known = false, seen = true;
    for (unsigned i = 0; i < SYNCVAR_LOCS; i++)
        if (common(var, &var->loc[i], addr, size, &in_value, &in_vals, &mask)) {
            known = true;
            seen &= loc_seen(&var->loc[i], value, in_value, in_vals, mask);
        }
    if (!known || !seen) {
        /* A value never seen stored (unknown contents, a store not
         * traced) is there now all the same. */
        syncvar_stored(var, thread, addr, size, true, value);
        return;
    }
    /* The latest store it can have read: the newest with its value. */
    for (unsigned i = 0; i < SYNCVAR_LOCS; i++) {
        struct syncvar_loc *l = &var->loc[i];
        if (!common(var, l, addr, size, &in_value, &in_vals, &mask))
            continue;
        unsigned k = 0;
        while (k + 1u < l->nvals && !holds(l, k, value, in_value, in_vals, mask))
            k++;
        for (unsigned j = 0; j < l->nvals; j++)
            l->saw[j] = j == k ? l->saw[j] | thread_bit(thread) : l->saw[j] & ~thread_bit(thread);
    }
}

bool syncvar_seen(const struct syncvar *var, uint64_t addr, uint32_t size, uint64_t value)
{
    unsigned in_value, in_vals;
    uint64_t mask;
    for (unsigned i = 0; i < SYNCVAR_LOCS; i++)
        if (common(var, &var->loc[i], addr, size, &in_value, &in_vals, &mask) &&
            !loc_seen(&var->loc[i], value, in_value, in_vals, mask))
            return false;
    return true;
}

bool syncvar_current(const struct syncvar *var, uint64_t addr, uint32_t size, uint64_t value)
{
    unsigned in_value, in_vals;
    uint64_t mask;
    for (unsigned i = 0; i < SYNCVAR_LOCS; i++)
        if (common(var, &var->loc[i], addr, size, &in_value, &in_vals, &mask) &&
            !holds(&var->loc[i], 0, value, in_value, in_vals, mask))
            return false;
    return true;
}

bool syncvar_future(const struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, uint64_t value)
{
    unsigned in_value, in_vals;
    uint64_t mask;
    for (unsigned i = 0; i < SYNCVAR_LOCS; i++) {
        const struct syncvar_loc *l = &var->loc[i];
        if (!common(var, l, addr, size, &in_value, &in_vals, &mask))
            continue;
        for (unsigned k = 0; k < l->nvals && !holds(l, k, value, in_value, in_vals, mask); k++)
            if (l->saw[k] & thread_bit(thread))
                return true;
    }
    return false;
}
