/* The file header: magic, version, length, key/value fields, CRC
 * (docs/format.md, "Header"). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tcgtrace/error.h"

static uint8_t *field(uint8_t *p, uint16_t key, const void *v, size_t n)
{
    p = tt_put_le16(p, key);
    p = tt_put_le32(p, (uint32_t)n);
    memcpy(p, v, n);
    return p + n;
}

static uint8_t *field_str(uint8_t *p, uint16_t key, const char *s)
{
    return s ? field(p, key, s, strlen(s)) : p;
}

static uint8_t *field_u64(uint8_t *p, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    tt_put_le64(b, v);
    return field(p, key, b, 8);
}

uint8_t *tt_header_encode(const struct tt_header *h, size_t *len)
{
    size_t n = TT_HEADER_FIXED + 4 + 14 * 6 + 8 * 4 + 2 + 8 * TT_KIND_COUNT;
    const char *strs[] = { h->arch, h->qemu_version, h->tcgtrace_version, h->plugin, h->plugin_options, h->sysroot };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        n += strs[i] ? strlen(strs[i]) : 0;
    for (int i = 0; i < h->argc; i++)
        n += strlen(h->argv[i]) + 1;
    if (n > TT_HEADER_MAX)
        return NULL;
    uint8_t *buf = malloc(n), *p = buf;
    if (!buf)
        return NULL;
    memcpy(p, TT_MAGIC, TT_MAGIC_LEN);
    tt_put_le16(p + 8, TT_VERSION);
    tt_put_le16(p + 10, 0);
    p += TT_HEADER_FIXED;
    p = field_str(p, TT_F_ARCH, h->arch);
    uint8_t be = h->big_endian;
    p = field(p, TT_F_BIG_ENDIAN, &be, 1);
    p = field_u64(p, TT_F_PAGE_SIZE, h->page_size);
    p = field_str(p, TT_F_QEMU_VERSION, h->qemu_version);
    p = tt_put_le16(p, TT_F_COMMAND);
    uint8_t *cmdlen = p;
    p += 4;
    for (int i = 0; i < h->argc; i++) {
        size_t l = strlen(h->argv[i]) + 1;
        memcpy(p, h->argv[i], l);
        p += l;
    }
    tt_put_le32(cmdlen, (uint32_t)(p - cmdlen - 4));
    p = field_u64(p, TT_F_START_TIME, h->start_time_ns);
    p = field_str(p, TT_F_TCGTRACE_VERSION, h->tcgtrace_version);
    p = field_str(p, TT_F_PLUGIN, h->plugin);
    p = field_str(p, TT_F_PLUGIN_OPTIONS, h->plugin_options);
    p = field_u64(p, TT_F_FEATURES, h->features);
    p = field_u64(p, TT_F_REQUIRED, 0);
    if (h->sysroot && *h->sysroot)
        p = field_str(p, TT_F_SYSROOT, h->sysroot);
    if (h->has_kind_counts) {
        p = tt_put_le16(p, TT_F_KIND_COUNTS);
        p = tt_put_le32(p, 8 * (TT_KIND_COUNT - 1));
        for (unsigned k = 1; k < TT_KIND_COUNT; k++)
            p = tt_put_le64(p, h->kind_counts[k]);
        uint8_t replaced = h->replaced;
        p = field(p, TT_F_REPLACED, &replaced, 1);
    }
    size_t total = (size_t)(p - buf) + 4;
    tt_put_le32(buf + 12, (uint32_t)total);
    tt_put_le32(p, tt_crc32c(0, buf, total - 4));
    *len = total;
    return buf;
}

static const char *dup(struct tt_arena *a, const uint8_t *v, uint32_t n)
{
    return tt_arena_strndup(a, (const char *)v, n);
}

int tt_header_decode(const uint8_t *buf, size_t len, struct tt_header *h, struct tt_arena *a,
                     struct tt_error *err)
{
    if (tt_crc32c(0, buf, len - 4) != tt_le32(buf + len - 4))
        return tt_error_set(err, TT_E_CORRUPT, 0, "header: checksum mismatch");
    if (tt_le16(buf + 10))
        return tt_error_set(err, TT_E_CORRUPT, 10, "header: reserved bytes at byte 10 are not zero");
    memset(h, 0, sizeof *h);
    h->arch = h->qemu_version = h->tcgtrace_version = h->plugin = h->plugin_options = h->sysroot = "";
    static const char *const no_argv[] = { NULL };
    h->argv = no_argv;
    const uint8_t *p = buf + TT_HEADER_FIXED, *end = buf + len - 4;
    while (p < end) {
        uint64_t off = (uint64_t)(p - buf);
        if (end - p < 6)
            return tt_error_set(err, TT_E_CORRUPT, off, "header: field at byte %llu cut short",
                                (unsigned long long)off);
        uint16_t key = tt_le16(p);
        uint32_t n = tt_le32(p + 2);
        const uint8_t *v = p + 6;
        if (n > (size_t)(end - v))
            return tt_error_set(err, TT_E_CORRUPT, off,
                                "header: field %u at byte %llu is longer than the header", key,
                                (unsigned long long)off);
        p = v + n;
        bool is_u64 = key == TT_F_PAGE_SIZE || key == TT_F_START_TIME || key == TT_F_FEATURES ||
                      key == TT_F_REQUIRED;
        if ((is_u64 && n != 8) || ((key == TT_F_BIG_ENDIAN || key == TT_F_REPLACED) && n != 1) || (key == TT_F_KIND_COUNTS && n % 8))
            return tt_error_set(err, TT_E_CORRUPT, off, "header: field %u at byte %llu has length %u",
                                key, (unsigned long long)off, n);
        const char **str = NULL;
        switch (key) {
        case TT_F_ARCH: str = &h->arch; break;
        case TT_F_QEMU_VERSION: str = &h->qemu_version; break;
        case TT_F_TCGTRACE_VERSION: str = &h->tcgtrace_version; break;
        case TT_F_PLUGIN: str = &h->plugin; break;
        case TT_F_PLUGIN_OPTIONS: str = &h->plugin_options; break;
        case TT_F_SYSROOT: str = &h->sysroot; break;
        case TT_F_BIG_ENDIAN: h->big_endian = v[0] != 0; break;
        case TT_F_REPLACED: h->replaced = v[0] != 0; break;
        case TT_F_PAGE_SIZE: h->page_size = tt_le64(v); break;
        case TT_F_START_TIME: h->start_time_ns = tt_le64(v); break;
        case TT_F_FEATURES: h->features = tt_le64(v); break;
        case TT_F_KIND_COUNTS:
            /* Kinds from 1, as many as the writer knew: those this reader
             * knows are kept. */
            h->has_kind_counts = true;
            for (uint32_t k = 1; k <= n / 8 && k < TT_KIND_COUNT; k++)
                h->kind_counts[k] = tt_le64(v + 8 * (k - 1));
            break;
        case TT_F_REQUIRED:
            if (tt_le64(v))
                return tt_error_set(err, TT_E_FEATURE, off,
                                    "trace needs features unknown to this tcgtrace (0x%llx)",
                                    (unsigned long long)tt_le64(v));
            break;
        case TT_F_COMMAND: {
            if (n && v[n - 1])
                return tt_error_set(err, TT_E_CORRUPT, off, "header: command line not NUL-terminated");
            int argc = 0;
            for (uint32_t i = 0; i < n; i++)
                argc += !v[i];
            const char **argv = tt_arena_alloc(a, sizeof *argv * ((size_t)argc + 1));
            if (!argv)
                return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
            const uint8_t *s = v;
            for (int i = 0; i < argc; i++) {
                size_t l = strlen((const char *)s);
                if (!(argv[i] = dup(a, s, (uint32_t)l)))
                    return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
                s += l + 1;
            }
            argv[argc] = NULL;
            h->argc = argc;
            h->argv = argv;
            break;
        }
        default: /* a newer writer's field: skipped by design */ break;
        }
        if (str && !(*str = dup(a, v, n)))
            return tt_error_set(err, TT_E_NOMEM, 0, "out of memory");
    }
    return 0;
}

const char *tt_header_sysroot(const struct tt_header *h)
{
    return h->sysroot && *h->sysroot ? h->sysroot : NULL;
}
