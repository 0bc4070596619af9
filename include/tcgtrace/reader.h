/* Reading a trace: streaming, memory bounded by the chunk size, the number
 * of streams and the definitions (never by the trace's length).
 *
 *   struct tt_error err;
 *   struct tt_reader *r = tt_reader_open(path, 0, &err);
 *   struct tt_record rec;
 *   int rc;
 *   while ((rc = tt_reader_next(r, &rec, &err)) > 0)
 *       ...;
 *   // rc == 0: the whole trace was read; rc < 0: err says what and where,
 *   // after every record of every whole chunk before the problem
 *   tt_reader_close(r);
 */
#ifndef TCGTRACE_READER_H
#define TCGTRACE_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "tcgtrace/error.h"
#include "tcgtrace/format.h"

/* What the trace says about its recording (docs/format.md, "Header").
 * Strings are "" when the field is absent; they live as long as the reader
 * (or, for the writer, are copied at open). */
struct tt_header {
    const char *arch;
    bool big_endian;
    uint64_t page_size;
    const char *qemu_version;
    int argc;
    const char *const *argv;
    uint64_t start_time_ns;
    const char *tcgtrace_version;
    const char *plugin;
    const char *plugin_options;
    uint64_t features; /* tt_feature bits */
    /* The directory QEMU took the guest's dynamic loader and libraries
     * from (linux-user's -L or QEMU_LD_PREFIX), absolute; "" if none was
     * given. See tt_header_sysroot. */
    const char *sysroot;
    /* The records per kind (tt_kind) the trace holds, definitions
     * included. The writer reserves the field when has_kind_counts is set
     * and fills it in when it finishes (tt_writer_close, tt_writer_seal):
     * meaningful in a trace that has its trailer; all zero before. */
    bool has_kind_counts;
    uint64_t kind_counts[TT_KIND_COUNT];
    /* Reserved and filled in with the counts: the trailer is the one
     * written when the trace was sealed, and the process then replaced
     * itself (execve): what ran next, outside QEMU, is not in the trace.
     * Meaningful in a trace that has its trailer. */
    bool replaced;
};

/* The sysroot the trace was recorded with, for finding a foreign guest's
 * libraries (symbols) without asking the user again; NULL if none. */
const char *tt_header_sysroot(const struct tt_header *h);

struct tt_insn_def {
    uint32_t id;
    uint8_t len;
    uint64_t pc;
    const uint8_t *bytes; /* len bytes, in guest memory order */
    const char *disas;
};

struct tt_reg_def {
    uint32_t id;
    uint32_t width; /* bytes */
    const char *name;
};

/* One record. Pointers stay valid until the next tt_reader_next call,
 * except definitions (def, name, region_name), valid until close. */
struct tt_record {
    uint32_t kind;   /* tt_kind */
    uint32_t stream; /* vCPU index, or TT_STREAM_META for definitions */
    union {
        struct {
            const struct tt_insn_def *def;
        } insn;
        struct {
            uint64_t pc, vaddr;
            uint8_t size; /* bytes: 1, 2, 4, 8 or 16 */
            bool store;
            bool has_value;
            bool has_phys;
            uint64_t value[2]; /* low 64 bits, then high 64 bits */
            uint64_t phys;
            uint32_t region;   /* string id */
            const char *region_name;
        } mem;
        struct {
            const struct tt_reg_def *def;
            uint8_t len;
            const uint8_t *value; /* len bytes, in guest memory order */
        } reg;
        struct {
            uint64_t tid;
            int64_t status; /* exit only */
        } thread;
        struct {
            uint64_t num;
            uint64_t args[6];
        } syscall;
        struct {
            uint64_t num;
            int64_t ret;
        } sysret;
        struct {
            uint64_t start, length;
            uint32_t prot;  /* TT_PROT_* */
            uint8_t cause;  /* tt_map_cause */
        } map;
        struct {
            uint64_t bias, start, end;
            const char *path; /* NUL-terminated */
        } module;
        struct {
            uint8_t kind; /* tt_sync_kind */
            uint64_t pc, addr, arg;
            uint64_t gseq; /* global order of synchronisation events */
        } sync;
        struct {
            uint8_t kind; /* tt_kind of the records lost */
            uint64_t count;
        } lost;
        struct {
            uint8_t kind;  /* tt_heap_kind */
            uint64_t func; /* the allocator function's entry */
            uint64_t call; /* the address it returns to */
            uint64_t addr; /* the block returned (0: none), or freed */
            uint64_t size; /* bytes asked for */
            uint64_t old;  /* realloc: the block given */
        } heap;
        struct {
            uint64_t pc; /* the call instruction */
        } call;
        struct tt_insn_def def_insn;
        struct tt_reg_def def_reg;
        struct {
            uint32_t id;
            const char *str;
        } def_string;
    };
};

/* Totals the trailer gives, per stream (the metadata stream included). */
struct tt_stream_totals {
    uint32_t stream;
    uint64_t chunks, records, lost;
};

struct tt_trailer {
    uint32_t nstreams;
    const struct tt_stream_totals *streams;
    uint64_t lost[TT_KIND_COUNT]; /* records lost by the writer, per kind */
    uint64_t sync_events;         /* global sequence numbers handed out */
    int write_errno;              /* why the writer lost records, or 0 */
};

enum tt_reader_flags {
    /* Per-stream order kept; synchronisation events of all streams in
     * global sequence order; everything a stream records between two of
     * its sync events comes between them. Indexes the chunks first. */
    TT_READ_MERGED = 1 << 0,
    /* Return definition records too (they are always applied). */
    TT_READ_DEFS = 1 << 1,
};

struct tt_reader;

/* NULL on error (err says why: no file, not a trace, a newer version...). */
struct tt_reader *tt_reader_open(const char *path, unsigned flags, struct tt_error *err);
const struct tt_header *tt_reader_header(const struct tt_reader *r);
/* 1: a record in *rec; 0: the end of a complete trace; < 0: an error
 * (tt_status), after every record of the whole chunks before it. Calling
 * again after 0 or an error returns the same. */
int tt_reader_next(struct tt_reader *r, struct tt_record *rec, struct tt_error *err);
/* Up to max (1 to INT_MAX) records into recs, the ones tt_reader_next would
 * return one by one: how many (> 0), else as tt_reader_next 0 at the end
 * or an error (after the records before it). Pointers in them stay valid
 * until the next call. Faster on runs of memory accesses. */
int tt_reader_read(struct tt_reader *r, struct tt_record *recs, size_t max, struct tt_error *err);
/* The trailer, once read: when tt_reader_next returned 0, or right after a
 * TT_READ_MERGED open, whose first pass reads it (a summary then costs the
 * chunk headers only). NULL before, if there is none, or after an error. */
const struct tt_trailer *tt_reader_trailer(const struct tt_reader *r);
/* The records the writer lost, all kinds together (0 for NULL). */
uint64_t tt_trailer_lost(const struct tt_trailer *t);
/* Definitions seen so far, by id (NULL if not defined). */
const struct tt_insn_def *tt_reader_insn(const struct tt_reader *r, uint32_t id);
const struct tt_reg_def *tt_reader_reg(const struct tt_reader *r, uint32_t id);
const char *tt_reader_string(const struct tt_reader *r, uint32_t id);
void tt_reader_close(struct tt_reader *r);

#endif
