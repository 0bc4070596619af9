/* JSON on standard output, shared by the subcommands' JSON formats. An
 * object's first member is written by the caller (`{"kind":"mem"`); the
 * helpers below write the ones after it, each with its leading comma. */
#ifndef TCGTRACE_JSON_H
#define TCGTRACE_JSON_H

#include <stdint.h>

/* A JSON string: s quoted, with '"', '\' and control characters escaped. */
void json_string(const char *s);
/* ,"key":"s" */
void json_str(const char *key, const char *s);
/* ,"key":"0x1f": addresses and values are strings, as JSON numbers lose
 * 64-bit precision in most readers. */
void json_hex(const char *key, uint64_t v);
/* ,"key":123 */
void json_u64(const char *key, uint64_t v);
/* ,"key":"s", or null when s is NULL. */
void json_str_or_null(const char *key, const char *s);
/* ,"key":["s0","s1",...] */
void json_str_array(const char *key, const char *const *v, int n);

struct symbols;
/* ,"symbol_errors":[...]: why modules could not be read for names;
 * ,"modules_changed":[...]: files read that were modified after the
 * recording began. */
void json_symbol_errors(struct symbols *syms);

#endif
