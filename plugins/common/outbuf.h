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

static inline void outbuf_mem(struct outbuf *b, const void *s, size_t n)
{
    memcpy(b->p, s, n);
    b->p += n;
}

static inline void outbuf_str(struct outbuf *b, const char *s)
{
    outbuf_mem(b, s, strlen(s));
}

static inline void outbuf_char(struct outbuf *b, char c)
{
    *b->p++ = c;
}

/* Lowercase hex of v, without leading zeros but at least `width` digits
 * (printf's "%0*" PRIx64). */
static inline void outbuf_hex(struct outbuf *b, uint64_t v, int width)
{
    static const char digits[16] = "0123456789abcdef";
    int n = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;
    if (n < width)
        n = width;
    for (int i = n - 1; i >= 0; i--) {
        b->p[i] = digits[v & 0xf];
        v >>= 4;
    }
    b->p += n;
}

/* Decimal of v (printf's "%" PRIu64). */
static inline void outbuf_dec(struct outbuf *b, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *b->p++ = tmp[--n];
}

#endif
