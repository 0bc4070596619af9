/* A test-only QEMU plugin for memtrace's oracle under QEMUs that ship no
 * mem plugin (Debian's 7.2): logs every data access through QEMU's log as
 * the upstream mem plugin's print-accesses does (pc, symbol, address,
 * physical address, size in bits, load|store) and their number at exit as
 * "mem accesses: N". One callback per access; single-threaded guests
 * only (the count is not atomic). Built by tests/integration/qemu72.t
 * against either plugin API; no tcgtrace code is involved. */
#include <inttypes.h>
#include <stdio.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t count;

static void on_access(unsigned vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    char line[128];
    (void)vcpu;
    snprintf(line, sizeof(line), "0x%" PRIx64 ",,0x%" PRIx64 ",0x0,%u,%s,\n", (uint64_t)(uintptr_t)udata,
             vaddr, 8u << qemu_plugin_mem_size_shift(info), qemu_plugin_mem_is_store(info) ? "store" : "load");
    qemu_plugin_outs(line);
    count++;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_mem_cb(insn, on_access, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
                                         (void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
    }
}

static void on_exit(qemu_plugin_id_t id, void *udata)
{
    char line[64];
    (void)id, (void)udata;
    snprintf(line, sizeof(line), "mem accesses: %" PRIu64 "\n", count);
    qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info, (void)argc, (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit, NULL);
    return 0;
}
