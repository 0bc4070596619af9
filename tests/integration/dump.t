#!/bin/sh
# tcgtrace dump on the golden v1 traces (tests/golden/README): each output
# format, the filters, and the errors for traces cut short, corrupt, newer
# or missing.
. tests/integration/lib.sh
plan 31

G=tests/golden

# dump_is NAME EXPECTED ARGS...: dump's stdout equals the file EXPECTED
dump_is() {
    _name=$1 _want=$2
    shift 2
    "$TCGTRACE" dump "$@" >"$T/out" 2>"$T/err"
    same_file "$T/out" "$_want" "$_name"
}

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

for t in v1.tct v1-raw.tct; do
    dump_is "$t: execlog lines by default (the trace's plugin)" $G/v1.execlog $G/$t
    dump_is "$t: --format memtrace" $G/v1.memtrace --format memtrace $G/$t
    dump_is "$t: --format text" $G/v1.txt --format text $G/$t
    dump_is "$t: --json" $G/v1.jsonl --json $G/$t
done
dump_is "--kind for definitions" $G/v1.defs.txt --kind def-insn,def-reg,def-string $G/v1.tct

python3 -c 'import json, sys
for line in open(sys.argv[1]): json.loads(line)' $G/v1.jsonl
ok $? "every JSON line parses"

grep '^1 ' $G/v1.txt >"$T/want"
dump_is "--thread 1" "$T/want" --format text --thread 1 $G/v1.tct
grep '^1, ' $G/v1.execlog >"$T/want"
dump_is "--thread with execlog lines" "$T/want" -t 1 $G/v1.tct
grep -E '^[0-9]+ (sync|map)' $G/v1.txt >"$T/want"
dump_is "--kind sync --kind map" "$T/want" --kind sync --kind map $G/v1.tct
grep '"kind":"sync","vcpu":0' $G/v1.jsonl >"$T/want"
dump_is "--json --kind sync --thread 0" "$T/want" --json --kind sync --thread 0 $G/v1.tct
# A vCPU the trace does not have: nothing to print, and a warning saying so
# rather than a silence that looks like a quiet thread.
"$TCGTRACE" dump --format text --thread 1 --thread 5 $G/v1.tct >"$T/out" 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "0:tcgtrace dump: warning: '$G/v1.tct' has no vCPU 5 (it has 0, 1)" "--thread 5: a warning naming the vCPUs there are"
grep '^1 ' $G/v1.txt | cmp -s - "$T/out"
ok $? "  ... and vCPU 1's records"

"$TCGTRACE" dump $G/v1.tct >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:tcgtrace dump: warning: 'tests/golden/v1.tct': the recording lost 3 records" \
    "records the plugin could not record: a warning, status 0"

# Cut after vCPU 0's first chunk: its lines, the last one included, then
# the error and status 1.
set -- $(chunk_offsets $G/v1.tct)
head -c "$3" $G/v1.tct >"$T/cut.tct"
"$TCGTRACE" dump "$T/cut.tct" >"$T/out" 2>"$T/err"
is $? 1 "a trace cut short: status 1"
n=$(grep -c '^0, ' "$T/out")
grep '^0, ' $G/v1.execlog | head -n "$n" >"$T/want"
same_file "$T/out" "$T/want" "a trace cut short: every whole chunk's lines are printed"
ok $((n < 10)) "a trace cut short: ... and no more ($n lines)"
is "$(cat "$T/err")" "tcgtrace dump: '$T/cut.tct': trace cut short at byte $3: no trailer (the recording did not finish)" \
    "a trace cut short: the message says where"

head -c $(($4 + 50)) $G/v1.tct >"$T/cut.tct"
"$TCGTRACE" dump --format text "$T/cut.tct" >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace dump: '$T/cut.tct': trace cut short: the chunk at byte $4 needs $(($5 - $4)) bytes, the file ends at byte $(($4 + 50))" \
    "a chunk cut short: its offset and size"

# A flipped bit in vCPU 1's chunk.
cp $G/v1.tct "$T/bad.tct"
printf '\377' | dd of="$T/bad.tct" bs=1 seek=$(($4 + 40)) conv=notrunc 2>/dev/null
"$TCGTRACE" dump --format text "$T/bad.tct" >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace dump: '$T/bad.tct': chunk at byte $4: payload checksum mismatch" \
    "a corrupt chunk: status 1, its offset"
grep -c . "$T/out" >"$T/n"
is "$(cat "$T/n")" "$(grep -c '^0 ' $G/v1.txt | xargs -I{} expr {} - 3)" "a corrupt chunk: the chunks before it are printed"

cp $G/v1.tct "$T/new.tct"
printf '\002' | dd of="$T/new.tct" bs=1 seek=8 conv=notrunc 2>/dev/null
"$TCGTRACE" dump "$T/new.tct" >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace dump: '$T/new.tct': trace format version 2 is newer than this tcgtrace (reads 1)" \
    "a newer format version is rejected by name"

"$TCGTRACE" dump "$T/missing.tct" 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace dump: cannot open '$T/missing.tct': No such file or directory" "a missing file"

"$TCGTRACE" dump 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "2:tcgtrace dump: no trace given" "no trace: usage error"
"$TCGTRACE" dump --format csv $G/v1.tct 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "2:tcgtrace dump: unknown format 'csv' (execlog, memtrace, text or json)" "an unknown format"
"$TCGTRACE" dump --kind memory $G/v1.tct 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "2:tcgtrace dump: unknown record kind 'memory'" "an unknown kind"
"$TCGTRACE" dump --kind mem --format execlog $G/v1.tct 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "2:tcgtrace dump: --kind works with the text and json formats, not execlog" \
    "--kind with a seed format"
"$TCGTRACE" dump --thread one $G/v1.tct 2>"$T/err"
is "$?:$(head -n 1 "$T/err")" "2:tcgtrace dump: --thread needs a vCPU index, not 'one'" "a bad --thread"
done_testing
