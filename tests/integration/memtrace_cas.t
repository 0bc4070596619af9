#!/bin/sh
# A compare-and-swap's store is recorded with the value memory holds after
# it: QEMU reports x86 lock cmpxchg's operand even when the comparison
# failed (once the guest has a second thread), and memtrace corrects it
# from rax, read before the instruction runs (TT_FEAT_CAS_EXACT).
. tests/integration/lib.sh
plan 3

out=$("$TCGTRACE" record -q -o "$T/cas.tct" -- "$GUESTS/x86_64/mem_cas")
is "$?:$(echo "$out" | cut -d' ' -f2-)" "0:3 3 9" "mem_cas: the failed swap returns 3, the second one 3, then the word is 9"
addr=$(echo "$out" | cut -d' ' -f1)
"$TCGTRACE" dump -j -k mem "$T/cas.tct" | python3 -c '
import json, sys
addr = int(sys.argv[1], 16)
print(" ".join(str(int(r["value"], 16)) for r in map(json.loads, sys.stdin) if int(r["addr"], 16) == addr and r["store"]))' "$addr" >"$T/stores"
is "$(cat "$T/stores")" "3 3 9" "the word's stores: 3, the failed swap's 3 (not its operand 7), then 9"
is "$(feature_bit 9 "$T/cas.tct")" 1 "the header says so: feature bit 9"
done_testing
