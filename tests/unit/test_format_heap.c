/* Golden trace with heap events (docs/format.md, "Heap event"):
 * tests/golden/v1-heap-raw.tct, chunks stored uncompressed. Heap events
 * are extension records, so the trace is still version 1: this test
 * checks that
 *   - the encoder writes the committed file byte for byte;
 *   - it decodes to the records written, heap events included (kind,
 *     function, call site, block, size, old block), in stream order;
 *   - heap events are not counted in the chunks' and trailer's record
 *     counts (the reader checks both), which is what lets a reader that
 *     skips them read the trace;
 *   - a heap event of a kind this version does not know, and an unknown
 *     extension tag, are skipped; a heap event cut short is an error.
 * tests/integration/dump_heap.t checks `tcgtrace dump` of it.
 *
 * Regenerate (only when the format changes, see docs/format.md):
 *   build/tests/test_format_heap --generate tests/golden */
#include <unistd.h>

#include "tap.h"
#include "test_format_gen.h"
#include "tcgtrace/heap.h"

static const char *const golden_argv[] = { "/usr/bin/heap", "3" };

static struct expect want[2];

static void want_add(uint32_t stream, struct tt_record r)
{
    r.stream = stream;
    expect_add(&want[stream], &r);
}

static void mem(struct tt_stream *s, uint64_t pc, uint64_t addr, unsigned shift, bool store, uint64_t v)
{
    struct tt_record r = { .kind = TT_MEM };
    r.mem.pc = pc;
    r.mem.vaddr = addr;
    r.mem.size = (uint8_t)(1u << shift);
    r.mem.store = store;
    r.mem.has_value = true;
    r.mem.value[0] = v;
    tt_put_mem_value(s, pc, addr, shift, store, v, 0);
    want_add(s->id, r);
}

static void heap(struct tt_stream *s, unsigned kind, uint64_t func, uint64_t call, uint64_t addr, uint64_t size,
                 uint64_t old)
{
    tt_put_heap(s, kind, func, call, addr, size, old);
    struct tt_record r = { .kind = TT_HEAP };
    r.heap.kind = (uint8_t)kind;
    r.heap.func = func;
    r.heap.call = call;
    r.heap.addr = addr;
    r.heap.size = size;
    r.heap.old = old;
    want_add(s->id, r);
}

/* Raw bytes of a record this version skips. */
static void raw(struct tt_stream *s, const uint8_t *b, size_t n)
{
    uint8_t *p = tt_stream_begin_(s);
    memcpy(p, b, n);
    s->p = p + n;
}

#define MALLOC 0x7ffff7e50100
#define FREE 0x7ffff7e50700
#define CALLOC 0x7ffff7e51000
#define REALLOC 0x7ffff7e50a00
#define ALIGNED 0x7ffff7e51800

static int generate(const char *path, char *why, size_t whylen)
{
    for (int i = 0; i < 2; i++)
        expect_free(&want[i]);
    struct tt_header h = {
        .arch = "x86_64", .page_size = 4096, .qemu_version = "10.0.0", .argc = 2, .argv = golden_argv,
        .start_time_ns = 1700000000000000000ull, .tcgtrace_version = "0.1.0", .plugin = "memtrace",
        .plugin_options = "format=bin",
        .features = TT_FEAT_MEMORY | TT_FEAT_MEM_VALUES | TT_FEAT_SYNC | TT_FEAT_SYSCALLS | TT_FEAT_SYNC_FLAGS |
                    TT_FEAT_HEAP,
    };
    struct tt_writer_options o = { .raw = true, .synchronous = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    if (!w) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    struct tt_stream *s0 = tt_stream_get(w, 0, &err), *s1 = tt_stream_get(w, 1, &err);
    tt_put_thread_start(s0, 2000);
    want_add(0, (struct tt_record){ .kind = TT_THREAD_START, .thread.tid = 2000 });
    /* main: p = malloc(24); p->x = 1; then calloc, realloc, aligned_alloc,
     * a failed malloc and free(NULL). */
    heap(s0, TT_HEAP_MALLOC, MALLOC, 0x555555555189, 0x5555555592a0, 24, 0);
    mem(s0, 0x55555555518d, 0x5555555592a0, 3, true, 1);
    heap(s0, TT_HEAP_CALLOC, CALLOC, 0x5555555551a0, 0x5555555592c0, 4 * 100, 0);
    heap(s0, TT_HEAP_REALLOC, REALLOC, 0x5555555551b4, 0x555555559460, 800, 0x5555555592c0);
    heap(s0, TT_HEAP_MEMALIGN, ALIGNED, 0x5555555551c8, 0x555555559800, 256, 0);
    /* A kind from a later version, and an extension tag this one does not
     * know: skipped. */
    static const uint8_t later_kind[] = { TT_TAG_HEAP, 6, 9, 1, 2, 3, 4, 5 };
    raw(s0, later_kind, sizeof later_kind);
    static const uint8_t other_tag[] = { 0xf5, 3, 0xaa, 0xbb, 0xcc };
    raw(s0, other_tag, sizeof other_tag);
    heap(s0, TT_HEAP_MALLOC, MALLOC, 0x5555555551dc, 0, UINT64_MAX, 0);
    heap(s0, TT_HEAP_FREE, FREE, 0x5555555551f0, 0, 0, 0);
    mem(s0, 0x5555555551f4, 0x5555555592a0, 3, false, 1);
    tt_stream_flush(s0);

    /* A thread frees main's block; a heap event opens its chunk. */
    heap(s1, TT_HEAP_FREE, FREE, 0x555555555230, 0x5555555592a0, 0, 0);
    tt_put_thread_start(s1, 2001);
    want_add(1, (struct tt_record){ .kind = TT_THREAD_START, .thread.tid = 2001 });
    heap(s1, TT_HEAP_MALLOC, MALLOC, 0x555555555244, 0x7ffff0000b70, 24, 0);
    mem(s1, 0x555555555248, 0x7ffff0000b70, 3, true, 2);
    tt_put_thread_exit(s1, 2001, 0);
    want_add(1, (struct tt_record){ .kind = TT_THREAD_EXIT, .thread = { 2001, 0 } });
    tt_stream_flush(s1);

    tt_put_thread_exit(s0, 2000, 0);
    want_add(0, (struct tt_record){ .kind = TT_THREAD_EXIT, .thread = { 2000, 0 } });
    if (tt_writer_close(w, NULL, &err) != 0) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    return 1;
}

static int heap_equal(const struct tt_record *got, const struct tt_record *want, char *why, size_t n)
{
    if (got->kind != want->kind) {
        snprintf(why, n, "kind %u, want %u", got->kind, want->kind);
        return 0;
    }
    if (want->kind != TT_HEAP)
        return record_equal(got, want, why, n);
    if (got->heap.kind != want->heap.kind || got->heap.func != want->heap.func || got->heap.call != want->heap.call ||
        got->heap.addr != want->heap.addr || got->heap.size != want->heap.size || got->heap.old != want->heap.old) {
        snprintf(why, n, "heap %u %llx %llx %llx %llu %llx", got->heap.kind, (unsigned long long)got->heap.func,
                 (unsigned long long)got->heap.call, (unsigned long long)got->heap.addr,
                 (unsigned long long)got->heap.size, (unsigned long long)got->heap.old);
        return 0;
    }
    return 1;
}

static int same_records(const char *path, unsigned flags, char *why, size_t whylen)
{
    return expect_same_records(path, flags, want, heap_equal, why, whylen);
}

/* The trailer's record count of stream 0. */
static uint64_t trailer_records(const char *path)
{
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, TT_READ_MERGED, &err);
    const struct tt_trailer *t = r ? tt_reader_trailer(r) : NULL;
    uint64_t n = UINT64_MAX;
    for (uint32_t i = 0; t && i < t->nstreams; i++)
        if (t->streams[i].stream == 0)
            n = t->streams[i].records;
    if (r)
        tt_reader_close(r);
    return n;
}

/* A copy of path with the body length of the first heap event (after
 * the first thread-start record) made one byte short of its fields. */
static int cut_heap(const char *path, const char *out)
{
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    static const uint8_t first[] = { TT_TAG_THREAD_START, 0xd0, 0x0f, TT_TAG_HEAP };
    uint8_t *p = memmem(buf, n, first, sizeof first);
    if (!p)
        return 0;
    /* The chunk is stored raw: its CRC is recomputed over the change. */
    uint8_t *chunk = NULL;
    for (uint8_t *c = buf; (c = memmem(c, (size_t)(p - c), TT_CHUNK_MAGIC, 4)); c += 4)
        chunk = c;
    if (!chunk)
        return 0;
    p[4]--;
    uint32_t stored = tt_le32(chunk + 24);
    tt_put_le32(chunk + 28, tt_crc32c(0, chunk + TT_CHUNK_HEADER, stored));
    tt_put_le32(chunk + 32, tt_crc32c(0, chunk, 32));
    f = fopen(out, "wb");
    int good = f && fwrite(buf, 1, n, f) == n;
    if (f)
        good &= fclose(f) == 0;
    return good;
}

/* A stream of heap events alone, more than one chunk of them: how many the
 * reader returns (every one: a chunk of extension records is a chunk). */
static long heap_only(const char *path, long n)
{
    struct tt_header h = { .arch = "x86_64", .page_size = 4096 };
    struct tt_writer_options o = { .raw = true, .chunk_size = 64 << 10 };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s = w ? tt_stream_get(w, 0, &err) : NULL;
    if (!s)
        return -1;
    for (long i = 0; i < n; i++)
        tt_put_heap(s, TT_HEAP_MALLOC, 0x401000, 0x402000, 0x10000 + 32 * (uint64_t)i, 24, 0);
    tt_stream_flush(s);
    if (tt_writer_close(w, NULL, &err) != 0)
        return -1;
    struct tt_reader *r = tt_reader_open(path, 0, &err);
    struct tt_record rec;
    long got = 0;
    int rc = 0;
    while (r && (rc = tt_reader_next(r, &rec, &err)) > 0)
        got += rec.kind == TT_HEAP;
    if (r)
        tt_reader_close(r);
    return r && rc == 0 ? got : -1;
}

int main(int argc, char **argv)
{
    char why[600] = "", path[4096], cut[4096];
    if (argc == 3 && !strcmp(argv[1], "--generate")) {
        snprintf(path, sizeof path, "%s/v1-heap-raw.tct", argv[2]);
        if (!generate(path, why, sizeof why))
            return fprintf(stderr, "%s\n", why), 1;
        return 0;
    }
    char tmp[] = "/tmp/tcgtrace-heap.XXXXXX";
    if (!mkdtemp(tmp))
        return perror("mkdtemp"), 1;
    snprintf(path, sizeof path, "%s/v1-heap-raw.tct", tmp);
    int pass = generate(path, why, sizeof why);
    ok(pass && same_bytes(path, "tests/golden/v1-heap-raw.tct"),
       "the encoder writes tests/golden/v1-heap-raw.tct byte for byte %s", why);
    unlink(path);
    ok(same_records("tests/golden/v1-heap-raw.tct", 0, why, sizeof why),
       "it decodes to the records written, heap events included, later kinds and tags skipped %s", why);
    ok(same_records("tests/golden/v1-heap-raw.tct", TT_READ_MERGED, why, sizeof why),
       "in merged order too %s", why);
    ok(trailer_records("tests/golden/v1-heap-raw.tct") == 4,
       "the trailer counts stream 0's 4 records, not its heap events");
    snprintf(cut, sizeof cut, "%s/only.tct", tmp);
    {
        long got = heap_only(cut, 10000);
        ok(got == 10000, "10000 heap events alone in a stream (several chunks of them): all read back (%ld)", got);
        unlink(cut);
    }
    snprintf(cut, sizeof cut, "%s/cut.tct", tmp);
    struct tt_error err;
    struct tt_reader *r = cut_heap("tests/golden/v1-heap-raw.tct", cut) ? tt_reader_open(cut, 0, &err) : NULL;
    struct tt_record rec;
    int rc = 1;
    while (r && (rc = tt_reader_next(r, &rec, &err)) > 0)
        ;
    ok(r && rc == TT_E_CORRUPT && strstr(err.msg, "heap event cut short"), "a heap event cut short is an error: %s",
       r ? err.msg : "no trace");
    if (r)
        tt_reader_close(r);
    unlink(cut);
    rmdir(tmp);
    for (int i = 0; i < 2; i++)
        expect_free(&want[i]);
    return tap_done();
}
