#!/bin/sh
# execlog under qemu-system-riscv64 (bare metal): memory accesses carry the
# physical address and the memory region's name, byte for byte as upstream
# writes them in the same QEMU.
. tests/integration/lib.sh
. tests/integration/execlog_lib.sh
plan 9

K=$GUESTS/riscv64-virt/uart.elf
# mcycle, minstret, cycle, time and instret change between any two reads.
REGS="reg=a*,reg=s?,reg=t?,reg=ra,reg=sp,reg=pc,reg=m*status,reg=priv"

both_system "" "$K"
same_log "every instruction and access"
grep -q ', load, 0x[0-9a-f]\{8,\}, RAM' "$T/ours.log"
ok $? "loads from RAM name it"
# The UART is an anonymous region of the virt machine: QEMU names it
# anon<address> (an address of this run, hence the same-run comparison).
grep -q '"sb  *a[0-9],0(a[0-9])", store, 0x10000000, anon[0-9a-f]\{8\}$' "$T/ours.log"
ok $? "stores to the UART at physical 0x10000000"
grep -q '"sw  *a[0-9],0(a[0-9])", store, 0x00100000, riscv.sifive.test$' "$T/ours.log"
ok $? "the power-off store names the test device"

both_system "$REGS" "$K"
same_log "reg="
both_system "reg=a?,rdisas=on" "$K"
same_log "rdisas=on"
both_system "ifilter=sb,ifilter=sw,reg=a4" "$K"
same_log "ifilter= with reg="
a=$(nm "$K" | awk '$3 == "main" { print $1 }')
both_system "afilter=$a,ifilter=ld,reg=a5,rdisas=off" "$K"
same_log "afilter= and ifilter= with reg="

# Upstream asserts on a register QEMU reads as 0 bytes (reg=* here); ours
# skips it.
timeout 120 "$QEMU_BIN/qemu-system-riscv64" -M virt -bios none -nographic -monitor none \
    -serial none -kernel "$K" -plugin "$EXECLOG,reg=*,out=$T/ours.log" >/dev/null 2>"$T/err"
is "$?:$(grep -c ' mstatus -> 0x' "$T/ours.log")" "0:1" "reg=*: every register QEMU lists, mstatus set once"
done_testing
