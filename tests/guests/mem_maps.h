/* For mem_* guests: prints the writable ranges of the guest's own
 * /proc/self/maps (which QEMU answers from its page flags), one line each:
 *   maps 0x<start> 0x<end>
 * A guest calls it last, after any memory is freed, so the list is the
 * writable memory at exit.
 *
 * On x86_64 it leaves out the descriptor tables QEMU maps writable for its
 * CPU emulation, which memtrace does not track (docs/memtrace.md): an IDT,
 * and a GDT per thread, which QEMU unmaps only after the thread's
 * pthread_join has returned. Every thread calls note_descriptor_tables()
 * so that sgdt and sidt say where its tables are. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_TABLES 64
static uint64_t tables[MAX_TABLES];
static int n_tables;

static void note_descriptor_tables(void)
{
#ifdef __x86_64__
    static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } gdt, idt;
    __asm__ volatile("sgdt %0" : "=m"(gdt));
    __asm__ volatile("sidt %0" : "=m"(idt));
    pthread_mutex_lock(&tables_lock);
    if (n_tables + 2 <= MAX_TABLES) {
        tables[n_tables++] = gdt.base;
        tables[n_tables++] = idt.base;
    }
    pthread_mutex_unlock(&tables_lock);
#endif
}

static int is_descriptor_table(unsigned long page)
{
    for (int i = 0; i < n_tables; i++)
        if (tables[i] >= page && tables[i] < page + 4096)
            return 1;
    return 0;
}

static void print_writable_maps(void)
{
    static char buf[1 << 16];
    size_t len = 0;
    ssize_t n;
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0)
        return;
    while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3 || perms[1] != 'w')
            continue;
        /* The tables may lie inside a larger range: split around them. */
        unsigned long run = start;
        for (unsigned long p = start; p < end; p += 4096) {
            if (!is_descriptor_table(p))
                continue;
            if (run < p)
                printf("maps 0x%016lx 0x%016lx\n", run, p);
            run = p + 4096;
        }
        if (run < end)
            printf("maps 0x%016lx 0x%016lx\n", run, end);
    }
    fflush(stdout);
}
