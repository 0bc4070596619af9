/* Records decoded ahead by a second thread: see readahead.h. */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "readahead.h"

/* Batches amortise the hand-over (a lock, a wake-up when one side waits)
 * over many records: 1024 made it cost 0.5 s of system time on xz. Many
 * of them (4.5 MiB) let either side run ahead through the stretches where
 * the other is slow: 16 rather than 4 took a tenth off the analysis's
 * time on memwalk and xz. */
#define BATCH 4096
#define NBATCH 16

struct batch {
    struct tt_record rec[BATCH];
    size_t n;
    /* Module paths copied into it: a batch without any is not read again
     * to free them (the consumer has it in its cache, not this thread). */
    size_t modules;
    bool end;             /* the reader answered rc after rec[n - 1] */
    int rc;
    struct tt_error err;
};

struct readahead {
    struct tt_reader *r;
    bool threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t filled, emptied;
    unsigned full; /* batches filled and not yet given back */
    bool stop;
    /* The reading thread waits for half the batches to be free, not
     * one: each wake-up then fills several (the decoding is faster than
     * the detector, and a wake-up per batch was 7% of the samples on
     * memwalk). */
    bool producer_waits;
    struct batch b[NBATCH];
    unsigned cur; /* the batch the consumer reads */
    size_t pos;
    bool started; /* the consumer holds batch cur */
    readahead_progress_fn *progress;
    void *progress_arg;
    const char *pass;
    uint64_t handed, batches;
};

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n && b->modules; i++)
        if (b->rec[i].kind == TT_MODULE) {
            free((char *)b->rec[i].module.path);
            b->modules--;
        }
    b->n = 0;
}

/* Copies what outlives the reader's next call. false: out of memory. */
static bool keep(struct batch *b, struct tt_record *rec)
{
    if (rec->kind == TT_MODULE) {
        if (!(rec->module.path = strdup(rec->module.path)))
            return false;
        b->modules++;
    }
    if (rec->kind == TT_REG)
        rec->reg.value = NULL;
    return true;
}

static void fill(struct readahead *ra, struct batch *b)
{
    batch_clear(b);
    b->end = false;
    while (b->n < BATCH) {
        int rc = tt_reader_read(ra->r, &b->rec[b->n], BATCH - b->n, &b->err);
        for (int i = 0; i < rc; i++, b->n++)
            if (!keep(b, &b->rec[b->n])) {
                /* The records after it (their module paths not copied)
                 * are dropped: the error ends the reading there. */
                rc = tt_error_set(&b->err, TT_E_NOMEM, 0, "out of memory");
                break;
            }
        if (rc <= 0) {
            b->end = true;
            b->rc = rc;
            return;
        }
    }
}

static void *produce(void *arg)
{
    struct readahead *ra = arg;
    for (unsigned i = 0;; i = (i + 1) % NBATCH) {
        pthread_mutex_lock(&ra->lock);
        if (ra->full == NBATCH) {
            ra->producer_waits = true;
            while (ra->full > NBATCH / 2 && !ra->stop)
                pthread_cond_wait(&ra->emptied, &ra->lock);
            ra->producer_waits = false;
        }
        bool stop = ra->stop;
        pthread_mutex_unlock(&ra->lock);
        if (stop)
            return NULL;
        fill(ra, &ra->b[i]);
        pthread_mutex_lock(&ra->lock);
        ra->full++;
        pthread_cond_signal(&ra->filled);
        pthread_mutex_unlock(&ra->lock);
        if (ra->b[i].end)
            return NULL;
    }
}

struct readahead *readahead_start(struct tt_reader *r)
{
    struct readahead *ra = calloc(1, sizeof *ra);
    if (!ra)
        return NULL;
    ra->r = r;
    pthread_mutex_init(&ra->lock, NULL);
    pthread_cond_init(&ra->filled, NULL);
    pthread_cond_init(&ra->emptied, NULL);
    /* On one CPU the thread would only add hand-overs. */
    cpu_set_t cpus;
    bool spare = sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) > 1;
    ra->threaded = spare && pthread_create(&ra->thread, NULL, produce, ra) == 0;
    return ra;
}

int readahead_batch(struct readahead *ra, const struct tt_record **recs, struct tt_error *err)
{
    for (;;) {
        struct batch *b = &ra->b[ra->cur];
        if (ra->started && ra->pos < b->n) {
            int n = (int)(b->n - ra->pos);
            *recs = &b->rec[ra->pos];
            ra->pos = b->n;
            ra->handed += (uint64_t)n;
            if (ra->progress && ++ra->batches % 16 == 0)
                ra->progress(ra->progress_arg, ra->pass, ra->handed);
            return n;
        }
        if (ra->started && b->end) {
            *err = b->err;
            return b->rc;
        }
        ra->pos = 0;
        if (!ra->threaded) {
            fill(ra, b);
            ra->started = true;
            continue;
        }
        /* The batch goes back to the reading thread: the records handed
         * out last in it are not used after this call. */
        pthread_mutex_lock(&ra->lock);
        if (ra->started) {
            ra->full--;
            ra->cur = (ra->cur + 1) % NBATCH;
            if (ra->producer_waits && ra->full <= NBATCH / 2)
                pthread_cond_signal(&ra->emptied);
        }
        while (!ra->full)
            pthread_cond_wait(&ra->filled, &ra->lock);
        pthread_mutex_unlock(&ra->lock);
        ra->started = true;
    }
}

int readahead_next(struct readahead *ra, const struct tt_record **rec, struct tt_error *err)
{
    struct batch *b = &ra->b[ra->cur];
    if (ra->started && ra->pos < b->n) {
        *rec = &b->rec[ra->pos++];
        return 1;
    }
    int rc = readahead_batch(ra, rec, err);
    if (rc > 0)
        ra->pos -= (size_t)rc - 1;
    return rc > 0 ? 1 : rc;
}

void readahead_set_progress(struct readahead *ra, readahead_progress_fn *fn, void *arg, const char *pass)
{
    ra->progress = fn;
    ra->progress_arg = arg;
    ra->pass = pass;
}

void readahead_stop(struct readahead *ra)
{
    if (!ra)
        return;
    if (ra->threaded) {
        pthread_mutex_lock(&ra->lock);
        ra->stop = true;
        pthread_cond_signal(&ra->emptied);
        pthread_mutex_unlock(&ra->lock);
        pthread_join(ra->thread, NULL);
    }
    for (unsigned i = 0; i < NBATCH; i++)
        batch_clear(&ra->b[i]);
    pthread_cond_destroy(&ra->filled);
    pthread_cond_destroy(&ra->emptied);
    pthread_mutex_destroy(&ra->lock);
    free(ra);
}
