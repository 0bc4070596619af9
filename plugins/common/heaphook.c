/* Allocator calls as heap events: see heaphook.h. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestmem.h"
#include "heaphook.h"
#include "qemuapi.h"
#include "tcgtrace/format.h"

#if QEMUAPI_REGISTERS

/* The functions hooked, by their names in a module's symbol table. */
enum fn {
    FN_MALLOC,
    FN_CALLOC,
    FN_REALLOC,
    FN_REALLOCARRAY,
    FN_FREE,
    FN_POSIX_MEMALIGN,
    FN_ALIGNED_ALLOC,
    FN_MEMALIGN,
    FN_VALLOC,
    FN_PVALLOC,
    FN_COUNT
};

static const struct {
    const char *name;
    unsigned kind;  /* tt_heap_kind */
    unsigned nargs; /* arguments read at entry */
} fns[FN_COUNT] = {
    [FN_MALLOC] = { "malloc", TT_HEAP_MALLOC, 1 },
    [FN_CALLOC] = { "calloc", TT_HEAP_CALLOC, 2 },
    [FN_REALLOC] = { "realloc", TT_HEAP_REALLOC, 2 },
    [FN_REALLOCARRAY] = { "reallocarray", TT_HEAP_REALLOC, 3 },
    [FN_FREE] = { "free", TT_HEAP_FREE, 1 },
    [FN_POSIX_MEMALIGN] = { "posix_memalign", TT_HEAP_MEMALIGN, 3 },
    [FN_ALIGNED_ALLOC] = { "aligned_alloc", TT_HEAP_MEMALIGN, 2 },
    [FN_MEMALIGN] = { "memalign", TT_HEAP_MEMALIGN, 2 },
    [FN_VALLOC] = { "valloc", TT_HEAP_MEMALIGN, 1 },
    [FN_PVALLOC] = { "pvalloc", TT_HEAP_MEMALIGN, 1 },
};

/* The C calling convention's registers, by QEMU's (gdb's) names, and how
 * far the stack pointer moves from a call's entry to its return (x86's ret
 * pops the return address that call pushed). */
static const struct abi {
    unsigned machine;
    const char *arg[3], *ret, *sp;
    const char *lr; /* the return address's register; NULL: at the stack pointer */
    unsigned ret_pop;
} abis[] = {
    { EM_X86_64, { "rdi", "rsi", "rdx" }, "rax", "rsp", NULL, 8 },
    { EM_AARCH64, { "x0", "x1", "x2" }, "x0", "sp", "x30", 0 },
    { EM_RISCV, { "a0", "a1", "a2" }, "a0", "sp", "ra", 0 },
};

/* An entry point hooked; made at module load, never freed (translated
 * code keeps pointing at it). */
struct hook {
    uint64_t pc;
    enum fn fn;
};

/* Per vCPU, in a QEMU scoreboard (which the inline compare reads ret
 * from), written only by its vCPU's thread. 128 bytes: two vCPUs share at
 * most the line at a boundary. */
struct hh_vcpu {
    uint64_t ret; /* the pending call's return address; 0: none */
    uint64_t sp;  /* the stack pointer at its entry */
    uint64_t arg[3];
    const struct hook *hook;
    struct qemu_plugin_register *r_arg[3], *r_ret, *r_sp, *r_lr;
    GByteArray *buf; /* for register reads: allocated once per index */
    bool regs;       /* every register above was found */
} __attribute__((aligned(64)));

static const struct abi *abi;
static bool big_endian;
static heaphook_emit_fn emit;
static struct qemu_plugin_scoreboard *score;
static qemu_plugin_u64 pending_ret;

/* pc -> struct hook: module loads (a system call's return in any thread)
 * add, translation looks up. */
static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *hooks;
static atomic_uint nhooks;

/* --- Finding the functions in a module's file ------------------------- */

static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

struct elf_file {
    int fd;
    uint64_t size;
    bool big;
    uint64_t bias;
};

struct shdr {
    uint32_t type, link;
    uint64_t offset, size, entsize;
};

#define U(p, T, f) guestmem_uint((p) + offsetof(T, f), sizeof(((T *)0)->f), e->big)

/* Whether [off, off + len) lies in the file. */
static bool in_file(const struct elf_file *e, uint64_t off, uint64_t len)
{
    return len <= e->size && off <= e->size - len;
}

static bool read_shdr(const struct elf_file *e, uint64_t shoff, uint64_t i, struct shdr *s)
{
    uint8_t b[sizeof(Elf64_Shdr)];
    if (!read_at(e->fd, b, sizeof b, shoff + i * sizeof b))
        return false;
    *s = (struct shdr){ (uint32_t)U(b, Elf64_Shdr, sh_type), (uint32_t)U(b, Elf64_Shdr, sh_link),
                        U(b, Elf64_Shdr, sh_offset), U(b, Elf64_Shdr, sh_size), U(b, Elf64_Shdr, sh_entsize) };
    return true;
}

static void add_hook(uint64_t pc, enum fn fn)
{
    pthread_mutex_lock(&hooks_lock);
    /* Aliases (glibc's memalign and aligned_alloc) keep the first name:
     * the same function either way. */
    if (!g_hash_table_contains(hooks, GSIZE_TO_POINTER(pc))) {
        struct hook *h = g_new(struct hook, 1);
        *h = (struct hook){ pc, fn };
        g_hash_table_insert(hooks, GSIZE_TO_POINTER(pc), h);
        atomic_fetch_add(&nhooks, 1);
    }
    pthread_mutex_unlock(&hooks_lock);
}

/* The symbol table in section sym, its names in section str: defined
 * functions with one of fns' names, global or weak, or local in .symtab
 * (a static PIE's malloc is local there). */
#define SYMS_AT_ONCE 256
#define STRTAB_MAX (64u << 20)
static void scan_symbols(const struct elf_file *e, const struct shdr *sym, const struct shdr *str)
{
    if (sym->entsize != sizeof(Elf64_Sym) || !in_file(e, sym->offset, sym->size) || str->type != SHT_STRTAB ||
        str->size > STRTAB_MAX || !in_file(e, str->offset, str->size))
        return;
    char *names = malloc(str->size + 1);
    if (!names || !read_at(e->fd, names, str->size, str->offset)) {
        free(names);
        return;
    }
    names[str->size] = '\0'; /* a table cut short still ends */
    uint64_t n = sym->size / sizeof(Elf64_Sym);
    static _Thread_local uint8_t b[SYMS_AT_ONCE * sizeof(Elf64_Sym)];
    for (uint64_t first = 0; first < n; first += SYMS_AT_ONCE) {
        uint64_t k = n - first < SYMS_AT_ONCE ? n - first : SYMS_AT_ONCE;
        if (!read_at(e->fd, b, k * sizeof(Elf64_Sym), sym->offset + first * sizeof(Elf64_Sym)))
            break;
        for (uint64_t i = 0; i < k; i++) {
            const uint8_t *s = b + i * sizeof(Elf64_Sym);
            unsigned info = (unsigned)U(s, Elf64_Sym, st_info);
            uint64_t name = U(s, Elf64_Sym, st_name), value = U(s, Elf64_Sym, st_value);
            unsigned bind = ELF64_ST_BIND(info);
            if (ELF64_ST_TYPE(info) != STT_FUNC ||
                (bind != STB_GLOBAL && bind != STB_WEAK && !(bind == STB_LOCAL && sym->type == SHT_SYMTAB)) ||
                U(s, Elf64_Sym, st_shndx) == SHN_UNDEF || !value || name >= str->size)
                continue;
            for (unsigned f = 0; f < FN_COUNT; f++)
                if (!strcmp(names + name, fns[f].name))
                    add_hook(value + e->bias, (enum fn)f);
        }
    }
    free(names);
}

void heaphook_module(const char *path, uint64_t bias)
{
    if (!abi)
        return;
    struct elf_file file = { .fd = open(path, O_RDONLY | O_CLOEXEC), .bias = bias }, *e = &file;
    struct stat st;
    uint8_t h[sizeof(Elf64_Ehdr)];
    if (e->fd < 0)
        return;
    if (fstat(e->fd, &st) || !S_ISREG(st.st_mode) || !read_at(e->fd, h, sizeof h, 0) ||
        memcmp(h, ELFMAG, SELFMAG) || h[EI_CLASS] != ELFCLASS64 ||
        h[EI_DATA] != (big_endian ? ELFDATA2MSB : ELFDATA2LSB))
        goto out;
    e->size = (uint64_t)st.st_size;
    e->big = big_endian;
    uint64_t shoff = U(h, Elf64_Ehdr, e_shoff), shnum = U(h, Elf64_Ehdr, e_shnum);
    struct shdr s, link;
    if (U(h, Elf64_Ehdr, e_machine) != abi->machine || U(h, Elf64_Ehdr, e_shentsize) != sizeof(Elf64_Shdr) ||
        !shoff)
        goto out;
    /* More than SHN_LORESERVE sections: the count is section 0's size. */
    if (!shnum && read_shdr(e, shoff, 0, &s))
        shnum = s.size;
    if (!shnum || shnum > (e->size / sizeof(Elf64_Shdr)) || !in_file(e, shoff, shnum * sizeof(Elf64_Shdr)))
        goto out;
    for (uint64_t i = 1; i < shnum; i++)
        if (read_shdr(e, shoff, i, &s) && (s.type == SHT_DYNSYM || s.type == SHT_SYMTAB) && s.link < shnum &&
            read_shdr(e, shoff, s.link, &link))
            scan_symbols(e, &s, &link);
out:
    close(e->fd);
}

#undef U

/* --- Execution: entries and returns ------------------------------------ */

static bool reg(struct hh_vcpu *v, struct qemu_plugin_register *r, uint64_t *value)
{
    return guestmem_read_register(r, v->buf, big_endian, value);
}

static uint64_t mul_saturated(uint64_t a, uint64_t b)
{
    uint64_t p;
    return __builtin_mul_overflow(a, b, &p) ? UINT64_MAX : p;
}

/* An allocator function is entered: free is reported now; another waits
 * for its return, unless it runs inside the call already pending (its
 * stack pointer at or below that call's). */
static void on_entry(unsigned idx, void *udata)
{
    const struct hook *h = udata;
    struct hh_vcpu *v = qemu_plugin_scoreboard_find(score, idx);
    uint64_t sp, ret = 0, a[3] = { 0 };
    if (!v->regs || !reg(v, v->r_sp, &sp) ||
        !(abi->lr ? reg(v, v->r_lr, &ret) : guestmem_read_uint(sp, 8, big_endian, &ret)) || !ret)
        return;
    if (h->fn != FN_FREE && v->ret && sp <= v->sp)
        return;
    for (unsigned i = 0; i < fns[h->fn].nargs; i++)
        if (!reg(v, v->r_arg[i], &a[i]))
            return;
    if (h->fn == FN_FREE) {
        emit(idx, &(struct heap_event){ .kind = TT_HEAP_FREE, .func = h->pc, .call = ret, .addr = a[0] });
        return;
    }
    memcpy(v->arg, a, sizeof a);
    v->hook = h;
    v->sp = sp;
    v->ret = ret;
}

/* A block starts at the pending return address: the call returns, unless
 * a deeper frame runs the same code (recursion) or the stack unwound past
 * it (longjmp: the call never returns). */
static void on_return(unsigned idx, void *udata)
{
    (void)udata;
    struct hh_vcpu *v = qemu_plugin_scoreboard_find(score, idx);
    uint64_t sp, rv, ret = v->ret, *a = v->arg;
    if (!reg(v, v->r_sp, &sp) || sp < v->sp + abi->ret_pop)
        return;
    v->ret = 0;
    if (sp != v->sp + abi->ret_pop || !reg(v, v->r_ret, &rv))
        return;
    const struct hook *h = v->hook;
    struct heap_event e = { .kind = fns[h->fn].kind, .func = h->pc, .call = ret, .addr = rv };
    switch (h->fn) {
    case FN_MALLOC:
    case FN_VALLOC:
    case FN_PVALLOC: e.size = a[0]; break;
    case FN_CALLOC: e.size = mul_saturated(a[0], a[1]); break;
    case FN_REALLOC: e.old = a[0], e.size = a[1]; break;
    case FN_REALLOCARRAY: e.old = a[0], e.size = mul_saturated(a[1], a[2]); break;
    case FN_ALIGNED_ALLOC:
    case FN_MEMALIGN: e.size = a[1]; break;
    case FN_POSIX_MEMALIGN:
        /* Returns 0 and stores the block at its first argument, or an
         * error number. */
        e.size = a[2];
        if ((uint32_t)rv != 0 || !guestmem_read_uint(a[0], 8, big_endian, &e.addr))
            e.addr = 0;
        break;
    default: return;
    }
    emit(idx, &e);
}

/* --- Set-up and translation -------------------------------------------- */

bool heaphook_install(const struct guest_arch *arch, heaphook_emit_fn fn)
{
    for (size_t i = 0; i < sizeof abis / sizeof abis[0]; i++)
        if (abis[i].machine == arch->elf_machine)
            abi = &abis[i];
    if (!abi || arch->word != 8)
        return abi = NULL, false;
    big_endian = arch->big_endian;
    emit = fn;
    hooks = g_hash_table_new(g_direct_hash, g_direct_equal);
    score = qemu_plugin_scoreboard_new(sizeof(struct hh_vcpu));
    pending_ret = qemu_plugin_scoreboard_u64_in_struct(score, struct hh_vcpu, ret);
    return true;
}

void heaphook_vcpu_init(unsigned idx)
{
    if (!abi)
        return;
    struct hh_vcpu *v = qemu_plugin_scoreboard_find(score, idx);
    /* A vCPU index is reused by a later thread: nothing of the earlier
     * one's is pending. */
    v->ret = 0;
    if (!v->buf)
        v->buf = g_byte_array_new();
    const char *names[] = { abi->arg[0], abi->arg[1], abi->arg[2], abi->ret, abi->sp, abi->lr };
    struct qemu_plugin_register *found[sizeof names / sizeof names[0]];
    guestmem_registers(names, sizeof names / sizeof names[0], found);
    v->regs = true;
    for (size_t w = 0; w < sizeof names / sizeof names[0]; w++)
        v->regs &= found[w] || !names[w];
    memcpy(v->r_arg, found, sizeof v->r_arg);
    v->r_ret = found[3];
    v->r_sp = found[4];
    v->r_lr = found[5];
}

void heaphook_tb(struct qemu_plugin_tb *tb)
{
    if (!abi)
        return;
    qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, on_return, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_COND_EQ,
                                              pending_ret, qemu_plugin_tb_vaddr(tb), NULL);
    if (!atomic_load_explicit(&nhooks, memory_order_relaxed))
        return;
    size_t n = qemu_plugin_tb_n_insns(tb);
    pthread_mutex_lock(&hooks_lock);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        struct hook *h = g_hash_table_lookup(hooks, GSIZE_TO_POINTER(qemu_plugin_insn_vaddr(insn)));
        if (h)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_entry, QEMU_PLUGIN_CB_R_REGS, h);
    }
    pthread_mutex_unlock(&hooks_lock);
}

#else /* QEMU before 9.0: no registers to read the arguments from */

bool heaphook_install(const struct guest_arch *arch, heaphook_emit_fn fn)
{
    (void)arch, (void)fn;
    return false;
}

void heaphook_vcpu_init(unsigned vcpu)
{
    (void)vcpu;
}

void heaphook_module(const char *path, uint64_t bias)
{
    (void)path, (void)bias;
}

void heaphook_tb(struct qemu_plugin_tb *tb)
{
    (void)tb;
}

#endif
