/* Suppressions (analysis/suppress.c): ThreadSanitizer's file format and
 * its patterns (substring, `*`, `^` and `$` anchors), and the errors of a
 * file that is not one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/suppress.h"
#include "tap.h"

static void test_patterns(void)
{
    ok(suppression_matches("worker", "my_worker_loop"), "a pattern matches a name containing it");
    ok(!suppression_matches("worker", "work"), "and not one that does not");
    ok(suppression_matches("^my_", "my_worker") && !suppression_matches("^worker", "my_worker"), "^ anchors at the start");
    ok(suppression_matches("loop$", "my_loop") && !suppression_matches("my$", "my_loop"), "$ anchors at the end");
    ok(suppression_matches("^main$", "main") && !suppression_matches("^main$", "main2") &&
           !suppression_matches("^main$", "xmain"),
       "^...$: the whole name");
    ok(suppression_matches("std::*::add", "std::vector<int>::add") && !suppression_matches("std::*::add", "std::add"),
       "* stands for any run, in order");
    ok(suppression_matches("a*b*c", "xxaYYbZZcQ") && !suppression_matches("a*b*c", "cba"), "several stars, in order");
    ok(suppression_matches("*", "") && suppression_matches("^*$", "anything"), "a star alone matches all");
    ok(suppression_matches("^lib*.so$", "libfoo.so") && !suppression_matches("^lib*.so$", "libfoo.so.6"),
       "anchored at both ends around a star");
    ok(!suppression_matches("x", NULL), "no name: no match");
}

static const char *write_file(const char *text)
{
    static char path[] = "/tmp/tcgtrace-supp.XXXXXX";
    strcpy(path, "/tmp/tcgtrace-supp.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        exit(1);
    close(fd);
    return path;
}

static void test_file(void)
{
    struct suppressions s = { 0 };
    char err[512] = "";
    const char *path = write_file("# TSan's file\n\n  race:worker  \nrace_top:^main$\nthread:pool\ncalled_from_lib:libfoo.so\n");
    ok(suppressions_load(&s, path, err, sizeof err) == 0 && s.n == 4, "a ThreadSanitizer file: 4 suppressions (%s)", err);
    ok(s.n == 4 && s.v[0].kind == SUPP_RACE && !strcmp(s.v[0].pattern, "worker") && s.v[1].kind == SUPP_RACE_TOP &&
           !strcmp(s.v[1].pattern, "^main$") && s.v[2].kind == SUPP_OTHER && !strcmp(s.v[3].type, "called_from_lib"),
       "kinds and patterns, blanks trimmed");
    unlink(path);
    suppressions_free(&s);

    path = write_file("race:ok\nrace worker\n");
    ok(suppressions_load(&s, path, err, sizeof err) < 0 && strstr(err, ":2: expected TYPE:PATTERN"),
       "a line with no type: its number ('%s')", err);
    unlink(path);
    suppressions_free(&s);
    path = write_file("racy:worker\n");
    ok(suppressions_load(&s, path, err, sizeof err) < 0 && strstr(err, ":1: unknown type of suppression"),
       "an unknown type ('%s')", err);
    unlink(path);
    suppressions_free(&s);
    path = write_file("race:\n");
    ok(suppressions_load(&s, path, err, sizeof err) < 0 && strstr(err, ":1: expected TYPE:PATTERN"), "an empty pattern");
    unlink(path);
    suppressions_free(&s);
    ok(suppressions_load(&s, "/nonexistent/supp", err, sizeof err) < 0 &&
           !strcmp(err, "cannot read suppressions '/nonexistent/supp': No such file or directory"),
       "a missing file ('%s')", err);
    suppressions_free(&s);
}

int main(void)
{
    test_patterns();
    test_file();
    return tap_done();
}
