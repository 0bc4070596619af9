/* Which QEMU runs a guest and which build of tcgtrace's plugins it loads.
 * QEMU loads only plugins built for a plugin API version in its own range:
 * QEMU 9.0 dropped API v1 and API v4 came with QEMU 9.2. So the plugins
 * built against QEMU 10.0's header (API v4, <plugin_dir>) serve QEMU 9.2
 * and newer, those built against QEMU 7.2's (API v1, <plugin_dir>-v1)
 * QEMU 8.2 and older, and QEMU 9.0 and 9.1 have none
 * (docs/qemu-versions.md). */
#ifndef TCGTRACE_QEMUVER_H
#define TCGTRACE_QEMUVER_H

#include <stddef.h>

/* The directory of the plugins the QEMU at path loads, from its version
 * (`QEMU --version`, run once; the current build when it does not tell);
 * a static buffer. NULL after one message saying why when there is no
 * such build. */
const char *qemu_plugin_dir(const char *qemu);

/* qemu-ARCH found in $PATH (a distribution's QEMU, for when none was
 * built): 0, or -1 when there is none. */
int qemu_find_on_path(const char *arch, char *out, size_t size);

#endif
