/* Instructions with known encodings and register values, for execlog's
 * checks of opcodes (instructions shorter and longer than 4 bytes) and of
 * register widths other than 64 bits. */
#include <stdio.h>

int main(void)
{
#if defined(__x86_64__)
    __asm__ volatile(
        "movabsq $0x1122334455667788, %%rax\n\t" /* 10 bytes */
        "movq %%rax, %%xmm0\n\t"
        "movabsq $0x99aabbccddeeff00, %%rax\n\t"
        "movq %%rax, %%xmm1\n\t"
        "punpcklqdq %%xmm1, %%xmm0\n\t"          /* xmm0: 128 bits */
        "fld1\n\t"                               /* st0: 80 bits */
        "fstp %%st(0)\n\t"
        "nop\n\t"                                /* 1 byte */
        ::: "rax", "xmm0", "xmm1", "st");
#elif defined(__aarch64__)
    __asm__ volatile(
        "movz x1, #0x7788\n\t"
        "movk x1, #0x5566, lsl #16\n\t"
        "movk x1, #0x3344, lsl #32\n\t"
        "movk x1, #0x1122, lsl #48\n\t"
        "movz x2, #0xff00\n\t"
        "movk x2, #0xddee, lsl #16\n\t"
        "movk x2, #0xbbcc, lsl #32\n\t"
        "movk x2, #0x99aa, lsl #48\n\t"
        "fmov d0, x1\n\t"
        "mov v0.d[1], x2\n\t"                    /* z0: the SVE width */
        "cmp x1, x1\n\t"                         /* cpsr: 32 bits */
        ::: "x1", "x2", "v0", "cc");
#elif defined(__riscv)
    __asm__ volatile(
        ".option push\n\t"
        ".option rvc\n\t"
        "c.li a0, 5\n\t"                         /* 2 bytes */
        "c.nop\n\t"
        ".option pop\n\t"
        "li a1, 0x1122334455667788\n\t"
        "fmv.d.x ft0, a1\n\t"
        ::: "a0", "a1", "ft0");
#endif
    puts("insns ok");
    return 0;
}
