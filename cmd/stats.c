/* tcgtrace stats: a trace summarised: per thread, system calls, mapping
 * changes, the hottest code and data named from the modules the trace
 * loaded, records lost, and whether the recording was cut short. The
 * counting is analysis/stats.c; this file names and prints, as a readable
 * report or one JSON document (docs/stats.md), through a table of output
 * formats. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/stats.h"
#include "../analysis/sysnames.h"
#include "cmd.h"
#include "guest.h"
#include "json.h"
#include "progress.h"
#include "tcgtrace/reader.h"

#define DEFAULT_TOP 10

struct report {
    const char *path;
    const struct tt_header *h;
    struct stats *st;
    struct symbols *syms;
    size_t top;          /* entries shown per ranking */
    const char *state;   /* "complete", "cut-short" or "corrupt" */
    const char *problem; /* what the reader said, NULL when complete */
    bool execve;         /* an execve that did not return: the program replaced itself */
};

/* An output format: one function per part of the report, called in the
 * order of the fields below. The rankings arrive hottest first, n at most
 * rp->top of total. */
struct format {
    const char *name;
    void (*summary)(const struct report *rp);
    void (*threads)(const struct report *rp);
    void (*syscalls)(const struct report *rp);
    void (*mappings)(const struct report *rp);
    void (*modules)(const struct report *rp);
    /* funcs: the entries are functions and groups of code outside them
     * (stats_func_kind; named through display_sym), not addresses. */
    void (*code)(const struct report *rp, bool funcs, const struct stats_code *v, size_t n, size_t total);
    void (*data)(const struct report *rp, const struct stats_region *v, size_t n, size_t total);
    void (*end)(const struct report *rp);
};

/* --- What both formats say the same way ---------------------------------- */

static const char *by_name(const struct stats *st)
{
    return stats_code_by(st) == STATS_BY_INSNS ? "instructions" : "accesses";
}

/* Guest threads: those whose start was recorded, else one per vCPU. */
static uint64_t thread_count(const struct stats *st)
{
    return st->thread_starts ? st->thread_starts : st->nthreads;
}

/* A function is named at its start, "kernel (loop.c:14)", with the
 * file:line of its hottest address; a group of addresses outside functions
 * by its module alone. */
static struct sym_code display_sym(const struct stats_code *c, bool funcs)
{
    struct sym_code s = c->sym;
    if (funcs && c->kind == STATS_FUNCTION) {
        s.offset -= s.func_offset;
        s.func_offset = 0;
    } else if (funcs) {
        s = (struct sym_code){ .module = s.module };
    }
    return s;
}

static const char *code_location(const struct stats_code *c, bool funcs, char *buf, size_t size)
{
    if (funcs && c->kind != STATS_FUNCTION) {
        const char *m = c->sym.module;
        if (m)
            snprintf(buf, size, "%s (outside functions)", basename(m));
        else
            snprintf(buf, size, "(outside modules)");
        return buf;
    }
    struct sym_code s = display_sym(c, funcs);
    symbols_format_code(&s, c->pc, buf, size);
    return buf;
}

/* "global 'src'", "libc.so.6+0x1d2000 (page)", or for a page in no module
 * what mapped it, "page (brk)", else "page" (its address says the rest). */
static const char *data_location(const struct stats_region *g, char *buf, size_t size)
{
    if (!g->sym.module) {
        if (g->map_cause)
            snprintf(buf, size, "page (%s)", tt_map_cause_name(g->map_cause));
        else
            snprintf(buf, size, "page");
        return buf;
    }
    int n = symbols_format_data(&g->sym, g->start, buf, size);
    if (g->kind == STATS_PAGE && n >= 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " (page)");
    return buf;
}

static const char *lost_kind_name(unsigned k)
{
    const char *name = tt_kind_name(k);
    return name ? name : "unknown";
}

/* --- text: a report for people ------------------------------------------ */

/* A table printed once whole: columns as wide as their widest cell,
 * numbers right-aligned, the last column (names) left-aligned. */
#define TABLE_COLS 12
struct table {
    size_t ncols, ncells, cap;
    char **cells; /* row-major, the header row first */
};

static void cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cell(struct table *t, const char *fmt, ...)
{
    if (t->ncells == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        if (!(t->cells = realloc(t->cells, t->cap * sizeof *t->cells)))
            msg_die("out of memory");
    }
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&t->cells[t->ncells++], fmt, ap) < 0)
        msg_die("out of memory");
    va_end(ap);
}

static void table_head(struct table *t, const char *const *heads)
{
    *t = (struct table){ 0 };
    while (heads[t->ncols])
        cell(t, "%s", heads[t->ncols++]);
}

static void table_print(struct table *t)
{
    size_t width[TABLE_COLS] = { 0 };
    for (size_t i = 0; i < t->ncells; i++) {
        size_t len = strlen(t->cells[i]);
        if (len > width[i % t->ncols])
            width[i % t->ncols] = len;
    }
    for (size_t i = 0; i < t->ncells; i++) {
        size_t col = i % t->ncols;
        if (col + 1 < t->ncols)
            printf("  %*s", (int)width[col], t->cells[i]);
        else
            printf("  %s\n", t->cells[i]);
        free(t->cells[i]);
    }
    free(t->cells);
}

/* Memory columns in a trace with accesses, the instruction column in one
 * with instructions: a column of zeros says nothing. */
static bool show_insns(const struct stats *st)
{
    return st->c.insns || !stats_accesses(&st->c);
}

static bool show_mem(const struct stats *st)
{
    return stats_accesses(&st->c) || !st->c.insns;
}

static void text_summary(const struct report *rp)
{
    const struct tt_header *h = rp->h;
    const struct stats *st = rp->st;
    printf("trace         %s\n", rp->path);
    printf("recorded by   %s", *h->plugin ? h->plugin : "unknown plugin");
    if (*h->plugin_options)
        printf(" (%s)", h->plugin_options);
    printf(" on %s", *h->arch ? h->arch : "unknown architecture");
    if (*h->qemu_version)
        printf(", QEMU %s", h->qemu_version);
    if (*h->tcgtrace_version)
        printf(", tcgtrace %s", h->tcgtrace_version);
    printf("\n");
    if (h->argc) {
        printf("command      ");
        for (int i = 0; i < h->argc; i++)
            printf(" %s", h->argv[i]);
        printf("\n");
    }
    if (tt_header_sysroot(h))
        printf("sysroot       %s\n", tt_header_sysroot(h));
    if (rp->problem)
        printf("state         %s: %s\n", rp->state, rp->problem);
    else
        printf("state         %s\n", rp->state);
    if (rp->execve)
        printf("execve        the program replaced itself: what it ran next is not in the trace\n");
    printf("records       %" PRIu64 "\n", st->records);
    printf("threads       %" PRIu64 " on %zu vCPU%s\n", thread_count(st), st->nthreads, st->nthreads == 1 ? "" : "s");
    printf("instructions  %" PRIu64 "\n", st->c.insns);
    printf("reads         %" PRIu64 " (%" PRIu64 " bytes)\n", st->c.reads, st->c.read_bytes);
    printf("writes        %" PRIu64 " (%" PRIu64 " bytes)\n", st->c.writes, st->c.write_bytes);
    printf("syscalls      %" PRIu64 "\n", st->syscalls);
    if (st->sync_events)
        printf("sync events   %" PRIu64 "\n", st->sync_events);
    if (st->heap_events)
        printf("heap events   %" PRIu64 "\n", st->heap_events);
    if (st->calls)
        printf("calls         %" PRIu64 "\n", st->calls);
    if (st->reg_changes)
        printf("registers     %" PRIu64 " changes\n", st->reg_changes);
    printf("lost          %" PRIu64 " records", st->lost);
    const char *sep = " (";
    for (unsigned k = 0; k < TT_KIND_COUNT; k++) {
        if (st->lost_plugin[k]) {
            printf("%s%" PRIu64 " %s not recorded", sep, st->lost_plugin[k], lost_kind_name(k));
            sep = ", ";
        }
    }
    for (unsigned k = 0; k < TT_KIND_COUNT; k++) {
        if (st->lost_writer[k]) {
            printf("%s%" PRIu64 " %s not written", sep, st->lost_writer[k], lost_kind_name(k));
            sep = ", ";
        }
    }
    if (st->write_errno)
        printf("%s%s", sep, tt_lost_reason(st->write_errno));
    printf("%s\n", *sep == ',' || st->write_errno ? ")" : "");
}

static void text_threads(const struct report *rp)
{
    const struct stats *st = rp->st;
    struct table t;
    const char *heads[TABLE_COLS];
    size_t n = 0;
    heads[n++] = "vcpu";
    heads[n++] = "records";
    if (show_insns(st))
        heads[n++] = "instructions";
    if (show_mem(st)) {
        heads[n++] = "reads";
        heads[n++] = "writes";
        heads[n++] = "read bytes";
        heads[n++] = "write bytes";
    }
    heads[n++] = "syscalls";
    heads[n++] = "lost";
    heads[n++] = "thread ids";
    heads[n] = NULL;
    table_head(&t, heads);
    for (size_t i = 0; i < st->nthreads; i++) {
        const struct stats_thread *th = &st->threads[i];
        cell(&t, "%" PRIu32, th->vcpu);
        cell(&t, "%" PRIu64, th->records);
        if (show_insns(st))
            cell(&t, "%" PRIu64, th->c.insns);
        if (show_mem(st)) {
            cell(&t, "%" PRIu64, th->c.reads);
            cell(&t, "%" PRIu64, th->c.writes);
            cell(&t, "%" PRIu64, th->c.read_bytes);
            cell(&t, "%" PRIu64, th->c.write_bytes);
        }
        cell(&t, "%" PRIu64, th->syscalls);
        cell(&t, "%" PRIu64, th->lost);
        char tids[128] = "-";
        size_t len = 0, j;
        /* At most 80 characters of ids: a vCPU may have run thousands. */
        for (j = 0; j < th->ntids && len < 80; j++)
            len += (size_t)snprintf(tids + len, sizeof tids - len, "%s%" PRIu64, j ? " " : "", th->tids[j]);
        if (j < th->ntids)
            snprintf(tids + len, sizeof tids - len, " ...");
        cell(&t, "%s", tids);
    }
    printf("\nthreads\n");
    table_print(&t);
}

static void text_syscalls(const struct report *rp)
{
    const struct stats *st = rp->st;
    if (!st->nsyscalls)
        return;
    struct table t;
    table_head(&t, (const char *const[]){ "calls", "errors", "number", "name", NULL });
    for (size_t i = 0; i < st->nsyscalls; i++) {
        const struct stats_syscall *s = &st->syscall[i];
        const char *name = sysname(rp->h->arch, s->num);
        cell(&t, "%" PRIu64, s->calls);
        cell(&t, "%" PRIu64, s->errors);
        cell(&t, "%" PRIu64, s->num);
        cell(&t, "%s", name ? name : "?");
    }
    printf("\nsystem calls\n");
    table_print(&t);
}

static void text_mappings(const struct report *rp)
{
    const struct stats *st = rp->st;
    if (!st->map_changes)
        return;
    struct table t;
    table_head(&t, (const char *const[]){ "changes", "bytes", "cause", NULL });
    for (unsigned c = 1; c < TT_MAP_CAUSE_COUNT; c++) {
        if (!st->mappings[c].changes)
            continue;
        cell(&t, "%" PRIu64, st->mappings[c].changes);
        cell(&t, "%" PRIu64, st->mappings[c].bytes);
        cell(&t, "%s", tt_map_cause_name(c));
    }
    printf("\nmapping changes\n");
    table_print(&t);
}

static void text_modules(const struct report *rp)
{
    const struct stats *st = rp->st;
    if (!st->nmodules)
        return;
    struct table t;
    table_head(&t, (const char *const[]){ "start", "end", "bias", "path", NULL });
    for (size_t i = 0; i < st->nmodules; i++) {
        const struct stats_module *m = &st->modules[i];
        cell(&t, "0x%" PRIx64, m->start);
        cell(&t, "0x%" PRIx64, m->end);
        cell(&t, "0x%" PRIx64, m->bias);
        cell(&t, "%s", m->path);
    }
    printf("\nmodules\n");
    table_print(&t);
}

static void text_code(const struct report *rp, bool funcs, const struct stats_code *v, size_t n, size_t total)
{
    const struct stats *st = rp->st;
    bool named = false;
    for (size_t i = 0; i < total && !named; i++)
        named = v[i].sym.function != NULL;
    /* Without function names the functions are the addresses again. */
    if (!total || (funcs && !named))
        return;
    const char *heads[TABLE_COLS];
    size_t k = 0;
    if (show_insns(st))
        heads[k++] = "instructions";
    if (show_mem(st)) {
        heads[k++] = "reads";
        heads[k++] = "writes";
    }
    heads[k++] = "address";
    heads[k++] = funcs ? "function" : "location";
    heads[k] = NULL;
    struct table t;
    table_head(&t, heads);
    for (size_t i = 0; i < n; i++) {
        char where[512];
        if (show_insns(st))
            cell(&t, "%" PRIu64, v[i].c.insns);
        if (show_mem(st)) {
            cell(&t, "%" PRIu64, v[i].c.reads);
            cell(&t, "%" PRIu64, v[i].c.writes);
        }
        cell(&t, "0x%" PRIx64, v[i].pc);
        cell(&t, "%s", code_location(&v[i], funcs, where, sizeof where));
    }
    printf("\nhottest %s by %s: %zu of %zu\n", funcs ? "functions" : "code", by_name(st), n, total);
    table_print(&t);
}

static void text_data(const struct report *rp, const struct stats_region *v, size_t n, size_t total)
{
    (void)rp;
    if (!total)
        return;
    struct table t;
    table_head(&t, (const char *const[]){ "reads", "writes", "bytes", "address", "size", "region", NULL });
    for (size_t i = 0; i < n; i++) {
        char where[512];
        cell(&t, "%" PRIu64, v[i].c.reads);
        cell(&t, "%" PRIu64, v[i].c.writes);
        cell(&t, "%" PRIu64, v[i].c.read_bytes + v[i].c.write_bytes);
        cell(&t, "0x%" PRIx64, v[i].start);
        cell(&t, "%" PRIu64, v[i].size);
        cell(&t, "%s", data_location(&v[i], where, sizeof where));
    }
    printf("\nhottest data by accesses: %zu of %zu regions\n", n, total);
    table_print(&t);
}

static void text_end(const struct report *rp)
{
    const char *e = symbols_error(rp->syms, 0);
    if (e)
        printf("\nsymbols were not found in every module:\n");
    for (size_t i = 0; (e = symbols_error(rp->syms, i)); i++)
        printf("  %s\n", e);
    if ((e = symbols_changed(rp->syms, 0)))
        printf("\nmodified after the recording (their names may not be those of what ran):\n");
    for (size_t i = 0; (e = symbols_changed(rp->syms, i)); i++)
        printf("  %s\n", e);
}

/* --- json: one document for tools (keys in docs/stats.md) --------------- */

static void json_counts(const struct stats_counts *c)
{
    json_u64("instructions", c->insns);
    json_u64("reads", c->reads);
    json_u64("writes", c->writes);
    json_u64("read_bytes", c->read_bytes);
    json_u64("write_bytes", c->write_bytes);
}

static void json_lost_kinds(const char *key, const uint64_t *lost)
{
    printf(",\"%s\":{", key);
    const char *sep = "";
    for (unsigned k = 0; k < TT_KIND_COUNT; k++) {
        if (lost[k]) {
            printf("%s\"%s\":%" PRIu64, sep, lost_kind_name(k), lost[k]);
            sep = ",";
        }
    }
    putchar('}');
}

static void json_summary(const struct report *rp)
{
    const struct tt_header *h = rp->h;
    const struct stats *st = rp->st;
    printf("{\"tcgtrace_stats\":1");
    json_str("trace", rp->path);
    printf(",\"recording\":{\"arch\":");
    json_string(h->arch);
    json_str("plugin", h->plugin);
    json_str("plugin_options", h->plugin_options);
    json_str("qemu_version", h->qemu_version);
    json_str("tcgtrace_version", h->tcgtrace_version);
    json_u64("page_size", st->page_size);
    json_u64("start_time_ns", h->start_time_ns);
    json_str_array("command", h->argv, h->argc);
    json_str_or_null("sysroot", tt_header_sysroot(h));
    putchar('}');
    json_str("state", rp->state);
    json_str_or_null("error", rp->problem);
    printf(",\"execve\":%s", rp->execve ? "true" : "false");
    printf(",\"totals\":{\"records\":%" PRIu64, st->records);
    json_u64("threads", thread_count(st));
    json_u64("vcpus", st->nthreads);
    json_counts(&st->c);
    json_u64("register_changes", st->reg_changes);
    json_u64("syscalls", st->syscalls);
    json_u64("sync_events", st->sync_events);
    json_u64("heap_events", st->heap_events);
    json_u64("calls", st->calls);
    json_u64("mapping_changes", st->map_changes);
    json_u64("module_loads", st->module_loads);
    json_u64("thread_starts", st->thread_starts);
    json_u64("thread_exits", st->thread_exits);
    printf("},\"lost\":{\"records\":%" PRIu64, st->lost);
    json_lost_kinds("not_recorded", st->lost_plugin);
    json_lost_kinds("not_written", st->lost_writer);
    json_str_or_null("write_error", st->write_errno ? tt_lost_reason(st->write_errno) : NULL);
    putchar('}');
}

static void json_threads(const struct report *rp)
{
    const struct stats *st = rp->st;
    printf(",\"threads\":[");
    for (size_t i = 0; i < st->nthreads; i++) {
        const struct stats_thread *th = &st->threads[i];
        printf("%s{\"vcpu\":%" PRIu32, i ? "," : "", th->vcpu);
        printf(",\"tids\":[");
        for (size_t j = 0; j < th->ntids; j++)
            printf("%s%" PRIu64, j ? "," : "", th->tids[j]);
        putchar(']');
        json_u64("records", th->records);
        json_counts(&th->c);
        json_u64("register_changes", th->reg_changes);
        json_u64("syscalls", th->syscalls);
        json_u64("sync_events", th->sync_events);
        json_u64("thread_exits", th->exits);
        json_u64("lost", th->lost);
        putchar('}');
    }
    putchar(']');
}

static void json_syscalls(const struct report *rp)
{
    const struct stats *st = rp->st;
    printf(",\"syscalls\":[");
    for (size_t i = 0; i < st->nsyscalls; i++) {
        const struct stats_syscall *s = &st->syscall[i];
        printf("%s{\"number\":%" PRIu64, i ? "," : "", s->num);
        json_str_or_null("name", sysname(rp->h->arch, s->num));
        json_u64("calls", s->calls);
        json_u64("returns", s->returns);
        json_u64("errors", s->errors);
        putchar('}');
    }
    putchar(']');
}

static void json_mappings(const struct report *rp)
{
    const struct stats *st = rp->st;
    printf(",\"mappings\":[");
    const char *sep = "";
    for (unsigned c = 1; c < TT_MAP_CAUSE_COUNT; c++) {
        if (!st->mappings[c].changes)
            continue;
        printf("%s{\"cause\":\"%s\"", sep, tt_map_cause_name(c));
        json_u64("changes", st->mappings[c].changes);
        json_u64("bytes", st->mappings[c].bytes);
        putchar('}');
        sep = ",";
    }
    putchar(']');
}

static void json_modules(const struct report *rp)
{
    const struct stats *st = rp->st;
    printf(",\"modules\":[");
    for (size_t i = 0; i < st->nmodules; i++) {
        const struct stats_module *m = &st->modules[i];
        printf("%s{\"path\":", i ? "," : "");
        json_string(m->path);
        json_hex("bias", m->bias);
        json_hex("start", m->start);
        json_hex("end", m->end);
        putchar('}');
    }
    putchar(']');
}

static const char *const func_kinds[] = {
    [STATS_FUNCTION] = "function",
    [STATS_MODULE_REST] = "outside-functions",
    [STATS_NO_MODULE] = "outside-modules",
};

static void json_code(const struct report *rp, bool funcs, const struct stats_code *v, size_t n, size_t total)
{
    printf(",\"%s\":{\"by\":\"%s\"", funcs ? "hot_functions" : "hot_code", by_name(rp->st));
    json_u64("total", total);
    printf(",\"entries\":[");
    for (size_t i = 0; i < n; i++) {
        char where[512];
        struct sym_code s = display_sym(&v[i], funcs);
        printf("%s{\"pc\":\"0x%" PRIx64 "\"", i ? "," : "", v[i].pc);
        json_counts(&v[i].c);
        json_str("location", code_location(&v[i], funcs, where, sizeof where));
        if (funcs)
            json_str("kind", func_kinds[v[i].kind]);
        json_str_or_null("module", s.module);
        if (s.module && (!funcs || v[i].kind == STATS_FUNCTION))
            json_hex("offset", s.offset);
        else
            printf(",\"offset\":null");
        json_str_or_null("function", s.function);
        json_u64("function_offset", s.func_offset);
        json_str_or_null("file", s.file);
        json_u64("line", (uint64_t)s.line);
        if (funcs)
            json_hex("hottest_pc", v[i].sym_pc);
        putchar('}');
    }
    printf("]}");
}

static void json_data(const struct report *rp, const struct stats_region *v, size_t n, size_t total)
{
    (void)rp;
    printf(",\"hot_data\":{\"by\":\"accesses\"");
    json_u64("total", total);
    printf(",\"entries\":[");
    for (size_t i = 0; i < n; i++) {
        char where[512];
        printf("%s{\"start\":\"0x%" PRIx64 "\"", i ? "," : "", v[i].start);
        json_u64("size", v[i].size);
        json_str("kind", v[i].kind == STATS_SYMBOL ? "symbol" : "page");
        json_counts(&v[i].c);
        json_str("location", data_location(&v[i], where, sizeof where));
        json_str_or_null("module", v[i].sym.module);
        if (v[i].sym.module)
            json_hex("offset", v[i].sym.offset);
        else
            printf(",\"offset\":null");
        json_str_or_null("name", v[i].sym.name);
        json_str_or_null("mapping", v[i].map_cause ? tt_map_cause_name(v[i].map_cause) : NULL);
        putchar('}');
    }
    printf("]}");
}

static void json_end(const struct report *rp)
{
    json_symbol_errors(rp->syms);
    printf("}\n");
}

static const struct format formats[] = {
    { "text", text_summary, text_threads, text_syscalls, text_mappings, text_modules, text_code, text_data,
      text_end },
    { "json", json_summary, json_threads, json_syscalls, json_mappings, json_modules, json_code, json_data,
      json_end },
};

/* --- The command --------------------------------------------------------- */

static const struct format *format_named(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name))
            return &formats[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tcgtrace stats [OPTIONS] TRACE\n"
            "\n"
            "Summarises a trace: counts per thread, system calls, mapping changes, the\n"
            "hottest code and data named from the modules the program loaded, records\n"
            "lost, and whether the recording was cut short.\n"
            "\n"
            "  -j, --json           one JSON document (keys in docs/stats.md)\n"
            "  -n, --top=N          entries per ranking (default %d; 0: all)\n"
            "      --sysroot=DIR    where a foreign guest's libraries are (default:\n"
            "                       /usr/<triplet> for a guest of another architecture)\n"
            "  -q, --quiet          no progress line (on a terminal) while it reads\n"
            "  -h, --help           this help\n",
            DEFAULT_TOP);
}

static void report(const struct format *fmt, struct report *rp)
{
    struct stats *st = rp->st;
    fmt->summary(rp);
    fmt->threads(rp);
    fmt->syscalls(rp);
    fmt->mappings(rp);
    fmt->modules(rp);
    size_t total;
    const struct stats_code *code = stats_hot_code(st, &total);
    fmt->code(rp, false, code, total < rp->top ? total : rp->top, total);
    code = stats_hot_funcs(st, &total);
    fmt->code(rp, true, code, total < rp->top ? total : rp->top, total);
    const struct stats_region *data = stats_hot_data(st, &total);
    if (!data)
        msg_die("out of memory");
    fmt->data(rp, data, total < rp->top ? total : rp->top, total);
    fmt->end(rp);
}

int cmd_stats(int argc, char **argv)
{
    enum { OPT_SYSROOT = 256 };
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "top", required_argument, NULL, 'n' },
        { "sysroot", required_argument, NULL, OPT_SYSROOT },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct format *fmt = format_named("text");
    size_t top = DEFAULT_TOP;
    const char *sysroot = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jn:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = true;
            break;
        case 'j':
            fmt = format_named("json");
            break;
        case 'n': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!*optarg || *end || optarg[0] == '-' || errno)
                msg_usage("--top needs a number, not '%s'", optarg);
            top = v ? (size_t)v : SIZE_MAX;
            break;
        }
        case OPT_SYSROOT:
            sysroot = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            msg_bad_option(c, argv, opts);
        }
    }
    if (optind != argc - 1)
        msg_usage(optind == argc ? "no trace given" : "one trace at a time");
    if (sysroot && guest_check_sysroot(sysroot) < 0)
        return 1;

    struct report rp = { .path = argv[optind], .top = top, .state = "complete" };
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(rp.path, 0, &err);
    if (!r) {
        msg_error("%s", err.msg);
        return 1;
    }
    rp.h = tt_reader_header(r);
    if (!(rp.st = stats_new(rp.h)))
        msg_die("out of memory");
    struct reading_progress prog;
    reading_progress_init(&prog, rp.h, quiet);
    rp.st->progress = reading_progress;
    rp.st->progress_arg = &prog;
    int rc = stats_collect(rp.st, r, &err);
    if (rc == TT_E_NOMEM)
        msg_die("%s", err.msg);
    struct tt_error read_err = err;
    if (rc < 0) {
        rp.state = rc == TT_E_TRUNCATED ? "cut-short" : "corrupt";
        rp.problem = read_err.msg;
    }
    for (size_t i = 0; i < rp.st->nsyscalls; i++) {
        const struct stats_syscall *c = &rp.st->syscall[i];
        rp.execve |= c->calls > c->returns && sys_is_execve(rp.h->arch, c->num);
    }
    if (!sysroot)
        sysroot = guest_trace_sysroot(rp.h);
    if (!(rp.syms = symbols_new(sysroot)))
        msg_die("out of memory");
    symbols_set_recorded(rp.syms, rp.h->start_time_ns);
    int src = stats_symbolise(rp.st, rp.syms, rp.path, &err);
    if (src == TT_E_NOMEM)
        msg_die("%s", err.msg);
    reading_progress_end(&prog);
    if (src < 0)
        msg_warn("data regions are pages: %s", err.msg);

    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    report(fmt, &rp);

    /* A trace cut short is what an interrupted recording leaves: its
     * statistics are worth having and say so. A corrupt one is an error. */
    int status = 0;
    if (rc < 0) {
        fflush(stdout);
        if (rc == TT_E_TRUNCATED) {
            msg_warn("%s", read_err.msg);
        } else {
            msg_error("%s", read_err.msg);
            status = 1;
        }
    }
    symbols_free(rp.syms);
    stats_free(rp.st);
    tt_reader_close(r);
    return status;
}
