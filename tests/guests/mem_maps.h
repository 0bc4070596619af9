/* For mem_* guests: prints the writable ranges of the guest's own
 * /proc/self/maps (which QEMU answers from its page flags), one line each:
 *   maps 0x<start> 0x<end>
 * A guest calls it last, after any memory is freed, so the list is the
 * writable memory at exit. On x86_64 it leaves out the descriptor tables
 * QEMU maps writable for its CPU emulation, which memtrace does not track
 * (docs/memtrace.md); sgdt and sidt say where they are. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int is_descriptor_table(unsigned long start, unsigned long end)
{
#ifdef __x86_64__
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } gdt, idt;
    __asm__ volatile("sgdt %0" : "=m"(gdt));
    __asm__ volatile("sidt %0" : "=m"(idt));
    return (gdt.base >= start && gdt.base < end) || (idt.base >= start && idt.base < end);
#else
    (void)start, (void)end;
    return 0;
#endif
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
            if (!is_descriptor_table(p, p + 4096))
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
