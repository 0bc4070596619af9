/* Happens-before data-race detection over a stream of events, independent
 * of where the events come from (tcgtrace races feeds it from a trace; the
 * unit tests by hand). The algorithm is FastTrack's: a vector clock per
 * thread and per synchronisation variable, an epoch per shadow granule in
 * the common case. docs/races.md describes the model: which events are
 * edges, what a plain load spinning on a location means, how freed memory
 * is handled.
 *
 * Events must come in one order that keeps each thread's program order and
 * puts every release before the acquire that pairs with it (trace order:
 * the global sequence of synchronisation events). Threads are named by the
 * caller's 64-bit ids (guest TIDs): thread_start binds an id to a new
 * thread, so ids may be reused after an exit; an id never started is a new
 * thread with no history.
 *
 * Every function returns 0 or a negative errno: -ENOMEM, -EINVAL (a bad
 * argument), -EOVERFLOW (2^32 releases by one thread, 2^31 threads). */
#ifndef TCGTRACE_RACE_H
#define TCGTRACE_RACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports.h"
#include "tcgtrace/syncinsn.h"

struct tt_race;

struct tt_race_config {
    /* The guest's ELF machine. EM_X86_64 is TSO: every load of a
     * synchronisation location acquires and every store releases, whatever
     * the instruction. Others (EM_AARCH64, EM_RISCV) order only through
     * acquire/release instructions and fences. */
    unsigned elf_machine;
    /* A spin is at least this many loads of one value after the first
     * before the value changes; 0 means 1: a wait loop checks the value at
     * least twice, and a loop that reads a changing shared value once per
     * iteration (a racy read) is no spin. */
    unsigned spin_repeats;
    /* A learning pass: events only teach which locations synchronise
     * (atomic instructions, futexes, thread-exit words, spins); no race is
     * looked for. tt_race_rewind then starts the detecting pass, in which
     * those locations are known from their first access. */
    bool learn;
    /* Called in a learning pass with the bytes of a word (bit b: byte
     * word + b) that became synchronisation locations; NULL for none. A
     * negative answer (-ENOMEM) is the event's. */
    int (*on_mark)(void *arg, uint64_t word, uint8_t bytes);
    void *on_mark_arg;
    /* The calling context of thread tid's access at pc, the one being
     * checked, asked when it races (racetrace: its innermost call site in
     * the program's own code): a pair of pcs is reported once per
     * context, as ThreadSanitizer reports each pair of stacks. NULL:
     * once. */
    uint64_t (*context)(void *arg, uint64_t tid, uint64_t pc);
    void *context_arg;
};

/* tt_race_access flags, beside the instruction's TT_SYNCINSN_* flags. */
enum {
    TT_RACE_WRITE = 1u << 16,
    TT_RACE_VALUE = 1u << 17, /* value holds what was loaded or stored */
    /* The caller can deliver this access again later: see TT_RACE_WAIT. */
    TT_RACE_CAN_WAIT = 1u << 18,
    /* Never synchronises, whatever the location was found to be: the
     * runtime libraries' own data (racetrace.h says why). */
    TT_RACE_PLAIN = 1u << 19,
    /* A load that read the latest store to its location, as a
     * read-modify-write does (a count a waiting thread finds at 0 once the
     * last of its tasks is done): with TT_RACE_CAN_WAIT it waits for a
     * store of what it saw unless that is the last value stored, though
     * the location held it before. */
    TT_RACE_LATEST = 1u << 20,
};

/* tt_race_access's answer, only with TT_RACE_CAN_WAIT: the access is a
 * load of a synchronisation location that saw a value no store delivered
 * so far wrote (its store is later in the caller's order). Nothing was
 * done: deliver other threads' events first (at least up to that store),
 * then this access again; without TT_RACE_CAN_WAIT it proceeds. */
#define TT_RACE_WAIT 1

/* The parent of a thread that has none (the first thread). */
#define TT_RACE_NO_THREAD UINT64_MAX

struct tt_race_stats {
    uint64_t accesses;        /* plain accesses checked */
    uint64_t private_accesses; /* of them, to pages one thread alone touched */
    uint64_t atomic_accesses; /* accesses to synchronisation locations */
    uint64_t races;           /* races found, before deduplication */
    uint64_t waits;           /* TT_RACE_WAIT answers */
    uint64_t threads;
    uint64_t sync_locations;  /* words holding synchronisation locations */
    uint64_t spins;           /* spin loops seen ending */
    uint64_t spin_pcs;        /* the loads that ended them */
    uint64_t shadow_pages;
    uint64_t memory;          /* bytes the detector holds */
};

/* NULL when memory runs out. */
struct tt_race *tt_race_new(const struct tt_race_config *cfg);
void tt_race_free(struct tt_race *r);

/* Ends a learning pass: threads, clocks, shadow memory and reports go,
 * what was learnt about locations stays, and events are checked for races
 * from now on. Deliver the same events again. */
int tt_race_rewind(struct tt_race *r);

/* Thread child starts, created by parent (clone): everything parent did
 * happens before everything child does. clear_tid is the clone's
 * CLONE_CHILD_CLEARTID word (0 for none); as glibc and musl ask with
 * CLONE_PARENT_SETTID, the kernel stores child (its TID) there first. */
int tt_race_thread_start(struct tt_race *r, uint64_t parent, uint64_t child, uint64_t clear_tid);
/* Thread tid ends. The kernel then stores 0 at its clear_tid word (0 for
 * none) and wakes it: a release that pthread_join's load or futex wait of
 * that word acquires, and what lets a stack be reused. */
int tt_race_thread_exit(struct tt_race *r, uint64_t tid, uint64_t clear_tid);
/* Everything thread joined did happens before what joiner does next, for
 * callers that know of a join some other way (-EINVAL: joined unknown). */
int tt_race_join(struct tt_race *r, uint64_t joiner, uint64_t joined);

/* Release into, and acquire from, the synchronisation object key (any
 * number; a memory location's is its word address, addr & ~7). */
int tt_race_release(struct tt_race *r, uint64_t tid, uint64_t key);
int tt_race_acquire(struct tt_race *r, uint64_t tid, uint64_t key);
/* The end of a read-modify-write at addr (its TT_SYNCINSN_* flags), whose
 * accesses came at its start: it acquires again what the location holds
 * now, releases of read-modify-writes that ran while it did included. Its
 * load saw one of them, the trace cannot say which (their events are
 * numbered before they run, their ends after), so it is ordered after
 * each: an edge too many at worst, never one missing. */
int tt_race_rmw_end(struct tt_race *r, uint64_t tid, uint64_t addr, unsigned flags);
/* A futex wake, and the return of a futex wait, on the word at addr: a
 * release and an acquire on it, and it is a synchronisation location. */
int tt_race_futex_wake(struct tt_race *r, uint64_t tid, uint64_t addr);
int tt_race_futex_wait(struct tt_race *r, uint64_t tid, uint64_t addr);
/* A fence instruction (its TT_SYNCINSN_ACQUIRE and _RELEASE bits). System
 * calls are full fences too: deliver one for each. An acquire fence makes
 * the thread acquire what its earlier relaxed atomic loads read; a release
 * fence makes its later relaxed atomic stores release what it did so far. */
int tt_race_fence(struct tt_race *r, uint64_t tid, unsigned flags);

/* A hint that an access to addr comes soon: the shadow of its word is
 * fetched into the cache, when there is one. Changes no state. */
void tt_race_prefetch(struct tt_race *r, uint64_t addr);

/* A memory access of size bytes (1 to 4096) at addr by the instruction at
 * pc: a load,
 * or a store with TT_RACE_WRITE; with TT_RACE_VALUE, value is what it
 * loaded or stored (the low 64 bits). flags also carry the instruction's
 * TT_SYNCINSN_* flags (_FENCE is ignored here: deliver fences with
 * tt_race_fence; a load's value is ignored under _LOAD_VALUE_LOST). A
 * read-modify-write is two accesses, its load then its store, as QEMU
 * reports them; its store's value must be what memory holds after it
 * (not QEMU's, see syncinsn.h) or not given. Returns 0, TT_RACE_WAIT, or
 * an error. */
int tt_race_access(struct tt_race *r, uint64_t tid, uint64_t pc, uint64_t addr, uint32_t size, unsigned flags,
                   uint64_t value);

/* [addr, addr + len) is no longer what it was (munmap, a fresh mmap over
 * it): its access history goes, so its next owner starts clean. */
int tt_race_forget(struct tt_race *r, uint64_t addr, uint64_t len);
/* [addr, addr + size) is a synchronisation location from the start, as
 * one an atomic instruction accessed: the program declares it atomic
 * (atomicobj.h). Marks outlive both passes and the memory's reuse.
 * Returns 0, -EINVAL for a range past the address space or of 4 GiB or
 * more, or -ENOMEM. */
int tt_race_mark(struct tt_race *r, uint64_t addr, uint64_t size);
/* [addr, addr + len) holds no synchronisation location any more: a heap
 * block was freed, and what its memory is used for next is the next
 * block's. */
void tt_race_unmark(struct tt_race *r, uint64_t addr, uint64_t len);
/* Whether a byte of [lo, hi) is a synchronisation location. */
bool tt_race_synchronises(const struct tt_race *r, uint64_t lo, uint64_t hi);

/* The races found so far, one per pair of pcs, in the order found. Valid
 * until the next event. */
const struct tt_race_report *tt_race_reports(const struct tt_race *r, size_t *n);
/* Where the number of races tt_race_reports gives is kept, valid as long
 * as r: a caller that looks after every access reads it, with no call. */
const size_t *tt_race_report_count(const struct tt_race *r);
void tt_race_stats(const struct tt_race *r, struct tt_race_stats *st);

#endif
