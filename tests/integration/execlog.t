#!/bin/sh
# execlog against QEMU 10.0's own contrib execlog, loaded in the same QEMU:
# the same lines, byte for byte, on every guest architecture, with and
# without reg=, rdisas=, ifilter= and afilter= (single-threaded guests).
. tests/integration/lib.sh
. tests/integration/execlog_lib.sh
plan 25

loop() { echo "$GUESTS/$1/loop"; }

# The address of a guest function, for afilter= (nm's zero-padded hex).
sym() { nm "$1" | awk -v s="$2" '$3 == s { print $1 }'; }

# pcs N M ARCH: the addresses of lines N and M of ours alone, for afilter=
# (aarch64 and riscv64 addresses are the same from run to run under -R).
pcs() {
    run_guest "$3" -plugin "$EXECLOG,out=$T/probe.log" "$(loop "$3")" 100 >/dev/null 2>&1
    sed -n "$1p;$2p" "$T/probe.log" | cut -d, -f2 | tr -d ' '
}

for arch in x86_64 x86_64-nopie; do
    both "$arch" "" "$(loop $arch)" 100
    same_log "$arch: every instruction and access"
    both "$arch" "reg=*" "$(loop $arch)" 100
    same_log "$arch: reg=* (64-, 32-, 80- and 128-bit registers)"
    both "$arch" "reg=r?x,reg=rsp,rdisas=on" "$(loop $arch)" 100
    same_log "$arch: rdisas=on"
    # A filtered-out instruction after a traced one checks registers and
    # ends the line early; at exit upstream prints that line again.
    both "$arch" "ifilter=mov,ifilter=call,reg=rax" "$(loop $arch)" 100
    same_log "$arch: ifilter= with reg="
done

p=$(loop x86_64-nopie)
both x86_64-nopie "afilter=$(sym "$p" kernel),afilter=0x$(sym "$p" main),reg=rax,reg=rdi" "$p" 100
same_log "x86_64-nopie: afilter= (with and without 0x), reg="
both x86_64 "ifilter=ret,reg=rsp,rdisas=on" "$(loop x86_64)" 100
same_log "x86_64: ifilter= with rdisas=on (a named register overrides the filter)"
both x86_64 "ifilter=nosuchinsn" "$(loop x86_64)" 100
same_log "x86_64: an ifilter= nothing matches (upstream's empty last line)"

both aarch64 "" "$(loop aarch64)" 100
same_log "aarch64: every instruction and access"
both aarch64 "reg=x*,reg=sp,reg=cpsr,reg=z0,reg=p0,reg=fpsr" "$(loop aarch64)" 100
same_log "aarch64: reg= (64-, 32-, 256- and 2048-bit registers)"
both aarch64 "reg=x1*,reg=sp,rdisas=on" "$(loop aarch64)" 100
same_log "aarch64: rdisas=on"
both aarch64 "ifilter=ldr,ifilter=b.,reg=x0" "$(loop aarch64)" 100
same_log "aarch64: ifilter= with reg="
set -- $(pcs 20000 20001 aarch64)
both aarch64 "afilter=$1,afilter=$2,reg=x*,rdisas=off" "$(loop aarch64)" 100
same_log "aarch64: afilter= with reg=, rdisas=off"

# riscv64's seed, cycle, time and instret change between any two reads:
# the two plugins would see different values.
RV_REGS="reg=a*,reg=t?,reg=s?,reg=s??,reg=f*,reg=pc,reg=ra,reg=gp,reg=tp"
both riscv64 "" "$(loop riscv64)" 100
same_log "riscv64: every instruction and access (2- and 4-byte opcodes)"
both riscv64 "$RV_REGS" "$(loop riscv64)" 100
same_log "riscv64: reg="
both riscv64 "reg=a?,reg=sp,rdisas=on" "$(loop riscv64)" 100
same_log "riscv64: rdisas=on"
both riscv64 "ifilter=sd,ifilter=ld,reg=a0" "$(loop riscv64)" 100
same_log "riscv64: ifilter= with reg="
set -- $(pcs 30000 30001 riscv64)
both riscv64 "afilter=$1,afilter=$2,ifilter=ret,reg=a0,rdisas=on" "$(loop riscv64)" 100
same_log "riscv64: afilter= and ifilter= with reg=, rdisas=on"

# By default the lines go where upstream's go, QEMU's log (-d plugin),
# in large blocks: separate runs, whose addresses are the same under -R
# (register values are not: the pid, the random bytes of the auxv).
run_guest aarch64 -plugin "$UPSTREAM_EXECLOG" -d plugin -D "$T/up.log" "$(loop aarch64)" 100 >/dev/null
run_guest aarch64 -plugin "$EXECLOG" -d plugin -D "$T/ours.log" "$(loop aarch64)" 100 >/dev/null
same_log "aarch64: default output into QEMU's log"
run_guest aarch64 -plugin "$EXECLOG" "$(loop aarch64)" 100 >"$T/out" 2>"$T/err"
is "$(cat "$T/out"; wc -c <"$T/err")" "loop 100 100
0" "aarch64: default output without -d plugin: nothing, like upstream"

# 50 M instructions in a test would be slow; a buffer's worth is enough to
# check lines that straddle flushes.
both x86_64 "reg=rax,reg=rcx" "$GUESTS/x86_64/exec_spin" 20000
same_log "x86_64: several buffers' worth of lines, flushed whole"
lines=$(wc -l <"$T/ours.log")
[ "$lines" -gt 200000 ]
ok $? "x86_64: exec_spin 20000 traced $lines lines"
done_testing
