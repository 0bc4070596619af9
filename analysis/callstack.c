/* Call stacks from return addresses in memory: see callstack.h. */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>

#include "callstack.h"
#include "room.h"
#include "tcgtrace/callinsn.h"

void callstacks_init(struct callstacks *cs, unsigned machine, struct symbols *syms)
{
    *cs = (struct callstacks){ .machine = machine, .syms = syms };
}

void callstacks_free(struct callstacks *cs)
{
    u64map_free(&cs->is_ret);
}

void callstack_free(struct callstack *st)
{
    free(st->v);
    *st = (struct callstack){ 0 };
}

/* Whether the instruction that ends at ret is a call: a riscv c.jalr
 * ends 2 bytes after it starts, the others 4. */
static bool after_call(struct symbols *syms, unsigned machine, uint64_t ret)
{
    uint8_t b[4];
    if (ret < 4 || symbols_code_bytes(syms, ret - 4, b, 4) != 4)
        return false;
    return tt_call_insn_len(machine, b, 4) == 4 || tt_call_insn_len(machine, b + 2, 2) == 2;
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
    /* The function that saved it (a leaf's caller while the thread is
     * outside it): on arm64 and riscv64 only, x86_64's call saves its own. */
    struct sym_code c;
    uint64_t lo = pc, fsize = 0;
    if (cs->machine != EM_X86_64 && symbols_function(cs->syms, pc, &c) && c.function && c.func_size > c.func_offset) {
        lo = pc - c.func_offset;
        fsize = c.func_size;
    }
    /* Frames at or below where this one is stored have ended. */
    while (st->n && st->v[st->n - 1].sp <= addr)
        st->n--;
    if (st->n == CALLSTACK_MAX)
        return 0;
    if (room(&st->v, &st->cap, st->n, sizeof *st->v) < 0)
        return -1;
    st->v[st->n++] = (struct callstack_frame){ addr, value, lo, fsize, 0 };
    return 0;
}

uint64_t callstack_site(const struct callstacks *cs, uint64_t ret)
{
    /* An address inside the call: x86's ends at ret - 1, arm64's bl is
     * ret - 4, and ret - 2 is inside a riscv jal or a c.jalr. */
    return ret - (cs->machine == EM_X86_64 ? 1 : cs->machine == EM_AARCH64 ? 4 : 2);
}

size_t callstack_calls(const struct callstacks *cs, const struct callstack *st, uint64_t pc, uint64_t *out,
                       size_t max)
{
    size_t n = 0;
    const struct callstack_frame *top = st->n ? &st->v[st->n - 1] : NULL;
    if (top && top->call && top->size && pc - top->lo >= top->size && max)
        out[n++] = top->call;
    for (size_t i = st->n; i-- > 0 && n < max;)
        out[n++] = callstack_site(cs, st->v[i].ret);
    return n;
}
