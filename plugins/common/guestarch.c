/* Guest architecture facts: see guestarch.h. The numbers come from Linux's
 * arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h
 * (GSYS_OTHER's slot is unused). */
#include <elf.h>
#include <string.h>

#include "guestarch.h"

#define NR(n) ((n) + 1)

static const struct guest_arch arches[] = {
    {
        .name = "x86_64", .word = 8, .big_endian = false, .sp_reg = "rsp",
        .elf_machine = EM_X86_64, .clone_child_tid_arg = 3,
        .nr = {
            [GSYS_MMAP] = NR(9), [GSYS_MUNMAP] = NR(11), [GSYS_MPROTECT] = NR(10),
            [GSYS_PKEY_MPROTECT] = NR(329), [GSYS_MREMAP] = NR(25), [GSYS_BRK] = NR(12),
            [GSYS_SHMAT] = NR(30), [GSYS_SHMDT] = NR(67), [GSYS_CLONE] = NR(56),
            [GSYS_CLONE3] = NR(435), [GSYS_FORK] = NR(57), [GSYS_VFORK] = NR(58),
            [GSYS_EXECVE] = NR(59), [GSYS_EXECVEAT] = NR(322), [GSYS_EXIT] = NR(60),
            [GSYS_EXIT_GROUP] = NR(231), [GSYS_FUTEX] = NR(202), [GSYS_SET_TID_ADDRESS] = NR(218),
            [GSYS_READ] = NR(0), [GSYS_WRITE] = NR(1), [GSYS_READV] = NR(19), [GSYS_WRITEV] = NR(20),
            [GSYS_PREAD64] = NR(17), [GSYS_PWRITE64] = NR(18), [GSYS_PREADV] = NR(295),
            [GSYS_PWRITEV] = NR(296), [GSYS_PREADV2] = NR(327), [GSYS_PWRITEV2] = NR(328),
            [GSYS_RECVFROM] = NR(45), [GSYS_SENDTO] = NR(44), [GSYS_RECVMSG] = NR(47),
            [GSYS_SENDMSG] = NR(46), [GSYS_RECVMMSG] = NR(299), [GSYS_SENDMMSG] = NR(307),
            [GSYS_PIPE] = NR(22), [GSYS_PIPE2] = NR(293), [GSYS_SOCKETPAIR] = NR(53),
            [GSYS_DUP] = NR(32), [GSYS_DUP2] = NR(33), [GSYS_DUP3] = NR(292), [GSYS_FCNTL] = NR(72),
            [GSYS_CLOSE] = NR(3), [GSYS_CLOSE_RANGE] = NR(436), [GSYS_SOCKET] = NR(41),
            [GSYS_CONNECT] = NR(42), [GSYS_ACCEPT] = NR(43), [GSYS_ACCEPT4] = NR(288),
        },
    },
#define GENERIC_SYSCALLS                                                                    \
    [GSYS_MMAP] = NR(222), [GSYS_MUNMAP] = NR(215), [GSYS_MPROTECT] = NR(226),              \
    [GSYS_PKEY_MPROTECT] = NR(288), [GSYS_MREMAP] = NR(216), [GSYS_BRK] = NR(214),          \
    [GSYS_SHMAT] = NR(196), [GSYS_SHMDT] = NR(197), [GSYS_CLONE] = NR(220),                 \
    [GSYS_CLONE3] = NR(435), [GSYS_EXECVE] = NR(221), [GSYS_EXECVEAT] = NR(281),            \
    [GSYS_EXIT] = NR(93), [GSYS_EXIT_GROUP] = NR(94), [GSYS_FUTEX] = NR(98),                \
    [GSYS_SET_TID_ADDRESS] = NR(96), [GSYS_READ] = NR(63), [GSYS_WRITE] = NR(64),           \
    [GSYS_READV] = NR(65), [GSYS_WRITEV] = NR(66), [GSYS_PREAD64] = NR(67),                 \
    [GSYS_PWRITE64] = NR(68), [GSYS_PREADV] = NR(69), [GSYS_PWRITEV] = NR(70),              \
    [GSYS_PREADV2] = NR(286), [GSYS_PWRITEV2] = NR(287), [GSYS_RECVFROM] = NR(207),         \
    [GSYS_SENDTO] = NR(206), [GSYS_RECVMSG] = NR(212), [GSYS_SENDMSG] = NR(211),            \
    [GSYS_RECVMMSG] = NR(243), [GSYS_SENDMMSG] = NR(269), [GSYS_PIPE2] = NR(59),            \
    [GSYS_SOCKETPAIR] = NR(199), [GSYS_DUP] = NR(23), [GSYS_DUP3] = NR(24),                 \
    [GSYS_FCNTL] = NR(25), [GSYS_CLOSE] = NR(57), [GSYS_CLOSE_RANGE] = NR(436),             \
    [GSYS_SOCKET] = NR(198), [GSYS_CONNECT] = NR(203), [GSYS_ACCEPT] = NR(202),             \
    [GSYS_ACCEPT4] = NR(242)
    { .name = "aarch64", .word = 8, .big_endian = false, .sp_reg = "sp", .elf_machine = EM_AARCH64,
      .clone_child_tid_arg = 4, .nr = { GENERIC_SYSCALLS } },
    { .name = "riscv64", .word = 8, .big_endian = false, .sp_reg = "sp", .elf_machine = EM_RISCV,
      .clone_child_tid_arg = 4, .nr = { GENERIC_SYSCALLS } },
#undef GENERIC_SYSCALLS
};
#undef NR

const struct guest_arch *guest_arch_find(const char *target_name)
{
    for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
        if (target_name && !strcmp(arches[i].name, target_name))
            return &arches[i];
    return NULL;
}

const char *guest_arch_names(void)
{
    static char names[64];
    if (!names[0])
        for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
            if (i)
                strcat(names, ", ");
            strcat(names, arches[i].name);
        }
    return names;
}

enum guest_sys guest_arch_sys(const struct guest_arch *a, int64_t num)
{
    for (int s = GSYS_OTHER + 1; s < GSYS_COUNT; s++)
        if (a->nr[s] && a->nr[s] == num + 1)
            return (enum guest_sys)s;
    return GSYS_OTHER;
}
