/* A trace fed to the race detector: see racetrace.h. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "atomiccode.h"
#include "atomicobj.h"
#include "heap.h"
#include "heaptype.h"
#include "ompwait.h"
#include "ownimage.h"
#include "racetrace.h"
#include "readahead.h"
#include "room.h"
#include "sorted.h"
#include "sysnames.h"
#include "tcgtrace/syncinsn.h"
#include "u64map.h"

/* What the detecting pass keeps of a record it holds back. */
enum ev_type { EV_ACCESS, EV_SYNC, EV_SYSCALL, EV_MAP, EV_THREAD_START, EV_HEAP, EV_CALL };

struct ev {
    uint8_t type;
    uint8_t kind;   /* sync kind; map cause (0: unmapped); access: BOUND, LATE; heap kind */
    uint16_t size;  /* access bytes */
    uint32_t flags; /* access: TT_RACE_* and TT_SYNCINSN_*; sync: TT_SYNCINSN_* */
    uint64_t pc;    /* access, sync; syscall: its number; heap: the call's return address */
    uint64_t addr;  /* access, sync; map: start; syscall: second argument; heap: the block */
    uint64_t value; /* access; sync: argument; map: length; thread start: tid; heap: size */
    uint64_t seq;   /* sync: global sequence number; access: arrival; heap: the function */
    uint64_t value_hi; /* access of 16 bytes: the high half; heap: realloc's old block */
};

/* Accesses delivered right before their stream's next sync event, where
 * that event is in the global order, which the access's record is not.
 * BOUND: the accesses of an atomic instruction (the records of two
 * threads' read-modify-writes come in any order, their sync events in the
 * order of the instructions). LATE: plain loads of a word that
 * read-modify-writes update (glibc's lock loops load a lock word, then
 * exchange it: the load saw what another thread's read-modify-write
 * stored just before, whose value QEMU does not say, so only the order of
 * the sync events tells); only a preference: when nothing else can go on,
 * they go (the next sync event may be far). */
#define BOUND 1
#define LATE 2

/* A sync event's flag: the runtime's own (an atomic instruction or futex
 * on the C library's data), which orders nothing (see docs/races.md) but
 * keeps its place in the global order, and so the place of the records
 * around it: a block freed by one thread (its free's accesses, before the
 * arena's lock is released) is delivered before another's allocation of
 * it (after that lock is taken), though a load held back in the first
 * thread holds its free back too. */
#define ORDER_ONLY (1u << 31)

/* A LATE load goes at once when its stream has this many events held
 * behind it and still no sync event: the next one is too far to tell
 * anything (a loop with no synchronisation). */
#define LATE_SPAN 4096

/* Which values were stored where, learnt, so that a load of a value no
 * store in the trace wrote (what memory held before the recording saw it,
 * a global's initial value) never waits: its store is not to come, and a
 * load delivered after the store that overwrote it is no reason to hold a
 * thread. A blocked Bloom filter of (address, size, value) over every
 * store with its value, the kernel's at clone and exit included: two bits
 * in one 64-bit word, one cache miss per store. A false positive only
 * lets a load wait as it would without the filter. */
#define STORED_WORDS (1u << 19)

/* Filter updates wait in a ring this long, their words prefetched: one
 * cache miss per store, overlapped with the decoding and detecting that
 * follow instead of stalling on each (the bits are ORed in, any order). */
#define STORED_AHEAD 16

/* One stream of the trace: a vCPU, and the guest thread it runs now. */
struct stream {
    uint32_t vcpu;
    uint64_t tid;
    int32_t thread;   /* index in rt->threads, -1 before it is known */
    bool seen;        /* it has had records */
    uint8_t last_kind; /* of its last record in the learning pass */
    bool dormant;     /* its thread exited: nothing comes before a new one */
    /* Events held back, q[head] to q[n - 1]. */
    struct ev *q;
    size_t head, n, cap;
    bool waiting;       /* q[head] is a load that answered TT_RACE_WAIT */
    uint64_t wait_word; /* and the word it loaded */
    uint64_t first_sync; /* seq of the first sync event held, or UINT64_MAX */
    /* The last system call (a clone's arguments), and the last access
     * (the size of an atomic instruction's access, for its sync event). */
    uint64_t sys_num, sys_arg1;
    struct callstack stack;
    uint64_t accesses; /* delivered so far, in the stream's order */
    uint64_t last_pc, last_addr, last_value;
    uint32_t last_size;
    bool last_load; /* with a value */
    /* The learning pass's last sync event: its pc, and its flags when a
     * fence (learn_fenced). */
    uint64_t fence_pc;
    unsigned fence_flags;
    uint32_t heap_allocs; /* its allocations so far in this pass (lifetimes) */
    /* The learning pass: it entered one of libgomp's task waits and had
     * no sync event since (their fast path, before any lock). */
    bool wait_fast;
    /* Its last load-reserved (riscv lr, arm64 ldxr): the word and the
     * value it loaded, while no other sync event of the stream followed;
     * what a store-conditional's store makes of memory (rmw_stored). */
    bool reserved;
    uint64_t reserved_addr, reserved_value;
    uint64_t need; /* racetrace_previous: the accesses to read, 0 for none */
};

/* vCPU indices below this find their stream through a table, the others
 * through a map: a corrupt trace naming vCPU 47 million costs one stream,
 * not 47 million. */
#define STREAM_DIRECT 1024

/* Held events beyond this make the oldest waiting load go on: memory stays
 * bounded whatever the trace. */
#define HELD_MAX (1u << 20)

/* The C library's own synchronisation (its lock words, __nptl_nthreads,
 * malloc's main arena) orders its callers in ways the program does not
 * promise: a thread that ended before the next was created, through the
 * thread count's atomic decrement and increment, hid that both updated a
 * global unprotected. As ThreadSanitizer, which does not see inside the C
 * library, the detector takes no order from locations in the images of
 * the C library and the dynamic loader; the program's own objects (its
 * mutexes, condition variables, barriers, wherever they are) synchronise
 * as before, and thread creation, exit and join are events of their own.
 * libgomp is not one: `omp critical` locks live in its data. */
#define RUNTIME_IMAGES 4

/* The bytes marked of one object declared atomic, a global or a heap
 * block, and of all globals: each marked word costs a synchronisation
 * variable. An array of a million atomic counters has its first 64 KiB
 * marked; atomic instructions mark what they touch of the rest. (Globals
 * over 4 KiB were left out whole until a work-stealing deque's 32 KiB
 * array of _Atomic task pointers, stored and loaded relaxed, which are
 * plain movs, raced.) */
#define ATOMIC_OBJECT_BYTES (1u << 16)
#define ATOMIC_BYTES_MAX (1u << 20)
/* A heap object type's atomic parts kept, at most. */
#define HEAP_TYPE_PARTS 64

/* The largest static program image whose own parts are told apart (a bit
 * per 8 bytes: 16 MiB of bitmap). */
#define OWN_IMAGE_MAX (UINT64_C(1) << 30)

/* Bitmap in front of the map of synchronising instructions: most pcs are
 * plain, and a clear bit says so without a lookup. */
#define INSN_BITS 4096
#define ATOMIC_CODE_BITS 65536

struct racetrace {
    unsigned machine;
    const char *arch;
    bool sync_flags; /* TT_FEAT_SYNC_FLAGS: sync events carry the flags */
    bool cas_exact;  /* TT_FEAT_CAS_EXACT: a compare-and-swap's store value is memory's */
    struct symbols *syms;
    struct callstacks calls;
    struct tt_race *det;
    const size_t *races_found; /* tt_race_report_count */
    bool detecting;
    bool parallel; /* a clone was read: RMW store values are operands */

    struct u64map insn;      /* pc -> TT_SYNCINSN_* of a synchronising instruction */
    uint64_t insn_bits[INSN_BITS / 64];
    struct u64map exit_word; /* tid -> its clear_child_tid word, learnt */
    struct u64map rmw_words; /* words read-modify-writes update, learnt */
    uint64_t rmw_bits[INSN_BITS / 64]; /* in front of rmw_words */
    uint64_t *stored;        /* STORED_WORDS words */
    struct {
        uint64_t *word, bits;
    } stored_ring[STORED_AHEAD]; /* updates not yet made */
    unsigned stored_next, stored_pending;

    struct stream *streams; /* in the order first seen */
    size_t nstreams, streams_cap;
    uint32_t stream_direct[STREAM_DIRECT]; /* vCPU -> index + 1, 0: none */
    struct u64map stream_map;              /* the same, for the others */
    struct racetrace_thread *threads;
    size_t nthreads, threads_cap;
    struct u64map thread_of; /* tid -> index of the last thread with it */
    struct mapset maps;
    struct heap heap; /* the live heap blocks */
    /* A heap block's lifetime: its allocating stream's vCPU and how many
     * allocations that stream made before (the same in both passes), by
     * the block's start; and what became synchronisation locations during
     * each lifetime, learnt, sorted by lifetime for the detecting pass. */
    struct u64map life_of;
    struct life_mark {
        uint64_t life, word;
        uint8_t bytes;
    } *life_marks;
    size_t nlife_marks, life_marks_cap;
    /* The types allocation sites allocate, by site: index + 1 in
     * heap_types, 0 for none with atomic parts (heaptype.h). */
    struct u64map type_of_site;
    /* The sites of calls to malloc, calloc and the aligned allocators
     * (racetrace_allocating): a frame at one is inside the call. */
    struct u64map alloc_sites;
    struct heap_type {
        uint64_t size;
        size_t n;
        bool whole; /* guessed: only for a block of whole objects */
        struct heaptype_part part[HEAP_TYPE_PARTS];
    } *heap_types;
    size_t nheap_types, heap_types_cap;
    /* The C library's and the dynamic loader's images, learnt, with a box
     * around them all: no access there synchronises (runtime_image). */
    struct {
        uint64_t start, end;
    } runtime[RUNTIME_IMAGES];
    unsigned nruntime;
    uint64_t runtime_lo, runtime_hi;
    /* The kernel's vDSO (clock_gettime): code of no thread's program
     * either (racetrace_thread.ran_program). */
    uint64_t vdso_start, vdso_end;
    /* Module files whose debug information was read (their Dwfl_Module,
     * which symbols keeps one of per file), the bytes of atomic objects
     * marked, and a static program's own parts. */
    struct u64map debug_read;
    uint64_t atomic_bytes;
    struct ownimage own;
    /* The code of C++'s atomic headers (atomiccode.h), a bit per 16 bytes
     * in front: an access made there marks its location. */
    struct mapset atomic_code;
    uint64_t atomic_code_bits[ATOMIC_CODE_BITS / 64];
    /* What holds libgomp's task waits in it: [wait_lo, wait_lo + wait_span). */
    uint64_t wait_lo, wait_span;
    uint64_t atomic_code_last; /* the address its last access marked */

    struct racetrace_report *reports;
    size_t nreports, reports_cap;
    /* Per report: the stream of its earlier access, and how many accesses
     * that stream had delivered when the race was found. */
    struct earlier {
        uint32_t vcpu;
        uint64_t before;
    } *earlier;

    /* The detecting pass's held events, and the first sync event held
     * (first_held_sync) when sync_min_known. */
    uint64_t sync_min;
    bool sync_min_known;
    uint64_t held;       /* in every queue */
    size_t queued;       /* streams with a non-empty queue */
    size_t nwaiting;     /* streams whose head waits */
    size_t reading;      /* the stream of the last sync event read */
    uint64_t arrivals;
    struct racetrace_stats st;
    readahead_progress_fn *progress;
    void *progress_arg;
};

/* --- Set-up ---------------------------------------------------------- */

static bool option_off(const char *opts, const char *neg, const char *pos)
{
    /* "noread", "noread=on" or "read=off" (QEMU's spelling of a bare
     * noread), as memtrace reads them. */
    static const char *const yes[] = { "on", "true", "yes", NULL };
    static const char *const no[] = { "off", "false", "no", NULL };
    size_t nl = strlen(neg), pl = strlen(pos);
    for (const char *p = opts; *p;) {
        size_t len = strcspn(p, ",");
        const char *const *vals = NULL;
        const char *v = NULL;
        if (len >= nl && !strncmp(p, neg, nl) && (len == nl || p[nl] == '=')) {
            if (len == nl)
                return true;
            vals = yes, v = p + nl + 1;
        } else if (len > pl && !strncmp(p, pos, pl) && p[pl] == '=') {
            vals = no, v = p + pl + 1;
        }
        for (; vals && *vals; vals++)
            if (strlen(*vals) == len - (size_t)(v - p) && !strncmp(v, *vals, strlen(*vals)))
                return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static unsigned machine_of(const char *arch)
{
    return !strcmp(arch, "x86_64") ? EM_X86_64 : !strcmp(arch, "aarch64") ? EM_AARCH64
                                             : !strcmp(arch, "riscv64") ? EM_RISCV
                                                                        : EM_NONE;
}

const char *racetrace_unsuitable(const struct tt_header *h)
{
    const uint64_t need = TT_FEAT_MEMORY | TT_FEAT_MEM_VALUES | TT_FEAT_SYNC | TT_FEAT_SYSCALLS;
    if (strcmp(h->plugin, "memtrace") || (h->features & need) != need)
        return "it is not a memory trace with values, threads and synchronisation events (record it with "
               "'tcgtrace record --tool=mem', the default, or 'tcgtrace races -- PROG')";
    if (h->big_endian || machine_of(h->arch) == EM_NONE)
        return "its guest architecture is not one tcgtrace races knows (x86_64, aarch64, riscv64)";
    if (option_off(h->plugin_options, "noread", "read"))
        return "it was recorded without loads (--no-read)";
    if (option_off(h->plugin_options, "nowrite", "write"))
        return "it was recorded without stores (--no-write)";
    return NULL;
}

/* The detector's on_mark in the learning pass: a location marked inside a
 * live heap block synchronises for that block's lifetime only. The memory
 * is the next block's after a free: a struct allocated where a
 * shared_ptr's control block was (its count marked by lock xadd) had its
 * races hidden. */
static int mark_in_block(void *arg, uint64_t word, uint8_t bytes)
{
    struct racetrace *rt = arg;
    const struct heap_block *b = heap_find(&rt->heap, word);
    const uint64_t *life = b ? u64map_find(&rt->life_of, b->start) : NULL;
    if (!life)
        return 0;
    if (room(&rt->life_marks, &rt->life_marks_cap, rt->nlife_marks, sizeof *rt->life_marks) < 0)
        return -ENOMEM;
    rt->life_marks[rt->nlife_marks++] = (struct life_mark){ *life, word, bytes };
    return 0;
}

static uint64_t race_context(void *arg, uint64_t tid, uint64_t pc);

struct racetrace *racetrace_new(const struct tt_header *h, struct symbols *syms)
{
    unsigned machine = machine_of(h->arch);
    struct racetrace *rt = machine == EM_NONE ? NULL : calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    rt->machine = machine;
    rt->arch = h->arch;
    rt->sync_flags = h->features & TT_FEAT_SYNC_FLAGS;
    rt->cas_exact = h->features & TT_FEAT_CAS_EXACT;
    rt->syms = syms;
    callstacks_init(&rt->calls, machine, syms);
    rt->det = tt_race_new(&(struct tt_race_config){ .elf_machine = machine,
                                                    .learn = true,
                                                    .on_mark = mark_in_block,
                                                    .on_mark_arg = rt,
                                                    .context = race_context,
                                                    .context_arg = rt });
    rt->stored = calloc(STORED_WORDS, sizeof *rt->stored);
    if (rt->det)
        rt->races_found = tt_race_report_count(rt->det);
    if (!rt->det || !rt->stored) {
        tt_race_free(rt->det);
        free(rt->stored);
        free(rt);
        return NULL;
    }
    return rt;
}

static void streams_free(struct racetrace *rt)
{
    for (size_t i = 0; i < rt->nstreams; i++) {
        free(rt->streams[i].q);
        callstack_free(&rt->streams[i].stack);
    }
    free(rt->streams);
    rt->streams = NULL;
    rt->nstreams = rt->streams_cap = 0;
    memset(rt->stream_direct, 0, sizeof rt->stream_direct);
    u64map_free(&rt->stream_map);
}

void racetrace_free(struct racetrace *rt)
{
    if (!rt)
        return;
    tt_race_free(rt->det);
    u64map_free(&rt->insn);
    u64map_free(&rt->exit_word);
    u64map_free(&rt->rmw_words);
    free(rt->stored);
    callstacks_free(&rt->calls);
    streams_free(rt);
    free(rt->threads);
    u64map_free(&rt->thread_of);
    mapset_free(&rt->maps);
    mapset_free(&rt->atomic_code);
    heap_clear(&rt->heap);
    u64map_free(&rt->life_of);
    free(rt->life_marks);
    u64map_free(&rt->type_of_site);
    u64map_free(&rt->alloc_sites);
    free(rt->heap_types);
    free(rt->reports);
    free(rt->earlier);
    u64map_free(&rt->debug_read);
    ownimage_free(&rt->own);
    free(rt);
}

/* --- Synchronising instructions ---------------------------------------- */

/* A module's image, when it is a runtime library's (the comment of
 * RUNTIME_IMAGES). */
static void runtime_add(struct racetrace *rt, const char *path, uint64_t start, uint64_t end)
{
    if (!symbols_c_library(path) || rt->nruntime == RUNTIME_IMAGES || end <= start)
        return;
    rt->runtime[rt->nruntime].start = start;
    rt->runtime[rt->nruntime++].end = end;
    rt->runtime_lo = rt->nruntime == 1 || start < rt->runtime_lo ? start : rt->runtime_lo;
    rt->runtime_hi = end > rt->runtime_hi ? end : rt->runtime_hi;
}

static inline bool runtime_image(const struct racetrace *rt, uint64_t addr)
{
    if (addr < rt->runtime_lo || addr >= rt->runtime_hi)
        return ownimage_runtime(&rt->own, addr);
    for (unsigned i = 0; i < rt->nruntime; i++)
        if (addr - rt->runtime[i].start < rt->runtime[i].end - rt->runtime[i].start)
            return true;
    return false;
}

static unsigned insn_bit(uint64_t pc)
{
    return (unsigned)((pc * UINT64_C(0x9e3779b97f4a7c15)) >> 52);
}

/* Beside an instruction's flags in rt->insn: it is a store-conditional. */
#define INSN_SC (UINT64_C(1) << 32)

/* What the learning pass knows of the instruction at pc (0: nothing). */
static uint64_t insn_known(const struct racetrace *rt, uint64_t pc)
{
    unsigned b = insn_bit(pc);
    if (!(rt->insn_bits[b / 64] >> (b % 64) & 1))
        return 0;
    const uint64_t *f = u64map_find(&rt->insn, pc);
    return f ? *f : 0;
}

static unsigned insn_flags(const struct racetrace *rt, uint64_t pc)
{
    return (unsigned)insn_known(rt, pc);
}

/* The flags of the instruction behind a sync event of an instruction: the
 * trace's own, or what its kind says (TT_FEAT_SYNC_FLAGS absent). Without
 * them an x86 read-modify-write may be one whose loaded value QEMU loses,
 * and every other guess orders more than the guest may: fewer reports,
 * never false ones. */
static unsigned event_flags(const struct racetrace *rt, const struct tt_record *rec)
{
    const unsigned A = TT_SYNCINSN_ATOMIC, M = TT_SYNCINSN_RMW, Q = TT_SYNCINSN_ACQUIRE,
                   L = TT_SYNCINSN_RELEASE, F = TT_SYNCINSN_FENCE;
    /* GCC before 13 gave a RISC-V compare-and-swap (lr/sc) the ordering
     * bits of its failure order, none for a release: Debian 12's riscv64
     * glibc posts a semaphore and unlocks a rwlock with a bare lr.d/sc.d,
     * which then ordered nothing, and correct programs were reported. In
     * the runtime libraries' code an lr/sc orders as the C library meant:
     * acquire and release (more order than the binary has, so fewer
     * reports, never false ones). */
    bool lrsc = rec->sync.kind == TT_SYNC_LOAD_RESERVED || rec->sync.kind == TT_SYNC_STORE_CONDITIONAL;
    unsigned meant = rt->machine == EM_RISCV && lrsc && runtime_image(rt, rec->sync.pc) ? Q | L : 0;
    if (rt->sync_flags && rec->sync.arg)
        return (unsigned)rec->sync.arg | meant;
    switch (rec->sync.kind) {
    case TT_SYNC_ATOMIC_RMW:
        return A | M | Q | L | (rt->machine == EM_X86_64 ? F | TT_SYNCINSN_LOAD_VALUE_LOST : 0);
    case TT_SYNC_ACQUIRE_LOAD: return A | Q;
    case TT_SYNC_RELEASE_STORE: return A | L;
    case TT_SYNC_LOAD_RESERVED: return A | M | Q | meant;
    case TT_SYNC_STORE_CONDITIONAL: return A | M | L | meant;
    case TT_SYNC_FENCE: return F | Q | L;
    case TT_SYNC_FENCE_ACQUIRE: return F | Q;
    case TT_SYNC_FENCE_RELEASE: return F | L;
    default: return 0;
    }
}

static bool is_insn_event(unsigned kind)
{
    return kind >= TT_SYNC_ATOMIC_RMW && kind <= TT_SYNC_STORE_CONDITIONAL;
}

static bool is_fence_event(unsigned kind)
{
    return kind == TT_SYNC_FENCE || kind == TT_SYNC_FENCE_ACQUIRE || kind == TT_SYNC_FENCE_RELEASE;
}

/* --- Values stored ----------------------------------------------------- */

/* The word of the filter and the two bits in it for a key. */
static uint64_t *stored_word(const struct racetrace *rt, uint64_t addr, uint32_t size, uint64_t value,
                             uint64_t *bits)
{
    uint64_t h = (addr * UINT64_C(0x9e3779b97f4a7c15)) ^ (value * UINT64_C(0xc2b2ae3d27d4eb4f)) ^ size;
    h ^= h >> 29;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 32;
    *bits = UINT64_C(1) << (h >> 58) | UINT64_C(1) << (h >> 52 & 63);
    return &rt->stored[h % STORED_WORDS];
}

static void stored_flush(struct racetrace *rt)
{
    for (unsigned i = 0; i < STORED_AHEAD && rt->stored_pending; i++, rt->stored_pending--) {
        unsigned k = (rt->stored_next + STORED_AHEAD - rt->stored_pending) % STORED_AHEAD;
        *rt->stored_ring[k].word |= rt->stored_ring[k].bits;
    }
}

static void stored_add(struct racetrace *rt, uint64_t addr, uint32_t size, uint64_t value)
{
    unsigned k = rt->stored_next;
    if (rt->stored_pending == STORED_AHEAD)
        *rt->stored_ring[k].word |= rt->stored_ring[k].bits;
    else
        rt->stored_pending++;
    rt->stored_ring[k].word = stored_word(rt, addr, size, value, &rt->stored_ring[k].bits);
    __builtin_prefetch(rt->stored_ring[k].word, 1);
    rt->stored_next = (k + 1) % STORED_AHEAD;
}

static bool stored_maybe(struct racetrace *rt, uint64_t addr, uint32_t size, uint64_t value)
{
    uint64_t bits;
    stored_flush(rt);
    return (*stored_word(rt, addr, size, value, &bits) & bits) == bits;
}

/* Whether read-modify-writes update the word of addr (learnt). */
static bool rmw_word(const struct racetrace *rt, uint64_t addr)
{
    uint64_t w = addr & ~UINT64_C(7);
    unsigned b = insn_bit(w);
    return (rt->rmw_bits[b / 64] >> (b % 64) & 1) && u64map_find(&rt->rmw_words, w);
}

/* --- Threads and streams ---------------------------------------------- */

/* vCPU's stream, NULL when it has none. */
static struct stream *stream_find(const struct racetrace *rt, uint32_t vcpu)
{
    uint64_t i;
    if (vcpu < STREAM_DIRECT) {
        i = rt->stream_direct[vcpu];
    } else {
        const uint64_t *v = u64map_find(&rt->stream_map, vcpu);
        i = v ? *v : 0;
    }
    return i ? &rt->streams[i - 1] : NULL;
}

static struct stream *stream_new(struct racetrace *rt, uint32_t vcpu);

/* vCPU's stream, made when new (which moves the others); NULL when memory
 * runs out. Inline: every record asks. */
static inline struct stream *stream_of(struct racetrace *rt, uint32_t vcpu)
{
    if (__builtin_expect(vcpu < STREAM_DIRECT && rt->stream_direct[vcpu], 1))
        return &rt->streams[rt->stream_direct[vcpu] - 1];
    return stream_new(rt, vcpu);
}

static struct stream *stream_new(struct racetrace *rt, uint32_t vcpu)
{
    struct stream *s = stream_find(rt, vcpu);
    if (s)
        return s;
    if (room(&rt->streams, &rt->streams_cap, rt->nstreams, sizeof *rt->streams) < 0)
        return NULL;
    if (vcpu < STREAM_DIRECT) {
        rt->stream_direct[vcpu] = (uint32_t)rt->nstreams + 1;
    } else {
        bool added;
        uint64_t *v = u64map_insert(&rt->stream_map, vcpu, &added);
        if (!v)
            return NULL;
        *v = rt->nstreams + 1;
    }
    s = &rt->streams[rt->nstreams++];
    *s = (struct stream){ .vcpu = vcpu, .thread = -1, .first_sync = UINT64_MAX };
    return s;
}

static int32_t thread_index(const struct racetrace *rt, uint64_t tid)
{
    const uint64_t *i = u64map_find(&rt->thread_of, tid);
    return i ? (int32_t)*i : -1;
}

/* A new thread, numbered next. */
static int thread_add(struct racetrace *rt, uint64_t tid, int32_t parent, uint64_t pc)
{
    bool added;
    uint64_t *slot;
    if (room(&rt->threads, &rt->threads_cap, rt->nthreads, sizeof *rt->threads) < 0 ||
        !(slot = u64map_insert(&rt->thread_of, tid, &added)))
        return -ENOMEM;
    *slot = rt->nthreads;
    rt->threads[rt->nthreads++] = (struct racetrace_thread){ .tid = tid, .parent = parent, .create_pc = pc };
    return 0;
}

static void set_stack(struct racetrace *rt, struct racetrace_thread *t, uint64_t sp)
{
    const struct mapset_range *m = mapset_find(&rt->maps, sp ? sp - 1 : 0);
    if (m) {
        t->stack_start = m->start;
        t->stack_end = m->end;
        t->stack_top = sp;
    }
}

/* The first thread's stack: the stack QEMU set up, the one mapping found
 * at start-up rather than loaded from an ELF file. */
static void set_initial_stack(struct racetrace *rt, struct racetrace_thread *t)
{
    for (size_t i = 0; i < rt->maps.n; i++)
        if (rt->maps.v[i].cause == TT_MAP_INITIAL) {
            t->stack_start = rt->maps.v[i].start;
            t->stack_end = t->stack_top = rt->maps.v[i].end;
        }
}

/* The detector's context of a race: the innermost call site in the
 * program's own code (not the runtime libraries') of the racing thread's
 * stack, at the access it is delivering: memcpy called from two places
 * racing is two races, with the same pcs; the dynamic linker resolving
 * one PLT entry through two paths of its own is one, as the report
 * reads. */
static uint64_t race_context(void *arg, uint64_t tid, uint64_t pc)
{
    const struct racetrace *rt = arg;
    int32_t t = thread_index(rt, tid);
    const struct stream *s = t >= 0 ? stream_find(rt, rt->threads[t].vcpu) : NULL;
    uint64_t sites[RACETRACE_CALLS];
    size_t n = s ? callstack_calls(&rt->calls, &s->stack, pc, sites, RACETRACE_CALLS) : 0;
    for (size_t i = 0; i < n; i++)
        if (!runtime_image(rt, sites[i]))
            return sites[i];
    return 0;
}

/* The stack of s, at its instruction at pc. */
static void take_calls(const struct racetrace *rt, const struct stream *s, uint64_t pc, struct racetrace_calls *c)
{
    c->n = (uint32_t)callstack_calls(&rt->calls, &s->stack, pc, c->pc, RACETRACE_CALLS);
}

static int clone_event(struct racetrace *rt, struct stream *s, const struct ev *e)
{
    uint64_t child = e->value;
    const uint64_t *word = u64map_find(&rt->exit_word, child);
    int rc;
    if (word && *word)
        stored_add(rt, *word, 4, child);
    if ((rc = tt_race_thread_start(rt->det, s->tid, child, word ? *word : 0)) < 0 ||
        (rc = thread_add(rt, child, s->thread, e->pc)) < 0)
        return rc;
    take_calls(rt, s, e->pc, &rt->threads[rt->nthreads - 1].create_calls);
    /* clone's second argument is the child's stack on every architecture
     * (clone3, which QEMU 10 refuses, passes it in memory). */
    const char *name = sysname(rt->arch, s->sys_num);
    if (name && !strcmp(name, "clone") && s->sys_arg1)
        set_stack(rt, &rt->threads[rt->nthreads - 1], s->sys_arg1);
    return 0;
}

static int thread_start_event(struct racetrace *rt, struct stream *s, const struct ev *e)
{
    uint64_t tid = e->value;
    int32_t idx = thread_index(rt, tid);
    int rc;
    s->tid = tid;
    s->dormant = false;
    if (idx < 0 || rt->threads[idx].exited) {
        /* No clone seen: the first thread, or one whose parent's clone
         * was not recorded. */
        const uint64_t *word = u64map_find(&rt->exit_word, tid);
        if ((rc = tt_race_thread_start(rt->det, TT_RACE_NO_THREAD, tid, word ? *word : 0)) < 0 ||
            (rc = thread_add(rt, tid, -1, 0)) < 0)
            return rc;
        idx = (int32_t)rt->nthreads - 1;
        if (idx == 0)
            set_initial_stack(rt, &rt->threads[0]);
    }
    s->thread = idx;
    rt->threads[idx].vcpu = s->vcpu;
    callstack_reset(&s->stack, rt->threads[idx].stack_start, rt->threads[idx].stack_end);
    return 0;
}

/* --- Events -------------------------------------------------------------- */

/* Reports the last access found: where it happened, while it is known. */
static int note_reports(struct racetrace *rt, const struct stream *s, uint64_t addr)
{
    size_t n;
    const struct tt_race_report *v = tt_race_reports(rt->det, &n);
    for (; rt->nreports < n; rt->nreports++) {
        size_t cap = rt->reports_cap;
        if (room(&rt->reports, &rt->reports_cap, rt->nreports, sizeof *rt->reports) < 0 ||
            room(&rt->earlier, &cap, rt->nreports, sizeof *rt->earlier) < 0)
            return -ENOMEM;
        const struct mapset_range *m = mapset_find(&rt->maps, addr);
        const struct heap_block *b = heap_find(&rt->heap, addr);
        const struct tt_race_access *a = &v[rt->nreports].second;
        rt->reports[rt->nreports] = (struct racetrace_report){
            .race = v[rt->nreports],
            .first_thread = thread_index(rt, v[rt->nreports].first.tid),
            .second_thread = s->thread,
            .mapping = m ? *m : (struct mapset_range){ 0 },
            .sync_near = tt_race_synchronises(rt->det, a->addr > RACETRACE_SYNC_REACH ? a->addr - RACETRACE_SYNC_REACH : 0,
                                              a->addr + a->size + RACETRACE_SYNC_REACH),
        };
        if (b) {
            struct racetrace_block *rb = &rt->reports[rt->nreports].block;
            uint32_t n;
            const uint64_t *pcs = heap_stack(&rt->heap, b->stack, &n);
            *rb = (struct racetrace_block){ true, b->start, b->size, b->thread, { .n = n } };
            memcpy(rb->alloc.pc, pcs, n * sizeof *pcs);
        }
        take_calls(rt, s, a->pc, &rt->reports[rt->nreports].second_calls);
        int32_t t = rt->reports[rt->nreports].first_thread;
        uint32_t vcpu = t >= 0 ? rt->threads[t].vcpu : UINT32_MAX;
        /* The current access is counted already: the earlier one came
         * before it. */
        const struct stream *w = stream_find(rt, vcpu);
        rt->earlier[rt->nreports] = (struct earlier){ vcpu, w ? w->accesses - (w == s) : 0 };
    }
    return 0;
}

/* A file's synchronisation variable: keys above user space's addresses,
 * which never meet a memory location's. */
#define FILE_KEY(file) (UINT64_C(0xfffe) << 48 | ((file) & ((UINT64_C(1) << 48) - 1)))

static int sync_event(struct racetrace *rt, struct stream *s, const struct ev *e)
{
    int rc;
    if (e->flags & ORDER_ONLY)
        return 0;
    switch (e->kind) {
    case TT_SYNC_FENCE:
    case TT_SYNC_FENCE_ACQUIRE:
    case TT_SYNC_FENCE_RELEASE:
        return tt_race_fence(rt->det, s->tid, e->flags);
    case TT_SYNC_FUTEX_WAIT:
        return tt_race_futex_wait(rt->det, s->tid, e->addr);
    case TT_SYNC_FUTEX_WAKE:
        return tt_race_futex_wake(rt->det, s->tid, e->addr);
    case TT_SYNC_CLONE:
        return clone_event(rt, s, e);
    case TT_SYNC_THREAD_START:
        return thread_start_event(rt, s, e);
    case TT_SYNC_RMW_END:
        return tt_race_rmw_end(rt->det, s->tid, e->addr, insn_flags(rt, e->pc));
    case TT_SYNC_FILE_RELEASE:
        return tt_race_release(rt->det, s->tid, FILE_KEY(e->addr));
    case TT_SYNC_FILE_ACQUIRE:
        return tt_race_acquire(rt->det, s->tid, FILE_KEY(e->addr));
    case TT_SYNC_THREAD_EXIT:
        if ((rc = tt_race_thread_exit(rt->det, s->tid, e->addr)) < 0)
            return rc;
        if (!rt->detecting) {
            bool added;
            uint64_t *w = u64map_insert(&rt->exit_word, s->tid, &added);
            if (!w)
                return -ENOMEM;
            *w = e->addr;
            if (e->addr)
                stored_add(rt, e->addr, 4, 0);
        }
        if (s->thread >= 0)
            rt->threads[s->thread].exited = true;
        s->dormant = true;
        return 0;
    default:
        return 0; /* instructions: their accesses carry their flags */
    }
}

/* Releases were applied to the map of mappings and the detector: forgets
 * the history of memory that is no longer what it was. */
static int map_event(struct racetrace *rt, const struct ev *e)
{
    switch (e->kind) {
    case TT_MAP_MMAP:
    case TT_MAP_MUNMAP:
    case TT_MAP_MREMAP:
    case TT_MAP_BRK:
    case TT_MAP_SHMAT:
    case TT_MAP_SHMDT:
        if (tt_race_forget(rt->det, e->addr, e->value) < 0)
            return -ENOMEM;
        break;
    default:
        break;
    }
    unsigned cause = e->flags == TT_PROT_UNMAPPED ? 0 : e->kind;
    return mapset_set(&rt->maps, e->addr, e->value, cause) < 0 ? -ENOMEM : 0;
}

/* Marks [addr, addr + size) a synchronisation location, as an atomic
 * instruction accessing it would; only running out of memory is an error
 * (a damaged trace's range past the address space marks nothing). */
static int mark_location(struct racetrace *rt, uint64_t addr, uint64_t size)
{
    int rc = tt_race_mark(rt->det, addr, size);
    return rc == -ENOMEM ? rc : 0;
}

/* [addr, addr + len) of a heap block is no more: its history goes, and
 * its synchronisation locations, which were the block's (mark_in_block).
 * To the end of its last word: the detector forgets whole words, and the
 * bytes after a block's end to the next word are its own chunk's slack
 * (allocators align blocks to 8 or 16 bytes). A C++ vector<int> of 11,
 * freed by a worker and made anew by main at the same place, raced with
 * the worker's read of its last int. */
static int heap_gone(struct racetrace *rt, uint64_t addr, uint64_t len)
{
    uint64_t end = addr + len;
    if (end & 7 && end < UINT64_MAX - 7)
        len += 8 - (end & 7);
    tt_race_unmark(rt->det, addr, len);
    return tt_race_forget(rt->det, addr, len);
}

/* The detecting pass: a lifetime begins with what was learnt of it. */
static int life_begins(struct racetrace *rt, uint64_t life)
{
    size_t first = SORTED_FIRST(rt->life_marks, rt->nlife_marks, struct life_mark, life, life, false);
    for (size_t i = first; i < rt->nlife_marks && rt->life_marks[i].life == life; i++)
        for (unsigned b = 0; b < 8; b++) {
            int rc;
            if (rt->life_marks[i].bytes >> b & 1 && (rc = mark_location(rt, rt->life_marks[i].word + b, 1)) < 0)
                return rc;
        }
    return 0;
}

/* The type allocated at site, as an index + 1 in heap_types, 0 for none
 * with atomic parts; found once per site. */
static int site_type(struct racetrace *rt, uint64_t site, uint64_t ret, uint64_t *index)
{
    bool added;
    uint64_t *ty = u64map_insert(&rt->type_of_site, site, &added);
    if (!ty)
        return -ENOMEM;
    if (added) {
        Dwarf_Addr dwaddr = 0;
        Dwarf_Die *cu = runtime_image(rt, site) ? NULL : symbols_unit(rt->syms, site, &dwaddr);
        struct heap_type t;
        *ty = 0;
        struct heaptype_call call = { dwaddr, dwaddr + (ret - site), rt->machine == EM_RISCV ? 10 : 0 };
        if (cu && (t.n = heaptype_atomics(cu, &call, t.part, HEAP_TYPE_PARTS, &t.size, &t.whole))) {
            if (room(&rt->heap_types, &rt->heap_types_cap, rt->nheap_types, sizeof *rt->heap_types) < 0)
                return -ENOMEM;
            rt->heap_types[rt->nheap_types++] = t;
            *ty = rt->nheap_types;
        }
    }
    *index = *ty;
    return 0;
}

/* The learning pass: a block allocated as an object whose type has
 * atomic parts (heaptype.h) has them as synchronisation locations for its
 * lifetime (mark_in_block), in each element when the block is an array
 * of such objects, else in the first (a struct with a flexible array). */
static int heap_atomics(struct racetrace *rt, uint64_t addr, uint64_t size, uint64_t site, uint64_t ret)
{
    uint64_t index;
    int rc = site_type(rt, site, ret, &index);
    if (rc < 0 || !index)
        return rc;
    const struct heap_type *t = &rt->heap_types[index - 1];
    if (size < t->size || (t->whole && size % t->size))
        return 0; /* not that type after all */
    uint64_t elements = size % t->size ? 1 : size / t->size, marked = 0;
    rt->st.heap_atomic_blocks++;
    for (uint64_t e = 0; e < elements; e++)
        for (size_t i = 0; i < t->n; i++) {
            uint64_t off = e * t->size + t->part[i].offset;
            if ((marked += t->part[i].size) > ATOMIC_OBJECT_BYTES)
                return 0;
            if ((rc = mark_location(rt, addr + off, t->part[i].size)) < 0)
                return rc;
        }
    return 0;
}

/* An allocator call (a heap event): the live blocks follow it, a block
 * that goes loses its history (tt_race_forget), and so does a block handed
 * out, so that memory any allocator hands to another thread starts clean
 * there, whatever ordered the hand-off (the allocator's own locks order
 * nothing here: they are the C library's). Both passes follow the heap:
 * the learning pass for each block's lifetime, the detecting pass for its
 * allocation stacks too. */
static int heap_event(struct racetrace *rt, struct stream *s, const struct ev *e)
{
    struct heap_block old;
    uint64_t addr = e->addr, size = e->value, given = e->value_hi;
    int rc = 0;
    rt->st.heap_events += rt->detecting;
    if (e->kind == TT_HEAP_FREE)
        return addr && heap_remove(&rt->heap, addr, &old) ? heap_gone(rt, old.start, old.size) : 0;
    /* realloc moved the block, or freed it (glibc's realloc(p, 0) returns
     * NULL); in place, what it gave up goes, and what it kept keeps its
     * history. A failed one keeps it. */
    uint64_t kept = 0;
    if (e->kind == TT_HEAP_REALLOC && given && (addr || !size) && heap_remove(&rt->heap, given, &old)) {
        if (addr != given)
            rc = heap_gone(rt, old.start, old.size);
        else if (size < old.size)
            rc = heap_gone(rt, given + size, old.size - size);
        kept = addr == given ? (size < old.size ? size : old.size) : 0;
    }
    if (rc < 0 || !addr)
        return rc;
    uint64_t pcs[RACETRACE_CALLS] = { e->seq, callstack_site(&rt->calls, e->pc) };
    uint32_t n = 2 + (uint32_t)callstack_calls(&rt->calls, &s->stack, e->pc, pcs + 2, RACETRACE_CALLS - 2);
    bool added;
    if (!rt->detecting && e->kind != TT_HEAP_REALLOC && !u64map_insert(&rt->alloc_sites, pcs[1], &added))
        return -ENOMEM;
    uint64_t *life = u64map_insert(&rt->life_of, addr, &added);
    if (!life || heap_insert(&rt->heap, addr, size, s->thread, pcs, n, NULL) < 0)
        return -ENOMEM;
    *life = (uint64_t)s->vcpu << 32 | s->heap_allocs++;
    /* The rest starts clean: what the memory held before is the
     * allocator's (its free lists; a thread's cache of freed blocks,
     * walked when the thread exits, outside any free call), and so are
     * calloc's zeroing and realloc's copy, made before the event. */
    if (size > kept && (rc = heap_gone(rt, addr + kept, size - kept)) < 0)
        return rc;
    return rt->detecting ? life_begins(rt, *life) : heap_atomics(rt, addr, size, pcs[1], e->pc);
}

/* Delivers one event of stream s. 0, TT_RACE_WAIT (only with can_wait, for
 * a load), or a negative errno. */
static int apply(struct racetrace *rt, struct stream *s, const struct ev *e, bool can_wait)
{
    int rc;
    switch (e->type) {
    case EV_ACCESS: {
        unsigned f = e->flags | (can_wait && !(e->flags & TT_RACE_WRITE) ? TT_RACE_CAN_WAIT : 0);
        if (!rt->detecting && (f & (TT_RACE_WRITE | TT_RACE_VALUE)) == (TT_RACE_WRITE | TT_RACE_VALUE) && e->size <= 8)
            stored_add(rt, e->addr, e->size, e->value);
        rc = tt_race_access(rt->det, s->tid, e->pc, e->addr, e->size, f, e->value);
        /* A value no store wrote: nothing to wait for. Read-modify-writes
         * store values QEMU does not say: any value of their words may be
         * one still to come. */
        if (rc == TT_RACE_WAIT && !rmw_word(rt, e->addr) && !stored_maybe(rt, e->addr, e->size, e->value))
            rc = tt_race_access(rt->det, s->tid, e->pc, e->addr, e->size, f & ~TT_RACE_CAN_WAIT, e->value);
        if (rc || !rt->detecting)
            return rc;
        s->accesses++;
        if (s->thread >= 0 && !rt->threads[s->thread].ran_program && !runtime_image(rt, e->pc) &&
            (e->pc < rt->vdso_start || e->pc >= rt->vdso_end))
            rt->threads[s->thread].ran_program = true;
        if (*rt->races_found != rt->nreports && (rc = note_reports(rt, s, e->addr)) < 0)
            return rc;
        if (!(f & TT_RACE_WRITE))
            callstack_load(&s->stack, e->addr, e->size, e->value, e->value_hi);
        else if ((f & TT_RACE_VALUE) && e->size >= 8 &&
                 callstack_store(&rt->calls, &s->stack, e->pc, e->addr, e->size, e->value, e->value_hi) < 0)
            return -ENOMEM;
        return 0;
    }
    case EV_SYNC:
        return sync_event(rt, s, e);
    case EV_SYSCALL:
        s->sys_num = e->pc;
        s->sys_arg1 = e->addr;
        /* A system call orders like a full fence. */
        return tt_race_fence(rt->det, s->tid, TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE);
    case EV_MAP:
        return map_event(rt, e);
    case EV_THREAD_START:
        callstack_reset(&s->stack, 0, 0);
        s->tid = e->value;
        s->thread = thread_index(rt, e->value);
        s->dormant = false;
        return 0;
    case EV_HEAP:
        return heap_event(rt, s, e);
    case EV_CALL: /* the detecting pass's only: the learning pass skips calls */
        callstack_call(&s->stack, e->pc);
        return 0;
    }
    return 0;
}

/* What code marks the locations it accesses: an atomic header's, all of
 * them (atomiccode.h); libgomp's task waits, those they load on their fast
 * path (ompwait.h), from their entry (its first WAIT_ENTRY bytes) to the
 * thread's next sync event. Not after a return into them from a callee:
 * then their loads follow the team's lock, and marking them made 100 000
 * synchronisation locations of omp_tasks' task structures. */
enum { CODE_ATOMIC = 1, CODE_WAIT_ENTRY, CODE_WAIT };
#define WAIT_ENTRY 16

/* Whether pc is in libgomp's task waits. Their loads of a location they
 * marked read its latest store (TT_RACE_LATEST): a taskgroup's count of
 * children, found 0 at its end, had been 0 when the group began too, and
 * that older store let the load go before the one that ended the last
 * task (a taskloop's results were reported, 3 900 times in 4 000). */
static inline bool wait_code(const struct racetrace *rt, uint64_t pc)
{
    return pc - rt->wait_lo < rt->wait_span && mapset_cause(&rt->atomic_code, pc) >= CODE_WAIT_ENTRY;
}

/* What a read-modify-write's store wrote, when the trace tells: QEMU
 * reports its operand (syncinsn.h) once the guest has a second thread, the
 * value itself before. *f gets TT_RACE_VALUE when known. */
static uint64_t rmw_stored(const struct racetrace *rt, const struct stream *s, const struct tt_record *rec,
                           unsigned *f)
{
    uint64_t v = rec->mem.value[0];
    bool load = s->last_load && s->last_pc == rec->mem.pc && s->last_addr == rec->mem.vaddr &&
                s->last_size == rec->mem.size;
    uint64_t mask = rec->mem.size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * rec->mem.size)) - 1;
    if (!rt->parallel || (*f & TT_SYNCINSN_STORE_EXACT) || (rt->cas_exact && (*f & TT_SYNCINSN_CAS))) {
        *f |= TT_RACE_VALUE;
    } else if (load && (*f & TT_SYNCINSN_LOAD_VALUE_LOST)) {
        /* Op-then-fetch: the "loaded" value is the new one. */
        v = s->last_value;
        *f |= TT_RACE_VALUE;
    } else if (load && (*f & TT_SYNCINSN_STORE_ADD)) {
        v = (s->last_value + v) & mask;
        *f |= TT_RACE_VALUE;
    } else if (load && s->reserved && s->reserved_addr == rec->mem.vaddr && (insn_known(rt, rec->mem.pc) & INSN_SC)) {
        /* QEMU runs a store-conditional as a compare-and-swap with what
         * the load-reserved loaded, and records its store whether it
         * succeeds or not: memory then holds the store's value, or what
         * the load found. Without it, a lock word's store left unknown
         * kept the taker's late-numbered store from the thread that saw
         * it taken, and the load forced instead was another thread's
         * (riscv64 omp_tasks: a parent's read of its children's results
         * reported, in 4 recordings of 110). */
        if ((s->last_value & mask) != (s->reserved_value & mask))
            v = s->last_value;
        *f |= TT_RACE_VALUE;
    }
    return v;
}

/* The event a record makes; false for a record that makes none. */
static inline __attribute__((always_inline)) bool to_event(struct racetrace *rt, struct stream *s, const struct tt_record *rec, struct ev *e)
{
    switch (rec->kind) {
    case TT_MEM: {
        bool plain = runtime_image(rt, rec->mem.vaddr);
        unsigned f = plain ? TT_RACE_PLAIN : insn_flags(rt, rec->mem.pc);
        uint64_t value = rec->mem.value[0];
        if (rec->mem.store)
            f |= TT_RACE_WRITE;
        if (rec->mem.has_value && rec->mem.store && (f & TT_SYNCINSN_RMW) && rec->mem.size <= 8)
            value = rmw_stored(rt, s, rec, &f);
        else if (rec->mem.has_value && !(rec->mem.store && (f & TT_SYNCINSN_RMW)))
            f |= TT_RACE_VALUE;
        if (!rec->mem.store && wait_code(rt, rec->mem.pc))
            f |= TT_RACE_LATEST;
        bool late = !plain && !(f & TT_SYNCINSN_ATOMIC) && !rec->mem.store && rt->detecting &&
                    rmw_word(rt, rec->mem.vaddr);
        *e = (struct ev){ .type = EV_ACCESS, .kind = f & TT_SYNCINSN_ATOMIC ? BOUND : late ? LATE : 0,
                          .size = rec->mem.size,
                          .flags = f, .pc = rec->mem.pc,
                          .addr = rec->mem.vaddr, .value = value, .seq = ++rt->arrivals,
                          .value_hi = rec->mem.value[1] };
        s->last_pc = rec->mem.pc;
        s->last_addr = rec->mem.vaddr;
        s->last_size = rec->mem.size;
        s->last_value = rec->mem.value[0];
        s->last_load = !rec->mem.store && rec->mem.has_value;
        return true;
    }
    case TT_SYNC:
        s->reserved = rec->sync.kind == TT_SYNC_LOAD_RESERVED && s->last_load && s->last_pc == rec->sync.pc &&
                      s->last_addr == rec->sync.addr;
        s->reserved_addr = rec->sync.addr;
        s->reserved_value = s->last_value;
        /* QEMU runs atomics through its parallel helpers from the first
         * clone on (for the parent, once clone returned). */
        rt->parallel |= rec->sync.kind == TT_SYNC_CLONE;
        *e = (struct ev){ .type = EV_SYNC, .kind = rec->sync.kind, .pc = rec->sync.pc, .addr = rec->sync.addr,
                          .value = rec->sync.arg, .seq = rec->sync.gseq };
        /* An atomic instruction's or a futex's, on the runtime's data. */
        if (rec->sync.kind != TT_SYNC_THREAD_EXIT && rec->sync.kind < TT_SYNC_FILE_RELEASE && rec->sync.addr &&
            runtime_image(rt, rec->sync.addr))
            e->flags = ORDER_ONLY;
        else if (is_insn_event(rec->sync.kind) || is_fence_event(rec->sync.kind))
            e->flags = event_flags(rt, rec);
        return true;
    case TT_SYSCALL:
        *e = (struct ev){ .type = EV_SYSCALL, .pc = rec->syscall.num, .addr = rec->syscall.args[1] };
        return true;
    case TT_MAP:
        *e = (struct ev){ .type = EV_MAP, .kind = rec->map.cause, .flags = rec->map.prot, .addr = rec->map.start,
                          .value = rec->map.length };
        return true;
    case TT_THREAD_START:
        *e = (struct ev){ .type = EV_THREAD_START, .value = rec->thread.tid };
        return true;
    case TT_HEAP:
        *e = (struct ev){ .type = EV_HEAP, .kind = rec->heap.kind, .pc = rec->heap.call, .addr = rec->heap.addr,
                          .value = rec->heap.size, .seq = rec->heap.func, .value_hi = rec->heap.old };
        return true;
    case TT_CALL:
        *e = (struct ev){ .type = EV_CALL, .pc = rec->call.pc };
        return true;
    default:
        return false;
    }
}

/* atomicobj_find's callback, for the module loaded with bias: marks an
 * object at its run-time address. */
struct mark_atomic {
    struct racetrace *rt;
    uint64_t bias;
};

static int mark_atomic(void *arg, uint64_t vaddr, uint64_t size)
{
    struct mark_atomic *m = arg;
    struct racetrace *rt = m->rt;
    if (size > ATOMIC_OBJECT_BYTES)
        size = ATOMIC_OBJECT_BYTES;
    if (rt->atomic_bytes + size > ATOMIC_BYTES_MAX)
        return 0;
    rt->atomic_bytes += size;
    rt->st.atomic_objects++;
    return mark_location(rt, m->bias + vaddr, size);
}

static unsigned atomic_code_bit(uint64_t pc)
{
    return (unsigned)(((pc >> 4) * UINT64_C(0x9e3779b97f4a7c15)) >> 48);
}

/* The kind of code at pc; 0 for none. */
static inline unsigned atomic_code(const struct racetrace *rt, uint64_t pc)
{
    if (!rt->atomic_code.n)
        return 0;
    unsigned b = atomic_code_bit(pc);
    return rt->atomic_code_bits[b / 64] >> (b % 64) & 1 ? mapset_cause(&rt->atomic_code, pc) : 0;
}

static int add_code(const struct mark_atomic *m, uint64_t start, uint64_t end, unsigned kind)
{
    struct racetrace *rt = m->rt;
    if (mapset_set(&rt->atomic_code, m->bias + start, end - start, kind) < 0)
        return -ENOMEM;
    for (uint64_t line = (m->bias + start) & ~UINT64_C(15); line < m->bias + end; line += 16) {
        unsigned b = atomic_code_bit(line);
        rt->atomic_code_bits[b / 64] |= UINT64_C(1) << (b % 64);
    }
    return 0;
}

/* atomiccode_find's and ompwait_find's callbacks, for the module loaded
 * with bias. */
static int add_atomic_code(void *arg, uint64_t start, uint64_t end)
{
    return add_code(arg, start, end, CODE_ATOMIC);
}

static int add_wait_code(void *arg, uint64_t start, uint64_t end)
{
    const struct mark_atomic *m = arg;
    struct racetrace *rt = m->rt;
    uint64_t lo = m->bias + start, hi = m->bias + end;
    if (rt->wait_span) {
        hi = hi > rt->wait_lo + rt->wait_span ? hi : rt->wait_lo + rt->wait_span;
        lo = lo < rt->wait_lo ? lo : rt->wait_lo;
    }
    rt->wait_lo = lo;
    rt->wait_span = hi - lo;
    int rc = add_code(arg, start, start + WAIT_ENTRY, CODE_WAIT_ENTRY);
    return rc || end <= start + WAIT_ENTRY ? rc : add_code(arg, start + WAIT_ENTRY, end, CODE_WAIT);
}

/* Whether addr is on thread s's own stack, below its first stack pointer:
 * libgomp's waits load registers they saved there, which would stay marked
 * for whatever the stack holds next. */
static bool own_stack(const struct racetrace *rt, const struct stream *s, uint64_t addr)
{
    const struct racetrace_thread *t = s->thread >= 0 ? &rt->threads[s->thread] : NULL;
    return t && addr >= t->stack_start && addr < t->stack_top;
}

/* What a module's debug information tells (not the C library's: its own
 * data does not synchronise): the objects it declares atomic synchronise
 * from the start, and in a program that carries the C library in itself,
 * what is not the program's own is the runtime's (ownimage.h). Each file
 * once: a module can be mapped more than once. */
static int module_debuginfo(struct racetrace *rt, const struct tt_record *rec)
{
    Dwarf_Addr dwbias, elfbias, dwarfbias;
    Dwfl_Module *m;
    bool added;
    if (symbols_c_library(rec->module.path) || !rec->module.path[0] || rec->module.path[0] == '[' ||
        !(m = symbols_module(rt->syms, rec->module.path, &dwbias)))
        return 0;
    if (!u64map_insert(&rt->debug_read, (uint64_t)(uintptr_t)m, &added))
        return -ENOMEM;
    if (!added)
        return 0;
    Elf *elf = dwfl_module_getelf(m, &elfbias);
    struct mark_atomic ctx = { rt, rec->module.bias };
    int rc;
    /* Elsewhere libgomp's acquire load is an instruction of its own. */
    if (elf && rt->machine == EM_X86_64 && ompwait_runtime(rec->module.path) &&
        (rc = ompwait_find(elf, add_wait_code, &ctx)) != 0)
        return rc;
    Dwarf *dw = dwfl_module_getdwarf(m, &dwarfbias);
    bool carries_libc = !rt->own.own && ownimage_static(elf);
    /* Nothing is told apart without debug information, nor over an image
     * of more than OWN_IMAGE_MAX (a damaged trace's range). */
    bool tells_apart = dw && rec->module.end - rec->module.start <= OWN_IMAGE_MAX;
    rt->st.static_libc_unknown |= carries_libc && !tells_apart;
    if (!dw)
        return 0;
    int64_t to_vaddr = (int64_t)(dwarfbias - dwbias);
    if (carries_libc && tells_apart &&
        ownimage_build(&rt->own, elf, dw, to_vaddr, rec->module.bias, rec->module.start, rec->module.end) < 0)
        return -ENOMEM;
    rc = atomicobj_find(dw, to_vaddr, mark_atomic, &ctx);
    return rc ? rc : atomiccode_find(dw, to_vaddr, add_atomic_code, &ctx);
}

/* Records that are no event of a thread. */
static inline int meta_record(struct racetrace *rt, const struct tt_record *rec)
{
    if (rec->kind == TT_LOST) {
        rt->st.lost += rec->lost.count;
    } else if (rec->kind == TT_MODULE && !rt->detecting) {
        if (symbols_add_module(rt->syms, rec->module.path, rec->module.bias, rec->module.start, rec->module.end) <
                0 &&
            errno == ENOMEM)
            return -ENOMEM;
        runtime_add(rt, rec->module.path, rec->module.start, rec->module.end);
        if (!strcmp(rec->module.path, "[vdso]")) {
            rt->vdso_start = rec->module.start;
            rt->vdso_end = rec->module.end;
        }
        return module_debuginfo(rt, rec);
    }
    return 0;
}

static int read_error(int rc, struct tt_error *err)
{
    if (rc == -ENOMEM)
        return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    return tt_error_set(err, TT_E_INVAL, 0, "race detector: %s", strerror(-rc));
}

/* --- The learning pass --------------------------------------------------- */

/* An instruction's sync event: its pc synchronises from now on. Its
 * accesses went by before the event as plain ones the first time: the
 * location they touched is marked now. */
static int learn_insn(struct racetrace *rt, struct stream *s, const struct tt_record *rec, unsigned flags)
{
    bool added;
    uint64_t *slot = u64map_insert(&rt->insn, rec->sync.pc, &added);
    if (!slot)
        return -ENOMEM;
    *slot |= flags | (rec->sync.kind == TT_SYNC_STORE_CONDITIONAL ? INSN_SC : 0);
    unsigned b = insn_bit(rec->sync.pc);
    rt->insn_bits[b / 64] |= UINT64_C(1) << (b % 64);
    bool word_added;
    if (flags & TT_SYNCINSN_RMW) {
        uint64_t w = rec->sync.addr & ~UINT64_C(7);
        unsigned wb = insn_bit(w);
        if (!u64map_insert(&rt->rmw_words, w, &word_added))
            return -ENOMEM;
        rt->rmw_bits[wb / 64] |= UINT64_C(1) << (wb % 64);
    }
    if (!added || is_fence_event(rec->sync.kind))
        return 0;
    uint32_t size = s->last_pc == rec->sync.pc ? s->last_size : 1;
    return tt_race_access(rt->det, s->tid, rec->sync.pc, rec->sync.addr, size, flags, 0);
}

/* How far an access may be from a fence to be its neighbour, in bytes of
 * code: the instructions between them access no memory (they would have
 * records between), so these are a few register moves. */
#define FENCED_REACH 16

/* A plain load right before an acquire fence, or a plain store right
 * after a release fence, is an atomic access: GCC compiles a C11 acquire
 * or seq_cst load on riscv64 so (fence; lbu; fence), and a release or
 * seq_cst store of less than a word (fence; sb; fence), which has no
 * atomic instruction. Its location synchronises from the start, as one an
 * atomic instruction touched: a stop flag in a heap block, set once and
 * read between long runs of work (no spin), was reported. prev_kind: the
 * kind of the stream's record before rec. */
static int learn_fenced(struct racetrace *rt, struct stream *s, const struct tt_record *rec, const struct ev *e,
                        uint8_t prev_kind)
{
    uint64_t addr = 0, size = 0, pc = 0;
    if (e->type == EV_SYNC) {
        bool fence = is_fence_event(e->kind);
        if (fence && prev_kind == TT_MEM && s->last_load && (e->flags & TT_SYNCINSN_ACQUIRE) &&
            rec->sync.pc > s->last_pc && rec->sync.pc - s->last_pc <= FENCED_REACH) {
            addr = s->last_addr;
            size = s->last_size;
            pc = s->last_pc;
        }
        s->fence_pc = rec->sync.pc;
        s->fence_flags = fence ? e->flags : 0;
    } else if (e->type == EV_ACCESS && rec->mem.store && prev_kind == TT_SYNC &&
               (s->fence_flags & TT_SYNCINSN_RELEASE) && rec->mem.pc > s->fence_pc &&
               rec->mem.pc - s->fence_pc <= FENCED_REACH) {
        addr = rec->mem.vaddr;
        size = rec->mem.size;
        pc = rec->mem.pc;
    }
    /* Not the C library's code: its atomics on the program's objects are
     * instructions of their own, and the first word of a block free
     * stores into is no synchronisation location. */
    if (!size || runtime_image(rt, addr) || runtime_image(rt, pc))
        return 0;
    return mark_location(rt, addr, size);
}

/* Takes what a record holds for the whole trace (records lost, modules),
 * then finds its stream: 1 with *s set, 0 for the metadata stream's, or an
 * error. Both passes open each record so. */
static inline int record_stream(struct racetrace *rt, const struct tt_record *rec, struct stream **s,
                                struct tt_error *err)
{
    int drc = meta_record(rt, rec);
    if (drc < 0)
        return read_error(drc, err);
    if (rec->stream == TT_STREAM_META)
        return 0;
    if (!(*s = stream_of(rt, rec->stream)))
        return read_error(-ENOMEM, err);
    return 1;
}

void racetrace_set_progress(struct racetrace *rt, readahead_progress_fn *fn, void *arg)
{
    rt->progress = fn;
    rt->progress_arg = arg;
}

static int learn(struct racetrace *rt, struct readahead *r, struct tt_error *err)
{
    const struct tt_record *recs;
    int rc;
    while ((rc = readahead_batch(r, &recs, err)) > 0) {
        for (const struct tt_record *rec = recs; rec < recs + rc; rec++) {
            /* Calls are for stacks, which this pass does not follow; and
             * a fence's neighbour is the access next to it. */
            if (rec->kind == TT_CALL)
                continue;
            struct stream *s;
            struct ev e;
            int drc = record_stream(rt, rec, &s, err);
            if (drc < 0)
                return drc;
            uint8_t prev_kind = 0;
            if (drc) {
                prev_kind = s->last_kind;
                s->last_kind = rec->kind;
            }
            if (!drc || !to_event(rt, s, rec, &e) || (e.type == EV_SYNC && (e.flags & ORDER_ONLY)))
                continue;
            if ((drc = learn_fenced(rt, s, rec, &e, prev_kind)) < 0)
                return read_error(drc, err);
            /* The access of a std::atomic's member function, or a load
             * of libgomp's task waits on their fast path (once for the
             * loads of a polling loop). rec->kind, not e.type: gcc tests
             * e's type and flags with one 8-byte load of what to_event
             * stored in four, which the CPU cannot forward from the
             * stores (43 % of this loop's time on memwalk). */
            if (rec->kind == TT_MEM && !(e.flags & TT_RACE_PLAIN)) {
                unsigned code = atomic_code(rt, e.pc);
                s->wait_fast |= code == CODE_WAIT_ENTRY;
                if (e.addr != rt->atomic_code_last &&
                    (code == CODE_ATOMIC || (code && s->wait_fast && !rec->mem.store && !own_stack(rt, s, e.addr)))) {
                    rt->atomic_code_last = e.addr;
                    if ((drc = mark_location(rt, e.addr, e.size)) < 0)
                        return read_error(drc, err);
                }
            }
            s->wait_fast &= e.type != EV_SYNC;
            if (e.type == EV_SYNC && (is_insn_event(e.kind) || is_fence_event(e.kind)) &&
                (drc = learn_insn(rt, s, rec, e.flags)) < 0)
                return read_error(drc, err);
            if ((drc = apply(rt, s, &e, false)) < 0)
                return read_error(drc, err);
        }
    }
    /* A successful execve never returns: QEMU was replaced. */
    for (size_t i = 0; i < rt->nstreams; i++)
        rt->st.execve |= rt->streams[i].last_kind == TT_SYSCALL && sys_is_execve(rt->arch, rt->streams[i].sys_num);
    return rc;
}

/* --- The detecting pass: holding back ----------------------------------- */

/* Sets s's first held sync event, keeping first_held_sync's answer. */
static void set_first_sync(struct racetrace *rt, struct stream *s, uint64_t seq)
{
    if (seq < rt->sync_min)
        rt->sync_min = seq; /* the new first, or one below a stale answer */
    else if (s->first_sync == rt->sync_min && seq != s->first_sync)
        rt->sync_min_known = false;
    s->first_sync = seq;
}

static int push(struct racetrace *rt, struct stream *s, const struct ev *e)
{
    if (s->head == s->n) {
        s->head = s->n = 0;
        rt->queued++;
    }
    if (s->n == s->cap && s->head > 0) {
        memmove(s->q, s->q + s->head, (s->n - s->head) * sizeof *s->q);
        s->n -= s->head;
        s->head = 0;
    }
    if (room(&s->q, &s->cap, s->n, sizeof *s->q) < 0)
        return -ENOMEM;
    s->q[s->n++] = *e;
    if (e->type == EV_SYNC && s->first_sync == UINT64_MAX)
        set_first_sync(rt, s, e->seq);
    /* A system call happens between the loads before it and its sync
     * event (a futex wait's returns when woken): coming late gives them
     * no better place. (The call of the C library's wrapper may come
     * between.) */
    for (size_t i = s->n - 1;
         e->type == EV_SYSCALL && i-- > s->head && (s->q[i].type == EV_ACCESS || s->q[i].type == EV_CALL);)
        if (s->q[i].kind == LATE)
            s->q[i].kind = 0;
    if (s->first_sync == UINT64_MAX && s->n - s->head == LATE_SPAN)
        for (size_t i = s->head; i < s->n; i++)
            if (s->q[i].kind == LATE)
                s->q[i].kind = 0;
    if (++rt->held > rt->st.max_held)
        rt->st.max_held = rt->held;
    return 0;
}

static void pop(struct racetrace *rt, struct stream *s)
{
    const struct ev *e = &s->q[s->head++];
    rt->held--;
    if (e->type == EV_SYNC) {
        uint64_t next = UINT64_MAX;
        for (size_t i = s->head; i < s->n; i++)
            if (s->q[i].type == EV_SYNC) {
                next = s->q[i].seq;
                break;
            }
        set_first_sync(rt, s, next);
    }
    if (s->head == s->n)
        rt->queued--;
}

/* The number of the first sync event held in any stream, UINT64_MAX for
 * none: kept until the stream that held it moves on, since every sync
 * event read asks (scanning 49 streams for each made a third of the
 * analysis of a 48-thread lock-bound program). */
static uint64_t first_held_sync(struct racetrace *rt)
{
    if (rt->sync_min_known)
        return rt->sync_min;
    uint64_t min = UINT64_MAX;
    for (size_t i = 0; i < rt->nstreams; i++)
        if (rt->streams[i].first_sync < min)
            min = rt->streams[i].first_sync;
    rt->sync_min = min;
    rt->sync_min_known = true;
    return min;
}

static void set_waiting(struct racetrace *rt, struct stream *s, bool waiting)
{
    if (s->waiting != waiting)
        rt->nwaiting += waiting ? 1 : (size_t)-1;
    s->waiting = waiting;
    if (waiting)
        s->wait_word = s->q[s->head].addr & ~UINT64_C(7);
}

/* Delivers what the held events allow: a stream's head goes when it is
 * not a sync event with an earlier one held elsewhere, and a waiting load
 * when its store has come. */
static int drain(struct racetrace *rt)
{
    bool progress = true;
    while (progress && rt->queued) {
        progress = false;
        uint64_t min = first_held_sync(rt);
        for (size_t i = 0; i < rt->nstreams; i++) {
            struct stream *s = &rt->streams[i];
            while (s->head < s->n) {
                const struct ev *e = &s->q[s->head];
                if (e->type == EV_SYNC && e->seq != min)
                    break;
                /* Its sync event is the stream's next: it must have come
                 * and be the next in the global order. */
                if (e->type == EV_ACCESS && e->kind && (s->first_sync != min || min == UINT64_MAX))
                    break;
                int rc = apply(rt, s, e, true);
                if (rc < 0)
                    return rc;
                set_waiting(rt, s, rc == TT_RACE_WAIT);
                if (rc == TT_RACE_WAIT)
                    break;
                if (e->type == EV_SYNC)
                    min = UINT64_MAX; /* recomputed on the next sweep */
                pop(rt, s);
                progress = true;
            }
        }
    }
    return 0;
}

/* Whether delivering e may let a waiting load go on: a store to its word,
 * or an event that stores for the kernel (clone, exit) or orders. */
static bool may_release(const struct racetrace *rt, const struct ev *e)
{
    if (!rt->queued)
        return false;
    if (e->type == EV_SYNC || e->type == EV_MAP || e->type == EV_HEAP)
        return true;
    if (e->type != EV_ACCESS || !(e->flags & TT_RACE_WRITE) || !rt->nwaiting)
        return false;
    uint64_t first = e->addr & ~UINT64_C(7), last = (e->addr + e->size - 1) & ~UINT64_C(7);
    for (size_t i = 0; i < rt->nstreams; i++) {
        const struct stream *s = &rt->streams[i];
        if (s->waiting && s->wait_word >= first && s->wait_word <= last)
            return true;
    }
    return false;
}

/* Nothing can go on: every stream holds events or its thread has ended,
 * and no head can go. The load the order of sync events wants first goes
 * without its store (a store the trace recorded late, or a value stored
 * before the detector's history of the location). */
static bool stuck(struct racetrace *rt)
{
    uint64_t min = first_held_sync(rt);
    for (size_t i = 0; i < rt->nstreams; i++) {
        const struct stream *s = &rt->streams[i];
        if (!s->seen || s->dormant)
            continue;
        /* The reader has read every stream up to its next sync event but
         * the one it reads now (that of the last sync event read): the
         * next record of another is that event, numbered after every one
         * read, so after a sync event held here, behind which all it
         * brings would wait. Waiting for it cannot help. (Lock-bound
         * programs held a million events before a waiting load went on,
         * when a thread in pthread_join or a lock's next event was to
         * come.) */
        bool parked = min != UINT64_MAX && i != rt->reading;
        if (s->head == s->n) {
            if (!parked)
                return false; /* its next records may help */
            continue;
        }
        if (s->waiting)
            continue;
        /* Its head can go (drain's rules; the next drain takes it), or
         * the sync event it waits for is still to be read and may help. */
        const struct ev *e = &s->q[s->head];
        bool bound = e->type == EV_ACCESS && e->kind;
        if (e->type == EV_SYNC ? e->seq == min
                               : !bound || s->first_sync == min || (s->first_sync == UINT64_MAX && !parked))
            return false;
    }
    return true;
}

/* A stream whose head is an atomic instruction's accesses, held for its
 * sync event, that store the very value a load waits for. A sync event
 * numbered after the instruction (one without release semantics is
 * numbered when its record is made) can come after another thread's event
 * that followed the load of the stored value: the values say which came
 * first. */
static struct stream *bound_store_waited(struct racetrace *rt)
{
    for (size_t i = 0; i < rt->nstreams; i++) {
        struct stream *s = &rt->streams[i];
        for (size_t j = s->head; j < s->n && s->q[j].type == EV_ACCESS && s->q[j].kind == BOUND; j++) {
            const struct ev *e = &s->q[j];
            if ((e->flags & (TT_RACE_WRITE | TT_RACE_VALUE)) != (TT_RACE_WRITE | TT_RACE_VALUE))
                continue;
            for (size_t k = 0; k < rt->nstreams; k++) {
                const struct stream *w = &rt->streams[k];
                const struct ev *l = w->waiting ? &w->q[w->head] : NULL;
                if (w != s && l && l->addr == e->addr && l->size == e->size && l->value == e->value)
                    return s;
            }
        }
    }
    return NULL;
}

/* Whether a stream other than s holds back a store of the value load
 * saw, to its location. */
static bool store_held(const struct racetrace *rt, const struct stream *s, const struct ev *load)
{
    for (size_t i = 0; i < rt->nstreams; i++) {
        const struct stream *o = &rt->streams[i];
        for (size_t j = o->head; o != s && j < o->n; j++) {
            const struct ev *e = &o->q[j];
            if (e->type == EV_ACCESS && (e->flags & TT_RACE_WRITE) && e->addr == load->addr &&
                e->size == load->size && e->value == load->value)
                return true;
        }
    }
    return false;
}

static int force(struct racetrace *rt)
{
    struct stream *early = bound_store_waited(rt);
    if (early) {
        while (early->head < early->n && early->q[early->head].type == EV_ACCESS &&
               early->q[early->head].kind == BOUND) {
            int rc = apply(rt, early, &early->q[early->head], false);
            if (rc < 0)
                return rc;
            pop(rt, early);
        }
        rt->st.early++;
        return drain(rt);
    }
    /* A load held only to come late goes before any load goes without its
     * store. */
    for (size_t i = 0; i < rt->nstreams; i++) {
        struct stream *s = &rt->streams[i];
        if (s->head < s->n && !s->waiting && s->q[s->head].type == EV_ACCESS && s->q[s->head].kind == LATE) {
            int rc = apply(rt, s, &s->q[s->head], true);
            if (rc < 0)
                return rc;
            set_waiting(rt, s, rc == TT_RACE_WAIT);
            if (rc == 0)
                pop(rt, s);
            return drain(rt);
        }
    }
    uint64_t min = first_held_sync(rt);
    /* Ranked: a load whose store no other stream holds back before one
     * whose store is held (it will come once that stream goes on: a
     * thief of a work-stealing deque waited for the owner's store of
     * bottom, held behind the owner's load of top, whose value the thief
     * had stored long before, as far as the owner's records came late:
     * forcing the thief's load lost the task's publication); then the one
     * whose stream holds the next sync event in the global order; then the
     * first to arrive. */
    struct stream *pick = NULL;
    unsigned best = 4;
    for (size_t i = 0; i < rt->nstreams; i++) {
        struct stream *s = &rt->streams[i];
        if (!s->waiting)
            continue;
        const struct ev *h = &s->q[s->head];
        unsigned rank = (store_held(rt, s, h) ? 2 : 0) + (s->first_sync == min && min != UINT64_MAX ? 0 : 1);
        if (rank < best || (rank == best && h->seq < pick->q[pick->head].seq)) {
            pick = s;
            best = rank;
        }
    }
    if (!pick)
        return 0;
    int rc = apply(rt, pick, &pick->q[pick->head], false);
    if (rc < 0)
        return rc;
    rt->st.forced++;
    set_waiting(rt, pick, false);
    pop(rt, pick);
    return drain(rt);
}

static int detect_event(struct racetrace *rt, struct stream *s, const struct ev *e)
{
    int rc;
    /* Behind held events of its own stream, or a sync event while earlier
     * ones are held (the reader gives them in order: any held is earlier). */
    if (s->head < s->n || (e->type == EV_SYNC && first_held_sync(rt) != UINT64_MAX) ||
        (e->type == EV_ACCESS && e->kind)) {
        /* After a system call or a long run, LATE loads go now; a sync
         * event may let the accesses bound to it go. */
        if ((rc = push(rt, s, e)) == 0 && (e->type == EV_SYSCALL || e->type == EV_SYNC || s->n - s->head == LATE_SPAN))
            rc = drain(rt);
    } else if ((rc = apply(rt, s, e, true)) == TT_RACE_WAIT) {
        if ((rc = push(rt, s, e)) == 0)
            set_waiting(rt, s, true);
    } else if (rc == 0 && may_release(rt, e)) {
        rc = drain(rt);
    }
    while (rc == 0 && rt->queued && (rt->held > HELD_MAX || stuck(rt))) {
        uint64_t before = rt->held;
        if ((rc = force(rt)) == 0 && rt->held == before)
            break; /* nothing waits: the held sync events wait for the reader */
    }
    return rc;
}

/* How far ahead of the detector the shadow of accesses is prefetched. */
#define AHEAD 8

static int by_life(const void *a, const void *b)
{
    const struct life_mark *x = a, *y = b;
    return (x->life > y->life) - (x->life < y->life);
}

/* What the learning pass marked in heap blocks is each block's lifetime's
 * (life_begins sets it again): not marked from the start, as the blocks
 * still alive at the end of the trace left it. */
static void lifetime_marks(struct racetrace *rt)
{
    for (size_t i = 0; i < rt->nlife_marks; i++)
        for (unsigned b = 0; b < 8; b++)
            if (rt->life_marks[i].bytes >> b & 1)
                tt_race_unmark(rt->det, rt->life_marks[i].word + b, 1);
    if (rt->nlife_marks) /* none: no array, which qsort must not be given */
        qsort(rt->life_marks, rt->nlife_marks, sizeof *rt->life_marks, by_life);
}

static int detect(struct racetrace *rt, struct readahead *r, struct tt_error *err)
{
    int rc, drc;
    if ((drc = tt_race_rewind(rt->det)) < 0)
        return read_error(drc, err);
    rt->detecting = true;
    rt->parallel = false;
    streams_free(rt);
    rt->sync_min_known = false;
    mapset_free(&rt->maps);
    heap_clear(&rt->heap);
    u64map_free(&rt->life_of);
    lifetime_marks(rt);
    u64map_free(&rt->thread_of);
    rt->nthreads = 0;
    /* The shadow of the access AHEAD records on is prefetched while these
     * go: shadow cache misses were most of the detector's time. */
    const struct tt_record *recs;
    while ((rc = readahead_batch(r, &recs, err)) > 0) {
        for (const struct tt_record *rec = recs; rec < recs + rc; rec++) {
            struct stream *s;
            struct ev e;
            rt->st.records++;
            if (rec + AHEAD < recs + rc && rec[AHEAD].kind == TT_MEM)
                tt_race_prefetch(rt->det, rec[AHEAD].mem.vaddr);
            if ((drc = record_stream(rt, rec, &s, err)) <= 0) {
                if (drc < 0)
                    return drc;
                continue;
            }
            s->seen = true;
            if (rec->kind == TT_SYNC)
                rt->reading = (size_t)(s - rt->streams);
            if (to_event(rt, s, rec, &e) && (drc = detect_event(rt, s, &e)) < 0)
                return read_error(drc, err);
        }
    }
    /* The end (or as far as the trace could be read): what is held goes,
     * waiting loads first as the order allows; an atomic instruction whose
     * sync event the trace lost (cut short) goes where it stands. */
    while (rt->queued) {
        uint64_t before = rt->held;
        if ((drc = drain(rt)) < 0 || (rt->queued && (drc = force(rt)) < 0))
            return read_error(drc, err);
        for (size_t i = 0; rt->held == before && i < rt->nstreams; i++)
            for (size_t j = rt->streams[i].head; j < rt->streams[i].n; j++)
                if (rt->streams[i].q[j].type == EV_ACCESS)
                    rt->streams[i].q[j].kind = 0;
    }
    size_t n;
    const struct tt_race_report *v = tt_race_reports(rt->det, &n);
    for (size_t i = 0; i < n && i < rt->nreports; i++)
        rt->reports[i].race = v[i]; /* the final counts */
    return rc;
}

/* --- The earlier accesses' stacks --------------------------------------- */

static bool overlap(uint64_t a, uint32_t an, uint64_t b, uint32_t bn)
{
    return a < b + bn && b < a + an;
}

static int previous(struct racetrace *rt, struct readahead *r, struct tt_error *err)
{
    uint64_t pcs[INSN_BITS / 64] = { 0 };
    for (size_t i = 0; i < rt->nreports; i++) {
        unsigned b = insn_bit(rt->reports[i].race.first.pc);
        pcs[b / 64] |= UINT64_C(1) << (b % 64);
    }
    /* Per stream, how many accesses the reports need read: the reading
     * stops when every stream has had its own. */
    streams_free(rt);
    size_t pending = 0;
    for (size_t i = 0; i < rt->nreports; i++) {
        const struct earlier *w = &rt->earlier[i];
        struct stream *s;
        if (!w->before)
            continue;
        if (!(s = stream_of(rt, w->vcpu)))
            return read_error(-ENOMEM, err);
        if (!s->need)
            pending++;
        if (w->before > s->need)
            s->need = w->before;
    }
    const struct tt_record *rec;
    int rc = 0;
    while (pending && (rc = readahead_next(r, &rec, err)) > 0) {
        struct stream *s;
        if (rec->stream == TT_STREAM_META ||
            (rec->kind != TT_MEM && rec->kind != TT_THREAD_START && rec->kind != TT_CALL))
            continue;
        if (!(s = stream_of(rt, rec->stream)))
            return read_error(-ENOMEM, err);
        if (rec->kind == TT_CALL) {
            callstack_call(&s->stack, rec->call.pc);
            continue;
        }
        if (rec->kind == TT_THREAD_START) {
            int32_t t = thread_index(rt, rec->thread.tid);
            callstack_reset(&s->stack, t >= 0 ? rt->threads[t].stack_start : 0, t >= 0 ? rt->threads[t].stack_end : 0);
            s->tid = rec->thread.tid;
            continue;
        }
        s->accesses++;
        unsigned b = insn_bit(rec->mem.pc);
        for (size_t i = 0; pcs[b / 64] >> (b % 64) & 1 && i < rt->nreports; i++) {
            const struct tt_race_access *a = &rt->reports[i].race.first;
            const struct earlier *w = &rt->earlier[i];
            /* The thread too: the one whose access found the race may
             * have run on the same vCPU since, the same instructions on
             * the same memory (two threads' memmoves). */
            if (w->vcpu == rec->stream && s->accesses <= w->before && s->tid == a->tid && a->pc == rec->mem.pc &&
                overlap(rec->mem.vaddr, rec->mem.size, a->addr, a->size))
                take_calls(rt, s, rec->mem.pc, &rt->reports[i].first_calls);
        }
        int drc = 0;
        if (!rec->mem.store)
            callstack_load(&s->stack, rec->mem.vaddr, rec->mem.size, rec->mem.value[0], rec->mem.value[1]);
        else if (rec->mem.has_value)
            drc = callstack_store(&rt->calls, &s->stack, rec->mem.pc, rec->mem.vaddr, rec->mem.size, rec->mem.value[0],
                                  rec->mem.value[1]);
        if (drc < 0)
            return read_error(-ENOMEM, err);
        if (s->accesses == s->need)
            pending--;
    }
    return rc < 0 ? rc : 0;
}

/* The passes decode the trace in a second thread (readahead.h). */
static int with_readahead(struct racetrace *rt, struct tt_reader *r, struct tt_error *err, const char *name,
                          int (*pass)(struct racetrace *, struct readahead *, struct tt_error *))
{
    struct readahead *ra = readahead_start(r);
    if (!ra)
        return read_error(-ENOMEM, err);
    readahead_set_progress(ra, rt->progress, rt->progress_arg, name);
    int rc = pass(rt, ra, err);
    readahead_stop(ra);
    return rc;
}

int racetrace_learn(struct racetrace *rt, struct tt_reader *r, struct tt_error *err)
{
    return with_readahead(rt, r, err, "learning", learn);
}

int racetrace_detect(struct racetrace *rt, struct tt_reader *r, struct tt_error *err)
{
    return with_readahead(rt, r, err, "detecting", detect);
}

int racetrace_previous(struct racetrace *rt, struct tt_reader *r, struct tt_error *err)
{
    return with_readahead(rt, r, err, "finding stacks", previous);
}

bool racetrace_runtime(const struct racetrace *rt, uint64_t addr)
{
    return runtime_image(rt, addr);
}

bool racetrace_allocating(const struct racetrace *rt, const struct racetrace_calls *calls)
{
    for (uint32_t i = 0; i < calls->n; i++)
        if (u64map_find(&rt->alloc_sites, calls->pc[i]))
            return true;
    return false;
}

const struct racetrace_report *racetrace_reports(const struct racetrace *rt, size_t *n)
{
    *n = rt->nreports;
    return rt->reports;
}

const struct racetrace_thread *racetrace_threads(const struct racetrace *rt, size_t *n)
{
    *n = rt->nthreads;
    return rt->threads;
}

void racetrace_stats(const struct racetrace *rt, struct racetrace_stats *st)
{
    *st = rt->st;
    tt_race_stats(rt->det, &st->det);
}
