/* Decoding one record of a chunk (docs/format.md, "Records"), and the
 * definition tables that records refer to. Every length and value is
 * checked against the chunk's end: the input may be anything. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tcgtrace/error.h"

struct in {
    const uint8_t *p, *end;
    char *why;
    size_t whylen;
};

static int bad(struct in *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct in *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->why, in->whylen, fmt, ap);
    va_end(ap);
    return TT_E_CORRUPT;
}

bool tt_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    const uint8_t *p = *pp;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return false;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            *pp = p;
            return true;
        }
    }
    return false;
}

static inline bool varint(struct in *in, uint64_t *v)
{
    /* Most are one byte, nearly all the others two or three (an address's
     * stride): no call for them. */
    const uint8_t *p = in->p;
    if (p < in->end && p[0] < 0x80) {
        *v = p[0];
        in->p = p + 1;
        return true;
    }
    if (in->end - p >= 3 && (p[1] < 0x80 || p[2] < 0x80)) {
        uint64_t r = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;
        if (p[1] < 0x80) {
            in->p = p + 2;
        } else {
            r |= (uint64_t)p[2] << 14;
            in->p = p + 3;
        }
        *v = r;
        return true;
    }
    return tt_get_varint(&in->p, in->end, v);
}

static bool byte(struct in *in, uint8_t *v)
{
    if (in->p >= in->end)
        return false;
    *v = *in->p++;
    return true;
}

static bool bytes(struct in *in, const uint8_t **v, uint64_t n)
{
    if (n > (uint64_t)(in->end - in->p))
        return false;
    *v = in->p;
    in->p += n;
    return true;
}

/* A length-prefixed string, at most TT_STRING_MAX bytes, no NUL inside. */
static bool string(struct in *in, const uint8_t **s, uint64_t *n)
{
    return varint(in, n) && *n <= TT_STRING_MAX && bytes(in, s, *n) && !memchr(*s, 0, *n);
}

static bool grow(void *arrayp, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap)
        return true;
    uint32_t nc = *cap ? *cap * 2 : 256;
    void *a = realloc(*(void **)arrayp, (size_t)nc * elem);
    if (!a)
        return false;
    *(void **)arrayp = a;
    *cap = nc;
    return true;
}

void tt_defs_free(struct tt_defs *d)
{
    free(d->insns);
    free(d->regs);
    free(d->strings);
    tt_arena_free(&d->arena);
    memset(d, 0, sizeof *d);
}

static int nomem(struct in *in)
{
    snprintf(in->why, in->whylen, "out of memory");
    return TT_E_NOMEM;
}

static int def_insn(struct tt_dstate *st, struct tt_defs *defs, struct in *in, struct tt_record *r)
{
    uint64_t id, dpc, n;
    uint8_t len;
    const uint8_t *b, *s;
    if (!varint(in, &id) || !varint(in, &dpc) || !byte(in, &len) || !bytes(in, &b, len) ||
        !string(in, &s, &n))
        return bad(in, "instruction definition cut short or too long");
    if (len == 0)
        return bad(in, "instruction definition %llu has no bytes", (unsigned long long)id);
    st->last_def_pc += (uint64_t)tt_unzigzag(dpc);
    r->kind = TT_DEF_INSN;
    r->def_insn = (struct tt_insn_def){ .id = (uint32_t)id, .len = len, .pc = st->last_def_pc, .bytes = b };
    if (!defs) {
        r->def_insn.disas = "";
        return 1;
    }
    if (id != defs->ninsns)
        return bad(in, "instruction definition %llu where %u was due", (unsigned long long)id,
                   defs->ninsns);
    if (!grow(&defs->insns, &defs->insn_cap, defs->ninsns, sizeof *defs->insns))
        return nomem(in);
    uint8_t *bc = tt_arena_alloc(&defs->arena, len);
    const char *dis = tt_arena_strndup(&defs->arena, (const char *)s, n);
    if (!bc || !dis)
        return nomem(in);
    memcpy(bc, b, len);
    r->def_insn.bytes = bc;
    r->def_insn.disas = dis;
    defs->insns[defs->ninsns++] = r->def_insn;
    return 1;
}

static int def_reg(struct tt_defs *defs, struct in *in, struct tt_record *r)
{
    uint64_t id, width, n;
    const uint8_t *s;
    if (!varint(in, &id) || !varint(in, &width) || !string(in, &s, &n))
        return bad(in, "register definition cut short or too long");
    if (width == 0 || width > TT_REG_BYTES_MAX)
        return bad(in, "register definition %llu has width %llu", (unsigned long long)id,
                   (unsigned long long)width);
    r->kind = TT_DEF_REG;
    r->def_reg = (struct tt_reg_def){ .id = (uint32_t)id, .width = (uint32_t)width, .name = "" };
    if (!defs)
        return 1;
    if (id != defs->nregs)
        return bad(in, "register definition %llu where %u was due", (unsigned long long)id, defs->nregs);
    if (!grow(&defs->regs, &defs->reg_cap, defs->nregs, sizeof *defs->regs))
        return nomem(in);
    if (!(r->def_reg.name = tt_arena_strndup(&defs->arena, (const char *)s, n)))
        return nomem(in);
    defs->regs[defs->nregs++] = r->def_reg;
    return 1;
}

static int def_string(struct tt_defs *defs, struct in *in, struct tt_record *r)
{
    uint64_t id, n;
    const uint8_t *s;
    if (!varint(in, &id) || !string(in, &s, &n))
        return bad(in, "string definition cut short or too long");
    r->kind = TT_DEF_STRING;
    r->def_string.id = (uint32_t)id;
    r->def_string.str = "";
    if (!defs)
        return 1;
    if (id != defs->nstrings)
        return bad(in, "string definition %llu where %u was due", (unsigned long long)id,
                   defs->nstrings);
    if (!grow(&defs->strings, &defs->string_cap, defs->nstrings, sizeof *defs->strings))
        return nomem(in);
    if (!(r->def_string.str = tt_arena_strndup(&defs->arena, (const char *)s, n)))
        return nomem(in);
    defs->strings[defs->nstrings++] = r->def_string.str;
    return 1;
}

static int insn(struct tt_dstate *st, struct tt_defs *defs, struct in *in, uint8_t tag,
                struct tt_record *r)
{
    uint64_t z = tag;
    if (tag == TT_TAG_INSN_LONG && !varint(in, &z))
        return bad(in, "instruction record cut short");
    uint64_t id = st->next_insn + (uint64_t)tt_unzigzag(z);
    if (id > UINT32_MAX)
        return bad(in, "instruction id out of range");
    r->kind = TT_INSN;
    r->insn.def = NULL;
    st->next_insn = id + 1;
    if (defs) {
        if (id >= defs->ninsns)
            return bad(in, "instruction %llu used before its definition", (unsigned long long)id);
        r->insn.def = &defs->insns[id];
        st->last_pc = r->insn.def->pc;
    }
    return 1;
}

void tt_dstate_reset(struct tt_dstate *st)
{
    struct tt_mslot *m = st->mslot;
    if (m && st->mslot_used)
        memset(m, 0, TT_MSLOTS * sizeof *m);
    memset(st, 0, sizeof *st);
    st->mslot = m;
}

void tt_dstate_free(struct tt_dstate *st)
{
    free(st->mslot);
    st->mslot = NULL;
}

/* The n-byte little-endian residual of a value. */
static inline bool residual(struct in *in, unsigned n, uint64_t *z)
{
    const uint8_t *b;
    if (in->end - in->p >= 8) {
        /* One load of 8 bytes, masked, not a loop over n. */
        *z = n ? tt_le64(in->p) & (~0ull >> (64 - 8 * n)) : 0;
        in->p += n;
        return true;
    }
    if (!bytes(in, &b, n))
        return false;
    *z = 0;
    for (unsigned i = 0; i < n; i++)
        *z |= (uint64_t)b[i] << (8 * i);
    return true;
}

/* Mirrors tt_mem_encode_ and tt_put_mem_value (tcgtrace/writer.h). What
 * the lengths of the fields are depends on the tag and key bytes only, so
 * that a decoder without definitions (which does not know every pc)
 * still finds each record's end. */
static inline __attribute__((always_inline)) int mem(struct tt_dstate *st, struct tt_defs *defs, struct in *in,
                                                    uint8_t tag, struct tt_record *r)
{
    unsigned vcode = tag & TT_MEM_VCODE;
    uint8_t key;
    uint64_t d, pc;
    if (!st->mslot && !(st->mslot = calloc(TT_MSLOTS, sizeof *st->mslot)))
        return nomem(in);
    st->mslot_used = true;
    struct tt_mslot *prev = &st->mslot[st->prev_mslot];
    if (vcode > TT_MEM_V_WIDE)
        return bad(in, "unknown memory value code %u", vcode);
    if (tag & TT_MEM_KEY) {
        if (!byte(in, &key))
            return bad(in, "memory record cut short");
        if (key & ~(TT_MEM_STORE | 7u << 1 | TT_MEM_KEY_PC))
            return bad(in, "memory key 0x%02x has reserved bits set", key);
        pc = st->last_pc;
        if (key & TT_MEM_KEY_PC) {
            if (!varint(in, &d))
                return bad(in, "memory record cut short");
            pc += (uint64_t)tt_unzigzag(d);
            key &= (uint8_t)~TT_MEM_KEY_PC;
        }
        prev->next_pc = pc;
        prev->next_key = key;
    } else {
        pc = prev->next_pc;
        key = prev->next_key;
    }
    unsigned shift = TT_MEM_SHIFT(key);
    bool store = key & TT_MEM_STORE;
    if (shift > TT_MEM_SHIFT_MAX)
        return bad(in, "memory access of 2^%u bytes", shift);
    /* Without definitions the pc may be wrong, and the size with it. */
    if (defs && ((vcode == TT_MEM_V_WIDE) != (shift == TT_MEM_SHIFT_MAX) && vcode != TT_MEM_V_NONE))
        return bad(in, "a %u-byte access with value code %u", 1u << shift, vcode);
    if (defs && vcode && vcode < TT_MEM_V_NONE && vcode > 1u << shift)
        return bad(in, "a %u-byte value with a %u-byte residual", 1u << shift, vcode);
    st->last_pc = pc;
    unsigned j = tt_mslot(pc, store);
    struct tt_mslot *m = &st->mslot[j];
    st->prev_mslot = j;

    uint64_t vaddr = m->addr + m->addr_stride;
    if (tag & TT_MEM_ADDR) {
        if (!varint(in, &d))
            return bad(in, "memory record cut short");
        vaddr += (uint64_t)tt_unzigzag(d);
    }
    m->addr_stride = vaddr - m->addr;
    m->addr = vaddr;
    st->last_vaddr = vaddr;

    /* The record is written last: its byte-sized fields may alias the
     * decoding state, which the compiler would load again after each. */
    uint64_t value[2] = { 0, 0 };
    if (vcode == TT_MEM_V_WIDE) {
        const uint8_t *b;
        if (!bytes(in, &b, 16))
            return bad(in, "memory record cut short");
        value[0] = tt_le64(b);
        value[1] = tt_le64(b + 8);
    } else if (vcode != TT_MEM_V_NONE) {
        uint64_t z = 0;
        if (!residual(in, vcode, &z))
            return bad(in, "memory record cut short");
        unsigned cut = shift < TT_MEM_SHIFT_MAX ? 64 - (8u << shift) : 0;
        uint64_t by_stride = m->val + m->val_stride, by_link = st->last_val + m->val_link;
        uint64_t v = ((m->val_mode ? by_link : by_stride) + (uint64_t)tt_unzigzag(z)) & (~0ull >> cut);
        if (z && !((v - (m->val_mode ? by_stride : by_link)) << cut))
            m->val_mode ^= 1;
        m->val_stride = v - m->val;
        m->val_link = v - st->last_val;
        m->val = v;
        st->last_val = v;
        value[0] = v;
    }
    bool has_phys = false;
    uint64_t region = 0;
    const char *region_name = NULL;
    if (in->p < in->end && *in->p == TT_TAG_MEM_PHYS) {
        in->p++;
        if (!varint(in, &d) || !varint(in, &region))
            return bad(in, "physical address record cut short");
        st->last_phys += (uint64_t)tt_unzigzag(d);
        has_phys = true;
        if (defs) {
            if (region >= defs->nstrings)
                return bad(in, "string %llu used before its definition", (unsigned long long)region);
            region_name = defs->strings[region];
        }
    }
    r->kind = TT_MEM;
    r->mem.pc = pc;
    r->mem.vaddr = vaddr;
    r->mem.size = (uint8_t)(1u << shift);
    r->mem.store = store;
    r->mem.has_value = vcode != TT_MEM_V_NONE;
    r->mem.has_phys = has_phys;
    r->mem.value[0] = value[0];
    r->mem.value[1] = value[1];
    r->mem.phys = has_phys ? st->last_phys : 0;
    r->mem.region = (uint32_t)region;
    r->mem.region_name = region_name;
    return 1;
}

/* One access of a run, in->p right after its tag. Each call returns one
 * access and stays on the tag, but for the last, which a physical address
 * may complete. */
static inline __attribute__((always_inline)) int run_access(struct tt_dstate *st, struct tt_defs *defs, struct in *in, uint8_t tag,
                             struct tt_record *r)
{
    const uint8_t *after = in->p, *end = in->end;
    bool last = ++st->run_done == TT_MEM_RUN_COUNT(tag);
    in->p = last ? after : after - 1;
    in->end = last ? end : in->p;
    int rc = mem(st, defs, in, TT_TAG_MEM, r);
    in->end = end;
    if (last)
        st->run_done = 0;
    return rc;
}

int tt_decode_mems(struct tt_dstate *caller, struct tt_defs *defs, const uint8_t **pp, const uint8_t *end,
                   uint32_t stream, struct tt_record *recs, size_t max, size_t *n, char *why, size_t whylen)
{
    /* A copy the records cannot alias: the compiler keeps its fields in
     * registers across the byte-sized stores into the records. */
    struct tt_dstate local = *caller, *st = &local;
    struct in in = { *pp, end, why, whylen };
    size_t k = 0;
    int rc = 0;
    while (k < max && in.p < end) {
        const uint8_t *at = in.p;
        uint8_t tag = *in.p++;
        /* The records' memory was the reader's of the batch last: asked
         * for ahead, not at the first store into each line. */
        __builtin_prefetch((void *)((uintptr_t)&recs[k] + 16 * sizeof *recs), 1);
        if (tag >= TT_TAG_MEM && tag < TT_TAG_MEM_PHYS) {
            rc = mem(st, defs, &in, tag, &recs[k]);
        } else if (tag >= TT_TAG_MEM_RUN && tag <= TT_TAG_MEM_RUN_LAST) {
            /* As run_access, the whole run (or what fits) in one loop. */
            unsigned count = TT_MEM_RUN_COUNT(tag), done = st->run_done;
            while (done + 1 < count && k < max) {
                struct in none = { at, at, why, whylen };
                done++;
                if ((rc = mem(st, defs, &none, TT_TAG_MEM, &recs[k])) < 0)
                    break;
                recs[k++].stream = stream;
            }
            st->run_done = done;
            if (rc < 0 || k == max) {
                in.p = at;
                break;
            }
            rc = run_access(st, defs, &in, tag, &recs[k]);
        } else {
            in.p = at;
            break;
        }
        if (rc < 0) {
            in.p = at;
            break;
        }
        recs[k++].stream = stream;
    }
    *caller = local;
    *pp = in.p;
    *n = k;
    return rc < 0 ? rc : 0;
}

static int sync_rec(struct tt_dstate *st, struct in *in, struct tt_record *r)
{
    uint8_t k;
    uint64_t d, arg, dseq;
    if (!byte(in, &k))
        return bad(in, "sync record cut short");
    if (k & TT_SYNC_PC) {
        if (!varint(in, &d))
            return bad(in, "sync record cut short");
        st->last_pc += (uint64_t)tt_unzigzag(d);
    }
    k &= (uint8_t)~TT_SYNC_PC;
    if (k == 0 || k >= TT_SYNC_RMW_END)
        return bad(in, "unknown sync kind %u", k);
    if (!varint(in, &d) || !varint(in, &arg) || !varint(in, &dseq))
        return bad(in, "sync record cut short");
    if (dseq == 0)
        return bad(in, "sync sequence number not increasing");
    st->last_vaddr += (uint64_t)tt_unzigzag(d);
    st->last_gseq += dseq;
    r->kind = TT_SYNC;
    r->sync.kind = k;
    r->sync.pc = st->last_pc;
    r->sync.addr = st->last_vaddr;
    r->sync.arg = arg;
    r->sync.gseq = st->last_gseq;
    return 1;
}

/* A heap event's body, n bytes at b: kind, then the function, call site,
 * address, size and old address. Bytes after them are for later fields
 * (skipped), and a kind this version does not know makes the record one
 * to skip: extensions may grow. Touches no decoding state, which readers
 * that skip the record would not update. */
static int heap(struct in *in, bool meta, const uint8_t *b, uint64_t n, struct tt_record *r)
{
    struct in body = { b, b + n, in->why, in->whylen };
    uint8_t kind;
    if (meta)
        return bad(in, "heap event in the metadata stream");
    if (!byte(&body, &kind) || !varint(&body, &r->heap.func) || !varint(&body, &r->heap.call) ||
        !varint(&body, &r->heap.addr) || !varint(&body, &r->heap.size) || !varint(&body, &r->heap.old))
        return bad(in, "heap event cut short");
    if (kind == 0)
        return bad(in, "heap event of kind 0");
    if (kind >= TT_HEAP_KIND_COUNT)
        return 0;
    r->kind = TT_HEAP;
    r->heap.kind = kind;
    return 0;
}

/* A sync event an extension record carries, named what in messages: pc,
 * address and its sequence number from body on, all absolute, the number
 * above the stream's last sync event's. The decoding state stays as it
 * was (readers that skip the record leave it so): the next sync record's
 * number is a delta from the event before this one. Kind 0 (one this
 * version does not know) is skipped. */
static int ext_sync(const struct tt_dstate *st, struct in *in, struct in *body, bool meta, const char *what,
                    unsigned kind, struct tt_record *r)
{
    if (meta)
        return bad(in, "%s in the metadata stream", what);
    if (!varint(body, &r->sync.pc) || !varint(body, &r->sync.addr) || !varint(body, &r->sync.gseq))
        return bad(in, "%s cut short", what);
    if (r->sync.gseq <= st->last_gseq)
        return bad(in, "sync sequence number not increasing");
    if (!kind)
        return 0;
    r->kind = TT_SYNC;
    r->sync.kind = (uint8_t)kind;
    r->sync.arg = 0;
    return 0;
}

/* An atomic read-modify-write's end. */
static int rmw_end(const struct tt_dstate *st, struct in *in, bool meta, const uint8_t *b, uint64_t n,
                   struct tt_record *r)
{
    struct in body = { b, b + n, in->why, in->whylen };
    return ext_sync(st, in, &body, meta, "read-modify-write end", TT_SYNC_RMW_END, r);
}

/* A file event: u8 1 (release) or 2 (acquire) before the event's fields;
 * a kind this version does not know is skipped, as later additions may
 * add one. */
static int file_sync(const struct tt_dstate *st, struct in *in, bool meta, const uint8_t *b, uint64_t n,
                     struct tt_record *r)
{
    struct in body = { b, b + n, in->why, in->whylen };
    uint8_t k = 0;
    if (!meta && !byte(&body, &k))
        return bad(in, "file event cut short");
    unsigned kind = k == 1 ? TT_SYNC_FILE_RELEASE : k == 2 ? TT_SYNC_FILE_ACQUIRE : 0;
    return ext_sync(st, in, &body, meta, "file event", kind, r);
}

/* A call instruction ran: its pc relative to the stream's last one, which
 * stays as it was (readers that skip the record leave it so). */
static int call(const struct tt_dstate *st, struct in *in, bool meta, const uint8_t *b, uint64_t n,
                struct tt_record *r)
{
    struct in body = { b, b + n, in->why, in->whylen };
    uint64_t z;
    if (meta)
        return bad(in, "call in the metadata stream");
    if (!varint(&body, &z))
        return bad(in, "call cut short");
    r->kind = TT_CALL;
    r->call.pc = st->last_pc + (uint64_t)tt_unzigzag(z);
    return 0;
}

int tt_decode(struct tt_dstate *st, struct tt_defs *defs, bool meta, const uint8_t **pp,
              const uint8_t *end, struct tt_record *r, char *why, size_t whylen)
{
    struct in in = { *pp, end, why, whylen };
    uint8_t tag = *in.p++;
    int rc;
    bool is_def = tag == TT_TAG_DEF_INSN || tag == TT_TAG_DEF_REG || tag == TT_TAG_DEF_STRING;
    bool is_ext = tag >= TT_TAG_EXT_FIRST && tag <= TT_TAG_EXT_LAST;
    if (meta && !is_def && !is_ext)
        return bad(&in, "record tag 0x%02x in the metadata stream", tag);
    if (!meta && is_def)
        return bad(&in, "definition in a vCPU stream");
    uint64_t a;
    const uint8_t *s;
    uint8_t c;
    if (tag < TT_TAG_MEM) {
        rc = insn(st, defs, &in, tag, r);
    } else if (tag < TT_TAG_MEM_PHYS) {
        rc = mem(st, defs, &in, tag, r);
    } else if (tag >= TT_TAG_MEM_RUN && tag <= TT_TAG_MEM_RUN_LAST) {
        rc = run_access(st, defs, &in, tag, r);
    } else if (is_ext) {
        r->kind = 0;
        if (!varint(&in, &a) || !bytes(&in, &s, a))
            return bad(&in, "extension record cut short");
        rc = tag == TT_TAG_HEAP       ? heap(&in, meta, s, a, r)
             : tag == TT_TAG_RMW_END  ? rmw_end(st, &in, meta, s, a, r)
             : tag == TT_TAG_FILE_SYNC ? file_sync(st, &in, meta, s, a, r)
             : tag == TT_TAG_CALL      ? call(st, &in, meta, s, a, r)
                                       : 0;
    } else {
        rc = 1;
        switch (tag) {
        case TT_TAG_DEF_INSN: rc = def_insn(st, defs, &in, r); break;
        case TT_TAG_DEF_REG: rc = def_reg(defs, &in, r); break;
        case TT_TAG_DEF_STRING: rc = def_string(defs, &in, r); break;
        case TT_TAG_SYNC: rc = sync_rec(st, &in, r); break;
        case TT_TAG_REG:
            r->kind = TT_REG;
            r->reg.def = NULL;
            if (!varint(&in, &a) || !byte(&in, &c) || !bytes(&in, &s, c))
                return bad(&in, "register record cut short");
            r->reg.len = c;
            r->reg.value = s;
            if (defs) {
                if (a >= defs->nregs)
                    return bad(&in, "register %llu used before its definition", (unsigned long long)a);
                r->reg.def = &defs->regs[a];
            }
            break;
        case TT_TAG_THREAD_START:
            r->kind = TT_THREAD_START;
            r->thread.status = 0;
            if (!varint(&in, &r->thread.tid))
                return bad(&in, "thread record cut short");
            break;
        case TT_TAG_THREAD_EXIT:
            r->kind = TT_THREAD_EXIT;
            if (!varint(&in, &r->thread.tid) || !varint(&in, &a))
                return bad(&in, "thread record cut short");
            r->thread.status = tt_unzigzag(a);
            break;
        case TT_TAG_SYSCALL:
            r->kind = TT_SYSCALL;
            if (!varint(&in, &r->syscall.num))
                return bad(&in, "syscall record cut short");
            for (int i = 0; i < 6; i++)
                if (!varint(&in, &r->syscall.args[i]))
                    return bad(&in, "syscall record cut short");
            break;
        case TT_TAG_SYSRET:
            r->kind = TT_SYSRET;
            if (!varint(&in, &r->sysret.num) || !varint(&in, &a))
                return bad(&in, "syscall return record cut short");
            r->sysret.ret = tt_unzigzag(a);
            break;
        case TT_TAG_MAP:
            r->kind = TT_MAP;
            if (!byte(&in, &c) || !varint(&in, &r->map.start) || !varint(&in, &r->map.length) ||
                !varint(&in, &a))
                return bad(&in, "mapping record cut short");
            if (c == 0 || c >= TT_MAP_CAUSE_COUNT)
                return bad(&in, "unknown mapping cause %u", c);
            if (a & ~(uint64_t)(TT_PROT_READ | TT_PROT_WRITE | TT_PROT_EXEC | TT_PROT_UNMAPPED))
                return bad(&in, "unknown protection bits 0x%llx", (unsigned long long)a);
            r->map.cause = c;
            r->map.prot = (uint32_t)a;
            break;
        case TT_TAG_MODULE: {
            r->kind = TT_MODULE;
            if (!varint(&in, &r->module.bias) || !varint(&in, &r->module.start) ||
                !varint(&in, &r->module.end) || !string(&in, &s, &a))
                return bad(&in, "module record cut short or too long");
            /* The writer ends the path with a NUL so that it can be
             * returned in place, without a copy. */
            if (!byte(&in, &c) || c != 0)
                return bad(&in, "module path not NUL-terminated");
            r->module.path = (const char *)s;
            break;
        }
        case TT_TAG_LOST:
            r->kind = TT_LOST;
            if (!byte(&in, &c) || !varint(&in, &r->lost.count))
                return bad(&in, "records-lost record cut short");
            if (c == 0 || c >= TT_KIND_COUNT)
                return bad(&in, "records lost of unknown kind %u", c);
            r->lost.kind = c;
            break;
        case TT_TAG_MEM_PHYS:
            return bad(&in, "physical address without a memory access before it");
        default:
            return bad(&in, "unknown record tag 0x%02x", tag);
        }
    }
    if (rc >= 0)
        *pp = in.p;
    return rc;
}
