#!/bin/sh
# tcgtrace record on real guests of the three architectures: an execution
# log, binary traces of both tools, the guest's exit status (and death by a signal) passed on, its
# standard streams untouched, the end summary.
. tests/integration/lib.sh
plan 61

skip() { # skip COUNT REASON
    _i=0
    while [ $_i -lt "$1" ]; do
        _n=$((_n + 1))
        echo "ok $_n # SKIP $2"
        _i=$((_i + 1))
    done
}

if [ ! -f "$PLUGINS/libexeclog.so" ]; then
    skip 61 "no execlog plugin yet"
    done_testing
fi

rec() { "$TCGTRACE" record --tool=exec --format=text "$@"; }
# The seed's line: vCPU, address, opcode, disassembly in quotes.
seed_line='^[0-9][0-9]*, 0x[0-9a-f][0-9a-f]*, 0x[0-9a-f][0-9a-f]*, "'

for arch in $ARCHS; do
    rec -o "$T/$arch.log" -- "$GUESTS/$arch/loop" 10 >"$T/out" 2>"$T/err"
    is $? 0 "$arch: loop 10 recorded"
    is "$(cat "$T/out")" "loop 10 10" "$arch: the guest's output passes through"
    [ -s "$T/$arch.log" ] && grep -q "$seed_line" "$T/$arch.log"
    ok $? "$arch: a non-empty execution log of seed lines"
    # Not a terminal: no progress line, only the summary, which counts the
    # lines of the log.
    grep -q "^tcgtrace record: '$T/$arch.log': $(wc -l <"$T/$arch.log") lines, [0-9.]* [KMG]*i*B ([0-9.]* bytes/line), [0-9.]* s$" "$T/err"
    ok $? "$arch: the summary"

    rec -q -o "$T/exit.log" -- "$GUESTS/$arch/rec_exit" 3 2>"$T/err"
    is $? 3 "$arch: the guest's exit status 3 is tcgtrace's"
    rec -q -o "$T/exit.log" -- "$GUESTS/$arch/rec_exit" -15 2>"$T/err"
    is $? 143 "$arch: a guest killed by SIGTERM: 128+15"

    printf 'one\ntwo\n' | rec -q -o "$T/cat.log" -- "$GUESTS/$arch/rec_exit" cat >"$T/out" 2>"$T/err"
    is "$(cat "$T/out")" "one
two" "$arch: stdin reaches the guest, its stdout reaches ours"
    is "$(cat "$T/err")" "rec_exit: stderr" "$arch: its stderr reaches ours, and -q adds nothing"
done

# Binary traces (the default format) of both tools: the summary's record
# count is what `tcgtrace dump` reads back.
for arch in $ARCHS; do
    for tool in mem exec; do
        if [ ! -f "$PLUGINS/lib$( [ $tool = mem ] && echo memtrace || echo execlog).so" ]; then
            skip 3 "no $tool plugin yet"
            continue
        fi
        "$TCGTRACE" record --tool=$tool -o "$T/$arch.$tool.tct" -- "$GUESTS/$arch/loop" 10 >/dev/null 2>"$T/err"
        is $? 0 "$arch: --tool=$tool, binary trace"
        # All but heap events and calls, which 'tcgtrace stats' counts apart;
        # the sync events that are extension records (read-modify-write
        # ends, file events), which no chunk counts, included.
        n=$("$TCGTRACE" dump --json "$T/$arch.$tool.tct" | grep -vc -e '"kind":"heap"' -e '"kind":"call"')
        grep -q "^tcgtrace record: '$T/$arch.$tool.tct': $n records from 1 vCPU, none lost writing, " "$T/err"
        ok $? "  ... the summary counts the $n records dump reads"
        # Its second line: the records per kind, as dump counts them, heap
        # events included.
        "$TCGTRACE" dump --format text "$T/$arch.$tool.tct" | awk '{ n[$2]++ } END { for (k in n) print k, n[k] }' |
            sort >"$T/kinds.dump"
        sed -n '2s/^tcgtrace record:   //p' "$T/err" | python3 -c '
import sys
names = {"instruction": "insn", "memory access": "mem", "thread start": "thread-start",
         "thread exit": "thread-exit", "syscall": "syscall", "syscall return": "sysret",
         "mapping change": "map", "module load": "module", "sync event": "sync", "heap event": "heap"}
for item in sys.stdin.read().strip().split(", "):
    count, noun = item.split(" ", 1)
    noun = noun[:-2] if noun.endswith("sses") else noun if noun.endswith("ss") else noun.rstrip("s")
    print(names.get(noun, noun), count)' | sort >"$T/kinds.summary"
        same_file "$T/kinds.summary" "$T/kinds.dump" "  ... and per kind ($(tr '\n' ' ' <"$T/kinds.summary"))"
    done
    # The plugin's own count at exit is silenced (quiet=on): the summary
    # says more, and --quiet asks for nothing at all.
    "$TCGTRACE" record -o "$T/q.tct" -- "$GUESTS/$arch/loop" 10 >/dev/null 2>"$T/err"
    is "$(grep -c '^tcgtrace record: ' "$T/err"):$(grep -vc '^tcgtrace record: ' "$T/err")" "2:0" \
        "$arch: --tool=mem: the summary's two lines, not memtrace's count"
    "$TCGTRACE" record -q --format=text -o "$T/q.log" -- "$GUESTS/$arch/loop" 10 >/dev/null 2>"$T/err"
    is "$(cat "$T/err")" "" "$arch: --tool=mem --format=text -q: nothing on stderr"
done

# A signal sent to tcgtrace alone (kill, timeout) reaches the guest.
# The guest waits on an empty FIFO meanwhile (the shell holds it open).
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
"$TCGTRACE" record -q --tool=exec --format=text -o "$T/sleep.log" -- "$GUESTS/x86_64/rec_exit" cat <"$T/fifo" >/dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
# Bounded: a tcgtrace that swallowed the signal must fail, not hang.
_i=0
while kill -0 $pid 2>/dev/null && [ $_i -lt 50 ]; do
    sleep 0.1
    _i=$((_i + 1))
done
kill -0 $pid 2>/dev/null && kill -KILL $pid
wait $pid
is $? 143 "SIGTERM to tcgtrace: 128+15"
# Without forwarding, tcgtrace would end alone and leave QEMU running (its
# command line names the trace).
orphan=$(pgrep -f "out=$T/sleep.log")
is "$orphan" "" "  ... and QEMU was ended too, not orphaned"
[ -n "$orphan" ] && kill $orphan
exec 3>&-

# On a terminal, a progress line redrawn in place, then the summary. The
# guest waits 1.2 s for its input, long enough for a few updates.
if command -v script >/dev/null 2>&1; then
    script -qec "sh -c 'sleep 1.2' | $TCGTRACE record --tool=exec --format=text -o $T/tty.log -- $GUESTS/aarch64/rec_exit cat" \
        /dev/null >"$T/tty" 2>&1
    tr '\r' '\n' <"$T/tty" | grep -c '^tcgtrace record: [0-9.]* s, [0-9.]*[ kMG]* lines ([0-9.]*[ kMG]*/s), [0-9.]* [KMG]*i*B' >"$T/count"
    [ "$(cat "$T/count")" -ge 2 ]
    ok $? "a terminal shows a progress line ($(cat "$T/count") updates)"
    grep -q "tcgtrace record: '$T/tty.log': [0-9]* lines, .* 1\.[0-9]* s" "$T/tty"
    ok $? "  ... then the summary"
else
    skip 2 "no script(1) to run under a terminal"
fi

# A FIFO as output: its reader gets the whole log (checking that the output
# is writable must not open and close it, which would end the reader's
# input and leave the plugin blocked).
mkfifo "$T/logfifo"
cat "$T/logfifo" >"$T/fromfifo" &
reader=$!
timeout 60 "$TCGTRACE" record -q --tool=exec --format=text -o "$T/logfifo" -- "$GUESTS/aarch64/loop" 3 >/dev/null
is $? 0 "a FIFO as output"
wait $reader
grep -q "$seed_line" "$T/fromfifo"
ok $? "  ... its reader gets the log"

# A program found in PATH, as execvp would; -q: no summary.
PATH="$GUESTS/riscv64:$PATH" rec -q -o "$T/path.log" -- rec_exit 7 2>"$T/err"
is $? 7 "a program found in PATH runs"
is "$(cat "$T/err")" "" "-q: no summary"

# A command line longer than the header holds (xargs builds such): the
# trace is recorded, its command keeps its first arguments and says how
# many it leaves out (before, the header did not fit and nothing was).
"$TCGTRACE" record -q -o "$T/argv.tct" -- "$GUESTS/x86_64/loop" 3 $(seq 100001 175000 | sed 's/^/argument/') >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "75000 arguments (1.1 MB): recorded, nothing on stderr"
"$TCGTRACE" stats --json "$T/argv.tct" >"$T/argv.json"
is "$(python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["recording"]["command"]
print(c[1], c[2], c[-2][:3], c[-1][0], c[-1].split(" ", 1)[1], len(c) < 75002)' "$T/argv.json")" "3 argument100001 arg [ more arguments not recorded] True" \
    "  ... its command: the first arguments, then how many more"

# Run again without -o, the last trace is kept as tcgtrace.tct.old (as perf
# keeps perf.data.old); with -o, the named file is the user's to replace.
tt=$(cd "$(dirname "$TCGTRACE")" && pwd)/tcgtrace
g=$(cd "$GUESTS/x86_64" && pwd)/loop
mkdir "$T/again"
(cd "$T/again" && "$tt" record -q -- "$g" 3 >/dev/null && cp tcgtrace.tct first.tct &&
    "$tt" record -- "$g" 4 >/dev/null 2>"$T/err")
cmp -s "$T/again/first.tct" "$T/again/tcgtrace.tct.old"
ok $? "no -o, run again: the last trace is kept as tcgtrace.tct.old"
is "$(tail -n 1 "$T/err")" "tcgtrace record: the last 'tcgtrace.tct' is kept as 'tcgtrace.tct.old'" "  ... and the summary says so"
(cd "$T/again" && rm tcgtrace.tct.old && "$tt" record -q -o tcgtrace.tct -- "$g" 3 >/dev/null)
[ ! -e "$T/again/tcgtrace.tct.old" ]
ok $? "-o tcgtrace.tct: replaced, no .old"
done_testing
