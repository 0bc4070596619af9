/* heaptype_atomics (analysis/heaptype.c) on the race_heap_atomic guest of
 * every architecture, optimised and not: the type allocated on a line that
 * declares a pointer, or into one, or in a helper returning it, and its
 * atomic members. The lines come from the guest's source, the addresses
 * from its line table. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdbool.h>
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
 * the most parts any of them gives, with that answer's parts and size, a
 * type found rather than guessed when some address gives one. */
struct answer {
    size_t n;
    struct heaptype_part part[4];
    uint64_t size;
    bool whole;
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
            got.n = heaptype_atomics(&cudie, &call, got.part, 4, &got.size, &got.whole);
            if (got.n > best.n || (got.n == best.n && best.whole && !got.whole))
                best = got;
        }
    }
    return best;
}

static bool is_msg(const struct answer *a)
{
    return a->n == 1 && a->part[0].offset == 64 && a->part[0].size == 4 && a->size == 72;
}

/* unoptimised: a -O0 build, whose pointers live on the stack and whose
 * helper is a function of its own; the type is then a guess. */
static void test_arch(const char *dir, const char *arch, unsigned ret_reg, bool unoptimised)
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
                  last = at_line(dw, line_of("l = calloc(1, sizeof *l)"), ret_reg),
                  plain = at_line(dw, line_of("struct plain_msg *p = calloc"), ret_reg),
                  other = at_line(dw, line_of("scratch[i] += i;"), ret_reg);
    ok(is_msg(&one) && one.whole == unoptimised,
       "%s: return calloc(...) in new_msg: a 72-byte struct msg, its atomic_int ready at offset 64 (%zu parts), %s",
       arch, one.n,
       unoptimised ? "guessed from new_msg's return type" : "new_msg inlined into main's struct msg *m = new_msg()");
    ok(is_msg(&many) && !many.whole, "%s: struct msg *ms = calloc(NMSG, ...): the same", arch);
    ok(is_msg(&last) && last.whole == unoptimised, "%s: l = calloc(...) into struct msg *l declared before: the same, %s",
       arch, unoptimised ? "guessed from main's pointers (l is on the stack)" : "l is in the return register");
    ok(plain.n == 0, "%s: struct plain_msg (a volatile int): no atomic part", arch);
    ok(other.n == 0, "%s: a line in a function with no pointer to guess from: nothing", arch);
    dwarf_end(dw);
    close(fd);
}

int main(void)
{
    const char *b = getenv("B");
    char dir[256];
    snprintf(dir, sizeof dir, "%s", b && *b ? b : "build");
    test_arch(dir, "x86_64", 0, false);
    test_arch(dir, "x86_64-nopie", 0, false);
    test_arch(dir, "aarch64", 0, false);
    test_arch(dir, "riscv64", 10, false);
    test_arch(dir, "x86_64-O0", 0, true);
    test_arch(dir, "aarch64-O0", 0, true);
    test_arch(dir, "riscv64-O0", 10, true);
    return tap_done();
}
