/* The seeds' text line formats, shared by the plugins (which write them
 * live) and `tcgtrace dump` (which writes them from a binary trace), so the
 * two cannot drift apart. Each function writes at p and returns the new end;
 * the caller guarantees room (no event here is longer than a few hundred
 * bytes plus its disassembly). Inline: they run once per traced event. */
#ifndef TCGTRACE_TEXTFMT_H
#define TCGTRACE_TEXTFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Lowercase hex without leading zeros, at least `width` digits: printf's
 * "%0*" PRIx64. */
static inline char *tf_hex(char *p, uint64_t v, int width)
{
    static const char digits[16] = "0123456789abcdef";
    int n = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;
    if (n < width)
        n = width;
    for (int i = n - 1; i >= 0; i--) {
        p[i] = digits[v & 0xf];
        v >>= 4;
    }
    return p + n;
}

/* Exactly 16 lowercase hex digits, "%016" PRIx64, without a loop: each
 * 32-bit half's nibbles are spread one to a byte, put most significant
 * first and turned to ASCII in one go (memtrace writes one per access). */
static inline uint64_t tf_hex8_word_(uint32_t half)
{
    uint64_t x = half;
    x = (x | x << 16) & 0x0000ffff0000ffffull;
    x = (x | x << 8) & 0x00ff00ff00ff00ffull;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full; /* byte k holds nibble k */
    x = __builtin_bswap64(x);                 /* most significant first */
    uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
    return x + 0x3030303030303030ull + letters * ('a' - '0' - 10);
}

static inline char *tf_hex16(char *p, uint64_t v)
{
    uint64_t hi = tf_hex8_word_((uint32_t)(v >> 32)), lo = tf_hex8_word_((uint32_t)v);
    /* Byte order in memory is what matters: the words are built for a
     * little-endian host. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
#endif
    memcpy(p, &hi, 8);
    memcpy(p + 8, &lo, 8);
    return p + 16;
}

/* printf's "%" PRIu64. */
static inline char *tf_dec(char *p, uint64_t v)
{
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static inline char *tf_mem(char *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

static inline char *tf_str(char *p, const char *s)
{
    return tf_mem(p, s, strlen(s));
}

/* --- Seed 000: QEMU 10.0's contrib/plugins/execlog.c, byte for byte --- */

/* The instruction's opcode as upstream prints it: its first (at most 4)
 * bytes copied into a zeroed 32-bit number on a little-endian host. */
static inline uint32_t tf_execlog_opcode(const uint8_t *bytes, size_t len)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len && i < 4; i++)
        v |= (uint32_t)bytes[i] << (8 * i);
    return v;
}

/* `0x<pc>, 0x<opcode>, "<disas>"`: the part of a line fixed at translation. */
static inline char *tf_execlog_insn(char *p, uint64_t pc, uint32_t opcode, const char *disas)
{
    p = tf_str(p, "0x");
    p = tf_hex(p, pc, 1);
    p = tf_str(p, ", 0x");
    p = tf_hex(p, opcode, 1);
    p = tf_str(p, ", \"");
    p = tf_str(p, disas);
    *p++ = '"';
    return p;
}

/* `<vcpu>, `: what starts each line. */
static inline char *tf_execlog_vcpu(char *p, unsigned vcpu)
{
    p = tf_dec(p, vcpu);
    return tf_mem(p, ", ", 2);
}

/* `, load, 0x<vaddr>` (user mode) */
static inline char *tf_execlog_mem(char *p, bool store, uint64_t vaddr)
{
    p = store ? tf_mem(p, ", store, 0x", 11) : tf_mem(p, ", load, 0x", 10);
    return tf_hex(p, vaddr, 8);
}

/* `, store, 0x<phys>, <device>` (system mode) */
static inline char *tf_execlog_hwmem(char *p, bool store, uint64_t phys, const char *device)
{
    p = tf_execlog_mem(p, store, phys);
    p = tf_mem(p, ", ", 2);
    return tf_str(p, device);
}

/* `, <name> -> 0x<value>`: the value's bytes in guest (little-endian)
 * order, most significant first, at the register's real width. */
static inline char *tf_execlog_reg(char *p, const char *name, const uint8_t *value, size_t len)
{
    static const char digits[16] = "0123456789abcdef";
    p = tf_mem(p, ", ", 2);
    p = tf_str(p, name);
    p = tf_mem(p, " -> 0x", 6);
    for (size_t i = len; i-- > 0;) {
        *p++ = digits[value[i] >> 4];
        *p++ = digits[value[i] & 0xf];
    }
    return p;
}

/* --- Seed 003: the memtrace line `T<vcpu> R|W 0x<16 hex> <size>\n` --- */
static inline char *tf_memtrace(char *p, unsigned vcpu, bool store, uint64_t vaddr, unsigned size)
{
    *p++ = 'T';
    p = tf_dec(p, vcpu);
    p = tf_mem(p, store ? " W 0x" : " R 0x", 5);
    p = tf_hex16(p, vaddr);
    *p++ = ' ';
    p = tf_dec(p, size);
    *p++ = '\n';
    return p;
}

#endif
