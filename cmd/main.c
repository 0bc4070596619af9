/* tcgtrace: the command. Global options and the table of subcommands;
 * each subcommand lives in a file of its own (cmd/NAME.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const struct command {
    const char *name;
    cmd_fn fn;
    const char *help;
} commands[] = {
    { "record", cmd_record, "run a program under QEMU and record a trace" },
    { "dump", cmd_dump, "print a trace's records as text or JSON lines" },
    { "stats", cmd_stats, "summarise a trace per thread, region and code" },
    { "races", cmd_races, "find data races in a trace or a program" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: tcgtrace [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'tcgtrace COMMAND --help' describes a command\n");
}

static void version(void)
{
    const char *qv = qemu_version();
    printf("tcgtrace %s\n", TCGTRACE_VERSION);
    printf("qemu: %s (%s)\n", qemu_dir(), qv ? qv : "not built: run 'make qemu'");
}

/* Like git and perf: output that could not be written (a full disk, a
 * closed pipe) is an error, not silence. */
static int finish_stdout(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        msg_error("cannot write standard output: %s", strerror(errno));
        return status ? status : 1;
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        version();
        return finish_stdout(0);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return finish_stdout(0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(argv[1], commands[i].name)) {
            msg_set_command(commands[i].name);
            return finish_stdout(commands[i].fn(argc - 1, argv + 1));
        }
    }
    msg_error("'%s' is not a command", argv[1]);
    usage(stderr);
    return 2;
}
