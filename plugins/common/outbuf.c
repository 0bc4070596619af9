/* Per-vCPU text output buffers: see outbuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "outbuf.h"

void outbuf_init(struct outbuf *b, int fd)
{
    /* One byte more than OUTBUF_SIZE: room for a sink's terminating NUL
     * even when the last event filled the slack exactly. */
    b->start = malloc(OUTBUF_SIZE + 1);
    if (!b->start)
        abort(); /* at plugin start-up: nothing to trace without it */
    b->p = b->start;
    b->limit = b->start + OUTBUF_SIZE - OUTBUF_SLACK;
    b->fd = fd;
    b->sink = NULL;
    b->lost_bytes = 0;
    b->error = 0;
}

void outbuf_init_sink(struct outbuf *b, outbuf_sink *sink)
{
    outbuf_init(b, -1);
    b->sink = sink;
}

static void write_out(struct outbuf *b, char *end)
{
    const char *q = b->start;
    if (b->sink) {
        if (end > q) {
            char saved = *end;
            *end = '\0';
            b->sink(q);
            *end = saved;
        }
        return;
    }
    while (q < end) {
        ssize_t n = write(b->fd, q, (size_t)(end - q));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!b->error)
                b->error = n < 0 ? errno : ENOSPC;
            b->lost_bytes += (uint64_t)(end - q);
            break;
        }
        q += n;
    }
}

void outbuf_flush(struct outbuf *b)
{
    write_out(b, b->p);
    b->p = b->start;
}

char *outbuf_flush_keep(struct outbuf *b, char *keep)
{
    size_t kept = (size_t)(b->p - keep);
    write_out(b, keep);
    memmove(b->start, keep, kept);
    b->p = b->start + kept;
    return b->start;
}

void outbuf_free(struct outbuf *b)
{
    outbuf_flush(b);
    free(b->start);
    b->start = b->p = b->limit = NULL;
}
