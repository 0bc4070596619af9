/* Synchronisation variables: the locations (and other objects) threads
 * synchronise through, each with the vector clock released into it and
 * the last value known to be stored there.
 *
 * A memory location's key is its 8-byte word address (addr & ~7), so
 * accesses of any size to one atomic word meet in one variable. The marks
 * say which bytes of the word are synchronisation locations; they outlive
 * the clock (forgetting memory, starting a second pass) because what a
 * location is used for is a property of the program, learnt once. */
#ifndef TCGTRACE_SYNCVAR_H
#define TCGTRACE_SYNCVAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u64map.h"
#include "vclock.h"

#define SYNCVAR_HISTORY 4
/* Locations of one word whose contents are kept apart: glibc's rwlock
 * has __wrphase_futex beside __writers_futex, its semaphore a count
 * beside a value. */
#define SYNCVAR_LOCS 2

/* What one location of the word holds, as far as the accesses seen tell. */
struct syncvar_loc {
    uint64_t vals[SYNCVAR_HISTORY]; /* the last values stored, most recent first */
    /* Bit i of saw[k]: vals[k] is the latest store the thread of index i
     * (below 64) is known to have seen, by storing it or loading it
     * (syncvar_future). */
    uint64_t saw[SYNCVAR_HISTORY];
    uint8_t off, size; /* the location: size bytes from key + off */
    uint8_t nvals;     /* 0: unknown, the slot free */
};

struct syncvar {
    uint64_t key;
    struct vclock clock;  /* the join of every release into it */
    struct syncvar_loc loc[SYNCVAR_LOCS];
    uint8_t newer;        /* the slot stored last: the other is taken first */
    bool known_once;      /* contents were known at some time: kept by a reset */
    uint8_t marks;        /* bit b: byte key + b is a synchronisation location */
    uint32_t next;        /* index + 1 of the next variable in the same 4 KiB
                             page, 0 for none */
};

struct syncvars {
    struct syncvar **v;  /* stable pointers: the detector keeps them */
    size_t n, cap;
    struct u64map by_key;  /* key -> index */
    struct u64map by_page; /* key >> 12 -> index + 1 of the page's first */
};

/* A zeroed struct syncvars is an empty one. */
void syncvars_free(struct syncvars *sv);

/* The variable for key, created (clock empty, contents unknown, no marks)
 * when absent and create is true. NULL when absent or out of memory. */
struct syncvar *syncvar_get(struct syncvars *sv, uint64_t key, bool create);
/* The marks of key's variable: 0 when it has none or there is none. */
uint8_t syncvar_marks(const struct syncvars *sv, uint64_t key);

/* The variables whose keys lie in the 4 KiB page number pn, in a chain
 * followed with syncvar_next. */
struct syncvar *syncvar_first_in_page(const struct syncvars *sv, uint64_t pn);
struct syncvar *syncvar_next(const struct syncvars *sv, const struct syncvar *var);

/* Calls fn(var, arg) for each variable with a key in [lo, hi]. */
void syncvars_each(struct syncvars *sv, uint64_t lo, uint64_t hi, void (*fn)(struct syncvar *var, void *arg),
                   void *arg);
/* Clears the clocks and contents of the variables with keys in [lo, hi]
 * (of all of them for 0, UINT64_MAX); marks stay. */
void syncvars_reset(struct syncvars *sv, uint64_t lo, uint64_t hi);

/* The thread index the kernel's stores give: no thread's. */
#define SYNCVAR_KERNEL UINT32_MAX

/* A store by thread (an index, or SYNCVAR_KERNEL) of size bytes at addr in
 * var's word, of value if known. Each location's contents are kept for
 * itself (SYNCVAR_LOCS of them, the one stored longest ago giving way): a
 * store beside one leaves it be, a store across one makes it unknown. */
void syncvar_stored(struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, bool known, uint64_t value);
/* A load by thread of size bytes at addr saw value: the contents become
 * known if they were not. */
void syncvar_loaded(struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, uint64_t value);
/* Whether a load of size bytes at addr that saw value can have read a
 * store already seen: the contents are unknown there, or the value is one
 * of the last stored (compared on the bytes the two have in common, with
 * each location known that the load is within or holds whole). A load's callback can come after a later store's,
 * so a value from the recent past is no sign of a store yet to come. */
bool syncvar_seen(const struct syncvar *var, uint64_t addr, uint32_t size, uint64_t value);
/* Whether a read-modify-write of size bytes at addr that loaded value can
 * come next: the contents are unknown there, or value is the last stored.
 * Its load and store are one atomic step, so it read the very last store
 * before it, never an older one: a lock word's 0 from the recent past does
 * not let a lock go before the unlock it saw. */
bool syncvar_current(const struct syncvar *var, uint64_t addr, uint32_t size, uint64_t value);
/* Whether a load by thread of size bytes at addr that saw value read a
 * store yet to come, whatever syncvar_seen says: the thread had seen one of
 * the last values stored (stored it, or loaded it since), and value is
 * neither that one nor one stored after it. One location's stores take
 * effect in one order that every thread sees them in, so a thread that saw
 * a store cannot read an older one: a value the recent past also held (a
 * reader polling glibc's rwlock word saw 0xb, then 0xa, which the word had
 * held three stores before, and went on before the writer's store of 0xa
 * and its unlock) is a store to wait for, and stays one when other threads
 * store after what the thread saw: libgomp's parent task stores 0 in its
 * queue of children, then each child it makes, another thread takes one
 * off, and the parent's load of 0 is the last child's store to come, not
 * the parent's own first one (while that was known only of a thread that
 * had seen the latest value, the load went on without the last child's
 * release). The same value stored again, such as a failed
 * compare-and-swap writing it back, is one of those after it. */
bool syncvar_future(const struct syncvar *var, uint32_t thread, uint64_t addr, uint32_t size, uint64_t value);

#endif
