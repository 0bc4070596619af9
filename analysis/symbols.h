/* Symbolisation of guest addresses: code addresses to function and
 * file:line, data addresses to the global variable holding them. Built from
 * the modules a trace recorded (path, load bias, mapped range) with
 * elfutils, for any guest architecture (the ELF files are only read).
 *
 * A module's ELF file is opened and indexed on the first lookup that lands
 * in it; after that a lookup costs one probe of a direct-mapped cache of
 * recent answers, or on a miss two binary searches (module, symbol) and
 * libdw's line lookup. Not thread-safe: the cache is written on lookups.
 *
 * Strings in results (module path, names, source file) stay valid until
 * symbols_free(). */
#ifndef TCGTRACE_SYMBOLS_H
#define TCGTRACE_SYMBOLS_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbols;

/* A code address. `module` is NULL when no module covers the address (JIT
 * code, the vDSO if it was not recorded); the other fields are then 0. */
struct sym_code {
    const char *module;   /* path as recorded in the trace */
    uint64_t offset;      /* address - load bias: the ELF virtual address,
                             what addr2line -e MODULE and objdump expect */
    const char *function; /* NULL when no function symbol covers it */
    uint64_t func_offset; /* address - function start */
    uint64_t func_size;   /* the function's size in bytes, 0 when unknown */
    const char *file;     /* source file, NULL without line information */
    int line;             /* 0 without line information */
    bool inlined;         /* a function inlined there (symbols_inlined) */
};

/* A data address: the object symbol (global or file-static variable)
 * covering it. `module` as for sym_code. */
struct sym_data {
    const char *module;
    uint64_t offset;      /* address - load bias */
    const char *name;     /* NULL when no object symbol covers it */
    uint64_t name_offset; /* address - object start */
    uint64_t size;        /* the object's size in bytes */
    const char *section;  /* the ELF section holding it (".got.plt", ".bss"), NULL if none */
};

/* sysroot: where absolute module paths are looked up first (a foreign
 * guest's /lib/ld-linux-aarch64.so.1 is /usr/aarch64-linux-gnu/lib/...);
 * NULL or "/" for none. Paths missing there are tried as they are, as
 * QEMU's -L does. Returns NULL when out of memory. */
struct symbols *symbols_new(const char *sysroot);
void symbols_free(struct symbols *s);

/* Adds a mapped range [start, end) of the ELF file `path` loaded with
 * `bias` (run-time address - ELF virtual address; 0 for a non-PIE
 * executable). A file mapped in several ranges may be added once per range
 * or once for its whole extent; it is read once either way. Returns 0, or
 * -1 with errno set (ENOMEM; EINVAL when end <= start). */
int symbols_add_module(struct symbols *s, const char *path, uint64_t bias, uint64_t start, uint64_t end);

/* Fill *out for addr; false when no module covers it. Never fails: a module
 * whose file is missing or unreadable resolves to module+offset. */
bool symbols_code(struct symbols *s, uint64_t addr, struct sym_code *out);
/* As symbols_code without file and line (NULL, 0): no debug information
 * read, which a library's can take most of a short analysis to
 * decompress. */
bool symbols_function(struct symbols *s, uint64_t addr, struct sym_code *out);
/* The functions the compiler inlined at addr, as frames, innermost first,
 * up to max: frame i is the inlined function (its name from the debug
 * information, no offset) at the line table's file:line for i = 0, at the
 * call site of frame i - 1's inlined call after; the last is the function
 * they were inlined into (symbols_code's) at the outermost call's site.
 * Returns how many (0 when nothing was inlined at addr, or without debug
 * information: symbols_code then says it all). */
size_t symbols_inlined(struct symbols *s, uint64_t addr, struct sym_code *out, size_t max);
/* The compilation unit holding the code at addr, and in *dwaddr addr as
 * that unit's debug information gives addresses; NULL without one. */
Dwarf_Die *symbols_unit(struct symbols *s, uint64_t addr, Dwarf_Addr *dwaddr);
/* Whether path's file name starts with one of names' n strings. */
bool symbols_named(const char *path, const char *const *names, size_t n);
/* Whether the module at path is the C library or the dynamic loader
 * (libc.so.6, libpthread.so.0, ld-linux-*.so.*, ld.so), by its file name. */
bool symbols_c_library(const char *path);
/* Whether path's file name is an OpenMP runtime's: GCC's libgomp, LLVM's
 * libomp (clang -fopenmp). */
bool symbols_openmp_runtime(const char *path);
bool symbols_data(struct symbols *s, uint64_t addr, struct sym_data *out);

/* The module file at path as libdwfl reads it for lookups (from the
 * sysroot, with separate debug files), and in *dwbias its libdwfl
 * addresses minus its ELF virtual addresses; NULL when it cannot be read
 * (symbols_error says why). */
Dwfl_Module *symbols_module(struct symbols *s, const char *path, Dwarf_Addr *dwbias);
/* Whether the module file at path was read and has no debug information
 * (DWARF in the file, in a separate debug file found by build-id or
 * debuglink, or from a debuginfod server named in DEBUGINFOD_URLS). */
bool symbols_lacks_debuginfo(struct symbols *s, const char *path);

/* Copies up to len bytes of the code at addr, as the module's file holds
 * them (the bytes of a loaded segment), into buf. Returns how many: 0 when
 * no module or file covers addr. */
size_t symbols_code_bytes(struct symbols *s, uint64_t addr, uint8_t *buf, size_t len);

/* The one textual form of a result, shared by every report, into buf (like
 * snprintf: returns the length it needed):
 *   code: "kernel+0x12 (loop.c:14)", "malloc+0x40 (libc.so.6)",
 *         "libc.so.6+0x2a1ca", "0x7f0012345678" (in no module)
 *   data: "global 'counter'", "global 'src'+0x28", "libc.so.6+0x1d2a40",
 *         "0x7f0012345678" */
int symbols_format_code(const struct sym_code *c, uint64_t addr, char *buf, size_t size);
int symbols_format_data(const struct sym_data *d, uint64_t addr, char *buf, size_t size);

/* Why module files gave no symbols: the i-th message (from 0), such as
 * "cannot open '/usr/aarch64-linux-gnu/lib/libc.so.6': No such file or
 * directory", or NULL past the last one. Only files some lookup needed are
 * read, so call it after the lookups. For a report's footnote: lookups never
 * fail because of it. */
const char *symbols_error(const struct symbols *s, size_t i);

/* When the recording began (the trace header's start time, in ns since
 * the epoch), so that files modified after it are noted. */
void symbols_set_recorded(struct symbols *s, uint64_t ns);
/* The i-th file read that was modified after the recording began (a
 * program rebuilt since: its names, and what it declares atomic, may not
 * be those of what ran), or NULL past the last one. */
const char *symbols_changed(const struct symbols *s, size_t i);

#endif
