/* The commands that read traces, each run as a user would on one trace:
 * dump in every format and with definitions, stats in text and JSON, and
 * races. Shared by tests/fuzz/fuzz_commands.c and tests/unit/test_mutate.c;
 * the caller points stdout (and, if it likes, stderr) elsewhere. */
#ifndef TCGTRACE_COMMAND_RUNS_H
#define TCGTRACE_COMMAND_RUNS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../cmd/cmd.h"

static const char *const tc_runs[][6] = {
    { "dump" },
    { "dump", "--format", "text" },
    { "dump", "--json" },
    { "dump", "--format", "memtrace" },
    { "dump", "--format", "execlog" },
    { "dump", "--kind", "def-insn,def-reg,def-string,insn,mem,reg,sync" },
    { "stats", "--top", "3" },
    { "stats", "--json", "--top", "0" },
    { "races" },
};

/* Runs each command on path but skip (NULL: none). An ELF file is not
 * given to races, which would run it as a program. */
static inline void tc_run_commands(const char *path, bool elf, const char *skip)
{
    for (size_t i = 0; i < sizeof tc_runs / sizeof tc_runs[0]; i++) {
        if ((tc_runs[i][0][0] == 'r' && elf) || (skip && !strcmp(skip, tc_runs[i][0])))
            continue;
        char *argv[8];
        int argc = 0;
        for (; argc < 6 && tc_runs[i][argc]; argc++)
            argv[argc] = (char *)tc_runs[i][argc];
        argv[argc++] = (char *)path;
        argv[argc] = NULL;
        msg_set_command(argv[0]);
        cmd_fn fn = argv[0][0] == 'd' ? cmd_dump : argv[0][0] == 's' ? cmd_stats : cmd_races;
        fn(argc, argv);
        fflush(stdout);
    }
    msg_set_command(NULL);
}

#endif
