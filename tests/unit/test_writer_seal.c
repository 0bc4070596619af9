/* Sealing a trace before execve (tt_writer_seal): the file is then a whole
 * trace of what was recorded, parked streams included, running ones handed
 * over at their next record or, when they record nothing, counted lost;
 * after tt_writer_unseal (execve failed) the trace goes on and ends whole
 * at close; seals nest; synchronous writers too. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "tcgtrace/reader.h"
#include "tcgtrace/writer.h"

static char dir[] = "/tmp/tcgtrace-test-seal.XXXXXX";

static const struct tt_header hdr = { .arch = "x86_64", .page_size = 4096, .plugin = "memtrace",
                                      .features = TT_FEAT_SYSCALLS, .has_kind_counts = true };

static void put(struct tt_stream *s, unsigned n)
{
    static const uint64_t args[6] = { 1, 2, 3, 4, 5, 6 };
    for (unsigned i = 0; i < n; i++)
        tt_put_syscall(s, i, args);
}

/* A writer on dir/NAME.tct (path gets it), in chunks of 64 KiB unless o
 * says otherwise. */
static struct tt_writer *open_trace(char path[static 128], const char *name, struct tt_writer_options o)
{
    struct tt_error err;
    snprintf(path, 128, "%s/%s.tct", dir, name);
    if (!o.chunk_size)
        o.chunk_size = 64 * 1024;
    return tt_writer_open(path, &hdr, &o, &err);
}

/* What the file holds now: records per stream (0 to 3), whether it reads
 * to a trailer, and the records its trailer says were lost, with why; and
 * whether its header says the process replaced itself. */
struct seen {
    uint64_t recs[4], lost[4];
    int why;
    bool whole, replaced;
    char err[600];
};

static struct seen read_trace(const char *path)
{
    struct seen r = { { 0 }, { 0 }, 0, false, false, "" };
    struct tt_error err;
    struct tt_reader *rd = tt_reader_open(path, 0, &err);
    if (!rd) {
        snprintf(r.err, sizeof r.err, "%s", err.msg);
        return r;
    }
    r.replaced = tt_reader_header(rd)->replaced;
    struct tt_record rec;
    int rc;
    while ((rc = tt_reader_next(rd, &rec, &err)) > 0)
        if (rec.stream < 4)
            r.recs[rec.stream]++;
    const struct tt_trailer *t = rc == 0 ? tt_reader_trailer(rd) : NULL;
    r.whole = t != NULL;
    for (uint32_t i = 0; t && i < t->nstreams; i++)
        if (t->streams[i].stream < 4)
            r.lost[t->streams[i].stream] = t->streams[i].lost;
    r.why = t ? t->write_errno : 0;
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
    struct tt_error err;
    struct tt_writer *w = open_trace(path, "threaded", (struct tt_writer_options){ 0 });
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
    ok(r.replaced, "sealed: the header says the process replaced itself");
    ok(r.recs[0] == 3000 && r.recs[1] == 1000,
       "sealed: the caller's and the parked thread's records are all in it (%llu, %llu)",
       (unsigned long long)r.recs[0], (unsigned long long)r.recs[1]);
    ok(r.recs[2] == 0 && r.lost[2] == 700 && r.lost[0] == 0 && r.lost[1] == 0 && r.why == ECANCELED,
       "sealed: a running thread that records nothing has its buffer counted lost (%llu in it, %llu lost, errno %d)",
       (unsigned long long)r.recs[2], (unsigned long long)r.lost[2], r.why);

    /* A second seal on top (another thread's execve): what came since is
     * in its trailer. */
    struct tt_stream *s3 = tt_stream_get(w, 3, &err);
    put(s3, 200);
    tt_stream_park(s3);
    ok(tt_writer_seal(w, &err) == 0, "a second seal: no error");
    r = read_trace(path);
    ok(r.whole && r.recs[0] == 3000 && r.recs[3] == 200 && r.lost[2] == 700,
       "a second seal: whole, with the records since, the running thread's counted again (%llu, %llu)",
       (unsigned long long)r.recs[3], (unsigned long long)r.lost[2]);
    tt_writer_unseal(w);
    r = read_trace(path);
    ok(r.whole, "one unseal of two: still sealed");

    /* execve failed: the trace goes on. */
    tt_writer_unseal(w);
    r = read_trace(path);
    ok(!r.whole && r.recs[0] == 3000, "unsealed: the trailer is cut off, the records stay (%s)", r.err);
    tt_stream_unpark(s0);
    tt_stream_unpark(s3);
    put(s0, 300);
    for (int i = 0; i < 2; i++) {
        stage(&g[i], 2);
        pthread_join(t[i], NULL);
    }
    ok(tt_writer_close(w, NULL, &err) == 0, "close: no error");
    r = read_trace(path);
    ok(r.whole && !r.err[0], "closed: a whole trace (%s)", r.err);
    ok(!r.replaced, "closed: the header no longer says the process replaced itself");
    ok(r.recs[0] == 3300 && r.recs[1] == 1500 && r.recs[2] == 1000 && r.recs[3] == 200,
       "closed: every record of every stream (%llu, %llu, %llu, %llu)", (unsigned long long)r.recs[0],
       (unsigned long long)r.recs[1], (unsigned long long)r.recs[2], (unsigned long long)r.recs[3]);
    ok(!r.lost[2] && !r.why, "closed: none lost (%llu)", (unsigned long long)r.lost[2]);
}

/* A thread that goes on recording while another seals: it hands its
 * buffer over at its next record and records nothing more until the seal
 * is lifted. */
struct busy {
    struct tt_stream *s;
    _Atomic unsigned n; /* records put */
    _Atomic bool stop;
};

static void *busy_main(void *arg)
{
    struct busy *b = arg;
    while (!atomic_load(&b->stop)) {
        put(b->s, 1);
        atomic_fetch_add(&b->n, 1);
    }
    return NULL;
}

static void running(void)
{
    char path[128];
    struct tt_error err;
    struct tt_writer *w = open_trace(path, "running", (struct tt_writer_options){ 0 });
    struct tt_stream *s0 = tt_stream_get(w, 0, &err);
    struct busy b = { .s = tt_stream_get(w, 1, &err) };
    pthread_t t;
    pthread_create(&t, NULL, busy_main, &b);
    while (atomic_load(&b.n) < 1000)
        sched_yield();
    put(s0, 10);
    tt_stream_park(s0);
    ok(tt_writer_seal(w, &err) == 0, "busy: seal, no error");
    unsigned n = atomic_load(&b.n);
    struct seen r = read_trace(path);
    ok(r.whole && r.recs[1] >= 1000 && r.recs[1] + 1 >= n && !r.lost[1],
       "busy: sealed, the running thread's records are in it (%llu of %u), none lost (%s)",
       (unsigned long long)r.recs[1], n, r.err);
    usleep(20000);
    ok(atomic_load(&b.n) <= n + 1, "busy: it records nothing more while sealed (%u, then %u)", n,
       atomic_load(&b.n));
    tt_writer_unseal(w);
    tt_stream_unpark(s0);
    while (atomic_load(&b.n) < n + 1000)
        sched_yield();
    atomic_store(&b.stop, true);
    pthread_join(t, NULL);
    n = atomic_load(&b.n);
    tt_writer_close(w, NULL, &err);
    r = read_trace(path);
    ok(r.whole && r.recs[1] == n && r.recs[0] == 10, "busy: unsealed, it goes on; every record at close (%llu of %u)",
       (unsigned long long)r.recs[1], n);
}

/* Back-pressure while sealed: a running thread that fills the queue waits
 * for the unseal instead of writing past the trailer. */
static void *filler(void *arg)
{
    put(arg, 200000);
    return NULL;
}

/* Two threads seal at once (two execve calls) while a third, running,
 * records nothing: both seals end, the trace is whole, and the third's
 * records are counted lost once. */
static void *sealer(void *arg)
{
    struct tt_error err;
    return (void *)(intptr_t)tt_writer_seal(arg, &err);
}

static void concurrent(void)
{
    char path[128];
    struct tt_error err;
    struct tt_writer *w = open_trace(path, "concurrent", (struct tt_writer_options){ 0 });
    struct tt_stream *idle = tt_stream_get(w, 2, &err);
    put(idle, 50);
    pthread_t t[2];
    for (uint32_t i = 0; i < 2; i++) {
        struct tt_stream *s = tt_stream_get(w, i, &err);
        put(s, 100);
        tt_stream_park(s); /* in its execve */
    }
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, sealer, w);
    void *rc[2];
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], &rc[i]);
    struct seen r = read_trace(path);
    ok(!rc[0] && !rc[1] && r.whole && r.recs[0] == 100 && r.recs[1] == 100 && r.lost[2] == 50 && r.why == ECANCELED,
       "two seals at once: both done, whole, the idle thread's 50 counted lost (%llu, %llu, %llu; %s)",
       (unsigned long long)r.recs[0], (unsigned long long)r.recs[1], (unsigned long long)r.lost[2], r.err);
    tt_writer_unseal(w);
    tt_writer_unseal(w);
    for (uint32_t i = 0; i < 2; i++)
        tt_stream_unpark(tt_stream_get(w, i, &err));
    tt_writer_close(w, NULL, &err);
    r = read_trace(path);
    ok(r.whole && r.recs[2] == 50 && !r.lost[2], "two seals at once: after both unseals, every record at close");
}

static void held(void)
{
    char path[128];
    struct tt_error err;
    struct tt_writer *w = open_trace(path, "held", (struct tt_writer_options){ .queue = 2 });
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
    struct tt_error err;
    struct tt_writer *w = open_trace(path, "sync", (struct tt_writer_options){ .synchronous = true });
    struct tt_stream *s0 = tt_stream_get(w, 0, &err);
    put(s0, 50);
    tt_stream_park(s0);
    tt_writer_seal(w, &err);
    struct seen r = read_trace(path);
    ok(r.whole && r.recs[0] == 50, "synchronous: sealed, whole (%s)", r.err);
    tt_writer_unseal(w);
    tt_stream_unpark(s0);
    put(s0, 50);
    tt_stream_flush(s0);
    r = read_trace(path);
    ok(!r.whole && r.recs[0] == 100, "synchronous: unsealed, a hand-off goes on past the trailer (%s)", r.err);
    tt_writer_close(w, NULL, &err);
    r = read_trace(path);
    ok(r.whole && r.recs[0] == 100, "synchronous: whole at close (%s)", r.err);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    threaded();
    running();
    concurrent();
    held();
    synchronous();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}
