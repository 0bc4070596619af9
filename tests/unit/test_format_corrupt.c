/* Broken traces: cut at every chunk boundary and inside chunks, every
 * byte flipped, a newer version, an unknown required feature, unknown
 * header fields and extension records (skipped), a failed write (the
 * trace stays readable and says what was lost), files that are no trace. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tcgtrace/heap.h"
#include "test_format_gen.h"

static char dir[] = "/tmp/tcgtrace-test-corrupt.XXXXXX";

struct file {
    uint8_t *b;
    size_t n;
};

static struct file slurp(const char *path)
{
    struct file f = { 0 };
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    f.n = (size_t)ftell(fp);
    rewind(fp);
    f.b = malloc(f.n);
    if (fread(f.b, 1, f.n, fp) != f.n)
        abort();
    fclose(fp);
    return f;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (fwrite(b, 1, n, fp) != n)
        abort();
    fclose(fp);
}

/* Reads a whole trace: the records returned (definitions and extensions
 * excluded: what the chunks count) and the final status. */
static int read_all(const char *path, unsigned flags, uint64_t *nrec, struct tt_error *err)
{
    *nrec = 0;
    struct tt_reader *r = tt_reader_open(path, flags, err);
    if (!r)
        return err->code;
    struct tt_record rec;
    int rc;
    while ((rc = tt_reader_next(r, &rec, err)) > 0)
        *nrec += !(rec.kind == TT_SYNC && rec.sync.kind == TT_SYNC_RMW_END);
    /* Asking again gives the same answer. */
    struct tt_error again;
    if (tt_reader_next(r, &rec, &again) != rc)
        rc = 99;
    tt_reader_close(r);
    return rc;
}

/* A trace of many small chunks over two streams, written in a fixed
 * order; returns the chunk boundaries and records before each. */
struct layout {
    size_t header;
    size_t nchunks;
    size_t off[512];      /* offset of chunk i; off[nchunks] = file size */
    uint64_t before[513]; /* vCPU records in chunks before chunk i */
    bool trailer[512];
};

static void make_trace(const char *path, struct layout *l)
{
    struct tt_header h = { .arch = "aarch64", .plugin = "memtrace" };
    struct tt_writer_options o = { .synchronous = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s[2] = { tt_stream_get(w, 0, &err), tt_stream_get(w, 3, &err) };
    struct gen_defs defs = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct expect e = { 0 };
    uint64_t rng = 42;
    for (int k = 0; k < 1200; k++) {
        gen_record(w, s[k % 7 == 0], &defs, &rng, &e);
        if (k % 40 == 39)
            tt_stream_flush(s[(k / 40) % 2]);
    }
    tt_writer_close(w, NULL, &err);
    expect_free(&e);
    struct file f = slurp(path);
    l->header = tt_le32(f.b + 12);
    size_t off = l->header;
    l->nchunks = 0;
    l->before[0] = 0;
    while (off < f.n) {
        size_t i = l->nchunks++;
        l->off[i] = off;
        uint32_t stream = tt_le32(f.b + off + 8), nrec = tt_le32(f.b + off + 16);
        l->trailer[i] = f.b[off + 4] == TT_CHUNK_TRAILER;
        l->before[i + 1] = l->before[i] + (stream == TT_STREAM_META ? 0 : nrec);
        off += TT_CHUNK_HEADER + tt_le32(f.b + off + 24);
    }
    l->off[l->nchunks] = off;
    free(f.b);
}

static void truncations(const char *path, const struct layout *l)
{
    struct file f = slurp(path);
    char cut[300];
    snprintf(cut, sizeof cut, "%s/cut.tct", dir);
    int ok_bound = 1, ok_inside = 1;
    char why[700] = "";
    for (size_t i = 0; i < l->nchunks; i++) {
        /* At the boundary before chunk i, and at points inside it. */
        size_t size = l->off[i + 1] - l->off[i];
        size_t points[] = { 0, 1, TT_CHUNK_HEADER - 1, TT_CHUNK_HEADER, size / 2, size - 1 };
        for (size_t p = 0; p < sizeof points / sizeof points[0]; p++) {
            if (p && points[p] >= size)
                continue;
            spit(cut, f.b, l->off[i] + points[p]);
            for (unsigned flags = 0; flags <= TT_READ_MERGED; flags += TT_READ_MERGED) {
                uint64_t n;
                struct tt_error err;
                int rc = read_all(cut, flags, &n, &err);
                int good = rc == TT_E_TRUNCATED && n == l->before[i] && strstr(err.msg, "cut short");
                if (!good) {
                    snprintf(why, sizeof why, "(cut at %zu: rc %d, %llu records, want %llu: %s)",
                             l->off[i] + points[p], rc, (unsigned long long)n,
                             (unsigned long long)l->before[i], rc < 0 ? err.msg : "");
                    if (p)
                        ok_inside = 0;
                    else
                        ok_bound = 0;
                }
            }
        }
    }
    ok(ok_bound, "cut at each of %zu chunk boundaries: every whole chunk read, then 'cut short' %s",
           l->nchunks, ok_bound ? "" : why);
    ok(ok_inside, "cut inside each chunk (header and payload): same %s", ok_inside ? "" : why);

    int ok_head = 1;
    for (size_t n = 0; n < l->header; n++) {
        spit(cut, f.b, n);
        uint64_t k;
        struct tt_error err;
        int rc = read_all(cut, 0, &k, &err);
        int want = n < TT_MAGIC_LEN ? TT_E_NOT_TRACE : TT_E_TRUNCATED;
        if (rc != want) {
            ok_head = 0;
            snprintf(why, sizeof why, "(cut at %zu: rc %d: %s)", n, rc, err.msg);
        }
    }
    ok(ok_head, "cut inside the file header: not a trace, or cut short %s", ok_head ? "" : why);

    spit(cut, f.b, l->off[l->nchunks - 1]);
    uint64_t k;
    struct tt_error err;
    read_all(cut, 0, &k, &err);
    char want[400];
    snprintf(want, sizeof want, "'%s': trace cut short at byte %zu: no trailer (the recording did not finish)",
             cut, l->off[l->nchunks - 1]);
    ok(!strcmp(err.msg, want), "message for a missing trailer: '%s'", err.msg);
    free(f.b);
    unlink(cut);
}

static void flips(const char *path)
{
    struct file f = slurp(path);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/flip.tct", dir);
    int pass = 1;
    char why[700] = "";
    size_t tried = 0;
    spit(bad, f.b, f.n);
    int fd = open(bad, O_WRONLY);
    for (size_t i = 0; i < f.n; i++) {
        /* One bit a byte, a different one from byte to byte. */
        uint8_t flipped = f.b[i] ^ (uint8_t)(1u << (i * 3 % 8));
        if (pwrite(fd, &flipped, 1, (off_t)i) != 1 || (tried++, 0))
            abort();
        uint64_t n;
        struct tt_error err;
        unsigned flags = i % 2 ? TT_READ_MERGED : 0;
        int rc = read_all(bad, flags, &n, &err);
        /* Every byte is under a checksum, the magic or the version. */
        if (rc >= 0 || err.msg[0] == '\0') {
            pass = 0;
            snprintf(why, sizeof why, "(byte %zu: rc %d)", i, rc);
        }
        if (pwrite(fd, &f.b[i], 1, (off_t)i) != 1)
            abort();
    }
    close(fd);
    ok(pass, "each of %zu single-bit flips over all %zu bytes is reported %s", tried, f.n, why);
    free(f.b);
    unlink(bad);
}

static void versions(const char *path)
{
    struct file f = slurp(path);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/version.tct", dir);
    f.b[8] = 2;
    spit(bad, f.b, f.n);
    uint64_t n;
    struct tt_error err;
    int rc = read_all(bad, 0, &n, &err);
    char want[400];
    snprintf(want, sizeof want, "'%s': trace format version 2 is newer than this tcgtrace (reads 1)", bad);
    ok(rc == TT_E_VERSION && !strcmp(err.msg, want), "a newer version is rejected by name: '%s'", err.msg);
    f.b[8] = 0;
    spit(bad, f.b, f.n);
    rc = read_all(bad, 0, &n, &err);
    ok(rc == TT_E_VERSION, "version 0 is rejected: '%s'", err.msg);
    f.b[8] = 1;

    /* Required features: the last u64 field before the CRC. */
    size_t hlen = tt_le32(f.b + 12);
    tt_put_le64(f.b + hlen - 12, 1);
    tt_put_le32(f.b + hlen - 4, tt_crc32c(0, f.b, hlen - 4));
    spit(bad, f.b, f.n);
    rc = read_all(bad, 0, &n, &err);
    ok(rc == TT_E_FEATURE && strstr(err.msg, "features unknown"), "an unknown required feature is rejected: '%s'",
           err.msg);
    free(f.b);
    unlink(bad);
}

/* What a newer writer may add and a v1 reader must skip: header fields
 * of unknown keys, extension records. */
static void extensions(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/ext.tct", dir);
    struct tt_header h = { .arch = "x86_64", .plugin = "memtrace" };
    struct tt_writer_options o = { .raw = true, .synchronous = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    tt_put_thread_start(s, 5);
    tt_writer_close(w, NULL, &err);
    struct file f = slurp(path);
    size_t hlen = tt_le32(f.b + 12);
    /* The file: header + unknown field, then chunk 0 with an extension
     * record before the thread start, then the trailer as it was. */
    static const uint8_t field[] = { 0xe7, 0x03, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o' };
    static const uint8_t payload[] = { 0xfe, 3, 'a', 'b', 'c', TT_TAG_THREAD_START, 5 };
    size_t n = f.n + sizeof field + sizeof payload;
    uint8_t *b = calloc(1, n), *p = b;
    memcpy(p, f.b, hlen - 4);
    p += hlen - 4;
    memcpy(p, field, sizeof field);
    p += sizeof field;
    tt_put_le32(b + 12, (uint32_t)(p - b + 4));
    p = tt_put_le32(p, tt_crc32c(0, b, (size_t)(p - b)));
    uint32_t old_stored = tt_le32(f.b + hlen + 24);
    struct tt_chunk_header ch = { .type = TT_CHUNK_DATA, .stream = 0, .seq = 0, .nrec = 1,
                                  .raw_size = sizeof payload, .stored_size = sizeof payload,
                                  .payload_crc = tt_crc32c(0, payload, sizeof payload) };
    tt_chunk_header_encode(p, &ch);
    p += TT_CHUNK_HEADER;
    memcpy(p, payload, sizeof payload);
    p += sizeof payload;
    size_t rest = hlen + TT_CHUNK_HEADER + old_stored;
    memcpy(p, f.b + rest, f.n - rest);
    p += f.n - rest;
    spit(path, b, (size_t)(p - b));
    struct tt_reader *r = tt_reader_open(path, 0, &err);
    struct tt_record rec;
    int rc1 = r ? tt_reader_next(r, &rec, &err) : -100;
    int rc2 = r ? tt_reader_next(r, &rec, &err) : -100;
    ok(rc1 == 1 && rec.kind == TT_THREAD_START && rec.thread.tid == 5 && rc2 == 0,
           "unknown header fields and extension records are skipped (%d %d %s)", rc1, rc2,
           rc2 < 0 ? err.msg : "");
    if (r)
        tt_reader_close(r);
    free(b);
    free(f.b);
    unlink(path);
}

/* A write that fails (here: the file size limit, like a full disk): the
 * count lost is reported, and the trace reads up to its last whole chunk
 * with the losses in its trailer. */
static void write_failure(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/full.tct", dir);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    struct tt_header h = { .arch = "x86_64", .plugin = "memtrace" };
    struct tt_writer_options o = { .chunk_size = TT_CHUNK_MIN, .raw = true };
    struct tt_error err;
    lim = old;
    lim.rlim_cur = 300 * 1024;
    setrlimit(RLIMIT_FSIZE, &lim);
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    uint64_t n = 200000, nheap = 0;
    for (uint64_t i = 0; i < n; i++) {
        tt_put_mem_value(s, 0x1000 + (i % 7) * 4, 0x7f0000000000 + i * 8 * (i % 3), 3, i % 2, i * i, 0);
        if (i % 100 == 0) {
            tt_put_heap(s, TT_HEAP_MALLOC, 0x401000, 0x402000, 0x10000 + i, 24, 0);
            nheap++;
        }
    }
    struct tt_writer_stats st;
    int rc = tt_writer_close(w, &st, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    ok(rc == TT_E_WRITE && err.sys_errno == EFBIG && strstr(err.msg, "File too large") &&
               strstr(err.msg, "records lost (") && st.records + st.lost == n && st.lost > 0 &&
               st.lost_kind[TT_MEM] == st.lost && st.lost_kind[TT_HEAP] > 0 && strstr(err.msg, " heap events"),
           "a failed write is reported with the records lost, heap events too: '%s'", err.msg);
    uint64_t got;
    struct tt_reader *r = tt_reader_open(path, 0, &err);
    struct tt_record rec;
    got = 0;
    uint64_t heap = 0;
    int rrc;
    while ((rrc = tt_reader_next(r, &rec, &err)) > 0) {
        got += rec.kind != TT_HEAP;
        heap += rec.kind == TT_HEAP;
    }
    ok(heap + st.lost_kind[TT_HEAP] == nheap, "heap events read and lost: %llu + %llu of %llu",
       (unsigned long long)heap, (unsigned long long)st.lost_kind[TT_HEAP], (unsigned long long)nheap);
    const struct tt_trailer *t = tt_reader_trailer(r);
    ok(rrc == 0 && got == st.records && t && t->write_errno == EFBIG && t->lost[TT_MEM] == st.lost,
           "that trace reads to its end: %llu records, its trailer counts %llu lost",
           (unsigned long long)got, t ? (unsigned long long)t->lost[TT_MEM] : 0ull);
    tt_reader_close(r);
    unlink(path);

    w = tt_writer_open("/dev/full", &h, NULL, &err);
    ok(!w && err.code == TT_E_IO && !strcmp(err.msg, "cannot write '/dev/full': No space left on device"),
           "a header that cannot be written: '%s'", err.msg);
}

static void not_traces(void)
{
    uint64_t n;
    struct tt_error err;
    char path[300];
    snprintf(path, sizeof path, "%s/missing.tct", dir);
    int rc = read_all(path, 0, &n, &err);
    char want[400];
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory", path);
    ok(rc == TT_E_IO && !strcmp(err.msg, want), "a missing file: '%s'", err.msg);
    snprintf(path, sizeof path, "%s/text.tct", dir);
    spit(path, (const uint8_t *)"hello, world\n", 13);
    rc = read_all(path, 0, &n, &err);
    snprintf(want, sizeof want, "'%s': not a tcgtrace trace (no TCGTRACE magic)", path);
    ok(rc == TT_E_NOT_TRACE && !strcmp(err.msg, want), "a text file: '%s'", err.msg);
    unlink(path);
    rc = read_all(dir, 0, &n, &err);
    ok(rc == TT_E_IO && strstr(err.msg, "not a regular file"), "a directory: '%s'", err.msg);
    int named = 1;
    for (int c = TT_E_INVAL; c <= TT_OK; c++)
        named &= strcmp(tt_strerror(c), "unknown error") != 0;
    ok(named && !strcmp(tt_strerror(TT_E_TRUNCATED), "trace cut short"), "every status has a name");
}

int main(void)
{
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    printf("1..18\n");
    char path[300];
    snprintf(path, sizeof path, "%s/base.tct", dir);
    static struct layout l;
    make_trace(path, &l);
    uint64_t n = 0;
    struct tt_error err;
    int rc = read_all(path, 0, &n, &err);
    ok(l.nchunks > 20 && rc == 0 && n == l.before[l.nchunks],
           "the intact trace reads (%zu chunks, %llu records)", l.nchunks, (unsigned long long)n);
    truncations(path, &l);
    flips(path);
    versions(path);
    extensions();
    write_failure();
    not_traces();
    unlink(path);
    rmdir(dir);
    return n_failed != 0;
}
