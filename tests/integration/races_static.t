#!/bin/sh
# tcgtrace races on statically linked programs (docs/races.md, "Decision:
# the runtime libraries' own data does not synchronise"): the C library
# is then part of the program's module, and only the program's debug
# information tells its own code and data from the library's
# (analysis/ownimage.c). Built here with -static -g: race_condvar and
# race_malloc_reuse on x86_64, aarch64 and riscv64 are silent (before,
# races inside the C library's condition variable and malloc were
# reported as the program's), race_one_after is reported on x86_64
# (before, glibc's own thread count ordered its two threads and hid it);
# without -g, the analysis says it cannot tell them apart. A silent run
# that reports is run again, up to three runs, as races.t does.
. tests/integration/lib.sh
plan 14

# q FILE EXPR: a Python expression over the JSON document d.
q() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

cc_for() { [ "$1" = x86_64 ] && echo gcc || echo "$1-linux-gnu-gcc"; }

# silent ARCH GUEST: no race in up to three runs of the static build.
silent() {
    for try in 1 2 3; do
        "$TCGTRACE" races -q --json -- "$T/$1-$2" >"$T/$1-$2.json" 2>"$T/$1-$2.err"
        rc=$?
        [ $rc = 0 ] && [ "$(q "$T/$1-$2.json" 'len(d["races"])')" = 0 ] && return 0
        { echo "# $1 $2, run $try: exit status $rc"; sed 's/^/#   /' "$T/$1-$2.err"; } >&2
    done
    return 1
}

for arch in x86_64 aarch64 riscv64; do
    for g in race_condvar race_malloc_reuse; do
        $(cc_for $arch) -O1 -g -pthread -static -o "$T/$arch-$g" "tests/guests/$g.c"
        ok $? "$arch: static build of $g"
        silent $arch $g
        ok $? "$arch static $g: no race"
    done
done

after_line=$(grep -n 'counter++;' tests/guests/race_one_after.c | head -1 | cut -d: -f1)
gcc -O1 -g -pthread -static -o "$T/one_after" tests/guests/race_one_after.c &&
    "$TCGTRACE" races -q --json -- "$T/one_after" >"$T/one_after.json" 2>"$T/one_after.err"
is "$?:$(q "$T/one_after.json" 'sorted(set(s["frames"][0]["function"] + ":" + str(s["frames"][0]["line"] >= '$((after_line - 1))') for x in d["races"] for s in (x["current"], x["previous"])))')" \
    "66:['worker:True']" "x86_64 static race_one_after: the race in worker reported"

# Without debug information the two cannot be told apart: it says so.
gcc -O1 -pthread -static -o "$T/nodebug" tests/guests/race_condvar.c &&
    "$TCGTRACE" races -q --json -- "$T/nodebug" >"$T/nodebug.json" 2>"$T/nodebug.err"
grep -q "warning: the program carries the C library in itself (linked statically) and has no debug information" "$T/nodebug.err" &&
    [ "$(q "$T/nodebug.json" 'd["analysis"]["static_no_debuginfo"]')" = True ]
ok $? "x86_64 static build without -g: a warning, and static_no_debuginfo in the JSON"
