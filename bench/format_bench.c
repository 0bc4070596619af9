/* Trace format micro-benchmark (not a test): how fast one thread appends
 * records, and how many bytes a memory-access record costs in the file.
 *
 *   format_bench [--quick] [DIR]     (DIR: where traces go, default /tmp)
 *
 * Patterns:
 *   insn loop    executed instructions of a 24-instruction loop body
 *   mem walk     a strided array walk as memtrace records it: per element a
 *                load of a[i] (value 3*i) and a store of a[i] + 1, with PC and
 *                value, stride 64 bytes
 *   walk rand16  the same walk over an array of random 16-bit numbers (each
 *                value is new: only its high bytes compress)
 *   mem random   loads of random 8-byte values at random addresses: the
 *                incompressible worst case
 * Each pattern runs with zstd (the default level) and uncompressed; the
 * rate counts the whole append path (hand-off and waiting for the writer
 * thread included) up to tt_writer_close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tcgtrace/writer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum pattern { INSN_LOOP, MEM_WALK, MEM_WALK16, MEM_RANDOM };
static const char *const names[] = { "insn loop", "mem walk", "walk rand16", "mem random" };

static void run(const char *dir, enum pattern pat, bool raw, uint64_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/format_bench.tct", dir);
    struct tt_header h = { .arch = "x86_64", .plugin = "bench", .page_size = 4096 };
    struct tt_writer_options o = { .raw = raw };
    struct tt_error err;
    struct tt_writer *w = tt_writer_open(path, &h, &o, &err);
    if (!w) {
        fprintf(stderr, "format_bench: %s\n", err.msg);
        exit(1);
    }
    struct tt_stream *s = tt_stream_get(w, 0, &err);
    uint32_t ids[24];
    for (int i = 0; i < 24; i++) {
        uint8_t op[4] = { 0x48, 0x89, (uint8_t)i, 0xc3 };
        ids[i] = tt_def_insn(w, 0x401000 + 4u * (unsigned)i, op, 4, "mov %rax, %rbx");
    }
    uint64_t rng = 88172645463325252ull;
    double t0 = now();
    switch (pat) {
    case INSN_LOOP:
        for (uint64_t k = 0; k < n; k += 24)
            for (int i = 0; i < 24; i++)
                tt_put_insn(s, ids[i], 0x401000 + 4u * (unsigned)i);
        break;
    case MEM_WALK:
        for (uint64_t i = 0; i < n / 2; i++) {
            uint64_t addr = 0x7f0000000000 + (i % (1u << 20)) * 64, v = 3 * (i % (1u << 20));
            tt_put_mem_value(s, 0x401010, addr, 2, false, v, 0);
            tt_put_mem_value(s, 0x401018, addr, 2, true, v + 1, 0);
        }
        break;
    case MEM_WALK16:
        for (uint64_t i = 0; i < n / 2; i++) {
            uint64_t addr = 0x7f0000000000 + (i % (1u << 20)) * 64;
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            tt_put_mem_value(s, 0x401010, addr, 2, false, rng & 0xffff, 0);
            tt_put_mem_value(s, 0x401018, addr, 2, true, (rng & 0xffff) + 1, 0);
        }
        break;
    case MEM_RANDOM:
        for (uint64_t i = 0; i < n; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            tt_put_mem_value(s, 0x401010, 0x7f0000000000 + (rng & 0xffffff8), 3, false, rng, 0);
        }
        break;
    }
    struct tt_writer_stats st;
    if (tt_writer_close(w, &st, &err) != 0) {
        fprintf(stderr, "format_bench: %s\n", err.msg);
        exit(1);
    }
    double dt = now() - t0;
    printf("| %-11s | %-4s | %6.0f M | %5.2f | %5.2f | %6.3f |\n", names[pat], raw ? "raw" : "zstd",
           (double)st.records / dt / 1e6, (double)st.raw_bytes / (double)st.records,
           (double)st.bytes / (double)st.records, dt);
    unlink(path);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && !strcmp(argv[1], "--quick");
    const char *dir = argc > 1 + quick ? argv[1 + quick] : "/tmp";
    uint64_t n = quick ? 20000000 : 200000000;
    printf("| pattern     | file | records/s | raw B/rec | file B/rec | seconds |\n");
    printf("|-------------|------|-----------|-----------|------------|---------|\n");
    for (int pat = INSN_LOOP; pat <= MEM_RANDOM; pat++)
        for (int raw = 0; raw <= 1; raw++)
            run(dir, (enum pattern)pat, raw, pat == MEM_RANDOM && raw ? n / 4 : n);
    return 0;
}
