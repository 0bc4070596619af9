#!/bin/sh
# memtrace traces every kind of writable memory and nothing else, on every
# architecture: the guests print what they touched (globals in .data and
# .bss, heap, a 4 MiB calloc, an anonymous mmap, the main and thread
# stacks, thread-local storage, the C library's and the dynamic loader's
# data; a read-only mapping) and how they changed their map (mprotect,
# MAP_FIXED, munmap, mremap, brk, shmat/shmdt, accesses across pages),
# then their own /proc/self/maps; the trace and memtrace's region list at
# exit (regions=) must agree (tests/integration/memtrace_expect.py). Static
# and static-PIE x86_64 builds are made here: the Makefile builds guests
# dynamic only.
. tests/integration/lib.sh
VARIANTS="x86_64 x86_64-nopie aarch64 riscv64"

# expect NAME ARCH PROG ARGS...: runs PROG under memtrace, then one test per
# check memtrace_expect.py makes (their number follows from the guest's
# output, so the plan comes last).
expect() {
    _name=$1 _arch=$2
    shift 2
    run_guest "$_arch" -plugin "$PLUGINS/libmemtrace.so,out=$T/trace,regions=$T/regions" \
        "$@" >"$T/guest" 2>"$T/err"
    ok $? "$_name: runs"
    python3 tests/integration/memtrace_expect.py "$T/guest" "$T/trace" "$T/regions" >"$T/checks"
    while read -r status what; do
        case $status in
            '#'*) echo "$status $what" ;;
            *) ok "$status" "$_name: $what" ;;
        esac
    done <"$T/checks"
}

gcc -O1 -g -pthread -static -o "$T/mem_regions-static" tests/guests/mem_regions.c &&
    gcc -O1 -g -pthread -static-pie -o "$T/mem_regions-static-pie" tests/guests/mem_regions.c
built_static=$?

for a in $VARIANTS; do
    for n in 2 8; do
        expect "$a mem_regions $n" "$a" "$GUESTS/$a/mem_regions" "$n"
    done
    expect "$a mem_ops" "$a" "$GUESTS/$a/mem_ops"
done
ok $built_static "x86_64 static and static-PIE builds"
for v in static static-pie; do
    expect "x86_64 mem_regions $v" x86_64 "$T/mem_regions-$v" 2
done
plan $_n
done_testing
