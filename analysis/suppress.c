#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "room.h"
#include "suppress.h"

static const struct {
    const char *type;
    enum suppression_kind kind;
} kinds[] = {
    { "race", SUPP_RACE },         { "race_top", SUPP_RACE_TOP }, { "thread", SUPP_OTHER },
    { "mutex", SUPP_OTHER },       { "signal", SUPP_OTHER },      { "deadlock", SUPP_OTHER },
    { "called_from_lib", SUPP_OTHER },
};

/* s without its leading and trailing blanks, in place. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

static int add(struct suppressions *s, enum suppression_kind kind, const char *type, const char *pattern)
{
    if (room(&s->v, &s->cap, s->n, sizeof *s->v) < 0)
        return -1;
    struct suppression *p = &s->v[s->n];
    *p = (struct suppression){ .kind = kind, .type = strdup(type), .pattern = strdup(pattern) };
    if (!p->type || !p->pattern) {
        free(p->type);
        free(p->pattern);
        errno = ENOMEM;
        return -1;
    }
    s->n++;
    return 0;
}

int suppressions_load(struct suppressions *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read suppressions '%s': %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (unsigned no = 1; rc == 0 && getline(&line, &cap, f) >= 0; no++) {
        char *l = trim(line), *colon = strchr(l, ':');
        if (!*l || *l == '#')
            continue;
        size_t i = 0;
        if (colon) {
            *colon = 0;
            while (i < sizeof kinds / sizeof kinds[0] && strcmp(kinds[i].type, trim(l)))
                i++;
        }
        const char *pattern = colon ? trim(colon + 1) : "";
        if (!colon || i == sizeof kinds / sizeof kinds[0] || !*pattern) {
            snprintf(err, errlen, "%s:%u: %s", path, no,
                     !colon || !*pattern ? "expected TYPE:PATTERN, such as race:my_function"
                                         : "unknown type of suppression (tcgtrace knows race: and race_top:)");
            errno = EINVAL;
            rc = -1;
        } else if (add(s, kinds[i].kind, kinds[i].type, pattern) < 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read suppressions '%s': %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

void suppressions_free(struct suppressions *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].type);
        free(s->v[i].pattern);
    }
    free(s->v);
    *s = (struct suppressions){ 0 };
}

/* Where the n bytes of seg first occur in name, or NULL. */
static const char *find(const char *name, const char *seg, size_t n)
{
    for (const char *p = name;; p++) {
        if (!strncmp(p, seg, n))
            return p;
        if (!*p)
            return NULL;
    }
}

bool suppression_matches(const char *pattern, const char *name)
{
    if (!name)
        return false;
    bool start = *pattern == '^';
    pattern += start;
    size_t len = strlen(pattern);
    bool end = len && pattern[len - 1] == '$';
    len -= end;
    const char *at = name;
    for (size_t i = 0;;) {
        const char *star = memchr(pattern + i, '*', len - i), *p;
        size_t n = (star ? (size_t)(star - pattern) : len) - i;
        bool first = i == 0 && start;
        if (!star && end) {
            /* The last piece ends the name, after the pieces before. */
            size_t left = strlen(at);
            return left >= n && !strncmp(at + left - n, pattern + i, n) && (!first || left == n);
        }
        if (first ? strncmp(at, pattern, n) != 0 : !(p = find(at, pattern + i, n)))
            return false;
        at = (first ? at : p) + n;
        if (!star)
            return true;
        i += n + 1;
    }
}
