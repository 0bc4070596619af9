/* Call records (docs/format.md, "Call"), TT_TAG_CALL, which the reader
 * returns as records of kind TT_CALL. Checks that
 *   - one encodes to the bytes the format gives: its pc relative to the
 *     stream's last one;
 *   - the reader returns it in its stream's order with its pc, and the
 *     memory access after it decodes as if it were not there (a reader
 *     that skips it keeps the same delta state);
 *   - the chunks' and the trailer's record counts leave it out, the
 *     header's records per kind count it;
 *   - one cut short, and one in the metadata stream, are errors;
 *   - tests/golden/v1-counts15-raw.tct, written when the writer counted 15
 *     kinds in header field 13, reads with its counts, 0 calls. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/internal.h"
#include "tap.h"
#include "test_read.h"
#include "tcgtrace/reader.h"
#include "tcgtrace/writer.h"

static struct tt_writer *open_trace(const char *path)
{
    struct tt_header h = { .arch = "aarch64", .page_size = 4096, .features = TT_FEAT_MEMORY | TT_FEAT_CALLS,
                           .has_kind_counts = true };
    struct tt_writer_options o = { .raw = true, .synchronous = true };
    struct tt_error err;
    return tt_writer_open(path, &h, &o, &err);
}

/* A record as "kind@pc" (0 for kinds without one). */
static int kind_pc(const struct tt_record *rec, char *buf, size_t n)
{
    uint64_t pc = rec->kind == TT_CALL ? rec->call.pc : rec->kind == TT_MEM ? rec->mem.pc : 0;
    return snprintf(buf, n, "%s@%llx", tt_kind_name(rec->kind), (unsigned long long)pc);
}

/* Reads path: its records in order, or the error; the trailer's record
 * total in *records, the header's count of calls in *calls. */
static int read_all(const char *path, char *out, size_t n, uint64_t *records, uint64_t *calls)
{
    struct tt_header h;
    int rc = test_read(path, 0, kind_pc, out, n, records, &h);
    *calls = rc >= 0 ? h.kind_counts[TT_CALL] : 0;
    return rc;
}

/* A trace whose stream 1 holds a load at 0x401000, a call at 0x400ff8, a
 * load at 0x401010; the call's body replaced by the n bytes at body when
 * not NULL. */
static int write_calls(const char *path, const uint8_t *body, size_t n)
{
    struct tt_error err;
    struct tt_writer *w = open_trace(path);
    struct tt_stream *s = w ? tt_stream_get(w, 1, &err) : NULL;
    if (!s)
        return -1;
    tt_put_mem(s, 0x401000, 0x10000, 3, false);
    if (body) {
        uint8_t *len, *p = tt_ext_begin_(s, TT_TAG_CALL, &len);
        memcpy(p, body, n);
        tt_ext_end_(s, p + n, len, TT_CALL);
    } else {
        tt_put_call(s, 0x400ff8);
    }
    tt_put_mem(s, 0x401010, 0x10008, 3, false);
    return tt_writer_close(w, NULL, &err);
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-call.XXXXXX", path[4096], got[1024];
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    snprintf(path, sizeof path, "%s/t.tct", dir);
    struct tt_error err;
    uint64_t records, calls;

    /* Its bytes: 8 bytes before the last pc, zigzag 15. */
    struct tt_writer *w = open_trace(path);
    struct tt_stream *s = w ? tt_stream_get(w, 1, &err) : NULL;
    if (!s) {
        printf("Bail out! cannot write %s\n", path);
        return 1;
    }
    tt_put_mem(s, 0x401000, 0x10000, 3, false);
    uint8_t *start = s->p;
    tt_put_call(s, 0x400ff8);
    static const uint8_t want[] = { TT_TAG_CALL, 1, 15 };
    ok(s->p - start == (ptrdiff_t)sizeof want && !memcmp(start, want, sizeof want),
       "a call 8 bytes before the last pc: tag, length 1, zigzag 15");
    ok(s->last_pc == 0x401000, "  ... the stream's last pc stays that of the access before");
    tt_writer_close(w, NULL, &err);

    ok(write_calls(path, NULL, 0) == 0 && read_all(path, got, sizeof got, &records, &calls) == 0 &&
           !strcmp(got, "mem@401000 call@400ff8 mem@401010"),
       "read in its stream's order, the access after it as written: %s", got);
    ok(records == 2 && calls == 1, "the trailer counts the 2 accesses (%llu), the header 1 call (%llu)",
       (unsigned long long)records, (unsigned long long)calls);

    static const uint8_t longer[] = { 15, 0x7f, 0x7f };
    ok(write_calls(path, longer, sizeof longer) == 0 &&
           read_all(path, got, sizeof got, &records, &calls) == 0 && !strcmp(got, "mem@401000 call@400ff8 mem@401010"),
       "bytes after the pc, within the length, are skipped: %s", got);
    ok(write_calls(path, longer, 0) == 0 && read_all(path, got, sizeof got, &records, &calls) < 0 &&
           strstr(got, "call cut short"),
       "a call with no pc is an error: %s", got);
    struct tt_dstate st = { 0 };
    struct tt_record rec;
    const uint8_t *p = want;
    ok(tt_decode(&st, NULL, true, &p, want + sizeof want, &rec, got, sizeof got) == TT_E_CORRUPT &&
           strstr(got, "call in the metadata stream"),
       "a call in the metadata stream is an error: %s", got);
    st.last_pc = 0x401000;
    p = want;
    ok(tt_decode(&st, NULL, false, &p, want + sizeof want, &rec, got, sizeof got) == 0 && rec.kind == TT_CALL &&
           rec.call.pc == 0x400ff8 && st.last_pc == 0x401000 && p == want + sizeof want,
       "decoded alone: an extension (0), the decoding state untouched");

    /* Header field 13 as a writer of 15 kinds wrote it. */
    struct tt_reader *r = tt_reader_open("tests/golden/v1-counts15-raw.tct", TT_READ_DEFS, &err);
    const struct tt_header *h = r ? tt_reader_header(r) : NULL;
    uint64_t kinds[TT_KIND_COUNT] = { 0 };
    int rc = 0;
    while (r && (rc = tt_reader_next(r, &rec, &err)) > 0)
        kinds[rec.kind]++;
    bool same = h && h->has_kind_counts && rc == 0;
    for (unsigned k = 1; same && k < TT_KIND_COUNT; k++)
        same = h->kind_counts[k] == kinds[k];
    ok(same && kinds[TT_INSN] == 22 && kinds[TT_CALL] == 0,
       "v1-counts15-raw.tct: the counts of its records, kind by kind, 0 calls");
    if (r)
        tt_reader_close(r);

    unlink(path);
    rmdir(dir);
    return tap_done();
}
