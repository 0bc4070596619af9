#!/bin/sh
# Every guest program runs under QEMU on every architecture and prints what
# it computes: the ground the other integration tests stand on.
. tests/integration/lib.sh
plan 17

for a in x86_64 x86_64-nopie aarch64 riscv64; do
    is "$(run_guest "$a" "$GUESTS/$a/loop" 300 2>&1)" "loop 300 44" "$a: loop"
    is "$(run_guest "$a" "$GUESTS/$a/regions" 3 2>&1)" "regions threads=3 sum=6 stack=5" "$a: regions"
    is "$(run_guest "$a" "$GUESTS/$a/mutex_counter" 4 500 2>&1)" "counter 2000 (expected 2000)" "$a: mutex_counter"
    # Two threads really run at once under QEMU, so even 10 increments each
    # can lose updates (it happened in CI): any count from 2 (the bound for
    # unsynchronised increments) to 20 is right.
    out=$(run_guest "$a" "$GUESTS/$a/racy_counter" 2 10 2>&1)
    n=$(expr "$out" : 'counter \([0-9]*\) (expected 20)$')
    [ -n "$n" ] && [ "$n" -ge 2 ] && [ "$n" -le 20 ]
    ok $? "$a: racy_counter counts 2 to 20 (got: $out)"
done

out=$(timeout 60 "$QEMU_BIN/qemu-system-riscv64" -M virt -bios none -nographic -monitor none \
    -serial stdio -kernel "$GUESTS/riscv64-virt/uart.elf" 2>&1)
is "$out" "baremetal ok" "riscv64 bare metal under qemu-system"
done_testing
