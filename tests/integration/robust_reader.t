#!/bin/sh
# The commands that read traces neither wait forever nor take memory by
# what a trace claims: a trace that is a FIFO, a FIFO where a module of the
# trace should be (--sysroot), a trace naming vCPU 0x2ce0000
# (docs/robustness.md).
. tests/integration/lib.sh
. tests/integration/robust_lib.sh

# No command waits for a writer, nor reads a trace as a stream: races reads
# it three times.
mkfifo "$T/fifo.tct"
for c in dump stats races; do
    timeout 20 "$TCGTRACE" "$c" "$T/fifo.tct" >/dev/null 2>"$T/err"
    is "$?:$(cat "$T/err")" "1:tcgtrace $c: cannot read '$T/fifo.tct': not a regular file" "$c: a FIFO is refused at once"
done
# Nor is an executable FIFO run as a program.
chmod +x "$T/fifo.tct"
timeout 20 "$TCGTRACE" races -q -- "$T/fifo.tct" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace races: cannot run '$T/fifo.tct': not a regular file" "races -- FIFO: refused at once"

# A trace whose libc, in the sysroot given, is a FIFO.
run_guest x86_64 -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/m.tct" "$GUESTS/x86_64/robust_end" exit 0 \
    >/dev/null 2>&1
libc=$("$TCGTRACE" dump --kind module --format text "$T/m.tct" | sed -n 's/^[0-9]* module \(\/[^ ]*libc\.so[^ ]*\) .*/\1/p')
mkdir -p "$T/sysroot$(dirname "$libc")"
mkfifo "$T/sysroot$libc"
timeout 20 "$TCGTRACE" stats --sysroot "$T/sysroot" "$T/m.tct" >"$T/err" 2>&1
st=$?
grep -q "cannot read '$T/sysroot$libc': not a regular file" "$T/err"
is "$st:$?" "0:0" "stats --sysroot: a FIFO in place of a module ($libc) is skipped, named in the footnote"
timeout 20 "$TCGTRACE" races --sysroot "$T/sysroot" "$T/m.tct" >/dev/null 2>&1
is "$?" 0 "races --sysroot: the same, no wait"
# A trace naming vCPU 0x2ce0000 (fuzz_commands found it), its checksums
# repaired: read as far as it goes, in bounded memory.
python3 -c 'import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
def crc32c(d):
    c = 0xffffffff
    for x in d:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0x82f63b78 if c & 1 else c >> 1
    return c ^ 0xffffffff
h = struct.unpack_from("<I", b, 12)[0]
struct.pack_into("<I", b, h - 4, crc32c(b[:h - 4]))
off = h
while off + 36 <= len(b) and b[off:off + 4] == b"TTCK":
    s = struct.unpack_from("<I", b, off + 24)[0]
    if off + 36 + s <= len(b):
        struct.pack_into("<I", b, off + 28, crc32c(b[off + 36:off + 36 + s]))
    struct.pack_into("<I", b, off + 32, crc32c(b[off:off + 32]))
    if off + 36 + s > len(b):
        break
    off += 36 + s
open(sys.argv[2], "wb").write(b)' tests/corrupt/races-huge-vcpu.tct "$T/huge.tct"
"$TCGTRACE" dump --format text "$T/huge.tct" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:tcgtrace dump: '$T/huge.tct': chunk header at byte 1516: raw size above the 64 MiB limit" \
    "dump: a trace naming vCPU 0x2ce0000, corrupt further on"
if [ -n "${ASAN_OPTIONS:-}" ]; then
    skip "races in 2 GB of address space (AddressSanitizer reserves terabytes of shadow)"
else
    (ulimit -v 2000000; timeout 20 "$TCGTRACE" races "$T/huge.tct") >/dev/null 2>"$T/err"
    is "$?:$(cat "$T/err")" "1:tcgtrace races: '$T/huge.tct': chunk header at byte 1516: raw size above the 64 MiB limit" \
        "races: the same trace is read as far as it goes, in 2 GB"
fi
finish
