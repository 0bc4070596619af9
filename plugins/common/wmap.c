/* The guest's writable memory: see wmap.h. System call semantics follow
 * Linux (mm/mmap.c, mm/mprotect.c, mm/mremap.c, ipc/shm.c) as linux-user
 * emulates them; the constants below have the same values on every Linux
 * architecture, and guest PROT_* bits are the trace format's TT_PROT_*. */
#include <elf.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/shm.h>
#include <unistd.h>

#include "qemuapi.h"
#include "tcgtrace/format.h"
#include "wmap.h"

#define GUEST_PAGE 4096u
#define GUEST_PROT_MASK 0x7 /* PROT_READ | PROT_WRITE | PROT_EXEC */
#define GUEST_MAP_FIXED 0x10
#define GUEST_MREMAP_MAYMOVE 0x1
#define GUEST_MREMAP_DONTUNMAP 0x4
#define GUEST_SHM_RDONLY 010000

struct pagemap *wmap_pages;
static const struct guest_arch *arch;
static wmap_observer *observer;

/* Everything below is guarded by lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t failures;
static bool brk_known;
static uint64_t brk_initial, brk_cur;
/* Attached System V segments, for shmdt, which names only the address. */
struct shm_attachment {
    uint64_t addr, len;
};
static struct shm_attachment *shms;
static size_t n_shms, cap_shms;
/* The context of the call being applied, for the observer. */
static void *cur_ctx;

int wmap_init(const struct guest_arch *a, wmap_observer *obs)
{
    arch = a;
    observer = obs;
    wmap_pages = pagemap_new();
    return wmap_pages ? 0 : -1;
}

static uint64_t page_up(uint64_t x)
{
    return (x + GUEST_PAGE - 1) & ~(uint64_t)(GUEST_PAGE - 1);
}

/* [start, start + len), widened to whole pages, now has protection prot. */
static void set(uint64_t start, uint64_t len, uint32_t prot, unsigned cause)
{
    if (!len)
        return;
    if (pagemap_set(wmap_pages, start, len, (prot & TT_PROT_WRITE) && prot != TT_PROT_UNMAPPED))
        failures++;
    if (observer) {
        uint64_t first = start & ~(uint64_t)(GUEST_PAGE - 1);
        observer(cur_ctx, first, page_up(start + len) - first, prot, cause);
    }
}

static uint32_t elf_prot(uint32_t pf)
{
    return (pf & PF_R ? TT_PROT_READ : 0) | (pf & PF_W ? TT_PROT_WRITE : 0) |
           (pf & PF_X ? TT_PROT_EXEC : 0);
}

/* In program header order, as the loader maps them: where two segments
 * share a page, the later one's protection holds. */
static void add_segments(const struct guest_image *img, bool vdso)
{
    for (unsigned i = 0; i < img->nloads; i++) {
        const struct guest_segment *g = &img->loads[i];
        set(g->start, g->end - g->start, vdso ? TT_PROT_READ | TT_PROT_EXEC : elf_prot(g->flags),
            TT_MAP_ELF);
    }
}

/* The end of the highest image span in [lo, sp), or lo. */
static uint64_t above_images(const struct guest_initial *in, uint64_t lo, uint64_t sp)
{
    const struct guest_image *imgs[] = { in->has_main ? &in->main : NULL,
                                         in->has_interp ? &in->interp : NULL,
                                         in->has_vdso ? &in->vdso : NULL };
    for (unsigned i = 0; i < 3; i++) {
        uint64_t end = imgs[i] ? page_up(imgs[i]->end) : 0;
        if (end <= sp && end > lo)
            lo = end;
    }
    return lo;
}

void wmap_add_initial(uint64_t sp, const struct guest_initial *in, void *ctx)
{
    if (!in->has_stack)
        return;
    /* QEMU maps the stack with one inaccessible guard page below it
     * (linux-user's setup_arg_pages), and may load an image right below
     * that: the stack starts a guard page above the probed bottom or the
     * highest image below it. */
    uint64_t guard = (uint64_t)getpagesize() > GUEST_PAGE ? (uint64_t)getpagesize() : GUEST_PAGE;
    uint64_t stack_start = above_images(in, in->stack.bottom, sp) + guard;
    pthread_mutex_lock(&lock);
    cur_ctx = ctx;
    set(stack_start, in->stack.top - stack_start, TT_PROT_READ | TT_PROT_WRITE, TT_MAP_INITIAL);
    if (in->has_main)
        add_segments(&in->main, false);
    if (in->has_interp)
        add_segments(&in->interp, false);
    if (in->has_vdso)
        add_segments(&in->vdso, true);
    pthread_mutex_unlock(&lock);
}

static bool succeeded(int64_t ret)
{
    return (uint64_t)ret < (uint64_t)-4095;
}

/* Whether a range is one the kernel would act on (else the call fails
 * without changing anything). */
static bool valid_range(uint64_t start, uint64_t len)
{
    return !(start & (GUEST_PAGE - 1)) && len && start + len > start;
}

/* Whether mremap's entry takes memory away: it may move the memory
 * (MREMAP_MAYMOVE), or it gives back its end. Its return puts back what
 * stays. An old size of 0 duplicates a shared mapping and keeps it. */
static bool mremap_takes(const uint64_t a[6])
{
    uint64_t old_len = page_up(a[1]), new_len = page_up(a[2]);
    return valid_range(a[0], old_len) && new_len && ((a[3] & GUEST_MREMAP_MAYMOVE) || new_len < old_len);
}

static void mremap_entry(struct wmap_call *c)
{
    const uint64_t *a = c->args;
    uint64_t from = a[0], old_len = page_up(a[1]), new_len = page_up(a[2]);
    /* One mapping, one protection: mremap refuses ranges spanning several. */
    c->old_prot = TT_PROT_READ | (pagemap_test(wmap_pages, from) ? TT_PROT_WRITE : 0);
    if (!mremap_takes(a))
        return;
    if (a[3] & GUEST_MREMAP_MAYMOVE)
        set(from, old_len, TT_PROT_UNMAPPED, TT_MAP_MREMAP);
    else
        set(from + new_len, old_len - new_len, TT_PROT_UNMAPPED, TT_MAP_MREMAP);
}

static void mremap_return(struct wmap_call *c, int64_t ret)
{
    const uint64_t *a = c->args;
    uint64_t from = a[0], old_len = page_up(a[1]), new_len = page_up(a[2]);
    if (!succeeded(ret)) {
        if (mremap_takes(a))
            set(from, old_len, c->old_prot, TT_MAP_MREMAP);
        return;
    }
    if ((uint64_t)ret != from && (a[3] & GUEST_MREMAP_DONTUNMAP))
        set(from, old_len, c->old_prot, TT_MAP_MREMAP);
    set((uint64_t)ret, new_len, c->old_prot, TT_MAP_MREMAP);
}

static void on_shmat(const uint64_t a[6], uint64_t addr)
{
    struct shmid_ds ds;
    /* Guest System V ids are the host's in linux-user. */
    if (shmctl((int)a[0], IPC_STAT, &ds)) {
        failures++;
        return;
    }
    uint64_t len = page_up(ds.shm_segsz);
    set(addr, len, TT_PROT_READ | (a[2] & GUEST_SHM_RDONLY ? 0 : TT_PROT_WRITE), TT_MAP_SHMAT);
    if (n_shms == cap_shms) {
        size_t cap = cap_shms ? 2 * cap_shms : 8;
        struct shm_attachment *n = realloc(shms, cap * sizeof(*n));
        if (!n) {
            failures++;
            return;
        }
        shms = n;
        cap_shms = cap;
    }
    shms[n_shms++] = (struct shm_attachment){ addr, len };
}

static void on_shmdt(uint64_t addr)
{
    for (size_t i = 0; i < n_shms; i++)
        if (shms[i].addr == addr) {
            set(addr, shms[i].len, TT_PROT_UNMAPPED, TT_MAP_SHMDT);
            shms[i] = shms[--n_shms];
            return;
        }
}

void wmap_syscall_entry(struct wmap_call *c, void *ctx)
{
    const uint64_t *a = c->args;
    pthread_mutex_lock(&lock);
    cur_ctx = ctx;
    switch (c->sys) {
    case GSYS_MMAP:
        if ((a[3] & GUEST_MAP_FIXED) && !(a[2] & TT_PROT_WRITE) && valid_range(a[0], a[1]))
            set(a[0], a[1], (uint32_t)(a[2] & GUEST_PROT_MASK), TT_MAP_MMAP);
        break;
    case GSYS_MPROTECT:
    case GSYS_PKEY_MPROTECT:
        if (!(a[2] & TT_PROT_WRITE) && valid_range(a[0], a[1]))
            set(a[0], a[1], (uint32_t)(a[2] & GUEST_PROT_MASK), TT_MAP_MPROTECT);
        break;
    case GSYS_MUNMAP:
        if (valid_range(a[0], a[1]))
            set(a[0], a[1], TT_PROT_UNMAPPED, TT_MAP_MUNMAP);
        break;
    case GSYS_MREMAP:
        mremap_entry(c);
        break;
    case GSYS_BRK:
        /* linux-user shrinks to any break above the initial one. */
        if (QEMUAPI_BRK_SHRINK_UNMAPS && brk_known && a[0] >= brk_initial && page_up(a[0]) < page_up(brk_cur))
            set(page_up(a[0]), page_up(brk_cur) - page_up(a[0]), TT_PROT_UNMAPPED, TT_MAP_BRK);
        break;
    case GSYS_SHMDT:
        on_shmdt(a[0]);
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&lock);
}

void wmap_syscall_return(struct wmap_call *c, int64_t ret, void *ctx)
{
    const uint64_t *a = c->args;
    if (c->sys != GSYS_MREMAP && !succeeded(ret))
        return;
    pthread_mutex_lock(&lock);
    cur_ctx = ctx;
    switch (c->sys) {
    case GSYS_MMAP:
        set((uint64_t)ret, a[1], (uint32_t)(a[2] & GUEST_PROT_MASK), TT_MAP_MMAP);
        break;
    case GSYS_MPROTECT:
    case GSYS_PKEY_MPROTECT:
        if (a[2] & TT_PROT_WRITE)
            set(a[0], a[1], (uint32_t)(a[2] & GUEST_PROT_MASK), TT_MAP_MPROTECT);
        break;
    case GSYS_MREMAP:
        mremap_return(c, ret);
        break;
    case GSYS_BRK:
        /* The C library asks brk(0) first: that answer is the initial break. */
        if (!brk_known)
            brk_initial = (uint64_t)ret;
        else if ((uint64_t)ret > brk_cur)
            set(page_up(brk_cur), page_up((uint64_t)ret) - page_up(brk_cur),
                TT_PROT_READ | TT_PROT_WRITE, TT_MAP_BRK);
        brk_known = true;
        brk_cur = (uint64_t)ret;
        break;
    case GSYS_SHMAT:
        on_shmat(a, (uint64_t)ret);
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&lock);
}

uint64_t wmap_failures(void)
{
    pthread_mutex_lock(&lock);
    uint64_t n = failures;
    pthread_mutex_unlock(&lock);
    return n;
}
