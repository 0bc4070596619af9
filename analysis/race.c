/* The happens-before race detector: threads, synchronisation edges and the
 * FastTrack checks over shadow memory. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "race.h"
#include "shadow.h"
#include "spin.h"
#include "syncvar.h"

#define OWN_PAGES 8

struct rthread {
    uint64_t tid;
    uint32_t idx;
    bool exited;
    struct vclock vc;
    /* Weakly ordered guests only: what the relaxed atomic loads since the
     * last acquire fence read; and what a relaxed atomic store releases:
     * the thread's clock at its last release fence, joined with every
     * clock it acquired since (an acquire orders the later store after it,
     * and aarch64 and riscv64 are multi-copy atomic, so what the acquire
     * saw is seen by whoever sees the store). */
    struct vclock acq_pending;
    struct vclock rel_fence;
    struct spin spin;
    /* Pages whose owner (tt_race.owner) this thread's accesses need not
     * look up, by page number modulo OWN_PAGES (a loop touches its stack,
     * its own buffers and shared data in turn): the page number times 2,
     * plus 1 for a page that is in the learning pass one it is recorded
     * on, in the detecting pass one private to it; plus 0 for one that is
     * not private to it (in the detecting pass a page only ever stops
     * being private). UINT64_MAX: none. */
    uint64_t own_pages[OWN_PAGES];
    /* Who the thread is in tt_race.owner: its tid, and above bit 32 how
     * many threads had that tid before it (the kernel reuses a tid; the
     * threads with one tid follow each other in both passes). */
    uint64_t owner_id;
};

/* In tt_race.owner: a page more than one thread touched. */
#define OWNER_SHARED UINT64_MAX

struct tt_race {
    struct tt_race_config cfg;
    bool tso;
    struct rthread **threads;
    uint32_t nthreads, cap;
    uint32_t live;         /* threads started and not exited */
    struct u64map by_tid;  /* tid -> index of the thread bound to it */
    struct rthread *last;  /* the thread of the last event */
    struct shadow shadow;
    /* The page of the last access: most accesses hit it. */
    uint64_t last_pn;
    struct shadow_page *last_page;
    struct syncvars sync;
    /* The pcs of the loads that ended spins: any location they load is a
     * synchronisation location (one wait loop serves many objects, and it
     * need not spin on each). The bitmap, indexed by a hash of the pc,
     * answers "no" for most loads without a lookup. */
    struct u64map spin_pcs;
    uint64_t spin_pc_bits[64];
    /* Page number -> owner_id of the only thread that touched it in the
     * whole trace, or OWNER_SHARED: learnt, then kept. No race is possible
     * on a page one thread alone touched, so the detecting pass skips its
     * plain accesses before any shadow work, and gives it no shadow. Most
     * of a program's accesses (its stacks, each thread's own buffers) are
     * there. */
    struct u64map owner;
    struct reports reports;
    struct tt_race_stats st;
};

struct tt_race *tt_race_new(const struct tt_race_config *cfg)
{
    struct tt_race *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    if (!r->cfg.spin_repeats)
        r->cfg.spin_repeats = 1;
    r->tso = cfg->elf_machine == EM_X86_64 || cfg->elf_machine == EM_386;
    return r;
}

static void threads_free(struct tt_race *r)
{
    for (uint32_t i = 0; i < r->nthreads; i++) {
        vclock_free(&r->threads[i]->vc);
        vclock_free(&r->threads[i]->acq_pending);
        vclock_free(&r->threads[i]->rel_fence);
        free(r->threads[i]);
    }
    free(r->threads);
    u64map_free(&r->by_tid);
    r->threads = NULL;
    r->nthreads = r->cap = r->live = 0;
    r->last = NULL;
}

void tt_race_free(struct tt_race *r)
{
    if (!r)
        return;
    threads_free(r);
    shadow_free(&r->shadow);
    syncvars_free(&r->sync);
    u64map_free(&r->spin_pcs);
    u64map_free(&r->owner);
    reports_free(&r->reports);
    free(r);
}

int tt_race_rewind(struct tt_race *r)
{
    threads_free(r);
    shadow_free(&r->shadow);
    r->last_page = NULL;
    reports_free(&r->reports);
    syncvars_reset(&r->sync, 0, UINT64_MAX);
    r->st = (struct tt_race_stats){
        .sync_locations = r->st.sync_locations,
        .spins = r->st.spins,
        .spin_pcs = r->st.spin_pcs,
    };
    r->cfg.learn = false;
    return 0;
}

/* --- Threads and clocks ------------------------------------------------ */

static struct rthread *thread_new(struct tt_race *r, uint64_t tid)
{
    if (r->nthreads == VCLOCK_MAX_THREADS)
        return NULL;
    if (r->nthreads == r->cap) {
        uint32_t cap = r->cap ? 2 * r->cap : 16;
        struct rthread **v = realloc(r->threads, cap * sizeof *v);
        if (!v)
            return NULL;
        r->threads = v;
        r->cap = cap;
    }
    struct rthread *t = calloc(1, sizeof *t);
    bool added;
    uint64_t *slot = NULL;
    if (!t || vclock_set(&t->vc, r->nthreads, 1) < 0 || !(slot = u64map_insert(&r->by_tid, tid, &added))) {
        if (t)
            vclock_free(&t->vc);
        free(t);
        return NULL;
    }
    if (!added && !r->threads[*slot]->exited) {
        /* The id was reused without an exit seen: the old thread is gone. */
        r->threads[*slot]->exited = true;
        r->live--;
    }
    t->owner_id = (added ? 0 : (r->threads[*slot]->owner_id & ~UINT64_C(0xffffffff)) + (UINT64_C(1) << 32)) +
                  (tid & 0xffffffff) + 1;
    t->tid = tid;
    t->idx = r->nthreads;
    memset(t->own_pages, 0xff, sizeof t->own_pages);
    *slot = t->idx;
    r->threads[r->nthreads++] = t;
    r->st.threads++;
    r->live++;
    r->last = t; /* not the old thread of a reused id */
    return t;
}

static struct rthread *thread_find(struct tt_race *r, uint64_t tid)
{
    uint64_t *idx = u64map_find(&r->by_tid, tid);
    struct rthread *t = idx ? r->threads[*idx] : thread_new(r, tid);
    if (t)
        r->last = t;
    return t;
}

/* Inline: every access asks, and it is nearly always the last thread. */
static inline struct rthread *thread_of(struct tt_race *r, uint64_t tid)
{
    return r->last && r->last->tid == tid ? r->last : thread_find(r, tid);
}

static epoch_t epoch_of(const struct rthread *t)
{
    return epoch_make(t->idx, t->vc.c[t->idx]);
}

/* A release ends the thread's epoch: what it does next is not covered. */
static int tick(struct rthread *t)
{
    if (t->vc.c[t->idx] == UINT32_MAX)
        return -EOVERFLOW;
    t->vc.c[t->idx]++;
    return 0;
}

static int release_into(struct rthread *t, struct vclock *to)
{
    return vclock_join(to, &t->vc) < 0 ? -ENOMEM : tick(t);
}

static int join(struct vclock *to, const struct vclock *from)
{
    return vclock_join(to, from) < 0 ? -ENOMEM : 0;
}

/* Thread t acquires clock. */
static int acquire(struct tt_race *r, struct rthread *t, const struct vclock *clock)
{
    if (join(&t->vc, clock) < 0 || (!r->tso && join(&t->rel_fence, clock) < 0))
        return -ENOMEM;
    return 0;
}

static int fence(struct tt_race *r, struct rthread *t, unsigned flags)
{
    /* Under TSO every atomic access already acquires or releases. */
    if (r->tso || r->cfg.learn)
        return 0;
    if (flags & TT_SYNCINSN_ACQUIRE) {
        if (acquire(r, t, &t->acq_pending) < 0)
            return -ENOMEM;
        vclock_clear(&t->acq_pending);
    }
    if (flags & TT_SYNCINSN_RELEASE) {
        if (vclock_copy(&t->rel_fence, &t->vc) < 0)
            return -ENOMEM;
        return tick(t);
    }
    return 0;
}

/* --- Synchronisation locations ----------------------------------------- */

/* The shadow page of addr, created if needed with the marks of the
 * locations learnt in it. */
static struct shadow_page *page_of(struct tt_race *r, uint64_t addr)
{
    uint64_t pn = addr >> SHADOW_PAGE_SHIFT;
    if (r->last_page && r->last_pn == pn)
        return r->last_page;
    bool created;
    struct shadow_page *p = shadow_page(&r->shadow, addr, true, &created);
    if (p && created)
        for (struct syncvar *v = syncvar_first_in_page(&r->sync, pn); v; v = syncvar_next(&r->sync, v))
            p->syncmask[(v->key % SHADOW_PAGE_SIZE) / 8] |= v->marks;
    r->last_pn = pn;
    r->last_page = p;
    return p;
}

/* Loops over the pieces of [addr, addr + size) that lie in one 8-byte word
 * each: a piece starts at a, off bytes into its word, and is len long. */
#define FOR_EACH_WORD(addr, size, a, off, len)                                                                  \
    for (uint64_t a = (addr), end_ = (addr) + (size), off, len;                                                 \
         a < end_ && (off = a & 7, len = 8 - off < end_ - a ? 8 - off : end_ - a, 1); a += len)

static uint8_t bytes_mask(uint64_t off, uint64_t len)
{
    return (uint8_t)(((1u << len) - 1) << off);
}

static int share_page(struct tt_race *r, uint64_t pn);

static int mark(struct tt_race *r, uint64_t addr, uint32_t size)
{
    FOR_EACH_WORD(addr, size, a, off, len) {
        if (share_page(r, a >> SHADOW_PAGE_SHIFT) < 0)
            return -ENOMEM;
        struct syncvar *v = syncvar_get(&r->sync, a & ~UINT64_C(7), true);
        if (!v)
            return -ENOMEM;
        if (!v->marks)
            r->st.sync_locations++;
        uint8_t added = bytes_mask(off, len) & ~v->marks;
        v->marks |= added;
        int rc;
        if (added && r->cfg.learn && r->cfg.on_mark && (rc = r->cfg.on_mark(r->cfg.on_mark_arg, v->key, added)) < 0)
            return rc;
        if (!r->cfg.learn) {
            struct shadow_page *p = page_of(r, a);
            if (!p)
                return -ENOMEM;
            p->syncmask[(a % SHADOW_PAGE_SIZE) / 8] |= bytes_mask(off, len);
        }
    }
    return 0;
}

int tt_race_mark(struct tt_race *r, uint64_t addr, uint64_t size)
{
    if (addr > UINT64_MAX - size)
        return -EINVAL;
    return size > UINT32_MAX ? -EINVAL : mark(r, addr, (uint32_t)size);
}

static int marked(struct tt_race *r, uint64_t addr, uint32_t size)
{
    FOR_EACH_WORD(addr, size, a, off, len) {
        struct shadow_page *p = page_of(r, a);
        if (!p)
            return -ENOMEM;
        if (p->syncmask[(a % SHADOW_PAGE_SIZE) / 8] & bytes_mask(off, len))
            return 1;
    }
    return 0;
}

static struct syncvar *syncvar_of(struct tt_race *r, uint64_t key)
{
    return syncvar_get(&r->sync, key, true);
}

int tt_race_thread_start(struct tt_race *r, uint64_t parent, uint64_t child, uint64_t clear_tid)
{
    struct rthread *p = NULL, *c;
    int rc;
    if (parent != TT_RACE_NO_THREAD) {
        if (!(p = thread_of(r, parent)))
            return -ENOMEM;
        /* clone is a system call: a full fence. */
        if ((rc = fence(r, p, TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE)) < 0)
            return rc;
    }
    if (!(c = thread_new(r, child)))
        return r->nthreads == VCLOCK_MAX_THREADS ? -EOVERFLOW : -ENOMEM;
    if (p && ((rc = join(&c->vc, &p->vc)) < 0 || (rc = tick(p)) < 0))
        return rc;
    if (clear_tid) {
        struct syncvar *v;
        if ((rc = mark(r, clear_tid, 4)) < 0)
            return rc;
        if (!(v = syncvar_of(r, clear_tid & ~UINT64_C(7))))
            return -ENOMEM;
        syncvar_stored(v, SYNCVAR_KERNEL, clear_tid, 4, true, child);
    }
    return 0;
}

int tt_race_thread_exit(struct tt_race *r, uint64_t tid, uint64_t clear_tid)
{
    struct rthread *t = thread_of(r, tid);
    struct syncvar *v;
    int rc;
    if (!t)
        return -ENOMEM;
    if (!t->exited) {
        t->exited = true;
        r->live--;
    }
    if (!clear_tid)
        return 0;
    if ((rc = mark(r, clear_tid, 4)) < 0)
        return rc;
    if (!(v = syncvar_of(r, clear_tid & ~UINT64_C(7))))
        return -ENOMEM;
    syncvar_stored(v, SYNCVAR_KERNEL, clear_tid, 4, true, 0);
    return r->cfg.learn ? 0 : release_into(t, &v->clock);
}

int tt_race_join(struct tt_race *r, uint64_t joiner, uint64_t joined)
{
    struct rthread *j = thread_of(r, joiner);
    if (!j)
        return -ENOMEM;
    /* Looked up after thread_of, which may add to the map. */
    uint64_t *idx = u64map_find(&r->by_tid, joined);
    if (!idx)
        return -EINVAL;
    return acquire(r, j, &r->threads[*idx]->vc);
}

int tt_race_release(struct tt_race *r, uint64_t tid, uint64_t key)
{
    struct rthread *t = thread_of(r, tid);
    struct syncvar *v = t ? syncvar_of(r, key) : NULL;
    if (!v)
        return -ENOMEM;
    return r->cfg.learn ? 0 : release_into(t, &v->clock);
}

int tt_race_acquire(struct tt_race *r, uint64_t tid, uint64_t key)
{
    struct rthread *t = thread_of(r, tid);
    struct syncvar *v = t ? syncvar_of(r, key) : NULL;
    if (!v)
        return -ENOMEM;
    return r->cfg.learn ? 0 : acquire(r, t, &v->clock);
}

int tt_race_rmw_end(struct tt_race *r, uint64_t tid, uint64_t addr, unsigned flags)
{
    struct rthread *t = thread_of(r, tid);
    struct syncvar *v = t ? syncvar_of(r, addr & ~UINT64_C(7)) : NULL;
    if (!v)
        return -ENOMEM;
    if (r->cfg.learn)
        return 0;
    return r->tso || (flags & TT_SYNCINSN_ACQUIRE) ? acquire(r, t, &v->clock) : join(&t->acq_pending, &v->clock);
}

int tt_race_futex_wake(struct tt_race *r, uint64_t tid, uint64_t addr)
{
    int rc = mark(r, addr, 4);
    return rc < 0 ? rc : tt_race_release(r, tid, addr & ~UINT64_C(7));
}

int tt_race_futex_wait(struct tt_race *r, uint64_t tid, uint64_t addr)
{
    int rc = mark(r, addr, 4);
    return rc < 0 ? rc : tt_race_acquire(r, tid, addr & ~UINT64_C(7));
}

int tt_race_fence(struct tt_race *r, uint64_t tid, unsigned flags)
{
    struct rthread *t = thread_of(r, tid);
    if (!t)
        return -ENOMEM;
    spin_fence(&t->spin);
    return fence(r, t, flags);
}

/* --- Accesses ------------------------------------------------------------ */

/* One access being checked, and where it stands. */
struct access {
    struct rthread *t;
    epoch_t e;
    uint64_t pc;  /* with log2(size) in the top bits (shadow.h) */
    struct tt_race_access desc;
};

static uint64_t log2_ceil(uint32_t size)
{
    return size <= 1 ? 0 : (uint64_t)(32 - __builtin_clz(size - 1));
}

static int report(struct tt_race *r, const struct access *acc, uint32_t thread, uint64_t pc, bool write,
                  uint64_t granule)
{
    uint32_t size = 1u << (pc >> SHADOW_PC_BITS);
    struct tt_race_access first = {
        .tid = r->threads[thread]->tid,
        .pc = pc & SHADOW_PC_MASK,
        .addr = granule & ~(uint64_t)(size - 1),
        .size = size,
        .write = write,
    };
    r->st.races++;
    uint64_t context = r->cfg.context ? r->cfg.context(r->cfg.context_arg, acc->desc.tid, acc->desc.pc) : 0;
    return reports_add(&r->reports, &first, &acc->desc, context, r->st.accesses) < 0 ? -ENOMEM : 0;
}

static struct shadow_reads *reads_of(const struct shadow_cell *c)
{
    return (struct shadow_reads *)(uintptr_t)(c->r & ~SHADOW_SHARED);
}

static int check_read(struct tt_race *r, const struct access *acc, struct shadow_cell *c, uint64_t granule)
{
    const struct rthread *t = acc->t;
    if (c->r == acc->e)
        return 0;
    struct shadow_reads *rs = c->r & SHADOW_SHARED ? reads_of(c) : NULL;
    if (rs && t->idx < rs->cap && rs->e[t->idx].clock == epoch_clock(acc->e))
        return 0;
    if (c->w && !epoch_leq(c->w, &t->vc) && report(r, acc, epoch_thread(c->w), c->wpc, true, granule) < 0)
        return -ENOMEM;
    if (!rs) {
        if (!c->r || epoch_leq(c->r, &t->vc)) {
            c->r = acc->e;
            c->rpc = acc->pc;
            return 0;
        }
        /* Two reads with no order between them: keep both. */
        uint32_t other = epoch_thread(c->r);
        if (!(rs = shadow_reads_reserve(&r->shadow, NULL, other > t->idx ? other : t->idx)))
            return -ENOMEM;
        rs->e[other] = (struct shadow_read){ epoch_clock(c->r), c->rpc };
    } else if (!(rs = shadow_reads_reserve(&r->shadow, rs, t->idx))) {
        return -ENOMEM;
    }
    rs->e[t->idx] = (struct shadow_read){ epoch_clock(acc->e), acc->pc };
    c->r = SHADOW_SHARED | (uintptr_t)rs;
    return 0;
}

static int check_write(struct tt_race *r, const struct access *acc, struct shadow_cell *c, uint64_t granule)
{
    const struct vclock *vc = &acc->t->vc;
    if (c->w == acc->e)
        return 0;
    if (c->w && !epoch_leq(c->w, vc) && report(r, acc, epoch_thread(c->w), c->wpc, true, granule) < 0)
        return -ENOMEM;
    if (c->r & SHADOW_SHARED) {
        struct shadow_reads *rs = reads_of(c);
        for (uint32_t u = 0; u < rs->cap; u++)
            if (rs->e[u].clock > vclock_get(vc, u) && report(r, acc, u, rs->e[u].pc, false, granule) < 0)
                return -ENOMEM;
        shadow_reads_free(&r->shadow, rs);
    } else if (c->r && !epoch_leq(c->r, vc) && report(r, acc, epoch_thread(c->r), c->rpc, false, granule) < 0) {
        return -ENOMEM;
    }
    /* Reads before this write need no keeping: a later access racing with
     * one of them races with this write too. */
    *c = (struct shadow_cell){ .w = acc->e, .wpc = acc->pc };
    return 0;
}

/* Checks the piece [off, off + len) of word w of page p, at address a. */
static int check_word(struct tt_race *r, const struct access *acc, struct shadow_page *p, unsigned w, uint64_t a,
                      unsigned off, unsigned len)
{
    bool write = acc->desc.write;
    unsigned n;
    struct shadow_cell *c = shadow_cells(&r->shadow, p, w, off, len, &n);
    if (!c)
        return -ENOMEM;
    uint64_t g = 8u >> p->level[w]; /* len / n, without a division */
    for (unsigned i = 0; i < n; i++) {
        uint64_t granule = a + i * g;
        int rc = write ? check_write(r, acc, &c[i], granule) : check_read(r, acc, &c[i], granule);
        if (rc < 0)
            return rc;
    }
    /* A write of the whole word leaves its granules equal: one again. */
    if (write && len == 8 && n > 1) {
        bool same = true;
        for (unsigned i = 0; i < n && same; i++)
            same = c[i].w == acc->e && c[i].r == 0;
        if (same)
            shadow_collapse(&r->shadow, p, w);
    }
    return 0;
}

static int plain_access(struct tt_race *r, struct access *acc, uint64_t addr, uint32_t size)
{
    r->st.accesses++;
    FOR_EACH_WORD(addr, size, a, off, len) {
        struct shadow_page *p = page_of(r, a);
        if (!p)
            return -ENOMEM;
        int rc = check_word(r, acc, p, (unsigned)(a % SHADOW_PAGE_SIZE) / 8, a, (unsigned)off, (unsigned)len);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* What a synchronisation location holds, as far as the accesses seen
 * tell: kept for an access within one word, unknown after any other. */
static int note_contents(struct tt_race *r, const struct rthread *t, uint64_t addr, uint32_t size, bool write,
                         bool known, uint64_t value)
{
    if (known && (addr & 7) + size <= 8) {
        struct syncvar *v = syncvar_of(r, addr & ~UINT64_C(7));
        if (!v)
            return -ENOMEM;
        if (write)
            syncvar_stored(v, t->idx, addr, size, true, value);
        else
            syncvar_loaded(v, t->idx, addr, size, value);
        return 0;
    }
    if (!write)
        return 0;
    FOR_EACH_WORD(addr, size, a, off, len) {
        (void)off;
        struct syncvar *v = syncvar_get(&r->sync, a & ~UINT64_C(7), false);
        if (v)
            syncvar_stored(v, t->idx, a, (uint32_t)len, false, 0);
    }
    return 0;
}

/* An atomic store's release into v: everything the thread did on x86 or
 * for a release instruction; what its release fences and acquires cover
 * for a relaxed one. */
static int release(struct tt_race *r, struct rthread *t, struct syncvar *v, unsigned flags)
{
    if (r->tso || (flags & TT_SYNCINSN_RELEASE))
        return release_into(t, &v->clock);
    return join(&v->clock, &t->rel_fence);
}

/* An access to a synchronisation location: never a race; an edge, through
 * the variable of its first word. */
static int sync_access(struct tt_race *r, struct rthread *t, uint64_t addr, uint32_t size, unsigned flags,
                       uint64_t value)
{
    struct syncvar *v = syncvar_of(r, addr & ~UINT64_C(7));
    if (!v)
        return -ENOMEM;
    bool known = (flags & TT_RACE_VALUE) && !(flags & TT_SYNCINSN_LOAD_VALUE_LOST && !(flags & TT_RACE_WRITE));
    int rc;
    if (!(flags & TT_RACE_WRITE)) {
        /* Waiting only makes sense while another thread could store. */
        bool seen = flags & (TT_SYNCINSN_RMW | TT_RACE_LATEST) ? syncvar_current(v, addr, size, value)
                                            : syncvar_seen(v, addr, size, value) &&
                                                  !syncvar_future(v, t->idx, addr, size, value);
        /* The first plain load of a location may still have read a store
         * to come: the reader interleaves threads' records as well as it
         * can, and another thread's load of a function-local static's
         * guard, seeing it set, came before the thread that set it, which
         * then seemed to construct the object after the read. The caller
         * knows whether a store of that value is to come. (Not after the
         * contents were known once: a heap block handed out anew, or a
         * store of a value QEMU does not say, made most such loads wait
         * for nothing.) */
        seen &= (flags & TT_SYNCINSN_ATOMIC) || v->known_once;
        if (known && (flags & TT_RACE_CAN_WAIT) && r->live > 1 && !seen) {
            r->st.waits++;
            return TT_RACE_WAIT;
        }
        r->st.atomic_accesses++;
        if (known && (rc = note_contents(r, t, addr, size, false, true, value)) < 0)
            return rc;
        if ((rc = r->tso || (flags & TT_SYNCINSN_ACQUIRE) ? acquire(r, t, &v->clock)
                                                            : join(&t->acq_pending, &v->clock)) < 0)
            return rc;
        /* A read-modify-write's store is part of one atomic step with its
         * load, but its record can come after other threads' (a plugin is
         * preempted between two callbacks): release at the load. */
        return flags & TT_SYNCINSN_RMW ? release(r, t, v, flags) : 0;
    }
    r->st.atomic_accesses++;
    if ((rc = note_contents(r, t, addr, size, true, known, value)) < 0)
        return rc;
    return release(r, t, v, flags);
}

/* What the last writes to [addr, addr + size) released, as far as their
 * epochs tell: for a location found to synchronise after they went by. */
static int acquire_last_writes(struct tt_race *r, struct rthread *t, uint64_t addr, uint32_t size)
{
    struct vclock *to = r->tso ? &t->vc : &t->acq_pending;
    FOR_EACH_WORD(addr, size, a, off, len) {
        struct shadow_page *p = page_of(r, a);
        unsigned w = (unsigned)(a % SHADOW_PAGE_SIZE) / 8, n;
        struct shadow_cell *c = p ? shadow_cells(&r->shadow, p, w, (unsigned)off, (unsigned)len, &n) : NULL;
        if (!c)
            return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
            uint32_t u = epoch_thread(c[i].w), clock = epoch_clock(c[i].w);
            if (c[i].w && clock > vclock_get(to, u) && vclock_set(to, u, clock) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

static unsigned spin_pc_bit(uint64_t pc)
{
    return (unsigned)((pc * UINT64_C(0x9e3779b97f4a7c15)) >> 52);
}

static bool is_spin_pc(const struct tt_race *r, uint64_t pc)
{
    unsigned b = spin_pc_bit(pc);
    return (r->spin_pc_bits[b / 64] >> (b % 64) & 1) && u64map_find(&r->spin_pcs, pc);
}

/* A load at pc ended a spin on [addr, addr + size). */
static int spin_found(struct tt_race *r, uint64_t pc, uint64_t addr, uint32_t size)
{
    bool added;
    if (!u64map_insert(&r->spin_pcs, pc, &added))
        return -ENOMEM;
    if (added) {
        unsigned b = spin_pc_bit(pc);
        r->spin_pc_bits[b / 64] |= UINT64_C(1) << (b % 64);
        r->st.spin_pcs++;
    }
    return mark(r, addr, size);
}

/* --- Pages one thread alone touched ------------------------------------ */

/* A synchronisation location's page is never private: the kernel's stores
 * (a thread's exit clearing its tid word) and futex wakes order its loads
 * with other threads, though no other thread's access shows there. */
static int share_page(struct tt_race *r, uint64_t pn)
{
    bool added;
    uint64_t *o = u64map_insert(&r->owner, pn, &added);
    if (!o)
        return -ENOMEM;
    if (*o == OWNER_SHARED && !added)
        return 0;
    *o = OWNER_SHARED;
    for (uint32_t i = 0; i < r->nthreads && !r->cfg.learn; i++)
        if (r->threads[i]->own_pages[pn % OWN_PAGES] >> 1 == pn)
            r->threads[i]->own_pages[pn % OWN_PAGES] = pn << 1;
    return 0;
}

/* Learning: t touched page pn. */
static inline int own_page(struct tt_race *r, struct rthread *t, uint64_t pn)
{
    uint64_t *known = &t->own_pages[pn % OWN_PAGES];
    if (*known >> 1 == pn)
        return 0;
    bool added;
    uint64_t *o = u64map_insert(&r->owner, pn, &added);
    if (!o)
        return -ENOMEM;
    if (added)
        *o = t->owner_id;
    else if (*o != t->owner_id)
        *o = OWNER_SHARED;
    *known = pn << 1 | 1;
    return 0;
}

static int own(struct tt_race *r, struct rthread *t, uint64_t addr, uint32_t size)
{
    uint64_t first = addr >> SHADOW_PAGE_SHIFT, last = (addr + size - 1) >> SHADOW_PAGE_SHIFT;
    int rc = own_page(r, t, first);
    return rc < 0 || last == first ? rc : own_page(r, t, last);
}

/* Detecting: whether only t touches page pn in the whole trace. */
static bool private_page(struct tt_race *r, struct rthread *t, uint64_t pn)
{
    uint64_t *known = &t->own_pages[pn % OWN_PAGES];
    if (*known >> 1 == pn)
        return *known & 1;
    const uint64_t *o = u64map_find(&r->owner, pn);
    bool mine = o && *o == t->owner_id;
    *known = pn << 1 | mine;
    return mine;
}

static bool private(struct tt_race *r, struct rthread *t, uint64_t addr, uint32_t size)
{
    uint64_t first = addr >> SHADOW_PAGE_SHIFT, last = (addr + size - 1) >> SHADOW_PAGE_SHIFT;
    return private_page(r, t, first) && (last == first || private_page(r, t, last));
}

void tt_race_prefetch(struct tt_race *r, uint64_t addr)
{
    /* A page private to the thread of the last access (likely the next
     * one's) has no shadow: no lookup to find that out. */
    uint64_t pn = addr >> SHADOW_PAGE_SHIFT;
    if (r->last && r->last->own_pages[pn % OWN_PAGES] == (pn << 1 | 1))
        return;
    bool created;
    struct shadow_page *p = shadow_page(&r->shadow, addr, false, &created);
    if (!p)
        return;
    unsigned w = (unsigned)(addr % SHADOW_PAGE_SIZE) / 8;
    __builtin_prefetch(&p->slot[w]);
    __builtin_prefetch(&p->level[w]);
    __builtin_prefetch(&p->syncmask[w]);
}

int tt_race_access(struct tt_race *r, uint64_t tid, uint64_t pc, uint64_t addr, uint32_t size, unsigned flags,
                   uint64_t value)
{
    if (size == 0 || size > 4096 || addr > UINT64_MAX - size)
        return -EINVAL;
    struct rthread *t = thread_of(r, tid);
    if (!t)
        return -ENOMEM;
    bool write = flags & TT_RACE_WRITE;
    int atomic = (flags & TT_SYNCINSN_ATOMIC) != 0, rc;
    if (r->cfg.learn) {
        if ((rc = own(r, t, addr, size)) < 0)
            return rc;
        if (flags & TT_RACE_PLAIN)
            return 0;
        if (atomic)
            return mark(r, addr, size);
        if (write)
            spin_store(&t->spin, addr);
        else if ((flags & TT_RACE_VALUE) && spin_load(&t->spin, pc, addr, size, value, r->cfg.spin_repeats)) {
            r->st.spins++;
            return spin_found(r, pc, addr, size);
        }
        return 0;
    }
    if (atomic) {
        if ((rc = marked(r, addr, size)) < 0 || (!rc && (rc = mark(r, addr, size)) < 0))
            return rc;
    } else if (private(r, t, addr, size)) {
        /* One counter: accesses gets these at tt_race_stats, not here (two
         * increments made one 16-byte update that stalled the next one). */
        r->st.private_accesses++;
        /* Still work between two loads of a spin, as in the learning
         * pass: a poll between runs of private work is no spin there, and
         * must be none here either. */
        t->spin.accesses++;
        return 0;
    } else if (flags & TT_RACE_PLAIN) {
        /* Checked as it is: no syncmask, no spin. */
    } else if ((addr & 7) + size <= 8) {
        /* Within one word (nearly every access): one page lookup. */
        struct shadow_page *p = page_of(r, addr);
        if (!p)
            return -ENOMEM;
        uint8_t marks = p->syncmask[(addr % SHADOW_PAGE_SIZE) / 8];
        atomic = (marks & bytes_mask(addr & 7, size)) != 0;
        /* A plain store beside a synchronisation location in its word ends
         * what a wider store there said of these bytes: libgomp stores its
         * task_count and the plain task_queued_count beside it as one
         * 8-byte word, then decrements task_queued_count alone, and the
         * next 8-byte load waited for a value already in memory. */
        if (!atomic && marks && write &&
            (rc = note_contents(r, t, addr, size, true, (flags & TT_RACE_VALUE) != 0, value)) < 0)
            return rc;
    } else if ((atomic = marked(r, addr, size)) < 0) {
        return atomic;
    }
    if (atomic || (flags & TT_RACE_PLAIN)) {
        /* Neither kind tells anything of spins. */
    } else if (write) {
        spin_store(&t->spin, addr);
    } else {
        bool spin = (flags & TT_RACE_VALUE) && spin_load(&t->spin, pc, addr, size, value, r->cfg.spin_repeats);
        r->st.spins += spin;
        if (spin || is_spin_pc(r, pc)) {
            /* Found after the store it waited for went by as a plain
             * write: take that write's epoch at least. */
            if ((rc = acquire_last_writes(r, t, addr, size)) < 0 || (rc = spin_found(r, pc, addr, size)) < 0)
                return rc;
            atomic = 1;
        }
    }
    if (atomic)
        return sync_access(r, t, addr, size, flags, value);
    struct access acc = {
        .t = t,
        .e = epoch_of(t),
        .pc = (pc & SHADOW_PC_MASK) | log2_ceil(size) << SHADOW_PC_BITS,
        .desc = { .tid = tid, .pc = pc, .addr = addr, .size = size, .write = write },
    };
    return plain_access(r, &acc, addr, size);
}

int tt_race_forget(struct tt_race *r, uint64_t addr, uint64_t len)
{
    if (len == 0)
        return 0;
    shadow_forget(&r->shadow, addr, len);
    r->last_page = NULL;
    uint64_t last = len - 1 > UINT64_MAX - addr ? UINT64_MAX : addr + (len - 1);
    syncvars_reset(&r->sync, addr & ~UINT64_C(7), last);
    return 0;
}

struct unmark {
    struct tt_race *r;
    uint64_t lo, end;
};

static void unmark_one(struct syncvar *v, void *arg)
{
    const struct unmark *u = arg;
    uint64_t a = v->key < u->lo ? u->lo : v->key, e = u->end - v->key < 8 ? u->end : v->key + 8;
    uint8_t m = bytes_mask(a - v->key, e - a);
    v->marks &= (uint8_t)~m;
    bool created;
    struct shadow_page *p = u->r->cfg.learn ? NULL : shadow_page(&u->r->shadow, v->key, false, &created);
    if (p)
        p->syncmask[(v->key % SHADOW_PAGE_SIZE) / 8] &= (uint8_t)~m;
}

void tt_race_unmark(struct tt_race *r, uint64_t addr, uint64_t len)
{
    if (len == 0 || addr > UINT64_MAX - len)
        return;
    struct unmark u = { r, addr, addr + len };
    syncvars_each(&r->sync, addr & ~UINT64_C(7), addr + len - 1, unmark_one, &u);
}

bool tt_race_synchronises(const struct tt_race *r, uint64_t lo, uint64_t hi)
{
    for (uint64_t w = lo & ~UINT64_C(7); w < hi; w += 8) {
        unsigned first = w < lo ? (unsigned)(lo - w) : 0, end = hi - w < 8 ? (unsigned)(hi - w) : 8;
        if (syncvar_marks(&r->sync, w) & ((1u << end) - (1u << first)))
            return true;
    }
    return false;
}

const struct tt_race_report *tt_race_reports(const struct tt_race *r, size_t *n)
{
    *n = r->reports.n;
    return r->reports.v;
}

const size_t *tt_race_report_count(const struct tt_race *r)
{
    return &r->reports.n;
}

void tt_race_stats(const struct tt_race *r, struct tt_race_stats *st)
{
    *st = r->st;
    st->accesses += r->st.private_accesses;
    st->shadow_pages = r->shadow.npages;
    uint64_t mem = sizeof *r + r->shadow.bytes + r->shadow.pages.n * 16 + (r->owner.mask + 1) * 16 +
                   r->reports.cap * sizeof *r->reports.v;
    for (uint32_t i = 0; i < r->nthreads; i++) {
        const struct rthread *t = r->threads[i];
        mem += sizeof *t + (uint64_t)(t->vc.cap + t->acq_pending.cap + t->rel_fence.cap) * 4;
    }
    for (size_t i = 0; i < r->sync.n; i++)
        mem += sizeof *r->sync.v[i] + (uint64_t)r->sync.v[i]->clock.cap * 4 + 40;
    st->memory = mem;
}
