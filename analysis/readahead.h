/* A reader's records decoded ahead by a second thread, handed over in
 * batches: decoding (decompression included) overlaps the analysis of the
 * records before, on a machine with a core to spare.
 *
 *   struct readahead *ra = readahead_start(r);  // r: any open reader
 *   while ((rc = readahead_next(ra, &rec, err)) > 0) ...
 *   readahead_stop(ra);  // before anything else uses r
 *
 * readahead_next answers as tt_reader_next, records in the same order, with
 * pointers valid as long: definitions until the reader closes, a module's
 * path until the next call; other pointers into record data (a register's
 * value) are NULL. Memory: 4.5 MiB of batches of records, whatever the trace. */
#ifndef TCGTRACE_READAHEAD_H
#define TCGTRACE_READAHEAD_H
#include <stdint.h>

#include "tcgtrace/error.h"
#include "tcgtrace/reader.h"

struct readahead;

/* NULL when memory runs out. Without a thread (none could be made, or the
 * process may run on one CPU only) it reads r itself. */
struct readahead *readahead_start(struct tt_reader *r);
/* *rec points into ra's batches (no copy: the detector's passes spent a
 * tenth of their time copying records), valid until the next call. */
int readahead_next(struct readahead *ra, const struct tt_record **rec, struct tt_error *err);
/* The next records, (*recs)[0] to (*recs)[n - 1]: n > 0, else as
 * readahead_next. They stay valid until the next call (of either). */
int readahead_batch(struct readahead *ra, const struct tt_record **recs, struct tt_error *err);
/* How far a reading has come, for a progress line: called as batches are
 * handed out (about every 64 k records) with pass, as given, and the
 * records handed out so far. */
typedef void readahead_progress_fn(void *arg, const char *pass, uint64_t records);
void readahead_set_progress(struct readahead *ra, readahead_progress_fn *fn, void *arg, const char *pass);
/* Stops the reading thread wherever it is, and frees ra (NULL: nothing). */
void readahead_stop(struct readahead *ra);
#endif
