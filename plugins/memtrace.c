/* memtrace: traces a multi-threaded guest's data memory accesses that touch
 * writable memory, the raw material of data-race detection. Text output is
 * the seed's line per access, `T<vcpu> R|W 0x<address> <size>`; binary
 * output (trace format v1, docs/format.md) adds each access's pc and value,
 * the guest's threads, system calls, mapping changes, loaded modules and
 * synchronisation events with their global order and instruction flags.
 *
 * Writable memory is a lock-free page set (common/wmap.h) built from what
 * QEMU mapped before the first instruction, read from the guest's initial
 * stack, and kept up to date from the mapping system calls. The access
 * callback reads it without locks and appends to its vCPU's own buffer
 * (common/outbuf.h, or a tt_stream), so no cache line is shared between
 * vCPUs.
 *
 * Options: out=PATH (default: standard error; required with format=bin),
 * format=text|bin, noread[=on|off], nowrite[=on|off] (QEMU turns a bare
 * `noread` into `read=off`, so read=on|off and write=on|off are accepted
 * too), all=on (no filter: every data access), level=N (zstd level),
 * regions=PATH (the writable regions known at exit, for checking),
 * quiet=on (no count at exit), heap=on|off (heap events, default on: bin
 * only, QEMU 9.0 and newer), calls=on|off (call records on arm64 and
 * riscv64, default on: bin only). See docs/memtrace.md. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include <qemu-plugin.h>

#include "common/exitguard.h"
#include "common/fdguard.h"
#include "common/guestarch.h"
#include "common/guestmem.h"
#include "common/heaphook.h"
#include "common/outbuf.h"
#include "common/outfile.h"
#include "common/procrec.h"
#include "common/qemuapi.h"
#include "common/traceheader.h"
#include "common/wmap.h"
#include "tcgtrace/callinsn.h"
#include "tcgtrace/heap.h"
#include "tcgtrace/syncinsn.h"
#include "tcgtrace/textfmt.h"
#include "tcgtrace/writer.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* A compare-and-swap's store recorded with what memory holds after it
 * (TT_FEAT_CAS_EXACT): needs the registers and the memory values. */
#define CAS_EXACT (QEMUAPI_REGISTERS && QEMUAPI_MEM_VALUES)

#define GUEST_CLONE_VM 0x100
#define GUEST_CLONE_CHILD_CLEARTID 0x00200000
#define GUEST_FUTEX_CMD(op) ((op) & ~(uint64_t)(128 | 256)) /* PRIVATE, CLOCK_REALTIME */

static struct {
    char *out;     /* NULL: standard error (text only) */
    char *regions; /* where to list the writable regions at exit, or NULL */
    bool reads, writes, all, bin;
    bool quiet;    /* no count at exit (tcgtrace record prints its own) */
    bool heap, heap_given; /* heap events (common/heaphook.h) */
    bool calls, calls_given; /* call records (arm64, riscv64) */
    bool level_given;
    int level;
} opt = { .reads = true, .writes = true, .heap = true, .calls = true };

static const struct guest_arch *arch;
static int out_fd = STDERR_FILENO;
static int regions_fd = -1;
/* out= and regions=, opened at install, emptied when the guest starts. */
static struct outfile outs[2];
static struct tt_writer *writer;
/* The options as QEMU gave them, for the trace header. */
static int plugin_argc;
static char **plugin_argv;
/* The process that owns the trace: a forked child has a copy of the
 * writer's state but not its thread, and records nothing. */
static pid_t owner_pid;

/* What a clone asks for: its flags, the child's stack and the
 * clear_child_tid word. */
struct clone_args {
    uint64_t flags, stack, child_tid;
};

/* Per-vCPU state, written only by its vCPU's thread (and at exit, once
 * QEMU has stopped calling back). linux-user reuses the index of an exited
 * thread for a later one: the state then carries on, its buffer flushed at
 * the first thread's exit. */
struct vcpu {
    struct outbuf out;      /* text */
    struct procrec_thread t; /* bin: t.s NULL where nothing is recorded */
    uint64_t traced;
    /* The system call in progress, from the syscall callback to the
     * syscall-return one. */
    struct wmap_call call;
    bool forking;
    struct clone_args clone;
    uint64_t clone_gseq;
    /* The word QEMU clears and wakes when the thread exits (pthread_join
     * waits on it): set_tid_address's, or CLONE_CHILD_CLEARTID's. */
    uint64_t clear_child_tid;
    /* A sequence number taken before a release or read-modify-write
     * instruction executes. */
    uint64_t before_gseq;
    /* Not begun yet (thread_begin): QEMU before 9.0 only. */
    bool late;
#if CAS_EXACT
    /* Compare-and-swaps: the registers holding the value compared (x86:
     * [0] rax; arm64: x0 to x30), that value as it was before the
     * instruction ran (cas_known: read), and the value it loaded. */
    struct qemu_plugin_register *cas_regs[31];
    GByteArray *regbuf; /* for reading them without allocating */
    bool cas_known;
    uint64_t cas_expected, cas_loaded;
#endif
};

/* A vCPU's state is published with a release store before its thread runs
 * guest code and never freed, so the access callback finds it with one
 * load and no lock. */
#define MAX_VCPUS 65536
static struct vcpu *_Atomic vcpus[MAX_VCPUS];
static _Atomic unsigned n_vcpus; /* highest index seen + 1 */
/* Accesses of a vCPU whose index is past MAX_VCPUS: not traced, counted. */
static _Atomic uint64_t untraced;
static atomic_bool started;

static inline struct vcpu *vcpu_get(unsigned idx)
{
    return idx < MAX_VCPUS ? atomic_load_explicit(&vcpus[idx], memory_order_acquire) : NULL;
}

static inline bool writable(uint64_t vaddr, unsigned shift)
{
    return opt.all || pagemap_test_access(wmap_pages, vaddr, 1u << shift);
}

/* --- The hot path: one call per guest load or store --- */

static inline void trace_text(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, unsigned shift)
{
    struct vcpu *v = vcpu_get(idx);
    if (__builtin_expect(!v, 0)) {
        atomic_fetch_add_explicit(&untraced, 1, memory_order_relaxed);
        return;
    }
    v->out.p = tf_memtrace(v->out.p, idx, qemu_plugin_mem_is_store(info), vaddr, 1u << shift);
    v->traced++;
    outbuf_commit(&v->out);
}

static void on_access_text(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)udata;
    unsigned shift = qemu_plugin_mem_size_shift(info);
    if (writable(vaddr, shift))
        trace_text(idx, info, vaddr, shift);
}

static inline void record(struct vcpu *v, qemu_plugin_meminfo_t info, uint64_t vaddr, unsigned shift,
                          bool store, uint64_t pc)
{
    qemuapi_put_mem_rw(v->t.s, info, pc, vaddr, shift, store);
    v->traced++;
}

/* udata is the instruction's pc. Inlined into a callback for loads and one
 * for stores, so that no access asks QEMU which it is. */
static inline __attribute__((always_inline)) void trace_bin(unsigned idx, qemu_plugin_meminfo_t info,
                                                             uint64_t vaddr, void *udata, bool store)
{
    unsigned shift = qemu_plugin_mem_size_shift(info);
    if (!writable(vaddr, shift))
        return;
    struct vcpu *v = vcpu_get(idx);
    if (__builtin_expect(!v || !v->t.s, 0)) {
        if (!v)
            atomic_fetch_add_explicit(&untraced, 1, memory_order_relaxed);
        return;
    }
    record(v, info, vaddr, shift, store, (uint64_t)(uintptr_t)udata);
}

static void on_load_bin(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    trace_bin(idx, info, vaddr, udata, false);
}

static void on_store_bin(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    trace_bin(idx, info, vaddr, udata, true);
}

/* --- Synchronising instructions (binary traces) --- */

/* What translation learnt about an instruction that synchronises. */
struct sync_insn {
    uint64_t pc;
    unsigned flags; /* TT_SYNCINSN_* */
    enum { NOT_EXCLUSIVE, LOAD_EXCLUSIVE, STORE_EXCLUSIVE } exclusive;
    unsigned cas_reg; /* a compare-and-swap's compared register (cas_regs; 31: arm64 xzr) */
};

/* Which half of a load-/store-exclusive pair an instruction is, which
 * syncinsn's flags do not say (both halves are "RMW"): riscv lr and sc
 * (AMO major opcode 0x2f, funct5 2 and 3), arm64 "load/store exclusive"
 * (bits 29..24 001000 with o2, bit 23, clear; bit 22 set for loads). */
static int exclusive_half(const uint8_t *b, size_t len)
{
    if (len < 4)
        return NOT_EXCLUSIVE;
    uint32_t w = tt_le32(b);
    if (arch->elf_machine == EM_RISCV && (w & 0x7f) == 0x2f) {
        unsigned funct5 = w >> 27;
        return funct5 == 2 ? LOAD_EXCLUSIVE : funct5 == 3 ? STORE_EXCLUSIVE : NOT_EXCLUSIVE;
    }
    if (arch->elf_machine == EM_AARCH64 && ((w >> 24) & 0x3f) == 0x08 && !(w >> 23 & 1))
        return w >> 22 & 1 ? LOAD_EXCLUSIVE : STORE_EXCLUSIVE;
    return NOT_EXCLUSIVE;
}

/* A release takes its place in the global order before it executes
 * (docs/format.md: "a release before its store"), an acquire after. A
 * read-modify-write is both: its event takes the number from before, its
 * end (TT_SYNC_RMW_END) one from after, so that two of them on one word
 * whose numbers interleave are known to have run in either order. Events
 * are recorded after the store, which gives the address. */
static void on_numbered_insn(unsigned idx, void *udata)
{
    (void)udata;
    struct vcpu *v = vcpu_get(idx);
    if (v && v->t.s)
        v->before_gseq = tt_writer_next_gseq(writer);
}

static bool numbered_before(const struct sync_insn *si)
{
    return (si->flags & TT_SYNCINSN_RELEASE) || ((si->flags & TT_SYNCINSN_RMW) && si->exclusive == NOT_EXCLUSIVE);
}

static void put_sync(struct vcpu *v, const struct sync_insn *si, unsigned kind, uint64_t addr)
{
    if (numbered_before(si) && v->before_gseq > v->t.s->last_gseq)
        tt_put_sync_seq(v->t.s, kind, si->pc, addr, si->flags, v->before_gseq);
    else
        tt_put_sync(v->t.s, kind, si->pc, addr, si->flags);
    if (kind == TT_SYNC_ATOMIC_RMW)
        tt_put_rmw_end(v->t.s, si->pc, addr, tt_writer_next_gseq(writer));
}

/* Fences have no access: their event comes from an instruction callback. */
static void on_fence_insn(unsigned idx, void *udata)
{
    const struct sync_insn *si = udata;
    struct vcpu *v = vcpu_get(idx);
    if (!v || !v->t.s)
        return;
    bool acq = si->flags & TT_SYNCINSN_ACQUIRE, rel = si->flags & TT_SYNCINSN_RELEASE;
    unsigned kind = acq && !rel ? TT_SYNC_FENCE_ACQUIRE : rel && !acq ? TT_SYNC_FENCE_RELEASE : TT_SYNC_FENCE;
    tt_put_sync(v->t.s, kind, si->pc, 0, si->flags);
}

/* An access of an atomic instruction: the access (filtered like any other)
 * and its event, which is never filtered. QEMU reports a read-modify-write
 * (x86 lock and xchg, arm64 LSE, riscv amo, a store-exclusive) as a load
 * then a store: its one event comes with the store. */
#if CAS_EXACT
/* Before a compare-and-swap runs: the value it compares memory with. */
static void on_cas_insn(unsigned idx, void *udata)
{
    const struct sync_insn *si = udata;
    struct vcpu *v = vcpu_get(idx);
    if (!v)
        return;
    v->cas_expected = 0;
    v->cas_known = si->cas_reg == 31 ||
                   guestmem_read_register(v->cas_regs[si->cas_reg], v->regbuf, arch->big_endian, &v->cas_expected);
}

/* Which register a compare-and-swap compares memory with: x86 cmpxchg
 * rax, arm64 cas Rs (bits 20..16). */
static unsigned cas_register(const uint8_t *b, size_t len)
{
    if (arch->elf_machine != EM_AARCH64 || len < 4)
        return 0;
    uint32_t w = tt_le32(b);
    return (w >> 16) & 31;
}

/* A vCPU's registers a compare-and-swap may compare with, looked up in
 * its own thread (handles are per vCPU). */
static void cas_registers(struct vcpu *v)
{
    static const char *const x86[] = { "rax" };
    static const char *const a64[31] = { "x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",
                                         "x8",  "x9",  "x10", "x11", "x12", "x13", "x14", "x15",
                                         "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
                                         "x24", "x25", "x26", "x27", "x28", "x29", "x30" };
    if (!v->regbuf)
        v->regbuf = g_byte_array_new(); /* kept with the vCPU's state: never freed */
    if (arch->elf_machine == EM_X86_64)
        guestmem_registers(x86, 1, v->cas_regs);
    else if (arch->elf_machine == EM_AARCH64)
        guestmem_registers(a64, 31, v->cas_regs);
}

/* A compare-and-swap's store: QEMU reports it with the operand even when
 * the comparison failed and memory kept the loaded value. True when it
 * recorded the store itself, with that value. */
static bool record_cas(struct vcpu *v, const struct sync_insn *si, uint64_t vaddr, unsigned shift, bool store)
{
    if (!store || !(si->flags & TT_SYNCINSN_CAS) || !v->cas_known || shift >= TT_MEM_SHIFT_MAX)
        return false;
    v->cas_known = false;
    uint64_t mask = shift == 3 ? UINT64_MAX : (UINT64_C(1) << (8 << shift)) - 1;
    if ((v->cas_loaded & mask) == (v->cas_expected & mask))
        return false;
    tt_put_mem_value(v->t.s, si->pc, vaddr, shift, true, v->cas_loaded & mask, 0);
    v->traced++;
    return true;
}
#endif

static void on_access_sync(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    const struct sync_insn *si = udata;
    struct vcpu *v = vcpu_get(idx);
    if (!v || !v->t.s)
        return;
    unsigned shift = qemu_plugin_mem_size_shift(info);
    bool store = qemu_plugin_mem_is_store(info);
#if CAS_EXACT
    /* Whatever is recorded: the store's value depends on it. */
    if (!store && (si->flags & TT_SYNCINSN_CAS))
        v->cas_loaded = qemu_plugin_mem_get_value(info).data.u64;
#endif
    if ((store ? opt.writes : opt.reads) && writable(vaddr, shift)
#if CAS_EXACT
        && !record_cas(v, si, vaddr, shift, store)
#endif
    )
        record(v, info, vaddr, shift, store, si->pc);
    if (si->exclusive == LOAD_EXCLUSIVE)
        tt_put_sync(v->t.s, TT_SYNC_LOAD_RESERVED, si->pc, vaddr, si->flags);
    else if (si->exclusive == STORE_EXCLUSIVE) {
        if (store)
            put_sync(v, si, TT_SYNC_STORE_CONDITIONAL, vaddr);
    } else if (si->flags & TT_SYNCINSN_RMW) {
        if (store)
            put_sync(v, si, TT_SYNC_ATOMIC_RMW, vaddr);
    } else if (!store && (si->flags & TT_SYNCINSN_ACQUIRE)) {
        tt_put_sync(v->t.s, TT_SYNC_ACQUIRE_LOAD, si->pc, vaddr, si->flags);
    } else if (store && (si->flags & TT_SYNCINSN_RELEASE)) {
        put_sync(v, si, TT_SYNC_RELEASE_STORE, vaddr);
    }
}

/* --- Translation --- */

static enum qemu_plugin_mem_rw traced_rw(void)
{
    return opt.reads && opt.writes ? QEMU_PLUGIN_MEM_RW : opt.reads ? QEMU_PLUGIN_MEM_R : QEMU_PLUGIN_MEM_W;
}

/* --- Calls (arm64, riscv64) --- */

/* udata is the call's pc: recorded before it runs, so before the callee's
 * accesses. */
static void on_call(unsigned idx, void *udata)
{
    struct vcpu *v = vcpu_get(idx);
    if (v && v->t.s)
        tt_put_call(v->t.s, (uint64_t)(uintptr_t)udata);
}

static void translate_bin(struct qemu_plugin_insn *insn)
{
    uint8_t bytes[16];
    size_t len = qemuapi_insn_data(insn, bytes, sizeof(bytes));
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    if (opt.calls && tt_call_insn_len(arch->elf_machine, bytes, len)) {
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_call, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)pc);
        return;
    }
    unsigned flags = tt_syncinsn_classify(arch->elf_machine, bytes, len);
    if (!flags) {
        if (opt.reads)
            qemu_plugin_register_vcpu_mem_cb(insn, on_load_bin, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_R,
                                             (void *)(uintptr_t)pc);
        if (opt.writes)
            qemu_plugin_register_vcpu_mem_cb(insn, on_store_bin, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W,
                                             (void *)(uintptr_t)pc);
        return;
    }
    /* Kept for as long as the translation may run: never freed. */
    struct sync_insn *si = g_new(struct sync_insn, 1);
    *si = (struct sync_insn){ pc, flags, exclusive_half(bytes, len), 0 };
#if CAS_EXACT
    si->cas_reg = cas_register(bytes, len);
#endif
    if ((flags & TT_SYNCINSN_FENCE) && !(flags & TT_SYNCINSN_ATOMIC)) {
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_fence_insn, QEMU_PLUGIN_CB_NO_REGS, si);
        return;
    }
    if (numbered_before(si))
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_numbered_insn, QEMU_PLUGIN_CB_NO_REGS, si);
#if CAS_EXACT
    if (flags & TT_SYNCINSN_CAS)
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_cas_insn, QEMU_PLUGIN_CB_R_REGS, si);
#endif
    qemu_plugin_register_vcpu_mem_cb(insn, on_access_sync, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, si);
}

#if !QEMUAPI_REGISTERS
static void translate_startup(struct qemu_plugin_tb *tb);
#endif

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
#if !QEMUAPI_REGISTERS
    if (!atomic_load(&started))
        translate_startup(tb);
#endif
    if (opt.heap)
        heaphook_tb(tb);
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (opt.bin)
            translate_bin(insn);
        else
            qemu_plugin_register_vcpu_mem_cb(insn, on_access_text, QEMU_PLUGIN_CB_NO_REGS, traced_rw(),
                                             NULL);
    }
}

/* --- Start-up: the initial regions and the trace header --- */

static void open_trace(void)
{
    struct trace_header th;
    trace_header_init(&th, "memtrace", plugin_argc, plugin_argv, arch->name, arch->big_endian, false,
                      TT_FEAT_MEMORY | QEMUAPI_FEAT_MEM_VALUES | TT_FEAT_SYNC | TT_FEAT_SYSCALLS |
                          TT_FEAT_SYNC_FLAGS | TT_FEAT_RMW_END | TT_FEAT_FILE_SYNC | (opt.heap ? TT_FEAT_HEAP : 0) |
                          (opt.calls && arch->elf_machine != EM_X86_64 ? TT_FEAT_CALLS : 0) |
                          (CAS_EXACT ? TT_FEAT_CAS_EXACT : 0));
    struct tt_writer_options wo = { .level = opt.level };
    struct tt_error err;
    writer = tt_writer_open(opt.out, &th.h, &wo, &err);
    if (writer)
        procrec_init("memtrace", writer);
    else
        fprintf(stderr, "memtrace: %s: nothing is recorded\n", err.msg);
    trace_header_free(&th);
}

/* The first vCPU's init callback runs once the program is loaded and its
 * registers set, before its first instruction (QEMU queues the callback as
 * vCPU work, which runs before any translation block). sp is the initial
 * stack pointer, NULL if unknown. */
static void start(struct vcpu *v, unsigned idx, const uint64_t *sp)
{
    struct guest_initial init = { 0 };
    const char *err = QEMUAPI_REGISTERS ? "cannot read the stack pointer"
                                        : "cannot find the initial stack from the first memory accesses";
    outfile_start();
    /* The trace must exist before the regions are added: they are
     * recorded as mapping changes in this vCPU's stream. Its writer opens
     * it again, now that it has its name. */
    if (opt.bin) {
        close(outs[0].fd);
        open_trace();
    }
    if (writer) {
        struct tt_error e;
        v->t.s = tt_stream_get(writer, idx, &e);
    }
    if (!sp || guestelf_initial(arch, *sp, &init, &err))
        fprintf(stderr, "memtrace: %s: accesses to memory QEMU mapped at start-up "
                        "(stack, program, dynamic loader) may be missing\n", err);
    if (sp)
        wmap_add_initial(*sp, &init, v);
    if (v->t.s)
        procrec_put_initial_modules(v->t.s, &init);
}

/* --- vCPUs (guest threads) --- */

/* Threads being created: the clear_child_tid word (CLONE_CHILD_CLEARTID)
 * of a clone in progress, found again by the child from its stack pointer,
 * which clone sets to the stack it was given. The child may run, and even
 * exit, before clone returns in the parent. Guarded by meta_lock. */
#define MAX_PENDING_CLONES 64
static struct {
    uint64_t sp, child_tid_word;
} pending_clones[MAX_PENDING_CLONES];
static unsigned n_pending_clones;
static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;

static void clone_started(uint64_t sp, uint64_t word)
{
    pthread_mutex_lock(&meta_lock);
    /* Full only if 64 clones run at once: the oldest is forgotten. */
    unsigned i = n_pending_clones < MAX_PENDING_CLONES ? n_pending_clones++ : 0;
    pending_clones[i].sp = sp;
    pending_clones[i].child_tid_word = word;
    pthread_mutex_unlock(&meta_lock);
}

/* The word of the clone that gave this stack pointer, and forgets it; 0
 * if none. */
static uint64_t clone_finished(uint64_t sp)
{
    uint64_t word = 0;
    pthread_mutex_lock(&meta_lock);
    for (unsigned i = 0; i < n_pending_clones; i++)
        if (pending_clones[i].sp == sp) {
            word = pending_clones[i].child_tid_word;
            pending_clones[i] = pending_clones[--n_pending_clones];
            break;
        }
    pthread_mutex_unlock(&meta_lock);
    return word;
}


/* The calling thread's vCPU during a system call (QEMU before 9.0 creates a
 * new thread's vCPU in its parent's clone). */
static __thread struct vcpu *in_syscall;

/* A thread begins, in its own thread: its tid, its stream and the records
 * that open it; the first thread's also starts the trace. */
static void thread_begin(struct vcpu *v, unsigned idx, const uint64_t *sp)
{
    if (!atomic_exchange(&started, true))
        start(v, idx, sp);
    else if (writer && !v->t.s && getpid() == owner_pid) {
        struct tt_error e;
        v->t.s = tt_stream_get(writer, idx, &e);
    }
    procrec_thread_begin(&v->t);
    if (v->t.s)
        tt_put_sync(v->t.s, TT_SYNC_THREAD_START, v->t.s->last_pc, 0, v->t.tid);
}

#if !QEMUAPI_REGISTERS
/* QEMU before 9.0 has no register API, and calls the first vCPU's init
 * callback before it loads the program. The first thread begins at its
 * first memory access instead: the start-up code's first accesses are
 * near the initial stack pointer (initstack_find). Until then every
 * translated instruction gets this callback, ahead of its others. */
#define STARTUP_TRIES 64
static unsigned startup_tries; /* only the first thread runs before */

static void on_startup_access(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)info, (void)udata;
    struct vcpu *v = vcpu_get(idx);
    if (!v || atomic_load_explicit(&started, memory_order_relaxed))
        return;
    uint64_t sp;
    bool found = initstack_find(arch, vaddr, &sp) == 0;
    if (!found && ++startup_tries < STARTUP_TRIES)
        return;
    v->late = false;
    thread_begin(v, idx, found ? &sp : NULL);
}

static void translate_startup(struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        guestmem_learn_base(insn);
        qemu_plugin_register_vcpu_mem_cb(insn, on_startup_access, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
                                         NULL);
    }
}
#endif

static void on_vcpu_init(qemu_plugin_id_t id, unsigned idx)
{
    (void)id;
    if (idx >= MAX_VCPUS || !exitguard_enter(idx))
        return;
    struct vcpu *v = vcpu_get(idx);
    if (!v) {
        v = aligned_alloc(64, (sizeof(struct vcpu) + 63) & ~(size_t)63);
        if (!v)
            abort(); /* a thread start-up that cannot trace at all */
        memset(v, 0, sizeof(*v));
        if (!opt.bin)
            outbuf_init(&v->out, &out_fd);
        atomic_store_explicit(&vcpus[idx], v, memory_order_release);
    }
    unsigned n = atomic_load(&n_vcpus);
    while (n < idx + 1 && !atomic_compare_exchange_weak(&n_vcpus, &n, idx + 1))
        ;
    if (opt.heap)
        heaphook_vcpu_init(idx);
#if CAS_EXACT
    if (opt.bin)
        cas_registers(v);
#endif
#if QEMUAPI_REGISTERS
    /* This callback runs in the new thread itself. */
    uint64_t sp;
    bool have_sp = guestmem_read_sp(arch, &sp);
    v->clear_child_tid = opt.bin && have_sp ? clone_finished(sp) : 0;
    thread_begin(v, idx, have_sp ? &sp : NULL);
#else
    /* QEMU before 9.0 calls this too early (see translate_startup): from
     * the parent's thread inside clone for a new thread, which begins at
     * its first system call, in its own thread. */
    v->clear_child_tid = opt.bin && in_syscall ? clone_finished(in_syscall->clone.stack) : 0;
    v->late = true;
#endif
    exitguard_leave(idx);
}

static void on_vcpu_exit(qemu_plugin_id_t id, unsigned idx)
{
    (void)id;
    struct vcpu *v = vcpu_get(idx);
    if (!v || !exitguard_enter(idx))
        return;
    if (v->t.s) {
        /* Parked since the thread's exit syscall: execve may flush it. */
        tt_stream_unpark(v->t.s);
        tt_stream_flush(v->t.s);
        tt_stream_park(v->t.s);
    } else if (!opt.bin) {
        outbuf_flush(&v->out);
    }
    exitguard_leave(idx);
}

/* --- System calls --- */

/* Whether the call creates a process (rather than a thread), which gets a
 * copy of every buffer; fills *c for clone and clone3. */
static bool is_fork(struct vcpu *v, struct clone_args *c)
{
    uint64_t size;
    switch (v->call.sys) {
    case GSYS_FORK:
    case GSYS_VFORK:
        return true;
    case GSYS_CLONE:
        *c = (struct clone_args){ v->call.args[0], v->call.args[1], v->call.args[arch->clone_child_tid_arg] };
        break;
    case GSYS_CLONE3:
        /* struct clone_args: u64 flags, pidfd, child_tid, parent_tid,
         * exit_signal, stack, stack_size, ... */
        if (!guestmem_read_uint(v->call.args[0], 8, arch->big_endian, &c->flags) ||
            !guestmem_read_uint(v->call.args[0] + 16, 8, arch->big_endian, &c->child_tid) ||
            !guestmem_read_uint(v->call.args[0] + 40, 8, arch->big_endian, &c->stack) ||
            !guestmem_read_uint(v->call.args[0] + 48, 8, arch->big_endian, &size))
            return false;
        c->stack += size;
        break;
    default:
        return false;
    }
    return !(c->flags & GUEST_CLONE_VM);
}

/* --- Files: data passed through a pipe, a socket or an eventfd ------- */

/* The file behind a descriptor below FILES, for file events: 0 for the
 * descriptor's own number; both ends of a pipe or a socket pair share
 * one (above 2^32), and a duplicate has its original's. Descriptors are
 * the process's, shared by its threads: each slot is read and written
 * atomically, once per system call on it. A stale slot (a descriptor
 * closed behind QEMU's back) only joins two files: more order, fewer
 * reports, never false ones. */
#define FILES 4096
static _Atomic uint64_t file_of[FILES];

static uint64_t file_key(uint64_t fd)
{
    uint64_t f = fd < FILES ? atomic_load_explicit(&file_of[fd], memory_order_relaxed) : 0;
    return f ? f : fd;
}

static void file_set(uint64_t fd, uint64_t file)
{
    if (fd < FILES)
        atomic_store_explicit(&file_of[fd], file == fd ? 0 : file, memory_order_relaxed);
}

/* Files that are not one descriptor's. A pipe or a socket pair is 2^32
 * plus its first descriptor. Every socket made by socket or accept is one
 * file, and a connect releases into a file of its own that the accept
 * acquires: the two ends of a connection cannot be told apart by their
 * descriptors, and ThreadSanitizer orders socket traffic so too
 * (tsan_fd.cpp's socksync and connectsync). */
#define FILE_PAIR (UINT64_C(1) << 32)
#define FILE_SOCKETS (UINT64_C(2) << 32)
#define FILE_CONNECT (UINT64_C(3) << 32)

/* The two descriptors pipe and socketpair wrote at addr: one file. */
static void file_pair(uint64_t addr)
{
    uint64_t fds[2];
    if (guestmem_read_uint(addr, 4, arch->big_endian, &fds[0]) &&
        guestmem_read_uint(addr + 4, 4, arch->big_endian, &fds[1])) {
        file_set(fds[0], FILE_PAIR | fds[0]);
        file_set(fds[1], FILE_PAIR | fds[0]);
    }
}

/* A file event of vCPU v, numbered now. */
static void file_event(struct vcpu *v, unsigned kind, uint64_t pc, uint64_t file)
{
    tt_put_file_sync(v->t.s, kind, pc, file, tt_writer_next_gseq(writer));
}

/* A write releases into its file as it starts (the reader may have the
 * data before the call returns); a read that got data acquires from it as
 * it returns. Descriptors follow pipe, socketpair, socket, accept, dup and
 * close. */
static void file_at_entry(struct vcpu *v, uint64_t pc)
{
    const uint64_t *a = v->call.args;
    switch (v->call.sys) {
    case GSYS_WRITE:
    case GSYS_WRITEV:
    case GSYS_PWRITE64:
    case GSYS_PWRITEV:
    case GSYS_PWRITEV2:
    case GSYS_SENDTO:
    case GSYS_SENDMSG:
    case GSYS_SENDMMSG:
        file_event(v, TT_SYNC_FILE_RELEASE, pc, file_key(a[0]));
        break;
    case GSYS_CONNECT:
        file_event(v, TT_SYNC_FILE_RELEASE, pc, FILE_CONNECT);
        break;
    case GSYS_CLOSE:
        file_set(a[0], a[0]);
        break;
    default:
        break;
    }
}

static void file_at_return(struct vcpu *v, uint64_t pc, int64_t ret)
{
    const uint64_t *a = v->call.args;
    switch (v->call.sys) {
    case GSYS_READ:
    case GSYS_READV:
    case GSYS_PREAD64:
    case GSYS_PREADV:
    case GSYS_PREADV2:
    case GSYS_RECVFROM:
    case GSYS_RECVMSG:
    case GSYS_RECVMMSG:
        if (ret > 0)
            file_event(v, TT_SYNC_FILE_ACQUIRE, pc, file_key(a[0]));
        break;
    case GSYS_PIPE:
    case GSYS_PIPE2:
        if (ret == 0)
            file_pair(a[0]);
        break;
    case GSYS_SOCKETPAIR:
        if (ret == 0)
            file_pair(a[3]);
        break;
    case GSYS_DUP:
    case GSYS_DUP2:
    case GSYS_DUP3:
        if (ret >= 0)
            file_set((uint64_t)ret, file_key(a[0]));
        break;
    case GSYS_FCNTL:
        if (ret >= 0 && (a[1] == 0 || a[1] == 1030)) /* F_DUPFD, F_DUPFD_CLOEXEC */
            file_set((uint64_t)ret, file_key(a[0]));
        break;
    case GSYS_SOCKET:
        if (ret >= 0)
            file_set((uint64_t)ret, FILE_SOCKETS);
        break;
    case GSYS_ACCEPT:
    case GSYS_ACCEPT4:
        if (ret >= 0) {
            file_event(v, TT_SYNC_FILE_ACQUIRE, pc, FILE_CONNECT);
            file_set((uint64_t)ret, FILE_SOCKETS);
        }
        break;
    default:
        break;
    }
}

/* Synchronisation done by system calls, recorded where it takes effect:
 * a wake before it wakes, a thread's exit before QEMU clears its
 * clear_child_tid word and wakes pthread_join. */
static void sync_at_entry(struct vcpu *v, const struct clone_args *c)
{
    uint64_t pc = v->t.s->last_pc;
    file_at_entry(v, pc);
    switch (v->call.sys) {
    case GSYS_FUTEX:
        switch (GUEST_FUTEX_CMD(v->call.args[1])) {
        case 1:  /* FUTEX_WAKE */
        case 3:  /* FUTEX_REQUEUE */
        case 4:  /* FUTEX_CMP_REQUEUE */
        case 5:  /* FUTEX_WAKE_OP */
        case 7:  /* FUTEX_UNLOCK_PI */
        case 10: /* FUTEX_WAKE_BITSET */
        case 12: /* FUTEX_CMP_REQUEUE_PI */
            tt_put_sync(v->t.s, TT_SYNC_FUTEX_WAKE, pc, v->call.args[0], v->call.args[2]);
            break;
        }
        break;
    case GSYS_CLONE:
    case GSYS_CLONE3:
        /* Numbered now, before the child exists; recorded with the child's
         * tid when clone returns. */
        v->clone_gseq = tt_writer_next_gseq(writer);
        if ((c->flags & GUEST_CLONE_VM) && (c->flags & GUEST_CLONE_CHILD_CLEARTID))
            clone_started(c->stack, c->child_tid);
        break;
    case GSYS_SET_TID_ADDRESS:
        v->clear_child_tid = v->call.args[0];
        break;
    case GSYS_EXIT:
    case GSYS_EXIT_GROUP:
        tt_put_sync(v->t.s, TT_SYNC_THREAD_EXIT, pc, v->clear_child_tid, v->t.tid);
        break;
    default:
        break;
    }
}

static void sync_at_return(struct vcpu *v, int64_t ret)
{
    uint64_t pc = v->t.s->last_pc;
    file_at_return(v, pc, ret);
    switch (v->call.sys) {
    case GSYS_FUTEX:
        switch (GUEST_FUTEX_CMD(v->call.args[1])) {
        case 0:  /* FUTEX_WAIT */
        case 6:  /* FUTEX_LOCK_PI */
        case 8:  /* FUTEX_TRYLOCK_PI */
        case 9:  /* FUTEX_WAIT_BITSET */
        case 11: /* FUTEX_WAIT_REQUEUE_PI */
        case 13: /* FUTEX_LOCK_PI2 */
            tt_put_sync(v->t.s, TT_SYNC_FUTEX_WAIT, pc, v->call.args[0], v->call.args[2]);
            break;
        }
        break;
    case GSYS_CLONE:
    case GSYS_CLONE3:
        if (ret > 0)
            tt_put_sync_seq(v->t.s, TT_SYNC_CLONE, pc, 0, (uint64_t)ret, v->clone_gseq);
        else if (ret < 0 && v->clone.flags & GUEST_CLONE_CHILD_CLEARTID)
            clone_finished(v->clone.stack); /* no child will claim it */
        break;
    default:
        break;
    }
}

static void on_syscall(qemu_plugin_id_t id, unsigned idx, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    (void)id, (void)a7, (void)a8;
    enum guest_sys sys = guest_arch_sys(arch, num);
    /* Even once the exit began: it writes the text logs. */
    fdguard_syscall(sys, (const uint64_t[]){ a1, a2, a3 });
    struct vcpu *v = vcpu_get(idx);
    if (!v || !exitguard_enter(idx))
        return;
    if (__builtin_expect(v->late, 0) && atomic_load(&started)) {
        v->late = false;
        thread_begin(v, idx, NULL);
    }
    in_syscall = v;
    v->call.sys = sys;
    v->call.args[0] = a1, v->call.args[1] = a2, v->call.args[2] = a3;
    v->call.args[3] = a4, v->call.args[4] = a5, v->call.args[5] = a6;
    v->clone = (struct clone_args){ 0 };
    v->forking = is_fork(v, &v->clone);
    procrec_syscall_entry(&v->t, num, v->call.sys, v->call.args);
    if (v->t.s)
        sync_at_entry(v, &v->clone);
    wmap_syscall_entry(&v->call, v);
    /* What this vCPU traced so far must be written once, not by both the
     * parent and the child; and before execve replaces QEMU without an
     * exit callback. */
    if (!opt.bin && (v->forking || v->call.sys == GSYS_EXECVE || v->call.sys == GSYS_EXECVEAT))
        outbuf_flush(&v->out);
    procrec_syscall_park(&v->t, v->call.sys);
    exitguard_leave(idx);
}

/* In a new child process, the only vCPU left is the caller: what the
 * parent's vCPUs buffered and counted belongs to the parent. A binary
 * trace is the parent's alone (the child has no writer thread). */
static void forget_parent(void)
{
    unsigned n = atomic_load(&n_vcpus);
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = vcpu_get(i);
        if (!v)
            continue;
        if (opt.bin)
            v->t.s = NULL;
        else
            v->out.p = v->out.start;
        v->traced = 0;
    }
    atomic_store(&untraced, 0);
}

static void on_syscall_ret(qemu_plugin_id_t id, unsigned idx, int64_t num, int64_t ret)
{
    (void)id;
    in_syscall = NULL;
    fdguard_syscall_return();
    struct vcpu *v = vcpu_get(idx);
    if (!v || !exitguard_enter(idx))
        return;
    procrec_syscall_unpark(&v->t, v->call.sys);
    if (v->forking && ret == 0)
        forget_parent();
    if (v->t.s)
        sync_at_return(v, ret);
    wmap_syscall_return(&v->call, ret, v);
    procrec_syscall_return(&v->t, num, v->call.sys, v->call.args, ret);
    v->call.sys = GSYS_OTHER;
    exitguard_leave(idx);
}

static void on_map_change(void *ctx, uint64_t start, uint64_t len, uint32_t prot, unsigned cause)
{
    struct vcpu *v = ctx;
    if (v && v->t.s)
        tt_put_map(v->t.s, start, len, prot, cause);
}

static void on_heap(unsigned idx, const struct heap_event *e)
{
    struct vcpu *v = vcpu_get(idx);
    if (v && v->t.s)
        tt_put_heap(v->t.s, e->kind, e->func, e->call, e->addr, e->size, e->old);
}

/* --- Exit --- */

/* The writable map as memtrace knows it at exit, one [start, end) range a
 * line like /proc/PID/maps, for tests and for users who wonder what is
 * traced. */
static void write_regions(void)
{
    int fd = fdguard_hold(&regions_fd);
    fdguard_release(); /* no guest system call runs at exit */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "memtrace: cannot write '%s': %s\n", opt.regions, strerror(errno));
        return;
    }
    uint64_t first, last, from = 0;
    while (pagemap_next(wmap_pages, from, &first, &last) && last != UINT64_MAX) {
        fprintf(f, "%016" PRIx64 "-%016" PRIx64 "\n", first, last + 1);
        from = last + 1;
    }
    if (fclose(f))
        fprintf(stderr, "memtrace: cannot write '%s': %s\n", opt.regions, strerror(errno));
}

/* QEMU's exit callback: all other callbacks are unregistered by now and no
 * vCPU runs instrumented code, so the buffers can be read. */
static void plugin_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id, (void)udata;
    /* Another vCPU may still be in a system call's callback, appending to
     * the stream that tt_writer_close frees (exitguard.h). */
    exitguard_end();
    if (!atomic_load(&started)) {
        /* QEMU failed before the guest ran (no such program) and said
         * so: nothing was traced, and outfile leaves the files as they
         * were. */
        return;
    }
    uint64_t traced = 0, lost = 0;
    int error = 0;
    unsigned n = atomic_load(&n_vcpus);
    fdguard_settle();
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = vcpu_get(i);
        if (!v)
            continue;
        if (!opt.bin) {
            outbuf_flush(&v->out);
            lost += v->out.lost_lines;
            if (!error)
                error = v->out.error;
        }
        traced += v->traced;
    }
    bool owner = getpid() == owner_pid;
    if (opt.bin && !owner)
        fprintf(stderr, "memtrace: a forked child: format=bin records the first process only\n");
    else if (!opt.quiet)
        fprintf(stderr, "memtrace: %" PRIu64 " memory accesses traced\n", traced);
    if (lost)
        fprintf(stderr, "memtrace: cannot write '%s': %s: %" PRIu64 " lines lost\n",
                opt.out ? opt.out : "standard error", strerror(error), lost);
    if (writer && owner) {
        struct tt_writer_stats stats;
        struct tt_error err;
        if (tt_writer_close(writer, &stats, &err) < 0)
            fprintf(stderr, "memtrace: %s\n", err.msg);
    }
    uint64_t u = atomic_load(&untraced);
    if (u)
        fprintf(stderr, "memtrace: %" PRIu64 " memory accesses not traced: more than %d vCPUs\n", u,
                MAX_VCPUS);
    if (opt.regions)
        write_regions();
    uint64_t f = wmap_failures();
    if (f)
        fprintf(stderr, "memtrace: %" PRIu64 " updates of the writable-memory map failed: "
                        "accesses to those regions may be missing\n", f);
}

/* --- Installation --- */

static int bad_value(const char *key, const char *val, const char *expected)
{
    fprintf(stderr, "memtrace: bad value '%s' for option '%s' (expected %s)\n", val, key, expected);
    return -1;
}

/* An option without a value (through QEMU's deprecated arg=NAME) is on. */
static int parse_bool(const char *key, const char *val, bool *b)
{
    if (!val) {
        *b = true;
        return 0;
    }
    return qemu_plugin_bool_parse(key, val, b) ? 0 : bad_value(key, val, "on or off");
}

/* Each setting may be given once: a second value would silently win. read
 * and noread (write and nowrite) are one setting. */
static bool given_twice(const char *key)
{
    static const char *const settings[][2] = {
        { "out", NULL }, { "regions", NULL }, { "read", "noread" }, { "write", "nowrite" },
        { "all", NULL }, { "format", NULL }, { "level", NULL }, { "quiet", NULL },
    };
    static const char *seen[sizeof settings / sizeof settings[0]];
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        int j = !strcmp(key, settings[i][0]) ? 0 : settings[i][1] && !strcmp(key, settings[i][1]) ? 1 : -1;
        if (j < 0)
            continue;
        const char *name = settings[i][j];
        if (!seen[i]) {
            seen[i] = name;
            return false;
        }
        if (seen[i] == name)
            fprintf(stderr, "memtrace: option '%s' given twice\n", name);
        else
            fprintf(stderr, "memtrace: options '%s' and '%s' set the same thing: give one\n", seen[i], name);
        return true;
    }
    return false;
}

static int parse_option(const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
    char key[32];
    const char *val = eq ? eq + 1 : NULL;
    bool b;
    if (klen >= sizeof(key))
        klen = sizeof(key) - 1;
    memcpy(key, arg, klen);
    key[klen] = '\0';
    if (given_twice(key))
        return -1;

    if (!strcmp(key, "out") || !strcmp(key, "regions")) {
        char **path = key[0] == 'o' ? &opt.out : &opt.regions;
        if (!val || !*val) {
            fprintf(stderr, "memtrace: option '%s' needs a path: %s=PATH\n", key, key);
            return -1;
        }
        *path = strdup(val); /* QEMU may reuse argv's memory */
        return *path ? 0 : -1;
    }
    if (!strcmp(key, "file")) {
        fprintf(stderr, "memtrace: 'file' is QEMU's own -plugin key (the plugin's path): "
                        "use out=PATH for the trace\n");
        return -1;
    }
    if (!strcmp(key, "elf")) {
        fprintf(stderr, "memtrace: option 'elf' is not needed: the program's writable "
                        "segments are read from guest memory\n");
        return -1;
    }
    if (!strcmp(key, "noread") || !strcmp(key, "nowrite")) {
        if (parse_bool(key, val, &b))
            return -1;
        *(key[2] == 'r' ? &opt.reads : &opt.writes) = !b;
        return 0;
    }
    if (!strcmp(key, "read"))
        return parse_bool(key, val, &opt.reads);
    if (!strcmp(key, "write"))
        return parse_bool(key, val, &opt.writes);
    if (!strcmp(key, "all"))
        return parse_bool(key, val, &opt.all);
    if (!strcmp(key, "quiet"))
        return parse_bool(key, val, &opt.quiet);
    if (!strcmp(key, "heap")) {
        opt.heap_given = true;
        return parse_bool(key, val, &opt.heap);
    }
    if (!strcmp(key, "calls")) {
        opt.calls_given = true;
        return parse_bool(key, val, &opt.calls);
    }
    if (!strcmp(key, "format")) {
        if (val && (!strcmp(val, "text") || !strcmp(val, "bin"))) {
            opt.bin = val[0] == 'b';
            return 0;
        }
        return bad_value(key, val ? val : "", "text or bin");
    }
    if (!strcmp(key, "level")) {
        char *end;
        long level = val ? strtol(val, &end, 10) : 0;
        /* Negative levels are zstd's fastest; 0 is the writer's default. */
        if (!val || !*val || *end || level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
            char range[64];
            snprintf(range, sizeof(range), "a zstd level from %d to %d", ZSTD_minCLevel(), ZSTD_maxCLevel());
            return bad_value(key, val ? val : "", range);
        }
        opt.level = (int)level;
        opt.level_given = true;
        return 0;
    }
    fprintf(stderr, "memtrace: unknown option '%s' (known: out, format, noread, nowrite, all, level, "
                    "regions, quiet, heap, calls)\n",
            arg);
    return -1;
}

/* Opens out= and regions= now, all or none, so that a bad path refuses
 * the plugin before anything is written (outfile.h: a QEMU that fails
 * before the guest starts leaves them as they were); a binary trace is
 * opened again by its writer at the first vCPU, once the guest's command
 * line can go into its header. */
static int open_outputs(void)
{
    struct outfile *f = outs;
    size_t n = 0;
    if (opt.out)
        f[n++] = (struct outfile){ .path = opt.out };
    if (opt.regions)
        f[n++] = (struct outfile){ .path = opt.regions };
    if (outfile_open_all("memtrace", f, n, 0))
        return -1;
    if (opt.out && !opt.bin) {
        out_fd = f[0].fd;
        fdguard_add(&out_fd, opt.out);
    }
    if (opt.regions) {
        regions_fd = f[n - 1].fd;
        fdguard_add(&regions_fd, opt.regions);
    }
    return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    for (int i = 0; i < argc; i++)
        if (parse_option(argv[i]))
            return -1;
    /* QEMU keeps argv for the plugin's lifetime. */
    plugin_argc = argc;
    plugin_argv = argv;
    if (!opt.reads && !opt.writes) {
        fprintf(stderr, "memtrace: noread and nowrite together leave nothing to trace\n");
        return -1;
    }
    if (opt.bin && !opt.out) {
        fprintf(stderr, "memtrace: format=bin needs out=PATH\n");
        return -1;
    }
    if ((opt.level_given || opt.heap_given || opt.calls_given) && !opt.bin) {
        fprintf(stderr, "memtrace: option '%s' applies to format=bin only\n",
                opt.level_given ? "level" : opt.heap_given ? "heap" : "calls");
        return -1;
    }
    if (info->system_emulation) {
        fprintf(stderr, "memtrace: system emulation is not supported: run under qemu-ARCH\n");
        return -1;
    }
    arch = guest_arch_find(info->target_name);
    if (!arch) {
        fprintf(stderr, "memtrace: guest architecture '%s' is not supported (supported: %s)\n",
                info->target_name, guest_arch_names());
        return -1;
    }
    /* Heap events need the register API: by default, without it, none. */
    if (opt.heap_given && opt.heap && !QEMUAPI_REGISTERS)
        return qemuapi_refuse("memtrace", "heap=on", "9.0", info);
    opt.heap = opt.bin && opt.heap && heaphook_install(arch, on_heap);
    if (wmap_init(arch, opt.bin ? on_map_change : NULL)) {
        fprintf(stderr, "memtrace: out of memory\n");
        return -1;
    }
    if (open_outputs())
        return -1;
    owner_pid = getpid();
    exitguard_init();
    qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
    qemu_plugin_register_vcpu_exit_cb(id, on_vcpu_exit);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_vcpu_syscall_ret_cb(id, on_syscall_ret);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    return 0;
}
