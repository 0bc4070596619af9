/* Which guest instructions are calls that link their return address in a
 * register (arm64, riscv64): the memtrace plugin records each one that
 * runs (a call record, docs/format.md), and the race analysis tells a
 * return address saved in memory from any other stored value by the call
 * before it. x86_64's call stores its return address itself. */
#ifndef TCGTRACE_CALLINSN_H
#define TCGTRACE_CALLINSN_H

#include <stddef.h>
#include <stdint.h>

/* The length of the instruction at b (n bytes there) when it is such a
 * call, machine an ELF e_machine: arm64 bl, blr, blraa, blrab, blraaz and
 * blrabz (4 bytes); riscv jal and jalr linking ra (4), c.jalr (2). 0 for
 * any other instruction, and for every instruction of another machine. */
unsigned tt_call_insn_len(unsigned machine, const uint8_t *b, size_t n);

#endif
