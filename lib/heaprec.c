/* Heap event records: see tcgtrace/heap.h. */
#include "tcgtrace/heap.h"

void tt_put_heap(struct tt_stream *s, unsigned kind, uint64_t func, uint64_t call, uint64_t addr,
                 uint64_t size, uint64_t old)
{
    uint8_t *len, *p = tt_ext_begin_(s, TT_TAG_HEAP, &len); /* a body of 51 bytes at most */
    *p++ = (uint8_t)kind;
    p = tt_put_varint(p, func);
    p = tt_put_varint(p, call);
    p = tt_put_varint(p, addr);
    p = tt_put_varint(p, size);
    p = tt_put_varint(p, old);
    tt_ext_end_(s, p, len, TT_HEAP);
}
