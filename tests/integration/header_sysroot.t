#!/bin/sh
# The sysroot a foreign trace was recorded with is in its header (field 12,
# docs/format.md), from QEMU's own -L or QEMU_LD_PREFIX, made absolute,
# so that stats and races find the guest's libraries without being told
# again (tt_header_sysroot; tests/unit/test_format_header.c reads it back).
. tests/integration/lib.sh
plan 7

# header_field TRACE KEY: the value of a header field, as text ("-" when
# the header has no such field).
header_field() {
    python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
end, p, found = struct.unpack_from("<I", b, 12)[0] - 4, 16, "-"
while p < end:
    key, n = struct.unpack_from("<HI", b, p)
    if key == int(sys.argv[2]):
        found = b[p + 6:p + 6 + n].decode()
    p += 6 + n
print(found)' "$1" "$2"
}

for p in memtrace execlog; do
    run_guest aarch64 -plugin "$PLUGINS/lib$p.so,format=bin,out=$T/a.tct" "$GUESTS/aarch64/loop" 10 >/dev/null 2>&1
    is "$(header_field "$T/a.tct" 12)" /usr/aarch64-linux-gnu "$p aarch64, -L /usr/aarch64-linux-gnu: the header holds it"
done

# QEMU_LD_PREFIX, which -L overrides; a relative path, made absolute.
QEMU_LD_PREFIX=/usr/riscv64-linux-gnu "$(qemu_for riscv64)" -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/r.tct" \
    "$GUESTS/riscv64/loop" 10 >/dev/null 2>&1
is "$(header_field "$T/r.tct" 12)" /usr/riscv64-linux-gnu "riscv64, QEMU_LD_PREFIX: the header holds it"
QEMU_LD_PREFIX=/nowhere "$(qemu_for riscv64)" -L /usr/riscv64-linux-gnu \
    -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/r.tct" "$GUESTS/riscv64/loop" 10 >/dev/null 2>&1
is "$(header_field "$T/r.tct" 12)" /usr/riscv64-linux-gnu "riscv64, -L over QEMU_LD_PREFIX, as QEMU takes them"
top=$PWD
(cd /usr && "$(qemu_for aarch64)" -L ./aarch64-linux-gnu/ -plugin "$top/$PLUGINS/libexeclog.so,format=bin,out=$T/rel.tct" \
    "$top/$GUESTS/aarch64/loop" 10 >/dev/null 2>&1)
is "$(header_field "$T/rel.tct" 12)" /usr/aarch64-linux-gnu "a relative -L, made absolute"

# Native: no sysroot, no field.
run_guest x86_64 -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/x.tct" "$GUESTS/x86_64/loop" 10 >/dev/null 2>&1
is "$(header_field "$T/x.tct" 12)" - "x86_64 without -L: no sysroot field"

# tcgtrace record passes its sysroot as -L: the trace holds it.
"$TCGTRACE" record -q -o "$T/rec.tct" -- "$GUESTS/aarch64/loop" 10 >/dev/null 2>&1
is "$(header_field "$T/rec.tct" 12)" /usr/aarch64-linux-gnu "tcgtrace record, aarch64: the default sysroot is recorded"
done_testing
