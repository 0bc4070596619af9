/* tt_call_insn_len on encodings taken from the Arm ARM (A64) and the
 * RISC-V unprivileged ISA: the calls that link their return address in a
 * register, and their neighbours that do not (branches, returns, jumps
 * linking another register). */
#include <elf.h>

#include "tap.h"
#include "tcgtrace/callinsn.h"

static unsigned len32(unsigned machine, uint32_t w)
{
    uint8_t b[4] = { (uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24) };
    return tt_call_insn_len(machine, b, 4);
}

int main(void)
{
    ok(len32(EM_AARCH64, 0x94000010) == 4, "arm64 bl");
    ok(len32(EM_AARCH64, 0xd63f0020) == 4, "arm64 blr x1");
    ok(len32(EM_AARCH64, 0xd63f083f) == 4, "arm64 blraaz x1");
    ok(len32(EM_AARCH64, 0x14000010) == 0, "arm64 b: no call");
    ok(len32(EM_AARCH64, 0xd61f0220) == 0, "arm64 br x17: no call");
    ok(len32(EM_AARCH64, 0xd65f03c0) == 0, "arm64 ret: no call");
    ok(len32(EM_RISCV, 0x010000ef) == 4, "riscv jal ra");
    ok(len32(EM_RISCV, 0x000780e7) == 4, "riscv jalr ra, 0(a5)");
    ok(len32(EM_RISCV, 0x0100006f) == 0, "riscv j (jal zero): no call");
    ok(len32(EM_RISCV, 0x00008067) == 0, "riscv ret (jalr zero, 0(ra)): no call");
    ok(len32(EM_RISCV, 0x000782e7) == 0, "riscv jalr t0, 0(a5): links another register");
    ok(len32(EM_RISCV, 0x00009782) == 2, "riscv c.jalr a5");
    ok(len32(EM_RISCV, 0x00008082) == 0, "riscv c.jr ra (ret): no call");
    ok(len32(EM_RISCV, 0x00009002) == 0, "riscv c.ebreak (c.jalr's encoding with rs1 zero): no call");
    uint8_t half[2] = { 0x82, 0x97 };
    ok(tt_call_insn_len(EM_RISCV, half, 2) == 2, "riscv c.jalr in its 2 bytes alone");
    ok(len32(EM_X86_64, 0x000000e8) == 0, "x86_64: never (its call stores the return address)");
    uint8_t three[3] = { 0x10, 0x00, 0x00 };
    ok(tt_call_insn_len(EM_AARCH64, three, 3) == 0, "arm64: fewer than 4 bytes, no call");
    return tap_done();
}
