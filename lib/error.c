/* Error codes and messages of the trace library. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tcgtrace/error.h"

const char *tt_strerror(int code)
{
    switch (code) {
    case TT_OK: return "success";
    case TT_E_IO: return "input/output error";
    case TT_E_NOMEM: return "out of memory";
    case TT_E_NOT_TRACE: return "not a tcgtrace trace";
    case TT_E_VERSION: return "unsupported trace format version";
    case TT_E_FEATURE: return "unsupported trace feature";
    case TT_E_CORRUPT: return "corrupt trace";
    case TT_E_TRUNCATED: return "trace cut short";
    case TT_E_WRITE: return "trace write failed";
    case TT_E_COMPRESS: return "compression failed";
    case TT_E_INVAL: return "invalid argument";
    }
    return "unknown error";
}

const char *tt_lost_reason(int write_errno)
{
    if (write_errno == ECANCELED)
        return "threads running guest code when execve replaced the process";
    return write_errno ? strerror(write_errno) : "unknown error";
}

int tt_error_set(struct tt_error *err, int code, uint64_t offset, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->offset = offset;
        err->sys_errno = 0;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
