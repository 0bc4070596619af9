#include "spin.h"

bool spin_load(struct spin *s, uint64_t pc, uint64_t addr, unsigned size, uint64_t value, unsigned min_repeats)
{
    struct spin_entry *e = &s->e[(pc ^ pc >> 6) % SPIN_SLOTS];
    uint64_t *stored = &s->stored[(addr >> 2) % SPIN_SLOTS];
    bool own_store = *stored == addr;
    uint64_t gap = s->accesses - e->at;
    if (own_store)
        *stored = 0;
    e->at = ++s->accesses;
    if (e->pc != pc || e->addr != addr || e->size != size || own_store || gap > SPIN_GAP) {
        *e = (struct spin_entry){ .pc = pc, .addr = addr, .value = value, .at = e->at, .size = size };
        return false;
    }
    if (e->value == value) {
        e->repeats++;
        return false;
    }
    bool ends = e->repeats >= min_repeats;
    e->value = value;
    e->repeats = 0;
    return ends;
}
