/* The guest's writable memory: see wmap.h. System call semantics follow
 * Linux (mm/mmap.c, mm/mprotect.c, mm/mremap.c, ipc/shm.c) as linux-user
 * emulates them; the constants below have the same values on every Linux
 * architecture. */
#include <elf.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/shm.h>
#include <unistd.h>

#include "guestelf.h"
#include "initstack.h"
#include "wmap.h"

#define GUEST_PAGE 4096u
#define GUEST_PROT_WRITE 0x2
#define GUEST_MREMAP_DONTUNMAP 0x4
#define GUEST_SHM_RDONLY 010000

struct pagemap *wmap_pages;
static const struct guest_arch *arch;

/* Everything below is guarded by lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t failures;
static bool brk_known;
static uint64_t brk_cur;
/* Attached System V segments, for shmdt, which names only the address. */
struct shm_attachment {
    uint64_t addr, len;
};
static struct shm_attachment *shms;
static size_t n_shms, cap_shms;

int wmap_init(const struct guest_arch *a)
{
    arch = a;
    wmap_pages = pagemap_new();
    return wmap_pages ? 0 : -1;
}

static uint64_t page_up(uint64_t x)
{
    return (x + GUEST_PAGE - 1) & ~(uint64_t)(GUEST_PAGE - 1);
}

static void set(uint64_t start, uint64_t len, bool writable)
{
    if (pagemap_set(wmap_pages, start, len, writable))
        failures++;
}

static void add_writable_segments(const struct guest_image *img)
{
    for (unsigned i = 0; i < img->nloads; i++)
        if (img->loads[i].flags & PF_W)
            set(img->loads[i].start, img->loads[i].end - img->loads[i].start, true);
}

/* The end of the highest image span in [lo, sp), or lo. */
static uint64_t above_images(const struct guest_image *imgs, unsigned n, uint64_t lo, uint64_t sp)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < imgs[i].nloads; j++) {
            uint64_t end = page_up(imgs[i].loads[j].end);
            if (end <= sp && end > lo)
                lo = end;
        }
    return lo;
}

int wmap_add_initial(uint64_t sp, const char **err)
{
    struct initstack is;
    /* The main program, the dynamic loader, the vDSO. */
    struct guest_image imgs[3];
    unsigned n = 0;
    *err = NULL;
    if (initstack_read(arch, sp, &is)) {
        *err = "cannot read the initial stack (argc, argv, environment, auxiliary vector)";
        return -1;
    }
    if (!guestelf_from_phdr(is.phdr, (unsigned)is.phent, (unsigned)is.phnum, arch->big_endian, &imgs[n]))
        n++;
    else
        *err = "cannot read the main program's program headers";
    if (is.base && !guestelf_from_ehdr(is.base, &imgs[n]))
        n++;
    else if (is.base)
        *err = "cannot read the dynamic loader's ELF header";
    unsigned n_writable = n;
    if (is.sysinfo_ehdr && !guestelf_from_ehdr(is.sysinfo_ehdr, &imgs[n]))
        n++;
    else if (is.sysinfo_ehdr)
        *err = "cannot read the vDSO's ELF header";

    /* QEMU maps the stack with one inaccessible guard page below it
     * (linux-user's setup_arg_pages), and may load an image right below
     * that: the stack starts a guard page above the probed bottom or the
     * highest image below it. */
    uint64_t guard = (uint64_t)getpagesize() > GUEST_PAGE ? (uint64_t)getpagesize() : GUEST_PAGE;
    uint64_t stack = above_images(imgs, n, is.bottom, sp) + guard;
    pthread_mutex_lock(&lock);
    set(stack, is.top - stack, true);
    for (unsigned i = 0; i < n_writable; i++)
        add_writable_segments(&imgs[i]);
    pthread_mutex_unlock(&lock);
    return *err ? -1 : 0;
}

static bool succeeded(int64_t ret)
{
    return (uint64_t)ret < (uint64_t)-4095;
}

static void on_mremap(const uint64_t a[6], uint64_t to)
{
    uint64_t from = a[0], old_len = page_up(a[1]), new_len = page_up(a[2]);
    /* One mapping, one protection: mremap refuses ranges spanning several. */
    bool w = pagemap_test(wmap_pages, from);
    if (to == from) {
        if (new_len < old_len)
            set(from + new_len, old_len - new_len, false);
        else
            set(from + old_len, new_len - old_len, w);
        return;
    }
    /* old_len 0 duplicates a shared mapping and leaves it in place. */
    if (old_len && !(a[3] & GUEST_MREMAP_DONTUNMAP))
        set(from, old_len, false);
    set(to, new_len, w);
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
    set(addr, len, !(a[2] & GUEST_SHM_RDONLY));
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
            set(addr, shms[i].len, false);
            shms[i] = shms[--n_shms];
            return;
        }
}

static void on_brk(uint64_t ret)
{
    /* The C library asks brk(0) first: that answer is the initial break. */
    if (brk_known && ret > brk_cur)
        set(page_up(brk_cur), page_up(ret) - page_up(brk_cur), true);
    else if (brk_known && ret < brk_cur)
        set(page_up(ret), page_up(brk_cur) - page_up(ret), false);
    brk_known = true;
    brk_cur = ret;
}

void wmap_syscall(enum guest_sys sys, const uint64_t a[6], int64_t ret)
{
    if (!succeeded(ret))
        return;
    pthread_mutex_lock(&lock);
    switch (sys) {
    case GSYS_MMAP:
        /* Also MAP_FIXED over an existing mapping: the new one replaces it. */
        set((uint64_t)ret, a[1], a[2] & GUEST_PROT_WRITE);
        break;
    case GSYS_MPROTECT:
    case GSYS_PKEY_MPROTECT:
        set(a[0], a[1], a[2] & GUEST_PROT_WRITE);
        break;
    case GSYS_MUNMAP:
        set(a[0], a[1], false);
        break;
    case GSYS_MREMAP:
        on_mremap(a, (uint64_t)ret);
        break;
    case GSYS_BRK:
        on_brk((uint64_t)ret);
        break;
    case GSYS_SHMAT:
        on_shmat(a, (uint64_t)ret);
        break;
    case GSYS_SHMDT:
        on_shmdt(a[0]);
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
