#!/bin/sh
# The summary and progress line of a binary trace, read from its chunk
# headers and trailer. A stand-in QEMU (--qemu) writes a known trace, the
# golden one, where the plugin would have.
. tests/integration/lib.sh
plan 10

plugin=$PLUGINS/libmemtrace.so
if [ ! -f "$plugin" ]; then
    for _i in 1 2 3 4 5 6 7 8 9 10; do
        _n=$((_n + 1))
        echo "ok $_n # SKIP no memtrace plugin yet"
    done
    done_testing
fi

# stand_in NAME COMMAND: a QEMU that runs COMMAND with $out set to the
# trace path from -plugin's out= option.
stand_in() {
    cat >"$T/$1" <<EOF
#!/bin/sh
for a; do case \$a in *out=*) out=\${a#*out=}; out=\${out%%,*} ;; esac; done
$2
EOF
    chmod +x "$T/$1"
}
golden=$PWD/tests/golden/v1.tct
records=$("$TCGTRACE" dump --json "$golden" 2>/dev/null | wc -l)
size=$(wc -c <"$golden")

stand_in golden "cp '$golden' \"\$out\""
"$TCGTRACE" record --qemu "$T/golden" -o "$T/g.tct" -- "$GUESTS/x86_64/loop" 2>"$T/err"
is $? 0 "a complete trace: status"
want="tcgtrace record: '$T/g.tct': $records records from 2 vCPUs, none lost writing, $size B ($(echo "$size $records" | awk '{ printf "%.1f", $1 / $2 }') bytes/record), "
case $(cat "$T/err") in "$want"[0-9]*.[0-9][0-9]" s") r=0 ;; *) r=1 ;; esac
ok $r "  ... the summary counts its $records records, vCPUs and bytes"
[ $r = 0 ] || sed 's/^/# got: /' "$T/err"

# A real recording: its sync events include extension records (a
# read-modify-write's end, a file event), which no chunk counts. The
# summary still counts what 'tcgtrace stats' does.
"$TCGTRACE" record -o "$T/r.tct" -- "$GUESTS/x86_64/race_counter" 2 1000 2>"$T/err" >/dev/null
is "$(sed -n "s|^tcgtrace record: '$T/r.tct': \([0-9]*\) records from 3 vCPUs, .*|\1|p" "$T/err")" \
    "$("$TCGTRACE" stats "$T/r.tct" | sed -n 's/^records  *//p')" "a real recording: the summary counts the records stats counts"

# Cut short: the summary says so instead of counting.
stand_in cut "head -c 300 '$golden' >\"\$out\"; exit 4"
"$TCGTRACE" record --qemu "$T/cut" -o "$T/c.tct" -- "$GUESTS/x86_64/loop" 2>"$T/err"
is $? 4 "a trace cut short: the status is still QEMU's"
is "$(cat "$T/err")" "tcgtrace record: warning: '$T/c.tct' has no valid trailer: the recording did not finish ('tcgtrace dump' reads what it holds)" \
    "  ... and a warning"

# A program that replaced itself (execve): the sealed trace's header says
# so, and the summary warns; not when the execve failed and it went on.
G=$GUESTS/x86_64/robust_end
"$TCGTRACE" record -o "$T/x.tct" -- "$G" execve /bin/true 2>"$T/err"
is "$?:$(tail -n 1 "$T/err")" \
    "0:tcgtrace record: warning: the program called execve: what it ran next ran outside QEMU and is not in '$T/x.tct'" \
    "execve: the summary warns that the rest is not in the trace"
grep -q "^tcgtrace record: '$T/x.tct': [0-9]* records from 1 vCPU, none lost writing" "$T/err"
ok $? "  ... after the summary"
"$TCGTRACE" record -o "$T/x.tct" -- "$G" execve "$T/no-such-program" 2>"$T/err"
is "$?:$(grep -c execve "$T/err")" "98:0" "execve fails: the program goes on (status 98), no warning"

# On a terminal, the progress line counts the records of the chunks written
# so far.
if command -v script >/dev/null 2>&1; then
    stand_in slow "cp '$golden' \"\$out\"; sleep 1"
    script -qec "$TCGTRACE record --qemu $T/slow -o $T/s.tct -- $GUESTS/x86_64/loop" /dev/null >"$T/tty" 2>&1
    tr '\r' '\n' <"$T/tty" | grep -c "^tcgtrace record: [0-9.]* s, $records records ([0-9.]*[ kMG]*/s), $size B" >"$T/count"
    [ "$(cat "$T/count")" -ge 2 ]
    ok $? "progress: the records of the trace so far ($(cat "$T/count") updates)"
    grep -q "tcgtrace record: '$T/s.tct': $records records from 2 vCPUs" "$T/tty"
    ok $? "  ... then the summary"
else
    _n=$((_n + 2))
    echo "ok $((_n - 1)) # SKIP no script(1) to run under a terminal"
    echo "ok $_n # SKIP no script(1) to run under a terminal"
fi
done_testing
