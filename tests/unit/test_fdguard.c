/* A text trace's descriptor kept from the guest's close, dup2 and
 * close_range (plugins/common/fdguard.h): each call is played here as the
 * plugins see it (the entry callback, the call itself, the return
 * callback), then a line written through the guard must reach the log,
 * and nothing of it the file that took the log's old number. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../plugins/common/fdguard.h"
#include "tap.h"

static int out = -1;
static char path[4096];

/* Writes s through the guard; false when it could not. */
static bool put(const char *s)
{
    int fd = fdguard_hold(&out);
    bool done = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);
    fdguard_release();
    return done;
}

static bool log_is(const char *want)
{
    char got[256] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(got, 1, sizeof got - 1, f) : 0;
    if (f)
        fclose(f);
    got[n] = '\0';
    return !strcmp(got, want);
}

/* The guest's call: entry, the call, return. */
static void guest_call(enum guest_sys sys, uint64_t a0, uint64_t a1, uint64_t a2, void (*call)(int old), int old)
{
    fdguard_syscall(sys, (const uint64_t[]){ a0, a1, a2 });
    call(old);
    fdguard_syscall_return();
}

static void close_it(int old)
{
    close(old);
}

static void dup_null_over(int old)
{
    int null = open("/dev/null", O_WRONLY);
    dup2(null, old);
    close(null);
}

static void nothing(int old)
{
    (void)old;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/tcgtrace-fdguard-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    ok(fd >= 0, "a log file");
    close(fd);
    out = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    fdguard_add(&out, path);
    ok(put("start\n") && log_is("start\n"), "a line through the guard");

    int old = out;
    guest_call(GSYS_CLOSE, (uint64_t)old | UINT64_C(0xffffffff00000000), 0, 0, close_it, old);
    ok(out >= 0 && out != old && put("after close\n") && log_is("start\nafter close\n"),
       "close of the log's number (upper bits set, which the kernel ignores): moved first, %d -> %d", old, out);

    old = out;
    guest_call(GSYS_DUP2, 0, (uint64_t)old, 0, dup_null_over, old);
    struct stat st, null_st;
    ok(out >= 0 && out != old && put("after dup2\n") && log_is("start\nafter close\nafter dup2\n") &&
           fstat(old, &st) == 0 && stat("/dev/null", &null_st) == 0 && st.st_rdev == null_st.st_rdev,
       "dup2 over the log's number: moved first, the guest's descriptor there is its own");
    close(old);

    old = out;
    guest_call(GSYS_CLOSE_RANGE, (uint64_t)old, ~0u, CLOSE_RANGE_CLOEXEC, nothing, old);
    ok(out == old, "close_range with CLOSE_RANGE_CLOEXEC closes nothing: left where it is");
    guest_call(GSYS_CLOSE, (uint64_t)old + 1, 0, 0, nothing, old);
    ok(out == old, "close of another number: left where it is");

    /* Every number from 0 up: none to move to, so opened again after. */
    old = out;
    fdguard_syscall(GSYS_CLOSE_RANGE, (const uint64_t[]){ 0, ~0u, 0 });
    bool pending = out < 0;
    close(old);
    fdguard_syscall_return();
    ok(pending && out >= 0 && put("after close_range\n") &&
           log_is("start\nafter close\nafter dup2\nafter close_range\n"),
       "close_range(0, ~0U): none to move to, opened again once it returned (%d), appending", out);

    /* Replaced meanwhile: not the log any more, so not written to. */
    old = out;
    fdguard_syscall(GSYS_CLOSE_RANGE, (const uint64_t[]){ 0, ~0u, 0 });
    close(old);
    char other[4200];
    snprintf(other, sizeof other, "%s.new", path);
    int o = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool renamed = o >= 0 && close(o) == 0 && rename(other, path) == 0;
    fdguard_syscall_return();
    errno = 0;
    int held = fdguard_hold(&out);
    int e = errno;
    fdguard_release();
    ok(renamed && held < 0 && e == ESTALE && !put("lost\n") && log_is(""),
       "the log replaced before it is opened again: no descriptor (%s), nothing written to the new file",
       strerror(e));
    fdguard_settle();
    unlink(path);
    return tap_done();
}
