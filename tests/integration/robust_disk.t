#!/bin/sh
# A full disk: a 64 KiB tmpfs when this user may mount one, and a file size
# limit (ulimit -f, SIGXFSZ ignored: write(2) fails with EFBIG) placed just
# after a trace's first chunk. Binary traces: the plugin names the file,
# the error and the records lost, per kind; the trace reads up to its last
# whole chunk, and its trailer (which fits in what the failed chunk freed)
# counts the same losses, which dump and record report; records kept plus
# records lost are all the plugin recorded. Text logs: the lines lost are
# reported, and the log ends with a whole line.
. tests/integration/lib.sh
. tests/integration/robust_lib.sh

G=$GUESTS/x86_64/robust_end
D=$T/disk
mkdir "$D"
tmpfs=0
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tcgtrace-test "$D" 2>/dev/null; then
    tmpfs=1
    trap 'umount "$D"; rm -rf "$T"' EXIT
fi

# lost_in FILE PLUGIN: the total of the writer's "N records lost (...)"
# message (heap events and calls lost, which no record count includes,
# may follow it); the same message's kinds, added up, on the next line.
lost_in() {
    sed -n "s/^$2: cannot write '.*': [A-Za-z ]*: \([0-9]*\) records lost (\([^)]*\)).*\$/\1 \2/p" "$1" |
        python3 -c 'import sys
for l in sys.stdin:
    total, kinds = l.split(" ", 1)
    print(total, sum(int(k.split()[0]) for k in kinds.split(", ")))'
}

# kept_mem TRACE: the memory accesses the trace holds.
kept_mem() { "$TCGTRACE" dump --kind mem --format text "$1" 2>/dev/null | grep -c ' mem '; }

# text_loss PLUGIN LOG CASE: after a text run that filled the disk (status
# in $st, stderr in $T/err), the plugin reports the lines lost; the log
# ends with a whole line; its lines plus those lost are every line the
# plugin made (memtrace: one per access traced).
text_loss() {
    _lost=$(sed -n "s/^$1: cannot write '.*': [A-Za-z ]*: \([0-9]*\) lines lost\$/\1/p" "$T/err")
    [ $st = 0 ] && [ -n "$_lost" ] && [ "$_lost" -gt 0 ]
    ok $? "$1 text, $3: the guest runs on; the lines lost are reported: '$(grep 'lines lost' "$T/err")'"
    [ "$(tail -c 1 "$2" | od -An -c | tr -d ' ')" = '\n' ]
    ok $? "$1 text, $3: the log ends with a whole line"
    if [ "$1" = memtrace ]; then
        is "$(($(wc -l <"$2") + _lost))" "$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err")" \
            "$1 text, $3: lines kept + lines lost = accesses traced"
    fi
}

if [ $tmpfs = 1 ]; then
    for p in memtrace execlog; do
        rm -f "$D/t.tct"
        run_guest x86_64 -plugin "$PLUGINS/lib$p.so,format=bin,out=$D/t.tct" "$G" work 1000000 >/dev/null 2>"$T/err"
        st=$?
        set -- $(lost_in "$T/err" $p) "" ""
        [ $st = 0 ] && [ -n "$1" ] && [ "$1" = "$2" ] && [ "$1" -gt 1000000 ] && grep -q "No space left on device" "$T/err"
        ok $? "$p bin, full tmpfs: the guest runs on; '$(grep 'records lost' "$T/err")'"
        "$TCGTRACE" dump --format text "$D/t.tct" >/dev/null 2>"$T/derr"
        is "$?:$(cat "$T/derr")" \
            "0:tcgtrace dump: warning: '$D/t.tct': the recording lost $1 records: No space left on device" \
            "$p bin, full tmpfs: the trace reads, its trailer counts the same losses"
    done
    if [ -f "$PLUGINS/libmemtrace.so" ]; then
        rm -f "$D/t.tct"
        "$TCGTRACE" record -o "$D/t.tct" -- "$G" work 1000000 >/dev/null 2>"$T/err"
        st=$?
        grep -q "^tcgtrace record: '$D/t.tct': [0-9]* records from [0-9]* vCPUs*, [0-9]* LOST writing (No space left on device), " "$T/err"
        ok $? "tcgtrace record, full tmpfs: the summary says what was lost and why (status $st)"
        # races -- PROG writes its trace in $TMPDIR: the verdict comes with
        # the plugin's count of what was lost, and why.
        rm -f "$D/t.tct"
        TMPDIR=$D "$TCGTRACE" races -- "$G" work 1000000 >"$T/out" 2>"$T/err"
        st=$?
        set -- $(lost_in "$T/err" memtrace) "" ""
        [ $st = 0 ] && [ -n "$1" ] && grep -qx "tcgtrace races: warning: the recording lost $1 records (No space left on device): races may be missing, or reported falsely" "$T/err"
        ok $? "tcgtrace races -- PROG, full \$TMPDIR: the verdict warns of the $1 records lost, and why"
        [ -z "$(ls "$D")" ]
        ok $? "  ... and its temporary trace is gone"
    fi
    for p in memtrace execlog; do
        rm -f "$D/t.log"
        run_guest x86_64 -plugin "$PLUGINS/lib$p.so,out=$D/t.log" "$G" work 100000 >/dev/null 2>"$T/err"
        st=$?
        text_loss "$p" "$D/t.log" "full tmpfs"
    done
else
    n=$((_n + 12))
    while [ $_n -lt $n ]; do
        _n=$((_n + 1))
        echo "ok $_n # SKIP cannot mount a tmpfs here (needs root): the file size limit cases below still run"
    done
fi

# A file size limit just after the first data chunk of a run whose chunks
# are known (aarch64 with -R: the same addresses, so the same chunks, every
# run): that chunk is kept, the next fails, the trailer fits after it.
run_guest aarch64 -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/full.tct" "$GUESTS/aarch64/robust_end" work 3000000 \
    >/dev/null 2>"$T/err"
traced=$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err")
set -- $(python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
off = struct.unpack_from("<I", b, 12)[0]
ends = []
while off < len(b):
    stream, stored = struct.unpack_from("<I", b, off + 8)[0], struct.unpack_from("<I", b, off + 24)[0]
    off += 36 + stored
    ends.append((stream, off, stored))
first = next(i for i, e in enumerate(ends) if e[0] != 0xffffffff)
print(ends[first][1], ends[first + 1][2])' "$T/full.tct")
end=$1 next=$2
blocks=$(((end + 1024 + 511) / 512))
[ "$next" -gt 2048 ]
ok $? "the first data chunk ends at byte $end, the next stores $next bytes: a limit of $((blocks * 512)) bytes keeps one"
(
    ulimit -f $blocks
    trap '' XFSZ
    exec "$(qemu_for aarch64)" -L "$(sysroot aarch64)" -R 0x100000000 \
        -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/lim.tct" "$GUESTS/aarch64/robust_end" work 3000000
) >/dev/null 2>"$T/err"
st=$?
set -- $(lost_in "$T/err" memtrace) "" ""
lost=$1
lost_mem=$(sed -n "s/^memtrace: cannot write .* records lost (\([0-9]*\) mem.*/\1/p" "$T/err")
[ $st = 0 ] && [ -n "$lost" ] && [ "$lost" = "$2" ] && grep -q "File too large" "$T/err"
ok $? "memtrace bin, file size limit: '$(grep 'records lost' "$T/err")'"
"$TCGTRACE" dump --format text "$T/lim.tct" >/dev/null 2>"$T/derr"
is "$?:$(cat "$T/derr")" "0:tcgtrace dump: warning: '$T/lim.tct': the recording lost $lost records: File too large" \
    "memtrace bin, file size limit: the trace reads to its trailer, which counts the same losses"
kept=$(kept_mem "$T/lim.tct")
[ "$kept" -gt 0 ] && [ "$lost_mem" -gt 0 ]
ok $? "memtrace bin, file size limit: accesses kept ($kept) and lost ($lost_mem)"
is "$((kept + lost_mem))" "$traced" "memtrace bin, file size limit: kept + lost = every access traced"

# Text logs under a file size limit that falls inside a buffer (100 KiB:
# not a multiple of any line's length), the limit's write storing part of
# it.
for p in memtrace execlog; do
    (
        ulimit -f 200
        trap '' XFSZ
        exec "$(qemu_for x86_64)" -plugin "$PLUGINS/lib$p.so,out=$T/lim.log" "$G" work 100000
    ) >/dev/null 2>"$T/err"
    st=$?
    text_loss "$p" "$T/lim.log" "file size limit"
done
finish
