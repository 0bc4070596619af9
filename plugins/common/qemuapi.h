/* The QEMU plugin API across the versions the plugins are built for, from
 * one source tree: QEMU 10.0's header (API v4, build/plugins/) and QEMU
 * 7.2's (API v1, build/plugins-v1/, for Debian 12's qemu-user and
 * qemu-system). What the API a build is compiled against lacks is either
 * made up for here or refused at install time (docs/qemu-versions.md).
 *
 * API versions and the QEMU releases that have them: v1 up to 8.2, v2 9.0
 * (the register API; QEMU refuses v1 plugins from then on), v3 9.1
 * (qemu_plugin_insn_data copies), v4 9.2 to 10.0 (memory values,
 * qemu_plugin_read_memory_vaddr). */
#ifndef TCGTRACE_QEMUAPI_H
#define TCGTRACE_QEMUAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <qemu-plugin.h>

#include "tcgtrace/writer.h"

#define QEMUAPI_REGISTERS (QEMU_PLUGIN_VERSION >= 2)   /* QEMU 9.0 */
#define QEMUAPI_MEM_VALUES (QEMU_PLUGIN_VERSION >= 4)  /* QEMU 9.2 */
#define QEMUAPI_READ_MEMORY (QEMU_PLUGIN_VERSION >= 4) /* QEMU 9.2 */
/* QEMU 7.2's linux-user keeps the pages of a shrinking brk mapped and
 * writable; so does the v1 build's writable map, which is harmless under a
 * QEMU that unmaps them (nothing reaches an unmapped page, and a new mapping
 * there sets its own protection). */
#define QEMUAPI_BRK_SHRINK_UNMAPS (QEMU_PLUGIN_VERSION >= 2)

#if !QEMUAPI_REGISTERS
/* Stand-ins for the register API: this QEMU lists no registers and reads
 * none. Options that need registers are refused before anything asks. */
struct qemu_plugin_register;
typedef struct {
    struct qemu_plugin_register *handle;
    const char *name;
    const char *feature;
} qemu_plugin_reg_descriptor;

static inline GArray *qemu_plugin_get_registers(void)
{
    return g_array_new(false, false, sizeof(qemu_plugin_reg_descriptor));
}

static inline int qemu_plugin_read_register(struct qemu_plugin_register *reg, GByteArray *buf)
{
    (void)reg, (void)buf;
    return -1;
}
#endif

/* Refuses an option this QEMU's plugin API cannot serve, in one line:
 * "PLUGIN: OPTION needs QEMU RELEASE or newer (this QEMU has plugin API vN:
 * QEMU ...)". Returns -1, for qemu_plugin_install to return. */
int qemuapi_refuse(const char *plugin, const char *option, const char *release,
                   const qemu_info_t *info);

/* Copies the instruction's first bytes, at most size: how many. */
size_t qemuapi_insn_data(const struct qemu_plugin_insn *insn, void *buf, size_t size);

/* A memory access of 1 << shift bytes (shift <= TT_MEM_SHIFT_MAX), a load
 * or a store, into a trace stream, with its value where the API gives one
 * (TT_FEAT_MEM_VALUES says whether a trace has them). */
static inline void qemuapi_put_mem_rw(struct tt_stream *s, qemu_plugin_meminfo_t info, uint64_t pc,
                                      uint64_t vaddr, unsigned shift, bool store)
{
#if QEMUAPI_MEM_VALUES
    qemu_plugin_mem_value val = qemu_plugin_mem_get_value(info);
    uint64_t lo, hi = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The value's low bytes, whatever its type: the encoder keeps only the
     * access's size of them. Cheaper than a switch on the type, whose load
     * waits for QEMU's copy of the value (a store-forwarding stall). */
    if (shift < TT_MEM_SHIFT_MAX) {
        lo = val.data.u64;
    } else {
        lo = val.data.u128.low;
        hi = val.data.u128.high;
    }
#else
    switch (val.type) {
    case QEMU_PLUGIN_MEM_VALUE_U8: lo = val.data.u8; break;
    case QEMU_PLUGIN_MEM_VALUE_U16: lo = val.data.u16; break;
    case QEMU_PLUGIN_MEM_VALUE_U32: lo = val.data.u32; break;
    case QEMU_PLUGIN_MEM_VALUE_U64: lo = val.data.u64; break;
    default:
        lo = val.data.u128.low;
        hi = val.data.u128.high;
        break;
    }
#endif
    tt_put_mem_value(s, pc, vaddr, shift, store, lo, hi);
#else
    (void)info;
    tt_put_mem(s, pc, vaddr, shift, store);
#endif
}

static inline void qemuapi_put_mem(struct tt_stream *s, qemu_plugin_meminfo_t info, uint64_t pc,
                                   uint64_t vaddr, unsigned shift)
{
    qemuapi_put_mem_rw(s, info, pc, vaddr, shift, qemu_plugin_mem_is_store(info));
}

/* TT_FEAT_MEM_VALUES when the API gives memory values, else 0. */
#define QEMUAPI_FEAT_MEM_VALUES (QEMUAPI_MEM_VALUES ? TT_FEAT_MEM_VALUES : 0)

#endif
