/* Race detection over a trace: the records of a memtrace trace (format v1)
 * turned into the detector's events (race.h), and what a report needs
 * besides them: the threads (who created whom, where, their stacks), the
 * modules, and the mapping each racy address was in.
 *
 * The trace is read twice, in merged order (reader.h): a learning pass
 * that finds the synchronisation locations and the synchronising
 * instructions, then the detecting pass. Merged order keeps each thread's
 * order and the global order of synchronisation events, but not the order
 * of plain accesses across threads, and on x86_64 a C11 release store or
 * acquire load is a plain access. So the detecting pass delivers the
 * events of each thread in order, atomic instructions' accesses at their
 * sync event's place, and holds back a thread whose load of a
 * synchronisation location saw a value no delivered store wrote
 * (TT_RACE_WAIT) until another thread's store is delivered; when nothing
 * can go on, the load the global order wants first goes
 * (racetrace_stats.forced). docs/races.md, "From a trace to the
 * detector's events", says it all.
 *
 *   struct racetrace *rt = racetrace_new(tt_reader_header(r), syms);
 *   rc = racetrace_learn(rt, r, &err);      // r: a TT_READ_MERGED reader
 *   rc = racetrace_detect(rt, r2, &err);    // r2: a second one, same trace
 *   rc = racetrace_previous(rt, r3, &err);  // optional: the earlier accesses' stacks
 *   ... racetrace_reports(rt, &n), racetrace_threads(rt, &n) ...
 *   racetrace_free(rt);
 */
#ifndef TCGTRACE_RACETRACE_H
#define TCGTRACE_RACETRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callstack.h"
#include "mapset.h"
#include "readahead.h"
#include "race.h"
#include "symbols.h"
#include "tcgtrace/error.h"
#include "tcgtrace/reader.h"

/* Call sites kept of a stack (callstack.h), innermost first. */
#define RACETRACE_CALLS 16
struct racetrace_calls {
    uint64_t pc[RACETRACE_CALLS];
    uint32_t n;
};

/* A guest thread, numbered in the order threads were created (T0 is the
 * first: the main thread). */
struct racetrace_thread {
    uint64_t tid;
    uint32_t vcpu;
    int32_t parent;        /* index of the creating thread; -1 for none */
    uint64_t create_pc;    /* pc of the clone's last record in the parent */
    struct racetrace_calls create_calls; /* the calls that led to it */
    /* The mapping holding its stack: the clone's stack argument's, or the
     * initial stack for the first thread; both 0 when not known. */
    uint64_t stack_start, stack_end;
    /* Its first stack pointer, the clone's stack argument (stack_end for
     * the first thread): above it, in a thread the C library made, lie
     * its thread-local storage and descriptor, which other threads' calls
     * into the library touch for it. */
    uint64_t stack_top;
    /* One of its accesses was made by code outside the C library, the
     * dynamic loader and the vDSO: false for a thread of the runtime's own
     * (glibc's aio helper). */
    bool ran_program;
    bool exited;
};

/* The heap block holding an address, from the trace's heap events
 * (docs/format.md): found false when none did or the trace has none. */
struct racetrace_block {
    bool found;
    uint64_t start, size;
    int32_t thread; /* the thread that allocated it; -1 unknown */
    /* The allocator function's entry, its call site, then the calls that
     * led there. */
    struct racetrace_calls alloc;
};

/* A race report (race.h) and where it happened. */
struct racetrace_report {
    struct tt_race_report race;
    /* Thread indices of race.first and race.second when it was found. */
    int32_t first_thread, second_thread;
    /* The calls that led to race.second, and to race.first once
     * racetrace_previous found them. */
    struct racetrace_calls second_calls, first_calls;
    /* The mapping holding the address then (cause 0: none recorded). */
    struct mapset_range mapping;
    /* The heap block holding race.second's address then. */
    struct racetrace_block block;
    /* A synchronisation location within RACETRACE_SYNC_REACH bytes of
     * race.second's access then: part of a synchronisation object
     * (glibc's pthread objects keep relaxed fields, a condition variable's
     * __g1_start, a mutex's __owner, within 64 bytes of their atomic
     * words). Then, not at the end: a heap block's marks go with it. */
    bool sync_near;
};

#define RACETRACE_SYNC_REACH 64

struct racetrace_stats {
    uint64_t records;  /* read in the detecting pass */
    uint64_t forced;   /* waiting loads delivered without their store */
    uint64_t early;    /* atomic instructions delivered before their sync
                          event's turn, for a load that saw their store */
    uint64_t max_held; /* most events held back at once */
    uint64_t lost;     /* records the recording lost */
    uint64_t heap_events; /* allocator calls read (heap events) */
    /* Objects the modules' debug information declares atomic, marked as
     * synchronisation locations from the start (atomicobj.h). */
    uint64_t atomic_objects;
    /* Heap blocks given atomic members by the type their allocation
     * site allocates (heaptype.h). */
    uint64_t heap_atomic_blocks;
    /* The program carries the C library in itself (linked statically)
     * and has no debug information to tell the two apart (ownimage.h). */
    bool static_libc_unknown;
    /* A thread's last record is an execve (or execveat) with no return:
     * the program replaced itself there, and what it ran next, outside
     * QEMU, is not in the trace. */
    bool execve;
    struct tt_race_stats det;
};

struct racetrace;

/* What a trace must hold to be analysed: memory accesses with values,
 * synchronisation events, threads and system calls, recorded by memtrace
 * with loads and stores. NULL when it does; else why not. */
const char *racetrace_unsuitable(const struct tt_header *h);

/* For the trace whose header is h, naming code with syms (its modules are
 * added as the trace loads them). NULL when memory runs out or the
 * architecture is unknown (racetrace_unsuitable says so first). */
struct racetrace *racetrace_new(const struct tt_header *h, struct symbols *syms);
void racetrace_free(struct racetrace *rt);

/* fn is told how far each pass ("learning", "detecting", "finding
 * stacks") has read (readahead_set_progress). */
void racetrace_set_progress(struct racetrace *rt, readahead_progress_fn *fn, void *arg);

/* The two passes, each over every record of its reader (opened with
 * TT_READ_MERGED on the same trace). 0 when the whole trace was read; else
 * the reader's error (err says what and where) after every record before
 * it was used, or TT_E_NOMEM. */
int racetrace_learn(struct racetrace *rt, struct tt_reader *r, struct tt_error *err);
int racetrace_detect(struct racetrace *rt, struct tt_reader *r, struct tt_error *err);

/* After racetrace_detect, when it reported races: the call stacks of the
 * earlier access of each race, gone when the race was found, from a third
 * reading (r: any order, TT_READ_MERGED or not): the last access of that
 * thread at that pc and address before the race. Returns as the passes. */
int racetrace_previous(struct racetrace *rt, struct tt_reader *r, struct tt_error *err);

/* Whether addr is in the image of the C library or the dynamic loader,
 * as a module of its own or linked into a static program (ownimage.h). */
bool racetrace_runtime(const struct racetrace *rt, uint64_t addr);

/* Whether an access with these calls was made inside a call to malloc,
 * calloc or an aligned allocator (not realloc, which copies the program's
 * data, nor free): one of them is the site of such a call. */
bool racetrace_allocating(const struct racetrace *rt, const struct racetrace_calls *calls);

/* After racetrace_detect: the reports in the order found, the threads by
 * number, and the counts. */
const struct racetrace_report *racetrace_reports(const struct racetrace *rt, size_t *n);
const struct racetrace_thread *racetrace_threads(const struct racetrace *rt, size_t *n);
void racetrace_stats(const struct racetrace *rt, struct racetrace_stats *st);

#endif
