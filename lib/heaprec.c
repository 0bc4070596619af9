/* Heap event records: see tcgtrace/heap.h. */
#include "tcgtrace/heap.h"

void tt_put_heap(struct tt_stream *s, unsigned kind, uint64_t func, uint64_t call, uint64_t addr,
                 uint64_t size, uint64_t old)
{
    /* Extensions are not counted in a chunk's records: a buffer of heap
     * events alone is handed off like any other. */
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_HEAP;
    /* The body is at most 51 bytes: its length is one varint byte. */
    uint8_t *len = p++;
    *p++ = (uint8_t)kind;
    p = tt_put_varint(p, func);
    p = tt_put_varint(p, call);
    p = tt_put_varint(p, addr);
    p = tt_put_varint(p, size);
    p = tt_put_varint(p, old);
    *len = (uint8_t)(p - len - 1);
    s->p = p; /* not tt_stream_end_: that counts a record */
    s->nkind[TT_HEAP]++;
    s->next++;
}
