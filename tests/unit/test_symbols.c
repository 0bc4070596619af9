/* Symbolisation on the loop guest of every architecture, loaded at made-up
 * biases, and on a foreign libc through its sysroot. Expected addresses come
 * from the ELF files read directly with libelf, not through the code under
 * test; the expected source lines from tests/guests/loop.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/symbols.h"
#include "test_guest.h"
#include "tap.h"


static void is_str(const char *got, const char *want, const char *what)
{
    int same = got && want ? !strcmp(got, want) : got == want;
    ok(same, "%s", what);
    if (!same)
        printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
}

static void test_guest(const char *dir, const char *arch, uint64_t bias)
{
    char path[512], buf[256];
    snprintf(path, sizeof path, "%s/guests/%s/loop", dir, arch);
    struct elfinfo k = elf_info(path, "kernel"), src = elf_info(path, "src"), dst = elf_info(path, "dst");
    ok(k.ok && src.ok && dst.ok, "%s: guest '%s' has kernel, src and dst", arch, path);
    if (!k.ok || !src.ok || !dst.ok)
        return;
    if (k.type == ET_EXEC)
        bias = 0; /* a non-PIE executable runs where it was linked */
    int first, last;
    kernel_lines(&first, &last);

    struct symbols *s = symbols_new(NULL);
    ok(s && symbols_add_module(s, path, bias, bias + k.lo, bias + k.hi) == 0, "%s: module added at bias 0x%llx", arch,
       (unsigned long long)bias);

    struct sym_code c;
    ok(symbols_code(s, bias + k.value, &c), "%s: kernel's entry is in a module", arch);
    is_str(c.module, path, "  ... the loop executable");
    is_str(c.function, "kernel", "  ... function kernel");
    ok(c.func_offset == 0 && c.offset == k.value, "%s: offset 0 in kernel, ELF address 0x%llx", arch,
       (unsigned long long)k.value);

    uint64_t mid = bias + k.value + k.size / 2;
    symbols_code(s, mid, &c);
    is_str(c.function, "kernel", "  ... the middle of kernel too");
    ok(c.func_offset == k.size / 2, "%s: its offset in kernel", arch);
    ok(c.file && strstr(c.file, "loop.c") && c.line >= first && c.line <= last, "%s: %s:%d within kernel (lines %d-%d)",
       arch, c.file ? c.file : "(no file)", c.line, first, last);
    symbols_format_code(&c, mid, buf, sizeof buf);
    char want[64];
    snprintf(want, sizeof want, "kernel+0x%llx (loop.c:%d)", (unsigned long long)(k.size / 2), c.line);
    is_str(buf, want, "  ... formatted with file and line");

    struct sym_data d;
    ok(symbols_data(s, bias + src.value + 40, &d), "%s: src[10] is in a module", arch);
    is_str(d.name, "src", "  ... global src");
    ok(d.name_offset == 40 && d.size == src.size, "%s: at offset 40 of %llu bytes", arch, (unsigned long long)d.size);
    symbols_format_data(&d, bias + src.value + 40, buf, sizeof buf);
    is_str(buf, "global 'src'+0x28", "  ... formatted");
    symbols_data(s, bias + dst.value + dst.size - 1, &d);
    symbols_format_data(&d, bias + dst.value + dst.size - 1, buf, sizeof buf);
    snprintf(want, sizeof want, "global 'dst'+0x%llx", (unsigned long long)(dst.size - 1));
    is_str(buf, want, "  ... dst's last byte");
    symbols_data(s, bias + dst.value, &d);
    symbols_format_data(&d, bias + dst.value, buf, sizeof buf);
    is_str(buf, "global 'dst'", "  ... dst's first byte, no offset");

    /* A static variable shares its address with the linker's unsized
     * globals (__bss_start, _edata, __TMC_END__ on x86_64): its name wins. */
    struct elfinfo local = elf_info(path, "completed.0");
    bool found = local.ok && symbols_data(s, bias + local.value, &d);
    ok(found && d.name && !strcmp(d.name, "completed.0"),
       "%s: the static completed.0, not an unsized global at its address: %s", arch, found && d.name ? d.name : "(none)");

    /* _start comes from crt1.o, which has no line table (races_cli.t has
     * the C++ program whose unit's table libdw gave it a line from). */
    struct elfinfo st = elf_info(path, "_start");
    bool in = st.ok && symbols_code(s, bias + st.value + 4, &c);
    ok(in && c.function && !strcmp(c.function, "_start") && !c.file, "%s: _start has no source line: %s", arch,
       in && c.file ? c.file : "(none)");

    /* The ELF header is mapped but is no function: module+offset. */
    symbols_code(s, bias + k.lo, &c);
    symbols_format_code(&c, bias + k.lo, buf, sizeof buf);
    snprintf(want, sizeof want, "loop+0x%llx", (unsigned long long)k.lo);
    is_str(buf, want, "  ... the ELF header as module+offset");

    ok(!symbols_code(s, bias + k.hi + 0x100000, &c) && !c.module && !c.function, "%s: past the module: no module",
       arch);
    symbols_format_code(&c, 0x1234, buf, sizeof buf);
    is_str(buf, "0x1234", "  ... formatted as the bare address");
    ok(!symbols_data(s, bias + k.lo - 1, &d) && !d.name, "%s: just below the module: no module", arch);
    ok(symbols_error(s, 0) == NULL, "%s: no file errors", arch);

    /* Cached answers are the answers, each kind's its own. */
    symbols_code(s, mid, &c);
    is_str(c.function, "kernel", "  ... a repeated lookup");
    symbols_code(s, bias + src.value + 40, &c);
    symbols_data(s, bias + src.value + 40, &d);
    ok(!c.function && c.module && d.name && !strcmp(d.name, "src") && d.name_offset == 40,
       "%s: src[10] looked up as code then as data: no function, global src", arch);
    symbols_data(s, mid, &d);
    symbols_code(s, mid, &c);
    ok(!d.name && d.module && c.function && !strcmp(c.function, "kernel"),
       "%s: kernel's middle looked up as data then as code: no global, function kernel", arch);
    symbols_free(s);
}

/* A function of a libc, through a sysroot ("" for the host's own). The
 * host's libc has line information and, in its debug file (libc6-dbg),
 * names written with their symbol version (pthread_create@@GLIBC_2.34),
 * which are shown without it; the foreign ones have neither. */
static void test_libc(const char *sysroot, const char *guest_path, const char *symbol)
{
    char host_path[512], buf[256], want[256];
    snprintf(host_path, sizeof host_path, "%s%s", sysroot, guest_path);
    struct elfinfo m = elf_info(host_path, symbol);
    ok(m.ok, "'%s' has %s", host_path, symbol);
    if (!m.ok)
        return;
    uint64_t bias = 0x4000800000ull;
    struct symbols *s = symbols_new(sysroot);
    symbols_add_module(s, guest_path, bias, bias + m.lo, bias + m.hi);
    struct sym_code c;
    ok(symbols_code(s, bias + m.value + 4, &c), "%s through sysroot '%s'", guest_path, sysroot);
    is_str(c.function, symbol, "  ... the function, without a symbol version");
    symbols_format_code(&c, bias + m.value + 4, buf, sizeof buf);
    const char *file = c.file && strrchr(c.file, '/') ? strrchr(c.file, '/') + 1 : c.file;
    if (file)
        snprintf(want, sizeof want, "%s+0x4 (%s:%d)", symbol, file, c.line);
    else
        snprintf(want, sizeof want, "%s+0x4 (libc.so.6)", symbol);
    is_str(buf, want, "  ... formatted with the module, or the line where known");
    ok(symbols_error(s, 0) == NULL, "  ... no file errors");
    symbols_free(s);
}

static void test_missing_file(void)
{
    struct symbols *s = symbols_new("/nonexistent-sysroot");
    symbols_add_module(s, "/nonexistent/libfoo.so", 0x10000, 0x10000, 0x20000);
    struct sym_code c;
    char buf[128];
    ok(symbols_code(s, 0x10123, &c) && !c.function && c.offset == 0x123, "a missing file: module+offset");
    symbols_format_code(&c, 0x10123, buf, sizeof buf);
    is_str(buf, "libfoo.so+0x123", "  ... formatted");
    const char *e = symbols_error(s, 0);
    ok(e && strstr(e, "cannot open '/nonexistent/libfoo.so'") && strstr(e, "No such file"), "  ... the error: %s",
       e ? e : "(none)");
    ok(symbols_error(s, 1) == NULL, "  ... only one");
    ok(symbols_add_module(s, "x", 5, 5, 5) < 0, "an empty range is refused");
    symbols_free(s);
}

int main(void)
{
    const char *b = getenv("B");
    char dir[256];
    snprintf(dir, sizeof dir, "%s", b && *b ? b : "build");
    elf_version(EV_CURRENT);

    test_guest(dir, "x86_64", 0x555555554000ull);
    test_guest(dir, "x86_64-nopie", 0);
    test_guest(dir, "aarch64", 0x4000000000ull);
    test_guest(dir, "riscv64", 0x2aaaaab000ull);
    test_libc("/usr/aarch64-linux-gnu", "/lib/libc.so.6", "malloc");
    test_libc("/usr/riscv64-linux-gnu", "/lib/libc.so.6", "malloc");
    test_libc("", "/lib/x86_64-linux-gnu/libc.so.6", "pthread_create");
    test_missing_file();
    return tap_done();
}
