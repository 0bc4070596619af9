#!/bin/sh
# Heap blocks in tcgtrace races (docs/races.md, "Reading a report") and the
# heap events behind them (docs/format.md, "Heap event"), with the guest
# tests/guests/race_heap.c on x86_64 (PIE and not, and a static build made
# here: its malloc is the program's own), aarch64 and riscv64:
#   - race_heap: the race on the node make_node mallocs is reported with
#     its location, "heap block of size 24 at ... allocated by main thread"
#     at malloc, make_node and main, with their lines (JSON and text);
#   - race_heap reuse: blocks of every allocator function change threads
#     (tcgtrace dump shows the heap events: each kind, blocks freed by one
#     thread and returned to the other): no race;
#   - memtrace heap=off records no heap event and no heap feature, nor does
#     the plugins-v1 build under QEMU 7.2, which refuses heap=on.
# A silent run that reports is run once more, as races.t does (its causes
# are docs/races.md's "Accuracy on the guests").
. tests/integration/lib.sh
plan 44

q() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
heap = [x for x in d["races"] if x["location"]["kind"] == "heap"]
print(eval(sys.argv[2]))' "$1" "$2"
}

line_of() { grep -n "$1" tests/guests/race_heap.c | head -1 | cut -d: -f1; }
malloc_line=$(line_of 'struct node \*n = malloc')
node_line=$(line_of 'n = make_node(7)')
racy_line=$(line_of 'return racy();')
bump_line=$(line_of 'n->value++')

gcc -O1 -g -pthread -static -o "$T/race_heap-static" tests/guests/race_heap.c
ok $? "x86_64 static build"

for arch in x86_64 x86_64-nopie static aarch64 riscv64; do
    prog=$GUESTS/$arch/race_heap
    [ $arch = static ] && prog=$T/race_heap-static
    f=$T/$arch.json
    "$TCGTRACE" races -q --json -- "$prog" >"$f" 2>"$T/err"
    is "$?" 66 "$arch race_heap: races reported (exit status 66)"
    is "$(q "$f" 'sorted(set((x["location"]["size"], x["location"]["allocated_by"], int(x["location"]["start"], 16) <= int(x["current"]["address"], 16) < int(x["location"]["start"], 16) + 24) for x in heap))')" \
        "[(24, 0, True)]" "$arch race_heap: on a heap block of size 24 allocated by the main thread, holding the address"
    is "$(q "$f" 'sorted(set(tuple((g["function"], (g["file"] or "").split("/")[-1], g["line"]) for g in x["location"]["allocated_at"][1:]) for x in heap))')" \
        "[(('make_node', 'race_heap.c', $malloc_line), ('racy', 'race_heap.c', $node_line), ('main', 'race_heap.c', $racy_line))]" \
        "$arch race_heap: allocated in make_node at race_heap.c:$malloc_line, called by racy at line $node_line, inlined into main at line $racy_line"
    is "$(q "$f" 'set(x["location"]["allocated_at"][0]["function"] for x in heap)')" "{'malloc'}" \
        "$arch race_heap: the allocation's stack starts at malloc"
    is "$(q "$f" 'set((s["frames"][0]["function"], s["frames"][0]["line"]) for x in heap for s in (x["current"], x["previous"]))')" \
        "{('bump', $bump_line)}" "$arch race_heap: both accesses in bump at line $bump_line"

    [ $arch = static ] && continue
    "$TCGTRACE" races -q --json -- "$prog" reuse >"$f" 2>"$T/err"
    rc=$?
    if [ $rc = 66 ]; then
        echo "# $arch race_heap reuse: run again after a report"
        "$TCGTRACE" races -q --json -- "$prog" reuse >"$f" 2>"$T/err"
        rc=$?
    fi
    # What it said, on stderr: prove shows it even when not verbose.
    [ $rc != 0 ] && { echo "# $arch race_heap reuse: exit status $rc"; sed 's/^/#   /' "$T/err"
        q "$f" '"\n".join("#   race: " + x["current"]["frames"][0]["location"] + " vs " + x["previous"]["frames"][0]["location"] for x in d["races"])' 2>/dev/null; } >&2
    is "$rc:$(q "$f" 'len(d["races"])')" "0:0" "$arch race_heap reuse: no race"
done

# The text report, ThreadSanitizer's shape.
"$TCGTRACE" races -q -- "$GUESTS/x86_64/race_heap" >"$T/text" 2>"$T/err"
is "$?" 66 "text report: exit status 66"
ok "$(grep -Eq '^  Location is heap block of size 24 at 0x[0-9a-f]+ allocated by main thread at:$' "$T/text"; echo $?)" \
    "text report: Location is heap block of size 24 at ADDR allocated by main thread at:"
# racy() is inlined into main: a frame of its own, with no offset, as
# ThreadSanitizer shows inlined functions.
is "$(sed -n '/^  Location is heap block/{n;p;n;p;n;p;n;p;}' "$T/text" | sed -E 's/main\+0x[0-9a-f]+/main/; s/make_node\+0x[0-9a-f]+/make_node/; s/ \(malloc\.c:[0-9]+\)$//')" \
    "    #0 malloc
    #1 make_node (race_heap.c:$malloc_line)
    #2 racy (race_heap.c:$node_line)
    #3 main (race_heap.c:$racy_line)" "text report: the allocation's frames, racy() inlined into main"


# The heap events of the reuse run, as tcgtrace dump shows them.
"$TCGTRACE" record -q -o "$T/reuse.tct" -- "$GUESTS/x86_64/race_heap" reuse >/dev/null 2>"$T/err"
is "$?" 0 "record race_heap reuse"
"$TCGTRACE" dump --kind heap "$T/reuse.tct" >"$T/heap.txt"
is "$(awk '{print $3}' "$T/heap.txt" | sort -u | tr '\n' ' ')" "calloc free malloc memalign realloc " \
    "dump: heap events of every kind"
ok "$(grep -Eq '^[0-9]+ heap malloc 0x[0-9a-f]+ size 2048 call 0x[0-9a-f]+ func 0x[0-9a-f]+$' "$T/heap.txt"; echo $?)" \
    "dump: a malloc with its block, size, call site and function"
ok "$(grep -Eq '^[0-9]+ heap realloc 0x[0-9a-f]+ size 2048 old 0x[0-9a-f]+ call ' "$T/heap.txt"; echo $?)" \
    "dump: a realloc with its old block"
# A block freed by one vCPU and allocated next by another: the hand-off
# the reuse test is about.
is "$(awk '$2 == "heap" && $3 != "free" && $4 != "0x0" { if (($4 in freed) && freed[$4] != $1) moved++; delete freed[$4] }
           $2 == "heap" && $3 == "free" { freed[$4] = $1 } END { print (moved > 0) }' "$T/heap.txt")" 1 \
    "dump: blocks freed by one thread are returned to the other"
"$TCGTRACE" dump --json --kind heap "$T/reuse.tct" | head -1 >"$T/one.json"
is "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(sorted(d))' "$T/one.json")" \
    "['addr', 'call', 'func', 'heap', 'kind', 'old', 'size', 'vcpu']" "dump --json: a heap event's keys"

# heap=off: none, and the header says so.
run_guest x86_64 -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/off.tct,heap=off" \
    "$GUESTS/x86_64/race_heap" >/dev/null 2>&1
is "$("$TCGTRACE" dump --kind heap "$T/off.tct" | wc -l | tr -d ' ')" 0 "heap=off: no heap event"
# Feature bit 8 of the header's features field (docs/format.md, "Header").
is "$(feature_bit 8 "$T/off.tct")" 0 "heap=off: feature bit 8 clear"
is "$(feature_bit 8 "$T/reuse.tct")" 1 "heap=on (the default): feature bit 8 set"

# QEMU before 9.0 (the plugins-v1 build, under Debian's QEMU 7.2): no
# register API, so no heap events by default and heap=on refused.
if [ -n "${ASAN_OPTIONS:-}" ]; then
    # make sanitize's plugins need its ASan-first QEMU wrappers, which only
    # QEMU 10 has (qemu72.t is left out of it for the same reason).
    skip "QEMU 7.2 cannot load the sanitizer build of plugins-v1"
    skip "QEMU 7.2 cannot load the sanitizer build of plugins-v1"
elif [ -x /usr/bin/qemu-x86_64 ]; then
    /usr/bin/qemu-x86_64 -plugin "$B/plugins-v1/libmemtrace.so,format=bin,out=$T/v1.tct" \
        "$GUESTS/x86_64/race_heap" >/dev/null 2>&1
    is "$?:$("$TCGTRACE" dump --kind heap "$T/v1.tct" | wc -l | tr -d ' '):$(feature_bit 8 "$T/v1.tct")" "0:0:0" \
        "QEMU 7.2: the guest runs, no heap event, no heap feature"
    /usr/bin/qemu-x86_64 -plugin "$B/plugins-v1/libmemtrace.so,format=bin,out=$T/v1.tct,heap=on" \
        "$GUESTS/x86_64/race_heap" >/dev/null 2>"$T/err"
    is "$?:$(head -1 "$T/err")" \
        "1:memtrace: heap=on needs QEMU 9.0 or newer (this QEMU has plugin API v1: QEMU 8.2 or older)" \
        "QEMU 7.2: heap=on refused by name"
else
    skip "no /usr/bin/qemu-x86_64 (Debian's QEMU 7.2) to load the plugins-v1 build"
    skip "no /usr/bin/qemu-x86_64 (Debian's QEMU 7.2) to load the plugins-v1 build"
fi

done_testing
