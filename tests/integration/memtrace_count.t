#!/bin/sh
# memtrace loses nothing. In one QEMU run per guest and thread count (the
# regions guest with 1, 2 and 8 threads; mem_ops, which changes its map in
# every way memtrace follows), four
# plugins watch the same accesses: QEMU's own mem plugin (count and every
# access), a test plugin logging system calls, memtrace with all=on, and
# memtrace filtering to writable memory. Then, exactly:
#  - all=on records as many accesses as QEMU's mem plugin counts, and the
#    same ones (address, size, read/write);
#  - the filtered trace holds exactly the accesses that touched a page
#    writable at that moment according to QEMU's own page-layout dumps and
#    the logged system calls (tests/integration/memtrace_oracle.py);
#  - the counts memtrace prints at exit are the lines it wrote.
. tests/integration/lib.sh
VARIANTS="x86_64 x86_64-nopie aarch64 riscv64"
plan 64

MT=$PLUGINS/libmemtrace.so
# A copy under another name loads as a second, independent instance.
cp "$MT" "$T/libmemtrace-all.so"
cc -shared -fPIC -O1 $(pkg-config --cflags glib-2.0) -I"$QEMU_DIR/include" \
    -o "$T/syscalls.so" tests/integration/memtrace_syscalls.c || exit 1

accesses() { sed 's/^T[0-9]* //' "$1" | sort; }

check() { # check ARCH GUEST ARGS...: one run, four checks
    a=$1 g=$2
    shift 2
    what="$a, $g $*"
    run_guest "$a" -d plugin,page -D "$T/log" \
        -plugin "$QEMU_PLUGINS/libmem.so,callback=true,print-accesses=true" \
        -plugin "$T/syscalls.so" \
        -plugin "$T/libmemtrace-all.so,all=on,out=$T/all" \
        -plugin "$MT,out=$T/w" \
        "$GUESTS/$a/$g" "$@" >/dev/null 2>"$T/err"
    want=$(sed -n 's/^mem accesses: //p' "$T/log")
    is "$(wc -l <"$T/all" | tr -d ' ')" "${want:-none}" \
        "$what: all=on records the $want accesses QEMU's mem plugin counts"
    python3 tests/integration/memtrace_oracle.py "$T/log" "$a" all | sort >"$T/want-all"
    accesses "$T/all" >"$T/got-all"
    same_file "$T/got-all" "$T/want-all" "$what: all=on records the same accesses"
    python3 tests/integration/memtrace_oracle.py "$T/log" "$a" writable | sort >"$T/want-w"
    accesses "$T/w" >"$T/got-w"
    same_file "$T/got-w" "$T/want-w" \
        "$what: filtered, exactly the $(wc -l <"$T/want-w" | tr -d ' ') accesses to writable pages"
    is "$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err" | sort -n | tr '\n' ' ')" \
        "$(printf '%s\n' "$(wc -l <"$T/w")" "$(wc -l <"$T/all")" | tr -d ' ' | sort -n | tr '\n' ' ')" \
        "$what: the counts printed at exit"
}

for a in $VARIANTS; do
    for n in 1 2 8; do
        check "$a" regions "$n"
    done
    check "$a" mem_ops
done
done_testing
