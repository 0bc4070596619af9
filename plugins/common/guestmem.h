/* Reading guest virtual memory from the plugins, in the guest's byte order.
 * Only from a vCPU context (a vCPU callback), as QEMU requires. Before QEMU
 * 9.2 (plugin API v1 builds), linux-user only, and only once
 * guestmem_learn_base has seen a translated instruction. */
#ifndef TCGTRACE_GUESTMEM_H
#define TCGTRACE_GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guestarch.h"
#include "qemuapi.h"

#if !QEMUAPI_READ_MEMORY
/* Learns where linux-user keeps guest memory from an instruction being
 * translated (its host address). */
void guestmem_learn_base(const struct qemu_plugin_insn *insn);
#endif

#if QEMUAPI_REGISTERS
/* The calling vCPU's registers called names[0..n) (QEMU's names: "rax",
 * "sp"; a NULL name is skipped), in one pass over its list: out[i] NULL
 * when it has none. Handles are per vCPU: look them up in its own thread. */
void guestmem_registers(const char *const *names, size_t n, struct qemu_plugin_register **out);
/* Its value, when it is at most 8 bytes (false otherwise, or for NULL),
 * read into buf: a vCPU's own buffer, so that a read allocates nothing. */
bool guestmem_read_register(struct qemu_plugin_register *reg, GByteArray *buf, bool big_endian, uint64_t *value);
/* The calling vCPU's stack pointer; false if QEMU has no such register. */
bool guestmem_read_sp(const struct guest_arch *arch, uint64_t *sp);
#endif

/* False if any byte of [addr, addr+len) is unmapped or unreadable. */
bool guestmem_read(uint64_t addr, void *buf, size_t len);
/* An unsigned integer of size 1, 2, 4 or 8 bytes stored at p. */
uint64_t guestmem_uint(const void *p, unsigned size, bool big_endian);
bool guestmem_read_uint(uint64_t addr, unsigned size, bool big_endian, uint64_t *value);
/* The NUL-terminated string at addr into buf; false if unreadable or longer
 * than size - 1 bytes. */
bool guestmem_read_string(uint64_t addr, char *buf, size_t size);

#endif
