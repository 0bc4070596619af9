#!/bin/sh
# A compare-and-swap's store is recorded with the value memory holds after
# it. Once the guest has a second thread, QEMU reports an x86 lock cmpxchg's
# and an arm64 cas's store with the operand even when the comparison
# failed; memtrace reads the compared register (rax, Xs) before the
# instruction runs and records the loaded value then (TT_FEAT_CAS_EXACT).
# riscv64 compares in an lr/sc loop that stores nothing when it fails.
. tests/integration/lib.sh
plan 9

for arch in $ARCHS; do
    out=$("$TCGTRACE" record -q -o "$T/cas.tct" -- "$GUESTS/$arch/mem_cas")
    is "$?:$(echo "$out" | cut -d' ' -f2-)" "0:3 3 9" \
        "$arch: mem_cas: the failed swap returns 3, the second one 3, then the word is 9"
    addr=$(echo "$out" | cut -d' ' -f1)
    "$TCGTRACE" dump -j -k mem "$T/cas.tct" | python3 -c '
import json, sys
addr = int(sys.argv[1], 16)
print(" ".join(str(int(r["value"], 16)) for r in map(json.loads, sys.stdin) if int(r["addr"], 16) == addr and r["store"]))' "$addr" >"$T/stores"
    want="3 3 9"
    [ "$arch" = riscv64 ] && want="3 9"
    is "$(cat "$T/stores")" "$want" "$arch: the word's stores: $want (a failed swap's is 3, not its operand 7)"
    is "$(feature_bit 9 "$T/cas.tct")" 1 "$arch: the header says so: feature bit 9"
done
