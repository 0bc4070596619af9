/* Heap event records: see tcgtrace/heap.h. */
#include "tcgtrace/heap.h"

void tt_put_heap(struct tt_stream *s, unsigned kind, uint64_t func, uint64_t call, uint64_t addr,
                 uint64_t size, uint64_t old)
{
    /* Extensions are not counted in a chunk's records, and a buffer that
     * holds no counted record is not handed off: one that filled up with
     * heap events alone (no memory access between them, which an
     * allocator's own accesses make impossible when recording memory)
     * loses the event rather than its slack. */
    if (__builtin_expect(s->p > s->limit && !s->nrec, 0))
        return;
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
}
