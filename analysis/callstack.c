/* Call stacks from return addresses in memory: see callstack.h. */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>

#include "callstack.h"
#include "room.h"

void callstacks_init(struct callstacks *cs, unsigned machine, struct symbols *syms)
{
    *cs = (struct callstacks){ .machine = machine, .syms = syms };
}

void callstacks_free(struct callstacks *cs)
{
    u64map_free(&cs->is_ret);
    u64map_free(&cs->saver);
    u64map_free(&cs->epilogue);
}

void callstack_free(struct callstack *st)
{
    free(st->v);
    *st = (struct callstack){ 0 };
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

enum insn { INSN_OTHER, INSN_CALL, INSN_JUMP /* unconditional */, INSN_RETURN };

/* What the instruction at b (n bytes there) is, and its length in *len:
 * arm64 bl, blr and blraa/blrab/blraaz/blrabz calls, b, br and braa...
 * jumps, ret, retaa and retab returns; riscv jal or jalr linking ra and
 * c.jalr calls, jal or jalr linking nothing (j, jr), c.j and c.jr jumps,
 * jalr to ra and c.jr ra returns. Too few bytes: a jump. */
static enum insn insn_at(unsigned machine, const uint8_t *b, size_t n, unsigned *len)
{
    *len = 4;
    if (machine == EM_AARCH64) {
        if (n < 4)
            return INSN_JUMP;
        uint32_t w = le32(b);
        if ((w & 0xfc000000) == 0x94000000 || (w & 0xfffffc1f) == 0xd63f0000 || (w & 0xfefff800) == 0xd63f0800)
            return INSN_CALL;
        if ((w & 0xfffffc1f) == 0xd65f0000 || (w & 0xfffffbff) == 0xd65f0bff)
            return INSN_RETURN;
        if ((w & 0xfc000000) == 0x14000000 || (w & 0xfffffc1f) == 0xd61f0000 || (w & 0xfefff800) == 0xd61f0800)
            return INSN_JUMP;
        return INSN_OTHER;
    }
    if (n < 2)
        return INSN_JUMP;
    uint16_t h = (uint16_t)(b[0] | b[1] << 8);
    if ((h & 3) != 3) {
        *len = 2;
        unsigned rs1 = h >> 7 & 0x1f;
        if ((h & 0xf07f) == 0x9002 && rs1)
            return INSN_CALL;
        if ((h & 0xf07f) == 0x8002 && rs1)
            return rs1 == 1 ? INSN_RETURN : INSN_JUMP;
        return (h & 0xe003) == 0xa001 ? INSN_JUMP : INSN_OTHER;
    }
    if (n < 4)
        return INSN_JUMP;
    uint32_t w = le32(b);
    unsigned opcode = w & 0x7f, rd = w >> 7 & 0x1f;
    if (opcode != 0x6f && (opcode != 0x67 || (w >> 12 & 7)))
        return INSN_OTHER;
    if (rd == 1)
        return INSN_CALL;
    if (rd)
        return INSN_OTHER;
    return opcode == 0x67 && (w >> 15 & 0x1f) == 1 ? INSN_RETURN : INSN_JUMP;
}

/* Whether the instruction that ends at ret is a call. */
static bool after_call(struct symbols *syms, unsigned machine, uint64_t ret)
{
    uint8_t b[4];
    unsigned len;
    if (ret < 4 || symbols_code_bytes(syms, ret - 4, b, 4) != 4)
        return false;
    if (machine == EM_RISCV && insn_at(machine, b + 2, 2, &len) == INSN_CALL && len == 2)
        return true;
    return insn_at(machine, b, 4, &len) == INSN_CALL && len == 4;
}

/* Whether a store of value by the instruction at pc saves a return
 * address. */
static bool saves_return(struct callstacks *cs, uint64_t pc, uint64_t value, int *err)
{
    if (cs->machine == EM_X86_64)
        return value - pc >= 2 && value - pc <= 15; /* the call's own push */
    bool added;
    uint64_t *known = u64map_insert(&cs->is_ret, value, &added);
    if (!known) {
        *err = -1;
        return false;
    }
    if (added)
        *known = after_call(cs->syms, cs->machine, value) ? 1 : 2;
    return *known == 1;
}

/* The function holding pc, an instruction that saved a return address:
 * its offset there << 32 | its size, 0 when unknown, UINT64_MAX when memory
 * runs out. */
static uint64_t saver_function(struct callstacks *cs, uint64_t pc)
{
    bool added;
    uint64_t *known = u64map_insert(&cs->saver, pc, &added);
    if (!known)
        return UINT64_MAX;
    struct sym_code c;
    if (added && symbols_code(cs->syms, pc, &c) && c.function && c.func_size > c.func_offset &&
        c.func_size <= UINT32_MAX)
        *known = c.func_offset << 32 | c.func_size;
    return *known;
}

int callstack_store(struct callstacks *cs, struct callstack *st, uint64_t pc, uint64_t addr, uint32_t size,
                    uint64_t value, uint64_t value_hi)
{
    int err = 0;
    if (size == 16) {
        addr += 8;
        value = value_hi;
    } else if (size != 8) {
        return 0;
    }
    if ((st->hi && (addr < st->lo || addr >= st->hi)) || !saves_return(cs, pc, value, &err))
        return err;
    uint64_t fn = 0;
    if (cs->machine != EM_X86_64 && (fn = saver_function(cs, pc)) == UINT64_MAX)
        return -1;
    /* Frames at or below where this one is stored have ended. */
    while (st->n && st->v[st->n - 1].sp <= addr)
        st->n--;
    if (st->n == CALLSTACK_MAX)
        return 0;
    if (room(&st->v, &st->cap, st->n, sizeof *st->v) < 0)
        return -1;
    st->v[st->n++] = (struct callstack_frame){ addr, value, pc - (fn >> 32), (uint32_t)fn, pc };
    return 0;
}

uint64_t callstack_site(const struct callstacks *cs, uint64_t ret)
{
    /* An address inside the call: x86's ends at ret - 1, arm64's bl is
     * ret - 4, and ret - 2 is inside a riscv jal or a c.jalr. */
    return ret - (cs->machine == EM_X86_64 ? 1 : cs->machine == EM_AARCH64 ? 4 : 2);
}

/* Instructions looked at after a load of a return address for the
 * return that ends its function. */
#define EPILOGUE_REACH 8

/* Whether the function returns soon after the instruction at pc (a load of
 * its return address): no call or other jump comes before the return. */
static bool returns_after(struct callstacks *cs, uint64_t pc)
{
    bool added;
    uint64_t *known = u64map_insert(&cs->epilogue, pc, &added);
    if (known && !added)
        return *known == 1;
    uint8_t b[EPILOGUE_REACH * 4];
    size_t n = symbols_code_bytes(cs->syms, pc, b, sizeof b);
    unsigned len;
    enum insn k = INSN_OTHER;
    for (size_t i = 0, j = 0; i < n && j <= EPILOGUE_REACH && k == INSN_OTHER; i += len, j++)
        k = insn_at(cs->machine, b + i, n - i, &len);
    if (known)
        *known = k == INSN_RETURN ? 1 : 2;
    return k == INSN_RETURN;
}

/* The call instruction that return address ret follows. */
static uint64_t call_before(struct callstacks *cs, uint64_t ret)
{
    uint8_t b[4];
    unsigned len;
    if (cs->machine == EM_RISCV && symbols_code_bytes(cs->syms, ret - 4, b, 4) == 4 &&
        insn_at(cs->machine, b + 2, 2, &len) == INSN_CALL && len == 2)
        return ret - 2;
    return ret - 4;
}

void callstack_returned(struct callstacks *cs, struct callstack *st, uint64_t pc, uint64_t ret)
{
    /* A function that loads its return address and returns gives back to
     * its caller, which goes on after the call: a leaf it calls next is
     * called after that, even with no access between. One that jumps
     * instead (a tail call, the dynamic linker's resolver of a first call
     * through the PLT) hands its caller's call on to what it jumps to. */
    struct callstack_frame *f = &st->v[st->n - 1];
    if (ret - f->lo < f->size)
        f->last = returns_after(cs, pc) ? ret : call_before(cs, ret);
}

/* How far after the caller's last access its call to a leaf is looked
 * for, in bytes of code. */
#define LEAF_REACH 256

/* The call site of a leaf function called by the function that saved f:
 * the first call after its last access, unless a jump comes first; 0 for
 * none. */
static uint64_t leaf_call(const struct callstacks *cs, const struct callstack_frame *f)
{
    uint8_t b[LEAF_REACH];
    uint64_t end = f->lo + f->size;
    size_t n = end - f->last < sizeof b ? end - f->last : sizeof b;
    n = symbols_code_bytes(cs->syms, f->last, b, n);
    for (size_t i = 0; i < n;) {
        unsigned len;
        enum insn k = insn_at(cs->machine, b + i, n - i, &len);
        if (k == INSN_CALL)
            return f->last + i;
        if (k != INSN_OTHER)
            return 0;
        i += len;
    }
    return 0;
}

size_t callstack_calls(const struct callstacks *cs, const struct callstack *st, uint64_t pc, uint64_t *out,
                       size_t max)
{
    size_t n = 0;
    const struct callstack_frame *top = st->n ? &st->v[st->n - 1] : NULL;
    if (top && top->size && pc - top->lo >= top->size && max && (out[0] = leaf_call(cs, top)))
        n++;
    for (size_t i = st->n; i-- > 0 && n < max;)
        out[n++] = callstack_site(cs, st->v[i].ret);
    return n;
}
