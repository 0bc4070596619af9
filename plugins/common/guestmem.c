/* Guest memory reads: see guestmem.h. */
#include <string.h>

#include <qemu-plugin.h>

#include "guestmem.h"

bool guestmem_read(uint64_t addr, void *buf, size_t len)
{
    GByteArray *data = g_byte_array_sized_new((guint)len);
    bool ok = len && qemu_plugin_read_memory_vaddr(addr, data, len);
    if (ok)
        memcpy(buf, data->data, len);
    g_byte_array_unref(data);
    return ok;
}

uint64_t guestmem_uint(const void *p, unsigned size, bool big_endian)
{
    const uint8_t *b = p;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b[big_endian ? size - 1 - i : i] << (8 * i);
    return v;
}

bool guestmem_read_uint(uint64_t addr, unsigned size, bool big_endian, uint64_t *value)
{
    uint8_t b[8];
    if (size > sizeof(b) || !guestmem_read(addr, b, size))
        return false;
    *value = guestmem_uint(b, size, big_endian);
    return true;
}

bool guestmem_read_string(uint64_t addr, char *buf, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (!guestmem_read(addr + i, &buf[i], 1))
            return false;
        if (!buf[i])
            return true;
    }
    return false;
}
