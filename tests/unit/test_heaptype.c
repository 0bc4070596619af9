/* heaptype_atomics (analysis/heaptype.c) on the race_heap_atomic guest of
 * every architecture: the type allocated on a line that declares a
 * pointer, and its atomic members. The lines come from the guest's
 * source, the addresses from its line table. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/heaptype.h"
#include "tap.h"

static int line_of(const char *text)
{
    FILE *f = fopen("tests/guests/race_heap_atomic.c", "r");
    char line[256];
    int found = 0;
    for (int n = 1; f && !found && fgets(line, sizeof line, f); n++)
        if (strstr(line, text))
            found = n;
    if (f)
        fclose(f);
    return found;
}

/* What heaptype_atomics answers at the line table's addresses of line:
 * the most parts any of them gives, with that answer's parts and size. */
struct answer {
    size_t n;
    struct heaptype_part part[4];
    uint64_t size;
};

static struct answer at_line(Dwarf *dw, int line, unsigned ret_reg)
{
    struct answer best = { 0 };
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    uint8_t type;
    while (dwarf_get_units(dw, cu, &cu, NULL, &type, &cudie, NULL) == 0) {
        Dwarf_Lines *lines;
        size_t nlines;
        if (dwarf_getsrclines(&cudie, &lines, &nlines) != 0)
            continue;
        for (size_t i = 0; i + 1 < nlines; i++) {
            Dwarf_Line *l = dwarf_onesrcline(lines, i);
            int n;
            struct heaptype_call call = { .ret_reg = ret_reg };
            const char *src = dwarf_linesrc(l, NULL, NULL);
            /* A call ends its row: the next row starts at its return. */
            if (dwarf_lineno(l, &n) != 0 || n != line || !src || !strstr(src, "race_heap_atomic.c") ||
                dwarf_lineaddr(l, &call.pc) != 0 || dwarf_lineaddr(dwarf_onesrcline(lines, i + 1), &call.ret) != 0)
                continue;
            struct answer got = { 0 };
            got.n = heaptype_atomics(&cudie, &call, got.part, 4, &got.size);
            if (got.n > best.n)
                best = got;
        }
    }
    return best;
}

static void test_arch(const char *dir, const char *arch, unsigned ret_reg)
{
    char path[512];
    snprintf(path, sizeof path, "%s/guests/%s/race_heap_atomic", dir, arch);
    int fd = open(path, O_RDONLY);
    Dwarf *dw = fd < 0 ? NULL : dwarf_begin(fd, DWARF_C_READ);
    ok(dw != NULL, "%s: debug information of %s", arch, path);
    if (!dw) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct answer one = at_line(dw, line_of("return calloc(1, sizeof(struct msg))"), ret_reg),
                  many = at_line(dw, line_of("struct msg *ms = calloc"), ret_reg),
                  plain = at_line(dw, line_of("struct plain_msg *p = calloc"), ret_reg),
                  other = at_line(dw, line_of("sum += consume(one)"), ret_reg);
    ok(one.n == 1 && one.part[0].offset == 64 && one.part[0].size == 4 && one.size == 72,
       "%s: return calloc(...) in new_msg, inlined into main's struct msg *m = new_msg(): a 72-byte struct msg, its "
       "atomic_int ready at offset 64 (%zu parts)", arch,
       one.n);
    ok(many.n == 1 && many.part[0].offset == 64 && many.size == 72, "%s: struct msg *ms = calloc(NMSG, ...): the same",
       arch);
    ok(plain.n == 0, "%s: struct plain_msg (a volatile int): no atomic part", arch);
    ok(other.n == 0, "%s: a line that declares nothing: nothing", arch);
    dwarf_end(dw);
    close(fd);
}

int main(void)
{
    const char *b = getenv("B");
    char dir[256];
    snprintf(dir, sizeof dir, "%s", b && *b ? b : "build");
    test_arch(dir, "x86_64", 0);
    test_arch(dir, "x86_64-nopie", 0);
    test_arch(dir, "aarch64", 0);
    test_arch(dir, "riscv64", 10);
    return tap_done();
}
