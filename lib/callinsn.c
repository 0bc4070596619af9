/* Call instructions from their encodings: the Arm ARM for A64 (BL, BLR,
 * BLRAA and kin) and the RISC-V unprivileged ISA (JAL, JALR, C.JALR). */
#include <elf.h>
#include <stdbool.h>

#include "tcgtrace/callinsn.h"
#include "tcgtrace/format.h"

unsigned tt_call_insn_len(unsigned machine, const uint8_t *b, size_t n)
{
    if (machine == EM_AARCH64) {
        if (n < 4)
            return 0;
        uint32_t w = tt_le32(b);
        bool call = (w & 0xfc000000) == 0x94000000 || (w & 0xfffffc1f) == 0xd63f0000 ||
                    (w & 0xfefff800) == 0xd63f0800;
        return call ? 4 : 0;
    }
    if (machine != EM_RISCV || n < 2)
        return 0;
    uint16_t h = tt_le16(b);
    if ((h & 3) != 3) /* compressed: c.jalr, rs1 not zero */
        return (h & 0xf07f) == 0x9002 && (h >> 7 & 0x1f) ? 2 : 0;
    if (n < 4)
        return 0;
    uint32_t w = tt_le32(b);
    unsigned opcode = w & 0x7f, rd = w >> 7 & 0x1f;
    return rd == 1 && (opcode == 0x6f || (opcode == 0x67 && !(w >> 12 & 7))) ? 4 : 0;
}
