/* A binary trace's records of the guest process: see procrec.h. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guestmem.h"
#include "heaphook.h"
#include "procrec.h"

static const char *plugin;
static struct tt_writer *writer;
static pid_t owner_pid;

void procrec_init(const char *name, struct tt_writer *w)
{
    plugin = name;
    writer = w;
    owner_pid = getpid();
}

static void put_module(struct tt_stream *s, const char *path, const struct guest_image *img)
{
    tt_put_module(s, path, img->bias, img->start, img->end);
    heaphook_module(path, img->bias); /* nothing unless heaphook_install ran */
}

/* The program's path as the guest was started with it (AT_EXECFN), made
 * absolute against the directory QEMU started in (the guest has not
 * run yet): a trace then names the same file wherever it is read from
 * (a relative path read elsewhere found no symbols, and races on the
 * program's GOT were no longer told from real ones). */
static const char *program_path(const struct guest_initial *in, char *path, size_t size)
{
    char given[PATH_MAX], cwd[PATH_MAX];
    if (!guestmem_read_string(in->stack.execfn, given, sizeof given))
        return "";
    const char *rel = given;
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    if (given[0] == '/' || !getcwd(cwd, sizeof cwd) ||
        (size_t)snprintf(path, size, "%s/%s", strcmp(cwd, "/") ? cwd : "", rel) >= size)
        snprintf(path, size, "%s", given);
    return path;
}

void procrec_put_initial_modules(struct tt_stream *s, const struct guest_initial *in)
{
    char path[PATH_MAX];
    if (in->has_main)
        put_module(s, program_path(in, path, sizeof path), &in->main);
    if (in->has_interp)
        put_module(s, guestmem_read_string(in->main.interp, path, sizeof path) ? path : "", &in->interp);
    if (in->has_vdso)
        put_module(s, "[vdso]", &in->vdso);
}

void procrec_thread_begin(struct procrec_thread *t)
{
    t->tid = (uint64_t)syscall(SYS_gettid);
    if (t->s) {
        tt_stream_unpark(t->s); /* parked by the index's previous thread */
        tt_put_thread_start(t->s, t->tid);
    }
}

void procrec_syscall_entry(struct procrec_thread *t, int64_t num, enum guest_sys sys, const uint64_t args[6])
{
    if (!t->s)
        return;
    tt_put_syscall(t->s, (uint64_t)num, args);
    if (sys == GSYS_EXIT || sys == GSYS_EXIT_GROUP)
        tt_put_thread_exit(t->s, t->tid, (int64_t)(int32_t)args[0]);
}

static bool seals(enum guest_sys sys)
{
    return (sys == GSYS_EXECVE || sys == GSYS_EXECVEAT) && getpid() == owner_pid;
}

void procrec_syscall_park(struct procrec_thread *t, enum guest_sys sys)
{
    if (!t->s)
        return;
    tt_stream_park(t->s);
    struct tt_error err;
    if (seals(sys) && tt_writer_seal(writer, &err))
        fprintf(stderr, "%s: %s\n", plugin, err.msg);
}

void procrec_syscall_unpark(struct procrec_thread *t, enum guest_sys sys)
{
    if (!t->s)
        return;
    /* The process goes on: so does its trace. Unsealed first: the stream
     * would wait for the end of the seal (tt_stream_unpark). */
    if (seals(sys))
        tt_writer_unseal(writer);
    tt_stream_unpark(t->s);
}

/* A loaded ELF object: an mmap of a file at offset 0 whose first bytes are
 * an ELF header (the dynamic loader maps each library so). Its path is the
 * descriptor's: guest descriptors are QEMU's own in linux-user. */
static void put_module_if_elf(struct tt_stream *s, const uint64_t args[6], int64_t ret)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t last_bias, last_start;
    struct guest_image img;
    char link[64], path[PATH_MAX];
    if ((int)args[4] < 0 || args[5] != 0 || guestelf_from_ehdr((uint64_t)ret, &img))
        return;
    snprintf(link, sizeof link, "/proc/self/fd/%d", (int)args[4]);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return;
    path[n] = '\0';
    /* The loader maps an object's span, then its first segment over it at
     * the same place: one module. */
    pthread_mutex_lock(&lock);
    bool again = img.bias == last_bias && img.start == last_start;
    last_bias = img.bias, last_start = img.start;
    pthread_mutex_unlock(&lock);
    if (!again)
        put_module(s, path, &img);
}

void procrec_syscall_return(struct procrec_thread *t, int64_t num, enum guest_sys sys, const uint64_t args[6],
                            int64_t ret)
{
    if (!t->s)
        return;
    if (sys == GSYS_MMAP && (uint64_t)ret < (uint64_t)-4095)
        put_module_if_elf(t->s, args, ret);
    tt_put_sysret(t->s, (uint64_t)num, ret);
}
