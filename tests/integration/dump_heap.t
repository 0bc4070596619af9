#!/bin/sh
# tcgtrace dump of heap events (docs/format.md, "Heap event") in the golden
# trace tests/golden/v1-heap-raw.tct: text and JSON lines, --kind heap, and
# the memtrace lines, which have none.
. tests/integration/lib.sh
plan 6

G=tests/golden

"$TCGTRACE" dump --format text $G/v1-heap-raw.tct >"$T/out" 2>"$T/err"
same_file "$T/out" $G/v1-heap.txt "--format text"
"$TCGTRACE" dump --json $G/v1-heap-raw.tct >"$T/out" 2>"$T/err"
same_file "$T/out" $G/v1-heap.jsonl "--json"
python3 -c 'import json, sys
for line in open(sys.argv[1]): json.loads(line)' $G/v1-heap.jsonl
ok $? "every JSON line parses"
grep ' heap ' $G/v1-heap.txt >"$T/want"
"$TCGTRACE" dump --kind heap $G/v1-heap-raw.tct >"$T/out" 2>"$T/err"
same_file "$T/out" "$T/want" "--kind heap: the heap events alone"
is "$(wc -l <"$T/out" | tr -d ' ')" 8 "eight heap events: the later kind and the unknown tag are skipped"
"$TCGTRACE" dump $G/v1-heap-raw.tct >"$T/out" 2>"$T/err"
is "$(cat "$T/out")" "T0 W 0x00005555555592a0 8
T0 R 0x00005555555592a0 8
T1 W 0x00007ffff0000b70 8" "memtrace lines by default, without heap events"
done_testing
