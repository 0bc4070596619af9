/* Choosing how to run a program under QEMU from its ELF header. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "guest.h"
#include "tcgtrace/reader.h"

static const struct arch {
    const char *name; /* also qemu-NAME */
    unsigned machine;
    const char *triplet;    /* Debian's cross sysroot is /usr/TRIPLET */
    const char *libc_cross; /* the package that fills it */
} archs[] = {
    { "x86_64", EM_X86_64, "x86_64-linux-gnu", "libc6-amd64-cross" },
    { "aarch64", EM_AARCH64, "aarch64-linux-gnu", "libc6-arm64-cross" },
    { "riscv64", EM_RISCV, "riscv64-linux-gnu", "libc6-riscv64-cross" },
};

#if defined(__x86_64__)
#define HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define HOST_ARCH "aarch64"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#else
#define HOST_ARCH ""
#endif

/* Names for the machines people are likely to try, for the error. */
static const char *machine_name(unsigned machine, int class64)
{
    switch (machine) {
    case EM_386: return "i386";
    case EM_X86_64: return "x32";
    case EM_ARM: return "arm";
    case EM_AARCH64: return "aarch64_be";
    case EM_RISCV: return class64 ? "riscv64 (big-endian)" : "riscv32";
    case EM_PPC: return "ppc";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390x";
    case EM_MIPS: return "mips";
    case EM_SPARC: return "sparc";
    case EM_SPARCV9: return "sparc64";
    case EM_LOONGARCH: return "loongarch64";
    case EM_68K: return "m68k";
    case EM_SH: return "sh4";
    case EM_ALPHA: return "alpha";
    case EM_PARISC: return "hppa";
    case EM_IA_64: return "ia64";
    case EM_XTENSA: return "xtensa";
    case EM_MICROBLAZE: return "microblaze";
    case EM_OPENRISC: return "or1k";
    default: return NULL;
    }
}

/* The search execvp does: a name with a '/' is a path, any other is looked
 * up in each $PATH directory in turn (an empty entry is the current
 * directory), skipping candidates that are not executable files. */
static int find_program(const char *prog, char *out, size_t size)
{
    struct stat st;
    if (strchr(prog, '/')) {
        size_t len = strlen(prog);
        if (len >= size) {
            msg_error("cannot run '%s': %s", prog, strerror(ENAMETOOLONG));
            return -1;
        }
        memcpy(out, prog, len + 1);
        if (stat(prog, &st) < 0) {
            msg_error("cannot run '%s': %s", prog, strerror(errno));
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            msg_error("cannot run '%s': %s", prog, strerror(EISDIR));
            return -1;
        }
        /* A FIFO would make read_elf() and QEMU wait for a writer. */
        if (!S_ISREG(st.st_mode)) {
            msg_error("cannot run '%s': not a regular file", prog);
            return -1;
        }
        if (access(prog, X_OK) < 0) {
            msg_error("cannot run '%s': %s", prog, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (!*prog) {
        msg_error("cannot run '': %s", strerror(ENOENT));
        return -1;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin"; /* glibc's execvp default */
    int denied = 0;
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        int n = (int)(end - p);
        snprintf(out, size, "%.*s%s%s", n, p, n ? "/" : "", prog);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            denied = 1;
        }
        if (!*end)
            break;
        p = end;
    }
    if (denied)
        msg_error("cannot run '%s': %s", prog, strerror(EACCES));
    else
        msg_error("cannot run '%s': not found in PATH", prog);
    return -1;
}

static int read_elf(const char *shown, struct guest *g, const struct arch **arch)
{
    int fd = open(g->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        msg_error("cannot open '%s': %s", shown, strerror(errno));
        return -1;
    }
    char head[256] = { 0 };
    ssize_t got = pread(fd, head, sizeof head - 1, 0);
    if (got < SELFMAG || memcmp(head, ELFMAG, SELFMAG) != 0) {
        close(fd);
        if (got > 2 && head[0] == '#' && head[1] == '!') {
            char *interp = head + 2 + strspn(head + 2, " \t");
            interp[strcspn(interp, " \t\r\n")] = '\0';
            msg_error("'%s' is a script, not an ELF file: record its interpreter (tcgtrace record -- %s %s)", shown,
                      interp, shown);
        } else {
            msg_error("'%s' is not an ELF file", shown);
        }
        return -1;
    }

    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    size_t nph;
    int ret = -1;
    if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nph) != 0) {
        msg_error("'%s' is not a valid ELF file: %s", shown, elf_errmsg(-1));
        goto out;
    }
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
        msg_error("'%s' is not an executable (ELF type %d)", shown, eh.e_type);
        goto out;
    }
    int class64 = eh.e_ident[EI_CLASS] == ELFCLASS64, little = eh.e_ident[EI_DATA] == ELFDATA2LSB;
    *arch = NULL;
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++)
        if (archs[i].machine == eh.e_machine && class64 && little)
            *arch = &archs[i];
    if (!*arch) {
        const char *name = machine_name(eh.e_machine, class64);
        char number[32];
        if (!name) {
            snprintf(number, sizeof number, "machine %u", eh.e_machine);
            name = number;
        }
        msg_error("'%s' is a program for an unsupported architecture: %s (tcgtrace runs x86_64, aarch64 and riscv64)",
                  shown, name);
        goto out;
    }
    g->arch = (*arch)->name;

    g->dynamic = false;
    g->interp[0] = '\0';
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP)
            continue;
        size_t len = ph.p_filesz < sizeof g->interp ? ph.p_filesz : sizeof g->interp - 1;
        if (pread(fd, g->interp, len, (off_t)ph.p_offset) != (ssize_t)len) {
            msg_error("'%s' is not a valid ELF file: truncated program interpreter", shown);
            goto out;
        }
        g->interp[len] = '\0';
        g->dynamic = true;
    }
    ret = 0;
out:
    if (elf)
        elf_end(elf);
    close(fd);
    return ret;
}

int guest_check_sysroot(const char *dir)
{
    struct stat st;
    int err = stat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (err) {
        msg_error("cannot use sysroot '%s': %s", dir, strerror(err));
        return -1;
    }
    return 0;
}

const char *guest_trace_sysroot(const struct tt_header *h)
{
    static char dir[64];
    struct stat st;
    const char *recorded = tt_header_sysroot(h), *arch = h->arch;
    if (recorded && stat(recorded, &st) == 0 && S_ISDIR(st.st_mode))
        return recorded;
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) {
        if (strcmp(arch, archs[i].name) || !strcmp(arch, HOST_ARCH))
            continue;
        snprintf(dir, sizeof dir, "/usr/%s", archs[i].triplet);
        return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
    }
    return NULL;
}

static int choose_sysroot(const char *shown, const char *sysroot, const struct arch *a, struct guest *g)
{
    int foreign = strcmp(g->arch, HOST_ARCH) != 0;
    struct stat st;
    g->sysroot[0] = '\0';
    if (sysroot) {
        if (guest_check_sysroot(sysroot) < 0)
            return -1;
        snprintf(g->sysroot, sizeof g->sysroot, "%s", sysroot);
    } else if (foreign && g->dynamic) {
        snprintf(g->sysroot, sizeof g->sysroot, "/usr/%s", a->triplet);
        if (stat(g->sysroot, &st) < 0 || !S_ISDIR(st.st_mode)) {
            msg_error("'%s' is a dynamically linked %s program and its sysroot '%s' is missing (install %s or pass "
                      "--sysroot DIR)",
                      shown, g->arch, g->sysroot, a->libc_cross);
            return -1;
        }
    }
    /* QEMU looks the loader up in the sysroot first, then on the host: a
     * native program finds it either way, a foreign one only in there. */
    if (foreign && g->dynamic) {
        char loader[2 * PATH_MAX];
        snprintf(loader, sizeof loader, "%s%s", g->sysroot, g->interp);
        if (access(loader, R_OK) < 0) {
            msg_error("'%s' needs the dynamic loader '%s', which is not in sysroot '%s' (pass --sysroot DIR)", shown,
                      g->interp, g->sysroot);
            return -1;
        }
    }
    return 0;
}

int guest_inspect(const char *prog, const char *sysroot, struct guest *g)
{
    const struct arch *a;
    if (find_program(prog, g->path, sizeof g->path) < 0 || read_elf(prog, g, &a) < 0)
        return -1;
    return choose_sysroot(prog, sysroot, a, g);
}
