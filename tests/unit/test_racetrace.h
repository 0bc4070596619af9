/* Shared by the unit tests of the race analysis on whole traces
 * (analysis/racetrace.c): traces written here with the writer, analysed as
 * `tcgtrace races` does (a learning pass, then a detecting one). */
#ifndef TEST_RACETRACE_H
#define TEST_RACETRACE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../analysis/racetrace.h"
#include "tcgtrace/syncinsn.h"
#include "tap.h"
#include "tcgtrace/writer.h"

/* A fresh directory made from the template dir, and in path the trace
 * file in it. Exits when the directory cannot be made. */
static void rt_paths(char *dir, char *path, size_t n)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(path, n, "%s/t.tct", dir);
}

/* A memtrace trace of an x86_64 guest with values, sync events and their
 * flags, threads, and the features given beside them. */
static struct tt_writer *rt_trace_open(const char *path, uint64_t features)
{
    static const char *const argv[] = { "/racetrace-test" };
    struct tt_header h = {
        .arch = "x86_64", .page_size = 4096, .qemu_version = "10.0.0", .argc = 1, .argv = argv,
        .tcgtrace_version = "0.1.0", .plugin = "memtrace", .plugin_options = "format=bin",
        .features = TT_FEAT_MEMORY | TT_FEAT_MEM_VALUES | TT_FEAT_SYNC | TT_FEAT_SYSCALLS | TT_FEAT_SYNC_FLAGS |
                    features,
    };
    struct tt_writer_options o = { .raw = true, .synchronous = true };
    struct tt_error err;
    return tt_writer_open(path, &h, &o, &err);
}

/* Thread tid begins on stream s. */
static void rt_start(struct tt_stream *s, uint64_t tid)
{
    tt_put_thread_start(s, tid);
    tt_put_sync(s, TT_SYNC_THREAD_START, 0x401000, 0, tid);
}

/* A trace as rt_trace_open, with its streams 0, 1 and 2 in *m, *a and
 * *b, the main thread (tid 100) started on *m. NULL when it cannot be
 * written. */
static struct tt_writer *rt_open3(const char *path, uint64_t features, struct tt_stream **m, struct tt_stream **a,
                                  struct tt_stream **b)
{
    struct tt_error err;
    struct tt_writer *w = rt_trace_open(path, features);
    if (!w || !(*m = tt_stream_get(w, 0, &err)) || !(*a = tt_stream_get(w, 1, &err)) ||
        !(*b = tt_stream_get(w, 2, &err)))
        return NULL;
    rt_start(*m, 100);
    return w;
}

/* An exchange (x86 xchg) by the instruction at pc of 1 << shift bytes at
 * addr: its load of loaded, its store of stored, its sync event numbered
 * seq. */
static void rt_xchg(struct tt_stream *s, uint64_t pc, uint64_t addr, unsigned shift, uint64_t loaded, uint64_t stored,
                    uint64_t seq) __attribute__((unused));
static void rt_xchg(struct tt_stream *s, uint64_t pc, uint64_t addr, unsigned shift, uint64_t loaded, uint64_t stored,
                    uint64_t seq)
{
    tt_put_mem_value(s, pc, addr, shift, false, loaded, 0);
    tt_put_mem_value(s, pc, addr, shift, true, stored, 0);
    tt_put_sync_seq(s, TT_SYNC_ATOMIC_RMW, pc, addr,
                    TT_SYNCINSN_ATOMIC | TT_SYNCINSN_RMW | TT_SYNCINSN_ACQUIRE | TT_SYNCINSN_RELEASE |
                        TT_SYNCINSN_FENCE | TT_SYNCINSN_STORE_EXACT,
                    seq);
}

/* The main thread creates threads 101 and 102, which start on a and b. */
static void rt_spawn2(struct tt_stream *m, struct tt_stream *a, struct tt_stream *b) __attribute__((unused));
static void rt_spawn2(struct tt_stream *m, struct tt_stream *a, struct tt_stream *b)
{
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 101);
    tt_put_sync(m, TT_SYNC_CLONE, 0x401120, 0, 102);
    rt_start(a, 101);
    rt_start(b, 102);
}

/* Threads a (101) and b (102), then main (100), exit, and the trace is
 * closed: 0, or the writer's error. */
static int rt_end3(struct tt_writer *w, struct tt_stream *m, struct tt_stream *a, struct tt_stream *b)
    __attribute__((unused));
static int rt_end3(struct tt_writer *w, struct tt_stream *m, struct tt_stream *a, struct tt_stream *b)
{
    struct tt_error err;
    tt_put_sync(a, TT_SYNC_THREAD_EXIT, 0x401240, 0, 101);
    tt_put_sync(b, TT_SYNC_THREAD_EXIT, 0x401340, 0, 102);
    tt_put_sync(m, TT_SYNC_THREAD_EXIT, 0x401140, 0, 100);
    return tt_writer_close(w, NULL, &err);
}

/* The analysis of the trace at path, its reports in *reps (*n of them);
 * NULL and *n 0 on an error. */
static struct racetrace *rt_analyse(const char *path, size_t *n, const struct racetrace_report **reps)
    __attribute__((unused));
static struct racetrace *rt_analyse(const char *path, size_t *n, const struct racetrace_report **reps)
{
    struct tt_error err;
    struct tt_reader *r1 = tt_reader_open(path, TT_READ_MERGED, &err), *r2 = tt_reader_open(path, TT_READ_MERGED, &err);
    static struct symbols *syms;
    if (!syms)
        syms = symbols_new(NULL);
    struct racetrace *rt = r1 && r2 ? racetrace_new(tt_reader_header(r1), syms) : NULL;
    *n = 0;
    if (rt && (racetrace_learn(rt, r1, &err) || racetrace_detect(rt, r2, &err))) {
        racetrace_free(rt);
        rt = NULL;
    }
    if (rt)
        *reps = racetrace_reports(rt, n);
    if (r1)
        tt_reader_close(r1);
    if (r2)
        tt_reader_close(r2);
    return rt;
}

/* Whether the reports hold a race found at addr. */
static bool rt_raced(const struct racetrace_report *reps, size_t n, uint64_t addr) __attribute__((unused));
static bool rt_raced(const struct racetrace_report *reps, size_t n, uint64_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (reps[i].race.second.addr == addr)
            return true;
    return false;
}

/* The trace write makes (0, or its error) in a fresh directory named
 * after name, analysed: checks that it was, and that a race was found at
 * addr or not (racy), as what says; the number of reports follows what. */
static void rt_expect(const char *name, int (*write)(const char *path), uint64_t addr, bool racy, const char *what)
    __attribute__((unused));
static void rt_expect(const char *name, int (*write)(const char *path), uint64_t addr, bool racy, const char *what)
{
    char dir[256], path[4096];
    snprintf(dir, sizeof dir, "/tmp/tcgtrace-%s.XXXXXX", name);
    rt_paths(dir, path, sizeof path);
    const struct racetrace_report *reps = NULL;
    size_t n = 0;
    struct racetrace *rt = NULL;
    ok(write(path) == 0 && (rt = rt_analyse(path, &n, &reps)) != NULL, "the trace is written and analysed");
    ok(rt && rt_raced(reps, n, addr) == racy, "%s (%zu reports)", what, n);
    racetrace_free(rt);
    unlink(path);
    rmdir(dir);
}

#endif
