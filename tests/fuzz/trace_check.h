/* What any input must get from the trace reader, shared by the fuzz targets
 * (tests/fuzz/) and the deterministic mutation test (tests/unit/
 * test_mutate.c): it is read, or rejected with a status and a message,
 * and every record returned is one a caller can use without checking it
 * again (definitions present, sizes, names and kinds in range, sync events
 * in order). Header-only so that each program builds it as it is. */
#ifndef TCGTRACE_TRACE_CHECK_H
#define TCGTRACE_TRACE_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tcgtrace/format.h"
#include "tcgtrace/reader.h"

/* The input as a file the reader can open by name, without touching the
 * disk: a memfd, named through /proc/self/fd. Returns the fd (-1 on
 * failure); path receives its name. */
static inline int tc_memfd(const uint8_t *data, size_t n, char *path, size_t size)
{
    int fd = memfd_create("tcgtrace-input", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(fd, data + done, n - done);
        if (k <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)k;
    }
    snprintf(path, size, "/proc/self/fd/%d", fd);
    return fd;
}

/* Rewrites every checksum the input's structure locates (file header,
 * chunk headers, stored payloads) so that a mutation gets past them and
 * reaches the decoder. Zstd's own content checksum is left alone. Returns
 * whether anything changed. */
static inline bool tc_repair_checksums(uint8_t *b, size_t n)
{
    bool changed = false;
    if (n < TT_HEADER_FIXED || memcmp(b, TT_MAGIC, TT_MAGIC_LEN))
        return false;
    uint32_t hlen = tt_le32(b + 12);
    if (hlen < TT_HEADER_FIXED + 4 || hlen > n)
        return false;
    uint32_t crc = tt_crc32c(0, b, hlen - 4);
    changed |= tt_le32(b + hlen - 4) != crc;
    tt_put_le32(b + hlen - 4, crc);
    for (size_t off = hlen; n - off >= TT_CHUNK_HEADER && !memcmp(b + off, TT_CHUNK_MAGIC, 4);) {
        uint8_t *h = b + off;
        uint32_t stored = tt_le32(h + 24);
        bool whole = stored <= n - off - TT_CHUNK_HEADER;
        if (whole) {
            crc = tt_crc32c(0, h + TT_CHUNK_HEADER, stored);
            changed |= tt_le32(h + 28) != crc;
            tt_put_le32(h + 28, crc);
        }
        crc = tt_crc32c(0, h, 32);
        changed |= tt_le32(h + 32) != crc;
        tt_put_le32(h + 32, crc);
        if (!whole)
            break;
        off += TT_CHUNK_HEADER + (size_t)stored;
    }
    return changed;
}

/* What reading one input gave. */
struct tc_result {
    int rc;            /* 0: read to its end; < 0: the status it was rejected with */
    uint64_t records;  /* records returned before that */
    char msg[512];     /* the reader's message, or "" */
    char bad[512];     /* a broken promise of the reader, or "" */
};

static inline void tc_bad(struct tc_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tc_bad(struct tc_result *res, const char *fmt, ...)
{
    if (res->bad[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->bad, sizeof res->bad, fmt, ap);
    va_end(ap);
}

/* A record as the reader promises it. */
static inline void tc_check_record(struct tt_reader *r, unsigned flags, const struct tt_record *rec,
                                   struct tc_result *res)
{
    uint64_t n = res->records;
    if (rec->kind == 0 || rec->kind >= TT_KIND_COUNT || !tt_kind_name(rec->kind)) {
        tc_bad(res, "record %llu: kind %u", (unsigned long long)n, rec->kind);
        return;
    }
    bool def = rec->kind >= TT_DEF_INSN && rec->kind <= TT_DEF_STRING;
    if (def != (rec->stream == TT_STREAM_META) || (def && !(flags & TT_READ_DEFS)) ||
        (!def && rec->stream > TT_STREAM_MAX_VCPU))
        tc_bad(res, "record %llu: %s in stream %u", (unsigned long long)n, tt_kind_name(rec->kind), rec->stream);
    switch (rec->kind) {
    case TT_INSN: {
        const struct tt_insn_def *d = rec->insn.def;
        if (!d || d != tt_reader_insn(r, d->id) || d->len == 0 || !d->bytes || !d->disas)
            tc_bad(res, "record %llu: instruction without its definition", (unsigned long long)n);
        break;
    }
    case TT_MEM: {
        unsigned s = rec->mem.size;
        if (s != 1 && s != 2 && s != 4 && s != 8 && s != 16)
            tc_bad(res, "record %llu: a %u-byte access", (unsigned long long)n, s);
        if (rec->mem.has_value && s < 8 && rec->mem.value[0] >> (8 * s))
            tc_bad(res, "record %llu: a value wider than its %u bytes", (unsigned long long)n, s);
        if (rec->mem.has_phys && (!rec->mem.region_name || rec->mem.region_name != tt_reader_string(r, rec->mem.region)))
            tc_bad(res, "record %llu: a region without its definition", (unsigned long long)n);
        break;
    }
    case TT_REG:
        if (!rec->reg.def || rec->reg.def != tt_reader_reg(r, rec->reg.def->id) || !rec->reg.def->name ||
            (rec->reg.len && !rec->reg.value))
            tc_bad(res, "record %llu: register without its definition", (unsigned long long)n);
        break;
    case TT_MAP:
        if (!tt_map_cause_name(rec->map.cause) ||
            rec->map.prot & ~(uint32_t)(TT_PROT_READ | TT_PROT_WRITE | TT_PROT_EXEC | TT_PROT_UNMAPPED))
            tc_bad(res, "record %llu: mapping cause %u, protection 0x%x", (unsigned long long)n, rec->map.cause,
                   rec->map.prot);
        break;
    case TT_MODULE:
        if (!rec->module.path || strnlen(rec->module.path, TT_STRING_MAX + 1) > TT_STRING_MAX)
            tc_bad(res, "record %llu: module path", (unsigned long long)n);
        break;
    case TT_SYNC:
        if (!tt_sync_kind_name(rec->sync.kind))
            tc_bad(res, "record %llu: sync kind %u", (unsigned long long)n, rec->sync.kind);
        break;
    case TT_LOST:
        if (rec->lost.kind == 0 || !tt_kind_name(rec->lost.kind))
            tc_bad(res, "record %llu: records lost of kind %u", (unsigned long long)n, rec->lost.kind);
        break;
    case TT_DEF_INSN:
        if (rec->def_insn.len == 0 || !rec->def_insn.bytes || !rec->def_insn.disas ||
            tt_reader_insn(r, rec->def_insn.id) == NULL)
            tc_bad(res, "record %llu: instruction definition", (unsigned long long)n);
        break;
    case TT_DEF_REG:
        if (!rec->def_reg.name || rec->def_reg.width == 0 || !tt_reader_reg(r, rec->def_reg.id))
            tc_bad(res, "record %llu: register definition", (unsigned long long)n);
        break;
    case TT_DEF_STRING:
        if (!rec->def_string.str || tt_reader_string(r, rec->def_string.id) == NULL)
            tc_bad(res, "record %llu: string definition", (unsigned long long)n);
        break;
    }
}

/* Per vCPU stream, the last sync sequence number seen (merged order). */
#define TC_STREAMS 64

/* Reads path to its end with flags (0, TT_READ_DEFS or TT_READ_MERGED).
 * max_records bounds a run (0: none), so that a caller can bound time. */
static inline void tc_read(const char *path, unsigned flags, uint64_t max_records, struct tc_result *res)
{
    memset(res, 0, sizeof *res);
    struct tt_error err;
    memset(&err, 0, sizeof err);
    struct tt_reader *r = tt_reader_open(path, flags, &err);
    if (!r) {
        res->rc = err.code;
        snprintf(res->msg, sizeof res->msg, "%s", err.msg);
        if (err.code >= 0 || !err.msg[0])
            tc_bad(res, "open failed with status %d and message '%s'", err.code, err.msg);
        return;
    }
    const struct tt_header *h = tt_reader_header(r);
    if (!h || !h->arch || !h->qemu_version || !h->tcgtrace_version || !h->plugin || !h->plugin_options ||
        !h->argv || h->argc < 0 || h->argv[h->argc] != NULL)
        tc_bad(res, "header with a missing field");
    else
        for (int i = 0; i < h->argc; i++)
            if (!h->argv[i])
                tc_bad(res, "header argv[%d] missing", i);
    struct tt_record rec;
    int rc;
    uint64_t last_gseq = 0;
    while ((rc = tt_reader_next(r, &rec, &err)) > 0) {
        tc_check_record(r, flags, &rec, res);
        if ((flags & TT_READ_MERGED) && rec.kind == TT_SYNC) {
            if (rec.sync.gseq <= last_gseq)
                tc_bad(res, "merged order: sync event #%llu after #%llu", (unsigned long long)rec.sync.gseq,
                       (unsigned long long)last_gseq);
            last_gseq = rec.sync.gseq;
        }
        res->records++;
        if (max_records && res->records >= max_records)
            break;
    }
    res->rc = rc > 0 ? 0 : rc;
    if (rc < 0) {
        snprintf(res->msg, sizeof res->msg, "%s", err.msg);
        if (!err.msg[0] || rc < TT_E_INVAL)
            tc_bad(res, "failed with status %d and message '%s'", rc, err.msg);
    }
    if (rc <= 0) {
        /* Asking again gives the same answer; the trailer only after a
         * whole trace. */
        struct tt_error again;
        int rc2 = tt_reader_next(r, &rec, &again);
        if (rc2 != rc || (rc < 0 && strcmp(again.msg, err.msg)))
            tc_bad(res, "next after the end gave %d, not %d", rc2, rc);
        if ((rc == 0) != (tt_reader_trailer(r) != NULL))
            tc_bad(res, "status %d with%s a trailer", rc, tt_reader_trailer(r) ? "" : "out");
    }
    tt_reader_close(r);
}

#endif
