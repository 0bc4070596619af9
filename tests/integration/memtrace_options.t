#!/bin/sh
# memtrace's options: parsed strictly (QEMU refuses the plugin, and the
# message names the culprit), noread and nowrite (and QEMU's rewriting of a
# bare `noread` into `read=off`), the seed's line format and default
# output, the count at exit and output it could not write.
. tests/integration/lib.sh
plan 36

MT=$PLUGINS/libmemtrace.so
G=$GUESTS/x86_64/mem_ops

# refused OPTIONS MESSAGE: QEMU does not start the guest, memtrace says why.
refused() {
    run_guest x86_64 -plugin "$MT,$1" "$G" >"$T/out" 2>"$T/err"
    if [ $? -ne 0 ] && [ ! -s "$T/out" ] && grep -qxF "$2" "$T/err"; then
        ok 0 "refused: $1"
    else
        ok 1 "refused: $1"
        sed 's/^/#   /' "$T/err"
    fi
}

refused "bogus=1" "memtrace: unknown option 'bogus=1' (known: out, format, noread, nowrite, all, level, regions, quiet, heap, calls)"
refused "noread=maybe" "memtrace: bad value 'maybe' for option 'noread' (expected on or off)"
refused "all=2" "memtrace: bad value '2' for option 'all' (expected on or off)"
refused "format=xml" "memtrace: bad value 'xml' for option 'format' (expected text or bin)"
refused "out=" "memtrace: option 'out' needs a path: out=PATH"
refused "out=$T/no/such/dir/trace" "memtrace: cannot open '$T/no/such/dir/trace': No such file or directory"
refused "regions=$T/no/such/dir/r" "memtrace: cannot open '$T/no/such/dir/r': No such file or directory"
refused "elf=$G" "memtrace: option 'elf' is not needed: the program's writable segments are read from guest memory"
refused "noread=on,nowrite=on" "memtrace: noread and nowrite together leave nothing to trace"
# `file=` is QEMU's key for the plugin's path: written directly, QEMU takes
# it (and fails to load the trace file as a plugin); through the old arg=
# form it reaches memtrace, which says what to use instead.
refused "arg=file=$T/trace" "memtrace: 'file' is QEMU's own -plugin key (the plugin's path): use out=PATH for the trace"
run_guest x86_64 -plugin "$MT,file=$T/trace" "$G" >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && grep -q "Could not load plugin $T/trace" "$T/err"
ok $? "file=PATH directly: QEMU itself refuses it"

"$QEMU_BIN/qemu-system-riscv64" -M virt -bios none -nographic -monitor none -serial stdio \
    -kernel "$GUESTS/riscv64-virt/uart.elf" -plugin "$MT" >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && grep -qxF "memtrace: system emulation is not supported: run under qemu-ARCH" "$T/err"
ok $? "refused under qemu-system"

# Default output: standard error, seed lines, then the count.
run_guest aarch64 -plugin "$MT" "$GUESTS/aarch64/mem_ops" >"$T/out" 2>"$T/err"
ok $? "no options: the guest runs"
grep '^T' "$T/err" >"$T/lines"
n=$(wc -l <"$T/lines" | tr -d ' ')
[ "$n" -gt 1000 ] && ! grep -vqE '^T[0-9]+ [RW] 0x[0-9a-f]{16} (1|2|4|8|16)$' "$T/lines"
ok $? "no options: $n seed lines on standard error, T<vcpu> R|W 0x<16 hex digits> <size>"
is "$(grep -v '^T' "$T/err")" "memtrace: $n memory accesses traced" "no options: then the count, nothing else"
run_guest aarch64 -plugin "$MT,quiet=on" "$GUESTS/aarch64/mem_ops" >"$T/out" 2>"$T/err"
is "$(grep -c '^T' "$T/err"):$(grep -vc '^T' "$T/err")" "$n:0" "quiet=on: the same lines, no count"
refused "quiet=maybe" "memtrace: bad value 'maybe' for option 'quiet' (expected on or off)"
refused "format=bin,out=$T/h.tct,heap=maybe" "memtrace: bad value 'maybe' for option 'heap' (expected on or off)"
refused "heap=off" "memtrace: option 'heap' applies to format=bin only"
refused "format=bin,out=$T/c.tct,calls=maybe" "memtrace: bad value 'maybe' for option 'calls' (expected on or off)"
refused "calls=off" "memtrace: option 'calls' applies to format=bin only"
# calls: arm64's call records by default (docs/format.md, "Call"), none
# with calls=off.
for c in "" ",calls=off"; do
    run_guest aarch64 -plugin "$MT,format=bin,quiet=on,out=$T/c.tct$c" "$GUESTS/aarch64/mem_ops" >/dev/null 2>&1
    n=$("$TCGTRACE" dump --kind call "$T/c.tct" | wc -l)
    counted=$("$TCGTRACE" stats --json "$T/c.tct" | python3 -c 'import json, sys; print(json.load(sys.stdin)["totals"]["calls"])')
    is "$([ "$n" -gt 0 ] && echo some || echo none):$counted" "$([ -z "$c" ] && echo some || echo none):$n" \
        "aarch64${c:- (default)}: $n call records, counted alike by stats"
done

# noread, nowrite: one run, four instances (copies load independently).
for i in 1 2 3; do cp "$MT" "$T/libmemtrace$i.so"; done
for a in x86_64 aarch64; do
    run_guest "$a" -plugin "$MT,out=$T/rw" -plugin "$T/libmemtrace1.so,noread=on,out=$T/w" \
        -plugin "$T/libmemtrace2.so,nowrite,out=$T/r" -plugin "$T/libmemtrace3.so,nowrite=on,out=$T/r2" \
        "$GUESTS/$a/mem_ops" >/dev/null 2>"$T/err"
    ok $? "$a: four instances with different options"
    grep ' W ' "$T/rw" >"$T/want-w"
    grep ' R ' "$T/rw" >"$T/want-r"
    [ -s "$T/want-w" ] && [ -s "$T/want-r" ]
    ok $? "$a: reads and writes by default"
    same_file "$T/w" "$T/want-w" "$a: noread=on traces exactly the writes"
    same_file "$T/r" "$T/want-r" "$a: a bare nowrite (QEMU passes write=off) traces exactly the reads"
    same_file "$T/r2" "$T/want-r" "$a: nowrite=on likewise"
done
grep -q "short-form boolean option 'nowrite' deprecated" "$T/err"
ok $? "a bare nowrite works, with QEMU's own deprecation warning"

# Output that cannot be written is counted and reported, not silent.
run_guest x86_64 -plugin "$MT,out=/dev/full" "$G" >/dev/null 2>"$T/err"
ok $? "out=/dev/full: the guest still runs"
n=$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err")
grep -qx "memtrace: cannot write '/dev/full': No space left on device: $n lines lost" "$T/err"
ok $? "out=/dev/full: the loss is reported, a line per access traced ($n)"
done_testing
