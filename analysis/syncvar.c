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
    var->nvals = 0;
    var->saw_latest = 0;
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
    bool overlap = addr < var->vals_addr + var->vals_size && var->vals_addr < addr + size;
    if (var->nvals && !overlap)
        return; /* another location in the same word */
    if (!known) {
        var->nvals = 0;
        var->saw_latest = 0;
        return;
    }
    if (var->vals_addr != addr || var->vals_size != size)
        var->nvals = 0;
    /* The same value again (a failed compare-and-swap writes it back):
     * a thread that saw it before still cannot see an older one. */
    var->saw_latest = (var->nvals && var->vals[0] == value ? var->saw_latest : 0) | thread_bit(thread);
    var->vals_addr = addr;
    var->vals_size = size;
    var->known_once = true;
    for (unsigned i = SYNCVAR_HISTORY - 1; i > 0; i--)
        var->vals[i] = var->vals[i - 1];
    var->vals[0] = value;
    if (var->nvals < SYNCVAR_HISTORY)
        var->nvals++;
}

/* The bytes [addr, addr + size) has in common with the contents known,
 * when one holds the other: a guard byte loaded of a word stored whole,
 * or two counts loaded as one word of which one was stored (libstdc++'s
 * shared_ptr release loads its use and weak counts at once, and a lock
 * xadd stores the use count). The common part is the bits under mask from
 * bit *in_value of the access's value on, from bit *in_vals of the known
 * values' (guests little-endian). */
static bool common(const struct syncvar *var, uint64_t addr, uint32_t size, unsigned *in_value, unsigned *in_vals,
                   uint64_t *mask)
{
    uint64_t vend = var->vals_addr + var->vals_size;
    bool inside = addr >= var->vals_addr && addr + size <= vend;
    bool around = var->vals_addr >= addr && vend <= addr + size;
    if (!inside && !around)
        return false;
    uint64_t lo = inside ? addr : var->vals_addr, len = inside ? size : var->vals_size;
    *in_value = 8 * (unsigned)(lo - addr);
    *in_vals = 8 * (unsigned)(lo - var->vals_addr);
    *mask = len >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * len)) - 1;
    return true;
}

static bool holds(const struct syncvar *var, unsigned i, uint64_t value, unsigned in_value, unsigned in_vals,
                  uint64_t mask)
{
    return (var->vals[i] >> in_vals & mask) == (value >> in_value & mask);
}

void syncvar_loaded(struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, uint64_t value)
{
    /* A value never seen stored (unknown contents, a store not traced) is
     * there now all the same. */
    unsigned in_value, in_vals;
    uint64_t mask;
    if (var->nvals && common(var, addr, size, &in_value, &in_vals, &mask) && syncvar_seen(var, addr, size, value)) {
        if (holds(var, 0, value, in_value, in_vals, mask))
            var->saw_latest |= thread_bit(thread);
        else
            var->saw_latest &= ~thread_bit(thread);
        return;
    }
    syncvar_stored(var, thread, addr, size, true, value);
}

bool syncvar_seen(const struct syncvar *var, uint64_t addr, uint32_t size, uint64_t value)
{
    unsigned in_value, in_vals;
    uint64_t mask;
    if (!common(var, addr, size, &in_value, &in_vals, &mask))
        return true;
    for (unsigned i = 0; i < var->nvals; i++)
        if (holds(var, i, value, in_value, in_vals, mask))
            return true;
    return !var->nvals;
}

bool syncvar_current(const struct syncvar *var, uint64_t addr, uint32_t size, uint64_t value)
{
    unsigned in_value, in_vals;
    uint64_t mask;
    if (!common(var, addr, size, &in_value, &in_vals, &mask) || !var->nvals)
        return true;
    return holds(var, 0, value, in_value, in_vals, mask);
}

bool syncvar_future(const struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, uint64_t value)
{
    return (var->saw_latest & thread_bit(thread)) && !syncvar_current(var, addr, size, value);
}
