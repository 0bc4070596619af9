/* Changes its memory map at run time in every way memtrace follows, with an
 * access before and after each change, and prints what it did (format of
 * mem_regions.c: `access traced|untraced R|W 0x<address> <size> <what>`,
 * then the writable memory at exit, mem_maps.h):
 * mprotect to read-only and back, MAP_FIXED over a mapping both ways, a
 * partial munmap, mremap moving and growing, shrinking in place, and of a
 * read-only mapping, brk growing and shrinking, System V shared memory
 * attached read-write and read-only and detached, and unaligned loads that
 * span a writable and a read-only page. Single-threaded and deterministic. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "mem_maps.h"

#define PG 4096
#define MAXLINES 64

static char lines[MAXLINES][128];
static int n_lines;

static void note(const char *traced, char kind, const volatile void *p, const char *what)
{
    if (n_lines < MAXLINES)
        snprintf(lines[n_lines++], sizeof(lines[0]), "access %s %c 0x%016lx 8 %s", traced, kind,
                 (unsigned long)(uintptr_t)p, what);
}

static char *map(void *addr, size_t len, int prot, int flags)
{
    char *p = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static void store(char *p, const char *what)
{
    *(volatile uint64_t *)p = 42;
    note("traced", 'W', p, what);
}

static uint64_t sink;

static void load(char *p, const char *traced, const char *what)
{
    sink += *(volatile uint64_t *)p;
    note(traced, 'R', p, what);
}

static void check(int ok, const char *what)
{
    if (!ok) {
        perror(what);
        exit(1);
    }
}

int main(void)
{
    note_descriptor_tables();
    /* Let stdio allocate its buffer now, not after brk shrinks. */
    printf("mem_ops\n");
    fflush(stdout);

    char *a = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, 0);
    store(a, "before-mprotect");
    check(!mprotect(a, PG, PROT_READ), "mprotect");
    load(a + 64, "untraced", "after-mprotect-read-only");
    store(a + PG, "page-next-to-mprotect");
    check(!mprotect(a, PG, PROT_READ | PROT_WRITE), "mprotect");
    store(a + 128, "after-mprotect-read-write");

    char *b = map(NULL, PG, PROT_READ | PROT_WRITE, 0);
    store(b, "before-map-fixed");
    map(b, PG, PROT_READ, MAP_FIXED);
    load(b + 64, "untraced", "map-fixed-read-only-over-writable");
    map(b, PG, PROT_READ | PROT_WRITE, MAP_FIXED);
    store(b + 128, "map-fixed-writable-over-read-only");

    char *c = map(NULL, 3 * PG, PROT_READ | PROT_WRITE, 0);
    store(c + PG, "before-munmap");
    check(!munmap(c + PG, PG), "munmap");

    char *d = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, 0);
    store(d, "before-mremap");
    char *t = map(NULL, 4 * PG, PROT_NONE, 0);
    check(mremap(d, 2 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t) == t, "mremap");
    store(t + 3 * PG, "mremap-moved-and-grown");
    check(mremap(t, 4 * PG, 3 * PG, 0) == t, "mremap");
    char *r = map(NULL, PG, PROT_READ, 0);
    char *r2 = map(NULL, 2 * PG, PROT_NONE, 0);
    check(mremap(r, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, r2) == r2, "mremap");
    load(r2 + PG + 64, "untraced", "mremap-of-read-only");

    char *brk0 = sbrk(0);
    check(sbrk(16 * PG) == brk0, "sbrk");
    store(brk0 + 15 * PG, "brk-grown");
    check(sbrk(-12 * PG) != (void *)-1, "sbrk");
    store(brk0 + 2 * PG, "brk-below-shrink");

    int id = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600);
    check(id >= 0, "shmget");
    char *s = shmat(id, NULL, 0);
    char *sro = shmat(id, NULL, SHM_RDONLY);
    check(s != (void *)-1 && sro != (void *)-1, "shmat");
    store(s + PG, "shmat");
    load(sro + PG + 64, "untraced", "shmat-read-only");
    check(!shmdt(s), "shmdt");
    shmctl(id, IPC_RMID, NULL);

    /* [writable][read-only][writable], and two read-only pages. */
    char *sp = map(NULL, 3 * PG, PROT_READ | PROT_WRITE, 0);
    check(!mprotect(sp + PG, PG, PROT_READ), "mprotect");
    load(sp + PG - 4, "traced", "span-writable-then-read-only");
    load(sp + 2 * PG - 4, "traced", "span-read-only-then-writable");
    char *ro = map(NULL, 2 * PG, PROT_READ, 0);
    load(ro + PG - 4, "untraced", "span-read-only-both");

    for (int i = 0; i < n_lines; i++)
        puts(lines[i]);
    print_writable_maps();
    return 0;
}
