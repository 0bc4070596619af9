/* Suppressions in ThreadSanitizer's format, so that a file written for
 * TSAN_OPTIONS=suppressions=FILE serves `tcgtrace races --suppressions`:
 *
 *   # comment
 *   race:PATTERN       a race any frame of either access matches (its
 *                      function, source file or module), or its global
 *   race_top:PATTERN   a race whose innermost frame of either access does
 *
 * A pattern matches a name that contains it; `*` stands for any run of
 * characters, a leading `^` anchors it at the name's start and a trailing
 * `$` at its end (sanitizer_common's TemplateMatch). ThreadSanitizer's
 * other kinds (thread, mutex, signal, deadlock, called_from_lib) are for
 * reports tcgtrace does not make: read and never matched. */
#ifndef TCGTRACE_SUPPRESS_H
#define TCGTRACE_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum suppression_kind { SUPP_RACE, SUPP_RACE_TOP, SUPP_OTHER };

struct suppression {
    enum suppression_kind kind;
    char *type;    /* as written: "race", "race_top", "thread", ... */
    char *pattern;
};

struct suppressions {
    struct suppression *v;
    size_t n, cap;
};

/* Adds the suppressions of the file at path. Returns 0; or -1 with why in
 * err (the line number for a line that is no TYPE:PATTERN, or of an
 * unknown type) and errno set (EINVAL then, ENOMEM, or open's). */
int suppressions_load(struct suppressions *s, const char *path, char *err, size_t errlen);
void suppressions_free(struct suppressions *s);

/* Whether pattern matches name. */
bool suppression_matches(const char *pattern, const char *name);

#endif
