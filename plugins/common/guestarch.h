/* What the plugins need to know per guest architecture: word size, byte
 * order, the stack pointer's register name and the numbers of the system
 * calls they follow. x86_64 has its own syscall table; aarch64 and riscv64
 * share the generic one (asm-generic/unistd.h). */
#ifndef TCGTRACE_GUESTARCH_H
#define TCGTRACE_GUESTARCH_H

#include <stdbool.h>
#include <stdint.h>

/* The system calls the plugins act on. */
enum guest_sys {
    GSYS_OTHER,
    GSYS_MMAP,
    GSYS_MUNMAP,
    GSYS_MPROTECT,
    GSYS_PKEY_MPROTECT,
    GSYS_MREMAP,
    GSYS_BRK,
    GSYS_SHMAT,
    GSYS_SHMDT,
    GSYS_CLONE,
    GSYS_CLONE3,
    GSYS_FORK,
    GSYS_VFORK,
    GSYS_EXECVE,
    GSYS_EXECVEAT,
    GSYS_EXIT,
    GSYS_EXIT_GROUP,
    GSYS_FUTEX,
    GSYS_SET_TID_ADDRESS,
    /* Data through files (pipes, sockets, eventfds): file events. */
    GSYS_READ,
    GSYS_WRITE,
    GSYS_READV,
    GSYS_WRITEV,
    GSYS_PREAD64,
    GSYS_PWRITE64,
    GSYS_PREADV,
    GSYS_PWRITEV,
    GSYS_PREADV2,
    GSYS_PWRITEV2,
    GSYS_RECVFROM,
    GSYS_SENDTO,
    GSYS_RECVMSG,
    GSYS_SENDMSG,
    GSYS_RECVMMSG,
    GSYS_SENDMMSG,
    /* What makes two descriptors one file, or ends one. */
    GSYS_PIPE,
    GSYS_PIPE2,
    GSYS_SOCKETPAIR,
    GSYS_DUP,
    GSYS_DUP2,
    GSYS_DUP3,
    GSYS_FCNTL,
    GSYS_CLOSE,
    GSYS_CLOSE_RANGE,
    GSYS_SOCKET,
    GSYS_CONNECT,
    GSYS_ACCEPT,
    GSYS_ACCEPT4,
    GSYS_COUNT
};

struct guest_arch {
    const char *name;   /* as in qemu_info_t->target_name */
    unsigned word;      /* bytes in a pointer */
    bool big_endian;
    const char *sp_reg; /* the stack pointer's name in QEMU's register list */
    unsigned elf_machine; /* EM_X86_64, EM_AARCH64, EM_RISCV */
    /* Which argument of clone (0-based) is child_tid: x86_64 has
     * (flags, stack, parent_tid, child_tid, tls), the generic table
     * (flags, stack, parent_tid, tls, child_tid). */
    unsigned clone_child_tid_arg;
    /* Syscall numbers plus 1 (x86_64's read is 0); 0 where the call does
     * not exist. */
    int nr[GSYS_COUNT];
};

/* NULL for an architecture without a table. */
const struct guest_arch *guest_arch_find(const char *target_name);
/* Comma-separated names of the supported architectures, for messages;
 * first called before any vCPU runs (it fills a static buffer). */
const char *guest_arch_names(void);
enum guest_sys guest_arch_sys(const struct guest_arch *a, int64_t num);

#endif
