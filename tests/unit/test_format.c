/* Trace format v1 round trips: every record kind on random inputs over
 * many seeds and writer options; several streams; several threads writing
 * at once with back-pressure; vCPU indices reused; merged order. */
#include <stdlib.h>
#include <unistd.h>

#include "test_format_gen.h"

static char dir[] = "/tmp/tcgtrace-test-format.XXXXXX";

static const char *const argv_demo[] = { "/bin/prog", "--flag", "a b" };

static struct tt_header header(void)
{
    return (struct tt_header){
        .arch = "riscv64", .page_size = 4096, .qemu_version = "10.0.0", .argc = 3,
        .argv = argv_demo, .start_time_ns = 1700000000123456789ull, .tcgtrace_version = "0.1.0",
        .plugin = "memtrace", .plugin_options = "format=bin,values=on",
        .features = TT_FEAT_MEMORY | TT_FEAT_MEM_VALUES,
    };
}

/* Reads path and compares each stream's records with want[stream], then
 * the header roundtrip writes and the trailer. */
static int check_trace(const char *path, unsigned flags, struct expect *want, unsigned nstreams,
                       char *why, size_t whylen)
{
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, flags, &err);
    if (!r) {
        snprintf(why, whylen, "open: %s", err.msg);
        return 0;
    }
    int pass = expect_read(r, flags, want, nstreams, record_equal, why, whylen);
    const struct tt_header *h = tt_reader_header(r);
    if (pass && (strcmp(h->arch, "riscv64") || h->page_size != 4096 || h->argc != 3 ||
               strcmp(h->argv[2], "a b") || h->start_time_ns != 1700000000123456789ull ||
               strcmp(h->plugin, "memtrace") || strcmp(h->plugin_options, "format=bin,values=on") ||
               h->features != (TT_FEAT_MEMORY | TT_FEAT_MEM_VALUES) || strcmp(h->qemu_version, "10.0.0"))) {
        snprintf(why, whylen, "header fields differ");
        pass = 0;
    }
    const struct tt_trailer *t = tt_reader_trailer(r);
    if (pass && (!t || t->write_errno)) {
        snprintf(why, whylen, "no trailer or a write error");
        pass = 0;
    }
    tt_reader_close(r);
    return pass;
}

static void roundtrip(uint64_t seed)
{
    uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
    char path[256];
    snprintf(path, sizeof path, "%s/rt%llu.tct", dir, (unsigned long long)seed);
    struct tt_writer_options o = {
        .chunk_size = TT_CHUNK_MIN << rng_below(&rng, 3),
        .raw = rng_below(&rng, 4) == 0,
        .level = (int)rng_below(&rng, 4) - 1, /* -1 (fast), default, 1, 2 */
        .queue = 1 + (unsigned)rng_below(&rng, 3),
        .synchronous = rng_below(&rng, 3) == 0,
    };
    struct tt_header h = header();
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    if (!w) {
        ok(0, "seed %llu: open: %s", (unsigned long long)seed, err.msg);
        return;
    }
    unsigned nstreams = 1 + (unsigned)rng_below(&rng, 4);
    struct expect want[4] = { 0 };
    struct tt_stream *s[4];
    for (unsigned i = 0; i < nstreams; i++)
        s[i] = tt_stream_get(w, i, &err);
    struct gen_defs defs = { .lock = PTHREAD_MUTEX_INITIALIZER };
    size_t n = seed % 10 == 0 ? 300000 : 1 + rng_below(&rng, 20000);
    for (size_t k = 0; k < n; k++) {
        unsigned i = (unsigned)rng_below(&rng, nstreams);
        gen_record(w, s[i], &defs, &rng, &want[i]);
        /* A thread exits and a new one gets its vCPU index. */
        if (rng_below(&rng, 5000) == 0) {
            tt_stream_flush(s[i]);
            s[i] = tt_stream_get(w, i, &err);
        }
    }
    struct tt_writer_stats st;
    int rc = tt_writer_close(w, &st, &err);
    char why[600] = "";
    int pass = rc == 0 && st.records == n && st.lost == 0;
    if (rc)
        snprintf(why, sizeof why, "close: %s", err.msg);
    pass = pass && check_trace(path, 0, want, nstreams, why, sizeof why);
    pass = pass && check_trace(path, TT_READ_MERGED, want, nstreams, why, sizeof why);
    ok(pass, "round trip, seed %llu (%zu records, %u streams, chunk %zu KiB, %s%s) %s",
           (unsigned long long)seed, n, nstreams, o.chunk_size >> 10, o.raw ? "raw" : "zstd",
           o.synchronous ? ", synchronous" : "", why);
    for (unsigned i = 0; i < nstreams; i++)
        expect_free(&want[i]);
    unlink(path);
}

/* Several guest threads appending at once, each to its own stream, with
 * definitions made from all of them and a queue of one buffer so that
 * they wait for the writer (back-pressure) rather than drop. */
struct thread_arg {
    struct tt_writer *w;
    struct gen_defs *defs;
    unsigned id;
    size_t n;
    struct expect want;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    uint64_t rng = 1000 + a->id;
    struct tt_error err;
    struct tt_stream *s = tt_stream_get(a->w, a->id, &err);
    for (size_t k = 0; k < a->n; k++)
        gen_record(a->w, s, a->defs, &rng, &a->want);
    tt_stream_flush(s);
    return NULL;
}

static void threads(unsigned nthreads)
{
    char path[256];
    snprintf(path, sizeof path, "%s/threads%u.tct", dir, nthreads);
    struct tt_writer_options o = { .chunk_size = TT_CHUNK_MIN, .queue = 1 };
    struct tt_header h = header();
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct gen_defs defs = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct thread_arg args[8];
    pthread_t t[8];
    for (unsigned i = 0; i < nthreads; i++) {
        args[i] = (struct thread_arg){ .w = w, .defs = &defs, .id = i, .n = 150000 };
        pthread_create(&t[i], NULL, thread_main, &args[i]);
    }
    for (unsigned i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    int rc = tt_writer_close(w, NULL, &err);
    struct expect want[8];
    for (unsigned i = 0; i < nthreads; i++)
        want[i] = args[i].want;
    char why[600] = "";
    int pass = rc == 0 && check_trace(path, 0, want, nthreads, why, sizeof why);
    ok(pass, "%u threads at once, file order %s", nthreads, why);
    pass = rc == 0 && check_trace(path, TT_READ_MERGED, want, nthreads, why, sizeof why);
    ok(pass, "%u threads at once, merged order %s", nthreads, why);
    for (unsigned i = 0; i < nthreads; i++)
        expect_free(&want[i]);
    unlink(path);
}

/* Merged order on a hand-made interleaving: sync events of different
 * streams come out in global sequence order, everything else keeps its
 * place between its stream's sync events. */
static void merged_order(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/merged.tct", dir);
    struct tt_header h = header();
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, NULL, &err);
    struct tt_stream *a = tt_stream_get(w, 0, &err), *b = tt_stream_get(w, 1, &err);
    tt_put_thread_start(a, 100);          /* a: start */
    tt_put_sync(a, TT_SYNC_CLONE, 1, 0, 101); /* g1 */
    tt_put_thread_start(b, 101);          /* b: start */
    tt_put_sync(b, TT_SYNC_THREAD_START, 2, 0, 101); /* g2 */
    tt_put_mem(b, 3, 0x1000, 2, true);    /* b: store */
    tt_put_sync(b, TT_SYNC_RELEASE_STORE, 4, 0x2000, 0); /* g3 */
    tt_put_mem(a, 5, 0x3000, 2, false);   /* a: load before its acquire */
    tt_put_sync(a, TT_SYNC_ACQUIRE_LOAD, 6, 0x2000, 0); /* g4 */
    tt_put_mem(a, 7, 0x1000, 2, false);   /* a: load after */
    /* Stream 1 is written to the file first. */
    tt_stream_flush(b);
    tt_stream_flush(a);
    tt_writer_close(w, NULL, &err);
    struct tt_reader *r = tt_reader_open(path, TT_READ_MERGED, &err);
    char got[256] = "";
    struct tt_record rec;
    while (tt_reader_next(r, &rec, &err) > 0) {
        char one[32];
        if (rec.kind == TT_SYNC)
            snprintf(one, sizeof one, "%u:g%llu ", rec.stream, (unsigned long long)rec.sync.gseq);
        else if (rec.kind == TT_MEM)
            snprintf(one, sizeof one, "%u:m%llu ", rec.stream, (unsigned long long)rec.mem.pc);
        else
            snprintf(one, sizeof one, "%u:%s ", rec.stream, tt_kind_name(rec.kind));
        strcat(got, one);
    }
    tt_reader_close(r);
    /* A stream runs on after its sync event up to its next one (m5 before
     * g2): records between sync events are ordered only within their
     * stream, which is all happens-before needs. */
    const char *want = "1:thread-start 0:thread-start 0:g1 0:m5 1:g2 1:m3 1:g3 0:g4 0:m7 ";
    ok(!strcmp(got, want), "merged order: '%s'", got);
    unlink(path);
}

/* Definitions made after a chunk was handed off, used by another stream:
 * in file order each definition precedes its first use. */
static void defs_before_use(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/defs.tct", dir);
    struct tt_header h = header();
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, NULL, &err);
    struct tt_stream *a = tt_stream_get(w, 0, &err), *b = tt_stream_get(w, 1, &err);
    int pass = 1;
    for (int i = 0; i < 2000; i++) {
        uint8_t op[4] = { (uint8_t)i, 1, 2, 3 };
        uint32_t id = tt_def_insn(w, 0x1000 + 4u * (uint32_t)i, op, 4, "nop");
        struct tt_stream *s = i % 2 ? a : b;
        tt_put_insn(s, id, 0x1000 + 4u * (uint32_t)i);
        tt_stream_flush(s);
    }
    pass = tt_writer_close(w, NULL, &err) == 0;
    struct tt_reader *r = tt_reader_open(path, 0, &err);
    struct tt_record rec;
    int rc, n = 0;
    while ((rc = tt_reader_next(r, &rec, &err)) > 0)
        n++;
    ok(pass && rc == 0 && n == 2000, "definitions precede their uses in file order (%d records%s%s)", n,
           rc ? ": " : "", rc ? err.msg : "");
    tt_reader_close(r);
    unlink(path);
}

/* A loop body as memtrace sees it, a[i] = a[i] * 3 + b[i % 64] over a
 * strided array: its pc, address and value predictors hit, so most
 * accesses are runs of a byte (and long runs go past the longest a tag
 * holds); a physical address now and then completes the last access of a
 * run. Read back as written, in well under a byte an access. */
static void predicted_walk(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/walk.tct", dir);
    struct tt_header h = header();
    struct tt_error err;
    struct tt_writer_options o = { .raw = true, .chunk_size = TT_CHUNK_MIN };
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    struct expect want = { 0 };
    uint64_t a = 0x7f0000001000, b = 0x555555558000;
    size_t n = 0;
    for (uint64_t i = 0; i < 200000; i++) {
        /* Values the stride predictor misses for a while. */
        uint64_t ai = i < 100000 || i >= 110000 ? 7 * i : i * i, bi = i < 150000 ? i % 64 * 1000 : 0;
        struct tt_record r[3] = {
            { .kind = TT_MEM, .mem = { .pc = 0x401000, .vaddr = a + 8 * i, .size = 8, .has_value = true, .value = { ai } } },
            { .kind = TT_MEM, .mem = { .pc = 0x401008, .vaddr = b + 8 * (i % 64), .size = 8, .has_value = true, .value = { bi } } },
            { .kind = TT_MEM, .mem = { .pc = 0x401010, .vaddr = a + 8 * i, .size = 8, .store = true, .has_value = true, .value = { 3 * ai + bi } } },
        };
        /* From i = 150000 on, only the store: runs longer than a tag holds. */
        for (unsigned k = i < 150000 ? 0 : 2; k < 3; k++) {
            tt_put_mem_value(s, r[k].mem.pc, r[k].mem.vaddr, 3, r[k].mem.store, r[k].mem.value[0], 0);
            if (i % 1000 == 999 && k == 2) {
                r[k].mem.has_phys = true;
                r[k].mem.phys = 0x80000000 + i;
                r[k].mem.region_name = "RAM";
                tt_put_mem_phys(s, r[k].mem.phys, tt_stream_string(s, "RAM"));
            }
            expect_add(&want, &r[k]);
            n++;
        }
    }
    struct tt_writer_stats st;
    int pass = tt_writer_close(w, &st, &err) == 0;
    char why[600] = "";
    pass = pass && check_trace(path, 0, &want, 1, why, sizeof why);
    double per = (double)st.raw_bytes / (double)n;
    ok(pass && per < 0.5, "a strided walk reads back as written, %.3f raw bytes an access %s", per, why);
    expect_free(&want);
    unlink(path);
}

/* c[i] += 1 over random 4-byte counters: the store's value is predicted
 * from the load's (the link predictor), so a pair costs the load's record
 * and a byte. */
static void rmw_values(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/rmw.tct", dir);
    struct tt_header h = header();
    struct tt_error err;
    struct tt_writer_options o = { .raw = true };
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    struct expect want = { 0 };
    uint64_t rng = 11;
    size_t n = 0;
    for (uint64_t i = 0; i < 100000; i++) {
        uint64_t v = rng_next(&rng) & 0xffffffff, addr = 0x10000 + 4 * i;
        struct tt_record r[2] = {
            { .kind = TT_MEM, .mem = { .pc = 0x1000, .vaddr = addr, .size = 4, .has_value = true, .value = { v } } },
            { .kind = TT_MEM, .mem = { .pc = 0x1004, .vaddr = addr, .size = 4, .store = true, .has_value = true,
                                       .value = { (v + 1) & 0xffffffff } } },
        };
        for (int k = 0; k < 2; k++) {
            tt_put_mem_value(s, r[k].mem.pc, r[k].mem.vaddr, 2, r[k].mem.store, r[k].mem.value[0], 0);
            expect_add(&want, &r[k]);
            n++;
        }
    }
    struct tt_writer_stats st;
    int pass = tt_writer_close(w, &st, &err) == 0;
    char why[600] = "";
    pass = pass && check_trace(path, 0, &want, 1, why, sizeof why);
    double per = (double)st.raw_bytes / (double)n;
    ok(pass && per < 3.1, "a read-modify-write's stored value is predicted from its load, %.3f raw bytes an access %s",
       per, why);
    expect_free(&want);
    unlink(path);
}

/* CRC-32C through whichever implementation this CPU gets, against the
 * check value of the standard and a bit-at-a-time one, at every alignment
 * and length of tail. */
static void crc(void)
{
    uint8_t buf[300];
    uint64_t rng = 7;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rng_next(&rng);
    int pass = tt_crc32c(0, "123456789", 9) == 0xe3069283u;
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= sizeof buf; n += 1 + n / 8) {
            uint32_t c = 0xffffffffu;
            for (size_t i = 0; i < n; i++) {
                c ^= buf[off + i];
                for (int k = 0; k < 8; k++)
                    c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
            }
            pass = pass && tt_crc32c(0, buf + off, n) == ~c;
        }
    }
    ok(pass, "CRC-32C: check value and a bit-at-a-time reference");
}

/* The compression of each chunk of a stream, in file order. */
static size_t chunk_compressions(const char *path, uint32_t stream, uint8_t *comp, size_t max)
{
    FILE *f = fopen(path, "rb");
    uint8_t h[TT_CHUNK_HEADER];
    size_t n = 0;
    if (!f || fread(h, 1, 16, f) != 16 || fseek(f, tt_le32(h + 12), SEEK_SET))
        return 0;
    while (fread(h, 1, TT_CHUNK_HEADER, f) == TT_CHUNK_HEADER) {
        struct tt_chunk_header ch;
        if (tt_chunk_header_decode(h, 0, &ch, NULL) || fseek(f, ch.stored_size, SEEK_CUR))
            break;
        if (ch.stream == stream && n < max)
            comp[n++] = ch.compression;
    }
    fclose(f);
    return n;
}

/* A stream whose chunks zstd cannot shrink is stored without trying for a
 * while (1, 2, 4 ... chunks after each miss), then tried again: once its
 * records compress, so do its chunks. */
static void skip_incompressible(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/skip.tct", dir);
    struct tt_header h = header();
    struct tt_error err;
    /* Level 1 entropy-codes literals: it shrinks each chunk it tries by a
     * little, which tells tried chunks from skipped ones. */
    struct tt_writer_options o = { .chunk_size = TT_CHUNK_MIN, .synchronous = true, .level = 1 };
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    uint64_t rng = 3;
    /* Random 8-byte values at random addresses: about 30 chunks, each of
     * which zstd shrinks by its tag bytes at most. */
    for (int i = 0; i < 200000; i++) {
        uint64_t v = rng_next(&rng);
        tt_put_mem_value(s, 0x401000, v & ~7ull, 3, false, v, 0);
    }
    tt_stream_flush(s);
    /* Then a walk zstd folds away: 150 chunks of repeated values. */
    for (int i = 0; i < 150 * 65536 / 2; i++)
        tt_put_mem_value(s, 0x401000 + (uint64_t)(i & 1), 0x7f0000000000 + (uint64_t)(i % 64), 0, i & 1,
                         (uint64_t)(i % 3), 0);
    tt_writer_close(w, NULL, &err);
    uint8_t comp[4096];
    size_t n = chunk_compressions(path, 0, comp, sizeof comp), random_zstd = 0, tail_raw = 0;
    for (size_t i = 0; i < n && i < 20; i++)
        random_zstd += comp[i] == TT_COMP_ZSTD;
    for (size_t i = n > 20 ? n - 20 : 0; i < n; i++)
        tail_raw += comp[i] == TT_COMP_NONE;
    ok(n > 100 && random_zstd >= 3 && random_zstd <= 5 && tail_raw == 0,
       "incompressible chunks skip zstd (%zu of the first 20 compressed), compressible ones after them do not "
       "(%zu of the last 20 stored raw, %zu chunks)", random_zstd, tail_raw, n);
    unlink(path);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    printf("1..%d\n", 60 + 2 * 2 + 6);
    for (uint64_t seed = 1; seed <= 60; seed++)
        roundtrip(seed);
    threads(2);
    threads(5);
    merged_order();
    defs_before_use();
    predicted_walk();
    rmw_values();
    crc();
    skip_incompressible();
    rmdir(dir);
    return n_failed != 0;
}
