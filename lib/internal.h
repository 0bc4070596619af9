/* What the writer and the reader share inside lib/: the record decoder
 * (the reader decodes, the writer counts what a failed write lost), the
 * definition tables and a bump allocator. Not installed. */
#ifndef TCGTRACE_LIB_INTERNAL_H
#define TCGTRACE_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcgtrace/format.h"
#include "tcgtrace/reader.h"

/* Allocations that live as long as their owner: definitions, header
 * strings. Freed all at once. */
struct tt_arena {
    struct tt_arena_block *head;
};
void *tt_arena_alloc(struct tt_arena *a, size_t n);
char *tt_arena_strndup(struct tt_arena *a, const char *s, size_t n);
void tt_arena_free(struct tt_arena *a);

struct tt_defs {
    struct tt_arena arena;
    struct tt_insn_def *insns;
    uint32_t ninsns, insn_cap;
    struct tt_reg_def *regs;
    uint32_t nregs, reg_cap;
    const char **strings;
    uint32_t nstrings, string_cap;
};
void tt_defs_free(struct tt_defs *d);

/* The decoder's delta state: zero at each chunk start (tt_dstate_reset).
 * The memory-access predictors are allocated at the first memory access
 * that needs them, not with the state: a reader keeps a state per stream,
 * and traces of thousands of streams without memory accesses exist. */
struct tt_dstate {
    uint64_t next_insn;
    uint64_t last_pc, last_vaddr, last_phys, last_gseq, last_def_pc;
    uint64_t last_val;
    uint32_t prev_mslot;
    unsigned run_done; /* records of the current run returned so far */
    struct tt_mslot *mslot; /* TT_MSLOTS of them, or NULL */
    bool mslot_used;        /* since the last reset: zero them at the next */
};

/* Zero at the start of a chunk; keeps the predictors' memory. */
void tt_dstate_reset(struct tt_dstate *st);
void tt_dstate_free(struct tt_dstate *st);

/* A varint at *p (< end): false when cut short or longer than 64 bits. */
bool tt_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* Decodes the record at *pp (< end) into rec and advances *pp. defs NULL:
 * only parse (definitions are neither checked nor recorded). meta: the
 * chunk belongs to the metadata stream, which holds definitions only.
 * Returns 1 for a record, 0 for an extension record (not counted in the
 * chunk's records: rec->kind is TT_HEAP for a heap event, TT_SYNC for a
 * read-modify-write end, else 0, skipped),
 * or TT_E_CORRUPT/TT_E_NOMEM with the problem in why. */
int tt_decode(struct tt_dstate *st, struct tt_defs *defs, bool meta, const uint8_t **pp,
              const uint8_t *end, struct tt_record *rec, char *why, size_t whylen);

/* The memory accesses at *pp (< end) of vCPU stream's chunk, up to max
 * of them, decoded into recs (stream set) as tt_decode would one by one:
 * stops before the first record of another kind. *n says how many. 0, or
 * tt_decode's error for the record *pp is left at (after *n good ones). */
int tt_decode_mems(struct tt_dstate *st, struct tt_defs *defs, const uint8_t **pp, const uint8_t *end,
                   uint32_t stream, struct tt_record *recs, size_t max, size_t *n, char *why, size_t whylen);

/* Header fields: the encoded header for h (malloc'd, *len bytes), and the
 * parse of one (strings in arena). */
uint8_t *tt_header_encode(const struct tt_header *h, size_t *len);
int tt_header_decode(const uint8_t *buf, size_t len, struct tt_header *h, struct tt_arena *arena,
                     struct tt_error *err);

#endif
