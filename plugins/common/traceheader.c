/* A plugin's trace header: see traceheader.h. */
#include <glib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "traceheader.h"

/* The index of the guest's path in QEMU's linux-user argv, as QEMU's own
 * parse_args finds it (linux-user/main.c): options start with '-', those
 * not listed here take the next argument, "--" ends them. QEMU refused
 * any other option before loading a plugin. */
static int guest_argv_start(int argc, char **argv, const char **sysroot)
{
    static const char *const flags[] = {
        "h", "help", "one-insn-per-tb", "singlestep", "strace", "version",
        "xtensa-abi-call0", "perfmap", "jitdump",
    };
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        const char *o = argv[i++] + 1;
        if (strcmp(o, "-") == 0)
            break;
        if (o[0] == '-')
            o++;
        bool flag = false;
        for (size_t f = 0; f < G_N_ELEMENTS(flags); f++)
            flag |= strcmp(o, flags[f]) == 0;
        /* The last -L wins, over QEMU_LD_PREFIX too. */
        if (!flag && strcmp(o, "L") == 0 && i < argc)
            *sysroot = argv[i];
        if (!flag)
            i++;
    }
    return i;
}

static void command(struct trace_header *th, bool system)
{
    gsize len;
    if (!g_file_get_contents("/proc/self/cmdline", &th->cmdline, &len, NULL) || !len)
        return;
    int n = 0;
    for (gsize i = 0; i < len; i++)
        n += th->cmdline[i] == '\0';
    th->argv = g_new(const char *, n + 1);
    const char *p = th->cmdline;
    for (int i = 0; i < n; i++, p += strlen(p) + 1)
        th->argv[i] = p;
    th->argv[n] = NULL;
    const char *sysroot = system ? NULL : g_getenv("QEMU_LD_PREFIX");
    int start = system ? 0 : guest_argv_start(n, (char **)th->argv, &sysroot);
    if (start > n)
        start = n;
    th->h.argc = n - start;
    th->h.argv = th->argv + start;
    size_t bytes = 0;
    int keep = 0;
    for (size_t len; keep < th->h.argc && (len = strlen(th->h.argv[keep]) + 1) <= TRACE_COMMAND_MAX - bytes; keep++)
        bytes += len;
    if (keep < th->h.argc) {
        th->more = g_strdup_printf("[%d more arguments not recorded]", th->h.argc - keep);
        th->argv[start + keep] = th->more;
        th->h.argc = keep + 1;
    }
    /* QEMU's working directory is the guest's at start: a relative path
     * means the same now as when QEMU opened it. */
    if (sysroot && *sysroot)
        th->h.sysroot = th->sysroot = g_canonicalize_filename(sysroot, NULL);
}

void trace_header_init(struct trace_header *th, const char *plugin, int argc, char **argv,
                       const char *arch, bool big_endian, bool system, uint64_t features)
{
    memset(th, 0, sizeof *th);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    GString *opts = g_string_new(NULL);
    for (int i = 0; i < argc; i++)
        g_string_append_printf(opts, "%s%s", i ? "," : "", argv[i]);
    th->options = g_string_free(opts, false);
    th->h.arch = arch;
    th->h.big_endian = big_endian;
    /* linux-user maps guest pages in host pages; qemu-system's page size
     * is the guest's own, which QEMU does not tell plugins. */
    th->h.page_size = system ? 0 : (uint64_t)sysconf(_SC_PAGESIZE);
    /* QEMU does not tell plugins its version. */
    th->h.qemu_version = "";
    th->h.start_time_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    th->h.tcgtrace_version = TCGTRACE_VERSION;
    th->h.plugin = plugin;
    th->h.plugin_options = th->options;
    th->h.features = features;
    th->h.has_kind_counts = true; /* for tcgtrace record's summary */
    command(th, system);
}

void trace_header_free(struct trace_header *th)
{
    g_free(th->options);
    g_free(th->cmdline);
    g_free(th->argv);
    g_free(th->sysroot);
    g_free(th->more);
    memset(th, 0, sizeof *th);
}
