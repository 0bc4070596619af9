/* Classification of synchronising instructions from their encodings. The
 * encodings are those of the Intel SDM (vol. 2), the Arm ARM for A64 (load/
 * store exclusive, ordered, compare-and-swap, atomic memory operation and
 * barrier classes) and the RISC-V unprivileged ISA (A extension, Zacas,
 * FENCE). */
#include <elf.h>
#include <stdbool.h>

#include "tcgtrace/format.h"
#include "tcgtrace/syncinsn.h"

/* A locked read-modify-write is also a full barrier on x86. */
#define X86_LOCKED \
    (TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE | TT_SYNCINSN_FENCE)

/* Whether QEMU's translation of the lock-prefixed instruction whose opcode
 * starts at op (after prefixes and REX) uses an op-then-fetch atomic
 * helper: everything but sub, neg, xadd, cmpxchg, xchg and the bit tests,
 * which fetch the old value. */
static bool x86_load_value_lost(const uint8_t *op, size_t len)
{
    unsigned reg = len > 1 ? (op[1] >> 3) & 7 : 0;
    if (op[0] == 0x0f)
        return false; /* xadd, cmpxchg, cmpxchg8b/16b, bts, btr, btc */
    if (op[0] < 0x40) /* two-operand ALU forms: add or adc sbb and sub xor */
        return (op[0] >> 3) != 5;
    if (op[0] >= 0x80 && op[0] <= 0x83) /* group 1 with an immediate */
        return reg != 5;
    if (op[0] == 0xf6 || op[0] == 0xf7) /* not (2); neg (3) fetches */
        return reg == 2;
    if (op[0] == 0xfe || op[0] == 0xff) /* inc, dec */
        return true;
    return false;
}

static unsigned x86_64(const uint8_t *b, size_t len)
{
    bool lock = false, mandatory = false; /* 66, F2 or F3 */
    size_t i = 0;
    /* At most 14 prefix bytes fit in the 15-byte instruction limit. */
    for (; i < len && i < 14; i++) {
        uint8_t p = b[i];
        if (p == 0xf0)
            lock = true;
        else if (p == 0x66 || p == 0xf2 || p == 0xf3)
            mandatory = true;
        else if (p != 0x2e && p != 0x36 && p != 0x3e && p != 0x26 && p != 0x64 && p != 0x65 && p != 0x67)
            break;
    }
    if (i < len && (b[i] & 0xf0) == 0x40) /* REX */
        i++;
    if (i >= len)
        return 0;
    /* The CPU raises #UD for a lock prefix without a memory destination,
     * so a lock prefix that executed always locked memory. */
    bool xchg = (b[i] == 0x86 || b[i] == 0x87) && i + 1 < len && b[i + 1] >> 6 != 3;
    bool xadd = b[i] == 0x0f && i + 1 < len && (b[i + 1] == 0xc0 || b[i + 1] == 0xc1);
    bool cmpxchg = b[i] == 0x0f && i + 1 < len && (b[i + 1] == 0xb0 || b[i + 1] == 0xb1);
    if (lock)
        return X86_LOCKED | (x86_load_value_lost(b + i, len - i) ? TT_SYNCINSN_LOAD_VALUE_LOST : 0) |
               (xchg ? TT_SYNCINSN_STORE_EXACT : 0) | (xadd ? TT_SYNCINSN_STORE_ADD : 0) |
               (cmpxchg ? TT_SYNCINSN_CAS : 0);
    /* xchg with a memory operand locks implicitly. */
    if (xchg)
        return X86_LOCKED | TT_SYNCINSN_STORE_EXACT;
    /* 0F AE /5 /6 /7 with a register ModRM and no mandatory prefix: lfence,
     * mfence, sfence (with one, they are incssp, umonitor, umwait, ...). */
    if (b[i] == 0x0f && i + 2 < len && b[i + 1] == 0xae && b[i + 2] >> 6 == 3 && !mandatory) {
        switch ((b[i + 2] >> 3) & 7) {
        case 5: return TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE;
        case 6: return TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE;
        case 7: return TT_SYNCINSN_FENCE | TT_SYNCINSN_RELEASE;
        }
    }
    return 0;
}

static unsigned acq_rel(bool acquire, bool release)
{
    return (acquire ? TT_SYNCINSN_ACQUIRE : 0) | (release ? TT_SYNCINSN_RELEASE : 0);
}

static unsigned aarch64(uint32_t w)
{
    /* Load/store exclusive, ordered, compare-and-swap (pair): bits 29:24
     * 001000, then o2 (23), L (22), o1 (21), o0 (15). */
    if (((w >> 24) & 0x3f) == 0x08) {
        bool o2 = w >> 23 & 1, l = w >> 22 & 1, o1 = w >> 21 & 1, o0 = w >> 15 & 1;
        if (o2 && !o1) /* ldar, stlr, and the LORegion ldlar, stllr */
            return TT_SYNCINSN_ATOMIC | acq_rel(l, !l);
        if (o2 || (o1 && !(w >> 31))) /* cas*, casp*: L acquires, o0 releases */
            return TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | acq_rel(l, o0) | (o2 ? TT_SYNCINSN_CAS : 0);
        /* ldxr, ldaxr, stxr, stlxr and their pairs: o0 is the ordering. */
        return TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | acq_rel(l && o0, !l && o0);
    }
    /* Atomic memory operations (LSE): size 111 0 00 A R 1 Rs o3 opc 00. */
    if (((w >> 24) & 0x3f) == 0x38 && (w >> 21 & 1) && ((w >> 10) & 3) == 0) {
        bool a = w >> 23 & 1, r = w >> 22 & 1;
        unsigned o3 = w >> 15 & 1, opc = (w >> 12) & 7;
        if (!o3 || opc == 0) /* ld<op>, st<op> (ld<op> into xzr), swp */
            return TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | acq_rel(a, r) | (o3 ? TT_SYNCINSN_STORE_EXACT : 0) |
                   (!o3 && opc == 0 ? TT_SYNCINSN_STORE_ADD : 0);
        if (opc == 4) /* ldapr */
            return TT_SYNCINSN_ATOMIC | TT_SYNCINSN_ACQUIRE;
        return 0;
    }
    /* RCpc unscaled: size 011001 opc 0 imm9 00; opc 00 is stlur. */
    if (((w >> 24) & 0x3f) == 0x19 && !(w >> 21 & 1) && ((w >> 10) & 3) == 0)
        return TT_SYNCINSN_ATOMIC | (((w >> 22) & 3) ? TT_SYNCINSN_ACQUIRE : TT_SYNCINSN_RELEASE);
    /* Barriers: 1101 0101 0000 0011 0011 CRm op2 11111. */
    if ((w & 0xfffff01f) == 0xd503301f) {
        unsigned crm = (w >> 8) & 0xf, op2 = (w >> 5) & 7;
        if (op2 == 4 && (crm == 0 || crm == 4)) /* ssbb, pssbb: speculation only */
            return 0;
        if (op2 != 4 && op2 != 5) /* isb, sb, clrex */
            return 0;
        /* CRm's low bits: 01 orders loads (ld), 10 stores (st); the Arm ARM
         * makes every other value a full barrier. */
        switch (crm & 3) {
        case 1: return TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE;
        case 2: return TT_SYNCINSN_FENCE | TT_SYNCINSN_RELEASE;
        default: return TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE;
        }
    }
    return 0;
}

static unsigned riscv64(uint32_t w)
{
    unsigned opcode = w & 0x7f, funct3 = (w >> 12) & 7;
    if (opcode == 0x2f && funct3 <= 4) { /* AMO: b, h (Zabha), w, d, q (Zacas) */
        switch (w >> 27) {
        case 0x01: /* amoswap */
            return TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | acq_rel(w >> 26 & 1, w >> 25 & 1) |
                   TT_SYNCINSN_STORE_EXACT;
        case 0x00: /* amoadd */
            return TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | acq_rel(w >> 26 & 1, w >> 25 & 1) | TT_SYNCINSN_STORE_ADD;
        case 0x02: /* lr */
        case 0x03: /* sc */
        case 0x04: /* amoxor */
        case 0x0c: /* amoand */
        case 0x08: /* amoor */
        case 0x10: /* amomin */
        case 0x14: /* amomax */
        case 0x18: /* amominu */
        case 0x1c: /* amomaxu */
        case 0x05: /* amocas */
            return TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | acq_rel(w >> 26 & 1, w >> 25 & 1);
        }
        return 0;
    }
    if (opcode == 0x0f && funct3 == 0) { /* fence pred, succ (fence.tso too) */
        enum { R = 2, W = 1 };
        unsigned pred = (w >> 24) & 0xf, succ = (w >> 20) & 0xf;
        /* Acquire keeps earlier loads before later loads; release keeps
         * earlier stores before later stores. "fence w,0" is pause. */
        unsigned f = acq_rel((pred & R) && (succ & R), (pred & W) && (succ & W));
        return f ? TT_SYNCINSN_FENCE | f : 0;
    }
    return 0;
}

unsigned tt_syncinsn_classify(unsigned elf_machine, const uint8_t *bytes, size_t len)
{
    switch (elf_machine) {
    case EM_X86_64:
        return x86_64(bytes, len);
    case EM_AARCH64:
    case EM_RISCV:
        /* Both fetch instructions little-endian whatever the data
         * endianness; 16-bit riscv compressed instructions never sync. */
        if (len < 4 || (elf_machine == EM_RISCV && (bytes[0] & 3) != 3))
            return 0;
        uint32_t w = tt_le32(bytes);
        return elf_machine == EM_AARCH64 ? aarch64(w) : riscv64(w);
    }
    return 0;
}
