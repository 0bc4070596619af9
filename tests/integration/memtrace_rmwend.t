#!/bin/sh
# Every atomic read-modify-write event is followed, in its stream, by its
# end (docs/format.md, "Read-modify-write end"): the same pc and address,
# a number taken after the instruction ran, so above the event's, which
# was taken before it ran. mutex_counter's lock and unlock are
# read-modify-writes on the three architectures (x86 lock cmpxchg and
# xchg, arm64 cas and swp, riscv amoswap beside lr/sc).
. tests/integration/lib.sh
plan 9

for arch in $ARCHS; do
    "$TCGTRACE" record -q -o "$T/rmw.tct" -- "$GUESTS/$arch/mutex_counter" >/dev/null
    is "$?" 0 "$arch: mutex_counter recorded"
    "$TCGTRACE" dump -j -k sync "$T/rmw.tct" | python3 -c '
import json, sys
last, rmws, bad = {}, 0, []
for r in map(json.loads, sys.stdin):
    prev = last.get(r["vcpu"])
    if r["sync"] == "rmw-end":
        if not prev or prev["sync"] != "atomic-rmw" or (prev["pc"], prev["addr"]) != (r["pc"], r["addr"]) or prev["seq"] >= r["seq"]:
            bad.append(r)
    elif prev and prev["sync"] == "atomic-rmw":
        bad.append(prev)
    rmws += r["sync"] == "atomic-rmw"
    last[r["vcpu"]] = r
bad += [r for r in last.values() if r["sync"] == "atomic-rmw"]
print("%s read-modify-writes, %d without their end%s" % ("some" if rmws > 10 else rmws, len(bad), (": %s" % bad[0]) if bad else ""))' >"$T/check"
    is "$(cat "$T/check")" "some read-modify-writes, 0 without their end" "$arch: each atomic-rmw followed by its rmw-end"
    is "$(feature_bit 10 "$T/rmw.tct")" 1 "$arch: the header says so: feature bit 10"
done
