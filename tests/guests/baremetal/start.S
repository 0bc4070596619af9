/* Entry point for qemu-system-riscv64 -M virt -bios none: QEMU starts
 * every hart at 0x80000000; only hart 0 runs, the others park. */
    .section .text.start
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    la sp, stack_top
    call main
park:
    wfi
    j park
