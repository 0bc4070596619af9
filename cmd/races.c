/* tcgtrace races: data races in a trace, or in a program run under QEMU
 * for the purpose (recorded by record_run, then analysed). The analysis is
 * analysis/racetrace.c over the detector of analysis/race.h; this file
 * chooses what to show, names it, and prints it as ThreadSanitizer-shaped
 * text or one JSON document (docs/races.md), through a table of output
 * formats. Exit status: 66 when races are reported (ThreadSanitizer's),
 * else the program's status (0 for a trace), 1 on an error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../analysis/racetrace.h"
#include "../analysis/suppress.h"
#include "cmd.h"
#include "guest.h"
#include "json.h"
#include "progress.h"
#include "record.h"
#include "tcgtrace/format.h"
#include "tcgtrace/reader.h"

#define RACES_EXIT 66

/* Code of these libraries is left out of reports: their internal
 * synchronisation (glibc's condition variables, libgomp's barriers) uses
 * relaxed atomics compiled to plain instructions, which a binary does not
 * tell from racy ones; ThreadSanitizer does not instrument them either. A
 * race is shown when one of its accesses is elsewhere. */
/* Beside the C library and the dynamic loader (symbols_c_library), and
 * the OpenMP runtimes (symbols_openmp_runtime). */
static const char *const runtime_libs[] = { "[vdso]" };

/* Races of these libraries' code on their own data are left out too: the
 * C++ runtime initialises caches lazily with no lock, both threads
 * writing the same (std::ctype<char>'s widen table, read by every
 * insertion of a number into a stream); ThreadSanitizer, which does not
 * see inside them, reports none. Their code on the program's data (a
 * std::string appended to by two threads) is still shown. */
static const char *const runtime_data_libs[] = { "libstdc++.so", "libgcc_s.so" };

/* A call stack, innermost first: the pc, then the calls that led there,
 * each with the functions inlined there. */
#define MAX_FRAMES 64
struct stack {
    uint64_t pc[MAX_FRAMES];
    struct sym_code code[MAX_FRAMES];
    size_t n;
};

/* One side of a race, named. */
struct side {
    const struct tt_race_access *a;
    int32_t thread; /* index in the thread table; -1 unknown */
    struct stack stack;
};

/* What the memory is. */
enum location_kind { LOC_GLOBAL, LOC_MODULE, LOC_STACK, LOC_HEAP, LOC_MAPPING, LOC_UNKNOWN };

struct location {
    enum location_kind kind;
    struct sym_data data; /* LOC_GLOBAL, LOC_MODULE */
    int32_t thread;       /* LOC_STACK */
    struct stack alloc;   /* LOC_HEAP: where the block was allocated */
    struct mapset_range mapping;
};

struct shown {
    const struct racetrace_report *rep;
    struct side cur, prev; /* the access that found the race, and the earlier one */
    struct location loc;
    uint64_t count; /* occurrences, of every pair of pcs grouped into it */
    size_t pairs;   /* pairs of pcs grouped into it (group_races) */
    size_t supp;    /* the suppression that matched it (suppression_of) */
};

struct report {
    const char *trace;   /* NULL for a temporary one */
    const char *program; /* the guest's argv[0], "" if unknown */
    const struct tt_header *h;
    struct symbols *syms;
    const struct racetrace *rt;
    const struct racetrace_thread *threads;
    size_t nthreads;
    struct racetrace_stats st;
    double seconds, cpu_seconds; /* the analysis, wall and CPU */
    const char *state;   /* "complete", "cut-short" or "corrupt" */
    const char *problem; /* the reader's error, NULL when complete */
    int write_errno;     /* why the writer lost records (trailer), or 0 */
    size_t nshown, hidden;
    uint64_t occurrences;
    const struct suppressions *supp; /* --suppressions */
    uint64_t *supp_hits;             /* races each suppressed */
    size_t suppressed;
    /* Modules of the races shown without debug information for their
     * code (find_bare); partial: the module has some elsewhere. */
    const char *bare[16];
    bool bare_partial[16];
    size_t nbare;
};

/* An output format: begin, each race shown, the end. */
struct format {
    const char *name;
    void (*begin)(struct report *rp);
    void (*race)(struct report *rp, const struct shown *s, size_t i);
    void (*end)(const struct report *rp);
};

/* --- Naming ------------------------------------------------------------ */

/* Whether an address of module (code or data) is the runtime libraries':
 * by module, or the C library linked into a static program
 * (racetrace_runtime). */
static bool runtime_at(const struct report *rp, uint64_t addr, const char *module)
{
    if (!module)
        return false;
    return racetrace_runtime(rp->rt, addr) || symbols_c_library(module) || symbols_openmp_runtime(module) ||
           symbols_named(module, runtime_libs, sizeof runtime_libs / sizeof runtime_libs[0]);
}

/* Whether code at pc (named c) is the runtime libraries'. */
static bool in_runtime(const struct report *rp, uint64_t pc, const struct sym_code *c)
{
    return runtime_at(rp, pc, c->module);
}

static bool in_runtime_data_lib(const char *module)
{
    return module && symbols_named(module, runtime_data_libs, sizeof runtime_data_libs / sizeof runtime_data_libs[0]);
}

/* Whether a race is on the data of one of runtime_data_libs, both its
 * accesses by runtime code (that library's, or the C library's it
 * called: _M_widen_init compares its table with memcmp). */
static bool in_runtime_data(struct report *rp, const struct racetrace_report *r, const struct sym_code *first,
                            const struct sym_code *second)
{
    struct sym_data d;
    return (in_runtime_data_lib(first->module) || in_runtime(rp, r->race.first.pc, first)) &&
           (in_runtime_data_lib(second->module) || in_runtime(rp, r->race.second.pc, second)) &&
           symbols_data(rp->syms, r->race.second.addr, &d) && in_runtime_data_lib(d.module);
}

static bool user_code(const struct report *rp, uint64_t pc, const struct sym_code *c)
{
    return c->module && !in_runtime(rp, pc, c);
}

/* pc and the calls that led there, named. As ThreadSanitizer does, a
 * stack stops at the program's outermost function with a source line
 * (main, a thread's start routine: what starts them is the C library's),
 * and a thread's creation starts at the library's entry point the program
 * called (pthread_create), not inside it. */
static void name_stack(struct report *rp, struct stack *st, uint64_t pc, const struct racetrace_calls *calls,
                       bool creation)
{
    st->n = 0;
    for (uint32_t i = 0; i <= (calls ? calls->n : 0) && st->n < MAX_FRAMES; i++) {
        uint64_t at = i ? calls->pc[i - 1] : pc;
        struct sym_code *c = &st->code[st->n];
        symbols_code(rp->syms, at, c);
        /* The program's inlined functions as frames of their own, as
         * ThreadSanitizer shows them: a race in a C++ or Rust library
         * template names its line, then the program's line it was
         * inlined into. Not the runtime libraries'. */
        size_t k = user_code(rp, at, c) ? symbols_inlined(rp->syms, at, c, MAX_FRAMES - st->n) : 0;
        for (size_t j = 0; j < (k ? k : 1); j++)
            st->pc[st->n++] = at;
    }
    size_t first = 0, last = st->n;
    while (first < st->n && !user_code(rp, st->pc[first], &st->code[first]))
        first++;
    for (size_t i = st->n; i-- > first;)
        if (user_code(rp, st->pc[i], &st->code[i]) && st->code[i].file) {
            last = i + 1;
            break;
        }
    first = creation && first > 0 && first < st->n ? first - 1 : 0;
    st->n = last - first;
    memmove(st->pc, st->pc + first, st->n * sizeof *st->pc);
    memmove(st->code, st->code + first, st->n * sizeof *st->code);
}

/* Whether the address is a GOT entry. The dynamic loader's lazy binding
 * writes one that another thread's PLT stub reads, with no synchronisation
 * the binary shows: glibc relies on the 8-byte store being atomic. */
static bool in_got(struct report *rp, uint64_t addr)
{
    struct sym_data d;
    return symbols_data(rp->syms, addr, &d) && d.section &&
           (!strcmp(d.section, ".got") || !strcmp(d.section, ".got.plt"));
}

/* Whether an access is lazy binding's store into a GOT entry: the dynamic
 * loader's resolver, known by name even when the program's file, whose
 * sections in_got needs, cannot be read (a trace analysed elsewhere). */
static bool binds_lazily(const struct tt_race_access *a, const struct sym_code *c)
{
    return a->write && c->function && (!strcmp(c->function, "_dl_fixup") || !strcmp(c->function, "_dl_profile_fixup"));
}

/* Whether addr is in one of C++'s standard stream objects. The standard
 * promises that their concurrent use is no data race ([iostreams.
 * threadsafety]); libstdc++ keeps it by writing the same values (each
 * insertion resets the width to 0), with no lock, and ThreadSanitizer,
 * which does not see inside it, reports nothing. Two threads printing
 * with std::cout got six reports. */
static bool in_standard_stream(struct report *rp, uint64_t addr)
{
    static const char *const streams[] = { "std::cout", "std::cerr", "std::clog", "std::cin",
                                           "std::wcout", "std::wcerr", "std::wclog", "std::wcin" };
    struct sym_data d;
    if (!symbols_data(rp->syms, addr, &d) || !d.name)
        return false;
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++)
        if (!strcmp(d.name, streams[i]))
            return true;
    return false;
}

/* Whether [lo, hi) is on a thread's stack, below its first stack pointer
 * (above it lie the thread-local storage and descriptor of a thread the C
 * library made). */
static bool on_stack(const struct report *rp, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < rp->nthreads; i++)
        if (lo >= rp->threads[i].stack_start && hi <= rp->threads[i].stack_top)
            return true;
    return false;
}

/* Whether the memory a race is on is the program's, which the runtime
 * libraries touch only on its behalf (memcpy, memset, fread into its
 * buffer): a global of a module of its own, a heap block its code
 * allocated, or a thread's stack; not near a synchronisation location, as
 * a pthread object's relaxed fields are. ThreadSanitizer checks such calls
 * too, in its interceptors. */
static bool program_memory(struct report *rp, const struct racetrace_report *r)
{
    uint64_t addr = r->race.second.addr;
    struct sym_data d;
    bool own;
    if (symbols_data(rp->syms, addr, &d)) {
        own = !runtime_at(rp, addr, d.module) && !in_runtime_data_lib(d.module);
    } else {
        /* The bytes both touched must be the block's: memcmp's vector
         * loads read past a string's end into the next chunk's header,
         * which another thread's malloc writes (the allocator's data). */
        const struct tt_race_access *a = &r->race.first, *b = &r->race.second;
        uint64_t lo = a->addr > b->addr ? a->addr : b->addr;
        uint64_t hi = a->addr + a->size < b->addr + b->size ? a->addr + a->size : b->addr + b->size;
        struct sym_code caller;
        own = r->block.found && r->block.alloc.n > 1 && lo >= r->block.start &&
              hi <= r->block.start + r->block.size;
        if (own) {
            symbols_function(rp->syms, r->block.alloc.pc[1], &caller);
            own = user_code(rp, r->block.alloc.pc[1], &caller);
        } else {
            own = !r->block.found && on_stack(rp, lo, hi);
        }
    }
    return own && !r->sync_near;
}

/* Whether an access inside the runtime libraries was made by a function
 * the program called itself (memcpy, memset), not by one that function
 * called: printf's copy into stdout's buffer is made under the C
 * library's own lock, an order the detector does not take (docs/races.md),
 * and was reported on a buffer the program gave setvbuf. The next frame
 * or the one after is the program's (a function that calls nothing saves
 * no return address on arm64 and riscv64: its caller is missing, and its
 * caller's caller shows, the program's or libgomp's), or no frame is (the
 * caller was a thread's start routine, the thread's start is left). */
static bool called_by_program(struct report *rp, const struct racetrace_calls *calls)
{
    for (uint32_t i = 0; i < calls->n; i++) {
        struct sym_code c;
        symbols_function(rp->syms, calls->pc[i], &c);
        if (user_code(rp, calls->pc[i], &c))
            return i <= 1;
    }
    return true;
}

/* Whether the access's thread runs none of the program's code: a thread
 * of the runtime's own, such as glibc's aio helper. It updates the
 * program's aiocb under the C library's own lock, an order the detector
 * does not take ("Races left out"), against the program's calls that wait
 * for it and its reuse of the aiocb after them. Its races are the
 * runtime's, as for ThreadSanitizer, which does not see into the C
 * library. */
static bool runtime_thread(const struct report *rp, int32_t thread)
{
    return thread >= 0 && (size_t)thread < rp->nthreads && !rp->threads[thread].ran_program;
}

/* Whether a race is between a read the allocator made inside a malloc
 * (or calloc, or an aligned allocation) and a block live when the race was
 * found: glibc's fastbin pop reads the first chunk's link, and another
 * thread can pop that chunk meanwhile and write to its block; the
 * compare-and-swap that follows then fails, and the read is thrown away
 * (a C++ thread pool built with -O0: 4 runs of 30). A freed block (a
 * write after free) is still shown. The earlier access's calls are known
 * only after racetrace_previous: before (first_known false), only the
 * later access is asked. */
static bool allocator_read(struct report *rp, const struct racetrace_report *r, const struct sym_code *first,
                           const struct sym_code *second, bool first_known)
{
    if (!r->block.found)
        return false;
    return (!r->race.second.write && in_runtime(rp, r->race.second.pc, second) &&
            racetrace_allocating(rp->rt, &r->second_calls)) ||
           (first_known && !r->race.first.write && in_runtime(rp, r->race.first.pc, first) &&
            racetrace_allocating(rp->rt, &r->first_calls));
}

/* Whether a race is shown: one of its accesses is outside the runtime
 * libraries, or both are inside, on the program's memory, and one for a
 * call of the program's; its address is no GOT entry nor a standard
 * stream's; or --all. The earlier access's calls are known only after
 * racetrace_previous: before (first_known false), whether it may be. */
static bool shows_if(struct report *rp, const struct racetrace_report *r, bool all, bool first_known)
{
    struct sym_code first, second;
    symbols_function(rp->syms, r->race.first.pc, &first);
    symbols_function(rp->syms, r->race.second.pc, &second);
    return all || ((!in_runtime(rp, r->race.first.pc, &first) || !in_runtime(rp, r->race.second.pc, &second) ||
                    (program_memory(rp, r) && (called_by_program(rp, &r->second_calls) || !first_known ||
                                               called_by_program(rp, &r->first_calls)))) &&
                   !runtime_thread(rp, r->first_thread) && !runtime_thread(rp, r->second_thread) &&
                   !in_got(rp, r->race.second.addr) && !in_standard_stream(rp, r->race.second.addr) &&
                   !in_runtime_data(rp, r, &first, &second) && !allocator_read(rp, r, &first, &second, first_known) &&
                   !binds_lazily(&r->race.first, &first) && !binds_lazily(&r->race.second, &second));
}

static bool shows(struct report *rp, const struct racetrace_report *r, bool all)
{
    return shows_if(rp, r, all, true);
}

/* Whether a suppression pattern matches a frame: its function, source
 * file or module. */
static bool frame_matches(const char *pattern, const struct sym_code *c)
{
    return suppression_matches(pattern, c->function) || suppression_matches(pattern, c->file) ||
           suppression_matches(pattern, c->module);
}

static bool stack_matches(const char *pattern, const struct stack *st, bool top)
{
    for (size_t i = 0; i < (top ? 1 : st->n); i++)
        if (frame_matches(pattern, &st->code[i]))
            return true;
    return false;
}

/* The first suppression matching a named race, as its index + 1; 0 for
 * none: race: by any frame of either access or the global's name,
 * race_top: by either innermost frame. */
static size_t suppression_of(const struct report *rp, const struct shown *s)
{
    for (size_t i = 0; i < rp->supp->n; i++) {
        const struct suppression *p = &rp->supp->v[i];
        bool top = p->kind == SUPP_RACE_TOP;
        if (p->kind != SUPP_OTHER &&
            (stack_matches(p->pattern, &s->cur.stack, top) || stack_matches(p->pattern, &s->prev.stack, top) ||
             (!top && s->loc.kind == LOC_GLOBAL && suppression_matches(p->pattern, s->loc.data.name))))
            return i + 1;
    }
    return 0;
}

static void name_side(struct report *rp, struct side *s, const struct tt_race_access *a, int32_t thread,
                      const struct racetrace_calls *calls)
{
    s->a = a;
    s->thread = thread;
    name_stack(rp, &s->stack, a->pc, calls, false);
}

/* A global, a thread's stack, the mapping it was in, by what the trace
 * says of it. */
static void name_location(struct report *rp, struct shown *s)
{
    struct location *l = &s->loc;
    uint64_t addr = s->cur.a->addr;
    *l = (struct location){ .kind = LOC_UNKNOWN, .thread = -1, .mapping = s->rep->mapping };
    if (symbols_data(rp->syms, addr, &l->data)) {
        l->kind = l->data.name ? LOC_GLOBAL : LOC_MODULE;
        return;
    }
    const struct racetrace_block *b = &s->rep->block;
    if (b->found && b->alloc.n) {
        /* From the allocator function's entry, as a thread's creation
         * starts at pthread_create. */
        struct racetrace_calls calls = { .n = b->alloc.n - 1 };
        memcpy(calls.pc, b->alloc.pc + 1, calls.n * sizeof *calls.pc);
        name_stack(rp, &l->alloc, b->alloc.pc[0], &calls, true);
        l->kind = LOC_HEAP;
        return;
    }
    /* One of the racing threads' stacks first: another thread's stack
     * reused by a later one has both. */
    int32_t cand[2] = { s->cur.thread, s->prev.thread };
    for (int i = 0; i < 2; i++) {
        const struct racetrace_thread *t = cand[i] >= 0 ? &rp->threads[cand[i]] : NULL;
        if (t && addr >= t->stack_start && addr < t->stack_end) {
            l->kind = LOC_STACK;
            l->thread = cand[i];
            return;
        }
    }
    for (size_t i = rp->nthreads; i-- > 0;)
        if (addr >= rp->threads[i].stack_start && addr < rp->threads[i].stack_end) {
            l->kind = LOC_STACK;
            l->thread = (int32_t)i;
            return;
        }
    if (l->mapping.cause)
        l->kind = LOC_MAPPING;
}

/* "main thread", "thread T3". */
static const char *thread_name(int32_t t, char *buf, size_t size)
{
    if (t == 0)
        snprintf(buf, size, "main thread");
    else if (t > 0)
        snprintf(buf, size, "thread T%" PRId32, t);
    else
        snprintf(buf, size, "an unknown thread");
    return buf;
}

static const char *frame_text(const struct sym_code *c, uint64_t pc, char *buf, size_t size)
{
    symbols_format_code(c, pc, buf, size);
    return buf;
}

/* --- Grouping: one report per race as the user reads it --------------- */

/* One access as the user reads it: read or write, then the program's
 * frames by function and line (the stores of one inlined memcpy differ
 * in pc only), or the innermost frame's function or module when no frame
 * is the program's (a memset the program jumped to). */
static void key_side(FILE *f, const struct report *rp, const struct side *s)
{
    const struct stack *st = &s->stack;
    bool any = false;
    fputc(s->a->write ? 'w' : 'r', f);
    for (size_t i = 0; i < st->n; i++) {
        const struct sym_code *c = &st->code[i];
        if (!user_code(rp, st->pc[i], c))
            continue;
        any = true;
        if (c->function)
            fprintf(f, "|%s %s:%d", c->function, c->file ? c->file : "", c->line);
        else
            fprintf(f, "|%s+%" PRIx64, c->module, c->offset);
    }
    if (!any)
        fprintf(f, "|%s", st->code[0].function ? st->code[0].function : st->code[0].module ? st->code[0].module : "");
}

/* What a race reads as: its two accesses in either order, and the memory
 * (a global by name, a heap block by where it was allocated). */
static char *race_key(const struct report *rp, const struct shown *s)
{
    char *side[2] = { NULL, NULL }, *key = NULL;
    size_t len;
    const struct side *sides[2] = { &s->cur, &s->prev };
    for (int i = 0; i < 2; i++) {
        FILE *f = open_memstream(&side[i], &len);
        if (!f)
            msg_die("out of memory");
        key_side(f, rp, sides[i]);
        if (fclose(f))
            msg_die("out of memory");
    }
    FILE *f = open_memstream(&key, &len);
    if (!f)
        msg_die("out of memory");
    bool swap = strcmp(side[0], side[1]) > 0;
    /* A suppressed race is counted apart from the shown ones. */
    fprintf(f, "%zu/%s/%s/%d", s->supp, side[swap], side[!swap], (int)s->loc.kind);
    const struct location *l = &s->loc;
    if (l->kind == LOC_GLOBAL)
        fprintf(f, "|%s %s", l->data.module, l->data.name);
    else if (l->kind == LOC_MODULE)
        fprintf(f, "|%s", l->data.module);
    else if (l->kind == LOC_STACK)
        fprintf(f, "|%" PRId32, l->thread);
    else if (l->kind == LOC_HEAP)
        key_side(f, rp, &(struct side){ .a = s->cur.a, .stack = l->alloc });
    if (fclose(f))
        msg_die("out of memory");
    free(side[0]);
    free(side[1]);
    return key;
}

struct keyed {
    char *key;
    size_t i;
};

static int by_key(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Folds the races that read the same into the first found of them, their
 * counts added: a struct copy or an inlined memcpy races through one
 * store per 16 bytes, each its own pair of pcs. Returns how many are
 * left, in the order found. */
static size_t group_races(const struct report *rp, struct shown *shown, size_t n)
{
    struct keyed *k = calloc(n ? n : 1, sizeof *k);
    bool *folded = calloc(n ? n : 1, sizeof *folded);
    if (!k || !folded)
        msg_die("out of memory");
    for (size_t i = 0; i < n; i++)
        k[i] = (struct keyed){ race_key(rp, &shown[i]), i };
    qsort(k, n, sizeof *k, by_key);
    for (size_t i = 0, first = 0; i < n; i++) {
        if (strcmp(k[i].key, k[first].key)) {
            first = i;
            continue;
        }
        if (i == first)
            continue;
        shown[k[first].i].count += shown[k[i].i].count;
        shown[k[first].i].pairs++;
        folded[k[i].i] = true;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        free(k[i].key);
        if (!folded[i])
            shown[m++] = shown[i];
    }
    free(k);
    free(folded);
    return m;
}

/* --- text: ThreadSanitizer's shape ------------------------------------- */

static void text_begin(struct report *rp)
{
    (void)rp;
}

static void text_stack(const struct stack *st)
{
    char frame[512];
    for (size_t i = 0; i < st->n; i++)
        printf("    #%zu %s\n", i, frame_text(&st->code[i], st->pc[i], frame, sizeof frame));
}

static void text_access(const struct side *s, bool previous)
{
    char tname[32];
    const char *kind = s->a->write ? "write" : "read";
    printf("  %s%c%s of size %" PRIu32 " at 0x%" PRIx64 " by %s", previous ? "Previous " : "",
           previous ? kind[0] : kind[0] - 'a' + 'A', kind + 1, s->a->size, s->a->addr,
           thread_name(s->thread, tname, sizeof tname));
    printf(" (tid %" PRIu64 "):\n", s->a->tid);
    text_stack(&s->stack);
}

static void text_location(const struct shown *s)
{
    const struct location *l = &s->loc;
    char buf[512], tname[32];
    uint64_t addr = s->cur.a->addr;
    switch (l->kind) {
    case LOC_GLOBAL:
        printf("  Location is global '%s' of size %" PRIu64 " at 0x%" PRIx64 " (%s+0x%" PRIx64 ")\n", l->data.name,
               l->data.size, addr - l->data.name_offset, basename(l->data.module),
               l->data.offset - l->data.name_offset);
        break;
    case LOC_MODULE:
        symbols_format_data(&l->data, addr, buf, sizeof buf);
        printf("  Location is data of %s at 0x%" PRIx64 " (%s)\n", basename(l->data.module), addr, buf);
        break;
    case LOC_STACK:
        printf("  Location is stack of %s\n", thread_name(l->thread, tname, sizeof tname));
        break;
    case LOC_HEAP:
        printf("  Location is heap block of size %" PRIu64 " at 0x%" PRIx64 " allocated by %s at:\n",
               s->rep->block.size, s->rep->block.start, thread_name(s->rep->block.thread, tname, sizeof tname));
        text_stack(&l->alloc);
        break;
    case LOC_MAPPING:
        printf("  Location is %s memory at 0x%" PRIx64 ", in [0x%" PRIx64 ", 0x%" PRIx64 ") mapped by %s\n",
               l->mapping.cause == TT_MAP_BRK ? "heap" : "mapped", addr, l->mapping.start, l->mapping.end,
               tt_map_cause_name(l->mapping.cause));
        break;
    case LOC_UNKNOWN:
        printf("  Location is 0x%" PRIx64 ", in no mapping the trace recorded\n", addr);
        break;
    }
}

static void text_thread(struct report *rp, int32_t t)
{
    char pname[32];
    if (t <= 0)
        return;
    const struct racetrace_thread *th = &rp->threads[t];
    /* The main thread, and a thread whose clone was not recorded, have no
     * creation to show. */
    if (th->parent < 0)
        return;
    printf("\n  Thread T%" PRId32 " (tid %" PRIu64 ", %s)", t, th->tid, th->exited ? "finished" : "running");
    struct stack st;
    name_stack(rp, &st, th->create_pc, &th->create_calls, true);
    printf(" created by %s at:\n", thread_name(th->parent, pname, sizeof pname));
    text_stack(&st);
}

/* The frame SUMMARY names: the innermost of the program's own code in the
 * access that found the race (the caller of a memcpy, as
 * ThreadSanitizer's first frame outside its runtime), else in the earlier
 * access, else the innermost. */
static const struct sym_code *summary_frame(const struct report *rp, const struct shown *s)
{
    const struct stack *st[] = { &s->cur.stack, &s->prev.stack };
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < st[k]->n; i++)
            if (user_code(rp, st[k]->pc[i], &st[k]->code[i]))
                return &st[k]->code[i];
    return &s->cur.stack.code[0];
}

static void text_race(struct report *rp, const struct shown *s, size_t i)
{
    (void)i;
    printf("==================\n");
    printf("WARNING: data race");
    if (s->pairs > 1)
        printf(" (%" PRIu64 " times, between %zu pairs of instructions like these)", s->count, s->pairs);
    else if (s->count > 1)
        printf(" (%" PRIu64 " times between these two instructions)", s->count);
    printf("\n");
    text_access(&s->cur, false);
    printf("\n");
    text_access(&s->prev, true);
    printf("\n");
    text_location(s);
    text_thread(rp, s->cur.thread);
    if (s->prev.thread != s->cur.thread)
        text_thread(rp, s->prev.thread);
    const struct sym_code *c = summary_frame(rp, s);
    printf("\nSUMMARY: tcgtrace: data race");
    if (c->file)
        printf(" %s:%d", basename(c->file), c->line);
    if (c->function)
        printf(" in %s", c->function);
    else if (c->module)
        printf(" in %s", basename(c->module));
    printf("\n==================\n");
}

static void text_end(const struct report *rp)
{
    if (rp->hidden)
        printf("tcgtrace races: %zu more only inside the C library, the dynamic loader, the OpenMP runtime or the C++ "
               "runtime, on a GOT entry (lazy binding) or on a standard C++ stream (--all shows them)\n",
               rp->hidden);
    if (rp->suppressed) {
        printf("tcgtrace races: %zu suppressed (", rp->suppressed);
        const char *sep = "";
        for (size_t i = 0; i < rp->supp->n; i++)
            if (rp->supp_hits[i]) {
                printf("%s%s:%s %" PRIu64, sep, rp->supp->v[i].type, rp->supp->v[i].pattern, rp->supp_hits[i]);
                sep = ", ";
            }
        printf(")\n");
    }
    printf("tcgtrace races: %zu data race%s", rp->nshown, rp->nshown == 1 ? "" : "s");
    if (rp->nshown)
        printf(" (%" PRIu64 " occurrence%s)", rp->occurrences, rp->occurrences == 1 ? "" : "s");
    printf(" in %s\n", *rp->program || !rp->trace ? basename(rp->program) : rp->trace);
}

/* --- json: one document for tools (keys in docs/races.md) -------------- */

static void json_thread_or_null(const char *key, int32_t t)
{
    if (t >= 0)
        printf(",\"%s\":%" PRId32, key, t);
    else
        printf(",\"%s\":null", key);
}

static void json_frame(const struct sym_code *c, uint64_t pc)
{
    char buf[512];
    printf("{\"pc\":\"0x%" PRIx64 "\"", pc);
    json_str("location", frame_text(c, pc, buf, sizeof buf));
    json_str_or_null("function", c->function);
    json_u64("function_offset", c->func_offset);
    json_str_or_null("file", c->file);
    json_u64("line", (uint64_t)c->line);
    json_str_or_null("module", c->module);
    if (c->module)
        json_hex("offset", c->offset);
    else
        printf(",\"offset\":null");
    printf(",\"inlined\":%s}", c->inlined ? "true" : "false");
}

static void json_stack(const struct stack *st)
{
    putchar('[');
    for (size_t i = 0; i < st->n; i++) {
        if (i)
            putchar(',');
        json_frame(&st->code[i], st->pc[i]);
    }
    putchar(']');
}

static void json_begin(struct report *rp)
{
    const struct tt_header *h = rp->h;
    printf("{\"tcgtrace_races\":1");
    json_str_or_null("trace", rp->trace);
    json_str("arch", h->arch);
    json_str_array("command", h->argv, h->argc);
    json_str("state", rp->state);
    json_str_or_null("error", rp->problem);
    printf(",\"threads\":[");
    for (size_t i = 0; i < rp->nthreads; i++) {
        const struct racetrace_thread *t = &rp->threads[i];
        printf("%s{\"thread\":%zu", i ? "," : "", i);
        json_u64("tid", t->tid);
        json_thread_or_null("parent", t->parent);
        printf(",\"created_at\":");
        if (t->parent >= 0) {
            struct stack st;
            name_stack(rp, &st, t->create_pc, &t->create_calls, true);
            json_stack(&st);
        } else {
            printf("null");
        }
        printf(",\"finished\":%s", t->exited ? "true" : "false");
        if (t->stack_end) {
            json_hex("stack_start", t->stack_start);
            json_hex("stack_end", t->stack_end);
        } else {
            printf(",\"stack_start\":null,\"stack_end\":null");
        }
        putchar('}');
    }
    printf("],\"races\":[");
}

static void json_access(const char *key, const struct side *s)
{
    printf(",\"%s\":{\"write\":%s", key, s->a->write ? "true" : "false");
    json_u64("size", s->a->size);
    json_hex("address", s->a->addr);
    json_thread_or_null("thread", s->thread);
    json_u64("tid", s->a->tid);
    printf(",\"frames\":");
    json_stack(&s->stack);
    putchar('}');
}

static const char *const location_kinds[] = {
    [LOC_GLOBAL] = "global", [LOC_MODULE] = "module", [LOC_STACK] = "stack",
    [LOC_HEAP] = "heap", [LOC_MAPPING] = "mapping", [LOC_UNKNOWN] = "unknown",
};

static void json_race(struct report *rp, const struct shown *s, size_t i)
{
    (void)rp;
    const struct location *l = &s->loc;
    printf("%s{\"count\":%" PRIu64, i ? "," : "", s->count);
    json_u64("pairs", s->pairs);
    json_access("current", &s->cur);
    json_access("previous", &s->prev);
    printf(",\"location\":{\"kind\":\"%s\"", location_kinds[l->kind]);
    json_str_or_null("name", l->kind == LOC_GLOBAL ? l->data.name : NULL);
    if (l->kind == LOC_GLOBAL) {
        json_hex("start", s->cur.a->addr - l->data.name_offset);
        json_u64("size", l->data.size);
    } else if (l->kind == LOC_HEAP) {
        json_hex("start", s->rep->block.start);
        json_u64("size", s->rep->block.size);
    } else {
        printf(",\"start\":null,\"size\":null");
    }
    json_str_or_null("module", l->kind <= LOC_MODULE ? l->data.module : NULL);
    if (l->kind <= LOC_MODULE)
        json_hex("offset", l->data.offset);
    else
        printf(",\"offset\":null");
    json_thread_or_null("thread", l->kind == LOC_STACK ? l->thread : -1);
    json_thread_or_null("allocated_by", l->kind == LOC_HEAP ? s->rep->block.thread : -1);
    printf(",\"allocated_at\":");
    if (l->kind == LOC_HEAP)
        json_stack(&l->alloc);
    else
        printf("null");
    json_str_or_null("mapping", l->mapping.cause ? tt_map_cause_name(l->mapping.cause) : NULL);
    if (l->mapping.cause) {
        json_hex("mapping_start", l->mapping.start);
        json_hex("mapping_end", l->mapping.end);
    } else {
        printf(",\"mapping_start\":null,\"mapping_end\":null");
    }
    printf("}}");
}

static void json_end(const struct report *rp)
{
    const struct racetrace_stats *st = &rp->st;
    printf("],\"summary\":{\"races\":%zu", rp->nshown);
    json_u64("occurrences", rp->occurrences);
    json_u64("hidden", rp->hidden);
    json_u64("suppressed", rp->suppressed);
    printf(",\"suppressions\":[");
    for (size_t i = 0; i < rp->supp->n; i++) {
        printf("%s{\"type\":", i ? "," : "");
        json_string(rp->supp->v[i].type);
        json_str("pattern", rp->supp->v[i].pattern);
        json_u64("races", rp->supp_hits[i]);
        putchar('}');
    }
    printf("]},\"analysis\":{\"records\":%" PRIu64, st->records);
    json_u64("threads", st->det.threads);
    json_u64("accesses", st->det.accesses);
    json_u64("atomic_accesses", st->det.atomic_accesses);
    json_u64("private_accesses", st->det.private_accesses);
    json_u64("sync_locations", st->det.sync_locations);
    json_u64("atomic_objects", st->atomic_objects);
    json_u64("heap_atomic_blocks", st->heap_atomic_blocks);
    json_u64("spins", st->det.spins);
    json_u64("waits", st->det.waits);
    json_u64("forced", st->forced);
    json_u64("early", st->early);
    json_u64("max_held", st->max_held);
    json_u64("lost", st->lost);
    printf(",\"execve\":%s", st->execve ? "true" : "false");
    printf(",\"static_no_debuginfo\":%s", st->static_libc_unknown ? "true" : "false");
    json_str_array("no_debuginfo", rp->bare, (int)rp->nbare);
    json_u64("memory", st->det.memory);
    printf(",\"seconds\":%.3f,\"cpu_seconds\":%.3f", rp->seconds, rp->cpu_seconds);
    putchar('}');
    json_symbol_errors(rp->syms);
    printf("}\n");
}

static const struct format formats[] = {
    { "text", text_begin, text_race, text_end },
    { "json", json_begin, json_race, json_end },
};

/* --- The analysis -------------------------------------------------------- */

struct options {
    const struct format *fmt;
    const char *output;  /* -o: where to keep the trace of a program */
    const char *qemu;
    const char *sysroot;
    bool quiet, all, verbose;
    struct suppressions supp;
};

/* The modules of the races shown whose racing code has no debug
 * information (not the runtime libraries'), into rp->bare: an atomic
 * variable such code accesses with plain instructions (relaxed, and
 * acquire or release on x86_64) cannot be told from its data, as in
 * Debian's python3, whose GIL's flags were reported. Some debug
 * information elsewhere in the module does not declare it either: node's
 * covers a little of it, not V8, whose relaxed stack limit was reported. */
static void find_bare(struct report *rp, const struct shown *shown)
{
    const size_t max = sizeof rp->bare / sizeof rp->bare[0];
    for (size_t i = 0; i < rp->nshown && rp->nbare < max; i++) {
        const uint64_t pcs[] = { shown[i].rep->race.first.pc, shown[i].rep->race.second.pc };
        for (size_t k = 0; k < 2 && rp->nbare < max; k++) {
            struct sym_code c;
            if (!symbols_code(rp->syms, pcs[k], &c) || !c.module || c.file || runtime_at(rp, pcs[k], c.module))
                continue;
            bool seen = false;
            for (size_t j = 0; j < rp->nbare && !seen; j++)
                seen = !strcmp(rp->bare[j], c.module);
            if (!seen) {
                rp->bare_partial[rp->nbare] = !symbols_lacks_debuginfo(rp->syms, c.module);
                rp->bare[rp->nbare++] = c.module;
            }
        }
    }
}

/* 0 when no race is shown, RACES_EXIT when some are, 1 on an error.
 * temporary: path is no file of the user's, not to be named. */
static int analyse(const char *path, bool temporary, const struct options *o)
{
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, TT_READ_MERGED, &err);
    if (!r) {
        msg_error("%s", err.msg);
        return 1;
    }
    struct report rp = { .trace = temporary ? NULL : path, .h = tt_reader_header(r), .state = "complete",
                         .supp = &o->supp };
    rp.program = rp.h->argc ? rp.h->argv[0] : "";
    const char *why = racetrace_unsuitable(rp.h);
    if (why) {
        msg_error("cannot look for races in '%s': %s", path, why);
        tt_reader_close(r);
        return 1;
    }
    const char *sysroot = o->sysroot ? o->sysroot : guest_trace_sysroot(rp.h);
    struct racetrace *rt;
    if (!(rp.syms = symbols_new(sysroot)) || !(rt = racetrace_new(rp.h, rp.syms)))
        msg_die("out of memory");
    symbols_set_recorded(rp.syms, rp.h->start_time_ns);
    rp.rt = rt;

    /* Wall time, and the analysis's own CPU time: a machine busy with
     * other work makes the first say little of its speed. */
    double start = clock_seconds(CLOCK_MONOTONIC), cpu_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    struct reading_progress prog;
    reading_progress_init(&prog, rp.h, o->quiet);
    racetrace_set_progress(rt, reading_progress, &prog);
    int rc = racetrace_learn(rt, r, &err);
    struct tt_reader *r2 = NULL;
    if (rc == 0 || rc == TT_E_TRUNCATED || rc == TT_E_CORRUPT) {
        if (!(r2 = tt_reader_open(path, TT_READ_MERGED, &err)))
            rc = err.code;
        else
            rc = racetrace_detect(rt, r2, &err);
    }
    /* The earlier accesses' stacks: a third reading, only for races that
     * may be shown. */
    size_t n, nprevious = 0;
    const struct racetrace_report *reps = racetrace_reports(rt, &n);
    rp.threads = racetrace_threads(rt, &rp.nthreads); /* whose stacks are the program's memory */
    for (size_t i = 0; i < n; i++)
        nprevious += shows_if(&rp, &reps[i], o->all, false);
    struct tt_error err3;
    struct tt_reader *r3 = nprevious && r2 ? tt_reader_open(path, 0, &err3) : NULL;
    if (r3 && racetrace_previous(rt, r3, &err3) == TT_E_NOMEM)
        msg_die("%s", err3.msg);
    tt_reader_close(r3);
    reading_progress_end(&prog);
    rp.seconds = clock_seconds(CLOCK_MONOTONIC) - start;
    rp.cpu_seconds = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    if (rc == TT_E_NOMEM || rc == TT_E_INVAL || rc == TT_E_IO || !r2) {
        msg_error("%s", err.msg);
        racetrace_free(rt);
        symbols_free(rp.syms);
        tt_reader_close(r);
        return 1;
    }
    struct tt_error read_err = err;
    /* The reader names the file: not a temporary one, gone at exit. */
    char named[PATH_MAX + 8];
    int k = snprintf(named, sizeof named, "'%s': ", path);
    if (temporary && k > 0 && !strncmp(read_err.msg, named, (size_t)k))
        memmove(read_err.msg, read_err.msg + k, strlen(read_err.msg + k) + 1);
    if (rc < 0) {
        rp.state = rc == TT_E_TRUNCATED ? "cut-short" : "corrupt";
        rp.problem = read_err.msg;
    }
    racetrace_stats(rt, &rp.st);
    /* Records the plugin lost are records in the trace; the ones the
     * writer lost (a full disk, threads running at execve) its trailer's. */
    const struct tt_trailer *tr = tt_reader_trailer(r2);
    rp.st.lost += tt_trailer_lost(tr);
    rp.write_errno = tr ? tr->write_errno : 0;

    struct shown *shown = calloc(n ? n : 1, sizeof *shown);
    rp.supp_hits = calloc(o->supp.n + 1, sizeof *rp.supp_hits);
    if (!shown || !rp.supp_hits)
        msg_die("out of memory");
    size_t nnamed = 0;
    for (size_t i = 0; i < n; i++) {
        struct shown *s = &shown[nnamed];
        if (!shows(&rp, &reps[i], o->all)) {
            rp.hidden++;
            continue;
        }
        s->rep = &reps[i];
        name_side(&rp, &s->cur, &reps[i].race.second, reps[i].second_thread, &reps[i].second_calls);
        name_side(&rp, &s->prev, &reps[i].race.first, reps[i].first_thread, &reps[i].first_calls);
        name_location(&rp, s);
        s->supp = suppression_of(&rp, s);
        s->count = reps[i].race.count;
        s->pairs = 1;
        nnamed++;
    }
    /* Races and suppressed ones alike counted as the user reads them. */
    nnamed = group_races(&rp, shown, nnamed);
    for (size_t i = 0; i < nnamed; i++) {
        if (shown[i].supp) {
            rp.supp_hits[shown[i].supp - 1]++;
            rp.suppressed++;
            continue;
        }
        rp.occurrences += shown[i].count;
        shown[rp.nshown++] = shown[i];
    }

    find_bare(&rp, shown);
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    o->fmt->begin(&rp);
    for (size_t i = 0; i < rp.nshown; i++)
        o->fmt->race(&rp, &shown[i], i);
    o->fmt->end(&rp);
    if (o->verbose) {
        fflush(stdout);
        const struct tt_race_stats *d = &rp.st.det;
        fprintf(stderr,
                "tcgtrace races: %" PRIu64 " records, %" PRIu64 " threads, %" PRIu64 " accesses (%" PRIu64
                " to %" PRIu64 " synchronisation locations (%" PRIu64 " declared atomic, %" PRIu64 " heap blocks typed atomic), %" PRIu64
                " to pages of one thread), %" PRIu64
                " waits, %" PRIu64 " forced, %" PRIu64 " early, %" PRIu64 " held at most, %.1f MiB, %.2f s, %.2f s of CPU"
                " (%.1f M accesses/s)\n",
                rp.st.records, d->threads, d->accesses + d->atomic_accesses, d->atomic_accesses, d->sync_locations,
                rp.st.atomic_objects, rp.st.heap_atomic_blocks, d->private_accesses, d->waits, rp.st.forced, rp.st.early, rp.st.max_held, (double)d->memory / 1048576,
                rp.seconds, rp.cpu_seconds,
                rp.cpu_seconds > 0 ? (double)(d->accesses + d->atomic_accesses) / rp.cpu_seconds / 1e6 : 0.0);
    }

    int status = rp.nshown ? RACES_EXIT : 0;
    for (size_t i = 0; i < rp.nbare; i++) {
        fflush(stdout);
        msg_warn("'%s' has no debug information%s: the atomic variables %s accesses with plain instructions "
                 "(relaxed ones, and acquire and release ones on x86_64) cannot be told from its data, and "
                 "may be reported; with its %sdebug information (a -dbgsym package, or a debuginfod server in "
                 "DEBUGINFOD_URLS) what it declares atomic is read",
                 rp.bare[i], rp.bare_partial[i] ? " for the code of its races shown" : "",
                 rp.bare_partial[i] ? "that code" : "it", rp.bare_partial[i] ? "full " : "");
    }
    if (rp.st.lost) {
        fflush(stdout);
        char why[128] = "";
        if (rp.write_errno)
            snprintf(why, sizeof why, " (%s)", tt_lost_reason(rp.write_errno));
        msg_warn("the recording lost %" PRIu64 " records%s: races may be missing, or reported falsely", rp.st.lost, why);
    }
    if (rp.st.static_libc_unknown) {
        fflush(stdout);
        msg_warn("the program carries the C library in itself (linked statically) and has no debug information "
                 "to tell them apart: the C library's own races may be reported as the program's, and races "
                 "it orders by its own locks missed (build with -g)");
    }
    if (rp.st.execve) {
        fflush(stdout);
        msg_warn("the program called execve: what it ran next was not traced, nor looked at for races");
    }
    /* A trace read on another machine, or after a rebuild: the reports
     * are there, with addresses for names (the JSON lists these too). */
    const char *nosym;
    for (size_t i = 0; (nosym = symbols_error(rp.syms, i)); i++) {
        fflush(stdout);
        msg_warn("no names from a module: %s", nosym);
    }
    for (size_t i = 0; (nosym = symbols_changed(rp.syms, i)); i++) {
        fflush(stdout);
        msg_warn("'%s' was modified after the recording: its names, and the objects it declares atomic, may not "
                 "be those of what ran",
                 nosym);
    }
    /* A trace cut short is what an interrupted recording leaves: its
     * races are worth having and say so. A corrupt one is an error. */
    if (rc < 0) {
        fflush(stdout);
        if (rc == TT_E_TRUNCATED) {
            msg_warn("%s", read_err.msg);
        } else {
            msg_error("%s", read_err.msg);
            status = 1;
        }
    }
    /* Reports that could not be written were not reported: an error
     * (main says why), not "races found". */
    if (status == RACES_EXIT && (fflush(stdout) != 0 || ferror(stdout)))
        status = 1;
    free(shown);
    free(rp.supp_hits);
    racetrace_free(rt);
    symbols_free(rp.syms);
    tt_reader_close(r2);
    tt_reader_close(r);
    return status;
}

/* --- Recording a program first ------------------------------------------ */

static char temp_trace[PATH_MAX];

/* At exit too, for the paths that end in msg_die; cmd_races itself removes
 * it when done, as a caller running commands in one process (the fuzz
 * target) would otherwise keep one empty file per run. */
static void remove_temp_trace(void)
{
    if (temp_trace[0])
        unlink(temp_trace);
    temp_trace[0] = '\0';
}

/* The signals that end tcgtrace as they come (a terminal's ^C, kill, a
 * closed pipe under --json), and what was done with each before. */
static const int ending[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
#define NENDING (sizeof ending / sizeof ending[0])
static struct sigaction ending_old[NENDING];

/* Removes the temporary trace, gigabytes for a long program, before the
 * signal does what it did before: no exit handler runs then. While QEMU
 * runs, record.c's handlers pass a signal on to it instead, and call this
 * one once QEMU is gone. */
static void end_by_signal(int sig)
{
    size_t i = 0;
    while (ending[i] != sig)
        i++;
    remove_temp_trace();
    sigaction(sig, &ending_old[i], NULL);
    raise(sig);
}

/* Once per process: record.c takes these handlers as the ones before its
 * own, which stay. A signal the caller ignores stays ignored. */
static void remove_temp_trace_on_exit(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    atexit(remove_temp_trace);
    struct sigaction sa = { .sa_handler = end_by_signal };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NENDING; i++) {
        sigaction(ending[i], NULL, &ending_old[i]);
        if (ending_old[i].sa_handler != SIG_IGN)
            sigaction(ending[i], &sa, NULL);
    }
}

/* Runs PROG ARGS under QEMU into a trace: o->output, or a temporary file
 * removed at exit. The program's status in *status. */
static const char *record_program(const struct options *o, int argc, char **argv, int *status)
{
    struct record_opts ro = {
        .plugin = "memtrace",
        .output = o->output,
        .format = "bin",
        .qemu = o->qemu,
        .sysroot = o->sysroot,
        .progress = !o->quiet,
        /* Lazy binding writes a GOT entry that another thread's PLT stub
         * reads, with no synchronisation the binary shows. */
        .env = { "LD_BIND_NOW=1" },
        .nenv = 1,
    };
    if (!ro.output) {
        const char *dir = getenv("TMPDIR");
        char name[PATH_MAX];
        snprintf(name, sizeof name, "%s/tcgtrace-races-XXXXXX.tct", dir && *dir ? dir : "/tmp");
        remove_temp_trace_on_exit();
        /* No signal between the file's making and its name in temp_trace. */
        sigset_t block, orig;
        sigemptyset(&block);
        for (size_t i = 0; i < NENDING; i++)
            sigaddset(&block, ending[i]);
        sigprocmask(SIG_BLOCK, &block, &orig);
        int fd = mkstemps(name, 4), made = errno;
        if (fd >= 0)
            memcpy(temp_trace, name, sizeof name);
        sigprocmask(SIG_SETMASK, &orig, NULL);
        if (fd < 0)
            msg_die("cannot create a temporary trace '%s': %s", name, strerror(made));
        close(fd);
        ro.output = temp_trace;
    }
    /* With --json, standard output is the document: the program's own
     * output goes to standard error. */
    int saved = -1;
    if (!strcmp(o->fmt->name, "json")) {
        fflush(stdout);
        if ((saved = dup(STDOUT_FILENO)) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
            msg_die("cannot redirect the program's output: %s", strerror(errno));
    }
    *status = record_run(&ro, argc, argv);
    if (saved >= 0 && (dup2(saved, STDOUT_FILENO) < 0 || close(saved) < 0))
        msg_die("cannot restore standard output: %s", strerror(errno));
    return *status < 0 ? NULL : ro.output;
}

/* --- The command --------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: tcgtrace races [OPTIONS] TRACE\n"
          "       tcgtrace races [OPTIONS] [--] PROG [ARGS]\n"
          "\n"
          "Finds data races: two threads access the same memory, at least one writes,\n"
          "neither access is atomic, and nothing orders them (happens-before, from\n"
          "thread creation and exit, futexes, atomic instructions and spin loops).\n"
          "Analyses a trace recorded by 'tcgtrace record', or runs PROG under QEMU to\n"
          "record one first (PROG's output is its own). Exits with 66 when races are\n"
          "reported, else with PROG's status (0 for a trace), 1 on an error.\n"
          "\n"
          "  -j, --json           one JSON document (keys in docs/races.md); a program's\n"
          "                       standard output then goes to standard error\n"
          "  -a, --all            also races whose accesses are all inside the C\n"
          "                       library, the dynamic loader or an OpenMP runtime,\n"
          "                       on their own data (a memcpy's on the program's is\n"
          "                       shown)\n"
          "  -v, --verbose        what was analysed, and how fast, on standard error\n"
          "  -q, --quiet          no progress line (on a terminal) while PROG runs\n"
          "                       or the analysis does\n"
          "      --sysroot=DIR    where a foreign guest's libraries are (default:\n"
          "                       /usr/<triplet> for a guest of another architecture)\n"
          "      --suppressions=FILE  leave out the races FILE matches (ThreadSanitizer's\n"
          "                       format: race:PATTERN, race_top:PATTERN; repeatable)\n"
          "  -h, --help           this help\n"
          "\n"
          "  when running PROG:\n"
          "  -o, --output=FILE    keep the trace in FILE (default: a temporary file)\n"
          "      --qemu=PATH      the qemu-ARCH to run (as tcgtrace record)\n",
          f);
}

/* Whether path is to be analysed as a trace rather than run as a program:
 * a file starting with the magic, or one that is no regular file (a FIFO, a
 * device), which no program is and which analyse() then refuses as dump and
 * stats do: races reads a trace three times, so it cannot take a stream.
 * O_NONBLOCK: opening a FIFO would wait for a writer. */
static bool is_trace(const char *path)
{
    char magic[TT_MAGIC_LEN];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    bool yes = fstat(fd, &st) == 0 && (!S_ISREG(st.st_mode) || (read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
                                                                 !memcmp(magic, TT_MAGIC, TT_MAGIC_LEN)));
    close(fd);
    return yes;
}

static int races(struct options *o, int argc, char **argv);

int cmd_races(int argc, char **argv)
{
    struct options o = { .fmt = &formats[0] };
    int rc = races(&o, argc, argv);
    suppressions_free(&o.supp);
    return rc;
}

static int races(struct options *o, int argc, char **argv)
{
    enum { OPT_SYSROOT = 256, OPT_QEMU, OPT_SUPPRESSIONS };
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "all", no_argument, NULL, 'a' },
        { "verbose", no_argument, NULL, 'v' },
        { "output", required_argument, NULL, 'o' },
        { "qemu", required_argument, NULL, OPT_QEMU },
        { "sysroot", required_argument, NULL, OPT_SYSROOT },
        { "suppressions", required_argument, NULL, OPT_SUPPRESSIONS },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 0;
    opterr = 0;
    /* '+': the first non-option is the trace or PROG; PROG's options are
     * its own. */
    while ((c = getopt_long(argc, argv, "+:jao:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->fmt = &formats[1];
            break;
        case 'a':
            o->all = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_QEMU:
            o->qemu = optarg;
            break;
        case OPT_SYSROOT:
            o->sysroot = optarg;
            break;
        case OPT_SUPPRESSIONS: {
            char why[PATH_MAX + 128];
            if (suppressions_load(&o->supp, optarg, why, sizeof why) < 0) {
                msg_error("%s", why);
                return 1;
            }
            break;
        }
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            msg_bad_option(c, argv, opts);
        }
    }
    if (optind == argc)
        msg_usage("no trace or program given");
    if (o->sysroot && guest_check_sysroot(o->sysroot) < 0)
        return 1;
    bool dashes = !strcmp(argv[optind - 1], "--");
    bool program = dashes || argc - optind > 1 || !is_trace(argv[optind]);
    const char *name = argv[optind];
    size_t len = strlen(name);
    struct stat st;
    bool alone = program && !dashes && argc - optind == 1;
    bool exists = alone && stat(name, &st) == 0, missing = alone && !exists && errno == ENOENT;
    if (exists && S_ISREG(st.st_mode) && access(name, X_OK) != 0) {
        /* Meant as a trace, most likely: say so rather than why it
         * cannot run (a truncated file, a text file). */
        msg_error("'%s' is no trace (no TCGTRACE magic at its start) and no program (not executable)", name);
        return 1;
    }
    if (missing && (strchr(name, '/') || (len > 4 && !strcmp(name + len - 4, ".tct")))) {
        /* A trace's name is mistyped as often as a program's: not "cannot
         * run", nor "not found in PATH" for a bare 'run.tct'. */
        msg_error("no trace or program '%s': %s", name, strerror(ENOENT));
        return 1;
    }
    if (!program) {
        if (o->output || o->qemu)
            msg_usage("--%s applies when running a program, not to trace '%s'", o->output ? "output" : "qemu",
                      name);
        return analyse(name, false, o);
    }
    int status;
    const char *trace = record_program(o, argc - optind, argv + optind, &status);
    int rc = trace ? analyse(trace, !o->output, o) : 1;
    remove_temp_trace();
    return rc ? rc : status;
}
