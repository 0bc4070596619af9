#include "spin.h"

bool spin_load(struct spin *s, uint64_t pc, uint64_t addr, unsigned size, uint64_t value, unsigned min_repeats)
{
    struct spin_entry *set = s->e[(pc * UINT64_C(0x9e3779b97f4a7c15)) >> 58];
    /* The way holding pc, or else the one loaded longer ago. */
    struct spin_entry *e = set[1].pc == pc || (set[0].pc != pc && set[1].at < set[0].at) ? &set[1] : &set[0];
    const struct spin_stored *st = spin_stored_of(s, addr >> 3);
    bool own_store = (st->word == addr >> 3 ? st->at : st->evicted_at) > e->at, waited = s->fenced_at >= e->at;
    uint64_t gap = s->accesses - e->at;
    e->at = ++s->accesses;
    if (e->pc != pc || e->addr != addr || e->size != size || own_store || gap > SPIN_GAP) {
        *e = (struct spin_entry){ .pc = pc, .addr = addr, .value = value, .at = e->at, .size = size };
        return false;
    }
    if (e->value == value) {
        e->repeats++;
        return false;
    }
    bool ends = e->repeats >= min_repeats || waited;
    e->value = value;
    e->repeats = 0;
    return ends;
}
