/* Touches every kind of writable memory a memtrace user expects traced and
 * one read-only mapping it must not trace, from N threads (argv[1], 1 to
 * 8), and prints what it did for the test to check against the trace:
 *   access traced|untraced R|W 0x<address> <size> <what>
 *   range 0x<start> 0x<end> <what>   (a writable segment some access touched)
 *   maps 0x<start> 0x<end>           (mem_maps.h: writable memory at exit)
 * Accesses go through volatile pointers so each is one load or store of
 * the stated size. Output is printed at the end, so printing cannot touch
 * the memory being described while it is described. */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "mem_maps.h"

#define MAXT 8
#define MAXLINES 64

long data_word = 1;
long bss_word;
__thread long tls_word;

static char lines[MAXLINES][160];
static int n_lines;
static pthread_mutex_t lines_lock = PTHREAD_MUTEX_INITIALIZER;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&lines_lock);
    va_start(ap, fmt);
    if (n_lines < MAXLINES)
        vsnprintf(lines[n_lines++], sizeof(lines[0]), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&lines_lock);
}

static void store(volatile long *p, const char *what)
{
    *p = 42;
    note("access traced W 0x%016lx 8 %s", (unsigned long)(uintptr_t)p, what);
}

static void *worker(void *arg)
{
    long id = (long)arg;
    volatile long stack_word;
    note_descriptor_tables();
    store(&stack_word, "thread-stack");
    store(&tls_word, "thread-tls");
    tls_word += id;
    return NULL;
}

/* The writable PT_LOAD segment of the dynamic loader and of the C library,
 * at their real addresses (the loader's bias is AT_BASE). */
static int find_segments(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    const char *what = NULL;
    if (info->dlpi_addr && info->dlpi_addr == getauxval(AT_BASE))
        what = "ld.so-data";
    else if (info->dlpi_name && strstr(info->dlpi_name, "libc.so"))
        what = "libc-data";
    for (int i = 0; what && i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W))
            note("range 0x%016lx 0x%016lx %s", (unsigned long)(info->dlpi_addr + ph->p_vaddr),
                 (unsigned long)(info->dlpi_addr + ph->p_vaddr + ph->p_memsz), what);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    if (n < 1 || n > MAXT)
        return 2;
    volatile long main_stack;
    note_descriptor_tables();
    long *heap = malloc(64);
    long *big = calloc(4 << 20, 1);
    long *anon = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!heap || !big || anon == MAP_FAILED || ro == MAP_FAILED)
        return 1;
    store(&data_word, "data");
    store(&bss_word, "bss");
    store(&heap[0], "heap");
    store(&big[(4 << 20) / sizeof(long) - 1], "calloc-4MiB");
    store(&anon[100], "mmap");
    store(&main_stack, "main-stack");
    store(&tls_word, "main-tls");
    volatile long *rop = &ro[10];
    main_stack = *rop;
    note("access untraced R 0x%016lx 8 read-only-mmap", (unsigned long)(uintptr_t)rop);

    pthread_t t[MAXT];
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    dl_iterate_phdr(find_segments, NULL);
    for (int i = 0; i < n_lines; i++)
        puts(lines[i]);
    print_writable_maps();
    return 0;
}
