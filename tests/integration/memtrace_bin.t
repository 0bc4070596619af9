#!/bin/sh
# memtrace format=bin (trace format v1) on every architecture:
#  - the accesses are those of the text trace of the same run, vCPU by vCPU
#    and in order (tcgtrace dump prints them as seed lines), and with
#    all=on as many as QEMU's mem plugin counts, for 1, 2 and 8 threads;
#  - each access carries its value: the 42s mem_regions stores;
#  - threads, clone, futex and thread exits, with pthread_join's word;
#  - modules at their real addresses, mapping changes that replay to the
#    writable memory memtrace knew at exit;
#  - atomic instructions as synchronisation events at the lock's address;
#  - a forked child leaves the parent's trace whole.
. tests/integration/lib.sh
plan 66

MT=$PLUGINS/libmemtrace.so
cp "$MT" "$T/libmemtrace-all.so"
cp "$MT" "$T/libmemtrace-text.so"
dump() { "$TCGTRACE" dump "$@"; }
# Seed lines, each vCPU's in its own order (a stable sort on the vCPU).
by_vcpu() { sort -s -k1,1 "$1"; }

for a in x86_64 aarch64 riscv64; do
    for n in 1 2 8; do
        run_guest "$a" -d plugin -D "$T/log" -plugin "$QEMU_PLUGINS/libmem.so,callback=true" \
            -plugin "$T/libmemtrace-all.so,format=bin,all=on,out=$T/all.tct" \
            -plugin "$T/libmemtrace-text.so,out=$T/w.txt" \
            -plugin "$MT,format=bin,out=$T/w.tct" \
            "$GUESTS/$a/regions" "$n" >/dev/null 2>"$T/err"
        want=$(sed -n 's/^mem accesses: //p' "$T/log")
        is "$(dump -k mem -f text "$T/all.tct" | wc -l | tr -d ' ')" "${want:-none}" \
            "$a, $n threads: all=on records the $want accesses QEMU's mem plugin counts"
        dump -f memtrace "$T/w.tct" >"$T/w.dump"
        by_vcpu "$T/w.dump" >"$T/got"
        by_vcpu "$T/w.txt" >"$T/want"
        same_file "$T/got" "$T/want" "$a, $n threads: the accesses of the text trace, in order"
        # Every thread starts, and all but the main one exit through exit.
        is "$(dump -k thread-start -f text "$T/w.tct" | wc -l | tr -d ' ') $(dump -k thread-exit -f text "$T/w.tct" | wc -l | tr -d ' ')" \
            "$((n + 1)) $((n + 1))" "$a, $n threads: $((n + 1)) thread starts and exits"
    done

    # Threads: each clone's child starts after it (global order), exits with
    # the clear_child_tid word pthread_join waits on (futex-wait).
    dump -k sync -f text "$T/w.tct" >"$T/sync"
    python3 - "$T/sync" <<'EOF' >"$T/threads"
import re, sys
ev = [l.split() for l in open(sys.argv[1])]
seq = lambda e: int(e[2][1:])
clones = {int(e[-1]): seq(e) for e in ev if e[3] == "clone"}
starts = {int(e[-1]): seq(e) for e in ev if e[3] == "thread-start"}
exits = {int(e[-1]): int(e[4], 16) for e in ev if e[3] == "thread-exit"}
waits = {int(e[4], 16) for e in ev if e[3] == "futex-wait"}
ok = len(clones) == 8 and all(t in starts and starts[t] > s for t, s in clones.items())
print(0 if ok else 1, "each clone comes before its child's start")
ok = all(exits.get(t) for t in clones) and waits <= {exits[t] for t in clones}
print(0 if ok else 1, "threads exit with a clear_child_tid word, the word joins wait on")
EOF
    while read -r st what; do ok "$st" "$a: $what"; done <"$T/threads"

    # Values, modules, mappings: mem_regions.
    run_guest "$a" -plugin "$MT,format=bin,out=$T/r.tct,regions=$T/regions" \
        "$GUESTS/$a/mem_regions" 2 >"$T/guest" 2>"$T/err"
    ok $? "$a: mem_regions recorded"
    dump -f text "$T/r.tct" >"$T/r.txt"
    ok $? "$a: the trace reads back whole"
    python3 - "$T/guest" "$T/r.txt" "$T/regions" <<'EOF' >"$T/checks"
import sys
guest, trace, regions = sys.argv[1:]
stores, modules, maps = set(), [], []
for l in open(trace):
    f = l.split()
    if f[1] == "mem" and f[2] == "store":
        stores.add((int(f[3], 16), int(f[8], 16)))
    elif f[1] == "module":
        s, e = f[5].split("-")
        modules.append((f[2], int(s, 16), int(e, 16)))
    elif f[1] == "map":
        s, e = f[2].split("-")
        maps.append((int(s, 16), int(e, 16), f[3]))
acc = [l.split() for l in open(guest) if l.startswith("access traced W")]
print(0 if acc and all((int(a[3], 16), 42) in stores for a in acc) else 1,
      "each of the %d stores of 42 has its value" % len(acc))
ranges = [l.split() for l in open(guest) if l.startswith("range ")]
inside = lambda lo, hi: any(s <= lo and hi <= e for _, s, e in modules)
print(0 if len(ranges) == 2 and all(inside(int(r[1], 16), int(r[2], 16)) for r in ranges) else 1,
      "the C library's and the loader's data lie in their modules")
data = [int(a[3], 16) for a in acc if a[5] == "data"]
print(0 if data and inside(data[0], data[0] + 8) and modules[0][1] <= data[0] < modules[0][2] else 1,
      "the program's data lies in the first module, the program")
# Replaying the mapping changes gives the writable pages memtrace knew.
pages = {}
for s, e, prot in maps:
    for p in range(s >> 12, e >> 12):
        pages[p] = prot[1] == "w"
want = set()
for l in open(regions):
    s, e = (int(x, 16) for x in l.split("-"))
    want |= set(range(s >> 12, e >> 12))
print(0 if {p for p, w in pages.items() if w} == want else 1,
      "the mapping changes replay to the writable memory at exit")
EOF
    while read -r st what; do ok "$st" "$a: $what"; done <"$T/checks"

    # Synchronisation: the spinlock's word is taken by atomic exchanges
    # (xchg, swpa or ldaxr/stlxr, amoswap) and released by a release store
    # (stlr on aarch64; a fence before the store on riscv64; a plain mov on
    # x86_64, which is TSO).
    g=$GUESTS/$a/race_spin_xchg
    run_guest "$a" -plugin "$MT,format=bin,out=$T/s.tct" "$g" 2 >/dev/null 2>"$T/err"
    ok $? "$a: race_spin_xchg recorded"
    bias=$(dump -k module -f text "$T/s.tct" | head -n 1 | awk '{print $5}')
    link=$(nm "$g" | awk '$3 == "lock" { print $1 }')
    lock=$(printf '0x%x' $((bias + 0x$link)))
    dump -k sync -f text "$T/s.tct" >"$T/sync"
    rmw=$(awk -v l="$lock" '$4 == "atomic-rmw" && $5 == l' "$T/sync" | wc -l | tr -d ' ')
    [ "$rmw" -ge 600 ]
    ok $? "$a: $rmw atomic read-modify-writes of the lock at $lock (2 threads x 300 locks)"
    case $a in
        aarch64) rel=$(awk -v l="$lock" '$4 == "release-store" && $5 == l' "$T/sync" | wc -l) ;;
        riscv64) rel=$(awk '$4 == "fence-release"' "$T/sync" | wc -l) ;;
        *) rel=600 ;;
    esac
    [ "$rel" -ge 600 ]
    ok $? "$a: the unlocks' releases ($(echo $rel))"
done

# A fork: the parent's trace is whole, the child says it is not recorded.
run_guest x86_64 -plugin "$MT,format=bin,out=$T/f.tct" "$GUESTS/x86_64/exec_fork" 1000 \
    >/dev/null 2>"$T/err"
ok $? "fork under format=bin"
grep -qxF "memtrace: a forked child: format=bin records the first process only" "$T/err"
ok $? "the child says it is not recorded"
dump -f text "$T/f.tct" >/dev/null
ok $? "the parent's trace reads back whole"

refused() {
    run_guest x86_64 -plugin "$MT,$1" "$GUESTS/x86_64/loop" 1 >"$T/out" 2>"$T/err"
    if [ $? -ne 0 ] && grep -qxF "$2" "$T/err"; then ok 0 "refused: $1"; else
        ok 1 "refused: $1"
        sed 's/^/#   /' "$T/err"
    fi
}
refused "format=bin" "memtrace: format=bin needs out=PATH"
refused "format=bin,out=$T/x.tct,level=99" "memtrace: bad value '99' for option 'level' (expected a zstd level from -131072 to 22)"
refused "out=$T/x.txt,level=3" "memtrace: option 'level' applies to format=bin only"
done_testing
