/* Random records for the trace-format tests: each record is written through
 * the writer's encoders and kept as the reader should return it, so a test
 * compares the two. Deterministic from a seed. */
#ifndef TEST_FORMAT_GEN_H
#define TEST_FORMAT_GEN_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcgtrace/reader.h"
#include "tcgtrace/writer.h"
#include "tap.h"


static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
    return rng_next(s) % n;
}

/* Values that exercise every varint length and both signs of deltas. */
static inline uint64_t rng_value(uint64_t *s, uint64_t near)
{
    switch (rng_below(s, 4)) {
    case 0: return near + rng_below(s, 64);
    case 1: return near - rng_below(s, 1 << 20);
    case 2: return rng_next(s) >> rng_below(s, 64);
    default: return rng_next(s);
    }
}

/* Definitions shared by every stream of one trace. */
struct gen_defs {
    pthread_mutex_t lock;
    uint32_t ninsns, nregs;
    uint64_t pcs[4096];
    uint8_t widths[64];
};

static const char *const gen_regions[] = { "RAM", "virtio-mmio", "uart", "pci-io", "rom" };

/* A loop's memory accesses, per stream (of this thread). */
struct gen_access {
    uint64_t pc, addr, stride, val, vstride;
    unsigned shift;
    bool store;
    bool link; /* the value is the previous access's plus vstride */
};
struct gen_loop {
    struct gen_access a[6];
    unsigned n, i;
    uint64_t last_val;
};
static _Thread_local struct gen_loop gen_loops[8];

static inline void gen_loop_new(struct gen_loop *l, uint64_t *rng)
{
    l->n = 1 + (unsigned)rng_below(rng, 6);
    l->i = 0;
    uint64_t pc = rng_value(rng, 0x400000);
    for (unsigned k = 0; k < l->n; k++) {
        struct gen_access *a = &l->a[k];
        /* A read-modify-write now and then: a load and a store at one pc. */
        pc += k && rng_below(rng, 4) == 0 ? 0 : 1 + rng_below(rng, 8);
        a->pc = pc;
        a->store = rng_below(rng, 2);
        a->shift = rng_below(rng, 8) ? (unsigned)rng_below(rng, 4) : 4;
        a->addr = rng_value(rng, 0x7f0000000000);
        a->stride = rng_below(rng, 4) ? (uint64_t)1 << rng_below(rng, 13) : (uint64_t)-8;
        a->val = rng_value(rng, 0);
        a->vstride = rng_below(rng, 3) ? rng_below(rng, 5) : rng_next(rng);
        a->link = k && rng_below(rng, 3) == 0;
    }
}

/* The expected records of one stream. */
struct expect {
    struct tt_record *recs;
    size_t n, cap;
};

static inline void expect_add(struct expect *e, const struct tt_record *r)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 1024;
        e->recs = realloc(e->recs, e->cap * sizeof *e->recs);
    }
    e->recs[e->n++] = *r;
}

static inline void expect_free(struct expect *e)
{
    for (size_t i = 0; i < e->n; i++) {
        if (e->recs[i].kind == TT_REG)
            free((void *)e->recs[i].reg.value);
        if (e->recs[i].kind == TT_MODULE)
            free((void *)e->recs[i].module.path);
    }
    free(e->recs);
    memset(e, 0, sizeof *e);
}

static inline uint32_t gen_def_insn(struct tt_writer *w, struct gen_defs *d, uint64_t *rng)
{
    uint8_t bytes[16];
    char disas[64];
    size_t len = 1 + rng_below(rng, 15);
    for (size_t i = 0; i < len; i++)
        bytes[i] = (uint8_t)rng_next(rng);
    uint64_t pc = rng_value(rng, 0x400000);
    pthread_mutex_lock(&d->lock);
    snprintf(disas, sizeof disas, "op%u r%u, [0x%llx]", (unsigned)rng_below(rng, 100),
             (unsigned)rng_below(rng, 32), (unsigned long long)pc);
    uint32_t id = tt_def_insn(w, pc, bytes, len, disas);
    if (id < 4096)
        d->pcs[id] = pc;
    d->ninsns = id + 1;
    pthread_mutex_unlock(&d->lock);
    return id;
}

/* One random record appended to s and to e. */
static inline void gen_record(struct tt_writer *w, struct tt_stream *s, struct gen_defs *d, uint64_t *rng,
                       struct expect *e)
{
    struct tt_record r;
    memset(&r, 0, sizeof r);
    r.stream = s->id;
    static _Thread_local uint64_t last_addr = 0x7f0000000000;
    unsigned pick = (unsigned)rng_below(rng, 100);
    pthread_mutex_lock(&d->lock);
    bool none = d->ninsns == 0;
    pthread_mutex_unlock(&d->lock);
    if (pick < 2 || none)
        gen_def_insn(w, d, rng);
    if (pick < 35) {
        pthread_mutex_lock(&d->lock);
        uint32_t n = d->ninsns < 4096 ? d->ninsns : 4096;
        uint32_t id = (uint32_t)rng_below(rng, n);
        uint64_t pc = d->pcs[id];
        pthread_mutex_unlock(&d->lock);
        /* The expected record holds the id in place of the definition
         * pointer, and the pc beside it (record_equal knows). */
        r.kind = TT_INSN;
        r.insn.def = (const void *)(uintptr_t)id;
        r.def_insn.pc = pc;
        tt_put_insn(s, id, pc);
    } else if (pick < 75) {
        r.kind = TT_MEM;
        unsigned shift = (unsigned)rng_below(rng, 5);
        r.mem.size = (uint8_t)(1u << shift);
        r.mem.store = rng_below(rng, 2);
        r.mem.pc = rng_below(rng, 3) ? s->last_pc : rng_value(rng, 0x400000);
        r.mem.vaddr = rng_value(rng, last_addr);
        last_addr = r.mem.vaddr;
        r.mem.has_value = rng_below(rng, 2);
        uint64_t lo = rng_value(rng, 1000), hi = rng_next(rng);
        if (pick < 60) {
            /* A loop body: the encoder's predictors hit most of the time
             * (runs of predicted accesses), and miss now and then. */
            struct gen_loop *l = &gen_loops[s->id % 8];
            if (!l->n || rng_below(rng, 5000) == 0)
                gen_loop_new(l, rng);
            struct gen_access *a = &l->a[l->i];
            l->i = rng_below(rng, 20) ? (l->i + 1) % l->n : (unsigned)rng_below(rng, l->n);
            a->addr += rng_below(rng, 30) ? a->stride : rng_value(rng, a->addr);
            a->val = rng_below(rng, 10) == 0 ? rng_value(rng, a->val)
                     : a->link            ? l->last_val + a->vstride
                                          : a->val + a->vstride;
            l->last_val = a->val;
            shift = a->shift;
            r.mem.size = (uint8_t)(1u << shift);
            r.mem.store = a->store;
            r.mem.pc = a->pc;
            r.mem.vaddr = a->addr;
            r.mem.has_value = rng_below(rng, 50) != 0;
            lo = a->val;
        }
        if (r.mem.has_value) {
            if (shift < 4) {
                r.mem.value[0] = shift == 3 ? lo : lo & ((1ull << (8u << shift)) - 1);
                tt_put_mem_value(s, r.mem.pc, r.mem.vaddr, shift, r.mem.store, lo, 0);
            } else {
                r.mem.value[0] = lo;
                r.mem.value[1] = hi;
                tt_put_mem_value(s, r.mem.pc, r.mem.vaddr, shift, r.mem.store, lo, hi);
            }
        } else {
            tt_put_mem(s, r.mem.pc, r.mem.vaddr, shift, r.mem.store);
        }
        if (rng_below(rng, pick < 60 ? 40 : 4) == 0) {
            const char *name = gen_regions[rng_below(rng, 5)];
            r.mem.has_phys = true;
            r.mem.phys = rng_value(rng, 0x80000000);
            r.mem.region_name = name;
            tt_put_mem_phys(s, r.mem.phys, tt_stream_string(s, name));
        }
    } else if (pick < 82) {
        pthread_mutex_lock(&d->lock);
        if (d->nregs == 0 || (d->nregs < 64 && rng_below(rng, 8) == 0)) {
            char name[16];
            uint8_t width = (uint8_t)(1u << rng_below(rng, 7));
            snprintf(name, sizeof name, "r%u", d->nregs);
            uint32_t id = tt_def_reg(w, name, width);
            d->widths[id] = width;
            d->nregs = id + 1;
        }
        uint32_t id = (uint32_t)rng_below(rng, d->nregs);
        uint8_t width = d->widths[id];
        pthread_mutex_unlock(&d->lock);
        uint8_t *v = malloc(width);
        for (unsigned i = 0; i < width; i++)
            v[i] = (uint8_t)rng_next(rng);
        r.kind = TT_REG;
        r.reg.def = (const void *)(uintptr_t)id;
        r.reg.len = width;
        r.reg.value = v;
        tt_put_reg(s, id, v, width);
    } else if (pick < 84) {
        r.kind = rng_below(rng, 2) ? TT_THREAD_START : TT_THREAD_EXIT;
        r.thread.tid = rng_value(rng, 1000);
        if (r.kind == TT_THREAD_START) {
            tt_put_thread_start(s, r.thread.tid);
        } else {
            r.thread.status = (int64_t)rng_value(rng, 0);
            tt_put_thread_exit(s, r.thread.tid, r.thread.status);
        }
    } else if (pick < 88) {
        r.kind = TT_SYSCALL;
        r.syscall.num = rng_below(rng, 500);
        for (int i = 0; i < 6; i++)
            r.syscall.args[i] = rng_value(rng, 0);
        tt_put_syscall(s, r.syscall.num, r.syscall.args);
    } else if (pick < 90) {
        r.kind = TT_SYSRET;
        r.sysret.num = rng_below(rng, 500);
        r.sysret.ret = (int64_t)rng_value(rng, 0);
        tt_put_sysret(s, r.sysret.num, r.sysret.ret);
    } else if (pick < 92) {
        r.kind = TT_MAP;
        r.map.start = rng_value(rng, last_addr);
        r.map.length = rng_value(rng, 4096);
        r.map.prot = rng_below(rng, 8) ? (uint32_t)rng_below(rng, 8) : TT_PROT_UNMAPPED;
        r.map.cause = (uint8_t)(1 + rng_below(rng, TT_MAP_CAUSE_COUNT - 1));
        tt_put_map(s, r.map.start, r.map.length, r.map.prot, r.map.cause);
    } else if (pick < 93) {
        r.kind = TT_MODULE;
        size_t n = 1 + rng_below(rng, rng_below(rng, 8) ? 60 : TT_STRING_MAX);
        char *path = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            path[i] = (char)('a' + rng_below(rng, 26));
        path[0] = '/';
        path[n] = '\0';
        r.module.path = path;
        r.module.bias = rng_value(rng, 0x555555554000);
        r.module.start = rng_value(rng, 0x555555554000);
        r.module.end = r.module.start + rng_below(rng, 1 << 24);
        tt_put_module(s, path, r.module.bias, r.module.start, r.module.end);
    } else if (pick < 98) {
        r.kind = TT_SYNC;
        r.sync.kind = (uint8_t)(1 + rng_below(rng, TT_SYNC_RMW_END - 1));
        r.sync.pc = rng_below(rng, 2) ? s->last_pc : rng_value(rng, 0x400000);
        r.sync.addr = rng_value(rng, last_addr);
        r.sync.arg = rng_value(rng, 0);
        r.sync.gseq = tt_put_sync(s, r.sync.kind, r.sync.pc, r.sync.addr, r.sync.arg);
        if (r.sync.kind == TT_SYNC_ATOMIC_RMW && rng_below(rng, 2)) {
            /* Its end: an extension record, which changes no delta. */
            expect_add(e, &r);
            r.sync.kind = TT_SYNC_RMW_END;
            r.sync.arg = 0;
            r.sync.gseq = tt_writer_next_gseq(w);
            tt_put_rmw_end(s, r.sync.pc, r.sync.addr, r.sync.gseq);
        }
    } else {
        r.kind = TT_LOST;
        r.lost.kind = (uint8_t)(1 + rng_below(rng, TT_KIND_COUNT - 1));
        r.lost.count = rng_value(rng, 0);
        tt_put_lost(s, r.lost.kind, r.lost.count);
    }
    expect_add(e, &r);
}

/* Whether got (from the reader) is the expected record want. */
static inline int record_equal(const struct tt_record *got, const struct tt_record *want, char *why, size_t n)
{
#define DIFF(cond, ...)                          \
    do {                                         \
        if (cond) {                              \
            snprintf(why, n, __VA_ARGS__);       \
            return 0;                            \
        }                                        \
    } while (0)
    DIFF(got->kind != want->kind, "kind %u, want %u", got->kind, want->kind);
    DIFF(got->stream != want->stream, "stream %u, want %u", got->stream, want->stream);
    switch (want->kind) {
    case TT_INSN:
        DIFF(!got->insn.def || got->insn.def->id != (uint32_t)(uintptr_t)want->insn.def ||
                 got->insn.def->pc != want->def_insn.pc,
             "insn id/pc");
        break;
    case TT_MEM:
        DIFF(got->mem.pc != want->mem.pc, "mem pc %llx want %llx", (unsigned long long)got->mem.pc,
             (unsigned long long)want->mem.pc);
        DIFF(got->mem.vaddr != want->mem.vaddr || got->mem.size != want->mem.size ||
                 got->mem.store != want->mem.store || got->mem.has_value != want->mem.has_value,
             "mem fields");
        DIFF(want->mem.has_value &&
                 (got->mem.value[0] != want->mem.value[0] || got->mem.value[1] != want->mem.value[1]),
             "mem value %llx want %llx", (unsigned long long)got->mem.value[0],
             (unsigned long long)want->mem.value[0]);
        DIFF(got->mem.has_phys != want->mem.has_phys, "mem has_phys");
        DIFF(want->mem.has_phys && (got->mem.phys != want->mem.phys ||
                                    strcmp(got->mem.region_name, want->mem.region_name)),
             "mem phys");
        break;
    case TT_REG:
        DIFF(!got->reg.def || got->reg.def->id != (uint32_t)(uintptr_t)want->reg.def ||
                 got->reg.len != want->reg.len || memcmp(got->reg.value, want->reg.value, want->reg.len),
             "reg");
        break;
    case TT_THREAD_START:
    case TT_THREAD_EXIT:
        DIFF(got->thread.tid != want->thread.tid || got->thread.status != want->thread.status, "thread");
        break;
    case TT_SYSCALL:
        DIFF(memcmp(&got->syscall, &want->syscall, sizeof got->syscall), "syscall");
        break;
    case TT_SYSRET:
        DIFF(got->sysret.num != want->sysret.num || got->sysret.ret != want->sysret.ret, "sysret");
        break;
    case TT_MAP:
        DIFF(got->map.start != want->map.start || got->map.length != want->map.length ||
                 got->map.prot != want->map.prot || got->map.cause != want->map.cause,
             "map");
        break;
    case TT_MODULE:
        DIFF(got->module.bias != want->module.bias || got->module.start != want->module.start ||
                 got->module.end != want->module.end || strcmp(got->module.path, want->module.path),
             "module");
        break;
    case TT_SYNC:
        DIFF(got->sync.kind != want->sync.kind || got->sync.pc != want->sync.pc ||
                 got->sync.addr != want->sync.addr || got->sync.arg != want->sync.arg ||
                 got->sync.gseq != want->sync.gseq,
             "sync");
        break;
    case TT_LOST:
        DIFF(got->lost.kind != want->lost.kind || got->lost.count != want->lost.count, "lost");
        break;
    }
#undef DIFF
    return 1;
}

/* Reads every record of r, opened with flags, and compares each stream's
 * records with want[stream] (nstreams of them, at most 64) by equal; in
 * merged order the sync events must also come in increasing number. 1, or
 * 0 with why set. */
static inline int expect_read(struct tt_reader *r, unsigned flags, const struct expect *want, unsigned nstreams,
                              int (*equal)(const struct tt_record *, const struct tt_record *, char *, size_t),
                              char *why, size_t whylen)
{
    size_t pos[64] = { 0 };
    struct tt_error err;
    struct tt_record rec;
    uint64_t last_gseq = 0;
    int rc;
    if (nstreams > 64) {
        snprintf(why, whylen, "%u streams expected, at most 64", nstreams);
        return 0;
    }
    while ((rc = tt_reader_next(r, &rec, &err)) > 0) {
        char d[200];
        if (rec.stream >= nstreams || pos[rec.stream] >= want[rec.stream].n) {
            snprintf(why, whylen, "unexpected record of stream %u", rec.stream);
            return 0;
        }
        if (!equal(&rec, &want[rec.stream].recs[pos[rec.stream]], d, sizeof d)) {
            snprintf(why, whylen, "stream %u record %zu: %s", rec.stream, pos[rec.stream], d);
            return 0;
        }
        pos[rec.stream]++;
        if ((flags & TT_READ_MERGED) && rec.kind == TT_SYNC) {
            if (rec.sync.gseq <= last_gseq) {
                snprintf(why, whylen, "merged: sync %llu after %llu", (unsigned long long)rec.sync.gseq,
                         (unsigned long long)last_gseq);
                return 0;
            }
            last_gseq = rec.sync.gseq;
        }
    }
    if (rc < 0) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    for (unsigned i = 0; i < nstreams; i++)
        if (pos[i] != want[i].n) {
            snprintf(why, whylen, "stream %u: %zu records, want %zu", i, pos[i], want[i].n);
            return 0;
        }
    return 1;
}

/* Whether the trace at path (read with flags) holds, in streams 0 and 1,
 * exactly the records of want, compared by equal; else why not. */
static inline int expect_same_records(const char *path, unsigned flags, const struct expect want[2],
                                      int (*equal)(const struct tt_record *, const struct tt_record *, char *,
                                                   size_t),
                                      char *why, size_t whylen)
{
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, flags, &err);
    if (!r) {
        snprintf(why, whylen, "%s", err.msg);
        return 0;
    }
    int pass = expect_read(r, flags, want, 2, equal, why, whylen);
    tt_reader_close(r);
    return pass;
}

/* Whether files a and b hold the same bytes (golden files). */
static inline int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        same = ca == cb;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

#endif
