/* Symbolisation with elfutils: one Dwfl per ELF file, read lazily, whose
 * function and object symbols are copied once into sorted arrays. libdwfl's
 * own dwfl_module_addrsym scans the whole symbol table on every call, which
 * a report over millions of addresses cannot afford. */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demangle.h"
#include "inlines.h"
#include "units.h"
#include "sorted.h"
#include "symbols.h"

struct sym {
    uint64_t addr; /* in the file's Dwfl address space */
    uint64_t size;
    const char *name; /* owned by libelf, alive as long as the Dwfl, or by the file (shown_name) */
    /* The nearest earlier symbol whose extent covers this one's start, or
     * SIZE_MAX: lets a lookup that misses a small symbol nested in a larger
     * one fall back to the larger one. */
    size_t parent;
    int rank; /* lower wins among aliases at one address */
};

struct symvec {
    struct sym *v;
    size_t n, cap;
};

struct file {
    char *path; /* as recorded */
    int loaded;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    Dwarf_Addr dwbias; /* Dwfl address - ELF virtual address */
    struct symvec code, data;
    char **names; /* names without their version, owned here */
    size_t nnames, capnames;
    struct inlines inlines; /* symbols_inlined's index */
    struct units units;     /* units by address, where libdwfl has none */
};

struct range {
    uint64_t start, end, bias;
    struct file *file;
};

/* Direct-mapped caches of recent answers, one per kind of lookup: reports
 * look the same hot addresses up again and again. */
#define CACHE_SIZE 4096
union answer {
    struct sym_code code;
    struct sym_data data;
};
struct slot {
    uint64_t addr;
    int state; /* 0 empty, 1 found, 2 in no module */
    union answer r;
};

struct symbols {
    char *sysroot; /* NULL for none */
    struct file **files;
    size_t nfiles;
    struct range *ranges;
    size_t nranges;
    int sorted;
    char **errors;
    size_t nerrors;
    char **changed; /* files modified after the recording */
    size_t nchanged;
    uint64_t recorded_ns; /* when the recording began, 0 unknown */
    struct slot *ccache, *dcache, *fcache;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct symbols *symbols_new(const char *sysroot)
{
    struct symbols *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ccache = calloc(CACHE_SIZE, sizeof *s->ccache);
    s->dcache = calloc(CACHE_SIZE, sizeof *s->dcache);
    s->fcache = calloc(CACHE_SIZE, sizeof *s->fcache);
    if (sysroot && *sysroot && strcmp(sysroot, "/") != 0)
        s->sysroot = strdup(sysroot);
    if (!s->ccache || !s->dcache || !s->fcache || (sysroot && *sysroot && strcmp(sysroot, "/") != 0 && !s->sysroot)) {
        symbols_free(s);
        return NULL;
    }
    return s;
}

void symbols_free(struct symbols *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfiles; i++) {
        struct file *f = s->files[i];
        if (f->dwfl)
            dwfl_end(f->dwfl);
        free(f->code.v);
        free(f->data.v);
        for (size_t j = 0; j < f->nnames; j++)
            free(f->names[j]);
        free(f->names);
        inlines_free(&f->inlines);
        units_free(&f->units);
        free(f->path);
        free(f);
    }
    for (size_t i = 0; i < s->nerrors; i++)
        free(s->errors[i]);
    free(s->errors);
    for (size_t i = 0; i < s->nchanged; i++)
        free(s->changed[i]);
    free(s->changed);
    free(s->files);
    free(s->ranges);
    free(s->ccache);
    free(s->dcache);
    free(s->fcache);
    free(s->sysroot);
    free(s);
}

static void clear_caches(struct symbols *s)
{
    memset(s->ccache, 0, CACHE_SIZE * sizeof *s->ccache);
    memset(s->dcache, 0, CACHE_SIZE * sizeof *s->dcache);
    memset(s->fcache, 0, CACHE_SIZE * sizeof *s->fcache);
}

static struct file *file_for(struct symbols *s, const char *path)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i]->path, path))
            return s->files[i];
    struct file **files = realloc(s->files, (s->nfiles + 1) * sizeof *files);
    if (!files)
        return NULL;
    s->files = files;
    struct file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->path = strdup(path);
    if (!f->path) {
        free(f);
        return NULL;
    }
    s->files[s->nfiles++] = f;
    return f;
}

int symbols_add_module(struct symbols *s, const char *path, uint64_t bias, uint64_t start, uint64_t end)
{
    if (end <= start) {
        errno = EINVAL;
        return -1;
    }
    struct file *f = file_for(s, path);
    if (!f)
        return -1;
    struct range *r = realloc(s->ranges, (s->nranges + 1) * sizeof *r);
    if (!r)
        return -1;
    s->ranges = r;
    s->ranges[s->nranges++] = (struct range){ start, end, bias, f };
    s->sorted = 0;
    clear_caches(s);
    return 0;
}

/* Failures to read a file are kept as messages for symbols_error(); out of
 * memory here only loses the message. */
/* Appends str (NULL: out of memory, nothing appended) to a list of
 * strings the symbols own; out of memory loses it. */
static void append(char ***list, size_t *n, char *str)
{
    char **l = str ? realloc(*list, (*n + 1) * sizeof *l) : NULL;
    if (!l) {
        free(str);
        return;
    }
    *list = l;
    l[(*n)++] = str;
}

static void add_error(struct symbols *s, const char *fmt, const char *a, const char *b)
{
    char *e;
    append(&s->errors, &s->nerrors, asprintf(&e, fmt, a, b) >= 0 ? e : NULL);
}

const char *symbols_error(const struct symbols *s, size_t i)
{
    return i < s->nerrors ? s->errors[i] : NULL;
}

void symbols_set_recorded(struct symbols *s, uint64_t ns)
{
    s->recorded_ns = ns;
}

const char *symbols_changed(const struct symbols *s, size_t i)
{
    return i < s->nchanged ? s->changed[i] : NULL;
}

/* A file read for names whose modification time is after the recording
 * began: it may not be what was run (a program rebuilt since). Out of
 * memory here only loses the note. */
static void note_changed(struct symbols *s, const char *path, const struct stat *st)
{
    uint64_t mtime = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
    if (s->recorded_ns && mtime > s->recorded_ns)
        append(&s->changed, &s->nchanged, strdup(path));
}

static int symvec_push(struct symvec *v, struct sym sym)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        struct sym *nv = realloc(v->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = sym;
    return 0;
}

/* Among aliases (malloc and __libc_malloc), report the name a programmer
 * wrote: a sized symbol over an unsized one (a static variable over the
 * linker's __bss_start or __TMC_END__ at its address), then a global over
 * a weak over a local binding, then the fewest leading underscores. */
static int rank_of(const GElf_Sym *sym, const char *name)
{
    int bind = GELF_ST_BIND(sym->st_info);
    int rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    int underscores = 0;
    while (name[underscores] == '_' && underscores < 3)
        underscores++;
    return (sym->st_size ? 0 : 16) + rank * 4 + underscores;
}

static int sym_cmp(const void *a, const void *b)
{
    const struct sym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return strcmp(x->name, y->name);
}

/* Sorts, keeps one symbol per address and links each symbol to the one
 * enclosing it, if any. */
static void symvec_index(struct symvec *v)
{
    if (!v->n)
        return;
    qsort(v->v, v->n, sizeof *v->v, sym_cmp);
    size_t n = 1;
    for (size_t i = 1; i < v->n; i++)
        if (v->v[i].addr != v->v[n - 1].addr)
            v->v[n++] = v->v[i];
    v->n = n;
    for (size_t i = 0; i < n; i++) {
        size_t p = i ? i - 1 : SIZE_MAX;
        while (p != SIZE_MAX && v->v[p].addr + v->v[p].size <= v->v[i].addr)
            p = v->v[p].parent;
        v->v[i].parent = p;
    }
}

static const struct sym *symvec_find(const struct symvec *v, uint64_t addr)
{
    size_t lo = SORTED_FIRST(v->v, v->n, struct sym, addr, addr, true);
    for (size_t i = lo ? lo - 1 : SIZE_MAX; i != SIZE_MAX; i = v->v[i].parent) {
        const struct sym *sym = &v->v[i];
        if (addr < sym->addr + sym->size || addr == sym->addr)
            return sym;
    }
    return NULL;
}

/* Keeps s, which f owns from now on; NULL when out of room. */
static const char *keep_name(struct file *f, char *s)
{
    if (f->nnames == f->capnames) {
        size_t cap = f->capnames ? 2 * f->capnames : 64;
        char **names = realloc(f->names, cap * sizeof *names);
        if (!names) {
            free(s);
            return NULL;
        }
        f->names = names;
        f->capnames = cap;
    }
    f->names[f->nnames++] = s;
    return s;
}

/* A symbol's name as people read it: without the version the linker wrote
 * into .symtab (pthread_create, not pthread_create@@GLIBC_2.34), and
 * demangled (demangle.h: app::Counter::add(), not _ZN3app7Counter3addEv),
 * as ThreadSanitizer and addr2line -C show them. Out of memory keeps the
 * name as it is. */
static const char *shown_name(struct file *f, const char *name)
{
    const char *at = strchr(name, '@');
    char *copy = NULL;
    if (at && at != name && !(copy = strndup(name, (size_t)(at - name))))
        return name;
    char *demangled = demangle(copy ? copy : name);
    if (demangled) {
        free(copy);
        copy = demangled;
    }
    const char *kept = copy ? keep_name(f, copy) : NULL;
    return kept ? kept : name;
}

static void load_symbols(struct file *f)
{
    int n = dwfl_module_getsymtab(f->mod);
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(f->mod, i, &sym, &addr, &shndx, NULL, NULL);
        /* '$x', '$d': the ARM and RISC-V mapping symbols, untyped anyway. */
        if (!name || !*name || name[0] == '$' || shndx == SHN_UNDEF)
            continue;
        int type = GELF_ST_TYPE(sym.st_info);
        struct symvec *v = type == STT_FUNC || type == STT_GNU_IFUNC ? &f->code : type == STT_OBJECT ? &f->data : NULL;
        if (!v)
            continue;
        int rank = rank_of(&sym, name);
        if (symvec_push(v, (struct sym){ addr, sym.st_size, shown_name(f, name), SIZE_MAX, rank }) < 0)
            break;
    }
    symvec_index(&f->code);
    symvec_index(&f->data);
}

static void load_file(struct symbols *s, struct file *f)
{
    f->loaded = 1;
    /* "[vdso]": the kernel's, with no file to read, which is no error. */
    if (f->path[0] == '[')
        return;
    char *real = NULL;
    const char *open_path = f->path;
    if (s->sysroot && f->path[0] == '/' && asprintf(&real, "%s%s", s->sysroot, f->path) >= 0) {
        if (access(real, R_OK) == 0)
            open_path = real;
    }
    /* Opened here first for a message naming the errno (libdwfl's own
     * errors only say "no such file"), and to keep libdwfl from opening
     * what is no regular file: a FIFO would make it wait for a writer
     * forever, as open(2) does without O_NONBLOCK. */
    struct stat st;
    int fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    const char *why = fd < 0 || fstat(fd, &st) < 0 ? strerror(errno) : !S_ISREG(st.st_mode) ? "not a regular file" : NULL;
    if (fd >= 0)
        close(fd);
    if (!why)
        note_changed(s, open_path, &st);
    if (why) {
        add_error(s, fd < 0 ? "cannot open '%s': %s" : "cannot read '%s': %s", open_path, why);
        free(real);
        return;
    }
    f->dwfl = dwfl_begin(&callbacks);
    if (f->dwfl) {
        f->mod = dwfl_report_offline(f->dwfl, basename(f->path), open_path, -1);
        dwfl_report_end(f->dwfl, NULL, NULL);
    }
    if (!f->mod || !dwfl_module_getelf(f->mod, &f->dwbias)) {
        add_error(s, "cannot read '%s': %s", open_path, dwfl_errmsg(-1));
        if (f->dwfl)
            dwfl_end(f->dwfl);
        f->dwfl = NULL;
        f->mod = NULL;
    } else {
        load_symbols(f);
    }
    free(real);
}

Dwfl_Module *symbols_module(struct symbols *s, const char *path, Dwarf_Addr *dwbias)
{
    struct file *f = file_for(s, path);
    if (!f)
        return NULL;
    if (!f->loaded)
        load_file(s, f);
    *dwbias = f->dwbias;
    return f->mod;
}

bool symbols_lacks_debuginfo(struct symbols *s, const char *path)
{
    Dwarf_Addr dwbias, bias;
    Dwfl_Module *m = symbols_module(s, path, &dwbias);
    return m && !dwfl_module_getdwarf(m, &bias);
}

static int range_cmp(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static const struct range *find_range(struct symbols *s, uint64_t addr)
{
    if (!s->sorted) {
        /* No module yet: ranges is NULL, which qsort must not be given. */
        if (s->nranges)
            qsort(s->ranges, s->nranges, sizeof *s->ranges, range_cmp);
        s->sorted = 1;
    }
    size_t lo = SORTED_FIRST(s->ranges, s->nranges, struct range, start, addr, true);
    if (!lo || addr >= s->ranges[lo - 1].end)
        return NULL;
    const struct range *r = &s->ranges[lo - 1];
    if (!r->file->loaded)
        load_file(s, r->file);
    return r;
}

static size_t slot_of(uint64_t addr)
{
    /* Fibonacci hashing: neighbouring addresses spread over the cache. */
    return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 52) & (CACHE_SIZE - 1);
}

/* Fills in an answer of one kind once the module f covering the address is
 * known: offset is the address in its ELF file, dwaddr in its Dwfl (for its
 * symbols and lines, when the file could be read: f->mod). */
typedef void namer(union answer *a, struct file *f, uint64_t offset, uint64_t dwaddr);

static void name_function(union answer *a, struct file *f, uint64_t offset, uint64_t dwaddr)
{
    struct sym_code *c = &a->code;
    c->module = f->path;
    c->offset = offset;
    const struct sym *sym = f->mod ? symvec_find(&f->code, dwaddr) : NULL;
    if (sym) {
        c->function = sym->name;
        c->func_offset = dwaddr - sym->addr;
        c->func_size = sym->size;
    }
}

static void name_code(union answer *a, struct file *f, uint64_t offset, uint64_t dwaddr)
{
    struct sym_code *c = &a->code;
    name_function(a, f, offset, dwaddr);
    if (!f->mod)
        return;
    /* Code of no unit between two functions of one (crt1.o's _start after
     * a C++ main in .text.startup) has no line, as addr2line says; libdwfl
     * would give it the unit before it and that unit's last row. */
    Dwarf_Addr bias;
    Dwarf_Die *cu = units_find(&f->units, f->mod, dwaddr, &bias);
    Dwarf_Line *line = cu ? dwarf_getsrc_die(cu, dwaddr - bias) : NULL;
    if (line && (c->file = dwarf_linesrc(line, NULL, NULL)) && dwarf_lineno(line, &c->line) != 0)
        c->file = NULL;
    if (!c->file)
        c->line = 0;
}

/* The name of the allocated section of elf that holds virtual address
 * vaddr, NULL for none. It lives as long as elf. */
static const char *section_of(Elf *elf, uint64_t vaddr)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) && vaddr >= sh.sh_addr &&
            vaddr - sh.sh_addr < sh.sh_size)
            return elf_strptr(elf, shstrndx, sh.sh_name);
    }
    return NULL;
}

static void name_data(union answer *a, struct file *f, uint64_t offset, uint64_t dwaddr)
{
    struct sym_data *d = &a->data;
    d->module = f->path;
    d->offset = offset;
    if (!f->mod)
        return;
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(f->mod, &bias);
    if (elf)
        d->section = section_of(elf, offset);
    const struct sym *sym = symvec_find(&f->data, dwaddr);
    if (sym) {
        d->name = sym->name;
        d->name_offset = dwaddr - sym->addr;
        d->size = sym->size;
    }
}

/* A lookup of either kind, through its cache; false when no module covers
 * addr (the answer is then all zero). */
static bool lookup(struct symbols *s, struct slot *cache, namer *name, uint64_t addr, union answer *out)
{
    struct slot *slot = &cache[slot_of(addr)];
    if (!slot->state || slot->addr != addr) {
        const struct range *r = find_range(s, addr);
        memset(&slot->r, 0, sizeof slot->r);
        if (r)
            name(&slot->r, r->file, addr - r->bias, addr - r->bias + r->file->dwbias);
        slot->addr = addr;
        slot->state = r ? 1 : 2;
    }
    *out = slot->r;
    return slot->state == 1;
}

bool symbols_code(struct symbols *s, uint64_t addr, struct sym_code *out)
{
    union answer a;
    bool found = lookup(s, s->ccache, name_code, addr, &a);
    *out = a.code;
    return found;
}

bool symbols_function(struct symbols *s, uint64_t addr, struct sym_code *out)
{
    union answer a;
    bool found = lookup(s, s->fcache, name_function, addr, &a);
    *out = a.code;
    return found;
}

/* An inlined function's name: its linkage name demangled, else its name. */
static const char *inlined_name(struct file *f, Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
    if (name)
        return shown_name(f, name);
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

/* Where an inlined call was made: file and line of its call site. */
static void call_site(Dwarf_Die *inlined, Dwarf_Files *files, struct sym_code *c)
{
    Dwarf_Attribute a;
    Dwarf_Word file = 0, line = 0;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &a), &file) != 0 ||
        dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &a), &line) != 0 || !files) {
        c->file = NULL;
        c->line = 0;
        return;
    }
    c->file = dwarf_filesrc(files, file, NULL, NULL);
    c->line = c->file ? (int)line : 0;
}

/* Inlined calls nest this deep at most; deeper ones are left out. */
#define INLINE_DEPTH 32

/* The compilation unit holding addr in r's file, and in *dwaddr addr as
 * that unit's debug information gives addresses; NULL without one. */
static Dwarf_Die *unit_at(const struct range *r, uint64_t addr, Dwarf_Addr *dwaddr)
{
    Dwarf_Addr cubias, a = addr - r->bias + r->file->dwbias;
    Dwarf_Die *cudie = units_find(&r->file->units, r->file->mod, a, &cubias);
    if (cudie)
        *dwaddr = a - cubias;
    return cudie;
}

size_t symbols_inlined(struct symbols *s, uint64_t addr, struct sym_code *out, size_t max)
{
    struct sym_code outer;
    const struct range *r = find_range(s, addr);
    if (!r || !r->file->mod || max < 2 || !symbols_code(s, addr, &outer))
        return 0;
    struct file *f = r->file;
    Dwarf_Addr dwaddr;
    Dwarf_Die *cudie = unit_at(r, addr, &dwaddr), chain[INLINE_DEPTH];
    int depth = cudie ? inlines_at(&f->inlines, cudie, dwaddr, chain, INLINE_DEPTH) : 0;
    if (depth <= 0)
        return 0;
    Dwarf_Files *files;
    size_t nfiles, n = 0;
    if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0)
        files = NULL;
    struct sym_code frame = outer; /* the line table's file:line first */
    for (int i = depth; i-- > 0 && n + 1 < max;) {
        frame.function = inlined_name(f, &chain[i]);
        frame.func_offset = frame.func_size = 0;
        frame.inlined = true;
        out[n++] = frame;
        call_site(&chain[i], files, &frame);
    }
    outer.file = frame.file;
    outer.line = frame.line;
    out[n++] = outer;
    return n;
}

Dwarf_Die *symbols_unit(struct symbols *s, uint64_t addr, Dwarf_Addr *dwaddr)
{
    const struct range *r = find_range(s, addr);
    return r && r->file->mod ? unit_at(r, addr, dwaddr) : NULL;
}

bool symbols_data(struct symbols *s, uint64_t addr, struct sym_data *out)
{
    union answer a;
    bool found = lookup(s, s->dcache, name_data, addr, &a);
    *out = a.data;
    return found;
}

size_t symbols_code_bytes(struct symbols *s, uint64_t addr, uint8_t *buf, size_t len)
{
    const struct range *r = find_range(s, addr);
    Dwarf_Addr bias;
    Elf *elf = r && r->file->mod ? dwfl_module_getelf(r->file->mod, &bias) : NULL;
    size_t nph;
    if (!elf || elf_getphdrnum(elf, &nph) != 0)
        return 0;
    uint64_t vaddr = addr - r->bias;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
            vaddr - ph.p_vaddr >= ph.p_filesz)
            continue;
        uint64_t n = ph.p_filesz - (vaddr - ph.p_vaddr);
        if (n > len)
            n = len;
        Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)(ph.p_offset + (vaddr - ph.p_vaddr)), n, ELF_T_BYTE);
        if (!d || d->d_size < n)
            return 0;
        memcpy(buf, d->d_buf, n);
        return n;
    }
    return 0;
}

int symbols_format_code(const struct sym_code *c, uint64_t addr, char *buf, size_t size)
{
    if (!c->module)
        return snprintf(buf, size, "0x%" PRIx64, addr);
    if (!c->function)
        return snprintf(buf, size, "%s+0x%" PRIx64, basename(c->module), c->offset);
    char off[24] = "";
    if (c->func_offset)
        snprintf(off, sizeof off, "+0x%" PRIx64, c->func_offset);
    if (c->file)
        return snprintf(buf, size, "%s%s (%s:%d)", c->function, off, basename(c->file), c->line);
    return snprintf(buf, size, "%s%s (%s)", c->function, off, basename(c->module));
}

int symbols_format_data(const struct sym_data *d, uint64_t addr, char *buf, size_t size)
{
    if (!d->module)
        return snprintf(buf, size, "0x%" PRIx64, addr);
    if (!d->name)
        return snprintf(buf, size, "%s+0x%" PRIx64, basename(d->module), d->offset);
    if (d->name_offset)
        return snprintf(buf, size, "global '%s'+0x%" PRIx64, d->name, d->name_offset);
    return snprintf(buf, size, "global '%s'", d->name);
}

bool symbols_named(const char *path, const char *const *names, size_t n)
{
    const char *base = basename(path);
    for (size_t i = 0; i < n; i++)
        if (!strncmp(base, names[i], strlen(names[i])))
            return true;
    return false;
}

bool symbols_c_library(const char *path)
{
    static const char *const names[] = { "libc.so", "libpthread.so", "ld-linux", "ld.so" };
    return symbols_named(path, names, sizeof names / sizeof names[0]);
}

bool symbols_openmp_runtime(const char *path)
{
    static const char *const names[] = { "libgomp.so", "libomp.so" };
    return symbols_named(path, names, sizeof names / sizeof names[0]);
}
