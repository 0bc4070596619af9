/* The trace writer: per-vCPU buffers handed to one writer thread that
 * compresses and writes them as chunks, definitions kept in a metadata
 * stream written before any chunk that may use them, and the trailer that
 * tells a reader the trace is complete (docs/format.md). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "internal.h"
#include "tcgtrace/writer.h"

/* A buffer of encoded records: a stream's current one, one waiting in the
 * queue, or one being written. */
struct tt_buf {
    struct tt_buf *next;
    uint32_t stream, seq, nrec;
    uint32_t nkind[TT_KIND_COUNT]; /* nrec per kind */
    size_t len;
    uint8_t data[];
};

struct strent {
    const char *s;
    uint32_t id;
};

/* What threads still running guest code held when a seal gave up waiting
 * for them (count_running): records per stream id, and per kind. */
struct seal_lost {
    uint64_t *stream;
    uint32_t n;
    uint64_t kind[TT_KIND_COUNT];
};

struct totals {
    uint64_t chunks, records, lost;
    /* Chunks of the stream to store without trying zstd, and how many
     * the next miss skips (see write_chunk). */
    uint32_t skip, backoff;
};

/* A vCPU index this large is a bug in the caller, not a machine. */
#define STREAMS_MAX (1u << 20)
/* zstd's fastest level but one: on memtrace's records it compresses about
 * twice as fast as level 1 into files 4-10% larger, and its time comes out
 * of the cores the guest's threads run on. */
#define DEFAULT_LEVEL -1
#define DEFAULT_QUEUE 8

struct tt_writer {
    int fd;
    char *path;
    size_t chunk_size;
    int level;
    bool raw, synchronous;

    /* lock guards everything down to `closing`. */
    pthread_mutex_t lock;
    pthread_cond_t work;  /* the writer thread waits for buffers */
    pthread_cond_t freed; /* appending threads wait for a free buffer */
    struct tt_buf *qhead, *qtail;
    struct tt_buf *free;
    struct tt_stream **streams;
    uint32_t nstreams;
    /* The metadata stream: full buffers, and the one being filled. */
    struct tt_buf *meta_full, *meta_full_tail, *meta_cur;
    uint32_t meta_seq;
    uint64_t meta_last_pc;
    uint32_t ninsns, nregs, nstrings;
    struct tt_arena arena;   /* interned strings */
    struct strent *strtab;
    uint32_t strtab_cap;
    bool closing;
    /* Sealing (tt_writer_seal): buffers queued and written so far; while
     * nseals > 0 the writer thread writes no buffer past seal_upto. A seal
     * request numbered seal_req is done once seal_done reaches it. */
    uint64_t nqueued, nwritten, seal_upto;
    unsigned nseals;
    uint64_t seal_req, seal_done;
    pthread_cond_t sealed;   /* a seal is done */
    pthread_cond_t unsealed; /* owners parked by a seal wait for its end */
    bool ending;             /* tt_writer_close: parked owners stay parked */
    /* Lost if the process is replaced: the sealed trailer counts them (a
     * copy, taken with the seal request); the last unseal drops them. */
    struct seal_lost seal_lost;
    /* Set while a seal stops the running streams: their owners park at
     * their next record (tt_stream_handoff). */
    _Atomic bool sealing;

    pthread_t thread;
    bool thread_started;
    /* Set by the writer thread once it knows (table_known): the trace's
     * descriptor is in its own table alone (own_table), and no other
     * thread may use w->fd's number, which is the guest's to reuse. */
    bool table_known, own_table;
    pthread_cond_t ready;
    /* An unseal asked the writer thread to cut the trailer off (own_table:
     * no other thread can); it clears this and broadcasts `sealed`. */
    bool cut_due;

    /* Owned by whoever writes chunks: the writer thread, or the lock
     * holder when synchronous. */
    ZSTD_CCtx *cctx;
    uint8_t *zbuf;
    size_t zcap;
    uint64_t offset;
    /* A sealed trace's trailer lies at offset, to be cut off before the
     * next chunk replaces it. */
    bool provisional;
    /* The trace had no name left when it was closed (close_trace). */
    bool removed;
    int werrno;
    struct totals *tot, meta_tot;
    uint32_t ntot;
    uint64_t lost_kind[TT_KIND_COUNT];
    /* Records written per kind; and the header as written, with where its
     * records-per-kind value is (0: none), to write it again with them. */
    uint64_t kinds[TT_KIND_COUNT];
    uint8_t *hdr;
    size_t hlen, counts_at, replaced_at;

    _Atomic uint64_t st_records, st_lost, st_chunks, st_bytes, st_raw;
    _Alignas(64) _Atomic uint64_t gseq;
    char pad[64 - sizeof(uint64_t)];
};

/* Kinds of extension records: counted per kind, never in a chunk's record
 * count or in a trailer's records lost (readers from before them reject
 * their kinds there). */
static bool extension_kind(unsigned kind)
{
    return kind == TT_HEAP || kind == TT_CALL;
}

static struct tt_buf *buf_new(struct tt_writer *w)
{
    struct tt_buf *b = malloc(sizeof *b + w->chunk_size);
    if (b) {
        b->next = NULL;
        b->len = b->nrec = 0;
        memset(b->nkind, 0, sizeof b->nkind);
    }
    return b;
}

/* --- Writing chunks (writer thread, or the lock holder) --------------- */

static bool write_all(struct tt_writer *w, const void *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t k = pwrite(w->fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->werrno = k < 0 ? errno : EIO;
            return false;
        }
        p = (const char *)p + k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return true;
}

static struct totals *totals_for(struct tt_writer *w, uint32_t stream)
{
    if (stream == TT_STREAM_META)
        return &w->meta_tot;
    if (stream >= w->ntot) {
        uint32_t n = stream + 16;
        struct totals *t = realloc(w->tot, n * sizeof *t);
        if (!t)
            return NULL;
        memset(t + w->ntot, 0, (n - w->ntot) * sizeof *t);
        w->tot = t;
        w->ntot = n;
    }
    return &w->tot[stream];
}

/* The records of a chunk that could not be written, per kind: the rare
 * failure path decodes the chunk rather than the hot path counting. */
static void count_lost(struct tt_writer *w, const struct tt_buf *b, struct totals *t)
{
    struct tt_dstate st = { 0 };
    const uint8_t *p = b->data, *end = b->data + b->len;
    struct tt_record rec;
    char why[128];
    uint32_t n = 0;
    /* To the end of the buffer: heap events (extensions, not in nrec) may
     * follow its last counted record, or be all it holds. */
    while (p < end) {
        int rc = tt_decode(&st, NULL, b->stream == TT_STREAM_META, &p, end, &rec, why, sizeof why);
        if (rc < 0 || (rc > 0 && n == b->nrec))
            break;
        if (rc > 0) {
            w->lost_kind[rec.kind]++;
            n++;
        } else if (extension_kind(rec.kind)) {
            w->lost_kind[rec.kind]++;
        }
    }
    tt_dstate_free(&st);
    if (t)
        t->lost += b->nrec;
    if (b->stream != TT_STREAM_META)
        atomic_fetch_add_explicit(&w->st_lost, b->nrec, memory_order_relaxed);
}

/* Cuts off a sealed trace's trailer: a reader that comes while the next
 * chunk is written finds a trace cut short, not a chunk half over a
 * trailer. */
static void unseal_file(struct tt_writer *w)
{
    if (w->provisional && ftruncate(w->fd, (off_t)w->offset) != 0) {
        /* Not a regular file: nothing of it can be cut off anyway. */
    }
    w->provisional = false;
}

static void write_chunk(struct tt_writer *w, struct tt_buf *b, uint8_t type)
{
    unseal_file(w);
    struct totals *t = type == TT_CHUNK_DATA ? totals_for(w, b->stream) : NULL;
    if (w->werrno || (type == TT_CHUNK_DATA && !t)) {
        if (!w->werrno)
            w->werrno = ENOMEM;
        count_lost(w, b, t);
        return;
    }
    struct tt_chunk_header h = {
        .type = type, .compression = TT_COMP_NONE, .stream = b->stream, .seq = b->seq,
        .nrec = b->nrec, .raw_size = (uint32_t)b->len, .stored_size = (uint32_t)b->len,
    };
    const uint8_t *payload = b->data;
    if (!w->raw && type == TT_CHUNK_DATA && t->skip) {
        t->skip--;
    } else if (!w->raw && type == TT_CHUNK_DATA) {
        size_t z = ZSTD_compress2(w->cctx, w->zbuf, w->zcap, b->data, b->len);
        /* Incompressible data is stored as it is: a reader's work and the
         * file's size are bounded by the raw size. */
        if (!ZSTD_isError(z) && z < b->len) {
            h.compression = TT_COMP_ZSTD;
            h.stored_size = (uint32_t)z;
            payload = w->zbuf;
        }
        /* A stream whose records are already as small as its values'
         * entropy (random data loaded and stored) gains little from zstd,
         * which then costs as much CPU as the guest's threads, on the
         * same cores: such a stream's next chunks are stored as they
         * are, 1, 2, 4 ... 64 of them after each miss in a row. */
        if (h.stored_size > b->len - b->len / 16) {
            t->backoff = t->backoff ? (t->backoff < 64 ? 2 * t->backoff : 64) : 1;
            t->skip = t->backoff;
        } else {
            t->backoff = 0;
        }
    }
    h.payload_crc = tt_crc32c(0, payload, h.stored_size);
    uint8_t hdr[TT_CHUNK_HEADER];
    tt_chunk_header_encode(hdr, &h);
    if (!write_all(w, hdr, sizeof hdr, w->offset) ||
        !write_all(w, payload, h.stored_size, w->offset + sizeof hdr)) {
        /* Keep the file readable up to its last whole chunk. */
        if (ftruncate(w->fd, (off_t)w->offset) != 0) {
            /* Nothing more to do: the reader reports the partial chunk. */
        }
        count_lost(w, b, t);
        return;
    }
    w->offset += sizeof hdr + h.stored_size;
    for (unsigned k = 0; k < TT_KIND_COUNT && type == TT_CHUNK_DATA; k++)
        w->kinds[k] += b->nkind[k];
    if (t) {
        t->chunks++;
        t->records += b->nrec;
    }
    if (b->stream != TT_STREAM_META)
        atomic_fetch_add_explicit(&w->st_records, b->nrec, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->st_chunks, 1, memory_order_relaxed);
    atomic_store_explicit(&w->st_bytes, w->offset, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->st_raw, b->len, memory_order_relaxed);
}

/* Takes the pending definitions (lock held): they go out before the chunk
 * dequeued with them, so every definition precedes its uses. */
static struct tt_buf *take_meta(struct tt_writer *w)
{
    struct tt_buf *list = w->meta_full;
    if (w->meta_cur && w->meta_cur->nrec) {
        if (w->meta_full_tail)
            w->meta_full_tail->next = w->meta_cur;
        else
            list = w->meta_cur;
        w->meta_cur = NULL;
    }
    w->meta_full = w->meta_full_tail = NULL;
    return list;
}

static void write_meta(struct tt_writer *w, struct tt_buf *list)
{
    while (list) {
        struct tt_buf *b = list;
        list = b->next;
        write_chunk(w, b, TT_CHUNK_DATA);
        free(b);
    }
}

/* The header again, with the records per kind written so far, when it has
 * the field for them, and whether the trailer is a seal's: before a
 * trailer, which makes them meaningful. A failure leaves the zeros, which
 * say "not known". */
static void write_counts(struct tt_writer *w, bool sealed)
{
    if (!w->counts_at)
        return;
    for (unsigned k = 1; k < TT_KIND_COUNT; k++)
        tt_put_le64(w->hdr + w->counts_at + 8 * (k - 1), w->kinds[k]);
    if (w->replaced_at)
        w->hdr[w->replaced_at] = sealed;
    tt_put_le32(w->hdr + w->hlen - 4, tt_crc32c(0, w->hdr, w->hlen - 4));
    if (pwrite(w->fd, w->hdr, w->hlen, 0) != (ssize_t)w->hlen) {
        /* Nothing lost but the counts. */
    }
}

/* Records of stream i lost: not written, or buffered by a thread that was
 * running when the trace was sealed. */
static uint64_t stream_lost(const struct tt_writer *w, const struct seal_lost *sl, uint32_t i)
{
    return (i < w->ntot ? w->tot[i].lost : 0) + (i < sl->n ? sl->stream[i] : 0);
}

/* sl: what a seal counts lost besides; NULL for the last trailer (at exit
 * every thread's buffer is written). */
static void write_trailer(struct tt_writer *w, const struct seal_lost *sl)
{
    static const struct seal_lost no_seal;
    write_counts(w, sl != NULL);
    if (!sl)
        sl = &no_seal;
    uint32_t n = 1, nstreams = w->ntot > sl->n ? w->ntot : sl->n;
    for (uint32_t i = 0; i < nstreams; i++)
        n += (i < w->ntot && w->tot[i].chunks) || stream_lost(w, sl, i);
    size_t cap = 64 + (size_t)n * 41 + TT_KIND_COUNT * 11;
    struct tt_buf *b = malloc(sizeof *b + cap);
    if (!b) {
        w->werrno = w->werrno ? w->werrno : ENOMEM;
        return;
    }
    uint8_t *p = b->data;
    p = tt_put_varint(p, n);
    static const struct totals none;
    for (uint32_t i = 0; i <= nstreams; i++) {
        const struct totals *t = i < w->ntot ? &w->tot[i] : i < nstreams ? &none : &w->meta_tot;
        uint64_t lost = i < nstreams ? stream_lost(w, sl, i) : t->lost;
        if (i < nstreams && !t->chunks && !lost)
            continue;
        p = tt_put_varint(p, i < nstreams ? i : TT_STREAM_META);
        p = tt_put_varint(p, t->chunks);
        p = tt_put_varint(p, t->records);
        p = tt_put_varint(p, lost);
    }
    /* Heap events and calls lost are reported (tt_writer_close, stats) but
     * not named here: a reader from before them rejects kinds 15 and 16 in
     * a trailer. */
    uint32_t nk = 0;
    bool canceled = false;
    for (unsigned k = 0; k < TT_KIND_COUNT; k++) {
        nk += !extension_kind(k) && w->lost_kind[k] + sl->kind[k] != 0;
        canceled |= sl->kind[k] != 0;
    }
    p = tt_put_varint(p, nk);
    for (unsigned k = 0; k < TT_KIND_COUNT; k++) {
        if (!extension_kind(k) && w->lost_kind[k] + sl->kind[k]) {
            *p++ = (uint8_t)k;
            p = tt_put_varint(p, w->lost_kind[k] + sl->kind[k]);
        }
    }
    p = tt_put_varint(p, atomic_load(&w->gseq));
    /* ECANCELED says why when no write failed (docs/format.md). */
    p = tt_put_varint(p, (uint64_t)(w->werrno ? w->werrno : canceled ? ECANCELED : 0));
    b->len = (size_t)(p - b->data);
    b->stream = TT_STREAM_TRAILER;
    b->seq = 0;
    b->nrec = 0;
    /* The trailer goes out even after a failed write: it says what was
     * lost. A write error already set would stop write_chunk. */
    int saved = w->werrno;
    w->werrno = 0;
    write_chunk(w, b, TT_CHUNK_TRAILER);
    if (saved)
        w->werrno = saved;
    free(b);
}

/* A copy of the seals' losses for a trailer (lock held): a nested seal
 * may count again meanwhile. Short of memory, the per-stream counts go. */
static struct seal_lost take_seal_lost(const struct tt_writer *w)
{
    struct seal_lost sl = w->seal_lost;
    sl.stream = sl.n ? malloc(sl.n * sizeof *sl.stream) : NULL;
    if (sl.stream)
        memcpy(sl.stream, w->seal_lost.stream, sl.n * sizeof *sl.stream);
    else
        sl.n = 0;
    return sl;
}

/* A sealed trace's trailer: written like the last one, synced, but where
 * the next chunk goes, so that the trace goes on if the process does.
 * sl: taken with take_seal_lost; freed here. */
static void write_provisional_trailer(struct tt_writer *w, struct seal_lost sl)
{
    uint64_t end = w->offset, chunks = atomic_load(&w->st_chunks);
    write_trailer(w, &sl);
    free(sl.stream);
    w->provisional = w->offset != end;
    w->offset = end;
    atomic_store(&w->st_chunks, chunks);
    atomic_store(&w->st_bytes, end);
    if (fdatasync(w->fd) != 0) {
        /* A file that cannot be synced (a pipe) was written all the same. */
    }
}

/* Whether a requested seal can be done: all buffers queued before it
 * are written (lock held). */
static bool seal_due(const struct tt_writer *w)
{
    return w->seal_done < w->seal_req && w->nwritten >= w->seal_upto;
}

/* Whether the writer thread may write the next buffer (lock held). */
static bool may_write(const struct tt_writer *w)
{
    return !w->nseals || w->closing || w->nwritten < w->seal_upto;
}

/* The last seal is lifted (lock held). A sealed writer thread that caught
 * up writes nothing, so the caller may cut the trailer off; not when the
 * trace is in the writer thread's own table, which then does. */
static void unseal_locked(struct tt_writer *w)
{
    if (w->own_table)
        w->cut_due = true;
    else
        unseal_file(w);
    atomic_store(&w->sealing, false);
    free(w->seal_lost.stream);
    memset(&w->seal_lost, 0, sizeof w->seal_lost);
    pthread_cond_signal(&w->work);
    pthread_cond_broadcast(&w->unsealed);
}

/* Closes the trace, noting whether something removed its name meanwhile
 * (the guest: an rm -rf of its directory): then all it holds is gone, and
 * tt_writer_close says so. */
static void close_trace(struct tt_writer *w)
{
    struct stat st;
    w->removed = fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0;
    if (close(w->fd) != 0 && !w->werrno)
        w->werrno = errno;
}

/* Gives the calling thread a table of file descriptors of its own that
 * holds fd alone. The guest's threads share the process's table, and
 * programs close descriptors they did not open (a daemon's loop up to its
 * limit, close_range(3, ~0U), Python's subprocess in the child): the
 * trace's would go, and its number become the guest's next file, which
 * chunks then overwrite. No copy of the guest's own stays open here (a
 * pipe's reader would never see its end). False, with nothing changed,
 * where the kernel has no close_range. */
static bool own_fd_table(int fd)
{
    if (close_range(~0U, ~0U, 0) != 0 || unshare(CLONE_FILES) != 0)
        return false;
    if (fd > 0)
        close_range(0, (unsigned)fd - 1, 0);
    close_range((unsigned)fd + 1, ~0U, 0);
    return true;
}

static void *writer_main(void *arg)
{
    struct tt_writer *w = arg;
    bool own = own_fd_table(w->fd);
    pthread_mutex_lock(&w->lock);
    w->own_table = own;
    w->table_known = true;
    pthread_cond_signal(&w->ready);
    for (;;) {
        while (!seal_due(w) && !w->cut_due && !((w->qhead || w->meta_full || w->closing) && may_write(w)))
            pthread_cond_wait(&w->work, &w->lock);
        if (w->cut_due) {
            pthread_mutex_unlock(&w->lock);
            unseal_file(w);
            pthread_mutex_lock(&w->lock);
            w->cut_due = false;
            pthread_cond_broadcast(&w->sealed);
            continue;
        }
        if (seal_due(w)) {
            uint64_t req = w->seal_req;
            struct tt_buf *meta = take_meta(w);
            struct seal_lost sl = take_seal_lost(w);
            pthread_mutex_unlock(&w->lock);
            write_meta(w, meta);
            write_provisional_trailer(w, sl);
            pthread_mutex_lock(&w->lock);
            w->seal_done = req;
            pthread_cond_broadcast(&w->sealed);
            continue;
        }
        struct tt_buf *b = w->qhead;
        if (b) {
            w->qhead = b->next;
            if (!w->qhead)
                w->qtail = NULL;
        } else if (!w->meta_full) {
            break; /* closing and drained */
        }
        struct tt_buf *meta = take_meta(w);
        pthread_mutex_unlock(&w->lock);
        write_meta(w, meta);
        if (b)
            write_chunk(w, b, TT_CHUNK_DATA);
        pthread_mutex_lock(&w->lock);
        if (b) {
            w->nwritten++;
            b->next = w->free;
            w->free = b;
            pthread_cond_signal(&w->freed);
        }
    }
    struct tt_buf *meta = take_meta(w);
    pthread_mutex_unlock(&w->lock);
    unseal_file(w);
    write_meta(w, meta);
    write_trailer(w, NULL);
    if (w->own_table)
        close_trace(w);
    return NULL;
}

/* --- Open and close ---------------------------------------------------- */

static void writer_free(struct tt_writer *w)
{
    for (uint32_t i = 0; i < w->nstreams; i++) {
        if (w->streams[i]) {
            free(w->streams[i]->buf);
            free(w->streams[i]);
        }
    }
    free(w->streams);
    while (w->free) {
        struct tt_buf *b = w->free;
        w->free = b->next;
        free(b);
    }
    free(w->meta_cur);
    free(w->strtab);
    tt_arena_free(&w->arena);
    free(w->tot);
    free(w->seal_lost.stream);
    free(w->zbuf);
    free(w->hdr);
    ZSTD_freeCCtx(w->cctx);
    free(w->path);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->freed);
    pthread_cond_destroy(&w->sealed);
    pthread_cond_destroy(&w->unsealed);
    pthread_cond_destroy(&w->ready);
    free(w);
}

/* Where an encoded header's records-per-kind value is. */
/* Where the value of header field key is in the encoded header h; 0 for
 * none. */
static size_t field_offset(const uint8_t *h, size_t len, uint16_t key)
{
    for (size_t p = TT_HEADER_FIXED; p + 6 <= len - 4; p += 6 + tt_le32(h + p + 2))
        if (tt_le16(h + p) == key)
            return p + 6;
    return 0;
}

struct tt_writer *tt_writer_open(const char *path, const struct tt_header *hdr,
                                 const struct tt_writer_options *opts, struct tt_error *err)
{
    struct tt_writer_options o = opts ? *opts : (struct tt_writer_options){ 0 };
    if (!o.chunk_size)
        o.chunk_size = TT_CHUNK_DEFAULT;
    if (o.chunk_size < TT_CHUNK_MIN || o.chunk_size > TT_CHUNK_MAX) {
        tt_error_set(err, TT_E_INVAL, 0, "chunk size %zu outside %u..%u", o.chunk_size,
                     TT_CHUNK_MIN, TT_CHUNK_MAX);
        return NULL;
    }
    if (o.level && (o.level < ZSTD_minCLevel() || o.level > ZSTD_maxCLevel())) {
        tt_error_set(err, TT_E_INVAL, 0, "compression level %d outside %d..%d", o.level,
                     ZSTD_minCLevel(), ZSTD_maxCLevel());
        return NULL;
    }
    struct tt_writer *w = aligned_alloc(64, (sizeof *w + 63) / 64 * 64);
    if (!w) {
        tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
        return NULL;
    }
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->chunk_size = o.chunk_size;
    w->level = o.level ? o.level : DEFAULT_LEVEL;
    w->raw = o.raw;
    w->synchronous = o.synchronous;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->freed, NULL);
    pthread_cond_init(&w->sealed, NULL);
    pthread_cond_init(&w->unsealed, NULL);
    pthread_cond_init(&w->ready, NULL);
    w->path = strdup(path);
    w->zcap = ZSTD_compressBound(w->chunk_size);
    w->zbuf = malloc(w->zcap);
    w->cctx = ZSTD_createCCtx();
    if (!w->path || !w->zbuf || !w->cctx)
        goto nomem;
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->level);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    if (!w->synchronous) {
        for (unsigned i = 0; i < (o.queue ? o.queue : DEFAULT_QUEUE); i++) {
            struct tt_buf *b = buf_new(w);
            if (!b)
                goto nomem;
            b->next = w->free;
            w->free = b;
        }
    }
    size_t hlen;
    uint8_t *h = tt_header_encode(hdr, &hlen);
    if (!h) {
        tt_error_set(err, TT_E_INVAL, 0, "trace header larger than %u bytes or out of memory",
                     TT_HEADER_MAX);
        writer_free(w);
        return NULL;
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w->fd < 0 || !write_all(w, h, hlen, 0)) {
        int e = errno;
        tt_error_set(err, TT_E_IO, 0, "cannot %s '%s': %s", w->fd < 0 ? "create" : "write", path,
                     strerror(e));
        if (err)
            err->sys_errno = e;
        if (w->fd >= 0)
            close(w->fd);
        free(h);
        writer_free(w);
        return NULL;
    }
    w->hdr = h;
    w->hlen = hlen;
    if (hdr->has_kind_counts) {
        w->counts_at = field_offset(h, hlen, TT_F_KIND_COUNTS);
        w->replaced_at = field_offset(h, hlen, TT_F_REPLACED);
    }
    w->offset = hlen;
    atomic_store(&w->st_bytes, hlen);
    if (!w->synchronous) {
        int e = pthread_create(&w->thread, NULL, writer_main, w);
        if (e) {
            tt_error_set(err, TT_E_IO, 0, "cannot start the trace writer thread: %s", strerror(e));
            close(w->fd);
            writer_free(w);
            return NULL;
        }
        w->thread_started = true;
        pthread_mutex_lock(&w->lock);
        while (!w->table_known)
            pthread_cond_wait(&w->ready, &w->lock);
        pthread_mutex_unlock(&w->lock);
        if (w->own_table)
            close(w->fd); /* the process's copy */
    }
    return w;
nomem:
    tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    writer_free(w);
    return NULL;
}

void tt_writer_stats(struct tt_writer *w, struct tt_writer_stats *st)
{
    memset(st, 0, sizeof *st);
    st->records = atomic_load_explicit(&w->st_records, memory_order_relaxed);
    st->lost = atomic_load_explicit(&w->st_lost, memory_order_relaxed);
    st->chunks = atomic_load_explicit(&w->st_chunks, memory_order_relaxed);
    st->bytes = atomic_load_explicit(&w->st_bytes, memory_order_relaxed);
    st->raw_bytes = atomic_load_explicit(&w->st_raw, memory_order_relaxed);
}

int tt_writer_close(struct tt_writer *w, struct tt_writer_stats *stats, struct tt_error *err)
{
    /* Still sealed (the process exits during another thread's execve):
     * the flushes below need the writer. */
    pthread_mutex_lock(&w->lock);
    w->ending = true;
    if (w->nseals) {
        w->nseals = 0;
        unseal_locked(w);
    }
    pthread_mutex_unlock(&w->lock);
    for (uint32_t i = 0; i < w->nstreams; i++)
        if (w->streams[i])
            tt_stream_flush(w->streams[i]);
    if (w->thread_started) {
        pthread_mutex_lock(&w->lock);
        w->closing = true;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    } else {
        write_meta(w, take_meta(w));
        write_trailer(w, NULL);
    }
    if (!w->own_table)
        close_trace(w);
    struct tt_writer_stats st;
    tt_writer_stats(w, &st);
    memcpy(st.lost_kind, w->lost_kind, sizeof st.lost_kind);
    if (stats)
        *stats = st;
    int rc = 0;
    if (w->werrno) {
        /* The total is that of the kinds listed (definitions included), as
         * the trailer counts them and readers report them; heap events and
         * calls, which no record count includes, come after it. */
        char kinds[256] = "", heap[96] = "";
        size_t n = 0, nh = 0;
        uint64_t total = 0;
        for (unsigned k = 1; k < TT_KIND_COUNT; k++) {
            if (extension_kind(k)) {
                if (w->lost_kind[k])
                    nh += (size_t)snprintf(heap + nh, sizeof heap - nh, ", and %llu %s",
                                           (unsigned long long)w->lost_kind[k], k == TT_HEAP ? "heap events" : "calls");
                continue;
            }
            total += w->lost_kind[k];
            if (w->lost_kind[k] && n < sizeof kinds)
                n += (size_t)snprintf(kinds + n, sizeof kinds - n, "%s%llu %s", n ? ", " : "",
                                      (unsigned long long)w->lost_kind[k], tt_kind_name(k));
        }
        rc = tt_error_set(err, TT_E_WRITE, w->offset, "cannot write '%s': %s: %llu records lost%s%s%s%s",
                          w->path, strerror(w->werrno), (unsigned long long)total, n ? " (" : "", kinds,
                          n ? ")" : "", heap);
        if (err)
            err->sys_errno = w->werrno;
    } else if (w->removed) {
        rc = tt_error_set(err, TT_E_WRITE, w->offset, "'%s' was removed while it was written: its %llu records are gone",
                          w->path, (unsigned long long)st.records);
    }
    writer_free(w);
    return rc;
}

/* --- Streams ----------------------------------------------------------- */

/* The limit of the stream's buffer, where a seal may have put NULL. */
static void stream_limit(struct tt_stream *s)
{
    atomic_store_explicit(&s->limit, s->buf->data + s->w->chunk_size - TT_STREAM_SLACK, memory_order_relaxed);
}

/* The records per kind in the stream's buffer, into kinds; its record
 * count. Memory accesses are the records not counted per kind; extensions
 * are counted per kind but are not records. Atomic loads: a seal counts a
 * running stream's while its owner may append. */
static uint32_t buffer_kinds(const struct tt_stream *s, uint32_t kinds[TT_KIND_COUNT])
{
    uint32_t others = 0, nrec = __atomic_load_n(&s->nrec, __ATOMIC_RELAXED);
    for (unsigned k = 0; k < TT_KIND_COUNT; k++)
        others += kinds[k] = __atomic_load_n(&s->nkind[k], __ATOMIC_RELAXED);
    others -= __atomic_load_n(&s->next, __ATOMIC_RELAXED);
    kinds[TT_MEM] = nrec > others ? nrec - others : 0;
    return nrec;
}

static void stream_reset(struct tt_stream *s)
{
    s->p = s->buf->data;
    stream_limit(s);
    s->nrec = 0;
    s->next_insn = 0;
    s->last_pc = s->last_vaddr = s->last_phys = s->last_gseq = 0;
    s->last_val = 0;
    s->prev_mslot = 0;
    s->run_end = NULL;
    memset(s->nkind, 0, sizeof s->nkind);
    s->next = 0;
    memset(s->mslot, 0, sizeof s->mslot);
}

struct tt_stream *tt_stream_get(struct tt_writer *w, uint32_t vcpu, struct tt_error *err)
{
    if (vcpu >= STREAMS_MAX) {
        tt_error_set(err, TT_E_INVAL, 0, "vCPU index %u too large", vcpu);
        return NULL;
    }
    pthread_mutex_lock(&w->lock);
    struct tt_stream *s = NULL;
    if (vcpu >= w->nstreams) {
        uint32_t n = vcpu + 16;
        struct tt_stream **a = realloc(w->streams, n * sizeof *a);
        if (!a)
            goto out;
        memset(a + w->nstreams, 0, (n - w->nstreams) * sizeof *a);
        w->streams = a;
        w->nstreams = n;
    }
    s = w->streams[vcpu];
    if (!s) {
        s = aligned_alloc(64, sizeof *s);
        struct tt_buf *b = buf_new(w);
        if (!s || !b) {
            free(s);
            free(b);
            s = NULL;
            goto out;
        }
        memset(s, 0, sizeof *s);
        s->w = w;
        s->id = vcpu;
        s->buf = b;
        stream_reset(s);
        w->streams[vcpu] = s;
    }
out:
    pthread_mutex_unlock(&w->lock);
    if (!s)
        tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    return s;
}

/* A stream's gate: running (its owner appends), parked (tt_stream_park),
 * or claimed by a seal that flushes it. */
enum { GATE_RUNNING, GATE_PARKED, GATE_CLAIMED };

void tt_stream_park(struct tt_stream *s)
{
    atomic_store_explicit(&s->gate, GATE_PARKED, memory_order_release);
}

static void unpark(struct tt_stream *s)
{
    uint32_t g = GATE_PARKED;
    while (!atomic_compare_exchange_weak_explicit(&s->gate, &g, GATE_RUNNING, memory_order_acquire,
                                                  memory_order_relaxed)) {
        if (g == GATE_RUNNING)
            return;
        if (g == GATE_CLAIMED)
            sched_yield(); /* a seal is handing the buffer off: briefly */
        g = GATE_PARKED;
    }
}

/* Queues the stream's buffer for the writer and takes a free one. */
static void handoff(struct tt_stream *s)
{
    struct tt_writer *w = s->w;
    struct tt_buf *b = s->buf;
    /* A chunk of extension records alone (heap events) is a chunk too.
     * An empty one stays, with its limit back (a seal may have nulled it). */
    if (s->p == b->data) {
        stream_limit(s);
        return;
    }
    b->len = (size_t)(s->p - b->data);
    b->nrec = buffer_kinds(s, b->nkind);
    b->stream = s->id;
    b->seq = s->seq++;
    b->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->synchronous) {
        write_meta(w, take_meta(w));
        write_chunk(w, b, TT_CHUNK_DATA);
    } else {
        w->nqueued++;
        if (w->qtail)
            w->qtail->next = b;
        else
            w->qhead = b;
        w->qtail = b;
        pthread_cond_signal(&w->work);
        /* Back-pressure: wait for the writer rather than drop. */
        while (!w->free)
            pthread_cond_wait(&w->freed, &w->lock);
        s->buf = w->free;
        w->free = s->buf->next;
    }
    pthread_mutex_unlock(&w->lock);
    stream_reset(s);
}

/* The owner's stream under a seal (tt_writer_seal): its buffer is handed
 * over; it stays parked until the seal is lifted, which only happens if
 * execve fails. Whatever waits for this thread meanwhile (QEMU's
 * start_exclusive at another thread's exit_group) waits no longer than the
 * sealing thread's execve: it replaces the process, or fails and unseals. */
static void seal_wait(struct tt_stream *s)
{
    struct tt_writer *w = s->w;
    tt_stream_park(s);
    pthread_mutex_lock(&w->lock);
    while (w->nseals || w->ending)
        pthread_cond_wait(&w->unsealed, &w->lock);
    pthread_mutex_unlock(&w->lock);
    unpark(s);
    stream_limit(s);
}

/* The owner, after its buffer's new limit or its return from a system
 * call: a seal under way parks it (the fence pairs with the seal's, so
 * that a limit the seal nulled before this thread reset it is seen). */
static void seal_check(struct tt_stream *s)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&s->w->sealing, memory_order_relaxed))
        seal_wait(s);
}

void tt_stream_handoff(struct tt_stream *s)
{
    handoff(s);
    seal_check(s);
}

void tt_stream_flush(struct tt_stream *s)
{
    handoff(s);
}

void tt_stream_unpark(struct tt_stream *s)
{
    unpark(s);
    /* No record after a seal could be written: none until its end. */
    seal_check(s);
}

/* Stream i, or NULL; false past the last. The array may grow: each
 * stream is looked up under the lock, and streams are never freed before
 * the writer. */
static bool stream_at(struct tt_writer *w, uint32_t i, struct tt_stream **s)
{
    pthread_mutex_lock(&w->lock);
    bool more = i < w->nstreams;
    *s = more ? w->streams[i] : NULL;
    pthread_mutex_unlock(&w->lock);
    return more;
}

static bool running(struct tt_stream *s)
{
    return s && atomic_load_explicit(&s->gate, memory_order_acquire) == GATE_RUNNING;
}

/* Flushes the parked streams, whose owners cannot append meanwhile. */
static void flush_parked(struct tt_writer *w)
{
    struct tt_stream *s;
    for (uint32_t i = 0; stream_at(w, i, &s); i++) {
        uint32_t g = GATE_PARKED;
        if (s && atomic_compare_exchange_strong_explicit(&s->gate, &g, GATE_CLAIMED, memory_order_acquire,
                                                         memory_order_relaxed)) {
            handoff(s);
            atomic_store_explicit(&s->gate, GATE_PARKED, memory_order_release);
        }
    }
}

/* How long a seal waits for the threads running guest code to hand their
 * buffers over, which each does at its next record: long enough for one
 * that another process kept off the CPU (a loaded machine), since what
 * it holds is lost otherwise; only a thread that records nothing at all
 * (a loop on registers) delays execve by as much. */
#define SEAL_WAIT_NS 1000000000L

static long elapsed_ns(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

/* The records buffered by a thread that did not stop: lost if the process
 * is replaced. Read while their owner may yet append (it recorded nothing
 * for SEAL_WAIT_NS): a count as of now, atomically read. */
static int count_running(struct tt_writer *w)
{
    struct tt_stream *s;
    pthread_mutex_lock(&w->lock);
    struct seal_lost *sl = &w->seal_lost;
    free(sl->stream); /* a concurrent seal's count: this one is newer */
    memset(sl, 0, sizeof *sl);
    uint64_t *lost = calloc(w->nstreams ? w->nstreams : 1, sizeof *lost);
    if (!lost) {
        pthread_mutex_unlock(&w->lock);
        return ENOMEM;
    }
    sl->stream = lost;
    for (uint32_t i = 0; i < w->nstreams; i++) {
        if (!running(s = w->streams[i]))
            continue;
        uint32_t kinds[TT_KIND_COUNT];
        lost[i] = buffer_kinds(s, kinds);
        for (unsigned k = 0; k < TT_KIND_COUNT; k++)
            sl->kind[k] += kinds[k];
        sl->n = i + 1;
    }
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* Whether a running stream has records buffered: read while its owner
 * may append, hence atomically. */
static bool holds_records(struct tt_stream *s)
{
    return __atomic_load_n(&s->nrec, __ATOMIC_RELAXED) || __atomic_load_n(&s->next, __ATOMIC_RELAXED);
}

/* Makes the owner of every running stream hand its buffer over and park,
 * at its next record (the NULL limit sends it to tt_stream_handoff); waits
 * for those that hold records, SEAL_WAIT_NS at most: a thread in a loop
 * that records nothing would hold execve back forever. An empty one parks
 * at its next record without being waited for; it is looked at twice, so
 * that a record under way when its limit went is seen. The limits are
 * nulled again each round: an owner may have reset its own since. */
static int stop_running(struct tt_writer *w)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* What an earlier seal counted may have been handed over since. */
    pthread_mutex_lock(&w->lock);
    free(w->seal_lost.stream);
    memset(&w->seal_lost, 0, sizeof w->seal_lost);
    pthread_mutex_unlock(&w->lock);
    atomic_store(&w->sealing, true);
    for (unsigned round = 0;; round++) {
        bool wait = false;
        struct tt_stream *s;
        for (uint32_t i = 0; stream_at(w, i, &s); i++) {
            if (running(s)) {
                atomic_store_explicit(&s->limit, NULL, memory_order_relaxed);
                wait |= round == 0 || holds_records(s);
            }
        }
        if (!wait)
            return 0;
        if (elapsed_ns(&start) > SEAL_WAIT_NS)
            return count_running(w);
        nanosleep(&(struct timespec){ .tv_nsec = 100000 }, NULL);
    }
}

int tt_writer_seal(struct tt_writer *w, struct tt_error *err)
{
    /* Under an earlier seal the writer must go on meanwhile, or the
     * flushes below could wait for a free buffer forever. */
    pthread_mutex_lock(&w->lock);
    w->nseals++;
    w->seal_upto = UINT64_MAX;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    int stop_errno = stop_running(w);
    flush_parked(w);
    pthread_mutex_lock(&w->lock);
    if (w->synchronous) {
        write_meta(w, take_meta(w));
        write_provisional_trailer(w, take_seal_lost(w));
    } else {
        uint64_t req = ++w->seal_req;
        w->seal_upto = w->nqueued;
        pthread_cond_signal(&w->work);
        while (w->seal_done < req)
            pthread_cond_wait(&w->sealed, &w->lock);
    }
    int e = w->werrno ? w->werrno : stop_errno;
    pthread_mutex_unlock(&w->lock);
    if (!e)
        return 0;
    int rc = tt_error_set(err, TT_E_WRITE, w->offset, "cannot write '%s': %s", w->path, strerror(e));
    if (err)
        err->sys_errno = e;
    return rc;
}

void tt_writer_unseal(struct tt_writer *w)
{
    pthread_mutex_lock(&w->lock);
    if (w->nseals && !--w->nseals)
        unseal_locked(w);
    /* Cut off before the caller goes on (its execve failed): a reader
     * then finds a trace cut short, not one whole and replaced. */
    while (w->cut_due)
        pthread_cond_wait(&w->sealed, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void tt_put_module(struct tt_stream *s, const char *path, uint64_t bias, uint64_t start,
                   uint64_t end)
{
    size_t n = strnlen(path, TT_STRING_MAX);
    uint8_t *p = tt_stream_begin_(s);
    if ((size_t)(s->buf->data + s->w->chunk_size - p) < 40 + n) {
        tt_stream_handoff(s);
        p = s->p;
    }
    *p++ = TT_TAG_MODULE;
    p = tt_put_varint(p, bias);
    p = tt_put_varint(p, start);
    p = tt_put_varint(p, end);
    p = tt_put_varint(p, n);
    memcpy(p, path, n);
    p += n;
    *p++ = 0;
    tt_stream_end_kind_(s, p, TT_MODULE);
}

uint64_t tt_writer_next_gseq(struct tt_writer *w)
{
    return atomic_fetch_add(&w->gseq, 1) + 1;
}

/* --- Definitions -------------------------------------------------------- */

/* Room for n bytes of definitions in the metadata stream (lock held). */
static uint8_t *meta_reserve(struct tt_writer *w, size_t n)
{
    struct tt_buf *b = w->meta_cur;
    if (b && b->len + n > w->chunk_size) {
        b->next = NULL;
        if (w->meta_full_tail)
            w->meta_full_tail->next = b;
        else
            w->meta_full = b;
        w->meta_full_tail = b;
        pthread_cond_signal(&w->work);
        b = w->meta_cur = NULL;
    }
    if (!b) {
        if (!(b = buf_new(w)))
            return NULL;
        b->stream = TT_STREAM_META;
        b->seq = w->meta_seq++;
        w->meta_cur = b;
        w->meta_last_pc = 0; /* delta state of a new chunk */
    }
    return b->data + b->len;
}

static void meta_commit(struct tt_writer *w, uint8_t *end, unsigned kind)
{
    w->meta_cur->len = (size_t)(end - w->meta_cur->data);
    w->meta_cur->nrec++;
    w->meta_cur->nkind[kind]++;
}

uint32_t tt_def_insn(struct tt_writer *w, uint64_t pc, const uint8_t *bytes, size_t len,
                     const char *disas)
{
    size_t dn = strnlen(disas, TT_STRING_MAX);
    if (len > TT_INSN_BYTES_MAX)
        len = TT_INSN_BYTES_MAX;
    pthread_mutex_lock(&w->lock);
    uint32_t id = UINT32_MAX;
    uint8_t *p = meta_reserve(w, 32 + len + dn);
    if (p) {
        id = w->ninsns++;
        *p++ = TT_TAG_DEF_INSN;
        p = tt_put_varint(p, id);
        p = tt_put_varint(p, tt_zigzag((int64_t)(pc - w->meta_last_pc)));
        w->meta_last_pc = pc;
        *p++ = (uint8_t)len;
        memcpy(p, bytes, len);
        p += len;
        p = tt_put_varint(p, dn);
        memcpy(p, disas, dn);
        meta_commit(w, p + dn, TT_DEF_INSN);
    }
    pthread_mutex_unlock(&w->lock);
    return id;
}

uint32_t tt_def_reg(struct tt_writer *w, const char *name, uint32_t width)
{
    size_t n = strnlen(name, TT_STRING_MAX);
    pthread_mutex_lock(&w->lock);
    uint32_t id = UINT32_MAX;
    uint8_t *p = meta_reserve(w, 32 + n);
    if (p) {
        id = w->nregs++;
        *p++ = TT_TAG_DEF_REG;
        p = tt_put_varint(p, id);
        p = tt_put_varint(p, width);
        p = tt_put_varint(p, n);
        memcpy(p, name, n);
        meta_commit(w, p + n, TT_DEF_REG);
    }
    pthread_mutex_unlock(&w->lock);
    return id;
}

static uint32_t str_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* Interning table (lock held): open addressing, at most half full. */
static bool strtab_grow(struct tt_writer *w)
{
    uint32_t cap = w->strtab_cap ? w->strtab_cap * 2 : 64;
    struct strent *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (uint32_t i = 0; i < w->strtab_cap; i++) {
        if (!w->strtab[i].s)
            continue;
        uint32_t h = str_hash(w->strtab[i].s, strlen(w->strtab[i].s)) & (cap - 1);
        while (t[h].s)
            h = (h + 1) & (cap - 1);
        t[h] = w->strtab[i];
    }
    free(w->strtab);
    w->strtab = t;
    w->strtab_cap = cap;
    return true;
}

uint32_t tt_def_string(struct tt_writer *w, const char *str)
{
    size_t n = strnlen(str, TT_STRING_MAX);
    uint32_t id = UINT32_MAX;
    pthread_mutex_lock(&w->lock);
    if ((w->nstrings + 1) * 2 > w->strtab_cap && !strtab_grow(w))
        goto out;
    uint32_t h = str_hash(str, n) & (w->strtab_cap - 1);
    for (; w->strtab[h].s; h = (h + 1) & (w->strtab_cap - 1)) {
        if (!strncmp(w->strtab[h].s, str, n) && !w->strtab[h].s[n]) {
            id = w->strtab[h].id;
            goto out;
        }
    }
    char *copy = tt_arena_strndup(&w->arena, str, n);
    uint8_t *p = copy ? meta_reserve(w, 16 + n) : NULL;
    if (!p)
        goto out;
    id = w->nstrings++;
    w->strtab[h].s = copy;
    w->strtab[h].id = id;
    *p++ = TT_TAG_DEF_STRING;
    p = tt_put_varint(p, id);
    p = tt_put_varint(p, n);
    memcpy(p, str, n);
    meta_commit(w, p + n, TT_DEF_STRING);
out:
    pthread_mutex_unlock(&w->lock);
    return id;
}

uint32_t tt_stream_string_slow(struct tt_stream *s, const char *str)
{
    uint32_t id = tt_def_string(s->w, str);
    if (id != UINT32_MAX) {
        unsigned h = (unsigned)((uintptr_t)str >> 4) % TT_STRING_CACHE;
        s->scache_key[h] = str;
        s->scache_id[h] = id;
    }
    return id;
}
