/* Sealing a trace before execve (tt_writer_seal): the file is then a whole
 * trace of what was recorded, parked streams included and running ones
 * left alone; after tt_writer_unseal (execve failed) the trace goes on and
 * ends whole at close; seals nest; synchronous writers too. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "tcgtrace/reader.h"
#include "tcgtrace/writer.h"

static char dir[] = "/tmp/tcgtrace-test-seal.XXXXXX";

static const struct tt_header hdr = { .arch = "x86_64", .page_size = 4096, .plugin = "memtrace",
                                      .features = TT_FEAT_SYSCALLS };

static void put(struct tt_stream *s, unsigned n)
{
    static const uint64_t args[6] = { 1, 2, 3, 4, 5, 6 };
    for (unsigned i = 0; i < n; i++)
        tt_put_syscall(s, i, args);
}

/* What the file holds now: records per stream (0 to 3), and whether it
 * reads to a trailer. */
struct seen {
    uint64_t recs[4];
    bool whole;
    char err[600];
};

static struct seen read_trace(const char *path)
{
    struct seen r = { { 0 }, false, "" };
    struct tt_error err;
    struct tt_reader *rd = tt_reader_open(path, 0, &err);
    if (!rd) {
        snprintf(r.err, sizeof r.err, "%s", err.msg);
        return r;
    }
    struct tt_record rec;
    int rc;
    while ((rc = tt_reader_next(rd, &rec, &err)) > 0)
        if (rec.stream < 4)
            r.recs[rec.stream]++;
    r.whole = rc == 0 && tt_reader_trailer(rd);
    if (rc < 0)
        snprintf(r.err, sizeof r.err, "%s", err.msg);
    tt_reader_close(rd);
    return r;
}

/* A guest thread: records, then sits in a "system call" (parked) until
 * told to go on, then records again. */
struct guest {
    struct tt_stream *s;
    unsigned before, after;
    bool park;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stage; /* 1: recorded and (maybe) parked; 2: go on */
};

static void *guest_main(void *arg)
{
    struct guest *g = arg;
    put(g->s, g->before);
    if (g->park)
        tt_stream_park(g->s);
    pthread_mutex_lock(&g->lock);
    g->stage = 1;
    pthread_cond_broadcast(&g->cond);
    while (g->stage != 2)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    if (g->park)
        tt_stream_unpark(g->s);
    put(g->s, g->after);
    return NULL;
}

static void stage(struct guest *g, int want)
{
    pthread_mutex_lock(&g->lock);
    if (want == 2) {
        g->stage = 2;
        pthread_cond_broadcast(&g->cond);
    }
    while (g->stage != want)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void threaded(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/threaded.tct", dir);
    struct tt_error err;
    struct tt_writer_options o = { .chunk_size = 64 * 1024 };
    struct tt_writer *w = tt_writer_open(path, &hdr, &o, &err);
    struct tt_stream *s0 = tt_stream_get(w, 0, &err);
    struct guest g[2] = {
        { .before = 1000, .after = 500, .park = true },   /* blocked in a syscall */
        { .before = 700, .after = 300, .park = false },   /* running guest code */
    };
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        g[i].s = tt_stream_get(w, (uint32_t)i + 1, &err);
        pthread_mutex_init(&g[i].lock, NULL);
        pthread_cond_init(&g[i].cond, NULL);
        pthread_create(&t[i], NULL, guest_main, &g[i]);
        stage(&g[i], 1);
    }
    put(s0, 3000);
    tt_stream_park(s0);
    ok(tt_writer_seal(w, &err) == 0, "seal: no error");
    struct seen r = read_trace(path);
    ok(r.whole && !r.err[0], "sealed: the file is a whole trace (%s)", r.err);
    ok(r.recs[0] == 3000 && r.recs[1] == 1000,
       "sealed: the caller's and the parked thread's records are all in it (%llu, %llu)",
       (unsigned long long)r.recs[0], (unsigned long long)r.recs[1]);
    ok(r.recs[2] == 0, "sealed: a running thread's buffer is left to it (%llu)", (unsigned long long)r.recs[2]);

    /* A second seal on top (another thread's execve): what came since is
     * in its trailer. */
    tt_stream_unpark(s0);
    put(s0, 200);
    tt_stream_park(s0);
    ok(tt_writer_seal(w, &err) == 0, "a second seal: no error");
    r = read_trace(path);
    ok(r.whole && r.recs[0] == 3200, "a second seal: whole, with the records since (%llu)",
       (unsigned long long)r.recs[0]);
    tt_writer_unseal(w);
    r = read_trace(path);
    ok(r.whole, "one unseal of two: still sealed");

    /* execve failed: the trace goes on. */
    tt_writer_unseal(w);
    r = read_trace(path);
    ok(!r.whole && r.recs[0] == 3200, "unsealed: the trailer is cut off, the records stay (%s)", r.err);
    tt_stream_unpark(s0);
    put(s0, 100);
    for (int i = 0; i < 2; i++) {
        stage(&g[i], 2);
        pthread_join(t[i], NULL);
    }
    ok(tt_writer_close(w, NULL, &err) == 0, "close: no error");
    r = read_trace(path);
    ok(r.whole && !r.err[0], "closed: a whole trace (%s)", r.err);
    ok(r.recs[0] == 3300 && r.recs[1] == 1500 && r.recs[2] == 1000,
       "closed: every record of every stream (%llu, %llu, %llu)", (unsigned long long)r.recs[0],
       (unsigned long long)r.recs[1], (unsigned long long)r.recs[2]);
}

/* Back-pressure while sealed: a running thread that fills the queue waits
 * for the unseal instead of writing past the trailer. */
static void *filler(void *arg)
{
    put(arg, 200000);
    return NULL;
}

static void held(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/held.tct", dir);
    struct tt_error err;
    struct tt_writer_options o = { .chunk_size = 64 * 1024, .queue = 2 };
    struct tt_writer *w = tt_writer_open(path, &hdr, &o, &err);
    struct tt_stream *s0 = tt_stream_get(w, 0, &err), *s1 = tt_stream_get(w, 1, &err);
    put(s0, 10);
    tt_stream_park(s0);
    tt_writer_seal(w, &err);
    pthread_t t;
    pthread_create(&t, NULL, filler, s1);
    usleep(200000);
    struct seen r = read_trace(path);
    ok(r.whole && r.recs[0] == 10 && r.recs[1] == 0,
       "sealed while another thread fills its buffers: nothing written past the trailer (%s)", r.err);
    tt_writer_unseal(w);
    pthread_join(t, NULL);
    tt_stream_unpark(s0);
    tt_writer_close(w, NULL, &err);
    r = read_trace(path);
    ok(r.whole && r.recs[0] == 10 && r.recs[1] == 200000, "unsealed: the held buffers follow (%llu)",
       (unsigned long long)r.recs[1]);
}

static void synchronous(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/sync.tct", dir);
    struct tt_error err;
    struct tt_writer_options o = { .chunk_size = 64 * 1024, .synchronous = true };
    struct tt_writer *w = tt_writer_open(path, &hdr, &o, &err);
    struct tt_stream *s0 = tt_stream_get(w, 0, &err);
    put(s0, 50);
    tt_stream_park(s0);
    tt_writer_seal(w, &err);
    struct seen r = read_trace(path);
    ok(r.whole && r.recs[0] == 50, "synchronous: sealed, whole (%s)", r.err);
    tt_stream_unpark(s0);
    put(s0, 50);
    tt_stream_flush(s0);
    r = read_trace(path);
    ok(!r.whole && r.recs[0] == 100, "synchronous: a hand-off after the seal goes on past the trailer (%s)",
       r.err);
    tt_writer_unseal(w);
    tt_writer_close(w, NULL, &err);
    r = read_trace(path);
    ok(r.whole && r.recs[0] == 100, "synchronous: whole at close (%s)", r.err);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    threaded();
    held();
    synchronous();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}
