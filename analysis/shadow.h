/* Shadow memory for the race detector: the access history of every guest
 * byte that was touched, and nothing for bytes that were not.
 *
 * Guest memory is shadowed in 4 KiB pages, created on first touch and
 * found through a hash map behind a small direct-mapped cache. A page holds
 * one slot per aligned 8-byte word. A word starts as one cell for all 8
 * bytes; an access that covers only part of a granule splits the word into
 * cells of the access's granularity (4, 2 or 1 bytes), each a copy of the
 * cell it came from, so a cell always describes accesses that covered all
 * of its bytes: ints side by side written by different threads are told
 * apart, and a word accessed whole costs one cell. */
#ifndef TCGTRACE_SHADOW_H
#define TCGTRACE_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "u64map.h"
#include "vclock.h"

#define SHADOW_PAGE_SHIFT 12
#define SHADOW_PAGE_SIZE (1u << SHADOW_PAGE_SHIFT)
#define SHADOW_WORDS (SHADOW_PAGE_SIZE / 8)

/* In a cell's r: not an epoch but a struct shadow_reads pointer. */
#define SHADOW_SHARED (UINT64_C(1) << 63)
/* A cell's pc fields hold the access's pc in bits 0-55 (user-space code
 * addresses of every guest fit) and log2 of its size above. */
#define SHADOW_PC_BITS 56
#define SHADOW_PC_MASK ((UINT64_C(1) << SHADOW_PC_BITS) - 1)

/* The history of one granule since its last write. */
struct shadow_cell {
    epoch_t w;    /* the last write, 0 for none */
    uint64_t r;   /* the last read's epoch, 0 for none; or SHADOW_SHARED |
                     struct shadow_reads * when several threads read it
                     without ordering between them */
    uint64_t wpc; /* pc and size of the last write */
    uint64_t rpc; /* pc and size of the last read, when r is an epoch */
};

/* Concurrent reads: entry t holds thread t's last read (clock 0: none). */
struct shadow_reads {
    uint32_t cap;
    struct shadow_read {
        uint32_t clock;
        uint64_t pc;
    } e[];
};

struct shadow_page {
    /* 0: slot holds one cell; l > 0: slot points to 1 << l cells of 8 >> l
     * bytes each. */
    uint8_t level[SHADOW_WORDS];
    /* Bytes that are synchronisation locations (bit b: byte b of the
     * word): their accesses are atomic, never checked for races. */
    uint8_t syncmask[SHADOW_WORDS];
    union shadow_slot {
        struct shadow_cell cell;
        struct shadow_cell *split;
    } slot[SHADOW_WORDS];
};

#define SHADOW_CACHE 256

struct shadow {
    struct u64map pages; /* page number -> struct shadow_page * */
    struct {
        uint64_t pn;
        struct shadow_page *page; /* NULL: empty entry */
    } cache[SHADOW_CACHE];
    uint64_t bytes;  /* memory held for shadow state */
    uint64_t npages; /* pages held */
};

/* A zeroed struct shadow is an empty one. */
void shadow_free(struct shadow *s);

/* The shadow page of addr's page; NULL when there is none and create is
 * false, or when memory runs out. *created says whether it is new (all
 * cells empty, syncmask 0). */
struct shadow_page *shadow_page(struct shadow *s, uint64_t addr, bool create, bool *created);

/* The cells covering bytes [off, off + len) of word w (0 < len, off + len
 * <= 8), splitting the word if needed; *n receives their number. NULL when
 * memory runs out. */
struct shadow_cell *shadow_cells(struct shadow *s, struct shadow_page *p, unsigned w, unsigned off, unsigned len,
                                 unsigned *n);

/* Makes word w one cell again, a copy of its first cell. The caller knows
 * that all its cells are equal and hold no shadow_reads (after a write of
 * the whole word). */
void shadow_collapse(struct shadow *s, struct shadow_page *p, unsigned w);

/* rs (or a new set for NULL) grown to hold thread's entry; NULL when
 * memory runs out, rs then unchanged. */
struct shadow_reads *shadow_reads_reserve(struct shadow *s, struct shadow_reads *rs, uint32_t thread);
void shadow_reads_free(struct shadow *s, struct shadow_reads *rs);

/* Forgets the history of [addr, addr + len): whole pages are released,
 * words inside the range emptied. Words only partly inside keep their
 * history; syncmasks are kept. */
void shadow_forget(struct shadow *s, uint64_t addr, uint64_t len);

#endif
