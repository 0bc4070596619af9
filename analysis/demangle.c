#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

/* The C++ ABI's demangler, in libstdc++ (extern "C"): a malloc'ed string,
 * or NULL for a name that is not a mangled one. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Rust's legacy names end their path with a hash element: 17h and 16 hex
 * digits, then E. */
static bool rust_legacy(const char *mangled)
{
    size_t n = strlen(mangled);
    if (n < 24 || strncmp(mangled, "_ZN", 3) || mangled[n - 1] != 'E' || strncmp(mangled + n - 20, "17h", 3))
        return false;
    for (size_t i = n - 17; i < n - 1; i++)
        if (!isxdigit((unsigned char)mangled[i]))
            return false;
    return true;
}

/* rustc-demangle's escapes: $LT$ and the like, $uXX$ a character by its
 * code. */
static const struct {
    const char *code;
    char c;
} escapes[] = { { "SP", '@' }, { "BP", '*' }, { "RF", '&' }, { "LT", '<' },
                { "GT", '>' }, { "LP", '(' }, { "RP", ')' }, { "C", ',' } };

/* The escape at s (after its '$'), its character in *c; its length up to
 * the closing '$' included, 0 for none. */
static size_t escape(const char *s, char *c)
{
    const char *end = strchr(s, '$');
    if (!end)
        return 0;
    size_t len = (size_t)(end - s);
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++)
        if (strlen(escapes[i].code) == len && !strncmp(s, escapes[i].code, len)) {
            *c = escapes[i].c;
            return len + 1;
        }
    if (len == 3 && s[0] == 'u' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
        *c = (char)strtol((char[]){ s[1], s[2], 0 }, NULL, 16);
        return len + 1;
    }
    return 0;
}

/* In place: the hash element goes, escapes become their characters, ".."
 * becomes "::", an element's leading "_$" its "$". */
static void unescape_rust(char *s)
{
    size_t n = strlen(s);
    if (n > 19 && !strncmp(s + n - 19, "::h", 3))
        s[n - 19] = 0;
    char *out = s;
    for (const char *p = s; *p;) {
        char c;
        size_t k;
        bool element_start = p == s || (p - s >= 2 && p[-1] == ':' && p[-2] == ':');
        if (element_start && p[0] == '_' && p[1] == '$')
            p++;
        if (*p == '$' && (k = escape(p + 1, &c))) {
            *out++ = c;
            p += 1 + k;
        } else if (p[0] == '.' && p[1] == '.') {
            *out++ = ':';
            *out++ = ':';
            p += 2;
        } else {
            *out++ = *p++;
        }
    }
    *out = 0;
}

char *demangle(const char *name)
{
    int status;
    if (name[0] != '_' || name[1] != 'Z')
        return NULL;
    char *d = __cxa_demangle(name, NULL, NULL, &status);
    if (d && rust_legacy(name))
        unescape_rust(d);
    return d;
}
