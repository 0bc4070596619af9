/* tcgtrace record: runs a program under the right qemu-ARCH with one of
 * our plugins, shows that it is alive, and passes its exit status on (as
 * time and valgrind do). The guest's stdin, stdout and stderr are QEMU's,
 * untouched; everything tcgtrace says goes to stderr. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "guest.h"
#include "progress.h"
#include "qemuver.h"
#include "record.h"
#include "tcgtrace/format.h"
#include "tcgtrace/reader.h"

enum tool { TOOL_MEM = 1, TOOL_EXEC = 2 };

static const struct tool_info {
    const char *name;
    const char *plugin; /* lib<plugin>.so in plugin_dir() */
    /* The option that silences the plugin's own line at exit, or NULL:
     * record's summary says more, and --quiet asks for nothing. */
    const char *quiet;
} tools[] = {
    [TOOL_MEM] = { "mem", "memtrace", "quiet" },
    [TOOL_EXEC] = { "exec", "execlog", NULL },
};

/* Long options that become plugin options, in the order given. */
enum {
    OPT_NO_READ = 256,
    OPT_NO_WRITE,
    OPT_ALL_MEMORY,
    OPT_REG,
    OPT_RDISAS,
    OPT_IFILTER,
    OPT_AFILTER,
    OPT_LEVEL,
    OPT_PLUGIN_LAST,
    OPT_TOOL = OPT_PLUGIN_LAST,
    OPT_QEMU,
    OPT_SYSROOT,
    OPT_FORMAT,
};

static const struct plugin_opt {
    const char *key;  /* the plugin's key; its value is "on" for a flag */
    unsigned tools;   /* TOOL_* bits it applies to */
} plugin_opts[OPT_PLUGIN_LAST - OPT_NO_READ] = {
    [OPT_NO_READ - OPT_NO_READ] = { "noread", TOOL_MEM },
    [OPT_NO_WRITE - OPT_NO_READ] = { "nowrite", TOOL_MEM },
    [OPT_ALL_MEMORY - OPT_NO_READ] = { "all", TOOL_MEM },
    [OPT_REG - OPT_NO_READ] = { "reg", TOOL_EXEC },
    [OPT_RDISAS - OPT_NO_READ] = { "rdisas", TOOL_EXEC },
    [OPT_IFILTER - OPT_NO_READ] = { "ifilter", TOOL_EXEC },
    [OPT_AFILTER - OPT_NO_READ] = { "afilter", TOOL_EXEC },
    [OPT_LEVEL - OPT_NO_READ] = { "level", TOOL_MEM | TOOL_EXEC },
};

static const struct option long_opts[] = {
    { "tool", required_argument, NULL, OPT_TOOL },
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "no-read", no_argument, NULL, OPT_NO_READ },
    { "no-write", no_argument, NULL, OPT_NO_WRITE },
    { "all-memory", no_argument, NULL, OPT_ALL_MEMORY },
    { "reg", required_argument, NULL, OPT_REG },
    { "rdisas", no_argument, NULL, OPT_RDISAS },
    { "ifilter", required_argument, NULL, OPT_IFILTER },
    { "afilter", required_argument, NULL, OPT_AFILTER },
    { "level", required_argument, NULL, OPT_LEVEL },
    { "qemu", required_argument, NULL, OPT_QEMU },
    { "sysroot", required_argument, NULL, OPT_SYSROOT },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "usage: tcgtrace record [OPTIONS] [--] PROG [ARGS]\n"
    "\n"
    "Runs PROG under QEMU (qemu-x86_64, qemu-aarch64 or qemu-riscv64, chosen from\n"
    "its ELF header) and records a trace. Exits with PROG's exit status.\n"
    "\n"
    "  --tool=mem|exec     what to record: memory accesses (default) or executed\n"
    "                      instructions\n"
    "  -o, --output=FILE   the trace (default tcgtrace.tct; a previous one is kept\n"
    "                      as tcgtrace.tct.old)\n"
    "      --format=bin|text  binary trace format v1 (default), or the seeds' text lines\n"
    "      --level=N       zstd compression level of a binary trace\n"
    "  -q, --quiet         no progress line and no summary\n"
    "\n"
    "  --tool=mem:\n"
    "      --no-read       record no loads\n"
    "      --no-write      record no stores\n"
    "      --all-memory    record accesses to all memory, not only writable memory\n"
    "  --tool=exec:\n"
    "      --reg=GLOB      also record the registers matching GLOB when they change\n"
    "                      (case-insensitive, repeatable)\n"
    "      --rdisas        check registers only after instructions naming one\n"
    "      --ifilter=PREFIX  record only instructions whose disassembly starts with\n"
    "                      PREFIX (repeatable)\n"
    "      --afilter=ADDR  record only the instruction at ADDR, hexadecimal\n"
    "                      (repeatable)\n"
    "\n"
    "  --qemu=PATH         the qemu-ARCH to run (default: tcgtrace's QEMU build in\n"
    "                      $TCGTRACE_QEMU_DIR or ~/.cache/tcgtrace/qemu-10.0, else\n"
    "                      qemu-ARCH in $PATH); its version picks the plugin build\n"
    "  --sysroot=DIR       where a dynamically linked foreign program's libraries are\n"
    "                      (default /usr/aarch64-linux-gnu, /usr/riscv64-linux-gnu)\n"
    "  -h, --help          this text\n";

/* Binary or text output: how to follow it and sum it up (below). */
struct output_format;
static const struct output_format *output_format(const char *name);

/* The command line: the recording, and the tool whose plugin options it
 * accepts. */
struct cmdline {
    struct record_opts rec;
    enum tool tool;
    bool quiet, output_given;
    /* Plugin options as given: option code and value (NULL for a flag). */
    struct {
        int code;
        const char *value;
    } plugin[RECORD_MAX_PLUGIN_OPTS];
    int nplugin;
};

static const char *option_name(int code)
{
    for (const struct option *o = long_opts; o->name; o++)
        if (o->val == code)
            return o->name;
    return "?";
}

static void parse_options(int argc, char **argv, struct cmdline *o)
{
    *o = (struct cmdline){ .tool = TOOL_MEM, .rec = { .output = "tcgtrace.tct", .format = "bin" } };
    /* '+': the first non-option is PROG, and what follows is its own. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+:o:qh", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_TOOL:
            if (!strcmp(optarg, "mem"))
                o->tool = TOOL_MEM;
            else if (!strcmp(optarg, "exec"))
                o->tool = TOOL_EXEC;
            else
                msg_usage("unknown tool '%s' (mem or exec)", optarg);
            break;
        case 'o':
            o->rec.output = optarg;
            o->output_given = true;
            break;
        case OPT_FORMAT:
            if (!output_format(optarg))
                msg_usage("unknown format '%s' (bin or text)", optarg);
            o->rec.format = optarg;
            break;
        case OPT_QEMU:
            o->rec.qemu = optarg;
            break;
        case OPT_SYSROOT:
            o->rec.sysroot = optarg;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        case ':':
        case '?':
            msg_bad_option(c, argv, long_opts);
        default: {
            /* A plugin option: checked against the tool once all are read. */
            char *end;
            if (c == OPT_LEVEL && (strtol(optarg, &end, 10), !*optarg || *end))
                msg_usage("--level needs a number, not '%s'", optarg);
            if (c == OPT_AFILTER && (strtoull(optarg, &end, 16), !isxdigit((unsigned char)*optarg) || *end))
                msg_usage("--afilter needs a hexadecimal address, not '%s'", optarg);
            if (o->nplugin == (int)(sizeof o->plugin / sizeof o->plugin[0]))
                msg_usage("too many plugin options");
            o->plugin[o->nplugin].code = c;
            o->plugin[o->nplugin++].value = optarg; /* NULL for a flag */
        }
        }
    }
    bool no_read = false, no_write = false;
    for (int i = 0; i < o->nplugin; i++) {
        int code = o->plugin[i].code;
        if (!(plugin_opts[code - OPT_NO_READ].tools & o->tool))
            msg_usage("--%s does not apply to --tool=%s", option_name(code), tools[o->tool].name);
        no_read |= code == OPT_NO_READ;
        no_write |= code == OPT_NO_WRITE;
    }
    if (no_read && no_write)
        msg_usage("--no-read and --no-write leave nothing to record");
    if (optind >= argc)
        msg_usage("no program to run");
    o->rec.plugin = tools[o->tool].plugin;
    o->rec.progress = o->rec.summary = !o->quiet;
    /* Run again without -o, the last trace is not lost. */
    o->rec.keep_old = !o->output_given;
    for (int i = 0; i < o->nplugin; i++) {
        o->rec.plugin_opts[i].key = plugin_opts[o->plugin[i].code - OPT_NO_READ].key;
        o->rec.plugin_opts[i].value = o->plugin[i].value ? o->plugin[i].value : "on";
    }
    o->rec.nplugin_opts = o->nplugin;
}

/* Refuses an output the plugin could not write before QEMU starts, leaving
 * nothing behind: a file created to find out is removed, an existing one
 * is only asked (opening a FIFO for writing and closing it would end its
 * reader's input). */
static int check_output(const char *path, const char *shown)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
        close(fd);
        unlink(path);
        return 0;
    }
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            errno = EISDIR;
        else if (access(path, W_OK) == 0)
            return 0;
    }
    msg_error("cannot write '%s': %s", shown, strerror(errno));
    return -1;
}

/* -plugin's argument: the plugin's path and key=value options, comma
 * separated. QEMU reads a comma doubled as a comma in a value (or path). */
struct plugin_arg {
    char buf[16384];
    size_t len;
};

static void arg_add(struct plugin_arg *a, const char *s, bool escape)
{
    for (; *s; s++) {
        if (a->len + 3 > sizeof a->buf)
            msg_die("plugin options too long");
        if (escape && *s == ',')
            a->buf[a->len++] = ',';
        a->buf[a->len++] = *s;
    }
    a->buf[a->len] = '\0';
}

static void arg_option(struct plugin_arg *a, const char *key, const char *value)
{
    arg_add(a, ",", false);
    arg_add(a, key, false);
    arg_add(a, "=", false);
    arg_add(a, value, true);
}

static void plugin_argument(const struct record_opts *o, const char *plugin, const char *out, struct plugin_arg *a)
{
    a->len = 0;
    arg_add(a, plugin, true);
    arg_option(a, "out", out);
    arg_option(a, "format", o->format);
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (tools[i].quiet && !strcmp(tools[i].plugin, o->plugin))
            arg_option(a, tools[i].quiet, "on");
    for (int i = 0; i < o->nplugin_opts; i++)
        arg_option(a, o->plugin_opts[i].key, o->plugin_opts[i].value);
}

/* The plugin opens its output itself, relative to QEMU's working
 * directory; an absolute path keeps the trace where the user meant even if
 * that ever differs. */
static int absolute(const char *path, char *out, size_t size)
{
    char cwd[PATH_MAX];
    int n = path[0] == '/' || !getcwd(cwd, sizeof cwd) ? snprintf(out, size, "%s", path)
                                                        : snprintf(out, size, "%s/%s", cwd, path);
    if (n < (int)size)
        return 0;
    msg_error("cannot write '%s': %s", path, strerror(ENAMETOOLONG));
    return -1;
}

static int find_qemu(const struct record_opts *o, const struct guest *g, char *out, size_t size)
{
    if (o->qemu) {
        snprintf(out, size, "%s", o->qemu);
        if (access(out, X_OK) == 0)
            return 0;
        msg_error("cannot run QEMU '%s': %s", out, strerror(errno));
        return -1;
    }
    if (snprintf(out, size, "%s/bin/qemu-%s", qemu_dir(), g->arch) >= (int)size) {
        msg_error("QEMU directory '%s' has too long a name", qemu_dir());
        return -1;
    }
    if (access(out, X_OK) == 0)
        return 0;
    int err = errno;
    char found[PATH_MAX];
    if (qemu_find_on_path(g->arch, found, sizeof found) == 0) {
        snprintf(out, size, "%s", found);
        return 0;
    }
    msg_error("no QEMU found: cannot run '%s': %s, and no qemu-%s in PATH (run 'make qemu' or pass --qemu PATH)",
              out, strerror(err), g->arch);
    return -1;
}

/* The output, followed while the plugin writes it: each new byte (text)
 * or each new chunk header (binary) is read once, so a progress update
 * costs what was written since the last one. */
struct follow {
    const char *path;
    int fd;        /* -1 until the plugin has created the file */
    uint64_t off;  /* next byte (text) or chunk header (bin) to read; 0 for bin
                      before the file header */
    uint64_t size; /* of the file, at the last update */
    uint64_t records;
    bool broken;   /* not a trace after all: bytes only */
};

static void follow_text(struct follow *f)
{
    char buf[65536];
    ssize_t n;
    while ((n = pread(f->fd, buf, sizeof buf, (off_t)f->off)) > 0) {
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
            f->records++;
        f->off += (uint64_t)n;
    }
}

static void follow_bin(struct follow *f)
{
    uint8_t b[TT_CHUNK_HEADER];
    if (f->off == 0) {
        if (f->size < TT_HEADER_FIXED || pread(f->fd, b, TT_HEADER_FIXED, 0) != TT_HEADER_FIXED)
            return;
        f->broken = memcmp(b, TT_MAGIC, TT_MAGIC_LEN) != 0;
        f->off = tt_le32(b + 12);
    }
    /* A chunk counts once its whole payload is in the file. */
    while (!f->broken && f->off + TT_CHUNK_HEADER <= f->size) {
        struct tt_chunk_header h;
        if (pread(f->fd, b, sizeof b, (off_t)f->off) != (ssize_t)sizeof b ||
            tt_chunk_header_decode(b, f->off, &h, NULL) < 0) {
            f->broken = true;
            break;
        }
        if (f->off + TT_CHUNK_HEADER + h.stored_size > f->size)
            break;
        if (h.type == TT_CHUNK_DATA && h.stream != TT_STREAM_META)
            f->records += h.nrec;
        f->off += TT_CHUNK_HEADER + h.stored_size;
    }
}

/* The end summary of each output format, after the guest ended: what the
 * output holds and what it cost. */
static void summary_text(const struct follow *f, const char *shown, double wall)
{
    char size[32];
    fprintf(stderr, "tcgtrace record: '%s': %" PRIu64 " lines, %s (%.1f bytes/line), %.2f s\n", shown, f->records,
            human_size((double)f->size, size, sizeof size), f->records ? (double)f->size / (double)f->records : 0.0,
            wall);
}

/* What the records are, for people: by kind, in the order of the kinds
 * (definitions are not records of the program). */
static const char *const kind_nouns[TT_KIND_COUNT][2] = {
    [TT_INSN] = { "instruction", "instructions" },
    [TT_MEM] = { "memory access", "memory accesses" },
    [TT_REG] = { "register change", "register changes" },
    [TT_THREAD_START] = { "thread start", "thread starts" },
    [TT_THREAD_EXIT] = { "thread exit", "thread exits" },
    [TT_SYSCALL] = { "syscall", "syscalls" },
    [TT_SYSRET] = { "syscall return", "syscall returns" },
    [TT_MAP] = { "mapping change", "mapping changes" },
    [TT_MODULE] = { "module load", "module loads" },
    [TT_SYNC] = { "sync event", "sync events" },
    [TT_LOST] = { "records-lost record", "records-lost records" },
    [TT_HEAP] = { "heap event", "heap events" },
    [TT_CALL] = { "call", "calls" },
};

/* A second line with the records per kind, from the header's counts (which
 * the writer filled in before the trailer); none if the trace has none. */
static void summary_kinds(const struct tt_header *h)
{
    char line[1024];
    size_t n = 0;
    for (unsigned k = 1; k < TT_KIND_COUNT && h->has_kind_counts; k++) {
        uint64_t c = h->kind_counts[k];
        if (c && kind_nouns[k][0] && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s%" PRIu64 " %s", n ? ", " : "", c,
                                  kind_nouns[k][c != 1]);
    }
    if (n)
        fprintf(stderr, "tcgtrace record:   %s\n", line);
}

/* The program's records a trace holds by the header's counts: neither
 * definitions nor the heap events and calls that 'tcgtrace stats' counts
 * apart. */
static uint64_t program_records(const struct tt_header *h)
{
    uint64_t n = 0;
    for (unsigned k = 1; k < TT_KIND_COUNT; k++)
        if (kind_nouns[k][0] && k != TT_HEAP && k != TT_CALL)
            n += h->kind_counts[k];
    return n;
}

/* From the header, the chunk headers and the trailer alone (a merged
 * open's first pass): the records are not decoded, which would take longer
 * than recording them did. So the losses counted are the writer's (a
 * failed write); the plugin reports at exit what it could not record
 * itself. */
static void summary_bin(const struct follow *f, const char *shown, double wall)
{
    char size[32], lost[128] = "none lost writing";
    struct tt_error err;
    struct tt_reader *r = tt_reader_open(f->path, TT_READ_MERGED, &err);
    const struct tt_trailer *t = r ? tt_reader_trailer(r) : NULL;
    if (!t) {
        if (r)
            msg_warn("'%s' has no valid trailer: the recording did not finish ('tcgtrace dump' reads what it holds)",
                     shown);
        else
            msg_warn("%s", err.msg);
        tt_reader_close(r);
        return;
    }
    uint64_t records = 0, nlost = tt_trailer_lost(t);
    uint32_t vcpus = 0;
    for (uint32_t i = 0; i < t->nstreams; i++) {
        if (t->streams[i].stream == TT_STREAM_META)
            continue;
        vcpus++;
        records += t->streams[i].records;
    }
    /* The chunks' counts leave out extension records, some of which are
     * sync events: the header's counts per kind hold them, and the total
     * is then the one 'tcgtrace stats' counts. */
    const struct tt_header *h = tt_reader_header(r);
    if (h->has_kind_counts)
        records = program_records(h);
    if (nlost)
        snprintf(lost, sizeof lost, "%" PRIu64 " LOST writing (%s)", nlost, tt_lost_reason(t->write_errno));
    fprintf(stderr, "tcgtrace record: '%s': %" PRIu64 " records from %u vCPU%s, %s, %s (%.1f bytes/record), %.2f s\n",
            shown, records, vcpus, vcpus == 1 ? "" : "s", lost, human_size((double)f->size, size, sizeof size),
            records ? (double)f->size / (double)records : 0.0, wall);
    summary_kinds(h);
    if (h->replaced)
        msg_warn("the program called execve: what it ran next ran outside QEMU and is not in '%s'", shown);
    tt_reader_close(r);
}

static const struct output_format {
    const char *name; /* --format= */
    const char *unit; /* what a record is, on the progress line */
    void (*follow)(struct follow *f);
    void (*summary)(const struct follow *f, const char *shown, double wall);
} output_formats[] = {
    { "bin", "records", follow_bin, summary_bin },
    { "text", "lines", follow_text, summary_text },
};

static const struct output_format *output_format(const char *name)
{
    for (size_t i = 0; i < sizeof output_formats / sizeof output_formats[0]; i++)
        if (!strcmp(output_formats[i].name, name))
            return &output_formats[i];
    return NULL;
}

/* False while the plugin has not created the output, and for an output
 * that is no file (-o /dev/stdout, a FIFO): nothing to count there. */
static bool follow_update(struct follow *f, const struct output_format *fmt)
{
    struct stat st;
    if (f->fd < 0 && (f->fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
        return false;
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    f->size = (uint64_t)st.st_size;
    fmt->follow(f);
    return true;
}

/* The line shown on a terminal while the guest runs, redrawn in place. */
static void progress_update(struct follow *f, const struct output_format *fmt, double elapsed)
{
    char size[32], count[32], rate[32];
    bool followed = follow_update(f, fmt);
    human_size((double)f->size, size, sizeof size);
    if (!followed)
        progress_show("%.1f s", elapsed);
    else if (f->broken)
        progress_show("%.1f s, %s (%s/s)", elapsed, size, human_size((double)f->size / elapsed, rate, sizeof rate));
    else
        progress_show("%.1f s, %s %s (%s/s), %s", elapsed, human_count((double)f->records, count, sizeof count),
                      fmt->unit, human_count((double)f->records / elapsed, rate, sizeof rate), size);
}

static volatile sig_atomic_t child;

/* The signals passed on to QEMU, what tcgtrace did with each before, and
 * who sent the last one passed on (0: none, or the kernel). */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NFORWARDED (sizeof forwarded / sizeof forwarded[0])
static struct sigaction forwarded_old[NFORWARDED];
static volatile sig_atomic_t forwarded_by[NFORWARDED];

static void forward_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    size_t i = 0;
    while (forwarded[i] != sig)
        i++;
    /* A terminal's ^C reaches its whole foreground process group, QEMU
     * included (the kernel sends it: SI_KERNEL); only signals sent to
     * tcgtrace alone (kill, timeout) are passed on, so the guest never
     * sees one ^C twice. */
    if (child > 0) {
        if (si->si_code != SI_KERNEL)
            kill((pid_t)child, sig);
        forwarded_by[i] = si->si_code == SI_KERNEL ? 0 : si->si_pid;
        return;
    }
    /* QEMU is gone. GNU timeout sends its signal to its child, then to
     * the child's process group: the second copy, from the sender of one
     * passed on, can come once QEMU has ended, and killed tcgtrace before
     * it said a word of what was recorded (a test under load, 1 run in
     * 30). It is that signal again: ignored, once. Any other does what it
     * did before. */
    if (forwarded_by[i] && si->si_code != SI_KERNEL && si->si_pid == forwarded_by[i]) {
        forwarded_by[i] = 0;
        return;
    }
    sigaction(sig, &forwarded_old[i], NULL);
    raise(sig);
}

static void child_exited(int sig)
{
    (void)sig; /* only wakes ppoll up */
}

/* Runs argv[0] as a child and returns its status as a shell would, and in
 * *wall how long it ran. With progress, follows the output meanwhile. */
static int run(char **argv, struct follow *f, const struct output_format *fmt, bool progress, double *wall)
{
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaddset(&block, forwarded[i]);
    /* Blocked until ppoll: no signal is lost between fork and the wait. */
    sigprocmask(SIG_BLOCK, &block, &orig);
    /* A signal the caller ignores (sh does SIGINT for background jobs)
     * stays ignored, in tcgtrace and in QEMU. */
    struct sigaction sa = { .sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFORWARDED; i++) {
        sigaction(forwarded[i], NULL, &forwarded_old[i]);
        if (forwarded_old[i].sa_handler != SIG_IGN)
            sigaction(forwarded[i], &sa, NULL);
    }
    struct sigaction sc = { .sa_handler = child_exited }, old_chld;
    sigemptyset(&sc.sa_mask);
    sigaction(SIGCHLD, &sc, &old_chld);

    double start = clock_seconds(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0)
        msg_die("cannot start QEMU: %s", strerror(errno));
    if (pid == 0) {
        for (size_t i = 0; i < NFORWARDED; i++)
            sigaction(forwarded[i], &forwarded_old[i], NULL);
        sigaction(SIGCHLD, &old_chld, NULL);
        sigprocmask(SIG_SETMASK, &orig, NULL);
        execv(argv[0], argv);
        msg_error("cannot run QEMU '%s': %s", argv[0], strerror(errno));
        _exit(127);
    }
    child = pid;

    int status;
    bool shown = false;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            msg_die("cannot wait for QEMU: %s", strerror(errno));
        /* A progress line only once the run is long enough to want one. */
        double elapsed = clock_seconds(CLOCK_MONOTONIC) - start;
        if (progress && elapsed >= 0.5) {
            progress_update(f, fmt, elapsed);
            shown = true;
        }
        struct timespec tick = { 0, 250000000 };
        ppoll(NULL, 0, progress ? &tick : NULL, &orig);
    }
    /* The handlers stay: forward_signal now takes a second copy of a
     * signal passed on for what it is. */
    child = 0;
    sigaction(SIGCHLD, &old_chld, NULL);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    *wall = clock_seconds(CLOCK_MONOTONIC) - start;
    if (shown)
        progress_clear();
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int record_run(const struct record_opts *o, int argc, char **argv)
{
    const char *prog = argv[0];
    struct guest g;
    if (guest_inspect(prog, o->sysroot, &g) < 0)
        return -1;
    char output[PATH_MAX];
    char qemu[PATH_MAX];
    if (absolute(o->output, output, sizeof output) < 0 || check_output(output, o->output) < 0 ||
        find_qemu(o, &g, qemu, sizeof qemu) < 0)
        return -1;
    const char *pdir = qemu_plugin_dir(qemu);
    if (!pdir)
        return -1;
    char plugin[PATH_MAX + 64];
    snprintf(plugin, sizeof plugin, "%s/lib%s.so", pdir, o->plugin);
    if (access(plugin, R_OK) < 0) {
        msg_error("cannot use plugin '%s': %s (run 'make')", plugin, strerror(errno));
        return -1;
    }
    char old[PATH_MAX + 8] = "";
    struct stat st;
    if (o->keep_old && lstat(output, &st) == 0 && S_ISREG(st.st_mode)) {
        snprintf(old, sizeof old, "%s.old", output);
        if (rename(output, old) != 0) {
            msg_error("cannot keep the last '%s' as '%s.old': %s", o->output, o->output, strerror(errno));
            return -1;
        }
    }
    static struct plugin_arg parg;
    plugin_argument(o, plugin, output, &parg);

    /* qemu [-L SYSROOT] [-E VAR=VALUE]... -0 PROG -plugin ARG PATH ARGS: -0
     * keeps the argv[0] the user typed; a path starting with '-' would read
     * as an option. */
    char path[PATH_MAX + 2];
    snprintf(path, sizeof path, "%s%s", g.path[0] == '-' ? "./" : "", g.path);
    char **qargv = calloc((size_t)argc + 16 + 2 * RECORD_MAX_ENV, sizeof *qargv);
    if (!qargv)
        msg_die("out of memory");
    int n = 0;
    qargv[n++] = qemu;
    if (g.sysroot[0]) {
        qargv[n++] = "-L";
        qargv[n++] = g.sysroot;
    }
    for (int i = 0; i < o->nenv; i++) {
        qargv[n++] = "-E";
        qargv[n++] = (char *)o->env[i];
    }
    qargv[n++] = "-0";
    qargv[n++] = (char *)prog;
    qargv[n++] = "-plugin";
    qargv[n++] = parg.buf;
    qargv[n++] = path;
    for (int i = 1; i < argc; i++)
        qargv[n++] = argv[i];
    qargv[n] = NULL;

    double wall;
    const struct output_format *fmt = output_format(o->format);
    struct follow f = { .path = output, .fd = -1 };
    int status = run(qargv, &f, fmt, o->progress && isatty(STDERR_FILENO), &wall);
    free(qargv);
    /* No output: QEMU failed before the plugin started, and said why. */
    if (o->summary && follow_update(&f, fmt))
        fmt->summary(&f, o->output, wall);
    if (o->summary && old[0])
        fprintf(stderr, "tcgtrace record: the last '%s' is kept as '%s.old'\n", o->output, o->output);
    if (f.fd >= 0)
        close(f.fd);
    return status;
}

int cmd_record(int argc, char **argv)
{
    struct cmdline o;
    parse_options(argc, argv, &o);
    int status = record_run(&o.rec, argc - optind, argv + optind);
    return status < 0 ? 1 : status;
}
