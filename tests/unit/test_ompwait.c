/* ompwait (analysis/ompwait.c): libgomp's task waits found in its symbol
 * table, checked against what the dynamic linker says of the same
 * library's symbols. */
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include "../../analysis/ompwait.h"
#include "tap.h"

struct found {
    uint64_t start[4], end[4];
    int n;
};

static int collect(void *arg, uint64_t start, uint64_t end)
{
    struct found *f = arg;
    if (f->n < 4) {
        f->start[f->n] = start;
        f->end[f->n] = end;
    }
    f->n++;
    return 0;
}

static struct found find_in(const char *path)
{
    struct found f = { .n = -1 };
    int fd = open(path, O_RDONLY);
    Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
    if (elf) {
        f.n = 0;
        ompwait_find(elf, collect, &f);
        elf_end(elf);
    }
    if (fd >= 0)
        close(fd);
    return f;
}

/* Whether f holds name's range, as the dynamic linker has it. */
static bool holds(const struct found *f, void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!p || !dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
        return false;
    uint64_t start = (uint64_t)((char *)p - (char *)info.dli_fbase);
    for (int i = 0; i < f->n && i < 4; i++)
        if (f->start[i] == start && f->end[i] == start + sym->st_size)
            return true;
    return false;
}

int main(void)
{
    elf_version(EV_CURRENT);
    ok(ompwait_runtime("/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0"), "libgomp is gcc's OpenMP runtime");
    ok(ompwait_runtime("libgomp.so.1"), "libgomp by its soname");
    ok(!ompwait_runtime("/usr/lib/llvm-14/lib/libomp.so.5"), "clang's libomp is not");
    ok(!ompwait_runtime("/usr/lib/x86_64-linux-gnu/libc.so.6"), "the C library is not");

    struct found self = find_in("/proc/self/exe");
    ok(self.n == 0, "none in a program without them (%d)", self.n);

    /* gcc's, which the OpenMP guests are built with. */
    void *lib = dlopen("libgomp.so.1", RTLD_NOW);
    Dl_info info;
    bool loaded = lib && dladdr(dlsym(lib, "GOMP_taskwait"), &info);
    ok(loaded, "libgomp.so.1 loaded");
    if (!loaded)
        return tap_done();
    struct found f = find_in(info.dli_fname);
    ok(f.n == 2, "two waits in %s (%d)", info.dli_fname, f.n);
    ok(holds(&f, lib, "GOMP_taskwait"), "GOMP_taskwait's range, as the dynamic linker has it");
    ok(holds(&f, lib, "GOMP_taskgroup_end"), "GOMP_taskgroup_end's range");
    /* Not closed: what libgomp allocated when loaded would then be lost,
     * which LeakSanitizer reports (make sanitize). */
    return tap_done();
}
