/* Synchronising instructions classified from real encodings: bytes emitted
 * by GNU as (binutils 2.40) for x86_64, aarch64 (armv8.4-a+lse+rcpc) and
 * riscv64 (amocas and pause as .word), with the text QEMU 10.0 printed for
 * them under execlog (capstone 4 shows the aarch64 LSE and RCpc ones as
 * ".byte"). Which x86 RMWs lose their loaded value was measured on QEMU
 * 10.0 with a second guest thread alive. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "tcgtrace/syncinsn.h"
#include "tap.h"

enum {
    A = TT_SYNCINSN_ATOMIC,
    M = TT_SYNCINSN_RMW,
    Q = TT_SYNCINSN_ACQUIRE,
    L = TT_SYNCINSN_RELEASE,
    F = TT_SYNCINSN_FENCE,
    LOCKED = A | M | Q | L | F,
    LOST = LOCKED | TT_SYNCINSN_LOAD_VALUE_LOST,
    X = TT_SYNCINSN_STORE_EXACT,
    D = TT_SYNCINSN_STORE_ADD,
};

struct x86_case {
    const char *text;
    unsigned len;
    uint8_t bytes[15];
    unsigned want;
};

static const struct x86_case x86[] = {
    { "lock addq $1, (%rdi)", 5, { 0xf0, 0x48, 0x83, 0x07, 0x01 }, LOST },
    { "lock incl (%rdi)", 3, { 0xf0, 0xff, 0x07 }, LOST },
    { "lock decl (%rdx)", 3, { 0xf0, 0xff, 0x0a }, LOST },
    { "lock subl $2, (%rdx)", 4, { 0xf0, 0x83, 0x2a, 0x02 }, LOCKED },
    { "lock andl $0xff, (%rdx)", 7, { 0xf0, 0x81, 0x22, 0xff, 0, 0, 0 }, LOST },
    { "lock xorl $1, (%rdx)", 4, { 0xf0, 0x83, 0x32, 0x01 }, LOST },
    { "lock negl (%rdx)", 3, { 0xf0, 0xf7, 0x1a }, LOCKED },
    { "lock notl (%rdx)", 3, { 0xf0, 0xf7, 0x12 }, LOST },
    { "lock addl %eax, (%rdi) (01 /r)", 3, { 0xf0, 0x01, 0x07 }, LOST },
    { "lock subl %eax, (%rdi) (29 /r)", 3, { 0xf0, 0x29, 0x07 }, LOCKED },
    { "lock xaddl %eax, (%rdi)", 4, { 0xf0, 0x0f, 0xc1, 0x07 }, LOCKED | D },
    { "lock cmpxchgq %rsi, (%rdi)", 5, { 0xf0, 0x48, 0x0f, 0xb1, 0x37 }, LOCKED | TT_SYNCINSN_CAS },
    { "lock cmpxchgb %sil, (%rdi)", 5, { 0xf0, 0x40, 0x0f, 0xb0, 0x37 }, LOCKED | TT_SYNCINSN_CAS },
    { "lock cmpxchg16b (%rdi)", 5, { 0xf0, 0x48, 0x0f, 0xc7, 0x0f }, LOCKED },
    { "lock orb $1, 3(%rdi)", 5, { 0xf0, 0x80, 0x4f, 0x03, 0x01 }, LOST },
    { "lock btsq $3, (%rdi)", 6, { 0xf0, 0x48, 0x0f, 0xba, 0x2f, 0x03 }, LOCKED },
    { "lock xaddw %ax, (%rdi) (66 before f0)", 5, { 0x66, 0xf0, 0x0f, 0xc1, 0x07 }, LOCKED | D },
    { "xchgl %eax, (%rdi)", 2, { 0x87, 0x07 }, LOCKED | X },
    { "xchgq %rax, (%rdi)", 3, { 0x48, 0x87, 0x07 }, LOCKED | X },
    { "xchgb %al, 1(%rdi)", 3, { 0x86, 0x47, 0x01 }, LOCKED | X },
    { "xchgl %eax, %fs:0", 7, { 0x64, 0x87, 0x04, 0x25, 0, 0, 0 }, LOCKED | X },
    { "xchgq %rbx, %rax", 2, { 0x48, 0x93 }, 0 },
    { "xchgl %ecx, %eax (87 with a register ModRM)", 2, { 0x87, 0xc8 }, 0 },
    { "nop (66 90)", 2, { 0x66, 0x90 }, 0 },
    { "mfence", 3, { 0x0f, 0xae, 0xf0 }, F | Q | L },
    { "lfence", 3, { 0x0f, 0xae, 0xe8 }, F | Q },
    { "sfence", 3, { 0x0f, 0xae, 0xf8 }, F | L },
    { "clflush (%rdi) (0f ae /7 on memory)", 3, { 0x0f, 0xae, 0x3f }, 0 },
    { "incsspq %rax (f3 0f ae /5)", 5, { 0xf3, 0x48, 0x0f, 0xae, 0xe8 }, 0 },
    { "movl (%rdi), %eax", 2, { 0x8b, 0x07 }, 0 },
    { "movl %eax, (%rdi)", 2, { 0x89, 0x07 }, 0 },
    { "addq $1, (%rdi)", 4, { 0x48, 0x83, 0x07, 0x01 }, 0 },
    { "cmpxchgq %rsi, (%rdi) (no lock)", 4, { 0x48, 0x0f, 0xb1, 0x37 }, 0 },
    { "pause", 2, { 0xf3, 0x90 }, 0 },
    { "lock prefix alone (truncated)", 1, { 0xf0 }, 0 },
};

struct word_case {
    const char *text;
    uint32_t word;
    unsigned want;
};

static const struct word_case a64[] = {
    { "ldxr x0, [x1]", 0xc85f7c20, A | M },
    { "stxr w4, x0, [x1]", 0xc8047c20, A | M },
    { "ldaxr w0, [x1]", 0x885ffc20, A | M | Q },
    { "stlxr w4, w0, [x1]", 0x8804fc20, A | M | L },
    { "ldxrb w0, [x1]", 0x085f7c20, A | M },
    { "stxrb w4, w0, [x1]", 0x08047c20, A | M },
    { "ldaxrh w0, [x1]", 0x485ffc20, A | M | Q },
    { "stlxrh w4, w0, [x1]", 0x4804fc20, A | M | L },
    { "ldxp x5, x6, [x1]", 0xc87f1825, A | M },
    { "stxp w4, x5, x6, [x1]", 0xc8241825, A | M },
    { "ldaxp x5, x6, [x1]", 0xc87f9825, A | M | Q },
    { "stlxp w4, x5, x6, [x1]", 0xc8249825, A | M | L },
    { "ldar x0, [x1]", 0xc8dffc20, A | Q },
    { "stlr x0, [x1]", 0xc89ffc20, A | L },
    { "ldarb w0, [x1]", 0x08dffc20, A | Q },
    { "stlrh w0, [x1]", 0x489ffc20, A | L },
    { "ldapr x0, [x1] (.byte 0x20, 0xc0, 0xbf, 0xf8)", 0xf8bfc020, A | Q },
    { "ldaprb w0, [x1]", 0x38bfc020, A | Q },
    { "ldapur x0, [x1, #8]", 0xd9408020, A | Q },
    { "stlur x0, [x1, #8]", 0xd9008020, A | L },
    { "ldapursw x0, [x1, #8]", 0x99808020, A | Q },
    { "cas x2, x3, [x1]", 0xc8a27c23, A | M | TT_SYNCINSN_CAS },
    { "casa x2, x3, [x1]", 0xc8e27c23, A | M | Q | TT_SYNCINSN_CAS },
    { "casl x2, x3, [x1]", 0xc8a2fc23, A | M | L | TT_SYNCINSN_CAS },
    { "casal x2, x3, [x1]", 0xc8e2fc23, A | M | Q | L | TT_SYNCINSN_CAS },
    { "casalb w2, w3, [x1]", 0x08e2fc23, A | M | Q | L | TT_SYNCINSN_CAS },
    { "casp x2, x3, x6, x7, [x1]", 0x48227c26, A | M },
    { "swp x3, x0, [x1]", 0xf8238020, A | M | X },
    { "swpal x3, x0, [x1]", 0xf8e38020, A | M | Q | L | X },
    { "swpa w3, w0, [x1]", 0xb8a38020, A | M | Q | X },
    { "ldadd x3, x0, [x1]", 0xf8230020, A | M | D },
    { "ldaddal x3, x0, [x1]", 0xf8e30020, A | M | Q | L | D },
    { "ldclrl w3, w0, [x1]", 0xb8631020, A | M | L },
    { "ldeora x3, x0, [x1]", 0xf8a32020, A | M | Q },
    { "ldset x3, x0, [x1]", 0xf8233020, A | M },
    { "ldsmaxal x3, x0, [x1]", 0xf8e34020, A | M | Q | L },
    { "ldumin x3, x0, [x1]", 0xf8237020, A | M },
    { "stadd x3, [x1]", 0xf823003f, A | M | D },
    { "staddl w3, [x1]", 0xb863003f, A | M | L | D },
    { "dmb ish", 0xd5033bbf, F | Q | L },
    { "dmb ishld", 0xd50339bf, F | Q },
    { "dmb ishst", 0xd5033abf, F | L },
    { "dmb sy", 0xd5033fbf, F | Q | L },
    { "dmb ld", 0xd5033dbf, F | Q },
    { "dmb st", 0xd5033ebf, F | L },
    { "dsb ish", 0xd5033b9f, F | Q | L },
    { "dsb sy", 0xd5033f9f, F | Q | L },
    { "ssbb (dsb #0)", 0xd503309f, 0 },
    { "isb", 0xd5033fdf, 0 },
    { "clrex", 0xd5033f5f, 0 },
    { "ldr x0, [x1]", 0xf9400020, 0 },
    { "str x0, [x1]", 0xf9000020, 0 },
    { "ldp x5, x6, [x1]", 0xa9401825, 0 },
    { "ldr x0, [x1, x2] (register offset, bits 11:10 = 10)", 0xf8626820, 0 },
    { "prfm pldl1keep, [x1]", 0xf9800020, 0 },
    { "svc #0", 0xd4000001, 0 },
};

static const struct word_case rv64[] = {
    { "lr.w a0,(a1)", 0x1005a52f, A | M },
    { "sc.w a3,a2,(a1)", 0x18c5a6af, A | M },
    { "lr.d.aq a0,(a1)", 0x1405b52f, A | M | Q },
    { "sc.d.rl a3,a2,(a1)", 0x1ac5b6af, A | M | L },
    { "lr.w.aq.rl a0,(a1)", 0x1605a52f, A | M | Q | L },
    { "sc.w.aq.rl a3,a2,(a1)", 0x1ec5a6af, A | M | Q | L },
    { "amoswap.w a0,a2,(a1)", 0x08c5a52f, A | M | X },
    { "amoswap.w.aq a0,a2,(a1)", 0x0cc5a52f, A | M | Q | X },
    { "amoswap.d.rl a0,a2,(a1)", 0x0ac5b52f, A | M | L | X },
    { "amoadd.w.aq.rl a0,a2,(a1)", 0x06c5a52f, A | M | Q | L | D },
    { "amoor.d a0,a2,(a1)", 0x40c5b52f, A | M },
    { "amoand.w.aq a0,a2,(a1)", 0x64c5a52f, A | M | Q },
    { "amoxor.d.rl a0,a2,(a1)", 0x22c5b52f, A | M | L },
    { "amomax.w a0,a2,(a1)", 0xa0c5a52f, A | M },
    { "amominu.d.aq.rl a0,a2,(a1)", 0xc6c5b52f, A | M | Q | L },
    { "amocas.w a0,a2,(a1)", 0x28c5a52f, A | M },
    { "fence iorw,iorw", 0x0ff0000f, F | Q | L },
    { "fence rw,rw", 0x0330000f, F | Q | L },
    { "fence r,rw", 0x0230000f, F | Q },
    { "fence rw,w", 0x0310000f, F | L },
    { "fence w,w", 0x0110000f, F | L },
    { "fence r,r", 0x0220000f, F | Q },
    { "fence.tso (shown as fence rw,rw)", 0x8330000f, F | Q | L },
    { "fence.i", 0x0000100f, 0 },
    { "pause (fence w,)", 0x0100000f, 0 },
    { "lw a0,0(a1) (32-bit encoding)", 0x0005a503, 0 },
    { "sw a0,0(a1)", 0x00a5a023, 0 },
    { "ecall", 0x00000073, 0 },
};

static void check(const char *arch, const char *text, unsigned got, unsigned want)
{
    ok(got == want, "%s: %s", arch, text);
    if (got != want)
        printf("#   got 0x%x, want 0x%x\n", got, want);
}

static void words(const char *arch, unsigned machine, const struct word_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b[4] = { (uint8_t)c[i].word, (uint8_t)(c[i].word >> 8), (uint8_t)(c[i].word >> 16),
                         (uint8_t)(c[i].word >> 24) };
        check(arch, c[i].text, tt_syncinsn_classify(machine, b, 4), c[i].want);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    printf("1..%zu\n", N(x86) + N(a64) + N(rv64) + 4);
    for (size_t i = 0; i < N(x86); i++)
        check("x86_64", x86[i].text, tt_syncinsn_classify(EM_X86_64, x86[i].bytes, x86[i].len), x86[i].want);
    words("aarch64", EM_AARCH64, a64, N(a64));
    words("riscv64", EM_RISCV, rv64, N(rv64));

    /* A compressed riscv instruction is plain even when the bytes after it
     * would form an AMO: 4188 is c.lw, then amoswap.w's upper half. */
    const uint8_t rvc[4] = { 0x88, 0x41, 0xc5, 0x08 };
    check("riscv64", "c.lw a0,0(a1) followed by other bytes", tt_syncinsn_classify(EM_RISCV, rvc, 4), 0);
    const uint8_t ldar[4] = { 0x20, 0xfc, 0xdf, 0xc8 };
    check("aarch64", "ldar cut to 3 bytes", tt_syncinsn_classify(EM_AARCH64, ldar, 3), 0);
    check("arm (32-bit)", "an unknown machine is plain", tt_syncinsn_classify(EM_ARM, ldar, 4), 0);
    check("x86_64", "no bytes", tt_syncinsn_classify(EM_X86_64, ldar, 0), 0);
    return n_failed != 0;
}
