/* Thousands of broken traces, made deterministically from the golden traces
 * and from traces the writer makes: bits flipped and bytes set (checksums
 * left wrong, or repaired so that the decoder sees the damage), cuts,
 * chunks swapped, duplicated, dropped and moved, chunk and header length
 * fields edited, record payloads damaged inside decompressed chunks and
 * stored again (raw or zstd). Every one is read to its end or rejected with
 * a status and a message, in file order (with and without definitions) and
 * merged order, within a time bound and a memory bound; a share of them
 * also goes through dump and stats. Then the regression inputs of
 * tests/corrupt/ (inputs fuzzing found, tests/fuzz/), and the reader's
 * promises on sync order and on traces of many streams.
 *
 * `test_mutate --write-seeds DIR` writes the writer-made base traces, the
 * fuzzers' seeds. A failing mutant is kept as $TMPDIR/tcgtrace-mutant-N.tct
 * for tests/corrupt/. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <zstd.h>

#include "../fuzz/command_runs.h"
#include "../fuzz/trace_check.h"
#include "test_format_gen.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Per base trace: mutants, and one in CMD_EVERY also through the commands. */
#define MUTANTS 1500
#define CMD_EVERY 24
/* A mutant that takes longer than this is a hang (alarm), and one that
 * takes more than SLOW_MS is reported as too slow. */
#define HANG_S 10
#define SLOW_MS 500
/* Peak memory of the whole test (not under AddressSanitizer, whose shadow
 * memory counts too). */
#define RSS_MAX_MB 256

struct buf {
    uint8_t *b;
    size_t n, cap;
};

static void buf_put(struct buf *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2;
        o->b = realloc(o->b, o->cap);
        if (!o->b)
            abort();
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

/* A valid trace taken apart: the file header's bytes, and each chunk's
 * header with its payload decompressed. */
struct chunk {
    struct tt_chunk_header h;
    uint8_t *raw;
};

struct parsed {
    uint8_t *hdr;
    size_t nhdr;
    struct chunk *c;
    size_t n;
};

static bool parse(const uint8_t *b, size_t n, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    if (n < TT_HEADER_FIXED)
        return false;
    p->nhdr = tt_le32(b + 12);
    p->hdr = malloc(p->nhdr);
    memcpy(p->hdr, b, p->nhdr);
    p->c = calloc(n / TT_CHUNK_HEADER + 1, sizeof *p->c);
    for (size_t off = p->nhdr; off < n;) {
        struct chunk *c = &p->c[p->n++];
        if (tt_chunk_header_decode(b + off, off, &c->h, NULL) < 0)
            return false;
        const uint8_t *payload = b + off + TT_CHUNK_HEADER;
        c->raw = malloc(c->h.raw_size + 1);
        if (c->h.compression == TT_COMP_ZSTD) {
            size_t k = ZSTD_decompress(c->raw, c->h.raw_size, payload, c->h.stored_size);
            if (ZSTD_isError(k) || k != c->h.raw_size)
                return false;
        } else {
            memcpy(c->raw, payload, c->h.raw_size);
        }
        off += TT_CHUNK_HEADER + c->h.stored_size;
    }
    return true;
}

static void parsed_free(struct parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->c[i].raw);
    free(p->c);
    free(p->hdr);
}

/* The file for p: payloads stored raw, or zstd-compressed (with the
 * content checksum the format requires) where that is smaller, and every
 * size and CRC right for what is stored. Header fields the caller edited
 * (stream, sequence, record count, type) are kept. */
static void build(const struct parsed *p, bool zstd, struct buf *o)
{
    o->n = 0;
    buf_put(o, p->hdr, p->nhdr);
    ZSTD_CCtx *z = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    for (size_t i = 0; i < p->n; i++) {
        struct tt_chunk_header h = p->c[i].h;
        size_t cap = ZSTD_compressBound(h.raw_size);
        uint8_t *zb = malloc(cap), hb[TT_CHUNK_HEADER];
        const uint8_t *payload = p->c[i].raw;
        h.compression = TT_COMP_NONE;
        h.stored_size = h.raw_size;
        if (zstd && h.type == TT_CHUNK_DATA) {
            size_t k = ZSTD_compress2(z, zb, cap, p->c[i].raw, h.raw_size);
            if (!ZSTD_isError(k) && k < h.raw_size) {
                h.compression = TT_COMP_ZSTD;
                h.stored_size = (uint32_t)k;
                payload = zb;
            }
        }
        h.payload_crc = tt_crc32c(0, payload, h.stored_size);
        tt_chunk_header_encode(hb, &h);
        buf_put(o, hb, sizeof hb);
        buf_put(o, payload, h.stored_size);
        free(zb);
    }
    ZSTD_freeCCtx(z);
}

static struct parsed copy_parsed(const struct parsed *p)
{
    struct parsed q = { .nhdr = p->nhdr, .n = p->n };
    q.hdr = malloc(p->nhdr);
    memcpy(q.hdr, p->hdr, p->nhdr);
    q.c = calloc(p->n + 2, sizeof *q.c);
    for (size_t i = 0; i < p->n; i++) {
        q.c[i].h = p->c[i].h;
        q.c[i].raw = malloc(p->c[i].h.raw_size + 1);
        memcpy(q.c[i].raw, p->c[i].raw, p->c[i].h.raw_size);
    }
    return q;
}

/* --- The mutations ------------------------------------------------------ */

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t below(uint64_t n)
{
    return n ? rng_below(&rng, n) : 0;
}

/* Bytes that mean something to the decoder: tags, varint continuations,
 * extremes. */
static uint8_t interesting_byte(void)
{
    static const uint8_t v[] = { 0x00, 0x01, 0x3e, 0x3f, 0x40, 0x5f, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85,
                                 0x86, 0x87, 0x88, 0x89, 0x8a, 0x90, 0x91, 0x92, 0xef, 0xf0, 0xfe, 0xff };
    return below(4) ? v[below(sizeof v)] : (uint8_t)rng_next(&rng);
}

static uint32_t interesting_u32(uint32_t old)
{
    switch (below(8)) {
    case 0: return 0;
    case 1: return old + 1;
    case 2: return old - 1;
    case 3: return old * 2 + (uint32_t)below(64);
    case 4: return UINT32_MAX - (uint32_t)below(16);
    case 5: return TT_CHUNK_MAX + (uint32_t)below(2);
    case 6: return old ^ (1u << below(32));
    default: return (uint32_t)rng_next(&rng);
    }
}

/* Damage inside one decompressed payload. */
static void mutate_payload(struct parsed *q, struct chunk *c)
{
    uint32_t n = c->h.raw_size;
    uint8_t *b = c->raw;
    switch (below(7)) {
    case 0: /* bits */
        for (uint64_t k = 1 + below(3); k-- && n;)
            b[below(n)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* bytes set */
        for (uint64_t k = 1 + below(2); k-- && n;)
            b[below(n)] = interesting_byte();
        break;
    case 2: { /* bytes inserted */
        uint32_t at = (uint32_t)below(n + 1), k = 1 + (uint32_t)below(below(8) ? 4 : 64);
        uint8_t *nb = malloc(n + k + 1);
        memcpy(nb, b, at);
        for (uint32_t i = 0; i < k; i++)
            nb[at + i] = interesting_byte();
        memcpy(nb + at + k, b + at, n - at);
        free(c->raw);
        c->raw = nb;
        c->h.raw_size = n + k;
        break;
    }
    case 3: { /* a range removed */
        uint32_t at = (uint32_t)below(n + 1), k = (uint32_t)below(n - at + 1);
        memmove(b + at, b + at + k, n - at - k);
        c->h.raw_size = n - k;
        break;
    }
    case 4: { /* a range of another chunk spliced in over this one's */
        struct chunk *o = &q->c[below(q->n)];
        uint32_t on = o->h.raw_size;
        if (!on || !n)
            break;
        uint32_t from = (uint32_t)below(on), at = (uint32_t)below(n);
        uint32_t k = 1 + (uint32_t)below(on - from < n - at ? on - from : n - at);
        memmove(b + at, o->raw + from, k);
        break;
    }
    case 5: /* cut short */
        c->h.raw_size = (uint32_t)below(n + 1);
        break;
    default: { /* a varint made longer: a continuation byte inserted */
        if (!n)
            break;
        uint32_t at = (uint32_t)below(n);
        uint8_t *nb = malloc(n + 2);
        memcpy(nb, b, at + 1);
        nb[at] |= 0x80;
        nb[at + 1] = below(2) ? 0x80 : 0x00;
        memcpy(nb + at + 2, b + at + 1, n - at - 1);
        free(c->raw);
        c->raw = nb;
        c->h.raw_size = n + 1;
        break;
    }
    }
    /* Mostly the record count as it was; sometimes the damage is covered
     * up by a count that fits some other way. */
    if (!below(6))
        c->h.nrec = interesting_u32(c->h.nrec);
}

/* The chunk-level edits of a whole trace; sizes and CRCs stay right. */
static void mutate_chunks(struct parsed *q, char *what, size_t wn)
{
    size_t i = below(q->n), j = below(q->n);
    struct chunk t;
    switch (below(6)) {
    case 0:
        snprintf(what, wn, "chunks %zu and %zu swapped", i, j);
        t = q->c[i], q->c[i] = q->c[j], q->c[j] = t;
        break;
    case 1: /* duplicated at j */
        snprintf(what, wn, "chunk %zu duplicated before chunk %zu", i, j);
        t = q->c[i];
        t.raw = malloc(t.h.raw_size + 1);
        memcpy(t.raw, q->c[i].raw, t.h.raw_size);
        memmove(&q->c[j + 1], &q->c[j], (q->n - j) * sizeof t);
        q->c[j] = t;
        q->n++;
        break;
    case 2:
        snprintf(what, wn, "chunk %zu dropped", i);
        free(q->c[i].raw);
        memmove(&q->c[i], &q->c[i + 1], (q->n - i - 1) * sizeof t);
        q->n--;
        break;
    case 3: /* the trailer (last) moved to j */
        snprintf(what, wn, "the last chunk moved to %zu", j);
        t = q->c[q->n - 1];
        memmove(&q->c[j + 1], &q->c[j], (q->n - 1 - j) * sizeof t);
        q->c[j] = t;
        break;
    case 4: { /* a header field edited */
        struct tt_chunk_header *h = &q->c[i].h;
        static const uint32_t streams[] = { 0, 1, 2, 3, 7, TT_STREAM_META, TT_STREAM_TRAILER, TT_STREAM_MAX_VCPU };
        switch (below(5)) {
        case 0:
            h->stream = below(4) ? streams[below(sizeof streams / sizeof streams[0])] : (uint32_t)rng_next(&rng);
            break;
        case 1: h->seq = interesting_u32(h->seq); break;
        case 2: h->nrec = interesting_u32(h->nrec); break;
        case 3: h->type = (uint8_t)(below(2) ? 3u - h->type : below(256)); break;
        default: h->compression = (uint8_t)below(3); break; /* build stores it right */
        }
        snprintf(what, wn, "chunk %zu: header field edited", i);
        break;
    }
    default:
        snprintf(what, wn, "chunk %zu: payload damaged", i);
        mutate_payload(q, &q->c[i]);
        break;
    }
}

/* Byte-level damage to the file f, checksums then repaired or not. */
static void mutate_bytes(struct buf *f, size_t nhdr, char *what, size_t wn)
{
    bool repair = below(2);
    size_t n = f->n;
    switch (below(6)) {
    case 0: {
        uint64_t k = 1 + below(4);
        for (uint64_t i = 0; i < k; i++)
            f->b[below(n)] ^= (uint8_t)(1u << below(8));
        snprintf(what, wn, "%llu bits flipped", (unsigned long long)k);
        break;
    }
    case 1: {
        size_t at = below(n);
        f->b[at] = interesting_byte();
        snprintf(what, wn, "byte %zu set to 0x%02x", at, f->b[at]);
        break;
    }
    case 2:
        f->n = below(n);
        snprintf(what, wn, "cut at byte %zu", f->n);
        break;
    case 3: { /* a length field: the header's, or a chunk's sizes or count */
        size_t at = below(2) ? 12u : 0u;
        if (!at) {
            size_t off = nhdr, stop = below(8);
            while (stop-- && off + TT_CHUNK_HEADER <= n) {
                uint32_t s = tt_le32(f->b + off + 24);
                if (off + TT_CHUNK_HEADER + s + TT_CHUNK_HEADER > n)
                    break;
                off += TT_CHUNK_HEADER + s;
            }
            at = off + 16 + 4 * below(3);
        }
        if (at + 4 <= n)
            tt_put_le32(f->b + at, interesting_u32(tt_le32(f->b + at)));
        snprintf(what, wn, "length field at byte %zu edited", at);
        repair = true;
        break;
    }
    case 4: { /* a header field's length or key */
        size_t at = TT_HEADER_FIXED + below(nhdr > TT_HEADER_FIXED + 4 ? nhdr - TT_HEADER_FIXED - 4 : 1);
        f->b[at] = interesting_byte();
        snprintf(what, wn, "header byte %zu set", at);
        repair = true;
        break;
    }
    default: { /* a range removed */
        size_t at = below(n), k = 1 + below(64);
        if (at + k > n)
            k = n - at;
        memmove(f->b + at, f->b + at + k, n - at - k);
        f->n = n - k;
        snprintf(what, wn, "%zu bytes removed at byte %zu", k, at);
        break;
    }
    }
    if (repair)
        tc_repair_checksums(f->b, f->n);
    size_t l = strlen(what);
    snprintf(what + l, wn - l, "%s", repair ? ", checksums repaired" : "");
}

/* --- Running one input -------------------------------------------------- */

static char current[600]; /* what is being read, for the watchdog */
static int tap_fd = -1;

static void hang(int sig)
{
    (void)sig;
    char line[800];
    int n = snprintf(line, sizeof line, "not ok - hang: more than %d s reading %s\n", HANG_S, current);
    if (write(tap_fd, line, (size_t)n) < 0)
        _exit(2);
    _exit(1);
}

struct tally {
    unsigned inputs, whole, rejected, bad, slow, commands;
    double worst_ms;
    char first_bad[900];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The commands write to stdout and stderr: both go to /dev/null while they
 * run, TAP stays on tap_fd. */
static void quiet_commands(const char *path, const uint8_t *b, size_t n)
{
    static int null_fd = -1;
    if (null_fd < 0)
        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    int saved_err = dup(2);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    tc_run_commands(path, n >= 4 && !memcmp(b, "\177ELF", 4), NULL);
    fflush(stdout);
    fflush(stderr);
    dup2(tap_fd, 1);
    dup2(saved_err, 2);
    close(saved_err);
}

static void keep_failure(const uint8_t *b, size_t n, unsigned id, char *name, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(name, size, "%s/tcgtrace-mutant-%u.tct", tmp ? tmp : "/tmp", id);
    FILE *f = fopen(name, "wb");
    if (f) {
        fwrite(b, 1, n, f);
        fclose(f);
    }
}

static void run_input(const uint8_t *b, size_t n, const char *what, bool commands, struct tally *t)
{
    static const unsigned modes[] = { 0, TT_READ_DEFS, TT_READ_MERGED };
    char path[64];
    int fd = tc_memfd(b, n, path, sizeof path);
    if (fd < 0)
        abort();
    snprintf(current, sizeof current, "%s", what);
    alarm(HANG_S);
    double t0 = now_ms();
    bool whole = true;
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        struct tc_result res;
        tc_read(path, modes[m], 0, &res);
        whole &= res.rc == 0;
        if (res.bad[0]) {
            if (!t->bad++) {
                char kept[300];
                keep_failure(b, n, t->inputs, kept, sizeof kept);
                snprintf(t->first_bad, sizeof t->first_bad, "%s, flags %u: %s (kept as %s)", what, modes[m],
                         res.bad, kept);
            }
        }
    }
    if (commands) {
        quiet_commands(path, b, n);
        t->commands++;
    }
    double ms = now_ms() - t0;
    alarm(0);
    if (ms > t->worst_ms)
        t->worst_ms = ms;
    t->slow += ms > SLOW_MS;
    t->inputs++;
    t->whole += whole;
    t->rejected += !whole;
    close(fd);
}

/* --- Base traces -------------------------------------------------------- */

static struct buf slurp(const char *path)
{
    struct buf o = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return o;
    uint8_t tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_put(&o, tmp, k);
    fclose(f);
    return o;
}

/* Three vCPUs of random records (every kind, sync events included) in many
 * small chunks, written raw or compressed. */
static struct buf writer_trace(bool raw, uint64_t seed)
{
    char path[64] = "";
    int fd = memfd_create("tcgtrace-base", MFD_CLOEXEC);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct tt_header h = { .arch = "riscv64", .plugin = "memtrace", .page_size = 4096 };
    struct tt_writer_options o = { .synchronous = true, .raw = raw };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s[3] = { tt_stream_get(w, 0, &err), tt_stream_get(w, 1, &err), tt_stream_get(w, 2, &err) };
    struct gen_defs defs = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct expect e = { 0 };
    uint64_t r = seed;
    for (int k = 0; k < 500; k++) {
        gen_record(w, s[k % 3], &defs, &r, &e);
        if (k % 37 == 36)
            tt_stream_flush(s[(k / 37) % 3]);
    }
    tt_writer_close(w, NULL, &err);
    expect_free(&e);
    struct buf b = { 0 };
    struct stat st;
    fstat(fd, &st);
    b.n = b.cap = (size_t)st.st_size;
    b.b = malloc(b.n);
    if (pread(fd, b.b, b.n, 0) != (ssize_t)b.n)
        abort();
    close(fd);
    return b;
}

static void mutants(const char *name, const struct buf *base, struct tally *t)
{
    struct parsed p;
    if (!parse(base->b, base->n, &p)) {
        ok(0, "%s: the base trace parses", name);
        return;
    }
    struct buf f = { 0 };
    char what[400], full[600];
    for (unsigned k = 0; k < MUTANTS; k++) {
        bool commands = k % CMD_EVERY == 0;
        if (k % 2 == 0) {
            f.n = 0;
            buf_put(&f, base->b, base->n);
            mutate_bytes(&f, p.nhdr, what, sizeof what);
        } else {
            struct parsed q = copy_parsed(&p);
            mutate_chunks(&q, what, sizeof what);
            bool zstd = below(2);
            build(&q, zstd, &f);
            size_t l = strlen(what);
            snprintf(what + l, sizeof what - l, ", stored %s", zstd ? "zstd" : "raw");
            parsed_free(&q);
        }
        snprintf(full, sizeof full, "%s, mutant %u: %s", name, k, what);
        run_input(f.b, f.n, full, commands, t);
    }
    free(f.b);
    parsed_free(&p);
}

/* --- The reader's promises, each on a trace made for it ----------------- */

static struct buf small_trace(void (*fill)(struct tt_writer *w))
{
    int fd = memfd_create("tcgtrace-small", MFD_CLOEXEC);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct tt_header h = { .arch = "x86_64", .plugin = "memtrace" };
    struct tt_writer_options o = { .synchronous = true, .raw = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    fill(w);
    tt_writer_close(w, NULL, &err);
    struct buf b = { 0 };
    uint8_t tmp[4096];
    ssize_t k;
    for (off_t off = 0; (k = pread(fd, tmp, sizeof tmp, off)) > 0; off += k)
        buf_put(&b, tmp, (size_t)k);
    close(fd);
    return b;
}

static void no_records(struct tt_writer *w)
{
    (void)w;
}

static void sync_down(struct tt_writer *w)
{
    struct tt_error err;
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    tt_put_sync_seq(s, TT_SYNC_ATOMIC_RMW, 0x1000, 0x2000, 0, 5);
    tt_stream_flush(s);
    tt_put_sync_seq(s, TT_SYNC_ATOMIC_RMW, 0x1000, 0x2000, 0, 3);
}

static void sync_twice(struct tt_writer *w)
{
    struct tt_error err;
    struct tt_stream *a = tt_stream_get(w, 0, &err), *b = tt_stream_get(w, 1, &err);
    tt_put_sync_seq(a, TT_SYNC_ATOMIC_RMW, 0x1000, 0x2000, 0, 4);
    tt_put_sync_seq(b, TT_SYNC_ATOMIC_RMW, 0x1000, 0x2000, 0, 4);
}

static void sync_order(void)
{
    char path[64];
    struct tc_result res[2];
    struct buf b = small_trace(sync_down);
    int fd = tc_memfd(b.b, b.n, path, sizeof path);
    tc_read(path, 0, 0, &res[0]);
    tc_read(path, TT_READ_MERGED, 0, &res[1]);
    ok(res[0].rc == TT_E_CORRUPT && strstr(res[0].msg, "sync event #3 after #5") && res[0].records == 1 &&
               res[1].rc == TT_E_CORRUPT && strstr(res[1].msg, "sync event #3 after #5"),
           "a stream whose sync numbers go down from one chunk to the next is rejected: '%s'", res[0].msg);
    close(fd);
    free(b.b);

    b = small_trace(sync_twice);
    fd = tc_memfd(b.b, b.n, path, sizeof path);
    tc_read(path, 0, 0, &res[0]);
    tc_read(path, TT_READ_MERGED, 0, &res[1]);
    ok(res[0].rc == 0 && res[1].rc == TT_E_CORRUPT && strstr(res[1].msg, "sync event #4 comes twice"),
           "two streams with the same sync number: merged order rejects it: '%s'", res[1].msg);
    close(fd);
    free(b.b);
}

/* A trace of n streams of one chunk each (a thread start), then the
 * trailer: the reader's work must grow with n, not n squared. */
static double many_streams(uint32_t n, unsigned flags, struct tc_result *res)
{
    struct buf f = { 0 }, empty = small_trace(no_records);
    buf_put(&f, empty.b, tt_le32(empty.b + 12));
    free(empty.b);
    uint8_t payload[2] = { TT_TAG_THREAD_START, 7 }, chb[TT_CHUNK_HEADER];
    struct tt_chunk_header ch = { .type = TT_CHUNK_DATA, .nrec = 1, .raw_size = 2, .stored_size = 2,
                                  .payload_crc = tt_crc32c(0, payload, 2) };
    struct buf trailer = { 0 };
    uint8_t v[16];
    buf_put(&trailer, v, (size_t)(tt_put_varint(v, n) - v));
    for (uint32_t i = 0; i < n; i++) {
        /* Ids spread over the whole range, as a hash must take them. */
        ch.stream = i * 53681u;
        tt_chunk_header_encode(chb, &ch);
        buf_put(&f, chb, sizeof chb);
        buf_put(&f, payload, 2);
        uint8_t *p = tt_put_varint(v, ch.stream);
        *p++ = 1, *p++ = 1, *p++ = 0;
        buf_put(&trailer, v, (size_t)(p - v));
    }
    uint8_t tail[3] = { 0, 0, 0 };
    buf_put(&trailer, tail, 3);
    struct tt_chunk_header th = { .type = TT_CHUNK_TRAILER, .stream = TT_STREAM_TRAILER,
                                  .raw_size = (uint32_t)trailer.n, .stored_size = (uint32_t)trailer.n,
                                  .payload_crc = tt_crc32c(0, trailer.b, trailer.n) };
    tt_chunk_header_encode(chb, &th);
    buf_put(&f, chb, sizeof chb);
    buf_put(&f, trailer.b, trailer.n);
    char path[64];
    int fd = tc_memfd(f.b, f.n, path, sizeof path);
    double t0 = now_ms();
    tc_read(path, flags, 0, res);
    double ms = now_ms() - t0;
    close(fd);
    free(f.b);
    free(trailer.b);
    return ms;
}

static void scaling(void)
{
    struct tc_result small, big;
    for (unsigned flags = 0; flags <= TT_READ_MERGED; flags += TT_READ_MERGED) {
        double a = many_streams(2000, flags, &small), b = many_streams(32000, flags, &big);
        /* 16 times the streams: linear work takes about 16 times as long,
         * quadratic work 256 times. */
        ok(small.rc == 0 && big.rc == 0 && big.records == 32000 && b < 60 * (a + 1),
           "%s order: 32000 streams read in %.0f ms, 2000 in %.0f ms (linear) %s", flags ? "merged" : "file", b,
           a, big.bad[0] ? big.bad : big.msg);
    }
}

/* --- Regression inputs -------------------------------------------------- */

static void regressions(const char *dir, struct tally *t)
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[600], what[700];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        /* Subdirectories (open/: findings not fixed yet) are not replayed. */
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        struct buf b = slurp(path);
        snprintf(what, sizeof what, "%s", path);
        run_input(b.b, b.n, what, true, t);
        if (tc_repair_checksums(b.b, b.n)) {
            snprintf(what, sizeof what, "%s, checksums repaired", path);
            run_input(b.b, b.n, what, true, t);
        }
        free(b.b);
        n++;
    }
    if (d)
        closedir(d);
    ok(d && n > 0 && !t->bad, "%u regression inputs of %s (as they are and repaired, reader and commands) %s", n,
           dir, t->first_bad);
}

/* A memfd is executable: races takes an input without the magic for a
 * program, makes its temporary trace, and fails (no ELF). Run after run in
 * one process, as here and in the fuzz target, none of those files may
 * stay behind. */
static void no_temp_left(void)
{
    char dir[] = "/tmp/tcgtrace-mutate-XXXXXX";
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    bool made = mkdtemp(dir) && setenv("TMPDIR", dir, 1) == 0;
    static const uint8_t junk[] = "no trace, no ELF";
    for (int i = 0; made && i < 3; i++) {
        char path[64];
        int fd = tc_memfd(junk, sizeof junk, path, sizeof path);
        if ((made = fd >= 0))
            quiet_commands(path, junk, sizeof junk);
        close(fd);
    }
    unsigned left = 0;
    DIR *d = made ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') {
            char path[600];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            left += unlink(path) == 0;
        }
    if (d)
        closedir(d);
    rmdir(dir);
    if (saved ? setenv("TMPDIR", saved, 1) : unsetenv("TMPDIR"))
        made = false;
    free(saved);
    ok(d && left == 0, "races on 3 inputs that are neither trace nor ELF, in one process: %u temporary traces left", left);
}

static void write_seeds(const char *dir)
{
    for (int i = 0; i < 2; i++) {
        struct buf b = writer_trace(i == 0, 7 + (uint64_t)i);
        char path[600];
        snprintf(path, sizeof path, "%s/writer-%s.tct", dir, i == 0 ? "raw" : "zstd");
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(b.b, 1, b.n, f) != b.n || fclose(f))
            perror(path), exit(1);
        free(b.b);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
        write_seeds(argv[2]);
        return 0;
    }
    tap_fd = dup(1);
    signal(SIGALRM, hang);
    struct {
        const char *name;
        struct buf b;
    } bases[] = {
        { "tests/golden/v1.tct", slurp("tests/golden/v1.tct") },
        { "tests/golden/v1-raw.tct", slurp("tests/golden/v1-raw.tct") },
        { "writer, raw", writer_trace(true, 7) },
        { "writer, zstd", writer_trace(false, 8) },
    };
    struct tally all = { 0 };
    double t0 = now_ms();
    bool found = true;
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        found &= bases[i].b.n > 0;
        if (bases[i].b.n)
            mutants(bases[i].name, &bases[i].b, &all);
        free(bases[i].b.b);
    }
    double took = now_ms() - t0;
    ok(found && all.inputs == 4 * MUTANTS,
           "%u mutants of 4 base traces (golden and writer-made), each read in file order, with definitions and "
           "merged (%u read whole, %u rejected; %u through dump and stats too), in %.1f s",
           all.inputs, all.whole, all.rejected, all.commands, took / 1e3);
    ok(!all.bad, "every mutant is read or rejected with a status and a message, and every record returned "
                     "keeps the reader's promises %s", all.first_bad);
    ok(all.rejected > all.inputs / 2 && all.whole > all.inputs / 20,
           "the mutations reach both outcomes (%u whole, %u rejected)", all.whole, all.rejected);
    ok(!all.slow, "no mutant takes more than %d ms (the slowest: %.1f ms; a hang would end the test after %d s)",
           SLOW_MS, all.worst_ms, HANG_S);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long mb = ru.ru_maxrss / 1024;
    if (SANITIZED)
        ok(1, "# SKIP peak memory %ld MiB: AddressSanitizer's shadow counts in it", mb);
    else
        ok(mb < RSS_MAX_MB, "peak memory %ld MiB (at most %d)", mb, RSS_MAX_MB);
    struct tally reg = { 0 };
    regressions("tests/corrupt", &reg);
    no_temp_left();
    sync_order();
    scaling();
    return tap_done();
}
