/* Which races `tcgtrace races` leaves out as the runtime's (cmd/races.c,
 * docs/races.md "Races left out"), on a trace written here: two threads
 * write a word of the C++ runtime's own data from its code, as libstdc++
 * fills std::ctype<char>'s widen table lazily in every thread that prints
 * a number first (a race in 4 runs of 25 of the C++ guest under load),
 * and a word of the program's heap from the same code, as two threads
 * appending to one std::string do. The first is left out (--all shows
 * it), the second is shown. Then races of two C library accesses on a
 * block the program allocated: past its end (write_past_end), and on a
 * synchronisation object in it (write_freed_object). Then a read the
 * allocator makes inside a malloc, against the program's write to a live
 * block (write_allocator_read), and a write by a thread of the runtime's
 * own (write_runtime_thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cmd/cmd.h"
#include "tcgtrace/heap.h"
#include "tcgtrace/syncinsn.h"
#include "test_racetrace.h"

#define LIB "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
#define BIAS 0x7f0000000000ull
#define LIB_CODE (BIAS + 0x1000)
#define LIB_DATA (BIAS + 0x218000)
#define HEAP 0x20000ull

static int write_trace(const char *path)
{
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
    return rt_end3(w, m, a, b);
}

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define LIBC_BIAS 0x7e0000000000ull
#define X 0x30000ull

/* A trace with the program (/bin/true, whose code at 0x401100 calls malloc)
 * and the C library, main's block X of size bytes, and threads a and b. */
static struct tt_writer *open_with_block(const char *path, uint64_t features, uint64_t size, struct tt_stream **m,
                                         struct tt_stream **a, struct tt_stream **b)
{
    struct tt_writer *w = rt_open3(path, TT_FEAT_HEAP | features, m, a, b);
    if (!w)
        return NULL;
    tt_put_module(*m, "/bin/true", 0, 0x400000, 0x500000);
    tt_put_module(*m, LIBC, LIBC_BIAS, LIBC_BIAS, LIBC_BIAS + 0x200000);
    tt_put_heap(*m, TT_HEAP_MALLOC, LIBC_BIAS + 0x1000, 0x401105, X, size, 0);
    rt_spawn2(*m, *a, *b);
    return w;
}

/* Two threads in the C library on a heap block the program allocated:
 * one's malloc writes the next chunk's header (X + 24), the other's memcmp
 * reads 16 bytes from X + 16, past the 20-byte block's end. The bytes both
 * touched are the allocator's, not the block's: left out. */
static int write_past_end(const char *path)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = open_with_block(path, 0, 20, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(a, LIBC_BIAS + 0x1100, X + 24, 3, true, 0x31, 0);
    tt_put_mem_value(b, LIBC_BIAS + 0x2200, X + 16, 4, false, 0, 0x31);
    return rt_end3(w, m, a, b);
}

/* A condition variable in a block the program allocated: the C library
 * updates its first word with lock xadd, and two threads access the word
 * after it with plain instructions (glibc's __g1_start), a race left out
 * as the object's. The block is freed before the trace ends, and its
 * synchronisation locations with it: whether one is near is asked when
 * the race is found, not at the end (zstd -T2's condition variables were
 * reported). */
static int write_freed_object(const char *path)
{
    struct tt_error err;
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = open_with_block(path, TT_FEAT_CAS_EXACT, 48, &m, &a, &b);
    if (!w)
        return -1;
    uint64_t xadd = LIBC_BIAS + 0x3300;
    tt_put_mem_value(a, xadd, X, 3, false, 0, 0);
    tt_put_mem_value(a, xadd, X, 3, true, 2, 0);
    tt_put_sync(a, TT_SYNC_ATOMIC_RMW, xadd, X,
                TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE |
                    TT_SYNCINSN_FENCE | TT_SYNCINSN_STORE_ADD);
    tt_put_mem_value(a, LIBC_BIAS + 0x3400, X + 8, 3, true, 1, 0);
    tt_put_mem_value(b, LIBC_BIAS + 0x3500, X + 8, 3, false, 1, 0);
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    /* The free after both threads' ends in the order of events. */
    tt_put_sync(m, TT_SYNC_FENCE, 0x401148, 0, TT_SYNCINSN_FENCE | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE);
    tt_put_heap(m, TT_HEAP_FREE, LIBC_BIAS + 0x1100, 0x401150, X, 0, 0);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

/* Thread A writes the block X main allocated (the program's code); thread
 * B, inside a call the program made at 0x401100, reads X's first word with
 * the C library's code: glibc's fastbin pop reading a chunk's link after
 * another thread popped it. in_malloc: that call is to malloc (its site
 * is an allocation's, main's), else to another function (memcpy's read of
 * the program's block, a race of the program's). */
static int write_allocator_read(const char *path, bool in_malloc)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = open_with_block(path, 0, 32, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(a, 0x401200, X, 3, true, 7, 0);
    /* The call's push of its return address: 0x401105 after malloc's call
     * site, else 0x401305. */
    uint64_t call = in_malloc ? 0x401100 : 0x401300;
    tt_put_mem_value(b, call, 0x7ff000, 3, true, call + 5, 0);
    tt_put_mem_value(b, LIBC_BIAS + 0x1200, X, 3, false, 7, 0);
    return rt_end3(w, m, a, b);
}

/* Thread A, in a call of the program's into the C library (aio_suspend),
 * reads X; thread B writes X with the C library's code alone: glibc's aio
 * helper updating the program's aiocb under the library's own lock.
 * ran_program: B also runs one instruction of the program's first. */
static int write_runtime_thread(const char *path, bool ran_program)
{
    struct tt_stream *m, *a, *b;
    struct tt_writer *w = open_with_block(path, 0, 32, &m, &a, &b);
    if (!w)
        return -1;
    tt_put_mem_value(a, 0x401300, 0x7ff000, 3, true, 0x401305, 0);
    tt_put_mem_value(a, LIBC_BIAS + 0x1200, X, 3, false, 7, 0);
    if (ran_program)
        tt_put_mem_value(b, 0x401400, 0x7fe000, 3, false, 0, 0);
    tt_put_mem_value(b, LIBC_BIAS + 0x1300, X, 3, true, 7, 0);
    return rt_end3(w, m, a, b);
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
    rc = write_past_end(path) == 0 ? races(path, false, doc, sizeof doc) : -1;
    ok(rc == 0 && strstr(doc, "\"summary\":{\"races\":0,") && strstr(doc, "\"hidden\":1,"),
       "memcmp past a block's end against malloc's write of the next chunk's header: left out (exit status %d)", rc);
    rc = write_freed_object(path) == 0 ? races(path, false, doc, sizeof doc) : -1;
    ok(rc == 0 && strstr(doc, "\"summary\":{\"races\":0,") && strstr(doc, "\"hidden\":1,"),
       "a condition variable's relaxed field in a block freed before the end: left out (exit status %d)", rc);
    rc = write_allocator_read(path, true) == 0 ? races(path, false, doc, sizeof doc) : -1;
    ok(rc == 0 && strstr(doc, "\"summary\":{\"races\":0,") && strstr(doc, "\"hidden\":1,"),
       "a read inside malloc of a block live for another thread's write: left out (exit status %d)", rc);
    rc = write_allocator_read(path, false) == 0 ? races(path, false, doc, sizeof doc) : -1;
    ok(rc == 66 && strstr(doc, "\"summary\":{\"races\":1,"),
       "the same read inside another call of the program's: shown (exit status %d)", rc);
    rc = write_runtime_thread(path, false) == 0 ? races(path, false, doc, sizeof doc) : -1;
    ok(rc == 0 && strstr(doc, "\"summary\":{\"races\":0,") && strstr(doc, "\"hidden\":1,"),
       "the C library's write from a thread that runs none of the program's code: left out (exit status %d)", rc);
    rc = write_runtime_thread(path, true) == 0 ? races(path, false, doc, sizeof doc) : -1;
    ok(rc == 66 && strstr(doc, "\"summary\":{\"races\":1,"),
       "the same from a thread that ran the program's code: shown (exit status %d)", rc);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
