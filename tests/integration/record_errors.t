#!/bin/sh
# tcgtrace record's errors: each one line naming the problem (a usage error
# adds the --help hint), a non-zero status, QEMU never started and no
# output left behind. Needs no plugin: all are found before QEMU runs.
. tests/integration/lib.sh
plan 82

# err NAME STATUS MESSAGE ARGS...: runs `tcgtrace record ARGS`, checks the
# status, that the first line of stderr is "tcgtrace record: MESSAGE", and
# that a status-1 error is that line alone.
err() {
    _name=$1 _want_status=$2 _want_msg=$3
    shift 3
    "$TCGTRACE" record "$@" >"$T/out" 2>"$T/err"
    is $? "$_want_status" "$_name: status $_want_status"
    is "$(head -n 1 "$T/err")" "tcgtrace record: $_want_msg" "$_name: message"
    if [ "$_want_status" = 1 ]; then
        is "$(wc -l <"$T/err")" 1 "$_name: one line"
    else
        is "$(sed -n 2p "$T/err")" "try 'tcgtrace record --help' for more information" "$_name: then the --help hint"
    fi
}

# Not an ELF file: data, a script, a directory, missing, not in PATH.
printf 'hello, world\n' >"$T/notelf"
chmod +x "$T/notelf"
err "not an ELF file" 1 "'$T/notelf' is not an ELF file" -- "$T/notelf"
printf '#!/bin/sh\necho hi\n' >"$T/script.sh"
chmod +x "$T/script.sh"
err "a script" 1 "'$T/script.sh' is a script, not an ELF file: record its interpreter (tcgtrace record -- /bin/sh $T/script.sh)" -- "$T/script.sh"
err "a directory" 1 "cannot run '$T': Is a directory" -- "$T"
err "no such program" 1 "cannot run '$T/nothing': No such file or directory" -- "$T/nothing"
PATH=$T:/usr/bin:/bin err "not in PATH" 1 "cannot run 'tcgtrace-no-such-program': not found in PATH" -- tcgtrace-no-such-program

# Unsupported architecture: the loop guest with its e_machine (2 bytes at
# offset 18, little-endian) changed.
set_machine() { # set_machine FILE LOW HIGH (octal bytes)
    cp "$GUESTS/x86_64/loop" "$1"
    printf "\\$2\\$3" | dd of="$1" bs=1 seek=18 conv=notrunc 2>/dev/null
}
set_machine "$T/armprog" 050 000
err "32-bit arm ELF" 1 "'$T/armprog' is a program for an unsupported architecture: arm (tcgtrace runs x86_64, aarch64 and riscv64)" -- "$T/armprog"
set_machine "$T/oddprog" 064 022
err "unknown machine" 1 "'$T/oddprog' is a program for an unsupported architecture: machine 4660 (tcgtrace runs x86_64, aarch64 and riscv64)" -- "$T/oddprog"

# No QEMU found: an explicit one, and for each architecture neither in the
# cache nor in PATH (the name shows which qemu-ARCH the ELF header chose).
err "--qemu missing" 1 "cannot run QEMU '/nonexistent/qemu': No such file or directory" --qemu /nonexistent/qemu -- "$GUESTS/x86_64/loop"
printf '#!/bin/sh\nPATH=/nonexistent exec "%s" "$@"\n' "$PWD/$TCGTRACE" >"$T/tcgtrace-nopath"
chmod +x "$T/tcgtrace-nopath"
tcgtrace=$TCGTRACE
TCGTRACE=$T/tcgtrace-nopath
for arch in $ARCHS; do
    TCGTRACE_QEMU_DIR=/nonexistent err "$arch: no QEMU in the cache or PATH" 1 \
        "no QEMU found: cannot run '/nonexistent/bin/qemu-$arch': No such file or directory, and no qemu-$arch in PATH (run 'make qemu' or pass --qemu PATH)" \
        -- "$GUESTS/$arch/loop"
done
TCGTRACE=$tcgtrace

# Missing sysroot: not there, not a directory, or without the loader.
for arch in aarch64 riscv64; do
    err "$arch: --sysroot missing" 1 "cannot use sysroot '/nonexistent': No such file or directory" --sysroot /nonexistent -- "$GUESTS/$arch/loop"
done
loader=$(readelf -l "$GUESTS/riscv64/loop" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
err "riscv64: sysroot without the loader" 1 "'$GUESTS/riscv64/loop' needs the dynamic loader '$loader', which is not in sysroot '$T' (pass --sysroot DIR)" --sysroot "$T" -- "$GUESTS/riscv64/loop"
err "--sysroot a file" 1 "cannot use sysroot '$T/notelf': Not a directory" --sysroot "$T/notelf" -- "$GUESTS/aarch64/loop"

# Unwritable output, refused before QEMU starts.
err "output in a missing directory" 1 "cannot write '$T/nodir/x.tct': No such file or directory" -o "$T/nodir/x.tct" -- "$GUESTS/x86_64/loop"
err "output a directory" 1 "cannot write '$T': Is a directory" -o "$T" -- "$GUESTS/x86_64/loop"
# Nothing left behind by the check, and an existing trace not truncated,
# when a later error stops the run.
"$TCGTRACE" record -o "$T/new.tct" --qemu /nonexistent -- "$GUESTS/x86_64/loop" 2>/dev/null
[ ! -e "$T/new.tct" ]
ok $? "a failed run leaves no output behind"
echo keep >"$T/old.tct"
"$TCGTRACE" record -o "$T/old.tct" --qemu /nonexistent -- "$GUESTS/x86_64/loop" 2>/dev/null
is "$(cat "$T/old.tct")" keep "a failed run leaves an existing output untouched"

# Bad options.
err "unknown option" 2 "unknown option '--bogus'" --bogus -- "$GUESTS/x86_64/loop"
err "option without its value" 2 "option '--output' needs a value" --output
err "option of the other tool" 2 "--reg does not apply to --tool=mem" --reg=pc -- "$GUESTS/x86_64/loop"
err "unknown tool" 2 "unknown tool 'cache' (mem or exec)" --tool=cache -- "$GUESTS/x86_64/loop"
err "unknown format" 2 "unknown format 'json' (bin or text)" --format=json -- "$GUESTS/x86_64/loop"
err "bad level" 2 "--level needs a number, not 'max'" --level=max -- "$GUESTS/x86_64/loop"
err "bad address filter" 2 "--afilter needs a hexadecimal address, not '0xfoo'" --tool=exec --afilter=0xfoo -- "$GUESTS/x86_64/loop"
err "nothing to record" 2 "--no-read and --no-write leave nothing to record" --no-read --no-write -- "$GUESTS/x86_64/loop"
err "no program" 2 "no program to run" --tool=exec

# Not an error: --help, on stdout.
"$TCGTRACE" record --help >"$T/out" 2>"$T/err"
is $? 0 "--help: status 0"
is "$(head -n 1 "$T/out")/$(wc -c <"$T/err")" "usage: tcgtrace record [OPTIONS] [--] PROG [ARGS]/0" "  ... the usage on stdout, nothing on stderr"
done_testing
