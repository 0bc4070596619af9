/* Fuzz target: the commands that read traces, as a user runs them (dump in
 * each format, with definitions, stats in text and JSON, races), on each
 * input as it is and with its checksums repaired. Their output goes to
 * /dev/null; their messages to stderr (run libFuzzer with -close_fd_mask=2
 * to silence them). A crash, a sanitizer report, a hang or an exit() is
 * the finding (libFuzzer reports "fuzz target exited"; the plain driver
 * exits non-zero): only a usage error may exit, and the command lines here
 * are valid. TCGTRACE_FUZZ_SKIP=CMD leaves one command out, to fuzz the
 * others past a finding not fixed yet (tests/corrupt/open/). */
#include <stdio.h>
#include <stdlib.h>

#include "command_runs.h"
#include "trace_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer, and by the first input otherwise. Standard input
 * too is /dev/null: nothing a trace names may wait for a terminal. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static bool done;
    (void)argc, (void)argv;
    if (!done && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "r", stdin)))
        abort();
    done = true;
    return 0;
}

static void run_commands(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = tc_memfd(data, size, path, sizeof path);
    if (fd < 0)
        abort();
    tc_run_commands(path, size >= 4 && !memcmp(data, "\177ELF", 4), getenv("TCGTRACE_FUZZ_SKIP"));
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    LLVMFuzzerInitialize(NULL, NULL);
    run_commands(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    if (tc_repair_checksums(copy, size))
        run_commands(copy, size);
    free(copy);
    return 0;
}
