/* Trace statistics: see stats.h. One pass counts everything by thread,
 * code address and page; naming (stats_symbolise) groups code addresses
 * into functions and, when pages of modules were touched, reads the memory
 * accesses a second time to split those pages into data symbols. */
#include <stdlib.h>
#include <string.h>

#include "readahead.h"
#include "room.h"
#include "sorted.h"
#include "stats.h"

/* Linux returns -errno from a failed system call, never below -4095. */
#define MAX_ERRNO 4095

struct stats *stats_new(const struct tt_header *h)
{
    struct stats *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->page_size = h && h->page_size && !(h->page_size & (h->page_size - 1)) ? h->page_size : 4096;
    return st;
}

void stats_free(struct stats *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nthreads; i++)
        free(st->threads[i].tids);
    free(st->threads);
    free(st->syscall);
    for (size_t i = 0; i < st->nmodules; i++)
        free(st->modules[i].path);
    free(st->modules);
    free(st->code);
    u64map_free(&st->code_index);
    free(st->pages);
    u64map_free(&st->page_index);
    free(st->funcs);
    free(st->regions);
    free(st->insn_code);
    mapset_free(&st->maps);
    free(st);
}

static struct stats_thread *thread_of(struct stats *st, uint32_t vcpu)
{
    /* Records come a chunk of one stream at a time. */
    if (st->last_thread < st->nthreads && st->threads[st->last_thread].vcpu == vcpu)
        return &st->threads[st->last_thread];
    size_t lo = SORTED_FIRST(st->threads, st->nthreads, struct stats_thread, vcpu, vcpu, false);
    st->last_thread = lo;
    if (lo < st->nthreads && st->threads[lo].vcpu == vcpu)
        return &st->threads[lo];
    /* New vCPUs are rare (thread creation) and arrive mostly in order. */
    struct stats_thread *t = realloc(st->threads, (st->nthreads + 1) * sizeof *t);
    if (!t)
        return NULL;
    st->threads = t;
    memmove(&t[lo + 1], &t[lo], (st->nthreads - lo) * sizeof *t);
    st->nthreads++;
    t[lo] = (struct stats_thread){ .vcpu = vcpu };
    return &t[lo];
}

static struct stats_syscall *syscall_of(struct stats *st, uint64_t num)
{
    size_t lo = SORTED_FIRST(st->syscall, st->nsyscalls, struct stats_syscall, num, num, false);
    if (lo < st->nsyscalls && st->syscall[lo].num == num)
        return &st->syscall[lo];
    struct stats_syscall *s = realloc(st->syscall, (st->nsyscalls + 1) * sizeof *s);
    if (!s)
        return NULL;
    st->syscall = s;
    memmove(&s[lo + 1], &s[lo], (st->nsyscalls - lo) * sizeof *s);
    st->nsyscalls++;
    s[lo] = (struct stats_syscall){ .num = num };
    return &s[lo];
}

static struct stats_code *code_at(struct stats *st, uint64_t pc)
{
    bool added;
    uint64_t *slot = u64map_insert(&st->code_index, pc, &added);
    if (!slot)
        return NULL;
    if (added) {
        if (room(&st->code, &st->code_cap, st->ncode, sizeof *st->code) < 0) {
            /* The map holds a key with no entry: drop it all, the caller
             * gives up anyway. */
            u64map_free(&st->code_index);
            st->ncode = 0;
            return NULL;
        }
        st->code[st->ncode] = (struct stats_code){ .pc = pc };
        *slot = st->ncode++;
    }
    return &st->code[*slot];
}

/* Executed instructions find their code entry through their definition id
 * (dense from 0): an array index, not a hash lookup, per instruction. */
static struct stats_code *code_of_insn(struct stats *st, const struct tt_insn_def *def)
{
    if (def->id < st->ninsn_code && st->insn_code[def->id])
        return &st->code[st->insn_code[def->id] - 1];
    if (def->id >= st->ninsn_code) {
        size_t n = st->ninsn_code ? st->ninsn_code : 1024;
        while (n <= def->id)
            n *= 2;
        uint32_t *v = realloc(st->insn_code, n * sizeof *v);
        if (!v)
            return NULL;
        memset(v + st->ninsn_code, 0, (n - st->ninsn_code) * sizeof *v);
        st->insn_code = v;
        st->ninsn_code = n;
    }
    struct stats_code *c = code_at(st, def->pc);
    if (c)
        st->insn_code[def->id] = (uint32_t)(c - st->code) + 1;
    return c;
}

static struct stats_region *page_at(struct stats *st, uint64_t addr)
{
    uint64_t page = addr & ~(st->page_size - 1);
    bool added;
    uint64_t *slot = u64map_insert(&st->page_index, page, &added);
    if (!slot)
        return NULL;
    if (added) {
        if (room(&st->pages, &st->pages_cap, st->npages, sizeof *st->pages) < 0) {
            u64map_free(&st->page_index);
            st->npages = 0;
            return NULL;
        }
        st->pages[st->npages] = (struct stats_region){ .start = page, .size = st->page_size, .kind = STATS_PAGE,
                                                       .map_cause = mapset_cause(&st->maps, page) };
        *slot = st->npages++;
    }
    return &st->pages[*slot];
}

static void count_access(struct stats_counts *c, bool store, uint64_t size)
{
    if (store) {
        c->writes++;
        c->write_bytes += size;
    } else {
        c->reads++;
        c->read_bytes += size;
    }
}

static int add_module(struct stats *st, const struct tt_record *rec)
{
    struct stats_module *m = realloc(st->modules, (st->nmodules + 1) * sizeof *m);
    if (!m)
        return TT_E_NOMEM;
    st->modules = m;
    m = &m[st->nmodules];
    *m = (struct stats_module){ .path = strdup(rec->module.path), .bias = rec->module.bias,
                                .start = rec->module.start, .end = rec->module.end };
    if (!m->path)
        return TT_E_NOMEM;
    st->nmodules++;
    return 0;
}

int stats_add(struct stats *st, const struct tt_record *rec)
{
    if (rec->stream == TT_STREAM_META)
        return 0;
    if (rec->kind == TT_HEAP || rec->kind == TT_CALL) {
        st->heap_events += rec->kind == TT_HEAP;
        st->calls += rec->kind == TT_CALL;
        return 0;
    }
    struct stats_thread *t = thread_of(st, rec->stream);
    if (!t)
        return TT_E_NOMEM;
    t->records++;
    st->records++;
    switch (rec->kind) {
    case TT_INSN: {
        struct stats_code *c = code_of_insn(st, rec->insn.def);
        if (!c)
            return TT_E_NOMEM;
        c->c.insns++;
        t->c.insns++;
        st->c.insns++;
        break;
    }
    case TT_MEM: {
        struct stats_code *c = code_at(st, rec->mem.pc);
        struct stats_region *p = page_at(st, rec->mem.vaddr);
        if (!c || !p)
            return TT_E_NOMEM;
        count_access(&c->c, rec->mem.store, rec->mem.size);
        count_access(&p->c, rec->mem.store, rec->mem.size);
        count_access(&t->c, rec->mem.store, rec->mem.size);
        count_access(&st->c, rec->mem.store, rec->mem.size);
        break;
    }
    case TT_REG:
        t->reg_changes++;
        st->reg_changes++;
        break;
    case TT_THREAD_START:
        if (room(&t->tids, &t->tids_cap, t->ntids, sizeof *t->tids) < 0)
            return TT_E_NOMEM;
        t->tids[t->ntids++] = rec->thread.tid;
        st->thread_starts++;
        break;
    case TT_THREAD_EXIT:
        t->exits++;
        st->thread_exits++;
        break;
    case TT_SYSCALL: {
        struct stats_syscall *s = syscall_of(st, rec->syscall.num);
        if (!s)
            return TT_E_NOMEM;
        s->calls++;
        t->syscalls++;
        st->syscalls++;
        break;
    }
    case TT_SYSRET: {
        struct stats_syscall *s = syscall_of(st, rec->sysret.num);
        if (!s)
            return TT_E_NOMEM;
        s->returns++;
        if (rec->sysret.ret < 0 && rec->sysret.ret >= -MAX_ERRNO)
            s->errors++;
        break;
    }
    case TT_MAP:
        if (rec->map.cause < TT_MAP_CAUSE_COUNT) {
            st->mappings[rec->map.cause].changes++;
            st->mappings[rec->map.cause].bytes += rec->map.length;
        }
        st->map_changes++;
        /* mprotect changes the protection, not what the memory is. */
        if (rec->map.cause != TT_MAP_MPROTECT &&
            mapset_set(&st->maps, rec->map.start, rec->map.length,
                       rec->map.prot & TT_PROT_UNMAPPED ? 0 : rec->map.cause) < 0)
            return TT_E_NOMEM;
        break;
    case TT_MODULE:
        st->module_loads++;
        return add_module(st, rec);
    case TT_SYNC:
        t->sync_events++;
        st->sync_events++;
        break;
    case TT_LOST:
        if (rec->lost.kind < TT_KIND_COUNT)
            st->lost_plugin[rec->lost.kind] += rec->lost.count;
        t->lost += rec->lost.count;
        st->lost += rec->lost.count;
        break;
    }
    return 0;
}

void stats_end(struct stats *st, const struct tt_trailer *t)
{
    st->complete = t != NULL;
    /* The maps were for counting; ranking sorts the arrays in place. */
    u64map_free(&st->code_index);
    free(st->insn_code);
    st->insn_code = NULL;
    st->ninsn_code = 0;
    /* A page touched before its mapping's record (another thread's chunk
     * came first in the file) is named by the mappings at the end. */
    for (size_t i = 0; i < st->npages; i++)
        if (!st->pages[i].map_cause)
            st->pages[i].map_cause = mapset_cause(&st->maps, st->pages[i].start);
    if (!t)
        return;
    for (unsigned k = 0; k < TT_KIND_COUNT; k++) {
        st->lost_writer[k] = t->lost[k];
        st->lost += t->lost[k];
    }
    st->write_errno = t->write_errno;
    for (uint32_t i = 0; i < t->nstreams; i++) {
        const struct tt_stream_totals *s = &t->streams[i];
        if (s->stream > TT_STREAM_MAX_VCPU || !s->lost)
            continue;
        /* A vCPU whose every chunk was lost still ran. */
        struct stats_thread *th = thread_of(st, s->stream);
        if (th)
            th->lost += s->lost;
    }
}

int stats_collect(struct stats *st, struct tt_reader *r, struct tt_error *err)
{
    /* Decoding, most of the time, goes on in a second thread meanwhile. */
    struct readahead *ra = readahead_start(r);
    if (!ra)
        return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    readahead_set_progress(ra, st->progress, st->progress_arg, "reading");
    const struct tt_record *recs;
    int rc;
    while ((rc = readahead_batch(ra, &recs, err)) > 0) {
        for (int i = 0; i < rc; i++) {
            if (stats_add(st, &recs[i]) < 0) {
                readahead_stop(ra);
                stats_end(st, NULL);
                return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
            }
        }
    }
    readahead_stop(ra);
    stats_end(st, rc == 0 ? tt_reader_trailer(r) : NULL);
    st->cut_short = rc == TT_E_TRUNCATED;
    return rc;
}

/* --- Naming -------------------------------------------------------------- */

static void counts_add(struct stats_counts *to, const struct stats_counts *c)
{
    to->insns += c->insns;
    to->reads += c->reads;
    to->writes += c->writes;
    to->read_bytes += c->read_bytes;
    to->write_bytes += c->write_bytes;
}

static uint64_t code_key(const struct stats_counts *c, enum stats_by by)
{
    return by == STATS_BY_INSNS ? c->insns : stats_accesses(c);
}

/* The group of a code address: its function (keyed by start address, so
 * static functions of one name in two modules stay apart), or its module
 * (keyed by the path, which the symbols keep once per file), or none. */
struct group {
    enum stats_func_kind kind;
    uint64_t key;
};

static struct group group_of(const struct stats_code *c)
{
    if (c->sym.function)
        return (struct group){ STATS_FUNCTION, c->pc - c->sym.func_offset };
    if (c->sym.module)
        return (struct group){ STATS_MODULE_REST, (uint64_t)(uintptr_t)c->sym.module };
    return (struct group){ STATS_NO_MODULE, 0 };
}

static int group_cmp(struct group x, struct group y)
{
    if (x.kind != y.kind)
        return x.kind < y.kind ? -1 : 1;
    return x.key < y.key ? -1 : x.key > y.key;
}

/* Hottest first, then the lowest address: the order of every ranking. */
static int hotter(uint64_t ka, uint64_t kb, uint64_t a, uint64_t b)
{
    if (ka != kb)
        return ka > kb ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int by_group(const void *a, const void *b, void *by)
{
    const struct stats_code *x = a, *y = b;
    int g = group_cmp(group_of(x), group_of(y));
    if (g)
        return g;
    return hotter(code_key(&x->c, *(enum stats_by *)by), code_key(&y->c, *(enum stats_by *)by), x->pc, y->pc);
}

/* Names every code address and groups them (group_of), each group named
 * by its hottest address (the file:line where it spends most). */
static int name_code(struct stats *st, struct symbols *syms)
{
    enum stats_by by = stats_code_by(st);
    for (size_t i = 0; i < st->ncode; i++) {
        symbols_code(syms, st->code[i].pc, &st->code[i].sym);
        st->code[i].sym_pc = st->code[i].pc;
    }
    if (st->ncode)
        qsort_r(st->code, st->ncode, sizeof *st->code, by_group, &by);
    size_t n = 0;
    for (size_t i = 0; i < st->ncode; i++)
        n += !i || group_cmp(group_of(&st->code[i]), group_of(&st->code[i - 1]));
    free(st->funcs);
    st->funcs = calloc(n ? n : 1, sizeof *st->funcs);
    if (!st->funcs)
        return TT_E_NOMEM;
    st->nfuncs = 0;
    for (size_t i = 0; i < st->ncode; i++) {
        const struct stats_code *c = &st->code[i];
        struct group g = group_of(c);
        /* The first of a group is its hottest address. */
        if (!i || group_cmp(g, group_of(&st->code[i - 1])))
            st->funcs[st->nfuncs++] = (struct stats_code){
                .pc = g.kind == STATS_FUNCTION ? g.key : c->pc, .kind = g.kind, .sym = c->sym, .sym_pc = c->pc
            };
        counts_add(&st->funcs[st->nfuncs - 1].c, &c->c);
    }
    return 0;
}

static bool overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bend)
{
    return a < bend && b < a + asize;
}

/* The data symbol regions, appended to *v as they are first met. */
struct symregions {
    struct stats_region *v;
    size_t n, cap;
    struct u64map index; /* symbol start -> index in v */
};

static struct stats_region *symregion_at(struct symregions *s, const struct sym_data *d, uint64_t addr,
                                         unsigned map_cause)
{
    uint64_t start = addr - d->name_offset;
    bool added;
    uint64_t *slot = u64map_insert(&s->index, start, &added);
    if (!slot)
        return NULL;
    if (added) {
        if (room(&s->v, &s->cap, s->n, sizeof *s->v) < 0)
            return NULL;
        struct stats_region *g = &s->v[s->n];
        *g = (struct stats_region){ .start = start, .size = d->size, .kind = STATS_SYMBOL, .sym = *d,
                                    .map_cause = map_cause };
        g->sym.offset -= d->name_offset;
        g->sym.name_offset = 0;
        *slot = s->n++;
    }
    return &s->v[*slot];
}

static void uncount_access(struct stats_counts *c, bool store, uint64_t size)
{
    if (store) {
        c->writes--;
        c->write_bytes -= size;
    } else {
        c->reads--;
        c->read_bytes -= size;
    }
}

/* Reads the memory accesses again and moves those covered by a data symbol
 * from their page (in regions, a copy of the pages) to the symbol's
 * region. Only pages flagged in_module are looked at. */
static int split_pages(struct stats *st, struct symbols *syms, const char *path, const bool *in_module,
                       struct stats_region *regions, struct symregions *sr, struct tt_error *err)
{
    struct tt_reader *r = tt_reader_open(path, 0, err);
    if (!r)
        return err->code;
    struct readahead *ra = readahead_start(r);
    if (!ra) {
        tt_reader_close(r);
        return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    }
    readahead_set_progress(ra, st->progress, st->progress_arg, "naming data");
    /* The first pass may have stopped early (a trace cut short or corrupt):
     * look at as many accesses as it counted, no more. */
    uint64_t left = stats_accesses(&st->c);
    /* The object of the last access named: the next ones are mostly in it
     * too (an array walked), and a symbol lookup walks the ELF sections. */
    uint64_t obj_lo = 0, obj_hi = 0;
    struct stats_region *obj = NULL;
    const struct tt_record *recs;
    int rc = 0;
    while (left && rc >= 0 && (rc = readahead_batch(ra, &recs, err)) > 0) {
        for (int i = 0; i < rc && left; i++) {
            const struct tt_record *rec = &recs[i];
            if (rec->kind != TT_MEM)
                continue;
            left--;
            uint64_t *pi = u64map_find(&st->page_index, rec->mem.vaddr & ~(st->page_size - 1));
            if (!pi || !in_module[*pi])
                continue;
            struct stats_region *g = obj;
            if (rec->mem.vaddr - obj_lo >= obj_hi - obj_lo) {
                struct sym_data d;
                if (!symbols_data(syms, rec->mem.vaddr, &d) || !d.name)
                    continue;
                if (!(g = symregion_at(sr, &d, rec->mem.vaddr, regions[*pi].map_cause))) {
                    rc = tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
                    break;
                }
                obj = g;
                obj_lo = g->start;
                obj_hi = g->start + g->size;
            }
            count_access(&g->c, rec->mem.store, rec->mem.size);
            uncount_access(&regions[*pi].c, rec->mem.store, rec->mem.size);
        }
    }
    readahead_stop(ra);
    tt_reader_close(r);
    if (rc < 0)
        return rc;
    if (left)
        return tt_error_set(err, TT_E_INVAL, 0, "'%s' changed while it was read", path);
    return 0;
}

static int name_data(struct stats *st, struct symbols *syms, const char *path, struct tt_error *err)
{
    bool *in_module = calloc(st->npages ? st->npages : 1, sizeof *in_module);
    struct stats_region *regions = malloc((st->npages ? st->npages : 1) * sizeof *regions);
    struct symregions sr = { 0 };
    int rc = 0;
    if (!in_module || !regions) {
        rc = tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
        goto out;
    }
    bool any = false;
    for (size_t i = 0; i < st->npages; i++) {
        regions[i] = st->pages[i];
        for (size_t m = 0; m < st->nmodules && !in_module[i]; m++)
            in_module[i] = overlaps(st->pages[i].start, st->page_size, st->modules[m].start, st->modules[m].end);
        any |= in_module[i];
    }
    if (any && (rc = split_pages(st, syms, path, in_module, regions, &sr, err)) < 0)
        goto out;
    size_t n = 0;
    for (size_t i = 0; i < st->npages; i++) {
        if (!stats_accesses(&regions[i].c))
            continue;
        regions[n] = regions[i];
        /* Named as a place in its module only: a symbol covering the
         * page's start did not cover these accesses. */
        struct sym_data d;
        if (in_module[i] && symbols_data(syms, regions[n].start, &d))
            regions[n].sym = (struct sym_data){ .module = d.module, .offset = d.offset };
        n++;
    }
    struct stats_region *all = realloc(regions, (n + sr.n ? n + sr.n : 1) * sizeof *all);
    if (!all) {
        rc = tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
        goto out;
    }
    regions = NULL;
    if (sr.n)
        memcpy(all + n, sr.v, sr.n * sizeof *all);
    free(st->regions);
    st->regions = all;
    st->nregions = n + sr.n;
out:
    free(in_module);
    free(regions);
    free(sr.v);
    u64map_free(&sr.index);
    return rc;
}

int stats_symbolise(struct stats *st, struct symbols *syms, const char *path, struct tt_error *err)
{
    for (size_t i = 0; i < st->nmodules; i++) {
        const struct stats_module *m = &st->modules[i];
        /* A module record with an empty range names nothing. */
        if (m->end > m->start && symbols_add_module(syms, m->path, m->bias, m->start, m->end) < 0)
            return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    }
    if (name_code(st, syms) < 0)
        return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    int rc = name_data(st, syms, path, err);
    st->symbolised = rc == 0;
    return rc;
}

/* --- Rankings ------------------------------------------------------------ */

enum stats_by stats_code_by(const struct stats *st)
{
    return st->c.insns ? STATS_BY_INSNS : STATS_BY_ACCESSES;
}

static int code_hotter(const void *a, const void *b, void *by)
{
    const struct stats_code *x = a, *y = b;
    enum stats_by k = *(enum stats_by *)by;
    return hotter(code_key(&x->c, k), code_key(&y->c, k), x->pc, y->pc);
}

static int region_hotter(const void *a, const void *b)
{
    const struct stats_region *x = a, *y = b;
    return hotter(stats_accesses(&x->c), stats_accesses(&y->c), x->start, y->start);
}

const struct stats_code *stats_hot_code(struct stats *st, size_t *n)
{
    enum stats_by by = stats_code_by(st);
    if (st->ncode)
        qsort_r(st->code, st->ncode, sizeof *st->code, code_hotter, &by);
    *n = st->ncode;
    return st->code;
}

const struct stats_code *stats_hot_funcs(struct stats *st, size_t *n)
{
    enum stats_by by = stats_code_by(st);
    if (st->nfuncs)
        qsort_r(st->funcs, st->nfuncs, sizeof *st->funcs, code_hotter, &by);
    *n = st->nfuncs;
    return st->funcs;
}

const struct stats_region *stats_hot_data(struct stats *st, size_t *n)
{
    if (!st->symbolised) {
        struct stats_region *v = realloc(st->regions, (st->npages ? st->npages : 1) * sizeof *v);
        if (!v) {
            *n = 0;
            return NULL;
        }
        if (st->npages)
            memcpy(v, st->pages, st->npages * sizeof *v);
        st->regions = v;
        st->nregions = st->npages;
    }
    if (st->nregions)
        qsort(st->regions, st->nregions, sizeof *st->regions, region_hotter);
    *n = st->nregions;
    return st->regions;
}
