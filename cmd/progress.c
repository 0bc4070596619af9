/* The progress line and human-sized numbers: see progress.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"

void progress_show(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\rtcgtrace %s: ", msg_command());
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\033[K", stderr);
    fflush(stderr);
}

void progress_clear(void)
{
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* n in the largest of units (each base times the last) that keeps it at
 * least 1, with one decimal when scaled. */
static const char *scaled(double n, double base, const char *const units[5], char *buf, size_t size)
{
    int u = 0;
    while (n >= base && u < 4) {
        n /= base;
        u++;
    }
    snprintf(buf, size, u ? "%.1f%s" : "%.0f%s", n, units[u]);
    return buf;
}

const char *human_size(double bytes, char *buf, size_t size)
{
    static const char *const units[5] = { " B", " KiB", " MiB", " GiB", " TiB" };
    return scaled(bytes, 1024, units, buf, size);
}

const char *human_count(double n, char *buf, size_t size)
{
    static const char *const units[5] = { "", " k", " M", " G", " T" };
    return scaled(n, 1000, units, buf, size);
}

double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void reading_progress_init(struct reading_progress *p, const struct tt_header *h, bool quiet)
{
    *p = (struct reading_progress){ .start = clock_seconds(CLOCK_MONOTONIC), .on = !quiet && isatty(STDERR_FILENO) };
    /* Definitions are not handed to the readings: not counted. */
    for (unsigned k = 1; k < TT_KIND_COUNT && h->has_kind_counts; k++)
        if (k != TT_DEF_INSN && k != TT_DEF_REG && k != TT_DEF_STRING)
            p->total += h->kind_counts[k];
}

void reading_progress(void *arg, const char *pass, uint64_t records)
{
    struct reading_progress *p = arg;
    double t = clock_seconds(CLOCK_MONOTONIC), elapsed = t - p->start;
    if (!p->on || elapsed < 0.5 || t - p->drawn < 0.1)
        return;
    char done[32], all[32];
    human_count((double)records, done, sizeof done);
    if (p->total)
        progress_show("%.1f s, %s, %s of %s records (%d %%)", elapsed, pass, done,
                      human_count((double)p->total, all, sizeof all),
                      records >= p->total ? 100 : (int)(100 * records / p->total));
    else
        progress_show("%.1f s, %s, %s records", elapsed, pass, done);
    p->drawn = t;
    p->shown = true;
}

void reading_progress_end(struct reading_progress *p)
{
    if (p->shown)
        progress_clear();
    p->shown = false;
}
