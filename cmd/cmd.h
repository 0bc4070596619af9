/* The tcgtrace command: its subcommands and the helpers they share. Only
 * cmd/ prints and exits; lib/ and analysis/ return errors. */
#ifndef TCGTRACE_CMD_H
#define TCGTRACE_CMD_H

#include <stdarg.h>
#include <stdnoreturn.h>

/* Every subcommand has this signature; argv[0] is the subcommand's name. */
typedef int (*cmd_fn)(int argc, char **argv);

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_races(int argc, char **argv);

/* Messages: "tcgtrace CMD: ..." on stderr, lowercase, no full stop. */
void msg_set_command(const char *name);
const char *msg_command(void); /* "" before msg_set_command */
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void msg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message, then a hint to run --help; exits with 2. */
noreturn void msg_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The usage error for an option getopt_long refused (it returned c, '?' or
 * ':'; opterr 0 and ':' first in the short options): names the option and
 * what is wrong with it (unknown, a value missing, a value given to a
 * flag). opts: the long options given to getopt_long. */
struct option;
noreturn void msg_bad_option(int c, char **argv, const struct option *opts);

/* Where QEMU is: $TCGTRACE_QEMU_DIR or ~/.cache/tcgtrace/qemu-10.0.
 * Returns a static buffer. */
const char *qemu_dir(void);
/* QEMU's version line recorded in the cache, or NULL when none is built.
 * Returns a static buffer. */
const char *qemu_version(void);
/* The directory holding tcgtrace's own plugins (next to the executable).
 * Returns a static buffer. */
const char *plugin_dir(void);

#endif
