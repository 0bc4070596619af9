#!/usr/bin/env python3
"""Independent oracle for memtrace's filter: which accesses touched writable
memory, computed from nothing but QEMU's own view of the guest.

Reads one QEMU log (-d page,plugin) holding, in order:
  - QEMU's page-layout dumps ("page layout changed following binary load /
    mmap / shmat"): the guest's whole map with each range's protection, as
    QEMU itself keeps it (the stack, the program, the dynamic loader and
    the vDSO included);
  - lines of tests/integration/memtrace_syscalls.c ("oracle-sys", "oracle-ret"):
    every system call with its vCPU, arguments and result, from which the
    changes QEMU does not dump (munmap, mprotect, mremap, a shrinking brk,
    shmdt) are applied here, written apart from the plugin's C code;
  - the upstream mem plugin's print-accesses lines: every data access.

Usage: memtrace_oracle.py LOG ARCH all|writable
Prints one line per access, `R|W 0x<16 hex> <bytes>`, in log order: every
access, or only those with a byte in a writable page at that moment."""
import bisect
import re
import sys

PAGE = 4096

# Syscall numbers: Linux's syscall_64.tbl and asm-generic/unistd.h.
SYSCALLS = {
    "x86_64": {9: "mmap", 11: "munmap", 10: "mprotect", 329: "pkey_mprotect", 25: "mremap",
               12: "brk", 30: "shmat", 67: "shmdt"},
    "generic": {222: "mmap", 215: "munmap", 226: "mprotect", 288: "pkey_mprotect",
                216: "mremap", 214: "brk", 196: "shmat", 197: "shmdt"},
}
PROT_WRITE = 2
MREMAP_DONTUNMAP = 4

DUMP_RE = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{16}) [0-9a-f]{16} ([r-])([w-])([x-])$")
ACCESS_RE = re.compile(r"^0x[0-9a-f]+,[^,]*,0x([0-9a-f]+),0x[0-9a-f]+,(\d+),(load|store),")


def page_up(x):
    return (x + PAGE - 1) & ~(PAGE - 1)


class Layout:
    """Disjoint sorted ranges [start, end) with a writable flag."""

    def __init__(self):
        self.starts, self.ranges = [], []

    def replace(self, ranges):
        self.ranges = sorted(ranges)
        self.starts = [r[0] for r in self.ranges]

    def set(self, start, end, writable):
        """writable None: unmapped."""
        if end <= start:
            return
        out = []
        for s, e, w in self.ranges:
            if e <= start or s >= end:
                out.append((s, e, w))
                continue
            if s < start:
                out.append((s, start, w))
            if e > end:
                out.append((end, e, w))
        if writable is not None:
            out.append((start, end, writable))
        self.replace(out)

    def writable_at(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            s, e, w = self.ranges[i]
            if s <= addr < e:
                return w
        return None

    def range_at(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and self.ranges[i][0] <= addr < self.ranges[i][1]:
            return self.ranges[i]
        return None


def main():
    log, arch, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    names = SYSCALLS["x86_64" if arch.startswith("x86_64") else "generic"]
    layout = Layout()
    pending = {}
    brk = None
    out = []
    lines = open(log, errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = ACCESS_RE.match(line)
        if m:
            addr, size = int(m.group(1), 16), int(m.group(2)) // 8
            store = m.group(3) == "store"
            if mode == "all" or any(layout.writable_at(a) for a in {addr, addr + size - 1}):
                out.append("%s 0x%016x %d" % ("W" if store else "R", addr, size))
            continue
        if line.startswith("page layout changed following"):
            i += 1  # the column header
            ranges = []
            while i < len(lines) and DUMP_RE.match(lines[i]):
                d = DUMP_RE.match(lines[i])
                ranges.append((int(d.group(1), 16), int(d.group(2), 16), d.group(4) == "w"))
                i += 1
            layout.replace(ranges)
            continue
        f = line.split()
        if len(f) == 9 and f[0] == "oracle-sys":
            pending[f[1]] = (int(f[2]), [int(a, 16) for a in f[3:]])
            continue
        if len(f) == 4 and f[0] == "oracle-ret":
            num, args = pending.pop(f[1])
            ret = int(f[3])
            name = names.get(num)
            if not name or -4096 < ret < 0:
                continue
            a = args
            if name in ("munmap", "shmdt"):
                if name == "shmdt":
                    r = layout.range_at(a[0])
                    a = [a[0], r[1] - a[0] if r else 0]
                layout.set(a[0], a[0] + page_up(a[1]), None)
            elif name in ("mprotect", "pkey_mprotect"):
                layout.set(a[0], a[0] + page_up(a[1]), bool(a[2] & PROT_WRITE))
            elif name == "mremap":
                old, old_len, new_len = a[0], page_up(a[1]), page_up(a[2])
                w = layout.writable_at(old)
                if ret == old:
                    if new_len < old_len:
                        layout.set(old + new_len, old + old_len, None)
                    else:
                        layout.set(old + old_len, old + new_len, w)
                else:
                    if old_len and not a[3] & MREMAP_DONTUNMAP:
                        layout.set(old, old + old_len, None)
                    layout.set(ret, ret + new_len, w)
            elif name == "brk":
                if brk is not None and ret < brk:
                    layout.set(page_up(ret), page_up(brk), None)
                brk = ret
            # mmap, shmat and a growing brk: QEMU dumped the new layout.
    sys.stdout.write("".join(x + "\n" for x in out))


main()
