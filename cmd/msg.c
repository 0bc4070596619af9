/* The one set of message helpers: every line tcgtrace writes to stderr
 * about a problem goes through here, with the same prefix. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *command;

void msg_set_command(const char *name)
{
    command = name;
}

const char *msg_command(void)
{
    return command ? command : "";
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
    fputs("tcgtrace", stderr);
    if (command)
        fprintf(stderr, " %s", command);
    fprintf(stderr, ": %s", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void msg_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap);
    va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", fmt, ap);
    va_end(ap);
}

void msg_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap);
    va_end(ap);
    exit(1);
}

void msg_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap);
    va_end(ap);
    fprintf(stderr, "try 'tcgtrace%s%s --help' for more information\n", command ? " " : "", command ? command : "");
    exit(2);
}

void msg_bad_option(int c, char **argv, const struct option *opts)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        msg_usage("option '%s' needs a value", arg);
    if (optopt && !strncmp(arg, "--", 2)) {
        /* A long option getopt knew: it was given a value it takes none of
         * (optopt is its code, which may be no character at all). */
        for (const struct option *o = opts; o->name; o++)
            if (o->val == optopt && !o->flag)
                msg_usage("option '--%s' takes no value", o->name);
    }
    if (optopt)
        msg_usage("unknown option '-%c'", optopt);
    msg_usage("unknown option '%.*s'", (int)strcspn(arg, "="), arg);
}
