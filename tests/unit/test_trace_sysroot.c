/* guest_trace_sysroot (cmd/guest.c): the sysroot a trace recorded comes
 * first, then Debian's cross sysroot for a foreign guest, then none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cmd/guest.h"
#include "tap.h"
#include "tcgtrace/reader.h"

static const char *answer(const char *arch, const char *recorded)
{
    struct tt_header h = { .arch = arch, .sysroot = recorded };
    return guest_trace_sysroot(&h);
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-sysroot-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    const char *r = answer("aarch64", dir);
    ok(r && !strcmp(r, dir), "the recorded sysroot, when it is a directory here");

    struct stat st;
    bool cross = stat("/usr/aarch64-linux-gnu", &st) == 0;
    r = answer("aarch64", "/nonexistent/sysroot");
    if (cross)
        ok(r && !strcmp(r, "/usr/aarch64-linux-gnu"), "a recorded one that is gone: Debian's cross sysroot");
    else
        ok(!r, "a recorded one that is gone, no cross sysroot: none");
    r = answer("aarch64", "");
    ok(cross ? r && !strcmp(r, "/usr/aarch64-linux-gnu") : !r, "none recorded: the default");
    ok(!answer("x86_64", ""), "the host's architecture, none recorded: none");
    r = answer("x86_64", dir);
    ok(r && !strcmp(r, dir), "the host's architecture with a recorded sysroot: that one");
    rmdir(dir);
    return tap_done();
}
