/* Header fields added to version 1 (docs/format.md, "Additions to version
 * 1"): 13, the records per kind, filled in by the writer when it finishes,
 * and 12, the sysroot. tests/golden/v1-counts-raw.tct and
 * v1-sysroot-raw.tct hold one each; this test checks that
 *   - the encoder writes them byte for byte;
 *   - the counts are those of the records the reader returns, kind by kind
 *     (definitions included), and the header's CRC holds after the rewrite;
 *   - tt_header_sysroot gives the sysroot, NULL for a trace without one;
 *   - a reader that does not know a key reads the same records (the key
 *     renamed to an unknown one, CRC fixed);
 *   - the counts are zero while the recording runs, filled in at a seal;
 *   - 14, the process replaced itself: set in a seal's header, cleared at
 *     close, skipped by a reader that does not know it.
 *
 * Regenerate (only when the format changes, see docs/format.md):
 *   build/tests/test_format_header --generate tests/golden */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "tcgtrace/reader.h"
#include "tcgtrace/writer.h"

static const char *const golden_argv[] = { "/usr/bin/counts", "1" };
#define SYSROOT "/usr/aarch64-linux-gnu"

static struct tt_header header(void)
{
    return (struct tt_header){
        .arch = "aarch64", .page_size = 4096, .qemu_version = "10.0.0", .argc = 2, .argv = golden_argv,
        .start_time_ns = 1700000000000000000ull, .tcgtrace_version = "0.1.0", .plugin = "execlog",
        .plugin_options = "format=bin,reg=x0",
        .features = TT_FEAT_INSNS | TT_FEAT_MEMORY | TT_FEAT_REGISTERS | TT_FEAT_SYSCALLS,
        .has_kind_counts = true,
    };
}

/* Records of most kinds on two streams; s0 is left unflushed. */
static void put_records(struct tt_writer *w, struct tt_stream *s0, struct tt_stream *s1)
{
    static const uint8_t nop[4] = { 0x1f, 0x20, 0x03, 0xd5 }, ldr[4] = { 0x20, 0x00, 0x40, 0xf9 };
    static const uint64_t args[6] = { 1, 0x4000, 5, 0, 0, 0 };
    uint32_t i0 = tt_def_insn(w, 0x400000, nop, 4, "nop");
    uint32_t i1 = tt_def_insn(w, 0x400004, ldr, 4, "ldr x0, [x1]");
    uint32_t r0 = tt_def_reg(w, "x0", 8);
    uint8_t x0[8] = { 42 };
    tt_put_thread_start(s0, 100);
    tt_put_module(s0, "/usr/bin/counts", 0, 0x400000, 0x401000);
    for (int k = 0; k < 10; k++) {
        tt_put_insn(s0, i0, 0x400000);
        tt_put_insn(s0, i1, 0x400004);
        tt_put_mem_value(s0, 0x400004, 0x500000 + 8 * (uint64_t)k, 3, false, (uint64_t)k, 0);
        x0[0] = (uint8_t)k;
        tt_put_reg(s0, r0, x0, sizeof x0);
    }
    tt_put_syscall(s0, 64, args);
    tt_put_sysret(s0, 64, 5);
    tt_put_map(s0, 0x500000, 0x1000, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_MMAP);
    tt_put_lost(s0, TT_REG, 1);
    tt_stream_flush(s0);
    tt_put_thread_start(s1, 101);
    tt_put_insn(s1, i0, 0x400000);
    tt_put_thread_exit(s1, 101, 0);
    tt_stream_flush(s1);
    tt_put_insn(s0, i0, 0x400000);
    tt_put_thread_exit(s0, 100, 0);
}

/* sysroot: the sysroot golden file's header (which has no counts). */
static int generate(const char *path, const char *sysroot, char *why, size_t whylen)
{
    struct tt_header h = header();
    if (sysroot) {
        h.sysroot = sysroot;
        h.has_kind_counts = false;
    }
    struct tt_writer_options o = { .raw = true, .synchronous = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    struct tt_stream *s0 = w ? tt_stream_get(w, 0, &err) : NULL, *s1 = w ? tt_stream_get(w, 1, &err) : NULL;
    if (!s0 || !s1) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    put_records(w, s0, s1);
    if (tt_writer_close(w, NULL, &err)) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    return 1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = malloc(1 << 20);
    *len = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    return b;
}

/* The sysroot of the last trace read_counts read, "(null)" for none: the
 * header's strings live as long as the reader. */
static char sysroot_read[256];

/* The header of path and the records per kind the reader returns (0
 * when it fails, with why). */
static int read_counts(const char *path, struct tt_header *h, uint64_t kinds[TT_KIND_COUNT], char *why, size_t whylen)
{
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, TT_READ_DEFS, &err);
    if (!r) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    *h = *tt_reader_header(r);
    const char *root = tt_header_sysroot(h);
    snprintf(sysroot_read, sizeof sysroot_read, "%s", root ? root : "(null)");
    memset(kinds, 0, TT_KIND_COUNT * sizeof kinds[0]);
    struct tt_record rec;
    int rc;
    while ((rc = tt_reader_next(r, &rec, &err)) > 0)
        if (rec.kind < TT_KIND_COUNT)
            kinds[rec.kind]++;
    if (rc < 0)
        snprintf(why, whylen, "%s", err.msg);
    tt_reader_close(r);
    return rc == 0;
}

/* Writes trace (len bytes) to path with header field key renamed to one
 * no reader knows, its CRC fixed. */
static void unknown_key(uint8_t *trace, size_t len, unsigned key, const char *path)
{
    if (!trace)
        return;
    uint32_t hlen = tt_le32(trace + 12);
    for (uint32_t p = TT_HEADER_FIXED; p + 6 <= hlen - 4; p += 6 + tt_le32(trace + p + 2))
        if (tt_le16(trace + p) == key)
            tt_put_le16(trace + p, 999);
    tt_put_le32(trace + hlen - 4, tt_crc32c(0, trace, hlen - 4));
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(trace, 1, len, f);
        fclose(f);
    }
}

static int same_counts(const struct tt_header *h, const uint64_t kinds[TT_KIND_COUNT], char *why, size_t whylen)
{
    for (unsigned k = 1; k < TT_KIND_COUNT; k++)
        if (h->kind_counts[k] != kinds[k]) {
            snprintf(why, whylen, "kind %s: header %llu, records %llu", tt_kind_name(k),
                     (unsigned long long)h->kind_counts[k], (unsigned long long)kinds[k]);
            return 0;
        }
    return 1;
}

int main(int argc, char **argv)
{
    char why[600] = "", path[4096];
    if (argc == 3 && !strcmp(argv[1], "--generate")) {
        snprintf(path, sizeof path, "%s/v1-counts-raw.tct", argv[2]);
        if (!generate(path, NULL, why, sizeof why))
            return fprintf(stderr, "%s\n", why), 1;
        snprintf(path, sizeof path, "%s/v1-sysroot-raw.tct", argv[2]);
        if (!generate(path, SYSROOT, why, sizeof why))
            return fprintf(stderr, "%s\n", why), 1;
        return 0;
    }
    char dir[] = "/tmp/tcgtrace-test-header.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/counts.tct", dir);

    size_t glen = 0, len = 0;
    uint8_t *golden = slurp("tests/golden/v1-counts-raw.tct", &glen);
    int pass = generate(path, NULL, why, sizeof why);
    uint8_t *got = slurp(path, &len);
    ok(pass && golden && got && len == glen && !memcmp(got, golden, len),
       "the encoder writes tests/golden/v1-counts-raw.tct byte for byte %s", why);

    struct tt_header h;
    uint64_t kinds[TT_KIND_COUNT];
    why[0] = '\0';
    pass = read_counts("tests/golden/v1-counts-raw.tct", &h, kinds, why, sizeof why);
    ok(pass && h.has_kind_counts, "v1-counts-raw.tct reads whole, with records per kind %s", why);
    ok(pass && same_counts(&h, kinds, why, sizeof why) && kinds[TT_INSN] == 22 && kinds[TT_MEM] == 10 &&
           kinds[TT_DEF_INSN] == 2,
       "  ... those of the records read, definitions included (insn %llu, mem %llu) %s",
       (unsigned long long)kinds[TT_INSN], (unsigned long long)kinds[TT_MEM], why);

    /* A reader that does not know key 13: the same key renamed. */
    unknown_key(golden, glen, TT_F_KIND_COUNTS, path);
    uint64_t unknown[TT_KIND_COUNT];
    struct tt_header h2;
    pass = read_counts(path, &h2, unknown, why, sizeof why);
    ok(pass && !h2.has_kind_counts && !memcmp(kinds, unknown, sizeof kinds),
       "a reader without key 13 skips it and reads the same records %s", why);
    unknown_key(golden, glen, TT_F_REPLACED, path);
    pass = read_counts(path, &h2, unknown, why, sizeof why);
    ok(pass && !h2.replaced && !memcmp(kinds, unknown, sizeof kinds),
       "a reader without key 14 either skips it and reads the same records %s", why);

    /* The sysroot. */
    free(golden);
    free(got);
    golden = slurp("tests/golden/v1-sysroot-raw.tct", &glen);
    pass = generate(path, SYSROOT, why, sizeof why);
    got = slurp(path, &len);
    ok(pass && golden && got && len == glen && !memcmp(got, golden, len),
       "the encoder writes tests/golden/v1-sysroot-raw.tct byte for byte %s", why);
    pass = read_counts("tests/golden/v1-sysroot-raw.tct", &h, kinds, why, sizeof why);
    ok(pass && !strcmp(sysroot_read, SYSROOT) && !h.has_kind_counts, "tt_header_sysroot: '%s' %s", sysroot_read,
       why);
    unknown_key(golden, glen, TT_F_SYSROOT, path);
    pass = read_counts(path, &h2, unknown, why, sizeof why);
    ok(pass && !strcmp(sysroot_read, "(null)") && !memcmp(kinds, unknown, sizeof kinds),
       "a reader without key 12 skips it and reads the same records %s", why);
    pass = read_counts("tests/golden/v1-raw.tct", &h2, unknown, why, sizeof why);
    ok(pass && !strcmp(sysroot_read, "(null)"), "tt_header_sysroot: NULL for a trace without one %s", why);

    /* While recording, then sealed. */
    struct tt_header hh = header();
    struct tt_writer_options o = { .chunk_size = 64 * 1024 };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &hh, &o, &err);
    struct tt_stream *s0 = tt_stream_get(w, 0, &err), *s1 = tt_stream_get(w, 1, &err);
    put_records(w, s0, s1);
    tt_stream_flush(s0);
    usleep(100000);
    struct tt_error rerr;
    struct tt_reader *r = tt_reader_open(path, 0, &rerr);
    const struct tt_header *rh = r ? tt_reader_header(r) : NULL;
    uint64_t sum = 0;
    for (unsigned k = 0; rh && k < TT_KIND_COUNT; k++)
        sum += rh->kind_counts[k];
    ok(rh && rh->has_kind_counts && sum == 0, "recording: the field is there, all zero");
    tt_reader_close(r);
    tt_stream_park(s0);
    tt_writer_seal(w, &err);
    pass = read_counts(path, &h, kinds, why, sizeof why);
    ok(pass && same_counts(&h, kinds, why, sizeof why) && kinds[TT_THREAD_EXIT] == 2,
       "sealed: the counts of what the trace holds %s", why);
    ok(pass && h.replaced, "sealed: the process replaced itself (key 14)");
    tt_writer_unseal(w);
    tt_stream_unpark(s0);
    tt_writer_close(w, NULL, &err);
    pass = read_counts(path, &h, kinds, why, sizeof why);
    ok(pass && !h.replaced, "closed: key 14 says it did not %s", why);

    free(golden);
    free(got);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
