/* Golden v1 traces: tests/golden/v1.tct (zstd chunks) and v1-raw.tct
 * (uncompressed) hold every record kind, two vCPUs, a definition made
 * after a chunk went out, and a chunk large enough to compress. This test
 * writes the same trace again and checks that
 *   - the uncompressed one is byte for byte the committed file (the
 *     encoder did not change; zstd's output may change between zstd
 *     versions, so the compressed one is checked by decoding only);
 *   - both committed files decode to exactly the records written (the
 *     decoder still reads v1).
 * tests/integration/dump-golden.t checks `tcgtrace dump` of them against
 * the committed text, JSON, execlog and memtrace files.
 *
 * Regenerate (only with a format version bump, see docs/format.md):
 *   build/tests/test_format_golden --generate tests/golden
 * then the expected dumps, as tests/golden/README says. */
#include <errno.h>
#include <unistd.h>

#include "test_format_gen.h"

static const char *const golden_argv[] = { "/usr/bin/golden", "-n", "3" };

/* Expected records of vCPU 0 and 1, filled while writing. */
static struct expect want[2];

static void want_add(uint32_t stream, struct tt_record r)
{
    r.stream = stream;
    expect_add(&want[stream], &r);
}

static void insn(struct tt_stream *s, uint32_t id, uint64_t pc)
{
    tt_put_insn(s, id, pc);
    want_add(s->id, (struct tt_record){ .kind = TT_INSN, .insn.def = (const void *)(uintptr_t)id });
    want[s->id].recs[want[s->id].n - 1].def_insn.pc = pc;
}

static void mem(struct tt_stream *s, uint64_t pc, uint64_t addr, unsigned shift, bool store,
                bool has_value, uint64_t lo, uint64_t hi)
{
    struct tt_record r = { .kind = TT_MEM };
    r.mem.pc = pc;
    r.mem.vaddr = addr;
    r.mem.size = (uint8_t)(1u << shift);
    r.mem.store = store;
    r.mem.has_value = has_value;
    r.mem.value[0] = lo;
    r.mem.value[1] = hi;
    if (has_value)
        tt_put_mem_value(s, pc, addr, shift, store, lo, hi);
    else
        tt_put_mem(s, pc, addr, shift, store);
    want_add(s->id, r);
}

static void reg(struct tt_stream *s, uint32_t id, const uint8_t *v, size_t len)
{
    tt_put_reg(s, id, v, len);
    uint8_t *copy = malloc(len);
    memcpy(copy, v, len);
    struct tt_record r = { .kind = TT_REG };
    r.reg.def = (const void *)(uintptr_t)id;
    r.reg.len = (uint8_t)len;
    r.reg.value = copy;
    want_add(s->id, r);
}

static void put_sync(struct tt_stream *s, unsigned kind, uint64_t pc, uint64_t addr, uint64_t arg)
{
    struct tt_record r = { .kind = TT_SYNC };
    r.sync.kind = (uint8_t)kind;
    r.sync.pc = pc;
    r.sync.addr = addr;
    r.sync.arg = arg;
    r.sync.gseq = tt_put_sync(s, kind, pc, addr, arg);
    want_add(s->id, r);
}

static int generate(const char *path, bool raw, char *why, size_t whylen)
{
    for (int i = 0; i < 2; i++)
        expect_free(&want[i]);
    struct tt_header h = {
        .arch = "x86_64", .page_size = 4096, .qemu_version = "10.0.0", .argc = 3, .argv = golden_argv,
        .start_time_ns = 1700000000000000000ull, .tcgtrace_version = "0.1.0", .plugin = "execlog",
        .plugin_options = "reg=r*,format=bin",
        .features = TT_FEAT_INSNS | TT_FEAT_MEMORY | TT_FEAT_MEM_VALUES | TT_FEAT_REGISTERS |
                    TT_FEAT_SYNC | TT_FEAT_SYSCALLS,
    };
    struct tt_writer_options o = { .raw = raw, .synchronous = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    if (!w) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    static const uint8_t push[] = { 0x55 }, mov[] = { 0x48, 0x89, 0xe5 },
                         movl[] = { 0xc7, 0x45, 0xfc, 0x00, 0x00, 0x00, 0x00 },
                         cmpxchg[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x0d, 0x34, 0x12, 0x00, 0x00 },
                         nopw[] = { 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
                         add[] = { 0x83, 0x45, 0xfc, 0x01 }, ret[] = { 0xc3 };
    uint32_t i_push = tt_def_insn(w, 0x401000, push, sizeof push, "pushq %rbp");
    uint32_t i_mov = tt_def_insn(w, 0x401001, mov, sizeof mov, "movq %rsp, %rbp");
    uint32_t i_movl = tt_def_insn(w, 0x401004, movl, sizeof movl, "movl $0, -4(%rbp)");
    uint32_t i_cas = tt_def_insn(w, 0x40100b, cmpxchg, sizeof cmpxchg, "lock cmpxchgq %rcx, 0x1234(%rip)");
    uint32_t i_nop = tt_def_insn(w, 0x401014, nopw, sizeof nopw, "nopw %cs:0(%rax, %rax)");
    uint32_t i_add = tt_def_insn(w, 0x40101f, add, sizeof add, "addl $1, -4(%rbp)");
    uint32_t r_rax = tt_def_reg(w, "rax", 8), r_rsp = tt_def_reg(w, "rsp", 8);
    uint32_t r_xmm = tt_def_reg(w, "xmm0", 16);
    struct tt_stream *s0 = tt_stream_get(w, 0, &err), *s1 = tt_stream_get(w, 1, &err);

    tt_put_thread_start(s0, 1000);
    want_add(0, (struct tt_record){ .kind = TT_THREAD_START, .thread.tid = 1000 });
    tt_put_module(s0, "/usr/bin/golden", 0, 0x400000, 0x402000);
    want_add(0, (struct tt_record){ .kind = TT_MODULE, .module = { 0, 0x400000, 0x402000, strdup("/usr/bin/golden") } });
    tt_put_map(s0, 0x7ffffffde000, 0x21000, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_INITIAL);
    want_add(0, (struct tt_record){ .kind = TT_MAP,
                                    .map = { 0x7ffffffde000, 0x21000, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_INITIAL } });
    insn(s0, i_push, 0x401000);
    mem(s0, 0x401000, 0x7ffffffde8f8, 3, true, true, 0x7ffffffde920, 0);
    static const uint8_t rsp1[8] = { 0xf8, 0xe8, 0xfd, 0xff, 0xff, 0x7f, 0, 0 };
    reg(s0, r_rsp, rsp1, 8);
    insn(s0, i_mov, 0x401001);
    insn(s0, i_movl, 0x401004);
    mem(s0, 0x401004, 0x7ffffffde8f4, 2, true, true, 0, 0);
    insn(s0, i_cas, 0x40100b);
    mem(s0, 0x40100b, 0x402246, 3, false, true, 5, 0);
    mem(s0, 0x40100b, 0x402246, 3, true, true, 6, 0);
    put_sync(s0, TT_SYNC_ATOMIC_RMW, 0x40100b, 0x402246, 0);
    static const uint8_t rax1[8] = { 5, 0, 0, 0, 0, 0, 0, 0 };
    reg(s0, r_rax, rax1, 8);
    static const uint64_t mmap_args[6] = { 0, 0x10000, 3, 0x22, UINT64_MAX, 0 };
    tt_put_syscall(s0, 9, mmap_args);
    struct tt_record sc = { .kind = TT_SYSCALL };
    sc.syscall.num = 9;
    memcpy(sc.syscall.args, mmap_args, sizeof mmap_args);
    want_add(0, sc);
    tt_put_sysret(s0, 9, 0x7ffff7fe0000);
    want_add(0, (struct tt_record){ .kind = TT_SYSRET, .sysret = { 9, 0x7ffff7fe0000 } });
    tt_put_map(s0, 0x7ffff7fe0000, 0x10000, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_MMAP);
    want_add(0, (struct tt_record){ .kind = TT_MAP,
                                    .map = { 0x7ffff7fe0000, 0x10000, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_MMAP } });
    /* A loop: enough alike records for zstd to compress the chunk. */
    for (uint64_t i = 0; i < 40; i++) {
        insn(s0, i_nop, 0x401014);
        insn(s0, i_add, 0x40101f);
        mem(s0, 0x40101f, 0x7ffff7fe0000 + 4 * i, 2, false, true, i, 0);
        mem(s0, 0x40101f, 0x7ffff7fe0000 + 4 * i, 2, true, true, i + 1, 0);
    }
    tt_stream_flush(s0);

    /* Defined after vCPU 0's chunk went out, used by vCPU 1. */
    uint32_t i_ret = tt_def_insn(w, 0x401023, ret, sizeof ret, "retq");
    tt_put_thread_start(s1, 1001);
    want_add(1, (struct tt_record){ .kind = TT_THREAD_START, .thread.tid = 1001 });
    put_sync(s1, TT_SYNC_THREAD_START, 0x401000, 0, 1001);
    insn(s1, i_push, 0x401000);
    mem(s1, 0x401000, 0x7ffff77fee98, 3, true, true, 0, 0);
    insn(s1, i_nop, 0x401014);
    mem(s1, 0x401014, 0x7ffff7fe0010, 4, false, true, 0x0123456789abcdefull, 0xfedcba9876543210ull);
    static const uint8_t xmm[16] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
                                     0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe };
    reg(s1, r_xmm, xmm, 16);
    insn(s1, i_movl, 0x401004);
    /* As under qemu-system: physical address and memory region. */
    tt_put_mem(s1, 0x401004, 0xffffffc000001000, 0, true);
    tt_put_mem_phys(s1, 0x10000000, tt_stream_string(s1, "uart"));
    struct tt_record m = { .kind = TT_MEM };
    m.mem.pc = 0x401004;
    m.mem.vaddr = 0xffffffc000001000;
    m.mem.size = 1;
    m.mem.store = true;
    m.mem.has_phys = true;
    m.mem.phys = 0x10000000;
    m.mem.region_name = "uart";
    want_add(1, m);
    insn(s1, i_ret, 0x401023);
    mem(s1, 0x401023, 0x7ffff77fee98, 3, false, false, 0, 0);
    tt_put_lost(s1, TT_MEM, 3);
    want_add(1, (struct tt_record){ .kind = TT_LOST, .lost = { TT_MEM, 3 } });
    put_sync(s1, TT_SYNC_FUTEX_WAKE, 0x401023, 0x7ffff77ff9d0, 1);
    put_sync(s1, TT_SYNC_THREAD_EXIT, 0x401023, 0x7ffff77ff9d0, 1001);
    tt_put_thread_exit(s1, 1001, 0);
    want_add(1, (struct tt_record){ .kind = TT_THREAD_EXIT, .thread = { 1001, 0 } });
    tt_stream_flush(s1);

    put_sync(s0, TT_SYNC_FUTEX_WAIT, 0x40100b, 0x7ffff77ff9d0, 1001);
    insn(s0, i_ret, 0x401023);
    tt_put_thread_exit(s0, 1000, 3);
    want_add(0, (struct tt_record){ .kind = TT_THREAD_EXIT, .thread = { 1000, 3 } });
    if (tt_writer_close(w, NULL, &err) != 0) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    return 1;
}

static int same_records(const char *path, char *why, size_t whylen)
{
    return expect_same_records(path, 0, want, record_equal, why, whylen);
}

int main(int argc, char **argv)
{
    char why[600] = "", path[4096];
    if (argc == 3 && !strcmp(argv[1], "--generate")) {
        snprintf(path, sizeof path, "%s/v1.tct", argv[2]);
        if (!generate(path, false, why, sizeof why))
            return fprintf(stderr, "%s\n", why), 1;
        snprintf(path, sizeof path, "%s/v1-raw.tct", argv[2]);
        if (!generate(path, true, why, sizeof why))
            return fprintf(stderr, "%s\n", why), 1;
        return 0;
    }
    printf("1..4\n");
    char tmp[] = "/tmp/tcgtrace-golden.XXXXXX";
    if (!mkdtemp(tmp))
        return perror("mkdtemp"), 1;
    snprintf(path, sizeof path, "%s/v1-raw.tct", tmp);
    int pass = generate(path, true, why, sizeof why);
    ok(pass && same_bytes(path, "tests/golden/v1-raw.tct"),
           "the encoder writes tests/golden/v1-raw.tct byte for byte %s", why);
    unlink(path);
    snprintf(path, sizeof path, "%s/v1.tct", tmp);
    pass = generate(path, false, why, sizeof why) && same_records(path, why, sizeof why);
    ok(pass, "a fresh compressed trace decodes to the records written %s", why);
    unlink(path);
    rmdir(tmp);
    ok(same_records("tests/golden/v1-raw.tct", why, sizeof why),
           "tests/golden/v1-raw.tct decodes to the records written %s", why);
    ok(same_records("tests/golden/v1.tct", why, sizeof why),
           "tests/golden/v1.tct decodes to the records written %s", why);
    for (int i = 0; i < 2; i++)
        expect_free(&want[i]);
    return n_failed != 0;
}
