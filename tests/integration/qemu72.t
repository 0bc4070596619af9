#!/bin/sh
# The plugins built against QEMU 7.2's header (build/plugins-v1, plugin API
# v1) under Debian 12's own QEMU 7.2 (qemu-user, qemu-system-misc):
#  - execlog gives what the QEMU 10.0 build gives under QEMU 10.0, once the
#    differences QEMU 7.2 is expected to make are undone
#    (tests/integration/qemu72_norm.pl lists them): the program's own code
#    of a static loop on three architectures (the C library's start-up
#    differs between the QEMUs: auxiliary vector, CPU features), and the
#    bare-metal riscv64 guest under qemu-system-riscv64;
#  - execlog refuses reg= and rdisas=on in one line; format=bin traces
#    dump as the text lines, without memory values;
#  - memtrace traces exactly what an independent oracle says (every access
#    from a test plugin, QEMU's page-layout dumps, the system calls), and
#    the guests' own checks (memtrace_expect.py) hold;
#  - memtrace format=bin begins every thread, with its tid;
#  - tcgtrace record picks the build from QEMU's version, and finds a QEMU
#    in PATH when none was built.
. tests/integration/lib.sh

D=/usr/bin
P1=$B/plugins-v1
V1_INCLUDE=${TCGTRACE_QEMU_V1_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcgtrace/qemu-7.2-header}/include
if ! "$D/qemu-x86_64" --version 2>/dev/null | grep -q ' version 7\.2\.'; then
    echo "1..0 # SKIP Debian 12's qemu-user 7.2 is not installed (scripts/install-deps.sh installs it)"
    exit 0
fi

# run72 ARCH ARGS...: run_guest under QEMU 7.2.
run72() {
    _bin=$QEMU_BIN
    QEMU_BIN=$D
    run_guest "$@"
    _rc=$?
    QEMU_BIN=$_bin
    return $_rc
}

# --- execlog: the same lines as the QEMU 10.0 build, expected differences undone

for a in $ARCHS; do
    case $a in
        aarch64 | riscv64) cc=$a-linux-gnu-gcc nm=$a-linux-gnu-nm ;;
        *) cc=gcc nm=nm ;;
    esac
    $cc -O1 -g -static -o "$T/loop-$a" tests/guests/loop.c || exit 1
    run72 "$a" -plugin "$P1/libexeclog.so,out=$T/v1.log" "$T/loop-$a" 100 >/dev/null &&
        run_guest "$a" -plugin "$PLUGINS/libexeclog.so,out=$T/v4.log" "$T/loop-$a" 100 >/dev/null
    ok $? "$a: static loop under QEMU 7.2 and 10.0"
    # The lines of main and kernel only.
    ranges=$($nm -S "$T/loop-$a" | awk '$4 == "main" || $4 == "kernel" { printf "%s:%s ", $1, $2 }')
    for v in v1 v4; do
        perl -ne 'BEGIN { @r = map { [split /:/] } split " ", shift } ($pc) = /^\d+, 0x([0-9a-f]+),/;
            print if grep { hex($pc) >= hex($_->[0]) && hex($pc) < hex($_->[0]) + hex($_->[1]) } @r' \
            "$ranges" "$T/$v.log" >"$T/$v.own"
    done
    perl tests/integration/qemu72_norm.pl --v1 --stack <"$T/v1.own" >"$T/v1.norm"
    perl tests/integration/qemu72_norm.pl --stack <"$T/v4.own" >"$T/v4.norm"
    [ -s "$T/v4.norm" ]
    ok $? "$a: main and kernel traced"
    same_file "$T/v1.norm" "$T/v4.norm" "$a: main and kernel, the same lines as QEMU 10.0's"
    case $a in
        aarch64) grep -q '"stp x29, x30, \[sp, #-0x[0-9a-f]*\]!", store, 0x[0-9a-f]*, store, 0x' "$T/v1.own"
            ok $? "aarch64: an stp makes two stores under QEMU 7.2 (expected difference)" ;;
        riscv64) grep -q '^0, 0x[0-9a-f]*, 0x[0-9a-f]*, "[0-9a-f]\{4,8\}  *[a-z]' "$T/v1.own"
            ok $? "riscv64: disassembly starts with the instruction's bytes under QEMU 7.2 (expected difference)" ;;
    esac
done

K=$GUESTS/riscv64-virt/uart.elf
system() { # system QEMU PLUGIN LOG
    timeout 60 "$1" -M virt -bios none -nographic -monitor none -serial none -kernel "$K" \
        -plugin "$2,out=$3" >/dev/null 2>"$T/err"
}
if [ -x "$D/qemu-system-riscv64" ]; then
    system "$D/qemu-system-riscv64" "$P1/libexeclog.so" "$T/s1.log" &&
        system "$QEMU_BIN/qemu-system-riscv64" "$PLUGINS/libexeclog.so" "$T/s4.log"
    ok $? "riscv64 bare metal under qemu-system-riscv64 7.2 and 10.0"
    # QEMU 7.2 exits inside the power-off store, before its access is
    # reported; QEMU 10.0 reports it and spins on until it shuts down.
    perl tests/integration/qemu72_norm.pl --v1 <"$T/s1.log" >"$T/s1.norm"
    sed -n '1,/riscv.sifive.test$/p' "$T/s4.log" | sed 's/, store, 0x00100000, riscv.sifive.test$//' |
        perl tests/integration/qemu72_norm.pl >"$T/s4.norm"
    same_file "$T/s1.norm" "$T/s4.norm" "riscv64 bare metal: the same lines as QEMU 10.0's ($(wc -l <"$T/s1.norm") lines)"
else
    ok 0 "# SKIP no qemu-system-riscv64 7.2 (qemu-system-misc)"
    ok 0 "# SKIP no qemu-system-riscv64 7.2 (qemu-system-misc)"
fi

# --- execlog: refusals, format=bin

for o in reg=pc rdisas=on; do
    run72 aarch64 -plugin "$P1/libexeclog.so,$o,out=$T/r.log" "$GUESTS/aarch64/loop" >/dev/null 2>"$T/err"
    is "$?:$(head -n 1 "$T/err")" \
        "1:execlog: ${o%pc} needs QEMU 9.0 or newer (this QEMU has plugin API v1: QEMU 8.2 or older)" \
        "execlog $o refused in one line"
done

cp "$P1/libexeclog.so" "$T/libexeclog-bin.so"
run72 riscv64 -plugin "$P1/libexeclog.so,out=$T/text.log" \
    -plugin "$T/libexeclog-bin.so,format=bin,out=$T/b.tct" "$GUESTS/riscv64/loop" >/dev/null
ok $? "execlog text and format=bin in one QEMU 7.2 run"
"$TCGTRACE" dump "$T/b.tct" >"$T/dump.log"
same_file "$T/dump.log" "$T/text.log" "execlog format=bin dumps as the text lines"
is "$("$TCGTRACE" dump --json -k mem "$T/b.tct" | grep -c '"value"')" 0 "execlog format=bin: no memory values"

# --- memtrace: the oracle, the guests' own checks

cc -shared -fPIC -O1 $(pkg-config --cflags glib-2.0) -I"$V1_INCLUDE" -o "$T/accesses.so" \
    tests/integration/memtrace_accesses.c &&
    cc -shared -fPIC -O1 $(pkg-config --cflags glib-2.0) -I"$V1_INCLUDE" -o "$T/syscalls.so" \
        tests/integration/memtrace_syscalls.c
ok $? "test plugins built against QEMU 7.2's header"
cp "$P1/libmemtrace.so" "$T/libmemtrace-all.so"
accesses() { sed 's/^T[0-9]* //' "$1" | sort; }
for a in $ARCHS; do
    # QEMU 7.2 dumps no page layout after shmat, which the oracle needs:
    # the regions guest (single-threaded: the test plugin counts without
    # atomics) has no shmat.
    run72 "$a" -d plugin,page -D "$T/log" -plugin "$T/accesses.so" -plugin "$T/syscalls.so" \
        -plugin "$T/libmemtrace-all.so,all=on,out=$T/all" -plugin "$P1/libmemtrace.so,out=$T/w" \
        "$GUESTS/$a/regions" 1 >/dev/null 2>"$T/err"
    want=$(sed -n 's/^mem accesses: //p' "$T/log")
    is "$(wc -l <"$T/all" | tr -d ' ')" "${want:-none}" "$a: all=on records the $want accesses there are"
    python3 tests/integration/memtrace_oracle.py "$T/log" "$a" all | sort >"$T/want-all"
    accesses "$T/all" >"$T/got-all"
    same_file "$T/got-all" "$T/want-all" "$a: all=on records the same accesses"
    python3 tests/integration/memtrace_oracle.py "$T/log" "$a" writable | sort >"$T/want-w"
    accesses "$T/w" >"$T/got-w"
    same_file "$T/got-w" "$T/want-w" "$a: filtered, exactly the $(wc -l <"$T/want-w" | tr -d ' ') accesses to writable pages"
    is "$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err" | sort -n | tr '\n' ' ')" \
        "$(printf '%s\n' "$(wc -l <"$T/w")" "$(wc -l <"$T/all")" | tr -d ' ' | sort -n | tr '\n' ' ')" \
        "$a: the counts printed at exit"

    for g in "mem_regions 2" mem_ops; do
        run72 "$a" -plugin "$P1/libmemtrace.so,out=$T/trace,regions=$T/regions" $GUESTS/$a/$g \
            >"$T/guest" 2>"$T/err"
        ok $? "$a $g: runs"
        python3 tests/integration/memtrace_expect.py "$T/guest" "$T/trace" "$T/regions" >"$T/checks"
        while read -r status what; do
            case $status in
                '#'*) echo "$status $what" ;;
                *) ok "$status" "$a $g: $what" ;;
            esac
        done <"$T/checks"
    done
done

# --- tcgtrace record: the build from QEMU's version; a QEMU from PATH

"$TCGTRACE" record -q --qemu "$D/qemu-aarch64" -o "$T/m.tct" -- "$GUESTS/aarch64/regions" 2 >/dev/null 2>"$T/err"
ok $? "record --qemu $D/qemu-aarch64 (memtrace, binary)"
starts=$("$TCGTRACE" dump -k thread-start "$T/m.tct" | grep -c ' tid [1-9]')
is "$starts" 3 "memtrace format=bin under QEMU 7.2: every thread begins, with its tid"
is "$("$TCGTRACE" dump --json -k mem "$T/m.tct" | grep -c '"value"')" 0 "memtrace format=bin: no memory values"

run72 x86_64 -plugin "$PLUGINS/libexeclog.so,out=$T/x.log" "$GUESTS/x86_64/loop" >/dev/null 2>&1
ok $((! $?)) "QEMU 7.2 does not load the QEMU 10.0 build"
"$TCGTRACE" record -q --qemu "$D/qemu-x86_64" --tool=exec --format=text -o "$T/x.log" \
    -- "$GUESTS/x86_64/loop" >/dev/null 2>"$T/err"
is "$?:$(grep -c '^0, 0x' "$T/x.log")" "0:$(wc -l <"$T/x.log" | tr -d ' ')" \
    "record --qemu $D/qemu-x86_64 picks the QEMU 7.2 build"
mkdir "$T/bin"
ln -s "$D/qemu-riscv64" "$T/bin/qemu-riscv64"
PATH=$T/bin:$PATH TCGTRACE_QEMU_DIR=/nonexistent "$TCGTRACE" record -q --tool=exec --format=text \
    -o "$T/p.log" -- "$GUESTS/riscv64/loop" >/dev/null 2>"$T/err"
is "$?:$(head -c 3 "$T/p.log")" "0:0, " "no QEMU built: qemu-riscv64 from PATH, QEMU 7.2's build"
printf '#!/bin/sh\necho "qemu-x86_64 version 9.1.2"\n' >"$T/qemu91"
chmod +x "$T/qemu91"
"$TCGTRACE" record -q --qemu "$T/qemu91" -o "$T/n.tct" -- "$GUESTS/x86_64/loop" 2>"$T/err"
is "$?:$(cat "$T/err")" \
    "1:tcgtrace record: QEMU '$T/qemu91' is version 9.1: tcgtrace's plugins are built for QEMU 8.2 or older and 9.2 or newer (plugin API v1 and v4)" \
    "QEMU 9.1: no plugin build, one line"

# No such program: QEMU 7.2 ends with _exit (its message unflushed), so no
# exit handler runs; an existing out= is left as it was (the plugins empty
# it only when the guest starts), and a new one, unnamed until then
# (O_TMPFILE), goes with the process.
for spec in "libmemtrace.so,format=bin" "libmemtrace.so,format=text" "libexeclog.so,format=bin" \
    "libexeclog.so,format=text"; do
    echo keep >"$T/old.out"
    run72 x86_64 -plugin "$P1/$spec,out=$T/old.out" "$T/nosuchprog" >/dev/null 2>&1
    is "$?:$(cat "$T/old.out")" "1:keep" "$spec, no such program: an existing out= is left as it was"
    rm -f "$T/new.out"
    run72 x86_64 -plugin "$P1/$spec,out=$T/new.out" "$T/nosuchprog" >/dev/null 2>&1
    [ ! -e "$T/new.out" ]
    ok $? "$spec, no such program: no new out= left behind"
done

plan $_n
done_testing
