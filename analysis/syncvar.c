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

struct syncvar *syncvar_first_in_page(const struct syncvars *sv, uint64_t pn)
{
    const uint64_t *head = u64map_find(&sv->by_page, pn);
    return head && *head ? sv->v[*head - 1] : NULL;
}

struct syncvar *syncvar_next(const struct syncvars *sv, const struct syncvar *var)
{
    return var->next ? sv->v[var->next - 1] : NULL;
}

void syncvars_reset(struct syncvars *sv, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct syncvar *var = sv->v[i];
        if (var->key >= lo && var->key <= hi) {
            vclock_clear(&var->clock);
            var->last_size = 0;
        }
    }
}
