#!/bin/sh
# tcgtrace stats on the golden v1 trace (tests/golden/README) and copies of
# it cut short or corrupted: the text report and the JSON document exactly
# (tests/integration/stats_v1.txt and .json), --top, exit statuses and
# messages. No QEMU needed; stats.t runs real guests.
. tests/integration/lib.sh
plan 22

G=tests/golden/v1.tct
E=tests/integration

"$TCGTRACE" stats $G >"$T/out" 2>"$T/err"
is $? 0 "a complete trace: status 0"
same_file "$T/out" $E/stats_v1.txt "the text report"
is "$(cat "$T/err")" "" "nothing on stderr"

# json_is FILE EXPECTED NAME: the same JSON value, whatever the layout.
json_is() {
    python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"
    ok $? "$3"
}
"$TCGTRACE" stats --json $G >"$T/json"
is $? 0 "--json: status 0"
is "$(wc -l <"$T/json" | tr -d ' ')" 1 "--json: one document on one line"
json_is "$T/json" $E/stats_v1.json "--json: the document"

# jq_like FILE EXPR: a Python expression over the document d.
jq_like() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
"$TCGTRACE" stats --json --top 2 $G >"$T/top"
is "$(jq_like "$T/top" '[len(d[k]["entries"]) for k in ("hot_code", "hot_functions", "hot_data")]')" "[2, 1, 2]" \
    "--top 2: two entries per ranking (one group of code: the module file is missing)"
is "$(jq_like "$T/top" 'd["hot_code"]["total"], d["hot_functions"]["total"], d["hot_data"]["total"]')" "(7, 1, 5)" \
    "  ... out of all of them"
"$TCGTRACE" stats -j -n 0 $G >"$T/all"
is "$(jq_like "$T/all" 'len(d["hot_code"]["entries"])')" 7 "--top 0: all entries"

# The offset of each chunk after the file header, one per line (the
# header length is at byte 12, a chunk's stored size at its byte 24).
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
chunk_offsets() {
    _off=$(u32 "$1" 12)
    _size=$(wc -c <"$1")
    while [ "$_off" -lt "$_size" ]; do
        echo "$_off"
        _off=$((_off + 36 + $(u32 "$1" $((_off + 24)))))
    done
}
# The trailer is the last chunk: without it, every record is there.
trailer=$(chunk_offsets $G | tail -n 1)
head -c "$trailer" $G >"$T/cut.tct"
"$TCGTRACE" stats --json "$T/cut.tct" >"$T/out" 2>"$T/err"
is $? 0 "a trace cut short: status 0 (its statistics are still worth having)"
is "$(cat "$T/err")" "tcgtrace stats: warning: '$T/cut.tct': trace cut short at byte $trailer: no trailer (the recording did not finish)" \
    "  ... and a warning"
is "$(jq_like "$T/out" 'd["state"], d["totals"]["records"], d["lost"]["records"]')" "('cut-short', 195, 3)" \
    "  ... state cut-short, every record counted, the plugin's losses too"
"$TCGTRACE" stats "$T/cut.tct" 2>/dev/null | grep '^state' >"$T/state"
is "$(cat "$T/state")" "state         cut-short: '$T/cut.tct': trace cut short at byte $trailer: no trailer (the recording did not finish)" \
    "  ... said in the text report"

# A byte flipped in the last data chunk: the chunks before it are counted.
last=$(chunk_offsets $G | tail -n 2 | head -n 1)
python3 -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[int(sys.argv[2]) + 40] ^= 0xff
open(sys.argv[3], "wb").write(d)' $G "$last" "$T/bad.tct"
"$TCGTRACE" stats --json "$T/bad.tct" >"$T/out" 2>"$T/err"
is $? 1 "a corrupt trace: status 1"
is "$(cat "$T/err")" "tcgtrace stats: '$T/bad.tct': chunk at byte $last: payload checksum mismatch" "  ... the error"
is "$(jq_like "$T/out" 'd["state"], d["error"] == "'"'$T/bad.tct'"': chunk at byte '$last': payload checksum mismatch", 0 < d["totals"]["records"] < 195')" \
    "('corrupt', True, True)" "  ... after the report of the chunks before it"

"$TCGTRACE" stats "$T/none.tct" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace stats: cannot open '$T/none.tct': No such file or directory" "a missing trace"
"$TCGTRACE" stats /etc/hostname >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace stats: '/etc/hostname': not a tcgtrace trace (no TCGTRACE magic)" "not a trace"
"$TCGTRACE" stats --sysroot "$T/nowhere" $G >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace stats: cannot use sysroot '$T/nowhere': No such file or directory" "a missing sysroot"
"$TCGTRACE" stats --top=-1 $G >/dev/null 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "2:tcgtrace stats: --top needs a number, not '-1'" "a bad --top: usage error"
"$TCGTRACE" stats >/dev/null 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "2:tcgtrace stats: no trace given" "no trace: usage error"

# A program that replaced itself (an execve with no return): said in both
# formats; the golden trace above says execve false.
run_guest x86_64 -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/ex.tct" "$GUESTS/x86_64/robust_end" execve /bin/true
"$TCGTRACE" stats "$T/ex.tct" | grep -c '^execve        the program replaced itself: what it ran next is not in the trace$' >"$T/n"
"$TCGTRACE" stats --json "$T/ex.tct" >"$T/ex.json"
is "$(cat "$T/n"):$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["execve"])' "$T/ex.json")" "1:True" \
    "execve without return: the line, and execve true in the JSON"
done_testing
