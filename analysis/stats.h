/* Statistics of a trace: counts per thread, system calls, mapping changes,
 * and counts per code address, function, page and data symbol, for
 * `tcgtrace stats`. Pure aggregation over the reader: nothing printed.
 *
 * Memory is bounded by what is distinct in the trace (threads, system call
 * numbers, code addresses, pages, modules, live mappings), never by its
 * length.
 *
 *   struct stats *st = stats_new(tt_reader_header(r));
 *   rc = stats_collect(st, r, &err);        // every record, then the trailer
 *   stats_symbolise(st, syms, path, &err);  // names; a second pass for data
 *   ... st->threads, stats_hot_code(st, &n), stats_hot_data(st, &n) ...
 *   stats_free(st);
 */
#ifndef TCGTRACE_STATS_H
#define TCGTRACE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mapset.h"
#include "readahead.h"
#include "symbols.h"
#include "tcgtrace/error.h"
#include "tcgtrace/reader.h"
#include "u64map.h"

/* Memory accesses and instructions counted for one place (a thread, a code
 * address, a function, a data region). */
struct stats_counts {
    uint64_t insns;
    uint64_t reads, writes;
    uint64_t read_bytes, write_bytes;
};

/* One stream: a vCPU, which linux-user hands to a new guest thread once the
 * previous one exited, so it may have run several guest threads. */
struct stats_thread {
    uint32_t vcpu;
    uint64_t records; /* every record of the stream */
    struct stats_counts c;
    uint64_t reg_changes, syscalls, sync_events;
    uint64_t lost;    /* records lost: the plugin's records-lost records and the writer's */
    uint64_t *tids;   /* guest thread ids of its thread-start records, in order */
    size_t ntids, tids_cap;
    uint64_t exits;   /* thread-exit records */
};

struct stats_syscall {
    uint64_t num;
    uint64_t calls;   /* syscall records */
    uint64_t returns; /* syscall-return records */
    uint64_t errors;  /* returns of -4095 to -1: -errno */
};

struct stats_mapping {
    uint64_t changes; /* mapping-change records of this cause */
    uint64_t bytes;   /* their lengths added up */
};

struct stats_module {
    char *path;
    uint64_t bias, start, end;
};

/* What a function entry groups: the addresses of one function symbol; of
 * one module outside its function symbols (a stripped library); or outside
 * every module (JIT code, a module the trace did not record). */
enum stats_func_kind { STATS_FUNCTION, STATS_MODULE_REST, STATS_NO_MODULE };

/* A code address, or (stats_symbolise) a function or group above. */
struct stats_code {
    /* An address; a function's start; a group's hottest address. */
    uint64_t pc;
    enum stats_func_kind kind; /* functions only */
    struct stats_counts c;
    /* Filled by stats_symbolise; sym.module NULL before or without it. For
     * a function or group, that of its hottest address (where it spends
     * most). */
    struct sym_code sym;
    uint64_t sym_pc;  /* the address sym describes */
};

enum stats_region_kind { STATS_PAGE, STATS_SYMBOL };

/* A data region: a page, or the extent of a data symbol. An access belongs
 * to one region only: the symbol covering its first byte when there is
 * one, else the page of its first byte. */
struct stats_region {
    uint64_t start, size;
    enum stats_region_kind kind;
    struct stats_counts c;
    struct sym_data sym; /* module+offset for a page, when in a module */
    /* What mapped it (tt_map_cause) when first touched, else at the end of
     * the trace; 0 when no mapping record covers it. */
    unsigned map_cause;
};

/* What ranks code: executed instructions when the trace has any, else
 * memory accesses. */
enum stats_by { STATS_BY_INSNS, STATS_BY_ACCESSES };

struct stats {
    /* Trace-wide totals. */
    uint64_t records;
    struct stats_counts c;
    uint64_t reg_changes, syscalls, sync_events, map_changes, module_loads;
    /* Heap events and calls: extensions, which no record count includes
     * (records above leaves them out, as the trailer and tcgtrace record
     * do). */
    uint64_t heap_events, calls;
    uint64_t thread_starts, thread_exits;

    struct stats_thread *threads; /* by vCPU index, ascending */
    size_t nthreads;

    struct stats_syscall *syscall; /* ascending number */
    size_t nsyscalls;

    struct stats_mapping mappings[TT_MAP_CAUSE_COUNT]; /* by tt_map_cause */

    struct stats_module *modules; /* in the order loaded */
    size_t nmodules;

    /* Records lost: what the plugin said (records-lost records, by kind)
     * and what the writer could not write (the trailer), with its error. */
    uint64_t lost;
    uint64_t lost_plugin[TT_KIND_COUNT];
    uint64_t lost_writer[TT_KIND_COUNT];
    int write_errno;

    bool complete;  /* read to the trailer */
    bool cut_short; /* no trailer: the recording was interrupted */

    uint64_t page_size;

    /* Code addresses (one entry per pc) and pages (one per page touched),
     * each with a map from key to index. */
    struct stats_code *code;
    size_t ncode, code_cap;
    struct u64map code_index;
    struct stats_region *pages;
    size_t npages, pages_cap;
    struct u64map page_index;

    /* After stats_symbolise: functions and groups of code outside them
     * (stats_func_kind), and data regions; see stats_hot_*. */
    struct stats_code *funcs;
    size_t nfuncs;
    struct stats_region *regions;
    size_t nregions;
    bool symbolised;

    /* Private: the thread of the last record; the mappings so far;
     * executed-instruction definition id -> code index + 1. */
    size_t last_thread;
    struct mapset maps;
    uint32_t *insn_code;
    size_t ninsn_code;
    /* Told how far each reading ("reading", then "naming data") has come
     * (readahead_set_progress); NULL for nothing. */
    readahead_progress_fn *progress;
    void *progress_arg;
};

/* An empty collection for the trace whose header is h (its page size sets
 * the page regions; 4096 when the header has none). NULL when out of memory. */
struct stats *stats_new(const struct tt_header *h);
void stats_free(struct stats *st);

/* Counts one record. 0, or TT_E_NOMEM. */
int stats_add(struct stats *st, const struct tt_record *rec);

/* Ends the collection (stats_add no more), with the trailer's losses; t
 * NULL when the trace had none (cut short). */
void stats_end(struct stats *st, const struct tt_trailer *t);

/* Counts every record of r, then its trailer. 0 when the whole trace was
 * read; else the reader's error (err says what and where), with every
 * record before it counted: TT_E_TRUNCATED sets cut_short. */
int stats_collect(struct stats *st, struct tt_reader *r, struct tt_error *err);

/* Names what was counted, with the modules the trace loaded (added to
 * syms): code addresses and functions, data symbols and pages. Data symbols
 * need the accesses again (a module's load may come after accesses to it
 * in the file): when some page touched lies in a module, the trace at path
 * is read a second time, up to where the first pass stopped. 0, or a
 * tt_status with err set. */
int stats_symbolise(struct stats *st, struct symbols *syms, const char *path, struct tt_error *err);

/* What ranks code in this trace. */
enum stats_by stats_code_by(const struct stats *st);

/* Once the collection ended: the hottest first (ties: lowest address
 * first). Code addresses rank by stats_code_by; data regions by accesses.
 * The arrays are st's own, sorted in place; the functions exist once
 * stats_symbolise ran, and the regions are the pages before it. NULL only
 * when out of memory (stats_hot_data). */
const struct stats_code *stats_hot_code(struct stats *st, size_t *n);
const struct stats_code *stats_hot_funcs(struct stats *st, size_t *n);
const struct stats_region *stats_hot_data(struct stats *st, size_t *n);

static inline uint64_t stats_accesses(const struct stats_counts *c)
{
    return c->reads + c->writes;
}

#endif
