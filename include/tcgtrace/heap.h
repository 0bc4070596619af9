/* Writing heap events (docs/format.md, "Heap event"): an extension record,
 * tag TT_TAG_HEAP, which readers before it skip. Out of line: allocator
 * calls are rare next to memory accesses. */
#ifndef TCGTRACE_HEAP_H
#define TCGTRACE_HEAP_H

#include <stdint.h>

#include "tcgtrace/writer.h"

/* An allocator function returned, or free was entered: kind
 * (tt_heap_kind), the function's entry func, the address call it returns
 * to, the block addr (what it returned, 0 for none; free: the block
 * given), the size asked for, and realloc's old block. Not counted in the
 * chunk's records (an extension). */
void tt_put_heap(struct tt_stream *s, unsigned kind, uint64_t func, uint64_t call, uint64_t addr,
                 uint64_t size, uint64_t old);

#endif
