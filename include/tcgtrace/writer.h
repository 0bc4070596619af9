/* Writing a trace (docs/format.md). A plugin opens one writer, takes one
 * stream per vCPU at vcpu_init and appends records to it from that vCPU's
 * thread only; the encoders below are inline and take no lock, allocate
 * nothing, make no system call and write only the stream's own memory.
 * A nearly full buffer goes to the writer thread (compression, write(2))
 * out of line; when that thread falls behind, the appending thread waits
 * for a free buffer rather than drop anything.
 *
 * Definitions (instructions, registers, strings) are shared by all
 * streams: define them at translation time (they take a mutex), keep the
 * id, and record uses of the id. The file always holds a definition
 * before any chunk that uses it.
 *
 *   w = tt_writer_open(path, &hdr, &opts, &err);       // plugin install
 *   s = tt_stream_get(w, vcpu_index, &err);            // vcpu_init
 *   id = tt_def_insn(w, pc, bytes, len, disas);        // translation
 *   tt_put_insn(s, id, pc); tt_put_mem(s, ...);        // execution
 *   tt_stream_flush(s);                                // vcpu_exit
 *   rc = tt_writer_close(w, &stats, &err);             // atexit
 *
 * execve replaces the process without any exit callback: the vCPU that
 * calls it seals the trace (tt_writer_seal), which is then whole up to
 * there; the other vCPUs' streams are flushed too if parked
 * (tt_stream_park: their thread is in a system call or gone).
 */
#ifndef TCGTRACE_WRITER_H
#define TCGTRACE_WRITER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcgtrace/error.h"
#include "tcgtrace/format.h"
#include "tcgtrace/reader.h" /* struct tt_header */

struct tt_writer;

struct tt_writer_options {
    int level;           /* zstd level; 0: default (-1, fast); ignored if raw */
    bool raw;            /* store chunks uncompressed */
    size_t chunk_size;   /* raw bytes a chunk; 0: 1 MiB (64 KiB .. 64 MiB) */
    unsigned queue;      /* full buffers waiting for the writer; 0: 8 */
    /* Compress and write in the thread that hands a buffer off, under the
     * writer's lock, instead of a writer thread: output bytes then depend
     * only on the calls made (golden files, tests). */
    bool synchronous;
};

/* Records the writer handled, for progress displays and summaries. The
 * counters are updated by the writer thread; reading them is lock-free. */
struct tt_writer_stats {
    uint64_t records;    /* written to the file (definitions not counted) */
    uint64_t lost;       /* could not be written (see tt_writer_close) */
    uint64_t lost_kind[TT_KIND_COUNT]; /* definitions included; at close only */
    uint64_t chunks;
    uint64_t bytes;      /* file size so far */
    uint64_t raw_bytes;  /* encoded bytes before compression */
};

/* Truncates or creates path and writes the header. With
 * hdr->has_kind_counts the header's records-per-kind field is reserved and
 * filled in with what the file holds when the writer finishes (close,
 * seal), the header written again. NULL on error. */
struct tt_writer *tt_writer_open(const char *path, const struct tt_header *hdr,
                                 const struct tt_writer_options *opts, struct tt_error *err);

/* Flushes every stream, writes the pending definitions and the trailer,
 * joins the writer thread and closes the file. No stream may be used
 * concurrently or afterwards. 0, or < 0 when records were lost (a write
 * failed: err names the file, the system error and the count lost per
 * kind); the trace is readable up to its last whole chunk either way. */
int tt_writer_close(struct tt_writer *w, struct tt_writer_stats *stats, struct tt_error *err);

/* A snapshot of the counters, from any thread. */
void tt_writer_stats(struct tt_writer *w, struct tt_writer_stats *stats);

/* Makes the file a whole trace of what was recorded so far, for a process
 * about to be replaced (execve): flushes every parked stream, waits until
 * the writer has written everything handed to it and the definitions,
 * writes a trailer and syncs the file. From then on the writer holds what
 * it is given (appending threads wait once the queue is full) until
 * tt_writer_unseal. In synchronous mode the next hand-off unseals. 0, or
 * < 0 when a write had failed (err as for tt_writer_close). */
int tt_writer_seal(struct tt_writer *w, struct tt_error *err);
/* The process goes on (execve failed): the trailer is cut off again and
 * writing resumes once every tt_writer_seal has its tt_writer_unseal. */
void tt_writer_unseal(struct tt_writer *w);

/* --- Definitions (take the writer's mutex; translation time) ----------- */

/* Ids are dense from 0, one sequence per kind. Bytes and strings are
 * copied; strings longer than TT_STRING_MAX are cut. UINT32_MAX when out of
 * memory. */
uint32_t tt_def_insn(struct tt_writer *w, uint64_t pc, const uint8_t *bytes, size_t len,
                     const char *disas);
uint32_t tt_def_reg(struct tt_writer *w, const char *name, uint32_t width);
/* The same string always gets the same id. */
uint32_t tt_def_string(struct tt_writer *w, const char *str);

/* --- Streams ------------------------------------------------------------ */

#define TT_STREAM_SLACK 512 /* the most any record but a module writes */
#define TT_STRING_CACHE 16

struct tt_buf;

/* Per-vCPU state: written only by the thread that owns the stream, and
 * aligned so that no other thread's data shares its cache lines. */
struct tt_stream {
    uint8_t *p; /* next free byte */
    /* Hand off once p passes this. A seal sets it to NULL from another
     * thread, so that the owner's next record goes through the slow path
     * (tt_stream_handoff), which hands the buffer over: hence atomic. */
    uint8_t *_Atomic limit;
    uint32_t nrec;
    /* Delta state, reset at each chunk start (docs/format.md). */
    uint32_t next_insn;
    uint64_t last_pc;
    uint64_t last_vaddr;
    uint64_t last_phys;
    uint64_t last_gseq;
    uint64_t last_val;   /* of the last memory access of at most 8 bytes */
    uint32_t prev_mslot; /* the slot of the last memory access */
    /* Just past the last record when that record is a predicted memory
     * access or a run of them (its tag, one byte), which the next such
     * access extends. */
    uint8_t *run_end;
    /* Records per kind in the buffer, memory accesses excepted: they are
     * what nrec counts beyond the others (the hot path counts nothing). */
    uint32_t nkind[TT_KIND_COUNT];
    uint32_t next; /* extension records: counted in nkind, not in nrec */

    uint32_t id;
    uint32_t seq;
    struct tt_writer *w;
    struct tt_buf *buf;
    /* Whether another thread may flush the stream: see tt_stream_park. */
    _Atomic uint32_t gate;
    /* Interned string pointer -> id, so region names cost no lock. */
    const char *scache_key[TT_STRING_CACHE];
    uint32_t scache_id[TT_STRING_CACHE];
    /* Memory-access predictors, part of the delta state. */
    struct tt_mslot mslot[TT_MSLOTS] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/* The stream of vCPU index vcpu, created at first use. linux-user reuses a
 * vCPU index after its thread exits: the stream is the same and goes on
 * (its records follow the previous thread's). One thread at a time may
 * append to a stream. NULL when out of memory. */
struct tt_stream *tt_stream_get(struct tt_writer *w, uint32_t vcpu, struct tt_error *err);
/* Hands the stream's records to the writer now (vcpu_exit). */
void tt_stream_flush(struct tt_stream *s);
/* Out of line: the buffer is nearly full. */
void tt_stream_handoff(struct tt_stream *s);
/* The owner appends nothing until tt_stream_unpark (its thread is in a
 * system call, or has exited): meanwhile tt_writer_seal may flush the
 * stream from another thread. Not for the hot path: a system call's cost. */
void tt_stream_park(struct tt_stream *s);
/* Before the owner appends again; waits while a seal flushes the stream.
 * A stream not parked is left as it is. */
void tt_stream_unpark(struct tt_stream *s);
/* Out of line: the id for a string whose pointer missed the cache. */
uint32_t tt_stream_string_slow(struct tt_stream *s, const char *str);

/* Each record starts with room for TT_STREAM_SLACK bytes: a buffer past its
 * limit is handed off (and the delta state reset) before, not after, a
 * record, so a record and what completes it stay in one chunk. */
static inline uint8_t *tt_stream_begin_(struct tt_stream *s)
{
    if (__builtin_expect(s->p > atomic_load_explicit(&s->limit, memory_order_relaxed), 0))
        tt_stream_handoff(s);
    return s->p;
}

static inline void tt_stream_end_(struct tt_stream *s, uint8_t *p)
{
    s->p = p;
    s->nrec++;
}

/* The end of a record of kind (tt_kind) other than a memory access. */
static inline void tt_stream_end_kind_(struct tt_stream *s, uint8_t *p, unsigned kind)
{
    s->nkind[kind]++;
    tt_stream_end_(s, p);
}

/* An extension record (tags TT_TAG_EXT_FIRST to _LAST): its tag, then room
 * for its body's length, one varint byte (bodies up to 127 bytes), which
 * tt_ext_end_ fills in. */
static inline uint8_t *tt_ext_begin_(struct tt_stream *s, uint8_t tag, uint8_t **len)
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = tag;
    *len = p++;
    return p;
}

/* Extensions are counted per kind, not in the chunk's records (nrec): a
 * buffer of them alone is handed off like any other. */
static inline void tt_ext_end_(struct tt_stream *s, uint8_t *p, uint8_t *len, unsigned kind)
{
    *len = (uint8_t)(p - len - 1);
    s->p = p;
    s->nkind[kind]++;
    s->next++;
}

/* An id for str, which must stay at the same address with the same
 * content for the whole run (QEMU's memory-region names do). */
static inline uint32_t tt_stream_string(struct tt_stream *s, const char *str)
{
    unsigned h = (unsigned)((uintptr_t)str >> 4) % TT_STRING_CACHE;
    if (__builtin_expect(s->scache_key[h] == str, 1))
        return s->scache_id[h];
    return tt_stream_string_slow(s, str);
}

/* An executed instruction: id from tt_def_insn, pc that definition's pc
 * (following memory records of the same pc then omit theirs). */
static inline void tt_put_insn(struct tt_stream *s, uint32_t id, uint64_t pc)
{
    uint8_t *p = tt_stream_begin_(s);
    uint64_t z = tt_zigzag((int64_t)id - (int64_t)s->next_insn);
    if (z < TT_TAG_INSN_LONG) {
        *p++ = (uint8_t)z;
    } else {
        *p++ = TT_TAG_INSN_LONG;
        p = tt_put_varint(p, z);
    }
    s->next_insn = id + 1;
    s->last_pc = pc;
    tt_stream_end_kind_(s, p, TT_INSN);
}

/* A memory access (docs/format.md, "Memory access"). The state is
 * updated before any byte of the record is written: byte stores may alias
 * anything, so state read after them would be loaded again. */
static inline __attribute__((always_inline)) void tt_put_mem_(struct tt_stream *s, uint64_t pc,
                                                               uint64_t vaddr, unsigned shift,
                                                               bool store, bool has_value,
                                                               uint64_t lo, uint64_t hi)
{
    uint8_t *p = tt_stream_begin_(s);
    uint64_t last_pc = s->last_pc;
    uint32_t key = (uint32_t)store | shift << 1;
    struct tt_mslot *prev = &s->mslot[s->prev_mslot];
    bool key_miss = ((prev->next_pc ^ pc) | (prev->next_key ^ key)) != 0;
    prev->next_pc = pc;
    prev->next_key = key;
    unsigned j = tt_mslot(pc, store);
    struct tt_mslot *m = &s->mslot[j];
    s->prev_mslot = j;
    s->last_pc = pc;
    s->last_vaddr = vaddr;
    uint64_t ares = vaddr - m->addr - m->addr_stride;
    m->addr_stride = vaddr - m->addr;
    m->addr = vaddr;

    /* A value of up to 8 bytes: its residual is taken modulo the access's
     * width (8 << shift bits), sign-extended, and stored as n little-endian
     * bytes of its zigzag, n in the tag. */
    unsigned vcode = has_value ? TT_MEM_V_WIDE : TT_MEM_V_NONE;
    uint64_t z = 0;
    if (has_value && shift < TT_MEM_SHIFT_MAX) {
        unsigned cut = 64 - (8u << shift);
        uint64_t last_val = s->last_val, v = m->val;
        uint64_t by_stride = v + m->val_stride, by_link = last_val + m->val_link;
        unsigned mode = m->val_mode;
        lo &= ~0ull >> cut;
        z = tt_zigzag((int64_t)((lo - (mode ? by_link : by_stride)) << cut) >> cut);
        vcode = z ? (unsigned)(71 - __builtin_clzll(z)) >> 3 : 0;
        m->val_mode = mode ^ (z && !((lo - (mode ? by_stride : by_link)) << cut));
        m->val_stride = lo - v;
        m->val_link = lo - last_val;
        m->val = lo;
        s->last_val = lo;
    }

    unsigned tag = TT_TAG_MEM | vcode | (key_miss ? TT_MEM_KEY : 0) | (ares ? TT_MEM_ADDR : 0);
    if (tag == TT_TAG_MEM) {
        /* Everything predicted: a byte, or none when it extends a run. */
        if (s->run_end == p && p[-1] != TT_TAG_MEM_RUN_LAST) {
            p[-1] = p[-1] == TT_TAG_MEM ? TT_TAG_MEM_RUN : (uint8_t)(p[-1] + 1);
        } else {
            *p++ = TT_TAG_MEM;
            s->run_end = p;
        }
        tt_stream_end_(s, p);
        return;
    }
    *p++ = (uint8_t)tag;
    if (__builtin_expect(key_miss, 0)) {
        if (pc != last_pc) {
            *p++ = (uint8_t)(key | TT_MEM_KEY_PC);
            p = tt_put_varint(p, tt_zigzag((int64_t)(pc - last_pc)));
        } else {
            *p++ = (uint8_t)key;
        }
    }
    if (ares)
        p = tt_put_varint(p, tt_zigzag((int64_t)ares));
    if (vcode == TT_MEM_V_WIDE) {
        p = tt_put_le64(p, lo);
        p = tt_put_le64(p, hi);
    } else if (vcode != TT_MEM_V_NONE) {
        /* All 8 bytes, n of them kept: within the record's slack. */
        tt_put_le64(p, z);
        p += vcode;
    }
    tt_stream_end_(s, p);
}

/* A memory access of 1 << shift bytes (shift 0..4, as
 * qemu_plugin_mem_size_shift gives), without its value. */
static inline __attribute__((always_inline)) void tt_put_mem(struct tt_stream *s, uint64_t pc,
                                                              uint64_t vaddr, unsigned shift,
                                                              bool store)
{
    tt_put_mem_(s, pc, vaddr, shift, store, false, 0, 0);
}

/* A memory access with the value loaded or stored: lo holds the value
 * (zero-extended) up to 8 bytes; a 16-byte value is lo, then hi. */
static inline __attribute__((always_inline)) void tt_put_mem_value(struct tt_stream *s, uint64_t pc,
                                                                    uint64_t vaddr, unsigned shift,
                                                                    bool store, uint64_t lo,
                                                                    uint64_t hi)
{
    tt_put_mem_(s, pc, vaddr, shift, store, true, lo, hi);
}

/* Under qemu-system: the physical address and memory region (a string id,
 * see tt_stream_string) of the memory record just put. Not a record of its
 * own: it completes the previous one. */
static inline void tt_put_mem_phys(struct tt_stream *s, uint64_t phys, uint32_t region)
{
    uint8_t *p = s->p;
    *p++ = TT_TAG_MEM_PHYS;
    p = tt_put_varint(p, tt_zigzag((int64_t)(phys - s->last_phys)));
    p = tt_put_varint(p, region);
    s->last_phys = phys;
    /* Within the slack the memory record started with. */
    s->p = p;
}

/* A register's new value: len (<= 255) bytes in guest memory order, as
 * qemu_plugin_read_register gives them. */
static inline void tt_put_reg(struct tt_stream *s, uint32_t id, const uint8_t *value, size_t len)
{
    uint8_t *p = tt_stream_begin_(s);
    if (len > TT_REG_BYTES_MAX)
        len = TT_REG_BYTES_MAX;
    *p++ = TT_TAG_REG;
    p = tt_put_varint(p, id);
    *p++ = (uint8_t)len;
    memcpy(p, value, len);
    tt_stream_end_kind_(s, p + len, TT_REG);
}

static inline void tt_put_thread_start(struct tt_stream *s, uint64_t tid)
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_THREAD_START;
    tt_stream_end_kind_(s, tt_put_varint(p, tid), TT_THREAD_START);
}

static inline void tt_put_thread_exit(struct tt_stream *s, uint64_t tid, int64_t status)
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_THREAD_EXIT;
    p = tt_put_varint(p, tid);
    tt_stream_end_kind_(s, tt_put_varint(p, tt_zigzag(status)), TT_THREAD_EXIT);
}

static inline void tt_put_syscall(struct tt_stream *s, uint64_t num, const uint64_t args[6])
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_SYSCALL;
    p = tt_put_varint(p, num);
    for (int i = 0; i < 6; i++)
        p = tt_put_varint(p, args[i]);
    tt_stream_end_kind_(s, p, TT_SYSCALL);
}

static inline void tt_put_sysret(struct tt_stream *s, uint64_t num, int64_t ret)
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_SYSRET;
    p = tt_put_varint(p, num);
    tt_stream_end_kind_(s, tt_put_varint(p, tt_zigzag(ret)), TT_SYSRET);
}

/* After this record, [start, start + length) has protection prot
 * (TT_PROT_*), or is unmapped (TT_PROT_UNMAPPED); cause: tt_map_cause. */
static inline void tt_put_map(struct tt_stream *s, uint64_t start, uint64_t length, uint32_t prot,
                              unsigned cause)
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_MAP;
    *p++ = (uint8_t)cause;
    p = tt_put_varint(p, start);
    p = tt_put_varint(p, length);
    tt_stream_end_kind_(s, tt_put_varint(p, prot), TT_MAP);
}

/* A loaded ELF module: its path, load bias and the address range it
 * spans. Out of line: the path may be long. */
void tt_put_module(struct tt_stream *s, const char *path, uint64_t bias, uint64_t start,
                   uint64_t end);

/* The next global sequence number. The only counter shared by all vCPUs,
 * bumped for synchronisation events only. */
uint64_t tt_writer_next_gseq(struct tt_writer *w);

/* A synchronisation event (tt_sync_kind) stamped with gseq, a number from
 * tt_writer_next_gseq taken earlier (above the stream's last one): a
 * release takes its number before its store executes, and is recorded once
 * the store shows its address. */
static inline void tt_put_sync_seq(struct tt_stream *s, unsigned kind, uint64_t pc, uint64_t addr,
                                   uint64_t arg, uint64_t gseq)
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_SYNC;
    uint8_t *k = p++;
    *k = (uint8_t)kind;
    if (pc != s->last_pc) {
        *k |= TT_SYNC_PC;
        p = tt_put_varint(p, tt_zigzag((int64_t)(pc - s->last_pc)));
        s->last_pc = pc;
    }
    p = tt_put_varint(p, tt_zigzag((int64_t)(addr - s->last_vaddr)));
    s->last_vaddr = addr;
    p = tt_put_varint(p, arg);
    p = tt_put_varint(p, gseq - s->last_gseq);
    s->last_gseq = gseq;
    tt_stream_end_kind_(s, p, TT_SYNC);
}

/* A synchronisation event (tt_sync_kind) stamped with the next global
 * sequence number, which is returned. Put it where the event takes effect
 * (an acquire after its load, a release before its store). */
static inline uint64_t tt_put_sync(struct tt_stream *s, unsigned kind, uint64_t pc, uint64_t addr,
                                   uint64_t arg)
{
    uint64_t gseq = tt_writer_next_gseq(s->w);
    tt_put_sync_seq(s, kind, pc, addr, arg, gseq);
    return gseq;
}

/* The end of the atomic read-modify-write whose event (TT_SYNC_ATOMIC_RMW,
 * numbered before the instruction ran) was just put: gseq is a number
 * taken after it ran (TT_FEAT_RMW_END). An extension record, which leaves
 * the delta state alone. */
static inline void tt_put_rmw_end(struct tt_stream *s, uint64_t pc, uint64_t addr, uint64_t gseq)
{
    uint8_t *len, *p = tt_ext_begin_(s, TT_TAG_RMW_END, &len); /* a body of 30 bytes at most */
    p = tt_put_varint(p, pc);
    p = tt_put_varint(p, addr);
    p = tt_put_varint(p, gseq);
    tt_ext_end_(s, p, len, TT_SYNC);
}

/* A file event (TT_FEAT_FILE_SYNC): kind TT_SYNC_FILE_RELEASE or
 * _ACQUIRE on file, numbered gseq. An extension record, which leaves the
 * delta state alone. */
static inline void tt_put_file_sync(struct tt_stream *s, unsigned kind, uint64_t pc, uint64_t file, uint64_t gseq)
{
    uint8_t *len, *p = tt_ext_begin_(s, TT_TAG_FILE_SYNC, &len); /* a body of 31 bytes at most */
    *p++ = (uint8_t)(kind - TT_SYNC_FILE_RELEASE + 1);
    p = tt_put_varint(p, pc);
    p = tt_put_varint(p, file);
    p = tt_put_varint(p, gseq);
    tt_ext_end_(s, p, len, TT_SYNC);
}

/* The call instruction at pc ran (TT_FEAT_CALLS). An extension record,
 * which leaves the delta state alone: its pc is relative to the stream's
 * last one. */
static inline void tt_put_call(struct tt_stream *s, uint64_t pc)
{
    uint8_t *len, *p = tt_ext_begin_(s, TT_TAG_CALL, &len); /* a body of 10 bytes at most */
    p = tt_put_varint(p, tt_zigzag((int64_t)(pc - s->last_pc)));
    tt_ext_end_(s, p, len, TT_CALL);
}

/* count records of kind (tt_kind) could not be recorded. */
static inline void tt_put_lost(struct tt_stream *s, unsigned kind, uint64_t count)
{
    uint8_t *p = tt_stream_begin_(s);
    *p++ = TT_TAG_LOST;
    *p++ = (uint8_t)kind;
    tt_stream_end_kind_(s, tt_put_varint(p, count), TT_LOST);
}

#endif
