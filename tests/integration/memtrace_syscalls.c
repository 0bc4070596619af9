/* A test-only QEMU plugin for memtrace's oracle: logs every system call
 * with its vCPU, number and arguments, and its result, through QEMU's log
 * (-d plugin), where they interleave in order with QEMU's own page-layout
 * dumps (-d page) and the upstream mem plugin's accesses. Built by
 * tests/integration/memtrace_filter.t; no tcgtrace code is involved. */
#include <inttypes.h>
#include <stdio.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static void on_syscall(qemu_plugin_id_t id, unsigned vcpu, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    char line[256];
    (void)id, (void)a7, (void)a8;
    snprintf(line, sizeof(line),
             "oracle-sys %u %" PRId64 " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
             " 0x%" PRIx64 " 0x%" PRIx64 "\n",
             vcpu, num, a1, a2, a3, a4, a5, a6);
    qemu_plugin_outs(line);
}

static void on_syscall_ret(qemu_plugin_id_t id, unsigned vcpu, int64_t num, int64_t ret)
{
    char line[128];
    (void)id;
    snprintf(line, sizeof(line), "oracle-ret %u %" PRId64 " %" PRId64 "\n", vcpu, num, ret);
    qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info, (void)argc, (void)argv;
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_vcpu_syscall_ret_cb(id, on_syscall_ret);
    return 0;
}
