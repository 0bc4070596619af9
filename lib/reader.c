/* The trace reader: chunk by chunk in file order, or merged (per-stream
 * order, synchronisation events in global sequence order) from an index of
 * chunk offsets and one cursor per stream. Everything read is checked
 * before it is used; a problem is reported with the byte offset it is at,
 * after the records of every whole chunk before it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "internal.h"
#include "tcgtrace/reader.h"

/* One stream's position: the chunk being decoded and, when merging, the
 * offsets of the chunks still to come. */
struct cursor {
    uint32_t stream;
    uint64_t *offs;
    uint32_t noffs, next_off, offs_cap;
    uint8_t *raw;
    size_t raw_cap;
    const uint8_t *p, *end;
    uint32_t left, nrec;
    uint64_t chunk_off;
    uint32_t chunk_seq;
    struct tt_dstate st;
    uint32_t seen; /* the stream's entry in r->seen */
    struct tt_record pending; /* a parked sync event */
};

/* What the reader knows of one stream, across its chunks. */
struct seen {
    uint32_t stream;
    uint32_t next_seq;
    uint64_t records;
    uint64_t last_gseq; /* of its last sync event */
    int32_t cursor;     /* merged: its cursor in r->curs, or -1 */
};

struct tt_reader {
    int fd;
    uint64_t size;
    unsigned flags;
    char *path;
    struct tt_header hdr;
    struct tt_arena arena;
    struct tt_defs defs;
    ZSTD_DCtx *dctx;
    uint8_t *zbuf;
    size_t zcap;
    uint64_t off; /* the next chunk header, in file order */
    struct cursor seq;
    struct cursor *curs;
    uint32_t ncurs, curs_cap;
    int cur;              /* the cursor running, or -1 */
    uint32_t unstarted;   /* cursors from here on have not run yet */
    uint32_t *heap, nheap; /* parked cursors */
    struct seen *seen;
    uint32_t nseen, seen_cap;
    /* Stream id -> index in seen + 1 (0: free), open addressing, at most
     * half full: a trace of many streams costs no search per chunk. */
    uint32_t *seen_hash;
    uint32_t hash_cap;
    uint64_t last_gseq; /* merged: of the last sync event returned */
    struct tt_trailer trailer;
    struct tt_stream_totals *totals;
    bool have_trailer;
    int end_rc; /* sticky: 0 at the end, < 0 after an error */
    bool ended;
    struct tt_error end_err;
    /* Merged: an indexing problem, reported after the records before it. */
    int deferred_rc;
    struct tt_error deferred_err;
};

static int rerr(struct tt_reader *r, struct tt_error *err, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int rerr(struct tt_reader *r, struct tt_error *err, int code, uint64_t off, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tt_error_set(err, code, off, "'%s': %s", r->path, msg);
}

static unsigned long long ull(uint64_t v)
{
    return (unsigned long long)v;
}

static int read_at(struct tt_reader *r, void *buf, size_t n, uint64_t off, struct tt_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(r->fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            rerr(r, err, TT_E_IO, off, "cannot read at byte %llu: %s", ull(off), strerror(e));
            if (err)
                err->sys_errno = e;
            return TT_E_IO;
        }
        if (k == 0)
            return rerr(r, err, TT_E_TRUNCATED, off, "trace cut short at byte %llu", ull(off + got));
        got += (size_t)k;
    }
    return 0;
}

static uint32_t stream_hash(uint32_t stream, uint32_t cap)
{
    return (stream * 0x9e3779b1u) & (cap - 1);
}

static bool seen_rehash(struct tt_reader *r)
{
    uint32_t cap = r->hash_cap ? r->hash_cap * 2 : 64;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return false;
    for (uint32_t i = 0; i < r->nseen; i++) {
        uint32_t k = stream_hash(r->seen[i].stream, cap);
        while (h[k])
            k = (k + 1) & (cap - 1);
        h[k] = i + 1;
    }
    free(r->seen_hash);
    r->seen_hash = h;
    r->hash_cap = cap;
    return true;
}

/* The entry of stream, created at its first chunk. NULL: out of memory. */
static struct seen *seen_for(struct tt_reader *r, uint32_t stream)
{
    if ((r->nseen + 1) * 2 > r->hash_cap && !seen_rehash(r))
        return NULL;
    uint32_t k = stream_hash(stream, r->hash_cap);
    for (; r->seen_hash[k]; k = (k + 1) & (r->hash_cap - 1))
        if (r->seen[r->seen_hash[k] - 1].stream == stream)
            return &r->seen[r->seen_hash[k] - 1];
    if (r->nseen == r->seen_cap) {
        uint32_t cap = r->seen_cap ? r->seen_cap * 2 : 8;
        struct seen *s = realloc(r->seen, cap * sizeof *s);
        if (!s)
            return NULL;
        r->seen = s;
        r->seen_cap = cap;
    }
    r->seen_hash[k] = r->nseen + 1;
    r->seen[r->nseen] = (struct seen){ .stream = stream, .cursor = -1 };
    return &r->seen[r->nseen++];
}

/* The chunk header at off, checked, with its payload inside the file. */
static int read_chunk_header(struct tt_reader *r, uint64_t off, struct tt_chunk_header *h,
                             struct tt_error *err)
{
    uint8_t b[TT_CHUNK_HEADER];
    if (off == r->size)
        return rerr(r, err, TT_E_TRUNCATED, off,
                    "trace cut short at byte %llu: no trailer (the recording did not finish)", ull(off));
    if (r->size - off < TT_CHUNK_HEADER)
        return rerr(r, err, TT_E_TRUNCATED, off,
                    "trace cut short at byte %llu: chunk header incomplete (%llu of %d bytes)",
                    ull(off), ull(r->size - off), TT_CHUNK_HEADER);
    int rc = read_at(r, b, sizeof b, off, err);
    if (rc < 0)
        return rc;
    struct tt_error e;
    if (tt_chunk_header_decode(b, off, h, &e) < 0)
        return rerr(r, err, e.code, off, "%s", e.msg);
    if (h->stored_size > r->size - off - TT_CHUNK_HEADER)
        return rerr(r, err, TT_E_TRUNCATED, off,
                    "trace cut short: the chunk at byte %llu needs %llu bytes, the file ends at byte %llu",
                    ull(off), ull(TT_CHUNK_HEADER + (uint64_t)h->stored_size), ull(r->size));
    return 0;
}

/* Checks the chunk's place in its stream: sequence numbers from 0, no gap. */
static int check_seq(struct tt_reader *r, uint64_t off, const struct tt_chunk_header *h,
                     struct tt_error *err)
{
    struct seen *s = seen_for(r, h->stream);
    if (!s)
        return rerr(r, err, TT_E_NOMEM, off, "out of memory");
    if (h->seq != s->next_seq)
        return rerr(r, err, TT_E_CORRUPT, off,
                    "chunk at byte %llu is chunk %u of stream %u, chunk %u was due (chunks missing)",
                    ull(off), h->seq, h->stream, s->next_seq);
    s->next_seq++;
    s->records += h->nrec;
    return 0;
}

/* Reads, checks and decompresses the payload of the chunk at off into c. */
static int load_payload(struct tt_reader *r, struct cursor *c, uint64_t off,
                        const struct tt_chunk_header *h, struct tt_error *err)
{
    /* At least a byte: an empty chunk is valid, and its records start
     * and end at a real pointer. */
    if (c->raw_cap < h->raw_size || !c->raw) {
        size_t cap = h->raw_size ? h->raw_size : 1;
        uint8_t *n = realloc(c->raw, cap);
        if (!n)
            return rerr(r, err, TT_E_NOMEM, off, "out of memory");
        c->raw = n;
        c->raw_cap = cap;
    }
    uint8_t *stored = c->raw;
    if (h->compression == TT_COMP_ZSTD) {
        if (r->zcap < h->stored_size) {
            uint8_t *n = realloc(r->zbuf, h->stored_size);
            if (!n)
                return rerr(r, err, TT_E_NOMEM, off, "out of memory");
            r->zbuf = n;
            r->zcap = h->stored_size;
        }
        stored = r->zbuf;
    }
    int rc = read_at(r, stored, h->stored_size, off + TT_CHUNK_HEADER, err);
    if (rc < 0)
        return rc;
    if (tt_crc32c(0, stored, h->stored_size) != h->payload_crc)
        return rerr(r, err, TT_E_CORRUPT, off, "chunk at byte %llu: payload checksum mismatch", ull(off));
    if (h->compression == TT_COMP_ZSTD) {
        /* RFC 8878: magic 0xFD2FB528, then a descriptor whose bit 2 is the
         * content checksum flag. */
        static const uint8_t zmagic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
        if (h->stored_size < 5 || memcmp(stored, zmagic, 4) || !(stored[4] & 4))
            return rerr(r, err, TT_E_CORRUPT, off,
                        "chunk at byte %llu: not a zstd frame with a content checksum", ull(off));
        size_t n = ZSTD_decompressDCtx(r->dctx, c->raw, h->raw_size, stored, h->stored_size);
        if (ZSTD_isError(n))
            return rerr(r, err, TT_E_CORRUPT, off, "chunk at byte %llu: zstd: %s", ull(off),
                        ZSTD_getErrorName(n));
        if (n != h->raw_size)
            return rerr(r, err, TT_E_CORRUPT, off,
                        "chunk at byte %llu: %zu bytes decompressed, the header says %u", ull(off), n,
                        h->raw_size);
    }
    if (h->type == TT_CHUNK_DATA) {
        struct seen *s = seen_for(r, h->stream);
        if (!s)
            return rerr(r, err, TT_E_NOMEM, off, "out of memory");
        c->seen = (uint32_t)(s - r->seen);
    }
    c->stream = h->stream;
    c->p = c->raw;
    c->end = c->raw + h->raw_size;
    c->left = c->nrec = h->nrec;
    c->chunk_off = off;
    c->chunk_seq = h->seq;
    tt_dstate_reset(&c->st);
    return 0;
}

static int decode_error(struct tt_reader *r, const struct cursor *c, int rc, size_t at, const char *why,
                        struct tt_error *err)
{
    return rerr(r, err, rc, c->chunk_off, "chunk at byte %llu (stream %u, chunk %u), record %u at raw byte %zu: %s",
                ull(c->chunk_off), c->stream, c->chunk_seq, c->nrec - c->left, at, why);
}

/* The next record of c's current chunk: 1, 0 when the chunk is done (and
 * its record count checked), or an error. */
static int chunk_next(struct tt_reader *r, struct cursor *c, struct tt_record *rec, struct tt_error *err)
{
    while (c->p < c->end) {
        char why[200];
        size_t at = (size_t)(c->p - c->raw);
        int rc = tt_decode(&c->st, &r->defs, c->stream == TT_STREAM_META, &c->p, c->end, rec, why,
                           sizeof why);
        if (rc < 0)
            return decode_error(r, c, rc, at, why, err);
        /* rc 0: an extension, not one of the chunk's N records, skipped
         * unless known (kind set). */
        if (rc == 0 && !rec->kind)
            continue;
        rec->stream = c->stream;
        if (rc > 0 && !c->left)
            return rerr(r, err, TT_E_CORRUPT, c->chunk_off,
                        "chunk at byte %llu holds more than its %u records", ull(c->chunk_off), c->nrec);
        if (rec->kind == TT_SYNC) {
            /* The decoder checks the order inside a chunk; this, from one
             * chunk of the stream to the next. */
            struct seen *s = &r->seen[c->seen];
            if (rec->sync.gseq <= s->last_gseq)
                return rerr(r, err, TT_E_CORRUPT, c->chunk_off,
                            "chunk at byte %llu (stream %u): sync event #%llu after #%llu", ull(c->chunk_off),
                            c->stream, ull(rec->sync.gseq), ull(s->last_gseq));
            s->last_gseq = rec->sync.gseq;
        }
        c->left -= rc > 0;
        return 1;
    }
    if (c->left)
        return rerr(r, err, TT_E_CORRUPT, c->chunk_off, "chunk at byte %llu ends after %u of its %u records",
                    ull(c->chunk_off), c->nrec - c->left, c->nrec);
    return 0;
}

static int parse_trailer(struct tt_reader *r, uint64_t off, const struct tt_chunk_header *h,
                         struct tt_error *err)
{
    struct cursor c = { 0 };
    int rc = load_payload(r, &c, off, h, err);
    if (rc < 0) {
        free(c.raw);
        return rc;
    }
    const uint8_t *p = c.raw, *end = c.end;
    uint64_t v[4];
    bool ok = true;
    ok = ok && tt_get_varint(&p, end, &v[0]);
    uint64_t n = v[0];
    /* Each stream takes at least 4 bytes: a count above that is no
     * reason to allocate. */
    if (ok && n <= h->raw_size / 4) {
        r->totals = calloc(n ? n : 1, sizeof *r->totals);
        if (!r->totals) {
            free(c.raw);
            return rerr(r, err, TT_E_NOMEM, off, "out of memory");
        }
        for (uint64_t i = 0; i < n && ok; i++) {
            for (int k = 0; k < 4; k++)
                ok = ok && tt_get_varint(&p, end, &v[k]);
            r->totals[i] = (struct tt_stream_totals){ (uint32_t)v[0], v[1], v[2], v[3] };
        }
        r->trailer.nstreams = (uint32_t)n;
        r->trailer.streams = r->totals;
        ok = ok && tt_get_varint(&p, end, &v[0]);
        for (uint64_t i = 0; i < v[0] && ok; i++) {
            uint8_t kind = ok && p < end ? *p++ : 0;
            ok = ok && tt_get_varint(&p, end, &v[1]);
            if (kind == 0 || kind >= TT_KIND_COUNT)
                ok = false;
            else
                r->trailer.lost[kind] = v[1];
        }
        ok = ok && tt_get_varint(&p, end, &r->trailer.sync_events);
        ok = ok && tt_get_varint(&p, end, &v[0]);
        r->trailer.write_errno = (int)v[0];
    } else {
        ok = false;
    }
    free(c.raw);
    if (!ok || p != end)
        return rerr(r, err, TT_E_CORRUPT, off, "trailer at byte %llu is malformed", ull(off));
    /* The trailer's totals against the chunks seen. */
    for (uint32_t i = 0; i < r->trailer.nstreams; i++) {
        const struct tt_stream_totals *t = &r->totals[i];
        struct seen *s = seen_for(r, t->stream);
        if (!s)
            return rerr(r, err, TT_E_NOMEM, off, "out of memory");
        if (s->next_seq != t->chunks || s->records != t->records)
            return rerr(r, err, TT_E_CORRUPT, off,
                        "stream %u has %u chunks and %llu records, its trailer says %llu and %llu",
                        t->stream, s->next_seq, ull(s->records), ull(t->chunks), ull(t->records));
    }
    if (r->nseen > r->trailer.nstreams)
        return rerr(r, err, TT_E_CORRUPT, off, "the trailer at byte %llu misses streams", ull(off));
    uint64_t after = off + TT_CHUNK_HEADER + h->stored_size;
    if (after != r->size)
        return rerr(r, err, TT_E_CORRUPT, after, "data after the trailer at byte %llu", ull(after));
    r->have_trailer = true;
    return 0;
}

/* --- File order ----------------------------------------------------------- */

static int next_sequential(struct tt_reader *r, struct tt_record *rec, struct tt_error *err)
{
    struct cursor *c = &r->seq;
    for (;;) {
        if (c->raw) {
            int rc = chunk_next(r, c, rec, err);
            if (rc != 0) {
                if (rc > 0 && c->stream == TT_STREAM_META && !(r->flags & TT_READ_DEFS))
                    continue;
                return rc;
            }
        }
        struct tt_chunk_header h;
        uint64_t off = r->off;
        int rc = read_chunk_header(r, off, &h, err);
        if (rc < 0)
            return rc;
        if (h.type == TT_CHUNK_TRAILER) {
            rc = parse_trailer(r, off, &h, err);
            return rc < 0 ? rc : 0;
        }
        if ((rc = check_seq(r, off, &h, err)) < 0 || (rc = load_payload(r, c, off, &h, err)) < 0)
            return rc;
        r->off = off + TT_CHUNK_HEADER + h.stored_size;
    }
}

/* --- Merged order ------------------------------------------------------- */

static struct cursor *cursor_for(struct tt_reader *r, uint32_t stream)
{
    struct seen *s = seen_for(r, stream);
    if (!s)
        return NULL;
    if (s->cursor >= 0)
        return &r->curs[s->cursor];
    if (r->ncurs == r->curs_cap) {
        uint32_t cap = r->curs_cap ? r->curs_cap * 2 : 8;
        struct cursor *a = realloc(r->curs, cap * sizeof *a);
        if (!a)
            return NULL;
        r->curs = a;
        r->curs_cap = cap;
    }
    r->curs[r->ncurs] = (struct cursor){ .stream = stream };
    s->cursor = (int32_t)r->ncurs;
    return &r->curs[r->ncurs++];
}

/* The first pass: every chunk header checked and indexed by stream, every
 * definition loaded. A problem stops the pass and is reported once the
 * records indexed before it have been returned. */
static int index_chunks(struct tt_reader *r, struct tt_error *err)
{
    struct cursor meta = { 0 };
    int rc = 0;
    for (;;) {
        struct tt_chunk_header h;
        uint64_t off = r->off;
        if ((rc = read_chunk_header(r, off, &h, &r->deferred_err)) < 0)
            break;
        if (h.type == TT_CHUNK_TRAILER) {
            rc = parse_trailer(r, off, &h, &r->deferred_err);
            break;
        }
        if ((rc = check_seq(r, off, &h, &r->deferred_err)) < 0)
            break;
        if (h.stream == TT_STREAM_META) {
            struct tt_record rec;
            if ((rc = load_payload(r, &meta, off, &h, &r->deferred_err)) < 0)
                break;
            while ((rc = chunk_next(r, &meta, &rec, &r->deferred_err)) > 0)
                ;
            if (rc < 0)
                break;
        } else {
            struct cursor *c = cursor_for(r, h.stream);
            if (!c) {
                free(meta.raw);
                return rerr(r, err, TT_E_NOMEM, off, "out of memory");
            }
            if (c->noffs == c->offs_cap) {
                uint32_t cap = c->offs_cap ? c->offs_cap * 2 : 16;
                uint64_t *o = realloc(c->offs, cap * sizeof *o);
                if (!o) {
                    free(meta.raw);
                    return rerr(r, err, TT_E_NOMEM, off, "out of memory");
                }
                c->offs = o;
                c->offs_cap = cap;
            }
            c->offs[c->noffs++] = off;
        }
        r->off = off + TT_CHUNK_HEADER + h.stored_size;
    }
    free(meta.raw);
    r->deferred_rc = rc < 0 ? rc : 0;
    r->cur = -1;
    if (!(r->heap = malloc((r->ncurs ? r->ncurs : 1) * sizeof *r->heap)))
        return rerr(r, err, TT_E_NOMEM, 0, "out of memory");
    return 0;
}

/* The next record of one stream, loading its next indexed chunk. */
static int cursor_next(struct tt_reader *r, struct cursor *c, struct tt_record *rec, struct tt_error *err)
{
    for (;;) {
        if (c->raw) {
            int rc = chunk_next(r, c, rec, err);
            if (rc != 0)
                return rc;
        }
        if (c->next_off == c->noffs)
            return 0;
        uint64_t off = c->offs[c->next_off++];
        struct tt_chunk_header h;
        int rc = read_chunk_header(r, off, &h, err);
        if (rc < 0 || (rc = load_payload(r, c, off, &h, err)) < 0)
            return rc;
    }
}

/* The parked streams, a binary min-heap on their pending event's number:
 * choosing the next event costs log(streams), not a scan of them all. */
static uint64_t parked_key(const struct tt_reader *r, uint32_t i)
{
    return r->curs[r->heap[i]].pending.sync.gseq;
}

static void heap_swap(struct tt_reader *r, uint32_t i, uint32_t j)
{
    uint32_t t = r->heap[i];
    r->heap[i] = r->heap[j];
    r->heap[j] = t;
}

static void park(struct tt_reader *r, uint32_t cursor)
{
    uint32_t i = r->nheap++;
    r->heap[i] = cursor;
    while (i > 0 && parked_key(r, (i - 1) / 2) > parked_key(r, i)) {
        heap_swap(r, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static uint32_t unpark(struct tt_reader *r)
{
    uint32_t top = r->heap[0];
    r->heap[0] = r->heap[--r->nheap];
    for (uint32_t i = 0;;) {
        uint32_t m = i, a = 2 * i + 1, b = a + 1;
        if (a < r->nheap && parked_key(r, a) < parked_key(r, m))
            m = a;
        if (b < r->nheap && parked_key(r, b) < parked_key(r, m))
            m = b;
        if (m == i)
            break;
        heap_swap(r, i, m);
        i = m;
    }
    return top;
}

/* Every stream runs, in stream order of first appearance, up to its next
 * sync event, where it parks; once none can run, the parked event with the
 * lowest number goes next and its stream runs on. */
static int next_merged(struct tt_reader *r, struct tt_record *rec, struct tt_error *err)
{
    for (;;) {
        if (r->cur >= 0) {
            struct cursor *c = &r->curs[r->cur];
            int rc = cursor_next(r, c, rec, err);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                /* A stream that ended holds no memory. */
                free(c->raw);
                free(c->offs);
                tt_dstate_free(&c->st);
                c->raw = NULL;
                c->offs = NULL;
                c->raw_cap = 0;
            } else if (rec->kind == TT_SYNC) {
                c->pending = *rec;
                park(r, (uint32_t)r->cur);
            } else {
                return 1;
            }
            r->cur = -1;
        }
        if (r->unstarted < r->ncurs) {
            r->cur = (int)r->unstarted++;
            continue;
        }
        if (!r->nheap) {
            if (r->deferred_rc < 0 && err)
                *err = r->deferred_err;
            return r->deferred_rc;
        }
        uint32_t best = unpark(r);
        struct cursor *c = &r->curs[best];
        /* Each stream's events increase (chunk_next), so only two streams
         * holding the same number can break the global order. */
        if (c->pending.sync.gseq <= r->last_gseq)
            return rerr(r, err, TT_E_CORRUPT, c->chunk_off,
                        "sync event #%llu comes twice (stream %u, chunk at byte %llu)",
                        ull(c->pending.sync.gseq), c->stream, ull(c->chunk_off));
        r->last_gseq = c->pending.sync.gseq;
        r->cur = (int)best;
        *rec = c->pending;
        return 1;
    }
}

/* --- Public --------------------------------------------------------------- */

struct tt_reader *tt_reader_open(const char *path, unsigned flags, struct tt_error *err)
{
    if ((flags & TT_READ_MERGED) && (flags & TT_READ_DEFS)) {
        tt_error_set(err, TT_E_INVAL, 0, "merged order returns no definitions");
        return NULL;
    }
    struct tt_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path)) || !(r->dctx = ZSTD_createDCtx())) {
        tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
        if (r)
            free(r->path);
        free(r);
        return NULL;
    }
    r->flags = flags;
    /* O_NONBLOCK: opening a FIFO would wait for a writer; it is refused
     * below as no regular file (on which the flag changes nothing). */
    r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0) {
        int e = errno;
        tt_error_set(err, TT_E_IO, 0, "cannot open '%s': %s", path, strerror(e));
        if (err)
            err->sys_errno = e;
        tt_reader_close(r);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        tt_error_set(err, TT_E_IO, 0, "cannot read '%s': not a regular file", path);
        tt_reader_close(r);
        return NULL;
    }
    r->size = (uint64_t)st.st_size;
    uint8_t fixed[TT_HEADER_FIXED] = { 0 };
    size_t got = r->size < sizeof fixed ? (size_t)r->size : sizeof fixed;
    if (read_at(r, fixed, got, 0, err) < 0) {
        tt_reader_close(r);
        return NULL;
    }
    int rc = 0;
    uint32_t hlen = tt_le32(fixed + 12);
    uint16_t version = tt_le16(fixed + 8);
    if (got < TT_MAGIC_LEN || memcmp(fixed, TT_MAGIC, TT_MAGIC_LEN))
        rc = rerr(r, err, TT_E_NOT_TRACE, 0, "not a tcgtrace trace (no TCGTRACE magic)");
    else if (got < TT_HEADER_FIXED)
        rc = rerr(r, err, TT_E_TRUNCATED, got, "trace cut short at byte %zu: header incomplete", got);
    else if (version > TT_VERSION)
        rc = rerr(r, err, TT_E_VERSION, 8, "trace format version %u is newer than this tcgtrace (reads %d)",
                  version, TT_VERSION);
    else if (version < 1)
        rc = rerr(r, err, TT_E_VERSION, 8, "trace format version %u is unknown (this tcgtrace reads %d)",
                  version, TT_VERSION);
    else if (hlen < TT_HEADER_FIXED + 4 || hlen > TT_HEADER_MAX)
        rc = rerr(r, err, TT_E_CORRUPT, 12, "header length %u at byte 12 is impossible", hlen);
    else if (hlen > r->size)
        rc = rerr(r, err, TT_E_TRUNCATED, r->size,
                  "trace cut short at byte %llu: header incomplete (%u bytes)", ull(r->size), hlen);
    if (rc == 0) {
        uint8_t *h = malloc(hlen);
        if (!h) {
            rc = rerr(r, err, TT_E_NOMEM, 0, "out of memory");
        } else if ((rc = read_at(r, h, hlen, 0, err)) == 0) {
            struct tt_error e;
            if ((rc = tt_header_decode(h, hlen, &r->hdr, &r->arena, &e)) < 0)
                rerr(r, err, rc, e.offset, "%s", e.msg);
        }
        free(h);
    }
    if (rc < 0) {
        tt_reader_close(r);
        return NULL;
    }
    r->off = hlen;
    if ((flags & TT_READ_MERGED) && index_chunks(r, err) < 0) {
        tt_reader_close(r);
        return NULL;
    }
    return r;
}

const struct tt_header *tt_reader_header(const struct tt_reader *r)
{
    return &r->hdr;
}

int tt_reader_next(struct tt_reader *r, struct tt_record *rec, struct tt_error *err)
{
    if (r->ended) {
        if (err && r->end_rc < 0)
            *err = r->end_err;
        return r->end_rc;
    }
    int rc = r->flags & TT_READ_MERGED ? next_merged(r, rec, &r->end_err)
                                       : next_sequential(r, rec, &r->end_err);
    if (rc <= 0) {
        r->ended = true;
        r->end_rc = rc;
        if (err && rc < 0)
            *err = r->end_err;
    }
    return rc;
}

/* The stream whose records come next, while it stays in its chunk. */
static struct cursor *running(struct tt_reader *r)
{
    if (!(r->flags & TT_READ_MERGED))
        return r->seq.raw ? &r->seq : NULL;
    return r->cur >= 0 ? &r->curs[r->cur] : NULL;
}

/* Runs of memory accesses are decoded in one loop, without a call per
 * record through the reader's layers: most of a trace is such runs. A call
 * stops before anything that could load another chunk into a cursor whose
 * records it returns (or free it), which would move their data. */
int tt_reader_read(struct tt_reader *r, struct tt_record *recs, size_t max, struct tt_error *err)
{
    size_t n = 0;
    while (n < max && !r->ended) {
        struct cursor *c = running(r);
        if (c && c->stream != TT_STREAM_META && c->left && c->p < c->end) {
            char why[200];
            size_t k, room = max - n < c->left ? max - n : c->left;
            int rc = tt_decode_mems(&c->st, &r->defs, &c->p, c->end, c->stream, recs + n, room, &k, why, sizeof why);
            n += k;
            c->left -= (uint32_t)k;
            if (rc < 0) {
                r->ended = true;
                r->end_rc = decode_error(r, c, rc, (size_t)(c->p - c->raw), why, &r->end_err);
                break;
            }
            if (n == max)
                break;
        }
        if (n && (!c || c->p == c->end))
            break;
        int rc = tt_reader_next(r, &recs[n], err);
        if (rc <= 0)
            break;
        n++;
    }
    if (n)
        return (int)n;
    if (err && r->end_rc < 0)
        *err = r->end_err;
    return r->end_rc;
}

const struct tt_trailer *tt_reader_trailer(const struct tt_reader *r)
{
    return r->have_trailer && !(r->ended && r->end_rc < 0) ? &r->trailer : NULL;
}

uint64_t tt_trailer_lost(const struct tt_trailer *t)
{
    uint64_t n = 0;
    for (unsigned k = 0; t && k < TT_KIND_COUNT; k++)
        n += t->lost[k];
    return n;
}

const struct tt_insn_def *tt_reader_insn(const struct tt_reader *r, uint32_t id)
{
    return id < r->defs.ninsns ? &r->defs.insns[id] : NULL;
}

const struct tt_reg_def *tt_reader_reg(const struct tt_reader *r, uint32_t id)
{
    return id < r->defs.nregs ? &r->defs.regs[id] : NULL;
}

const char *tt_reader_string(const struct tt_reader *r, uint32_t id)
{
    return id < r->defs.nstrings ? r->defs.strings[id] : NULL;
}

void tt_reader_close(struct tt_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    for (uint32_t i = 0; i < r->ncurs; i++) {
        free(r->curs[i].raw);
        free(r->curs[i].offs);
        tt_dstate_free(&r->curs[i].st);
    }
    free(r->curs);
    free(r->heap);
    free(r->seq.raw);
    tt_dstate_free(&r->seq.st);
    free(r->seen);
    free(r->seen_hash);
    free(r->totals);
    free(r->zbuf);
    ZSTD_freeDCtx(r->dctx);
    tt_defs_free(&r->defs);
    tt_arena_free(&r->arena);
    free(r->path);
    free(r);
}
