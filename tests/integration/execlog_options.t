#!/bin/sh
# execlog's options: a bad one stops QEMU with our message; register values
# at their real width; opcodes of instructions shorter and longer than 4
# bytes (upstream's number: the first 4 bytes at most, little-endian).
. tests/integration/lib.sh
. tests/integration/execlog_lib.sh
plan 23

# refused OPTS MESSAGE: QEMU will not load the plugin and says why.
refused() {
    run_guest x86_64 -plugin "$EXECLOG,$1" "$GUESTS/x86_64/loop" 1 >"$T/out" 2>"$T/err"
    rc=$?
    grep -qF "$2" "$T/err" && grep -q "Could not load plugin" "$T/err" && [ $rc -ne 0 ] && [ ! -s "$T/out" ]
    ok $? "$1: refused, '$2'"
}
refused "frobnicate=1" "execlog: unknown option 'frobnicate'"
refused "rdisas=maybe" "execlog: bad value 'maybe' for 'rdisas' (on or off)"
refused "afilter=0xfoo" "execlog: bad value '0xfoo' for 'afilter' (a hexadecimal address)"
refused "afilter=-1" "execlog: bad value '-1' for 'afilter'"
refused "afilter=" "execlog: bad value '' for 'afilter'"
refused "afilter=10000000000000000" "execlog: bad value '10000000000000000' for 'afilter'"
refused "reg=" "execlog: bad value '' for 'reg'"
refused "format=csv" "execlog: bad value 'csv' for 'format' (text or bin)"
refused "out=$T/no/such/dir/x.log" "execlog: cannot open '$T/no/such/dir/x.log': No such file or directory"
refused "out=$T/a,out=$T/b" "execlog: option 'out' given twice"

run_guest x86_64 -plugin "$EXECLOG,reg=nosuch*,out=$T/x.log" "$GUESTS/x86_64/loop" 1 >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:execlog: reg pattern 'nosuch*' matches no register" \
    "a reg= pattern matching no register: a warning"

# Patterns are case-insensitive both ways (upstream lowercases only the
# register name).
run_guest x86_64 -plugin "$EXECLOG,reg=RAX,out=$T/x.log" "$GUESTS/x86_64/loop" 1 >/dev/null 2>&1
grep -q ', rax -> 0x[0-9a-f]\{16\}$' "$T/x.log"
ok $? "reg=RAX tracks rax"

# x86_64: exec_insns puts known values in registers of 80 and 128 bits.
# line DISAS: from the asm block on (the C library has the same
# instructions), the first line of DISAS, from its opcode on.
run_guest x86_64 -plugin "$EXECLOG,reg=xmm0,reg=st0,reg=fstat,reg=rax,out=$T/x.log" \
    "$GUESTS/x86_64/exec_insns" >/dev/null 2>&1
line() { sed -n "/$2/,\$p" "$T/x.log" | grep -F "\"$1\"" | head -n 1 | cut -d, -f3-; }
X86=movabsq.*0x1122334455667788
is "$(line 'movabsq $0x1122334455667788, %rax' "$X86")" \
    ' 0x7788b848, "movabsq $0x1122334455667788, %rax", rax -> 0x1122334455667788' \
    "x86_64: a 10-byte instruction: its first 4 bytes"
is "$(line 'punpcklqdq %xmm1, %xmm0' "$X86")" \
    ' 0xc16c0f66, "punpcklqdq %xmm1, %xmm0", xmm0 -> 0x99aabbccddeeff001122334455667788' \
    "x86_64: a 128-bit register"
is "$(line 'fld1 ' "$X86")" ' 0xe8d9, "fld1 ", st0 -> 0x3fff8000000000000000, fstat -> 0x00003800' \
    "x86_64: 80- and 32-bit registers, a 2-byte instruction"
is "$(line 'nop ' "$X86")" ' 0x90, "nop "' "x86_64: a 1-byte instruction"

run_guest aarch64 -plugin "$EXECLOG,reg=z0,reg=cpsr,out=$T/x.log" "$GUESTS/aarch64/exec_insns" >/dev/null 2>&1
z0=$(grep -F '"ins v0.d[1], x2"' "$T/x.log" | sed 's/.*z0 -> 0x//')
is "${#z0}:$(echo "$z0" | tr -d 0)" "512:99aabbccddeeff1122334455667788" \
    "aarch64: z0 at the SVE width, 2048 bits"
is "$(line 'cmp x1, x1' 'movz x1, #0x7788')" ' 0xeb01003f, "cmp x1, x1", cpsr -> 0x60000000' "aarch64: cpsr: 32 bits"

run_guest riscv64 -plugin "$EXECLOG,reg=a0,reg=ft0,out=$T/x.log" "$GUESTS/riscv64/exec_insns" >/dev/null 2>&1
is "$(grep -F '"addi                    a0,zero,5"' "$T/x.log" | head -n 1 | cut -d, -f3-)" \
    ' 0x4515, "addi                    a0,zero,5", a0 -> 0x0000000000000005' \
    "riscv64: a 2-byte (compressed) instruction"
grep -q '"fmv.d.x *ft0,a1", ft0 -> 0x1122334455667788$' "$T/x.log"
ok $? "riscv64: a floating-point register"

# The same guests against upstream, all registers: same values, same widths.
both x86_64 "reg=*" "$GUESTS/x86_64/exec_insns"
same_log "x86_64: exec_insns, reg=*"
both aarch64 "reg=*" "$GUESTS/aarch64/exec_insns"
same_log "aarch64: exec_insns, reg=*"

# A file we cannot write: counted, reported at exit.
if [ -w /dev/full ]; then
    run_guest x86_64 -plugin "$EXECLOG,out=/dev/full" "$GUESTS/x86_64/loop" 1 >/dev/null 2>"$T/err"
    grep -q "^execlog: cannot write '/dev/full': No space left on device: [1-9][0-9]* lines lost$" "$T/err"
    ok $? "a failed write is reported at exit"
else
    ok 0 "# SKIP no writable /dev/full"
fi
done_testing
