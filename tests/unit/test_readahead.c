/* Records decoded ahead by a second thread (analysis/readahead.c): the
 * same records in the same order as the reader gives, across many
 * batches, every kind; a module's path kept; a trace cut short ends with
 * the reader's error after every record before it; stopping early; the
 * same on one CPU (no thread). */
#include <sched.h>
#include <unistd.h>

#include "../../analysis/readahead.h"
#include "test_format_gen.h"

enum { NSTREAMS = 3, RECORDS = 100000 };

static struct expect want[NSTREAMS];

static void make_trace(const char *path)
{
    struct tt_header h = { .arch = "riscv64", .plugin = "memtrace", .page_size = 4096 };
    struct tt_writer_options o = { .synchronous = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    if (!w)
        abort();
    struct tt_stream *s[NSTREAMS];
    for (unsigned i = 0; i < NSTREAMS; i++)
        s[i] = tt_stream_get(w, i, &err);
    struct gen_defs defs = { .lock = PTHREAD_MUTEX_INITIALIZER };
    uint64_t r = 42;
    for (int k = 0; k < RECORDS; k++) {
        gen_record(w, s[k % NSTREAMS], &defs, &r, &want[k % NSTREAMS]);
        if (k % 997 == 996)
            tt_stream_flush(s[(k / 997) % NSTREAMS]);
    }
    tt_writer_close(w, NULL, &err);
}

/* Reads path merged both ways: records compared one by one. */
static void compare(const char *path, const char *what)
{
    struct tt_error e1, e2;
    struct tt_reader *r1 = tt_reader_open(path, TT_READ_MERGED, &e1);
    struct tt_reader *r2 = tt_reader_open(path, TT_READ_MERGED, &e2);
    struct readahead *ra = r2 ? readahead_start(r2) : NULL;
    ok(r1 && ra, "%s: opened", what);
    if (!r1 || !ra)
        return;
    size_t n = 0, idx[NSTREAMS] = { 0 }, bad = 0;
    char why[200] = "";
    int rc1, rc2;
    struct tt_record a, b;
    const struct tt_record *bp;
    do {
        rc1 = tt_reader_next(r1, &a, &e1);
        rc2 = readahead_next(ra, &bp, &e2);
        if (rc2 > 0)
            b = *bp;
        if (rc1 != rc2) {
            snprintf(why, sizeof why, "record %zu: rc %d, reader %d", n, rc2, rc1);
            bad++;
            break;
        }
        if (rc1 <= 0)
            break;
        n++;
        if (a.kind != b.kind || a.stream != b.stream) {
            snprintf(why, sizeof why, "record %zu: kind %u stream %u, reader %u %u", n, b.kind, b.stream, a.kind,
                     a.stream);
            bad++;
            break;
        }
        if (b.stream >= NSTREAMS || idx[b.stream] >= want[b.stream].n)
            continue;
        const struct tt_record *w = &want[b.stream].recs[idx[b.stream]++];
        if (b.kind == TT_REG) {
            if (!b.reg.def || b.reg.def->id != (uint32_t)(uintptr_t)w->reg.def || b.reg.len != w->reg.len ||
                b.reg.value) {
                snprintf(why, sizeof why, "record %zu: reg", n);
                bad++;
            }
        } else if (!record_equal(&b, w, why, sizeof why)) {
            bad++;
        }
    } while (!bad);
    ok(!bad, "%s: %zu records the same, in the same order, with the reader's answer at the end %s", what, n, why);
    if (rc1 < 0 && rc1 == rc2)
        ok(e1.code == e2.code && !strcmp(e1.msg, e2.msg), "%s: the reader's error: '%s'", what, e2.msg);
    readahead_stop(ra);
    tt_reader_close(r1);
    tt_reader_close(r2);
}

/* The progress hook: how often, with what. */
struct seen_progress {
    unsigned calls;
    uint64_t last;
    bool ordered, named;
};

static void on_progress(void *arg, const char *pass, uint64_t records)
{
    struct seen_progress *p = arg;
    p->ordered &= records > p->last;
    p->named &= !strcmp(pass, "testing");
    p->last = records;
    p->calls++;
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-readahead-XXXXXX", path[64], cut[80];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/t.tct", dir);
    snprintf(cut, sizeof cut, "%s/cut.tct", dir);
    make_trace(path);
    size_t total = 0;
    for (unsigned i = 0; i < NSTREAMS; i++)
        total += want[i].n;
    ok(total >= RECORDS, "trace of %zu records (read-modify-write ends beside the %d written)", total, RECORDS);
    compare(path, "whole trace");

    FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
    char buf[65536];
    size_t k, left = 0;
    fseek(in, 0, SEEK_END);
    left = (size_t)ftell(in) * 2 / 3;
    rewind(in);
    while (left && (k = fread(buf, 1, left < sizeof buf ? left : sizeof buf, in)) > 0) {
        fwrite(buf, 1, k, out);
        left -= k;
    }
    fclose(in);
    fclose(out);
    compare(cut, "trace cut short");

    /* Stopped after a few records: the thread ends, nothing hangs. */
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, TT_READ_MERGED, &err);
    struct readahead *ra = readahead_start(r);
    struct tt_record rec;
    const struct tt_record *recp;
    int got = 0;
    for (int i = 0; i < 10; i++)
        got += readahead_next(ra, &recp, &err) == 1;
    readahead_stop(ra);
    ok(got == 10 && tt_reader_next(r, &rec, &err) >= 0, "stopped after 10 records, the reader still usable");
    tt_reader_close(r);

    /* The progress hook: every 16 batches, the records handed out so far. */
    r = tt_reader_open(path, TT_READ_MERGED, &err);
    ra = readahead_start(r);
    struct seen_progress sp = { 0, 0, true, true };
    readahead_set_progress(ra, on_progress, &sp, "testing");
    uint64_t handed = 0;
    while ((got = readahead_batch(ra, &recp, &err)) > 0)
        handed += (uint64_t)got;
    readahead_stop(ra);
    tt_reader_close(r);
    ok(sp.calls == (handed + 4095) / 4096 / 16 && sp.calls > 0 && sp.ordered && sp.named && sp.last <= handed,
       "progress: %u calls for %llu records, the last at %llu, increasing, with the pass's name", sp.calls,
       (unsigned long long)handed, (unsigned long long)sp.last);

    /* Pinned to one CPU: read without a thread, the same. */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
    ok(sched_setaffinity(0, sizeof one, &one) == 0, "pinned to one CPU");
    compare(path, "one CPU, whole trace");
    compare(cut, "one CPU, trace cut short");

    for (unsigned i = 0; i < NSTREAMS; i++)
        expect_free(&want[i]);
    unlink(path);
    unlink(cut);
    rmdir(dir);
    return tap_done();
}
