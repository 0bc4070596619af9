/* A per-vCPU output buffer for text traces. Each vCPU appends to its own
 * buffer without locks; a full buffer goes out in one write(2) (or one call
 * of a sink function), so lines of one vCPU stay in order and whole lines
 * never interleave. Formatting helpers are inline because they run once per
 * traced event. */
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

/* Receives a flushed block as one NUL-terminated string (for an API such as
 * qemu_plugin_outs that takes no length). */
typedef void outbuf_sink(const char *text);

struct outbuf {
    char *p;          /* next free byte */
    char *limit;      /* flush once p passes this */
    char *start;
    /* The plugin's output: guarded from the guest (fdguard.h) when it is
     * one of its files. */
    const int *fd;
    outbuf_sink *sink; /* when set, used instead of fd */
    /* Lines a failed write(2) could not store whole (the line it cut
     * short included: the file is cut back to the line before); reported
     * at exit. */
    uint64_t lost_lines;
    int error;        /* errno of the first failed write, 0 if none */
};

void outbuf_init(struct outbuf *b, const int *fd);
void outbuf_init_sink(struct outbuf *b, outbuf_sink *sink);
/* Writes out everything buffered; failures are counted, never fatal, and
 * leave a regular file ending with a whole line. */
void outbuf_flush(struct outbuf *b);
/* For a caller in the middle of an event that started at keep: writes out
 * what precedes keep and moves the unfinished event to the start of the
 * buffer. Returns the event's new start. */
char *outbuf_flush_keep(struct outbuf *b, char *keep);
void outbuf_free(struct outbuf *b);

/* Call after each event: flushes when the buffer is nearly full. */
static inline void outbuf_commit(struct outbuf *b)
{
    if (__builtin_expect(b->p > b->limit, 0))
        outbuf_flush(b);
}

/* Whether n more bytes fit, for events that may exceed OUTBUF_SLACK. */
static inline bool outbuf_room(const struct outbuf *b, size_t n)
{
    return (size_t)(b->limit + OUTBUF_SLACK - b->p) >= n;
}

/* Formatters write at b->p through include/tcgtrace/textfmt.h, e.g.
 * b->p = tf_memtrace(b->p, ...); then outbuf_commit(b). */

#endif
