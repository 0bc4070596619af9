#!/bin/sh
# The QEMU command line tcgtrace record builds: qemu-ARCH from the ELF
# header, -L for a dynamically linked foreign program, -0 with the name the
# user typed, the plugin with its options mapped from long options (commas
# in values doubled, as QEMU wants), then the program and its arguments
# untouched. A stand-in QEMU (--qemu) writes down its arguments.
. tests/integration/lib.sh
plan 8

skip() { # skip COUNT REASON
    _i=0
    while [ $_i -lt "$1" ]; do
        _n=$((_n + 1))
        echo "ok $_n # SKIP $2"
        _i=$((_i + 1))
    done
}

cat >"$T/qemu" <<EOF
#!/bin/sh
for a; do printf '%s\n' "\$a"; done >"$T/argv"
EOF
chmod +x "$T/qemu"
plugins=$(cd "$PLUGINS" 2>/dev/null && pwd -P)
lines() { printf '%s\n' "$@"; }
top=$PWD

if [ -f "$PLUGINS/libexeclog.so" ]; then
    "$TCGTRACE" record --qemu "$T/qemu" --tool=exec --format=text -o "$T/a,b.log" --reg='x*' --reg=pc --rdisas \
        --ifilter=ld --ifilter='b,c' --afilter=4000 --afilter=0xfff0 -- "$GUESTS/aarch64/loop" 1 '2 3' -x
    is $? 0 "aarch64, every exec option: the stand-in QEMU's status"
    lines -L /usr/aarch64-linux-gnu -0 "$GUESTS/aarch64/loop" -plugin \
        "$plugins/libexeclog.so,out=$T/a,,b.log,format=text,reg=x*,reg=pc,rdisas=on,ifilter=ld,ifilter=b,,c,afilter=4000,afilter=0xfff0" \
        "$GUESTS/aarch64/loop" 1 '2 3' -x >"$T/want"
    same_file "$T/argv" "$T/want" "  ... its command line"

    "$TCGTRACE" record --qemu "$T/qemu" --tool=exec -o "$T/x.tct" --level=9 -- "$GUESTS/x86_64/loop"
    lines -0 "$GUESTS/x86_64/loop" -plugin "$plugins/libexeclog.so,out=$T/x.tct,format=bin,level=9" \
        "$GUESTS/x86_64/loop" >"$T/want"
    same_file "$T/argv" "$T/want" "x86_64 (native): no -L; binary format by default"

    "$TCGTRACE" record --qemu "$T/qemu" --tool=exec --sysroot "$T" -o "$T/x.tct" -- "$GUESTS/x86_64/loop"
    lines -L "$T" -0 "$GUESTS/x86_64/loop" -plugin "$plugins/libexeclog.so,out=$T/x.tct,format=bin" \
        "$GUESTS/x86_64/loop" >"$T/want"
    same_file "$T/argv" "$T/want" "x86_64 with --sysroot: -L"

    # Found in PATH: QEMU gets the path, the guest its name as typed. A
    # relative output becomes absolute.
    (cd "$T" && PATH="$top/$GUESTS/riscv64:$PATH" "$top/$TCGTRACE" record --qemu "$T/qemu" --tool=exec -o rel.tct -- rec_exit 4)
    lines -L /usr/riscv64-linux-gnu -0 rec_exit -plugin "$plugins/libexeclog.so,out=$T/rel.tct,format=bin" \
        "$top/$GUESTS/riscv64/rec_exit" 4 >"$T/want"
    same_file "$T/argv" "$T/want" "riscv64 found in PATH, relative output"
    [ ! -e "$T/rel.tct" ]
    ok $? "  ... the output check left no file behind"
else
    skip 6 "no execlog plugin yet"
fi

if [ -f "$PLUGINS/libmemtrace.so" ]; then
    (cd "$T" && "$top/$TCGTRACE" record --qemu "$T/qemu" --no-read --all-memory -- "$top/$GUESTS/riscv64/loop")
    lines -L /usr/riscv64-linux-gnu -0 "$top/$GUESTS/riscv64/loop" -plugin \
        "$plugins/libmemtrace.so,out=$T/tcgtrace.tct,format=bin,quiet=on,noread=on,all=on" "$top/$GUESTS/riscv64/loop" >"$T/want"
    same_file "$T/argv" "$T/want" "the memory tool by default, its options, tcgtrace.tct by default"
    "$TCGTRACE" record --qemu "$T/qemu" --tool=mem --no-write -o "$T/m.tct" -- "$GUESTS/aarch64/loop"
    grep -q "^$plugins/libmemtrace.so,out=$T/m.tct,format=bin,quiet=on,nowrite=on\$" "$T/argv"
    ok $? "--no-write"
else
    skip 2 "no memtrace plugin yet"
fi
done_testing
