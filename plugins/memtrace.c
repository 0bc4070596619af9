/* memtrace: traces a multi-threaded guest's data memory accesses that touch
 * writable memory, the raw material of data-race detection, one line per
 * access in the seed's format: `T<vcpu> R|W 0x<address> <size>`.
 *
 * Writable memory is a lock-free page set (common/wmap.h) built from what
 * QEMU mapped before the first instruction, read from the guest's initial
 * stack, and kept up to date from the mapping system calls. The access
 * callback reads it without locks and appends to its vCPU's own buffer
 * (common/outbuf.h), so no cache line is shared between vCPUs.
 *
 * Options: out=PATH (default: standard error), noread[=on|off],
 * nowrite[=on|off] (QEMU turns a bare `noread` into `read=off`, so
 * read=on|off and write=on|off are accepted too), all=on (no filter: every
 * data access), format=text, regions=PATH (the writable regions known at
 * exit, for checking). See docs/memtrace.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qemu-plugin.h>

#include "common/guestarch.h"
#include "common/guestmem.h"
#include "common/outbuf.h"
#include "common/wmap.h"
#include "tcgtrace/textfmt.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define GUEST_CLONE_VM 0x100

static struct {
    char *out;     /* NULL: standard error */
    char *regions; /* where to list the writable regions at exit, or NULL */
    bool reads, writes, all;
} opt = { .reads = true, .writes = true };

static const struct guest_arch *arch;
static int out_fd = STDERR_FILENO;
static FILE *regions_file;

/* Per-vCPU state, written only by its vCPU's thread (and at exit, once
 * QEMU has stopped calling back). linux-user reuses the index of an exited
 * thread for a later one: the state then carries on, its buffer flushed at
 * the first thread's exit. */
struct vcpu {
    struct outbuf out;
    uint64_t traced;
    /* The system call in progress, from the syscall callback to the
     * syscall-return one. */
    enum guest_sys sys;
    bool forking;
    uint64_t args[6];
};

/* A vCPU's state is published with a release store before its thread runs
 * guest code and never freed, so the access callback finds it with one
 * load and no lock. */
#define MAX_VCPUS 65536
static struct vcpu *_Atomic vcpus[MAX_VCPUS];
static _Atomic unsigned n_vcpus; /* highest index seen + 1 */
/* Accesses of a vCPU whose index is past MAX_VCPUS: not traced, counted. */
static _Atomic uint64_t untraced;
static atomic_bool initial_regions_done;

static inline struct vcpu *vcpu_get(unsigned idx)
{
    return idx < MAX_VCPUS ? atomic_load_explicit(&vcpus[idx], memory_order_acquire) : NULL;
}

/* --- The hot path: one call per guest load or store --- */

static inline void trace(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, unsigned size)
{
    struct vcpu *v = vcpu_get(idx);
    if (__builtin_expect(!v, 0)) {
        atomic_fetch_add_explicit(&untraced, 1, memory_order_relaxed);
        return;
    }
    v->out.p = tf_memtrace(v->out.p, idx, qemu_plugin_mem_is_store(info), vaddr, size);
    v->traced++;
    outbuf_commit(&v->out);
}

static void on_access_writable(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)udata;
    unsigned size = 1u << qemu_plugin_mem_size_shift(info);
    if (pagemap_test_access(wmap_pages, vaddr, size))
        trace(idx, info, vaddr, size);
}

static void on_access_all(unsigned idx, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)udata;
    trace(idx, info, vaddr, 1u << qemu_plugin_mem_size_shift(info));
}

/* --- Translation --- */

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    enum qemu_plugin_mem_rw rw = opt.reads && opt.writes ? QEMU_PLUGIN_MEM_RW
                                 : opt.reads             ? QEMU_PLUGIN_MEM_R
                                                         : QEMU_PLUGIN_MEM_W;
    qemu_plugin_vcpu_mem_cb_t cb = opt.all ? on_access_all : on_access_writable;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++)
        qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i), cb, QEMU_PLUGIN_CB_NO_REGS,
                                         rw, NULL);
}

/* --- vCPUs (guest threads) --- */

/* The stack pointer of the calling vCPU; false if QEMU has no such register. */
static bool read_sp(uint64_t *sp)
{
    GArray *regs = qemu_plugin_get_registers();
    GByteArray *buf = g_byte_array_new();
    bool found = false;
    for (guint i = 0; i < regs->len && !found; i++) {
        qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
        if (!strcmp(d->name, arch->sp_reg)) {
            int n = qemu_plugin_read_register(d->handle, buf);
            found = n > 0 && n <= 8;
            if (found)
                *sp = guestmem_uint(buf->data, (unsigned)n, arch->big_endian);
        }
    }
    g_byte_array_unref(buf);
    g_array_free(regs, true);
    return found;
}

/* The first vCPU's init callback runs once the program is loaded and its
 * registers set, before its first instruction (QEMU queues the callback as
 * vCPU work, which runs before any translation block). */
static void add_initial_regions(void)
{
    uint64_t sp;
    const char *err = "cannot read the stack pointer";
    if (!read_sp(&sp) || wmap_add_initial(sp, &err))
        fprintf(stderr, "memtrace: %s: accesses to memory QEMU mapped at start-up "
                        "(stack, program, dynamic loader) may be missing\n", err);
}

static void on_vcpu_init(qemu_plugin_id_t id, unsigned idx)
{
    (void)id;
    if (idx >= MAX_VCPUS)
        return;
    if (!vcpu_get(idx)) {
        struct vcpu *v = aligned_alloc(64, (sizeof(struct vcpu) + 63) & ~(size_t)63);
        if (!v)
            abort(); /* a thread start-up that cannot trace at all */
        memset(v, 0, sizeof(*v));
        outbuf_init(&v->out, out_fd);
        atomic_store_explicit(&vcpus[idx], v, memory_order_release);
    }
    unsigned n = atomic_load(&n_vcpus);
    while (n < idx + 1 && !atomic_compare_exchange_weak(&n_vcpus, &n, idx + 1))
        ;
    if (!atomic_exchange(&initial_regions_done, true))
        add_initial_regions();
}

static void on_vcpu_exit(qemu_plugin_id_t id, unsigned idx)
{
    (void)id;
    struct vcpu *v = vcpu_get(idx);
    if (v)
        outbuf_flush(&v->out);
}

/* --- System calls --- */

/* Whether the call creates a process (rather than a thread), which gets a
 * copy of every buffer. */
static bool is_fork(enum guest_sys sys, uint64_t a1)
{
    uint64_t flags;
    switch (sys) {
    case GSYS_FORK:
    case GSYS_VFORK:
        return true;
    case GSYS_CLONE:
        return !(a1 & GUEST_CLONE_VM);
    case GSYS_CLONE3:
        /* struct clone_args starts with its 64-bit flags. */
        return guestmem_read_uint(a1, 8, arch->big_endian, &flags) && !(flags & GUEST_CLONE_VM);
    default:
        return false;
    }
}

static void on_syscall(qemu_plugin_id_t id, unsigned idx, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    (void)id, (void)a7, (void)a8;
    struct vcpu *v = vcpu_get(idx);
    if (!v)
        return;
    v->sys = guest_arch_sys(arch, num);
    if (v->sys == GSYS_OTHER)
        return;
    v->args[0] = a1, v->args[1] = a2, v->args[2] = a3;
    v->args[3] = a4, v->args[4] = a5, v->args[5] = a6;
    v->forking = is_fork(v->sys, a1);
    /* What this vCPU traced so far must be written once, not by both the
     * parent and the child; and before execve replaces QEMU without an
     * exit callback. */
    if (v->forking || v->sys == GSYS_EXECVE || v->sys == GSYS_EXECVEAT)
        outbuf_flush(&v->out);
}

/* In a new child process, the only vCPU left is the caller: what the
 * parent's vCPUs buffered and counted belongs to the parent. */
static void forget_parent(void)
{
    unsigned n = atomic_load(&n_vcpus);
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = vcpu_get(i);
        if (v) {
            v->out.p = v->out.start;
            v->traced = 0;
        }
    }
    atomic_store(&untraced, 0);
}

static void on_syscall_ret(qemu_plugin_id_t id, unsigned idx, int64_t num, int64_t ret)
{
    (void)id, (void)num;
    struct vcpu *v = vcpu_get(idx);
    if (!v || v->sys == GSYS_OTHER)
        return;
    if (v->forking && ret == 0)
        forget_parent();
    wmap_syscall(v->sys, v->args, ret);
    v->sys = GSYS_OTHER;
}

/* --- Exit --- */

/* The writable map as memtrace knows it at exit, one [start, end) range a
 * line like /proc/PID/maps, for tests and for users who wonder what is
 * traced. */
static void write_regions(void)
{
    uint64_t first, last, from = 0;
    while (pagemap_next(wmap_pages, from, &first, &last) && last != UINT64_MAX) {
        fprintf(regions_file, "%016" PRIx64 "-%016" PRIx64 "\n", first, last + 1);
        from = last + 1;
    }
    if (fclose(regions_file))
        fprintf(stderr, "memtrace: cannot write '%s': %s\n", opt.regions, strerror(errno));
}

/* QEMU's exit callback: all other callbacks are unregistered by now and no
 * vCPU runs instrumented code, so the buffers can be read. */
static void plugin_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id, (void)udata;
    uint64_t traced = 0, lost = 0;
    int error = 0;
    unsigned n = atomic_load(&n_vcpus);
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = vcpu_get(i);
        if (!v)
            continue;
        outbuf_flush(&v->out);
        traced += v->traced;
        lost += v->out.lost_bytes;
        if (!error)
            error = v->out.error;
    }
    fprintf(stderr, "memtrace: %" PRIu64 " memory accesses traced\n", traced);
    if (lost)
        fprintf(stderr, "memtrace: %" PRIu64 " bytes of trace lost writing '%s': %s\n", lost,
                opt.out ? opt.out : "standard error", strerror(error));
    uint64_t u = atomic_load(&untraced);
    if (u)
        fprintf(stderr, "memtrace: %" PRIu64 " memory accesses not traced: more than %d vCPUs\n", u,
                MAX_VCPUS);
    if (regions_file)
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

    if (!strcmp(key, "out") || !strcmp(key, "regions")) {
        char **path = key[0] == 'o' ? &opt.out : &opt.regions;
        if (!val || !*val) {
            fprintf(stderr, "memtrace: option '%s' needs a path: %s=PATH\n", key, key);
            return -1;
        }
        free(*path);
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
    if (!strcmp(key, "format")) {
        if (val && !strcmp(val, "text"))
            return 0;
        if (val && !strcmp(val, "bin")) {
            fprintf(stderr, "memtrace: format=bin is not available yet\n");
            return -1;
        }
        return bad_value(key, val ? val : "", "text");
    }
    fprintf(stderr, "memtrace: unknown option '%s' (known: out, noread, nowrite, all, format, regions)\n",
            arg);
    return -1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    for (int i = 0; i < argc; i++)
        if (parse_option(argv[i]))
            return -1;
    if (!opt.reads && !opt.writes) {
        fprintf(stderr, "memtrace: noread and nowrite together leave nothing to trace\n");
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
    if (wmap_init(arch)) {
        fprintf(stderr, "memtrace: out of memory\n");
        return -1;
    }
    if (opt.out) {
        out_fd = open(opt.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (out_fd < 0) {
            fprintf(stderr, "memtrace: cannot open '%s': %s\n", opt.out, strerror(errno));
            return -1;
        }
    }
    if (opt.regions && !(regions_file = fopen(opt.regions, "we"))) {
        fprintf(stderr, "memtrace: cannot open '%s': %s\n", opt.regions, strerror(errno));
        return -1;
    }
    qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
    qemu_plugin_register_vcpu_exit_cb(id, on_vcpu_exit);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_vcpu_syscall_ret_cb(id, on_syscall_ret);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    return 0;
}
