/* Trace statistics on traces written with the writer library, whose counts
 * are known by construction: per thread, system calls, mappings, losses,
 * code and data rankings named from the loop guest (non-PIE x86_64, so its
 * addresses are its link-time ones), a module recorded after accesses to
 * it, traces cut short and corrupt, and memory bounded by what is distinct. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../analysis/stats.h"
#include "../../analysis/sysnames.h"
#include "tcgtrace/writer.h"
#include "test_guest.h"
#include "tap.h"


static void is_u64(uint64_t got, uint64_t want, const char *what)
{
    ok(got == want, "%s: %llu", what, (unsigned long long)want);
    if (got != want)
        printf("#   got:  %llu\n", (unsigned long long)got);
}

static void is_str(const char *got, const char *want, const char *what)
{
    int same = got && want ? !strcmp(got, want) : got == want;
    ok(same, "%s: '%s'", what, want ? want : "(null)");
    if (!same)
        printf("#   got:  '%s'\n", got ? got : "(null)");
}

static char dir[] = "/tmp/tcgtrace-test-stats.XXXXXX";
static char loop_path[512];
static struct elfinfo kernel, src, dst, mainf, seg;

static struct tt_writer *open_trace(const char *path, const char *plugin)
{
    static const char *const argv_loop[] = { "loop", "1000" };
    struct tt_header h = {
        .arch = "x86_64", .page_size = 4096, .qemu_version = "10.0.0", .argc = 2, .argv = argv_loop,
        .tcgtrace_version = "test", .plugin = plugin, .plugin_options = "format=bin",
        .features = TT_FEAT_MEMORY | TT_FEAT_SYSCALLS,
    };
    /* Synchronous: chunks reach the file in the order streams are flushed. */
    struct tt_writer_options o = { .raw = true, .synchronous = true };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    if (!w) {
        printf("Bail out! %s\n", err.msg);
        exit(1);
    }
    return w;
}

static void close_trace(struct tt_writer *w)
{
    struct tt_error err;
    if (tt_writer_close(w, NULL, &err) < 0) {
        printf("Bail out! %s\n", err.msg);
        exit(1);
    }
}

/* Records of trace A, counted as they are put. */
static uint64_t a_records0, a_records1;

/* Two threads of the loop guest. Thread 1's chunk is written before thread
 * 0's, which holds the module record: its accesses to `src` come before
 * the module they fall in, in file order. */
static void write_trace_a(const char *path)
{
    struct tt_writer *w = open_trace(path, "memtrace");
    struct tt_error err;
    struct tt_stream *s0 = tt_stream_get(w, 0, &err), *s1 = tt_stream_get(w, 1, &err);
    uint64_t n0 = 0, n1 = 0;
    uint64_t args[6] = { 0 };

    tt_put_thread_start(s0, 100), n0++;
    tt_put_module(s0, loop_path, 0, seg.lo, seg.hi), n0++;
    tt_put_map(s0, 0x7ffffffde000, 135168, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_INITIAL), n0++;
    tt_put_map(s0, 0x403000, 4096, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_ELF), n0++;
    tt_put_map(s0, 0x404000, 8192, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_ELF), n0++;
    for (int i = 0; i < 3; i++) {
        tt_put_syscall(s0, 9, args), n0++;
        tt_put_map(s0, 0x10000000 + 0x1000 * (uint64_t)i, 4096, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_MMAP), n0++;
        tt_put_sysret(s0, 9, i == 2 ? -12 : 0x10000000), n0++;
    }
    tt_put_map(s0, 0x10002000, 4096, TT_PROT_UNMAPPED, TT_MAP_MUNMAP), n0++;
    /* Where thread 1 stores, mapped in a chunk after thread 1's. */
    tt_put_map(s0, 0x20000000, 4096, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_MMAP), n0++;
    tt_put_map(s0, 0x20000000, 4096, TT_PROT_READ, TT_MAP_MPROTECT), n0++;
    tt_put_syscall(s0, 12, args), n0++;
    tt_put_sysret(s0, 12, 0x405000), n0++;
    /* main's initialisation of src, then kernel's N loads and stores. */
    for (int i = 0; i < 256; i++)
        tt_put_mem(s0, mainf.value + 0x10, src.value + 4 * (uint64_t)i, 2, true), n0++;
    for (int i = 0; i < 1000; i++) {
        tt_put_mem(s0, kernel.value + 4, src.value + 4 * (uint64_t)(i % 256), 2, false), n0++;
        tt_put_mem(s0, kernel.value + 8, dst.value + 4 * (uint64_t)(i % 256), 2, true), n0++;
    }
    /* Outside any module: 5 loads of 8 bytes, in no function. */
    for (int i = 0; i < 5; i++)
        tt_put_mem(s0, 0x7000, 0x10000000 + 8 * (uint64_t)i, 3, false), n0++;
    /* In the module but in no data symbol: its ELF header. */
    tt_put_mem(s0, kernel.value + 12, seg.lo, 0, false), n0++;
    tt_put_mem(s0, kernel.value + 12, seg.lo + 1, 0, false), n0++;
    tt_put_lost(s0, TT_MEM, 7), n0++;
    tt_put_thread_exit(s0, 100, 0), n0++;

    tt_put_thread_start(s1, 101), n1++;
    for (int i = 0; i < 10; i++)
        tt_put_mem(s1, kernel.value + 4, src.value, 2, false), n1++;
    for (int i = 0; i < 2; i++)
        tt_put_mem(s1, 0x7004, 0x20000008, 1, true), n1++;
    /* Code in the module, in no function: its ELF header. */
    tt_put_mem(s1, seg.lo + 1, 0x20000008, 1, true), n1++;
    tt_put_sync(s1, TT_SYNC_ATOMIC_RMW, 0x7008, 0x20000000, 0), n1++;
    tt_put_sync(s1, TT_SYNC_FENCE, 0x700c, 0, 0), n1++;
    tt_put_thread_exit(s1, 101, 0), n1++;

    tt_stream_flush(s1);
    tt_stream_flush(s0);
    close_trace(w);
    a_records0 = n0;
    a_records1 = n1;
}

static struct stats *collect(const char *path, int *rc, struct tt_error *err)
{
    struct tt_reader *r = tt_reader_open(path, 0, err);
    if (!r) {
        *rc = err->code;
        return NULL;
    }
    struct stats *st = stats_new(tt_reader_header(r));
    *rc = stats_collect(st, r, err);
    tt_reader_close(r);
    return st;
}

static void test_counts(const char *path)
{
    struct tt_error err;
    int rc;
    struct stats *st = collect(path, &rc, &err);
    ok(rc == 0 && st->complete && !st->cut_short, "trace A read whole%s%s", rc ? ": " : "", rc ? err.msg : "");
    is_u64(st->nthreads, 2, "two vCPUs");
    is_u64(st->thread_starts, 2, "two thread starts");
    is_u64(st->records, a_records0 + a_records1, "records");
    const struct stats_thread *t0 = &st->threads[0], *t1 = &st->threads[1];
    ok(t0->vcpu == 0 && t1->vcpu == 1, "threads in vCPU order");
    ok(t0->ntids == 1 && t0->tids[0] == 100 && t1->ntids == 1 && t1->tids[0] == 101, "thread ids 100 and 101");
    is_u64(t0->records, a_records0, "vCPU 0 records");
    is_u64(t0->c.reads, 1000 + 5 + 2, "vCPU 0 reads");
    is_u64(t0->c.writes, 256 + 1000, "vCPU 0 writes");
    is_u64(t0->c.read_bytes, 4000 + 40 + 2, "vCPU 0 bytes read");
    is_u64(t0->c.write_bytes, 4 * 1256, "vCPU 0 bytes written");
    is_u64(t0->syscalls, 4, "vCPU 0 syscalls");
    is_u64(t0->lost, 7, "vCPU 0 records lost");
    is_u64(t0->exits, 1, "vCPU 0 thread exits");
    is_u64(t1->records, a_records1, "vCPU 1 records");
    is_u64(t1->c.reads, 10, "vCPU 1 reads");
    is_u64(t1->c.writes, 3, "vCPU 1 writes");
    is_u64(t1->c.write_bytes, 6, "vCPU 1 bytes written (2-byte stores)");
    is_u64(t1->sync_events, 2, "vCPU 1 sync events");
    is_u64(st->c.reads, 1017, "total reads");
    is_u64(st->c.writes, 1259, "total writes");
    is_u64(st->lost, 7, "records lost in all");
    is_u64(st->lost_plugin[TT_MEM], 7, "  ... memory accesses the plugin could not record");

    ok(st->nsyscalls == 2 && st->syscall[0].num == 9 && st->syscall[1].num == 12, "syscalls 9 and 12, in order");
    is_u64(st->syscall[0].calls, 3, "mmap calls");
    is_u64(st->syscall[0].returns, 3, "mmap returns");
    is_u64(st->syscall[0].errors, 1, "mmap errors (-12)");
    is_u64(st->syscall[1].errors, 0, "brk: no error (a large return is no errno)");
    is_str(sysname("x86_64", st->syscall[0].num), "mmap", "x86_64 syscall 9");

    is_u64(st->mappings[TT_MAP_INITIAL].changes, 1, "initial mappings");
    is_u64(st->mappings[TT_MAP_INITIAL].bytes, 135168, "  ... bytes");
    is_u64(st->mappings[TT_MAP_ELF].changes, 2, "ELF segments");
    is_u64(st->mappings[TT_MAP_ELF].bytes, 12288, "  ... bytes");
    is_u64(st->mappings[TT_MAP_MMAP].changes, 4, "mmaps");
    is_u64(st->mappings[TT_MAP_MUNMAP].bytes, 4096, "munmap bytes");
    is_u64(st->mappings[TT_MAP_MPROTECT].changes, 1, "mprotects");
    is_u64(st->map_changes, 9, "mapping changes in all");
    ok(st->nmodules == 1 && !strcmp(st->modules[0].path, loop_path) && st->modules[0].start == seg.lo,
       "one module: the loop guest");

    /* Ranked before naming: by memory accesses, then address. */
    ok(stats_code_by(st) == STATS_BY_ACCESSES, "a trace without instructions ranks code by accesses");
    size_t n;
    const struct stats_code *c = stats_hot_code(st, &n);
    is_u64(n, 7, "seven code addresses");
    ok(c[0].pc == kernel.value + 4 && c[0].c.reads == 1010 && c[1].pc == kernel.value + 8 && c[1].c.writes == 1000 &&
           c[2].pc == mainf.value + 0x10 && c[3].pc == 0x7000 && c[4].pc == 0x7004 && c[5].pc == kernel.value + 12 &&
           c[6].pc == seg.lo + 1,
       "hottest code: kernel's load, kernel's store, main's store, then the rest (ties: lower address first)");
    const struct stats_region *d = stats_hot_data(st, &n);
    uint64_t bss = src.value & ~4095ull;
    ok(n == 4 && d[0].start == bss && d[0].kind == STATS_PAGE && stats_accesses(&d[0].c) == 1010 + 256 + 1000,
       "before naming, data regions are pages: src and dst's first");
    stats_free(st);
}

static void test_names(const char *path)
{
    struct tt_error err;
    int rc, first, last;
    kernel_lines(&first, &last);
    struct stats *st = collect(path, &rc, &err);
    struct symbols *sy = symbols_new(NULL);
    rc = stats_symbolise(st, sy, path, &err);
    ok(rc == 0, "named %s", rc ? err.msg : "");

    size_t n;
    const struct stats_code *c = stats_hot_code(st, &n);
    is_str(c[0].sym.function, "kernel", "the hottest address is in kernel");
    ok(c[0].sym.file && strstr(c[0].sym.file, "loop.c") && c[0].sym.line >= first && c[0].sym.line <= last,
       "  ... at loop.c:%d, within kernel (lines %d-%d)", c[0].sym.line, first, last);
    ok(!c[3].sym.module, "an address in no module has no name");

    const struct stats_code *f = stats_hot_funcs(st, &n);
    is_u64(n, 4, "functions: kernel, main, code outside modules, the module's code outside functions");
    ok(f[0].kind == STATS_FUNCTION && f[1].kind == STATS_FUNCTION, "  ... two functions first");
    is_str(f[0].sym.function, "kernel", "the hottest function is kernel");
    is_u64(f[0].pc, kernel.value, "  ... at its start");
    is_u64(f[0].c.reads, 1010 + 2, "  ... its reads, all its addresses added");
    is_u64(f[0].c.writes, 1000, "  ... its writes");
    is_u64(f[0].sym_pc, kernel.value + 4, "  ... named from its hottest address");
    is_str(f[1].sym.function, "main", "then main");
    is_u64(f[1].c.writes, 256, "  ... its writes");
    ok(f[2].kind == STATS_NO_MODULE && f[2].pc == 0x7000 && f[2].c.reads == 5 && f[2].c.writes == 2,
       "then the two addresses outside modules together, at the hottest");
    ok(f[3].kind == STATS_MODULE_REST && f[3].sym.module && !strcmp(f[3].sym.module, loop_path) &&
           !f[3].sym.function && f[3].c.writes == 1,
       "then the module's code outside function symbols");

    const struct stats_region *d = stats_hot_data(st, &n);
    is_u64(n, 5, "data regions: src, dst, a page in no module, the ELF header's page, a page of 2-byte stores");
    ok(d[0].kind == STATS_SYMBOL && d[0].start == src.value && d[0].size == src.size, "the hottest is symbol src");
    is_str(d[0].sym.name, "src", "  ... named");
    is_u64(d[0].c.reads, 1010, "  ... its reads, thread 1's too (recorded before the module)");
    is_u64(d[0].c.writes, 256, "  ... its writes");
    ok(d[1].kind == STATS_SYMBOL && d[1].start == dst.value, "then dst");
    is_u64(d[1].c.writes, 1000, "  ... its writes");
    ok(d[2].kind == STATS_PAGE && d[2].start == 0x10000000 && !d[2].sym.module && d[2].c.reads == 5,
       "then a page in no module, its 5 reads");
    is_u64(d[2].map_cause, TT_MAP_MMAP, "  ... mapped by mmap");
    ok(d[3].kind == STATS_PAGE && d[3].start == 0x20000000 && d[3].c.writes == 3, "then the 2-byte stores' page");
    is_u64(d[3].map_cause, TT_MAP_MMAP, "  ... mapped by mmap, recorded after the stores in the file, not mprotect");
    is_u64(d[0].map_cause, TT_MAP_ELF, "src: in an ELF segment");
    ok(d[4].kind == STATS_PAGE && d[4].start == (seg.lo & ~4095ull) && d[4].sym.module && !d[4].sym.name &&
           d[4].c.reads == 2,
       "the ELF header: a page of the module, in no symbol");
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += stats_accesses(&d[i].c);
    is_u64(sum, st->c.reads + st->c.writes, "each access in one region");
    symbols_free(sy);
    stats_free(st);
}

/* Instructions rank code when the trace has them, through definitions that
 * may share a pc (a retranslated block). */
static void test_insns(const char *path)
{
    struct tt_writer *w = open_trace(path, "execlog");
    struct tt_error err;
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    static const uint8_t nop = 0x90;
    uint32_t a = tt_def_insn(w, 0x401000, &nop, 1, "nop");
    uint32_t b = tt_def_insn(w, 0x401001, &nop, 1, "nop");
    uint32_t b2 = tt_def_insn(w, 0x401001, &nop, 1, "nop");
    for (int i = 0; i < 100; i++) {
        tt_put_insn(s, a, 0x401000);
        tt_put_insn(s, i & 1 ? b : b2, 0x401001);
        tt_put_insn(s, b, 0x401001);
    }
    tt_put_mem(s, 0x401000, 0x404000, 2, false);
    tt_put_mem(s, 0x401000, 0x404000, 2, false);
    close_trace(w);
    int rc;
    struct stats *st = collect(path, &rc, &err);
    ok(rc == 0 && stats_code_by(st) == STATS_BY_INSNS, "a trace with instructions ranks code by them");
    size_t n;
    const struct stats_code *c = stats_hot_code(st, &n);
    ok(n == 2 && c[0].pc == 0x401001 && c[0].c.insns == 200 && c[1].c.insns == 100 && c[1].c.reads == 2,
       "two definitions of one pc count as one address (200 instructions), before 100 with more accesses");
    is_u64(st->threads[0].c.insns, 300, "instructions of the thread");
    stats_free(st);
}

/* The offset of the trailer chunk: after the header, chunk by chunk. */
static long trailer_offset(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t b[36];
    long off = -1;
    if (f && fseek(f, 12, SEEK_SET) == 0 && fread(b, 1, 4, f) == 4) {
        off = (long)tt_le32(b);
        while (fseek(f, off, SEEK_SET) == 0 && fread(b, 1, 36, f) == 36 && b[4] != TT_CHUNK_TRAILER)
            off += 36 + (long)tt_le32(b + 24);
    }
    if (f)
        fclose(f);
    return off;
}

/* Copies path to out, the first len bytes, with byte flip (if >= 0)
 * inverted. */
static void copy_trace(const char *path, const char *out, long len, long flip)
{
    FILE *in = fopen(path, "rb"), *o = fopen(out, "wb");
    int ch;
    for (long i = 0; i < len && (ch = fgetc(in)) != EOF; i++)
        fputc(i == flip ? ch ^ 0xff : ch, o);
    fclose(in);
    fclose(o);
}

static void test_cut_short(const char *path)
{
    char cut[600];
    snprintf(cut, sizeof cut, "%s/cut.tct", dir);
    long trailer = trailer_offset(path);
    ok(trailer > 0, "trace A's trailer found at byte %ld", trailer);

    copy_trace(path, cut, trailer, -1);
    struct tt_error err;
    int rc;
    struct stats *st = collect(cut, &rc, &err);
    ok(rc == TT_E_TRUNCATED && st->cut_short && !st->complete, "without its trailer: cut short (%s)", err.msg);
    is_u64(st->records, a_records0 + a_records1, "  ... every record still counted");
    is_u64(st->lost, 7, "  ... losses the plugin recorded still counted");
    stats_free(st);

    /* Cut inside thread 0's chunk: thread 1's (first in the file) only. */
    copy_trace(path, cut, trailer - 100, -1);
    st = collect(cut, &rc, &err);
    ok(rc == TT_E_TRUNCATED && st->cut_short, "cut inside the last chunk: cut short");
    ok(st->nthreads == 1 && st->threads[0].vcpu == 1 && st->c.reads == 10 && st->nmodules == 0,
       "  ... only thread 1's records: 10 reads, no module yet");
    struct symbols *sy = symbols_new(NULL);
    ok(stats_symbolise(st, sy, cut, &err) == 0, "  ... naming reads what the first pass read");
    symbols_free(sy);
    stats_free(st);
}

static void test_corrupt(const char *path)
{
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.tct", dir);
    long trailer = trailer_offset(path);
    struct stat sb;
    stat(path, &sb);
    copy_trace(path, bad, (long)sb.st_size, trailer - 100);
    struct tt_error err;
    int rc;
    struct stats *st = collect(bad, &rc, &err);
    ok(rc == TT_E_CORRUPT && !st->cut_short && !st->complete, "a flipped byte: corrupt (%s)", err.msg);
    ok(st->nthreads == 1 && st->c.reads == 10, "  ... the records before it counted");
    struct symbols *sy = symbols_new(NULL);
    rc = stats_symbolise(st, sy, bad, &err);
    ok(rc == 0, "  ... naming stops where the first pass stopped %s", rc ? err.msg : "");
    symbols_free(sy);
    stats_free(st);
}

static void test_trailer_losses(void)
{
    struct stats *st = stats_new(NULL);
    ok(st && st->page_size == 4096, "no header: 4096-byte pages");
    struct tt_record rec = { .kind = TT_MEM, .stream = 3, .mem = { .pc = 1, .vaddr = 2, .size = 4 } };
    stats_add(st, &rec);
    struct tt_stream_totals streams[] = { { 3, 1, 1, 5 }, { 4, 0, 0, 2 }, { TT_STREAM_META, 1, 0, 1 } };
    struct tt_trailer t = { .nstreams = 3, .streams = streams, .write_errno = 28 };
    t.lost[TT_MEM] = 7;
    t.lost[TT_DEF_INSN] = 1;
    stats_end(st, &t);
    is_u64(st->lost, 8, "the writer's losses, by kind, definitions included");
    ok(st->lost_writer[TT_MEM] == 7 && st->write_errno == 28, "  ... by kind, with the error");
    ok(st->nthreads == 2 && st->threads[0].lost == 5 && st->threads[1].vcpu == 4 && st->threads[1].lost == 2,
       "  ... per vCPU, one whose every chunk was lost included");
    stats_free(st);
}

/* A million accesses over 10 code addresses and 4 pages: 10 and 4 entries. */
static void test_bounded(const char *path)
{
    struct tt_writer *w = open_trace(path, "memtrace");
    struct tt_error err;
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    for (uint64_t i = 0; i < 1000000; i++)
        tt_put_mem(s, 0x401000 + 4 * (i % 10), 0x10000000 + (i * 64) % 16384, 3, i & 1);
    close_trace(w);
    int rc;
    struct stats *st = collect(path, &rc, &err);
    ok(rc == 0 && st->ncode == 10 && st->npages == 4, "1000000 accesses: 10 code entries, 4 pages");
    is_u64(st->c.reads + st->c.writes, 1000000, "  ... all counted");
    stats_free(st);
}

static void test_mapset(void)
{
    struct mapset m = { 0 };
    ok(mapset_cause(&m, 0x1000) == 0, "mapset: empty, nothing mapped");
    mapset_set(&m, 0x10000, 0x10000, TT_MAP_MMAP);
    mapset_set(&m, 0x30000, 0x1000, TT_MAP_BRK);
    mapset_set(&m, 0x14000, 0x1000, TT_MAP_ELF); /* splits the mmap in two */
    ok(m.n == 4 && mapset_cause(&m, 0x13fff) == TT_MAP_MMAP && mapset_cause(&m, 0x14000) == TT_MAP_ELF &&
           mapset_cause(&m, 0x15000) == TT_MAP_MMAP && mapset_cause(&m, 0x30fff) == TT_MAP_BRK &&
           mapset_cause(&m, 0x31000) == 0 && mapset_cause(&m, 0xffff) == 0,
       "mapset: a range over the middle of another splits it");
    mapset_set(&m, 0x12000, 0x20000, 0); /* unmaps across three ranges */
    ok(m.n == 1 && mapset_cause(&m, 0x11fff) == TT_MAP_MMAP && mapset_cause(&m, 0x12000) == 0 &&
           mapset_cause(&m, 0x31fff) == 0 && mapset_cause(&m, 0x30000) == 0,
       "mapset: unmapping across ranges keeps what lies outside");
    mapset_set(&m, UINT64_MAX - 0xfff, 0x2000, TT_MAP_MMAP);
    ok(mapset_cause(&m, UINT64_MAX - 1) == TT_MAP_MMAP && m.v[m.n - 1].end == UINT64_MAX,
       "mapset: a range past 2^64 stops there");
    mapset_free(&m);
}

static void test_sysnames(void)
{
    is_str(sysname("aarch64", 222), "mmap", "aarch64 syscall 222");
    is_str(sysname("riscv64", 93), "exit", "riscv64 syscall 93");
    is_str(sysname("riscv64", 259), "riscv_flush_icache", "riscv64's own syscall 259");
    /* One generic table for both, each with its own numbers. */
    is_str(sysname("aarch64", 38), "renameat", "aarch64's own syscall 38");
    ok(!sysname("aarch64", 259) && !sysname("riscv64", 38), "neither has the other's own");
    is_str(sysname("aarch64", 449), "futex_waitv", "aarch64 syscall 449, the generic table's last but one");
    ok(!sysname("x86_64", 100000) && !sysname("sparc", 1), "unknown number or architecture: NULL");
}

int main(void)
{
    const char *b = getenv("B");
    snprintf(loop_path, sizeof loop_path, "%s/guests/x86_64-nopie/loop", b && *b ? b : "build");
    elf_version(EV_CURRENT);
    kernel = elf_info(loop_path, "kernel");
    src = elf_info(loop_path, "src");
    dst = elf_info(loop_path, "dst");
    mainf = elf_info(loop_path, "main");
    seg = kernel; /* lo, hi: the extent of its PT_LOAD segments */
    if (!kernel.ok || !src.ok || !dst.ok || !mainf.ok || kernel.type != ET_EXEC) {
        printf("Bail out! '%s' is not the non-PIE loop guest (make %s)\n", loop_path, loop_path);
        return 1;
    }
    if (!mkdtemp(dir)) {
        printf("Bail out! cannot create a temporary directory\n");
        return 1;
    }
    char a[600], tmp[600];
    snprintf(a, sizeof a, "%s/a.tct", dir);
    snprintf(tmp, sizeof tmp, "%s/tmp.tct", dir);
    write_trace_a(a);
    test_counts(a);
    test_names(a);
    test_insns(tmp);
    test_cut_short(a);
    test_corrupt(a);
    test_trailer_losses();
    test_bounded(tmp);
    test_mapset();
    test_sysnames();

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
