/* Guest memory reads: see guestmem.h. */
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guestmem.h"
#include "qemuapi.h"

#if QEMUAPI_READ_MEMORY
bool guestmem_read(uint64_t addr, void *buf, size_t len)
{
    GByteArray *data = g_byte_array_sized_new((guint)len);
    bool ok = len && qemu_plugin_read_memory_vaddr(addr, data, len);
    if (ok)
        memcpy(buf, data->data, len);
    g_byte_array_unref(data);
    return ok;
}
#else
/* Before QEMU 9.2 the API cannot read guest memory. linux-user keeps it in
 * its own address space at guest_base + address, and a translated
 * instruction's host address tells guest_base. process_vm_readv on our own
 * process fails cleanly on an unmapped or unreadable page where a plain
 * copy would crash; unlike QEMU's own reads it does not see through
 * PROT_NONE (initstack.c allows for that). */
static uintptr_t guest_base;
static bool base_known;

void guestmem_learn_base(const struct qemu_plugin_insn *insn)
{
    void *host = qemu_plugin_insn_haddr(insn);
    if (host) {
        guest_base = (uintptr_t)host - (uintptr_t)qemu_plugin_insn_vaddr(insn);
        base_known = true;
    }
}

bool guestmem_read(uint64_t addr, void *buf, size_t len)
{
    struct iovec local = { buf, len };
    struct iovec remote = { (void *)(uintptr_t)(addr + guest_base), len };
    return base_known && len && process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}
#endif

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

#if QEMUAPI_REGISTERS
void guestmem_registers(const char *const *names, size_t n, struct qemu_plugin_register **out)
{
    GArray *regs = qemu_plugin_get_registers();
    for (size_t w = 0; w < n; w++) {
        out[w] = NULL;
        for (guint i = 0; names[w] && i < regs->len && !out[w]; i++) {
            qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
            if (!strcmp(d->name, names[w]))
                out[w] = d->handle;
        }
    }
    g_array_free(regs, true);
}

bool guestmem_read_register(struct qemu_plugin_register *reg, GByteArray *buf, bool big_endian, uint64_t *value)
{
    g_byte_array_set_size(buf, 0);
    int n = reg ? qemu_plugin_read_register(reg, buf) : -1;
    if (n <= 0 || n > 8)
        return false;
    *value = guestmem_uint(buf->data, (unsigned)n, big_endian);
    return true;
}

bool guestmem_read_sp(const struct guest_arch *arch, uint64_t *sp)
{
    struct qemu_plugin_register *reg;
    guestmem_registers(&arch->sp_reg, 1, &reg);
    GByteArray *buf = g_byte_array_new();
    bool ok = guestmem_read_register(reg, buf, arch->big_endian, sp);
    g_byte_array_unref(buf);
    return ok;
}
#endif
