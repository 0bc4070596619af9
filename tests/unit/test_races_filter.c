/* Which races `tcgtrace races` leaves out as the runtime's (cmd/races.c,
 * docs/races.md "Races left out"), on a trace written here: two threads
 * write a word of the C++ runtime's own data from its code, as libstdc++
 * fills std::ctype<char>'s widen table lazily in every thread that prints
 * a number first (a race in 4 runs of 25 of the C++ guest under load),
 * and a word of the program's heap from the same code, as two threads
 * appending to one std::string do. The first is left out (--all shows
 * it), the second is shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/cmd.h"
#include "test_racetrace.h"

#define LIB "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
#define BIAS 0x7f0000000000ull
#define LIB_CODE (BIAS + 0x1000)
#define LIB_DATA (BIAS + 0x218000)
#define HEAP 0x20000ull

static int write_trace(const char *path)
{
    struct tt_error err;
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = rt_open3(path, 0, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_module(m, LIB, BIAS, BIAS, BIAS + 0x300000);
    rt_spawn2(m, a, b);
    struct tt_stream *s[] = { a, b };
    for (int i = 0; i < 2; i++) {
        tt_put_mem_value(s[i], LIB_CODE, LIB_DATA, 3, true, 1, 0);
        tt_put_mem_value(s[i], LIB_CODE + 0x40, HEAP, 3, true, 2, 0);
    }
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

/* tcgtrace races --json [--all] on path: its exit status, the document in
 * out. */
static int races(const char *path, bool all, char *out, size_t n)
{
    char doc[4096];
    snprintf(doc, sizeof doc, "%s.json", path);
    fflush(stdout);
    int saved = dup(1);
    FILE *f = freopen(doc, "w", stdout);
    char *argv[] = { "races", "-q", "--json", all ? "--all" : "-q", (char *)path, NULL };
    int rc = f ? cmd_races(5, argv) : -1;
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    f = fopen(doc, "r");
    size_t got = f ? fread(out, 1, n - 1, f) : 0;
    out[got] = 0;
    if (f)
        fclose(f);
    unlink(doc);
    return rc;
}

int main(void)
{
    char dir[] = "/tmp/tcgtrace-rfilter.XXXXXX", path[4096], doc[8192];
    rt_paths(dir, path, sizeof path);
    ok(write_trace(path) == 0, "the trace is written");
    int rc = races(path, false, doc, sizeof doc);
    char heap[64];
    snprintf(heap, sizeof heap, "\"address\":\"0x%llx\"", HEAP);
    ok(rc == 66 && strstr(doc, "\"summary\":{\"races\":1,") && strstr(doc, "\"hidden\":1,") && strstr(doc, heap),
       "the race on the program's heap is shown, the one on the C++ runtime's data left out (exit status %d)", rc);
    rc = races(path, true, doc, sizeof doc);
    ok(rc == 66 && strstr(doc, "\"summary\":{\"races\":2,"), "--all shows both (exit status %d)", rc);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
