/* The line a long-running command redraws in place on a terminal
 * ("tcgtrace CMD: ..."), the numbers people read on it and in summaries,
 * and the clocks that time them. */
#ifndef TCGTRACE_PROGRESS_H
#define TCGTRACE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tcgtrace/reader.h"

/* Draws the line (after msg_set_command's prefix), replacing the last. */
void progress_show(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Erases it. */
void progress_clear(void);

/* The progress of the readings of a trace (readahead_progress_fn), on
 * a terminal, once the command has run half a second: "2.1 s, detecting,
 * 16.9 M of 24.0 M records (70 %)". A trace of gigabytes takes minutes. */
struct reading_progress {
    double start, drawn;
    uint64_t total; /* records of the trace, from its header; 0 unknown */
    bool on;        /* stderr is a terminal and the user did not say -q */
    bool shown;
};
/* From now, for the trace whose header is h. */
void reading_progress_init(struct reading_progress *p, const struct tt_header *h, bool quiet);
void reading_progress(void *arg, const char *pass, uint64_t records);
/* Erases the line if it was drawn. */
void reading_progress_end(struct reading_progress *p);

/* The time of clock (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID) in seconds. */
double clock_seconds(clockid_t clock);

/* "12.4 MiB" */
const char *human_size(double bytes, char *buf, size_t size);
/* "3.4 M" */
const char *human_count(double n, char *buf, size_t size);

#endif
