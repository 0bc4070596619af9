/* tcgtrace dump: a trace's records as text or JSON lines. Output formats
 * are a table of functions; the seeds' formats (execlog, memtrace) are
 * written through include/tcgtrace/textfmt.h, the same code the plugins
 * use, so `dump` of a binary trace prints what the plugin would have. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/u64map.h"
#include "cmd.h"
#include "json.h"
#include "tcgtrace/reader.h"
#include "tcgtrace/textfmt.h"

/* A growable line: one per vCPU for execlog, whose line is complete only
 * when that vCPU's next instruction arrives. */
struct line {
    char *s;
    size_t len, cap;
};

static char *line_room(struct line *l, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = l->cap ? l->cap : 256;
        while (cap < l->len + n)
            cap *= 2;
        char *s = realloc(l->s, cap);
        if (!s)
            msg_die("out of memory");
        l->s = s;
        l->cap = cap;
    }
    return l->s + l->len;
}

static void line_done(struct line *l, char *end)
{
    l->len = (size_t)(end - l->s);
}

/* execlog: a vCPU's pending line. */
struct vcpu_line {
    uint32_t vcpu;
    struct line l;
};

struct dump {
    struct tt_reader *r;
    /* In order of first appearance, found by vCPU index (the last one used
     * first): a trace names its vCPUs, so their count (not their largest
     * index) sizes this. */
    struct vcpu_line *lines;
    uint32_t nlines, cap, last;
    struct u64map index;
    struct line out;    /* scratch for one record */
};

struct format {
    const char *name;
    /* Which records the format shows when no --kind is given. */
    bool (*wants)(unsigned kind);
    void (*record)(struct dump *d, const struct tt_record *r);
    void (*end)(struct dump *d);
};

static void put(const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
}

/* --- execlog: QEMU's contrib/plugins/execlog.c lines ------------------- */

static bool execlog_wants(unsigned kind)
{
    return kind == TT_INSN || kind == TT_MEM || kind == TT_REG;
}

static struct line *vcpu_line(struct dump *d, uint32_t vcpu)
{
    if (d->last < d->nlines && d->lines[d->last].vcpu == vcpu)
        return &d->lines[d->last].l;
    bool added;
    uint64_t *slot = u64map_insert(&d->index, vcpu, &added);
    if (!slot)
        msg_die("out of memory");
    if (added) {
        if (d->nlines == d->cap) {
            size_t cap = d->cap ? 2 * (size_t)d->cap : 16;
            struct vcpu_line *l = realloc(d->lines, cap * sizeof *l);
            if (!l)
                msg_die("out of memory");
            d->lines = l;
            d->cap = (uint32_t)cap;
        }
        d->lines[d->nlines] = (struct vcpu_line){ .vcpu = vcpu };
        *slot = d->nlines++;
    }
    d->last = (uint32_t)*slot;
    return &d->lines[d->last].l;
}

static int by_vcpu(const void *a, const void *b)
{
    const struct vcpu_line *x = a, *y = b;
    return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

static void execlog_record(struct dump *d, const struct tt_record *r)
{
    struct line *l = vcpu_line(d, r->stream);
    char *p;
    switch (r->kind) {
    case TT_INSN: {
        const struct tt_insn_def *def = r->insn.def;
        if (l->len) {
            put(l->s, l->len);
            put("\n", 1);
        }
        l->len = 0;
        p = line_room(l, 64 + strlen(def->disas));
        p = tf_execlog_vcpu(p, r->stream);
        p = tf_execlog_insn(p, def->pc, tf_execlog_opcode(def->bytes, def->len), def->disas);
        break;
    }
    case TT_MEM:
        if (r->mem.has_phys) {
            p = line_room(l, 64 + strlen(r->mem.region_name));
            p = tf_execlog_hwmem(p, r->mem.store, r->mem.phys, r->mem.region_name);
        } else {
            p = tf_execlog_mem(line_room(l, 64), r->mem.store, r->mem.vaddr);
        }
        break;
    case TT_REG:
        p = line_room(l, 16 + strlen(r->reg.def->name) + 2 * (size_t)r->reg.len);
        p = tf_execlog_reg(p, r->reg.def->name, r->reg.value, r->reg.len);
        break;
    default:
        return;
    }
    line_done(l, p);
}

/* Each vCPU's last line, in vCPU order, as execlog prints at exit. */
static void execlog_end(struct dump *d)
{
    if (d->nlines)
        qsort(d->lines, d->nlines, sizeof *d->lines, by_vcpu);
    for (uint32_t i = 0; i < d->nlines; i++) {
        struct line *l = &d->lines[i].l;
        if (l->len) {
            put(l->s, l->len);
            put("\n", 1);
        }
        free(l->s);
    }
    free(d->lines);
    u64map_free(&d->index);
    d->lines = NULL;
    d->nlines = d->cap = 0;
}

/* --- memtrace: `T<vcpu> R|W 0x<16 hex> <size>` ------------------------- */

static bool memtrace_wants(unsigned kind)
{
    return kind == TT_MEM;
}

static void memtrace_record(struct dump *d, const struct tt_record *r)
{
    if (r->kind != TT_MEM)
        return;
    char *p = line_room(&d->out, 64);
    p = tf_memtrace(p, r->stream, r->mem.store, r->mem.vaddr, r->mem.size);
    put(d->out.s, (size_t)(p - d->out.s));
}

static void no_end(struct dump *d)
{
    (void)d;
}

/* --- text: every record, one line each -------------------------------- */

static bool all_kinds(unsigned kind)
{
    return kind < TT_DEF_INSN || kind == TT_HEAP || kind == TT_CALL;
}

static void hexbytes(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

static void text_prot(uint32_t prot)
{
    if (prot & TT_PROT_UNMAPPED)
        printf("unmapped");
    else
        printf("%c%c%c", prot & TT_PROT_READ ? 'r' : '-', prot & TT_PROT_WRITE ? 'w' : '-',
               prot & TT_PROT_EXEC ? 'x' : '-');
}

/* A value of n bytes: low 64 bits in lo, the rest in hi. */
static void text_value(const uint64_t v[2], unsigned size)
{
    if (size > 8)
        printf("0x%016" PRIx64 "%016" PRIx64, v[1], v[0]);
    else
        printf("0x%0*" PRIx64, (int)size * 2, v[0]);
}

static void text_record(struct dump *d, const struct tt_record *r)
{
    (void)d;
    if (r->stream == TT_STREAM_META)
        printf("meta ");
    else
        printf("%" PRIu32 " ", r->stream);
    printf("%s", tt_kind_name(r->kind));
    switch (r->kind) {
    case TT_INSN:
        printf(" 0x%" PRIx64 " ", r->insn.def->pc);
        hexbytes(r->insn.def->bytes, r->insn.def->len);
        printf(" \"%s\"", r->insn.def->disas);
        break;
    case TT_MEM:
        printf(" %s 0x%" PRIx64 " %u pc 0x%" PRIx64, r->mem.store ? "store" : "load", r->mem.vaddr,
               r->mem.size, r->mem.pc);
        if (r->mem.has_value) {
            printf(" value ");
            text_value(r->mem.value, r->mem.size);
        }
        if (r->mem.has_phys)
            printf(" phys 0x%" PRIx64 " %s", r->mem.phys, r->mem.region_name);
        break;
    case TT_REG:
        printf(" %s 0x", r->reg.def->name);
        for (size_t i = r->reg.len; i-- > 0;)
            printf("%02x", r->reg.value[i]);
        break;
    case TT_THREAD_START:
        printf(" tid %" PRIu64, r->thread.tid);
        break;
    case TT_THREAD_EXIT:
        printf(" tid %" PRIu64 " status %" PRId64, r->thread.tid, r->thread.status);
        break;
    case TT_SYSCALL:
        printf(" %" PRIu64, r->syscall.num);
        for (int i = 0; i < 6; i++)
            printf("%s0x%" PRIx64, i ? ", " : " (", r->syscall.args[i]);
        printf(")");
        break;
    case TT_SYSRET:
        printf(" %" PRIu64 " = %" PRId64, r->sysret.num, r->sysret.ret);
        break;
    case TT_MAP:
        printf(" 0x%" PRIx64 "-0x%" PRIx64 " ", r->map.start, r->map.start + r->map.length);
        text_prot(r->map.prot);
        printf(" %s", tt_map_cause_name(r->map.cause));
        break;
    case TT_MODULE:
        printf(" %s bias 0x%" PRIx64 " 0x%" PRIx64 "-0x%" PRIx64, r->module.path, r->module.bias,
               r->module.start, r->module.end);
        break;
    case TT_SYNC:
        printf(" #%" PRIu64 " %s 0x%" PRIx64 " pc 0x%" PRIx64 " arg %" PRIu64, r->sync.gseq,
               tt_sync_kind_name(r->sync.kind), r->sync.addr, r->sync.pc, r->sync.arg);
        break;
    case TT_LOST:
        printf(" %" PRIu64 " %s", r->lost.count, tt_kind_name(r->lost.kind));
        break;
    case TT_HEAP:
        printf(" %s 0x%" PRIx64, tt_heap_kind_name(r->heap.kind), r->heap.addr);
        if (r->heap.kind != TT_HEAP_FREE)
            printf(" size %" PRIu64, r->heap.size);
        if (r->heap.kind == TT_HEAP_REALLOC)
            printf(" old 0x%" PRIx64, r->heap.old);
        printf(" call 0x%" PRIx64 " func 0x%" PRIx64, r->heap.call, r->heap.func);
        break;
    case TT_CALL:
        printf(" pc 0x%" PRIx64, r->call.pc);
        break;
    case TT_DEF_INSN:
        printf(" %" PRIu32 " 0x%" PRIx64 " ", r->def_insn.id, r->def_insn.pc);
        hexbytes(r->def_insn.bytes, r->def_insn.len);
        printf(" \"%s\"", r->def_insn.disas);
        break;
    case TT_DEF_REG:
        printf(" %" PRIu32 " %s %" PRIu32, r->def_reg.id, r->def_reg.name, r->def_reg.width);
        break;
    case TT_DEF_STRING:
        printf(" %" PRIu32 " \"%s\"", r->def_string.id, r->def_string.str);
        break;
    }
    putchar('\n');
}

/* --- JSON lines --------------------------------------------------------- */

static void json_bytes(const char *key, const uint8_t *b, size_t n)
{
    printf(",\"%s\":\"", key);
    hexbytes(b, n);
    putchar('"');
}

static void json_record(struct dump *d, const struct tt_record *r)
{
    (void)d;
    printf("{\"kind\":\"%s\"", tt_kind_name(r->kind));
    if (r->stream != TT_STREAM_META)
        printf(",\"vcpu\":%" PRIu32, r->stream);
    switch (r->kind) {
    case TT_INSN:
        json_hex("pc", r->insn.def->pc);
        json_bytes("bytes", r->insn.def->bytes, r->insn.def->len);
        json_str("disas", r->insn.def->disas);
        break;
    case TT_MEM:
        json_hex("pc", r->mem.pc);
        json_hex("addr", r->mem.vaddr);
        printf(",\"size\":%u,\"store\":%s", r->mem.size, r->mem.store ? "true" : "false");
        if (r->mem.has_value) {
            printf(",\"value\":\"");
            text_value(r->mem.value, r->mem.size);
            putchar('"');
        }
        if (r->mem.has_phys) {
            json_hex("phys", r->mem.phys);
            json_str("region", r->mem.region_name);
        }
        break;
    case TT_REG: {
        json_str("reg", r->reg.def->name);
        printf(",\"value\":\"0x");
        for (size_t i = r->reg.len; i-- > 0;)
            printf("%02x", r->reg.value[i]);
        putchar('"');
        break;
    }
    case TT_THREAD_START:
        printf(",\"tid\":%" PRIu64, r->thread.tid);
        break;
    case TT_THREAD_EXIT:
        printf(",\"tid\":%" PRIu64 ",\"status\":%" PRId64, r->thread.tid, r->thread.status);
        break;
    case TT_SYSCALL:
        printf(",\"num\":%" PRIu64 ",\"args\":[", r->syscall.num);
        for (int i = 0; i < 6; i++)
            printf("%s\"0x%" PRIx64 "\"", i ? "," : "", r->syscall.args[i]);
        putchar(']');
        break;
    case TT_SYSRET:
        printf(",\"num\":%" PRIu64 ",\"ret\":%" PRId64, r->sysret.num, r->sysret.ret);
        break;
    case TT_MAP:
        json_hex("start", r->map.start);
        json_hex("length", r->map.length);
        if (r->map.prot & TT_PROT_UNMAPPED)
            printf(",\"prot\":null");
        else
            printf(",\"prot\":\"%c%c%c\"", r->map.prot & TT_PROT_READ ? 'r' : '-',
                   r->map.prot & TT_PROT_WRITE ? 'w' : '-', r->map.prot & TT_PROT_EXEC ? 'x' : '-');
        json_str("cause", tt_map_cause_name(r->map.cause));
        break;
    case TT_MODULE:
        json_str("path", r->module.path);
        json_hex("bias", r->module.bias);
        json_hex("start", r->module.start);
        json_hex("end", r->module.end);
        break;
    case TT_SYNC:
        printf(",\"seq\":%" PRIu64, r->sync.gseq);
        json_str("sync", tt_sync_kind_name(r->sync.kind));
        json_hex("addr", r->sync.addr);
        json_hex("pc", r->sync.pc);
        printf(",\"arg\":%" PRIu64, r->sync.arg);
        break;
    case TT_LOST:
        printf(",\"count\":%" PRIu64, r->lost.count);
        json_str("lost", tt_kind_name(r->lost.kind));
        break;
    case TT_HEAP:
        json_str("heap", tt_heap_kind_name(r->heap.kind));
        json_hex("addr", r->heap.addr);
        if (r->heap.kind != TT_HEAP_FREE)
            printf(",\"size\":%" PRIu64, r->heap.size);
        else
            printf(",\"size\":null");
        if (r->heap.kind == TT_HEAP_REALLOC)
            json_hex("old", r->heap.old);
        else
            printf(",\"old\":null");
        json_hex("call", r->heap.call);
        json_hex("func", r->heap.func);
        break;
    case TT_CALL:
        json_hex("pc", r->call.pc);
        break;
    case TT_DEF_INSN:
        printf(",\"id\":%" PRIu32, r->def_insn.id);
        json_hex("pc", r->def_insn.pc);
        json_bytes("bytes", r->def_insn.bytes, r->def_insn.len);
        json_str("disas", r->def_insn.disas);
        break;
    case TT_DEF_REG:
        printf(",\"id\":%" PRIu32, r->def_reg.id);
        json_str("name", r->def_reg.name);
        printf(",\"width\":%" PRIu32, r->def_reg.width);
        break;
    case TT_DEF_STRING:
        printf(",\"id\":%" PRIu32, r->def_string.id);
        json_str("str", r->def_string.str);
        break;
    }
    printf("}\n");
}

static const struct format formats[] = {
    { "execlog", execlog_wants, execlog_record, execlog_end },
    { "memtrace", memtrace_wants, memtrace_record, no_end },
    { "text", all_kinds, text_record, no_end },
    { "json", all_kinds, json_record, no_end },
};

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
            "usage: tcgtrace dump [OPTIONS] TRACE\n"
            "\n"
            "Prints a trace's records. The default format is the text of the plugin that\n"
            "recorded it (execlog or memtrace lines), else one line per record.\n"
            "\n"
            "  -f, --format=FMT   execlog, memtrace, text or json\n"
            "  -j, --json         JSON lines, one record each (--format=json)\n"
            "  -t, --thread=N     only vCPU N's records (repeatable)\n"
            "  -k, --kind=KIND    only records of KIND (repeatable, or comma-separated):\n"
            "                     insn mem reg thread-start thread-exit syscall sysret map\n"
            "                     module sync lost def-insn def-reg def-string heap call\n"
            "                     (text and json formats only)\n"
            "  -h, --help         this help\n");
}

/* --thread N for a vCPU the whole trace does not have: a warning listing
 * those it has, rather than an empty dump that looks like a quiet thread. */
static void no_such_vcpu(const char *path, const struct tt_trailer *t, uint32_t vcpu)
{
    char have[256] = "";
    size_t n = 0;
    for (uint32_t i = 0; i < t->nstreams; i++) {
        if (t->streams[i].stream == vcpu)
            return;
        if (t->streams[i].stream != TT_STREAM_META && n < sizeof have)
            n += (size_t)snprintf(have + n, sizeof have - n, "%s%u", n ? ", " : "", t->streams[i].stream);
    }
    fflush(stdout);
    msg_warn("'%s' has no vCPU %u (it has %s)", path, vcpu, n ? have : "none");
}

int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' }, { "json", no_argument, NULL, 'j' },
        { "thread", required_argument, NULL, 't' }, { "kind", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    const struct format *fmt = NULL;
    bool kinds[TT_KIND_COUNT] = { false }, any_kind = false;
    uint32_t *threads = NULL;
    size_t nthreads = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:jt:k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!(fmt = format_named(optarg)))
                msg_usage("unknown format '%s' (execlog, memtrace, text or json)", optarg);
            break;
        case 'j':
            fmt = format_named("json");
            break;
        case 't': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v > TT_STREAM_MAX_VCPU || optarg[0] == '-')
                msg_usage("--thread needs a vCPU index, not '%s'", optarg);
            threads = realloc(threads, (nthreads + 1) * sizeof *threads);
            if (!threads)
                msg_die("out of memory");
            threads[nthreads++] = (uint32_t)v;
            break;
        }
        case 'k': {
            /* An empty list would select nothing and so, silently, all. */
            if (!optarg[strspn(optarg, ",")])
                msg_usage("--kind needs a record kind, not '%s'", optarg);
            char *list = strdup(optarg), *save = NULL;
            if (!list)
                msg_die("out of memory");
            for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
                unsigned kind = tt_kind_from_name(k);
                if (!kind)
                    msg_usage("unknown record kind '%s'", k);
                kinds[kind] = any_kind = true;
            }
            free(list);
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            msg_bad_option(c, argv, opts);
        }
    }
    if (optind != argc - 1)
        msg_usage(optind == argc ? "no trace given" : "one trace at a time");
    const char *path = argv[optind];
    if (any_kind && fmt && fmt->wants != all_kinds)
        msg_usage("--kind works with the text and json formats, not %s", fmt->name);
    bool defs = kinds[TT_DEF_INSN] || kinds[TT_DEF_REG] || kinds[TT_DEF_STRING];

    struct tt_error err;
    struct tt_reader *r = tt_reader_open(path, defs ? TT_READ_DEFS : 0, &err);
    if (!r) {
        msg_error("%s", err.msg);
        free(threads);
        return 1;
    }
    if (!fmt) {
        const char *plugin = tt_reader_header(r)->plugin;
        fmt = format_named(!strcmp(plugin, "execlog") || !strcmp(plugin, "memtrace") ? plugin : "text");
        if (any_kind)
            fmt = format_named("text");
    }
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    struct dump d = { .r = r };
    struct tt_record rec;
    int rc;
    uint64_t lost = 0; /* what the plugin said it could not record */
    while ((rc = tt_reader_next(r, &rec, &err)) > 0) {
        if (rec.kind == TT_LOST)
            lost += rec.lost.count;
        if (any_kind ? !kinds[rec.kind] : !fmt->wants(rec.kind))
            continue;
        if (nthreads) {
            size_t i = 0;
            while (i < nthreads && threads[i] != rec.stream)
                i++;
            if (i == nthreads)
                continue;
        }
        fmt->record(&d, &rec);
    }
    fmt->end(&d);
    free(d.out.s);
    int status = 0;
    if (rc < 0) {
        fflush(stdout);
        msg_error("%s", err.msg);
        status = 1;
    } else {
        const struct tt_trailer *t = tt_reader_trailer(r);
        for (size_t i = 0; t && i < nthreads; i++)
            no_such_vcpu(path, t, threads[i]);
        lost += tt_trailer_lost(t);
        if (lost) {
            fflush(stdout);
            msg_warn("'%s': the recording lost %" PRIu64 " records%s%s", path, lost,
                     t->write_errno ? ": " : "", t->write_errno ? tt_lost_reason(t->write_errno) : "");
        }
    }
    free(threads);
    tt_reader_close(r);
    return status;
}
