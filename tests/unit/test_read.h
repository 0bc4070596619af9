/* Reading a whole trace for the format tests: each record formatted into
 * one string, the trailer's record total and the header beside it. */
#ifndef TEST_READ_H
#define TEST_READ_H

#include <stdio.h>

#include "tcgtrace/reader.h"

/* Formats rec into buf (n bytes): how many bytes, 0 to leave it out. */
typedef int test_fmt(const struct tt_record *rec, char *buf, size_t n);

/* Reads the trace at path (mode as tt_reader_open takes it): the records
 * fmt formats into out, space-separated, or the error's message once one
 * comes; the trailer's record total in *records, and the header in *h when
 * h is not NULL. Returns tt_reader_next's last answer (0 at the end), -1
 * when the trace cannot be opened. */
static int test_read(const char *path, unsigned mode, test_fmt *fmt, char *out, size_t n, uint64_t *records,
                     struct tt_header *h)
{
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, mode, &err);
    if (!r) {
        snprintf(out, n, "%s", err.msg);
        return -1;
    }
    if (h)
        *h = *tt_reader_header(r);
    struct tt_record rec;
    int rc;
    size_t len = 0;
    char one[256];
    out[0] = 0;
    while ((rc = tt_reader_next(r, &rec, &err)) > 0 && len < n)
        if (fmt(&rec, one, sizeof one) > 0)
            len += (size_t)snprintf(out + len, n - len, "%s%s", len ? " " : "", one);
    if (rc < 0)
        snprintf(out, n, "%s", err.msg);
    const struct tt_trailer *t = tt_reader_trailer(r);
    *records = 0;
    for (uint32_t i = 0; t && i < t->nstreams; i++)
        *records += t->streams[i].records;
    tt_reader_close(r);
    return rc;
}

#endif
