#!/usr/bin/env python3
"""Checks a memtrace text trace against what a mem_* guest says it did.

Usage: memtrace_expect.py GUEST_OUTPUT TRACE [REGIONS]
The guest prints
  access traced|untraced R|W 0x<address> <size> <what>
  range 0x<start> 0x<end> <what>
  maps 0x<start> 0x<end>
and for each access and range line this prints `<0 if it holds, else 1>
<description>`: a traced access appears in the trace (any vCPU), an
untraced one has no line at its address at all, a range has at least one
traced access with a byte inside it. With REGIONS (memtrace's regions=
file), one more line says whether the writable memory memtrace knew at exit
is the union of the guest's `maps` lines (its /proc/self/maps at exit)."""
import sys


def main():
    guest, trace = sys.argv[1], sys.argv[2]
    seen = set()
    addrs = {}
    for line in open(trace):
        f = line.split()
        if len(f) == 4:
            seen.add((f[1], int(f[2], 16), int(f[3])))
            a = int(f[2], 16)
            addrs[a] = max(addrs.get(a, 0), int(f[3]))
    starts = sorted(addrs)
    maps = []
    for line in open(guest):
        f = line.split()
        if len(f) == 6 and f[0] == "access":
            kind, addr, size = f[2], int(f[3], 16), int(f[4])
            if f[1] == "traced":
                good = (kind, addr, size) in seen
            else:
                good = addr not in addrs
            print(0 if good else 1, "%s %s %s %s" % (f[5], f[1], kind, f[3]))
        elif len(f) == 4 and f[0] == "range":
            lo, hi = int(f[1], 16), int(f[2], 16)
            good = any(a < hi and a + addrs[a] > lo for a in starts)
            print(0 if good else 1, "%s traced (%s-%s)" % (f[3], f[1], f[2]))
        elif len(f) == 3 and f[0] == "maps":
            maps.append((int(f[1], 16), int(f[2], 16)))
    if len(sys.argv) > 3:
        ours = []
        for line in open(sys.argv[3]):
            s, e = line.split("-")
            ours.append((int(s, 16), int(e, 16)))
        want, got = merged(maps), merged(ours)
        print(0 if want == got else 1, "writable memory at exit as in /proc/self/maps")
        if want != got:
            for s, e in sorted(set(want) ^ set(got)):
                print("#  %s %016x-%016x" % ("only memtrace" if (s, e) in got else "only maps", s, e))


def merged(ranges):
    out = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


main()
