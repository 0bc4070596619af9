/* Per-vCPU text output buffers: see outbuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "outbuf.h"

void outbuf_init(struct outbuf *b, int fd)
{
    b->start = malloc(OUTBUF_SIZE);
    if (!b->start)
        abort(); /* at plugin start-up: nothing to trace without it */
    b->p = b->start;
    b->limit = b->start + OUTBUF_SIZE - OUTBUF_SLACK;
    b->fd = fd;
    b->lost_bytes = 0;
    b->error = 0;
}

void outbuf_flush(struct outbuf *b)
{
    const char *q = b->start;
    while (q < b->p) {
        ssize_t n = write(b->fd, q, (size_t)(b->p - q));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!b->error)
                b->error = n < 0 ? errno : ENOSPC;
            b->lost_bytes += (uint64_t)(b->p - q);
            break;
        }
        q += n;
    }
    b->p = b->start;
}

void outbuf_free(struct outbuf *b)
{
    outbuf_flush(b);
    free(b->start);
    b->start = b->p = b->limit = NULL;
}
