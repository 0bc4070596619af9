/* Per-vCPU text output buffers: see outbuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdguard.h"
#include "outbuf.h"

void outbuf_init(struct outbuf *b, const int *fd)
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
    b->lost_lines = 0;
    b->error = 0;
}

void outbuf_init_sink(struct outbuf *b, outbuf_sink *sink)
{
    outbuf_init(b, NULL);
    b->sink = sink;
}

/* A write that failed after storing [from, to) of a buffer: if that
 * ends the file in the middle of a line, the file is cut back to the end
 * of the line before (a reader of a full disk's trace then never sees half
 * a line). Only when this write ends the file: another vCPU's write, or a
 * stream that is no regular file, is left alone. */
static void cut_partial_line(int fd, const char *from, const char *to)
{
    const char *nl = to;
    while (nl > from && nl[-1] != '\n')
        nl--;
    off_t tail = to - nl, end = lseek(fd, 0, SEEK_CUR);
    struct stat st;
    if (!tail || end < tail || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != end)
        return;
    /* Without O_APPEND the next write goes to the offset: moved back too. */
    if (ftruncate(fd, end - tail) == 0)
        lseek(fd, end - tail, SEEK_SET);
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
    int fd = fdguard_hold(b->fd);
    while (q < end) {
        ssize_t n = fd < 0 ? -1 : write(fd, q, (size_t)(end - q));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!b->error)
                b->error = n < 0 ? errno : ENOSPC;
            if (fd >= 0)
                cut_partial_line(fd, b->start, q);
            /* The line cut short ends in what is left. */
            for (const char *p = q; (p = memchr(p, '\n', (size_t)(end - p))); p++)
                b->lost_lines++;
            break;
        }
        q += n;
    }
    fdguard_release();
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
