/* Guest architecture facts: see guestarch.h. The numbers come from Linux's
 * arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h
 * (GSYS_OTHER's slot is unused). */
#include <elf.h>
#include <string.h>

#include "guestarch.h"

static const struct guest_arch arches[] = {
    {
        .name = "x86_64", .word = 8, .big_endian = false, .sp_reg = "rsp",
        .elf_machine = EM_X86_64, .clone_child_tid_arg = 3,
        .nr = {
            [GSYS_MMAP] = 9, [GSYS_MUNMAP] = 11, [GSYS_MPROTECT] = 10,
            [GSYS_PKEY_MPROTECT] = 329, [GSYS_MREMAP] = 25, [GSYS_BRK] = 12,
            [GSYS_SHMAT] = 30, [GSYS_SHMDT] = 67, [GSYS_CLONE] = 56,
            [GSYS_CLONE3] = 435, [GSYS_FORK] = 57, [GSYS_VFORK] = 58,
            [GSYS_EXECVE] = 59, [GSYS_EXECVEAT] = 322, [GSYS_EXIT] = 60,
            [GSYS_EXIT_GROUP] = 231, [GSYS_FUTEX] = 202, [GSYS_SET_TID_ADDRESS] = 218,
        },
    },
#define GENERIC_SYSCALLS                                                            \
    [GSYS_MMAP] = 222, [GSYS_MUNMAP] = 215, [GSYS_MPROTECT] = 226,                  \
    [GSYS_PKEY_MPROTECT] = 288, [GSYS_MREMAP] = 216, [GSYS_BRK] = 214,              \
    [GSYS_SHMAT] = 196, [GSYS_SHMDT] = 197, [GSYS_CLONE] = 220, [GSYS_CLONE3] = 435,\
    [GSYS_EXECVE] = 221, [GSYS_EXECVEAT] = 281, [GSYS_EXIT] = 93, [GSYS_EXIT_GROUP] = 94,     \
    [GSYS_FUTEX] = 98, [GSYS_SET_TID_ADDRESS] = 96
    { .name = "aarch64", .word = 8, .big_endian = false, .sp_reg = "sp", .elf_machine = EM_AARCH64,
      .clone_child_tid_arg = 4, .nr = { GENERIC_SYSCALLS } },
    { .name = "riscv64", .word = 8, .big_endian = false, .sp_reg = "sp", .elf_machine = EM_RISCV,
      .clone_child_tid_arg = 4, .nr = { GENERIC_SYSCALLS } },
#undef GENERIC_SYSCALLS
};

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
        if (a->nr[s] && a->nr[s] == num)
            return (enum guest_sys)s;
    return GSYS_OTHER;
}
