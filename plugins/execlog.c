/* execlog: one line per executed instruction, with its memory accesses and
 * the tracked registers it changed, byte for byte as QEMU 10.0's
 * contrib/plugins/execlog.c writes it (docs/execlog.md), but fast enough to
 * trace real programs:
 * - all text fixed at translation (address, opcode, disassembly) is
 *   formatted once into the callback's udata;
 * - each vCPU owns its state and an output buffer, found by vCPU index in a
 *   table written only when a vCPU starts: no lock while the guest runs;
 * - a line is built in place in the vCPU's buffer and stays there, still
 *   open, until the vCPU's next traced instruction (like upstream, memory
 *   accesses and register changes are appended to the previous line);
 * - full buffers go out in one write(2), or one qemu_plugin_outs call when
 *   the lines go to QEMU's log as upstream's do.
 * format=bin writes the same events as trace records instead (lib/writer.c),
 * from which `tcgtrace dump` prints the same lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <qemu-plugin.h>
#include <zstd.h>

#include "common/exitguard.h"
#include "common/fdguard.h"
#include "common/guestarch.h"
#include "common/guestmem.h"
#include "common/outbuf.h"
#include "common/outfile.h"
#include "common/procrec.h"
#include "common/qemuapi.h"
#include "common/traceheader.h"
#include "tcgtrace/textfmt.h"
#include "tcgtrace/writer.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* Options, fixed once qemu_plugin_install returns. */
static GPtrArray *ifilters;     /* disassembly prefixes (char *) */
static GArray *afilters;        /* instruction addresses (uint64_t) */
static GPtrArray *reg_globs;    /* the reg= patterns as given (char *) */
static GPtrArray *reg_specs;    /* the same, lowercased and compiled */
static bool rdisas;
static char *out_path;          /* NULL: QEMU's log, as upstream */
static int out_fd = -1;
/* out=, opened at install, emptied (text) or written by the writer (bin)
 * once the guest starts: a QEMU that fails before leaves it as it was. */
static struct outfile out_file;
static bool started;            /* the first vCPU began (lifecycle_lock) */
static int plugin_argc;         /* for the trace header */
static char **plugin_argv;
static char *target_name;
static bool bin;                /* format=bin */
static int level;               /* level=: zstd level of a bin trace, 0: default */
static bool level_given;
static bool system_mode;
static struct tt_writer *writer; /* format=bin */
/* format=bin, in a forked child: nothing is recorded (the writer's thread
 * exists only in the parent). */
static bool detached;
/* qemu_plugin_read_register gives target byte order; lines show the most
 * significant byte first, so big-endian values are reversed to print. */
static bool big_endian_target;
static const struct guest_arch *guest; /* NULL: not one plugins/common knows */

/* Tracked registers, matched once against the first vCPU's list: every vCPU
 * of one QEMU has the same list, and the handles are vCPU-independent. In
 * upstream's order (register list order, then pattern order), including its
 * duplicates: a register matched by two patterns is reported twice. */
struct regdef {
    struct qemu_plugin_register *handle;
    char *name;                 /* lowercased, as upstream prints it */
    size_t name_len;
    uint32_t id;                /* format=bin: its definition */
};
static struct regdef *regdefs;
static size_t n_regdefs;
/* Distinct names of the tracked registers: rdisas=on looks for them in the
 * disassembly's operands. */
static GPtrArray *reg_names;
static bool regs_matched;

/* What a traced instruction's callback receives: its line's fixed text
 * `0x<pc>, 0x<opcode>, "<disassembly>"`. Never freed: QEMU may run a
 * translation until it exits. */
struct insn {
    uint32_t len;
    char text[];
};

/* The same for format=bin: the instruction's definition. */
struct insn_bin {
    uint64_t pc;
    uint32_t id;
};

struct regval {
    uint8_t *last;              /* the value last printed, in target order */
    int size;
};

/* One vCPU's state. Allocated separately and cache-line aligned so that no
 * two vCPUs write the same line. */
struct vcpu {
    struct outbuf out;
    /* Start of the open line in out, or NULL: upstream's non-empty
     * last_exec. The line is finished by the vCPU's next traced
     * instruction or at exit. */
    char *line;
    unsigned prefix_len;
    char prefix[16];            /* "<vcpu index>, " */
    bool live;                  /* between vcpu_init and its exit */
    /* Upstream ends a line at a filtered-out instruction by setting
     * last_exec's length to 0 without clearing its text, so at exit it
     * prints that line a second time: the copy kept for it. */
    char *echo;
    size_t echo_len, echo_cap;
    GByteArray *scratch;        /* register reads; grows once, then reused */
    struct regval *regs;        /* n_regdefs entries */
    /* format=bin: the vCPU's thread and stream (t.s NULL when detached),
     * and whether an instruction was recorded that a register check may
     * complete: what line says in text. */
    struct procrec_thread t;
    bool pending;
    /* format=bin, linux-user: the system call in progress (procrec.h),
     * and whether the thread start is recorded (QEMU before 9.0 calls
     * vcpu_init from the parent's thread: then at its first syscall). */
    enum guest_sys sys;
    uint64_t args[6];
    bool begun;
} __attribute__((aligned(64)));

/* Indexed by vCPU index. An entry is written only by its own vCPU's thread
 * at vcpu_init, before that vCPU runs any code, and read by that thread
 * without a lock; the exit paths read it under lifecycle_lock. An entry is
 * reused when QEMU reuses the index (linux-user does after a thread exits). */
#define MAX_VCPUS 65536
static struct vcpu *vcpus[MAX_VCPUS];
static unsigned n_vcpu_slots;
/* Orders vCPU start, vCPU exit, plugin exit and fork; never taken while
 * the guest executes. */
static GMutex lifecycle_lock;
static bool finished;
/* The calling thread's vCPU in linux-user (one thread per vCPU), for fork. */
static __thread struct vcpu *self;

/* --- Output --- */

static void sink_qemu_log(const char *text)
{
    qemu_plugin_outs(text);
}

/* Makes room for n bytes, keeping the open line in one piece so that
 * vCPUs never interleave within a line. */
static void __attribute__((noinline)) make_room(struct vcpu *v, size_t n)
{
    if (v->line)
        v->line = outbuf_flush_keep(&v->out, v->line);
    else
        outbuf_flush(&v->out);
    if (!outbuf_room(&v->out, n)) {
        /* A single line longer than the buffer: it goes out in pieces. */
        outbuf_flush(&v->out);
        if (v->line)
            v->line = v->out.p;
    }
}

/* Every append reserves one byte more for the '\n' that ends the line. */
static inline void reserve(struct vcpu *v, size_t n)
{
    if (__builtin_expect(!outbuf_room(&v->out, n + 1), 0))
        make_room(v, n + 1);
}

static inline void end_line(struct vcpu *v)
{
    *v->out.p++ = '\n';
    v->line = NULL;
    outbuf_commit(&v->out);
}

static inline void start_line(struct vcpu *v, const struct insn *in)
{
    reserve(v, sizeof v->prefix + in->len);
    char *p = v->out.p;
    v->line = p;
    memcpy(p, v->prefix, sizeof v->prefix);
    p += v->prefix_len;
    memcpy(p, in->text, in->len);
    v->out.p = p + in->len;
}

/* Whether tracked register i differs from the value last reported
 * (upstream compares with that, not with the value at the previous check);
 * if so the new value, in target byte order, is in v->scratch and becomes
 * the last reported. */
static bool reg_changed(struct vcpu *v, size_t i, int *size)
{
    struct regval *r = &v->regs[i];
    g_byte_array_set_size(v->scratch, 0);
    int n = qemu_plugin_read_register(regdefs[i].handle, v->scratch);
    if (n <= 0 || (n == r->size && memcmp(v->scratch->data, r->last, (size_t)n) == 0))
        return false;
    if (n != r->size) {
        /* e.g. aarch64 SVE registers after the guest changes its vector
         * length, where upstream asserts */
        r->last = g_realloc(r->last, (size_t)n);
        r->size = n;
    }
    memcpy(r->last, v->scratch->data, (size_t)n);
    *size = n;
    return true;
}

/* Appends `, <name> -> 0x<value>` for each changed register. */
static void check_regs(struct vcpu *v)
{
    int size;
    for (size_t i = 0; i < n_regdefs; i++) {
        if (!reg_changed(v, i, &size))
            continue;
        uint8_t *now = v->scratch->data;
        /* Lines show the most significant byte first. */
        if (big_endian_target)
            for (int a = 0, b = size - 1; a < b; a++, b--) {
                uint8_t t = now[a];
                now[a] = now[b];
                now[b] = t;
            }
        reserve(v, 8 + regdefs[i].name_len + 2 * (size_t)size);
        v->out.p = tf_execlog_reg(v->out.p, regdefs[i].name, now, (size_t)size);
    }
}

/* A register wider than a record holds (aarch64's SVE registers) is
 * counted as lost (match_registers warned). */
static void check_regs_bin(struct vcpu *v)
{
    int size;
    for (size_t i = 0; i < n_regdefs; i++) {
        if (!reg_changed(v, i, &size))
            continue;
        if (size <= TT_REG_BYTES_MAX)
            tt_put_reg(v->t.s, regdefs[i].id, v->scratch->data, (size_t)size);
        else
            tt_put_lost(v->t.s, TT_REG, 1);
    }
}

/* --- Execution callbacks --- */

/* A traced instruction after one that needs no register check. */
static void exec_insn(unsigned int vcpu_index, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    if (v->line)
        end_line(v);
    start_line(v, udata);
}

/* A traced instruction after one that may have changed a tracked register. */
static void exec_insn_regs(unsigned int vcpu_index, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    if (v->line) {
        check_regs(v);
        end_line(v);
    }
    start_line(v, udata);
}

/* An instruction filtered out, after one that may have changed a tracked
 * register: finishes that one's line now, with its changes. */
static void exec_regs_only(unsigned int vcpu_index, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    (void)udata;
    if (v->line) {
        check_regs(v);
        size_t len = (size_t)(v->out.p - v->line);
        if (len > v->echo_cap) {
            v->echo_cap = len * 2;
            v->echo = g_realloc(v->echo, v->echo_cap);
        }
        memcpy(v->echo, v->line, len);
        v->echo_len = len;
        end_line(v);
    }
}

/* Upstream appends an access to whatever last_exec holds; a traced
 * instruction's callback always opened a line before its accesses run, the
 * check only keeps this true if QEMU ever orders them otherwise. */
static inline void open_line(struct vcpu *v)
{
    if (__builtin_expect(!v->line, 0))
        v->line = v->out.p;
}

static void exec_mem(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                     uint64_t vaddr, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    (void)udata;
    reserve(v, sizeof ", store, 0x" + 16);
    open_line(v);
    v->out.p = tf_execlog_mem(v->out.p, qemu_plugin_mem_is_store(info), vaddr);
}

/* Under qemu-system: the physical address and the memory region's name. */
static void exec_mem_system(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                            uint64_t vaddr, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    bool store = qemu_plugin_mem_is_store(info);
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
    (void)udata;
    if (!hw) {
        reserve(v, sizeof ", store, 0x" + 16);
        open_line(v);
        v->out.p = tf_execlog_mem(v->out.p, store, vaddr);
        return;
    }
    const char *device = qemu_plugin_hwaddr_device_name(hw);
    reserve(v, sizeof ", store, 0x" + 16 + 2 + strlen(device));
    open_line(v);
    v->out.p = tf_execlog_hwmem(v->out.p, store, qemu_plugin_hwaddr_phys_addr(hw), device);
}

/* format=bin: the same events as records, in the order text mode appends
 * them to lines (docs/execlog.md). */
static void bin_insn(unsigned int vcpu_index, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    const struct insn_bin *in = udata;
    if (__builtin_expect(!v->t.s, 0))
        return;
    tt_put_insn(v->t.s, in->id, in->pc);
    v->pending = true;
}

static void bin_insn_regs(unsigned int vcpu_index, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    const struct insn_bin *in = udata;
    if (__builtin_expect(!v->t.s, 0))
        return;
    if (v->pending)
        check_regs_bin(v);
    tt_put_insn(v->t.s, in->id, in->pc);
    v->pending = true;
}

static void bin_regs_only(unsigned int vcpu_index, void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    (void)udata;
    if (__builtin_expect(!v->t.s, 0))
        return;
    if (v->pending)
        check_regs_bin(v);
    v->pending = false;
}

static void bin_mem(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                    void *udata)
{
    struct vcpu *v = vcpus[vcpu_index];
    const struct insn_bin *in = udata;
    struct tt_stream *s = v->t.s;
    if (__builtin_expect(!s, 0))
        return;
    unsigned shift = qemu_plugin_mem_size_shift(info);
    if (__builtin_expect(shift > TT_MEM_SHIFT_MAX, 0)) {
        /* wider than a record can hold (QEMU 10 makes none) */
        tt_put_lost(s, TT_MEM, 1);
        return;
    }
    qemuapi_put_mem(s, info, in->pc, vaddr, shift);
    if (system_mode) {
        struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
        if (hw)
            tt_put_mem_phys(s, qemu_plugin_hwaddr_phys_addr(hw),
                            tt_stream_string(s, qemu_plugin_hwaddr_device_name(hw)));
    }
}

/* execve replaces QEMU without any exit callback: what is buffered goes out
 * first. The open line (the execve itself) stays, as upstream's does: it is
 * printed only if execve fails and the guest goes on. On an architecture
 * without a syscall table every system call flushes. A bin trace records
 * the call (procrec.h), and execve seals it. A call that would close the
 * text log's descriptor moves it first (fdguard.h). */
static void vcpu_syscall(qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num,
                         uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                         uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    (void)id, (void)a7, (void)a8;
    enum guest_sys sys = guest ? guest_arch_sys(guest, num) : GSYS_OTHER;
    /* Even once the exit began: it writes the text log. */
    fdguard_syscall(sys, (const uint64_t[]){ a1, a2, a3 });
    if (vcpu_index >= MAX_VCPUS || !vcpus[vcpu_index] || !exitguard_enter(vcpu_index))
        return;
    struct vcpu *v = vcpus[vcpu_index];
    /* The thread that forks, for fork_prepare: vcpu_init's is not always
     * the vCPU's own (QEMU before 9.0 runs a new thread's in its parent's). */
    self = v;
    if (bin) {
        if (!v->begun) {
            v->begun = true;
            procrec_thread_begin(&v->t);
        }
        v->sys = sys;
        v->args[0] = a1, v->args[1] = a2, v->args[2] = a3;
        v->args[3] = a4, v->args[4] = a5, v->args[5] = a6;
        procrec_syscall_entry(&v->t, num, sys, v->args);
        procrec_syscall_park(&v->t, sys);
    } else if (!guest || sys == GSYS_EXECVE || sys == GSYS_EXECVEAT) {
        if (v->line)
            v->line = outbuf_flush_keep(&v->out, v->line);
        else
            outbuf_flush(&v->out);
    }
    exitguard_leave(vcpu_index);
}

static void vcpu_syscall_ret(qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num, int64_t ret)
{
    (void)id;
    fdguard_syscall_return();
    struct vcpu *v = vcpu_index < MAX_VCPUS ? vcpus[vcpu_index] : NULL;
    if (!v || !exitguard_enter(vcpu_index))
        return;
    if (bin) {
        procrec_syscall_unpark(&v->t, v->sys);
        procrec_syscall_return(&v->t, num, v->sys, v->args, ret);
        v->sys = GSYS_OTHER;
    }
    exitguard_leave(vcpu_index);
}

/* --- Translation --- */

/* The instruction's bytes, through its full length. */
static uint8_t *insn_bytes(struct qemu_plugin_insn *qi, uint8_t *small, size_t small_size,
                           size_t *len)
{
    size_t size = qemu_plugin_insn_size(qi);
    uint8_t *bytes = size <= small_size ? small : g_malloc(size);
    *len = qemuapi_insn_data(qi, bytes, size);
    return bytes;
}

static void *insn_text(struct qemu_plugin_insn *qi, uint64_t vaddr, const char *disas)
{
    uint8_t small[16];
    size_t len;
    uint8_t *bytes = insn_bytes(qi, small, sizeof small, &len);
    /* upstream's opcode: the first (at most 4) bytes */
    uint32_t opcode = tf_execlog_opcode(bytes, len);
    if (bytes != small)
        g_free(bytes);

    struct insn *in = g_malloc(sizeof *in + sizeof "0x, 0x, \"\"" + 16 + 8 + strlen(disas));
    char *end = tf_execlog_insn(in->text, vaddr, opcode, disas);
    in->len = (uint32_t)(end - in->text);
    return in;
}

static void *insn_bin(struct qemu_plugin_insn *qi, uint64_t vaddr, const char *disas)
{
    uint8_t small[16];
    size_t len;
    uint8_t *bytes = insn_bytes(qi, small, sizeof small, &len);
    struct insn_bin *in = g_new(struct insn_bin, 1);
    in->pc = vaddr;
    in->id = writer ? tt_def_insn(writer, vaddr, bytes, len, disas) : 0;
    if (bytes != small)
        g_free(bytes);
    return in;
}

/* What each output format registers: upstream's three instruction
 * callbacks (see vcpu_tb_trans), the memory callback and what they get as
 * udata. */
struct callbacks {
    qemu_plugin_vcpu_udata_cb_t insn, insn_regs, regs_only;
    qemu_plugin_vcpu_mem_cb_t mem;
    void *(*udata)(struct qemu_plugin_insn *qi, uint64_t vaddr, const char *disas);
};
static const struct callbacks text_user = { exec_insn, exec_insn_regs, exec_regs_only,
                                            exec_mem, insn_text };
static const struct callbacks text_system = { exec_insn, exec_insn_regs, exec_regs_only,
                                              exec_mem_system, insn_text };
static const struct callbacks bin_callbacks = { bin_insn, bin_insn_regs, bin_regs_only,
                                                bin_mem, insn_bin };
static const struct callbacks *cbs;

static bool matches_ifilter(const char *disas)
{
    for (guint j = 0; j < ifilters->len; j++)
        if (g_str_has_prefix(disas, g_ptr_array_index(ifilters, j)))
            return true;
    return false;
}

static bool matches_afilter(uint64_t vaddr)
{
    for (guint j = 0; j < afilters->len; j++)
        if (g_array_index(afilters, uint64_t, j) == vaddr)
            return true;
    return false;
}

/* Whether an instruction's operands name a tracked register: upstream looks
 * for each name as a substring of the disassembly from its first space. */
static bool names_tracked_reg(const char *disas)
{
    const char *args = strchr(disas, ' ');
    if (!args)
        return false;
    for (guint j = 0; j < reg_names->len; j++)
        if (strstr(args, g_ptr_array_index(reg_names, j)))
            return true;
    return false;
}

/* Chooses each instruction's callbacks exactly as upstream's vcpu_tb_trans
 * does, quirks included: a filter match also traces the next instruction's
 * register changes; with rdisas=on, an instruction naming a tracked
 * register is traced even when filtered out, and decides whether the next
 * instruction checks registers. */
static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    bool filtering = ifilters || afilters;
    bool tracking = reg_specs != NULL;
    bool assist = rdisas && tracking;
    bool skip = filtering;
    bool check_regs_this = tracking;
    bool check_regs_next = false;
    /* Reading registers makes QEMU sync them first: ask only if some are
     * tracked (the callbacks are the same either way). */
    enum qemu_plugin_cb_flags reg_flags = n_regdefs ? QEMU_PLUGIN_CB_R_REGS : QEMU_PLUGIN_CB_NO_REGS;
    (void)id;
    if (detached)
        return;

    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *qi = qemu_plugin_tb_get_insn(tb, i);
        char *disas = qemu_plugin_insn_disas(qi);
        uint64_t vaddr = qemu_plugin_insn_vaddr(qi);

        if (skip && ifilters && matches_ifilter(disas)) {
            skip = false;
            check_regs_next = tracking;
        }
        if (skip && afilters && matches_afilter(vaddr))
            skip = false;
        if (assist) {
            check_regs_next = names_tracked_reg(disas);
            if (check_regs_next)
                skip = false;
        }

        if (skip) {
            if (check_regs_this)
                qemu_plugin_register_vcpu_insn_exec_cb(qi, cbs->regs_only, reg_flags, NULL);
        } else {
            void *in = cbs->udata(qi, vaddr, disas);
            qemu_plugin_register_vcpu_mem_cb(qi, cbs->mem, QEMU_PLUGIN_CB_NO_REGS,
                                             QEMU_PLUGIN_MEM_RW, in);
            if (check_regs_this)
                qemu_plugin_register_vcpu_insn_exec_cb(qi, cbs->insn_regs, reg_flags, in);
            else
                qemu_plugin_register_vcpu_insn_exec_cb(qi, cbs->insn, QEMU_PLUGIN_CB_NO_REGS, in);
            skip = filtering;
        }
        if (assist)
            check_regs_this = check_regs_next;
        g_free(disas);
    }
}

/* --- vCPU start and exit --- */

/* Called once, by the first vCPU to start (registers can only be listed
 * from a vCPU's thread). */
static void match_registers(void)
{
    g_autoptr(GArray) list = qemu_plugin_get_registers();
    g_autofree bool *used = g_new0(bool, reg_specs->len);
    GByteArray *value = g_byte_array_new();
    regdefs = g_new0(struct regdef, list->len * reg_specs->len);
    reg_names = g_ptr_array_new();
    for (guint r = 0; r < list->len; r++) {
        qemu_plugin_reg_descriptor *rd = &g_array_index(list, qemu_plugin_reg_descriptor, r);
        g_autofree char *lower = g_ascii_strdown(rd->name, -1);
        for (guint p = 0; p < reg_specs->len; p++) {
            if (!g_pattern_spec_match_string(g_ptr_array_index(reg_specs, p), lower))
                continue;
            used[p] = true;
            struct regdef *d = &regdefs[n_regdefs++];
            d->handle = rd->handle;
            d->name = g_strdup(lower);
            d->name_len = strlen(lower);
            if (g_ptr_array_find_with_equal_func(reg_names, lower, g_str_equal, NULL)) {
                /* the same register, matched again */
                for (size_t k = 0; k < n_regdefs - 1; k++)
                    if (strcmp(regdefs[k].name, lower) == 0)
                        d->id = regdefs[k].id;
            } else {
                g_ptr_array_add(reg_names, d->name);
                if (writer) {
                    g_byte_array_set_size(value, 0);
                    int width = qemu_plugin_read_register(rd->handle, value);
                    if (width > TT_REG_BYTES_MAX)
                        fprintf(stderr, "execlog: register '%s' has %d bytes, a trace record "
                                        "at most %d: its changes are recorded as lost\n",
                                d->name, width, TT_REG_BYTES_MAX);
                    else
                        d->id = tt_def_reg(writer, d->name, width > 0 ? (uint32_t)width : 0);
                }
            }
        }
    }
    g_byte_array_free(value, true);
    for (guint p = 0; p < reg_specs->len; p++)
        if (!used[p])
            fprintf(stderr, "execlog: reg pattern '%s' matches no register\n",
                    (char *)g_ptr_array_index(reg_globs, p));
    regs_matched = true;
}

static struct vcpu *vcpu_new(void)
{
    struct vcpu *v;
    if (posix_memalign((void **)&v, 64, sizeof *v))
        abort();
    memset(v, 0, sizeof *v);
    if (!bin) {
        if (out_path)
            outbuf_init(&v->out, &out_fd);
        else
            outbuf_init_sink(&v->out, sink_qemu_log);
    }
    v->scratch = g_byte_array_sized_new(64);
    /* Grown only for a longer line, so in practice never while running. */
    v->echo_cap = 1024;
    v->echo = g_malloc(v->echo_cap);
    v->regs = g_new0(struct regval, n_regdefs);
    return v;
}

/* A bin trace's linux-user thread: the first one records the modules QEMU
 * loaded (from its initial stack, read before its first instruction), and
 * each its start. Before QEMU 9.0 this callback runs too early (in the
 * parent's thread, the program not loaded yet): threads begin at their
 * first system call, and the initial modules are not recorded. */
static void thread_start(struct vcpu *v)
{
#if QEMUAPI_REGISTERS
    static bool started;
    uint64_t sp;
    struct guest_initial init = { 0 };
    const char *err = "cannot read the stack pointer";
    if (!started && guest) {
        started = true;
        if (!guestmem_read_sp(guest, &sp) || guestelf_initial(guest, sp, &init, &err))
            fprintf(stderr, "execlog: %s: the program, its loader or the vDSO may have no module record\n",
                    err);
        procrec_put_initial_modules(v->t.s, &init);
    }
    v->begun = true;
    procrec_thread_begin(&v->t);
#else
    v->begun = false;
#endif
}

/* The guest starts (the first vCPU's init, which QEMU runs once the
 * program is loaded): a bin trace is created, a text log emptied. */
static void start_outputs(void)
{
    outfile_start();
    if (!bin)
        return;
    close(out_file.fd); /* named now: the writer opens it again */
    uint64_t features = TT_FEAT_INSNS | TT_FEAT_MEMORY | QEMUAPI_FEAT_MEM_VALUES;
    if (reg_specs)
        features |= TT_FEAT_REGISTERS;
    features |= system_mode ? TT_FEAT_SYSTEM : TT_FEAT_SYSCALLS;
    struct trace_header th;
    trace_header_init(&th, "execlog", plugin_argc, plugin_argv, target_name, big_endian_target, system_mode,
                      features);
    struct tt_writer_options opts = { .level = level };
    struct tt_error err;
    writer = tt_writer_open(out_path, &th.h, &opts, &err);
    trace_header_free(&th);
    if (writer)
        procrec_init("execlog", writer);
    else
        fprintf(stderr, "execlog: %s: nothing is recorded\n", err.msg);
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu_index)
{
    (void)id;
    if (vcpu_index >= MAX_VCPUS) {
        fprintf(stderr, "execlog: vCPU %u: more than %d vCPUs are not supported\n",
                vcpu_index, MAX_VCPUS);
        abort();
    }
    if (!exitguard_enter(vcpu_index))
        return;
    g_mutex_lock(&lifecycle_lock);
    if (!started) {
        started = true;
        start_outputs();
    }
    if (reg_specs && !regs_matched)
        match_registers();
    struct vcpu *v = vcpus[vcpu_index];
    if (!v)
        v = vcpu_new();
    v->line = NULL;
    v->pending = false;
    v->echo_len = 0;
    v->prefix_len = (unsigned)(tf_execlog_vcpu(v->prefix, vcpu_index) - v->prefix);
    if (writer && !detached && !v->t.s) {
        struct tt_error err;
        v->t.s = tt_stream_get(writer, vcpu_index, &err);
        if (!v->t.s)
            fprintf(stderr, "execlog: vCPU %u: %s: not traced\n", vcpu_index, err.msg);
    }
    if (v->t.s)
        tt_stream_unpark(v->t.s); /* parked by the index's previous thread */
    if (v->t.s && !system_mode)
        thread_start(v);
    /* Like upstream, a new thread starts from its own initial values. */
    for (size_t i = 0; i < n_regdefs; i++) {
        struct regval *r = &v->regs[i];
        g_byte_array_set_size(v->scratch, 0);
        int size = qemu_plugin_read_register(regdefs[i].handle, v->scratch);
        if (size < 0)
            size = 0;
        r->last = g_realloc(r->last, (size_t)size);
        r->size = size;
        if (size) /* r->last is NULL then */
            memcpy(r->last, v->scratch->data, (size_t)size);
    }
    v->live = true;
    vcpus[vcpu_index] = v;
    if (vcpu_index >= n_vcpu_slots)
        n_vcpu_slots = vcpu_index + 1;
    self = v;
    g_mutex_unlock(&lifecycle_lock);
    exitguard_leave(vcpu_index);
}

/* What upstream prints at exit: the open line without a register check;
 * with no open line, the last line a filtered-out instruction ended (see
 * echo), or else an empty line. A bin trace holds the records as they are:
 * its last instruction needs nothing more. */
static void vcpu_finish(struct vcpu *v)
{
    v->live = false;
    if (bin) {
        if (v->t.s) {
            /* Parked since the thread's exit syscall: execve may flush it. */
            tt_stream_unpark(v->t.s);
            tt_stream_flush(v->t.s);
            tt_stream_park(v->t.s);
        }
        return;
    }
    if (!v->line) {
        reserve(v, v->echo_len);
        v->line = v->out.p;
        if (v->echo_len)
            v->out.p = tf_mem(v->out.p, v->echo, v->echo_len);
    }
    end_line(v);
    outbuf_flush(&v->out);
}

/* Upstream keeps a vCPU's last line until QEMU exits, and loses it when a
 * new thread gets the same vCPU index; here it goes out when its thread
 * exits (docs/execlog.md). */
static void vcpu_exit(qemu_plugin_id_t id, unsigned int vcpu_index)
{
    (void)id;
    if (!exitguard_enter(vcpu_index))
        return;
    g_mutex_lock(&lifecycle_lock);
    struct vcpu *v = vcpu_index < MAX_VCPUS ? vcpus[vcpu_index] : NULL;
    if (v && v->live && !finished)
        vcpu_finish(v);
    g_mutex_unlock(&lifecycle_lock);
    exitguard_leave(vcpu_index);
}

/* In a forked child only the forking thread lives on: the other vCPUs'
 * buffered lines belong to the parent, which writes them. The forking
 * thread's own buffer is emptied first so that neither process writes it
 * twice. A bin trace is the parent's: the child records nothing (the
 * writer's thread did not follow it). */
static void fork_prepare(void)
{
    g_mutex_lock(&lifecycle_lock);
    if (!bin && self && self->live) {
        if (self->line)
            self->line = outbuf_flush_keep(&self->out, self->line);
        else
            outbuf_flush(&self->out);
    }
}

static void fork_parent(void)
{
    g_mutex_unlock(&lifecycle_lock);
}

static void fork_child(void)
{
    if (bin)
        detached = true;
    for (unsigned i = 0; i < n_vcpu_slots; i++) {
        struct vcpu *v = vcpus[i];
        if (!v)
            continue;
        v->t.s = NULL;
        if (v != self) {
            v->out.p = v->out.start;
            v->line = NULL;
            v->live = false;
        }
    }
    g_mutex_unlock(&lifecycle_lock);
}

/* linux-user may run this twice (its own exit path, then atexit()). */
static void plugin_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id, (void)udata;
    /* Another vCPU may still be in a system call's callback, appending to
     * the stream that tt_writer_close frees (exitguard.h). Before the
     * lock, which vcpu_init and vcpu_exit take inside the guard. */
    exitguard_end();
    g_mutex_lock(&lifecycle_lock);
    if (finished) {
        g_mutex_unlock(&lifecycle_lock);
        return;
    }
    if (!started) {
        /* QEMU failed before the guest ran (no such program) and said so:
         * outfile leaves out= as it was. */
        finished = true;
        g_mutex_unlock(&lifecycle_lock);
        return;
    }
    uint64_t lost = 0;
    int error = 0;
    fdguard_settle();
    for (unsigned i = 0; i < n_vcpu_slots; i++) {
        struct vcpu *v = vcpus[i];
        if (!v)
            continue;
        if (v->live)
            vcpu_finish(v);
        lost += v->out.lost_lines;
        if (!error)
            error = v->out.error;
    }
    if (lost)
        fprintf(stderr, "execlog: cannot write '%s': %s: %" PRIu64 " lines lost\n",
                out_path, strerror(error), lost);
    if (out_fd >= 0 && close(out_fd) != 0)
        fprintf(stderr, "execlog: cannot write '%s': %s\n", out_path, strerror(errno));
    out_fd = -1;
    if (writer && !detached) {
        struct tt_error err;
        if (tt_writer_close(writer, NULL, &err) != 0)
            fprintf(stderr, "execlog: %s\n", err.msg);
    }
    writer = NULL;
    finished = true;
    g_mutex_unlock(&lifecycle_lock);
}

/* --- Installation --- */

static bool parse_address(const char *s, uint64_t *v)
{
    if (*s == '\0' || *s == '-' || *s == '+' || g_ascii_isspace(*s))
        return false;
    char *end;
    errno = 0;
    *v = g_ascii_strtoull(s, &end, 16);
    return errno == 0 && *end == '\0' && end != s;
}

/* Options are checked strictly: QEMU refuses to load the plugin, after our
 * message, on any unknown key or bad value. */
static int parse_option(const char *opt)
{
    /* QEMU passes KEY=VALUE (a bare KEY becomes KEY=on). */
    const char *eq = strchr(opt, '=');
    g_autofree char *key = eq ? g_strndup(opt, (gsize)(eq - opt)) : g_strdup(opt);
    const char *val = eq ? eq + 1 : "";
    if (strcmp(key, "ifilter") == 0) {
        if (!ifilters)
            ifilters = g_ptr_array_new();
        g_ptr_array_add(ifilters, g_strdup(val));
    } else if (strcmp(key, "afilter") == 0) {
        uint64_t a;
        if (!parse_address(val, &a)) {
            fprintf(stderr, "execlog: bad value '%s' for 'afilter' (a hexadecimal address)\n", val);
            return -1;
        }
        if (!afilters)
            afilters = g_array_new(false, false, sizeof(uint64_t));
        g_array_append_val(afilters, a);
    } else if (strcmp(key, "reg") == 0) {
        if (!*val) {
            fprintf(stderr, "execlog: bad value '' for 'reg' (a register name or glob)\n");
            return -1;
        }
        if (!reg_specs) {
            reg_specs = g_ptr_array_new();
            reg_globs = g_ptr_array_new();
        }
        g_autofree char *lower = g_ascii_strdown(val, -1);
        g_ptr_array_add(reg_specs, g_pattern_spec_new(lower));
        g_ptr_array_add(reg_globs, g_strdup(val));
    } else if (strcmp(key, "rdisas") == 0) {
        if (!qemu_plugin_bool_parse(key, val, &rdisas)) {
            fprintf(stderr, "execlog: bad value '%s' for 'rdisas' (on or off)\n", val);
            return -1;
        }
    } else if (strcmp(key, "out") == 0) {
        if (out_path || !*val) {
            fprintf(stderr, out_path ? "execlog: option 'out' given twice\n"
                                     : "execlog: bad value '' for 'out' (a file name)\n");
            return -1;
        }
        out_path = g_strdup(val);
    } else if (strcmp(key, "format") == 0) {
        if (strcmp(val, "text") != 0 && strcmp(val, "bin") != 0) {
            fprintf(stderr, "execlog: bad value '%s' for 'format' (text or bin)\n", val);
            return -1;
        }
        bin = strcmp(val, "bin") == 0;
    } else if (strcmp(key, "level") == 0) {
        char *end;
        errno = 0;
        long l = strtol(val, &end, 10);
        /* Negative levels are zstd's fastest; 0 is the writer's default. */
        if (!*val || *end || errno || l < ZSTD_minCLevel() || l > ZSTD_maxCLevel()) {
            fprintf(stderr, "execlog: bad value '%s' for 'level' (a zstd level from %d to %d)\n", val,
                    ZSTD_minCLevel(), ZSTD_maxCLevel());
            return -1;
        }
        level = (int)l;
        level_given = true;
    } else {
        fprintf(stderr, "execlog: unknown option '%s' (known: reg, rdisas, ifilter, afilter, "
                        "out, format, level)\n", key);
        return -1;
    }
    return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (parse_option(argv[i]) != 0)
            return -1;
    if (level_given && !bin) {
        fprintf(stderr, "execlog: 'level' applies to format=bin only\n");
        return -1;
    }
    if (bin && !out_path) {
        fprintf(stderr, "execlog: format=bin needs out=PATH\n");
        return -1;
    }
    if ((reg_specs || rdisas) && !QEMUAPI_REGISTERS)
        return qemuapi_refuse("execlog", reg_specs ? "reg=" : "rdisas=on", "9.0", info);
    system_mode = info->system_emulation;
    guest = guest_arch_find(info->target_name);
    if (guest)
        big_endian_target = guest->big_endian;
    /* QEMU keeps argv for the plugin's lifetime. */
    plugin_argc = argc;
    plugin_argv = argv;
    target_name = g_strdup(info->target_name);
    /* Opened now so that a bad path refuses the plugin (outfile.h); a bin
     * trace is written by its writer, which opens it again when the guest
     * starts. */
    out_file = (struct outfile){ .path = out_path };
    if (out_path && outfile_open_all("execlog", &out_file, 1, bin ? 0 : O_APPEND))
        return -1;
    if (out_path && !bin) {
        out_fd = out_file.fd;
        fdguard_add(&out_fd, out_path);
    }
    if (!guest && reg_specs)
        fprintf(stderr, "execlog: guest architecture '%s' is not one of %s: register values "
                        "are shown as little-endian\n", info->target_name, guest_arch_names());
    cbs = bin ? &bin_callbacks : system_mode ? &text_system : &text_user;

    qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
    qemu_plugin_register_vcpu_exit_cb(id, vcpu_exit);
    qemu_plugin_register_vcpu_tb_trans_cb(id, vcpu_tb_trans);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    if (!system_mode) {
        qemu_plugin_register_vcpu_syscall_cb(id, vcpu_syscall);
        qemu_plugin_register_vcpu_syscall_ret_cb(id, vcpu_syscall_ret);
        pthread_atfork(fork_prepare, fork_parent, fork_child);
        exitguard_init();
    }
    return 0;
}
