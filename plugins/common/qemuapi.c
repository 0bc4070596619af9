/* The plugin API across QEMU versions: see qemuapi.h. */
#include <stdio.h>
#include <string.h>

#include "qemuapi.h"

/* The releases that have a plugin API version (qemuapi.h). */
static const char *api_releases(int version)
{
    switch (version) {
    case 0:
    case 1: return "QEMU 8.2 or older";
    case 2: return "QEMU 9.0";
    case 3: return "QEMU 9.1";
    case 4: return "QEMU 9.2 to 10.0";
    default: return "QEMU 10.1 or newer";
    }
}

int qemuapi_refuse(const char *plugin, const char *option, const char *release,
                   const qemu_info_t *info)
{
    fprintf(stderr, "%s: %s needs QEMU %s or newer (this QEMU has plugin API v%d: %s)\n", plugin,
            option, release, info->version.cur, api_releases(info->version.cur));
    return -1;
}

size_t qemuapi_insn_data(const struct qemu_plugin_insn *insn, void *buf, size_t size)
{
#if QEMU_PLUGIN_VERSION >= 3
    return qemu_plugin_insn_data(insn, buf, size);
#else
    /* Before QEMU 9.1: a pointer to QEMU's copy of the bytes. */
    size_t n = qemu_plugin_insn_size(insn);
    if (n > size)
        n = size;
    memcpy(buf, qemu_plugin_insn_data(insn), n);
    return n;
#endif
}
