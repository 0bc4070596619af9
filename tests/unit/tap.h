/* TAP output for the C unit tests: `ok` per check, `tap_done` at the end
 * prints the plan and gives main's exit status. prove reads the output. */
#ifndef TEST_TAP_H
#define TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int n_tests, n_failed;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static void ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", cond ? "" : "not ", ++n_tests);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (!cond)
        n_failed++;
    /* Output stays in order with a crash or with a child's output. */
    fflush(stdout);
}

static int tap_done(void) __attribute__((unused));
static int tap_done(void)
{
    printf("1..%d\n", n_tests);
    return n_failed != 0;
}

#endif
