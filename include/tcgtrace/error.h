/* Errors of the trace library: stable negative codes, a strerror-like
 * name for each, and a message that says where and what went wrong. The
 * library never prints; callers (cmd/, plugins) print err.msg. */
#ifndef TCGTRACE_ERROR_H
#define TCGTRACE_ERROR_H

#include <stdint.h>

/* Stable values: tools may test them. Never renumber, only append. */
enum tt_status {
    TT_OK = 0,
    TT_E_IO = -1,        /* a system call failed (errno in sys_errno) */
    TT_E_NOMEM = -2,
    TT_E_NOT_TRACE = -3, /* no TCGTRACE magic */
    TT_E_VERSION = -4,   /* a format version this library does not read */
    TT_E_FEATURE = -5,   /* a required feature this library does not know */
    TT_E_CORRUPT = -6,   /* a checksum, a length or a record is wrong */
    TT_E_TRUNCATED = -7, /* the trace was cut short (no trailer) */
    TT_E_WRITE = -8,     /* writing the trace failed: records were lost */
    TT_E_COMPRESS = -9,  /* zstd failed */
    TT_E_INVAL = -10,    /* a bad argument or option */
};

struct tt_error {
    int code;          /* tt_status */
    int sys_errno;     /* for TT_E_IO and TT_E_WRITE, else 0 */
    uint64_t offset;   /* byte offset in the trace the problem is at, if any */
    char msg[512];     /* lowercase, no full stop: "trace cut short at byte 12: ..." */
};

/* "corrupt trace", "trace cut short", ...; "unknown error" for others. */
const char *tt_strerror(int code);

/* Why a trailer counts records lost, from its write_errno: the system
 * error of a failed write, or for ECANCELED (none failed) that their
 * threads were running guest code when execve replaced the process. */
const char *tt_lost_reason(int write_errno);

/* Sets err (when not NULL) and returns code. */
int tt_error_set(struct tt_error *err, int code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
