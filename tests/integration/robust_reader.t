#!/bin/sh
# What the commands that read traces open besides the trace must not make
# them wait forever: a trace that is a FIFO, and a FIFO where a module of
# the trace should be (--sysroot). Known gaps are TODO items
# (docs/robustness.md).
. tests/integration/lib.sh
. tests/integration/robust_lib.sh

mkfifo "$T/fifo.tct"
for c in dump stats; do
    timeout 20 "$TCGTRACE" "$c" "$T/fifo.tct" >/dev/null 2>"$T/err"
    is "$?:$(cat "$T/err")" "1:tcgtrace $c: cannot read '$T/fifo.tct': not a regular file" "$c: a FIFO is refused at once"
done
timeout 3 "$TCGTRACE" races "$T/fifo.tct" >/dev/null 2>"$T/err"
st=$?
[ $st = 1 ]
todo $? "races: a FIFO is refused at once (status $st, 124: timed out)" \
    "cmd/races.c opens its argument to see whether it is a trace without O_NONBLOCK: open(2) of a FIFO waits for a writer"

# A trace whose libc, in the sysroot given, is a FIFO.
run_guest x86_64 -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/m.tct" "$GUESTS/x86_64/robust_end" exit 0 \
    >/dev/null 2>&1
libc=$("$TCGTRACE" dump --kind module --format text "$T/m.tct" | sed -n 's/^[0-9]* module \(\/[^ ]*libc\.so[^ ]*\) .*/\1/p')
mkdir -p "$T/sysroot$(dirname "$libc")"
mkfifo "$T/sysroot$libc"
timeout 3 "$TCGTRACE" stats --sysroot "$T/sysroot" "$T/m.tct" >/dev/null 2>"$T/err"
st=$?
[ $st = 0 ] && grep -q "not a regular file" "$T/err"
todo $? "stats --sysroot: a FIFO in place of a module ($libc) is skipped with a warning (status $st, 124: timed out)" \
    "analysis/symbols.c load_file() open(2)s the module without O_NONBLOCK and without checking that it is a regular file: it waits for a writer forever"
finish
