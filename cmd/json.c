/* JSON output helpers: see json.h. */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"
#include "../analysis/symbols.h"

void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

void json_str(const char *key, const char *s)
{
    printf(",\"%s\":", key);
    json_string(s);
}

void json_hex(const char *key, uint64_t v)
{
    printf(",\"%s\":\"0x%" PRIx64 "\"", key, v);
}

void json_u64(const char *key, uint64_t v)
{
    printf(",\"%s\":%" PRIu64, key, v);
}

void json_str_or_null(const char *key, const char *s)
{
    if (s)
        json_str(key, s);
    else
        printf(",\"%s\":null", key);
}

void json_str_array(const char *key, const char *const *v, int n)
{
    printf(",\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        if (i)
            putchar(',');
        json_string(v[i]);
    }
    putchar(']');
}

/* ,"key":[...] of the strings get gives from 0 until NULL. */
static void json_strings(const char *key, struct symbols *syms, const char *(*get)(const struct symbols *, size_t))
{
    const char *e;
    printf(",\"%s\":[", key);
    for (size_t i = 0; (e = get(syms, i)); i++) {
        if (i)
            putchar(',');
        json_string(e);
    }
    putchar(']');
}

void json_symbol_errors(struct symbols *syms)
{
    json_strings("symbol_errors", syms, symbols_error);
    json_strings("modules_changed", syms, symbols_changed);
}
