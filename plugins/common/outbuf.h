/* A per-vCPU output buffer for text traces. Each vCPU appends to its own
 * buffer without locks; a full buffer goes to the file in one write(2), so
 * lines of one vCPU stay in order and whole lines never interleave.
 * Formatting helpers are inline because they run once per traced event. */
#ifndef TCGTRACE_OUTBUF_H
#define TCGTRACE_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcgtrace/textfmt.h"

/* Buffers are flushed when less than OUTBUF_SLACK bytes are free, so a
 * caller that formats one event of at most OUTBUF_SLACK bytes never checks
 * space while writing. */
#define OUTBUF_SIZE (256 * 1024)
#define OUTBUF_SLACK 4096

struct outbuf {
    char *p;          /* next free byte */
    char *limit;      /* flush once p passes this */
    char *start;
    int fd;
    /* Bytes a failed write(2) could not store; reported at exit. */
    uint64_t lost_bytes;
    int error;        /* errno of the first failed write, 0 if none */
};

void outbuf_init(struct outbuf *b, int fd);
/* Writes out everything buffered; failures are counted, never fatal. */
void outbuf_flush(struct outbuf *b);
void outbuf_free(struct outbuf *b);

/* Call after each event: flushes when the buffer is nearly full. */
static inline void outbuf_commit(struct outbuf *b)
{
    if (__builtin_expect(b->p > b->limit, 0))
        outbuf_flush(b);
}

/* Formatters write at b->p through include/tcgtrace/textfmt.h, e.g.
 * b->p = tf_memtrace(b->p, ...); then outbuf_commit(b). */

#endif
