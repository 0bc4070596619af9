#!/usr/bin/perl
# Normalises execlog lines for comparing a run under QEMU 7.2 (our plugin
# API v1 build) with one under QEMU 10.0 (the v4 build). Every difference
# QEMU 7.2 is expected to make is undone here, and nothing else (see
# docs/qemu-versions.md):
#   --v1     the lines come from QEMU 7.2:
#            - riscv64 disassembly starts with the instruction's bytes, and
#              shows lui/auipc immediates shifted left by 12;
#            - an aarch64 ldp/stp makes two accesses (QEMU 10: one of 16 or
#              8 bytes): the first is kept;
#            - a physical address in the riscv virt board's boot ROM (0x1000)
#              is offset by its RAM block's 0x8000000 (7.2's
#              qemu_plugin_hwaddr_phys_addr adds the block's ram_addr);
#   --stack  user mode: addresses at or above 0x10000000 (the stack, with or
#            without -R) become offsets from the first one seen; the two
#            QEMUs place the stack differently;
#   always:  memory regions named anon<host address> become anon.
use strict;
use warnings;
no warnings 'portable';

my ($v1, $stack);
for (@ARGV) { $v1 = 1 if $_ eq '--v1'; $stack = 1 if $_ eq '--stack'; }
@ARGV = ();
my $base;
while (<>) {
    chomp;
    my ($head, $dis, $acc) = /^(\d+, 0x[0-9a-f]+, 0x[0-9a-f]+, )"(.*)"(.*)$/ or die "not an execlog line: $_\n";
    if ($v1) {
        $dis =~ s/^[0-9a-f]{4,8} +//;
        $dis =~ s{^((?:auipc|lui) +)(\w+),(-?\d+)( +#)?}{sprintf($4 ? "%s%-24s#" : "%s%s", $1, "$2," . ($3 >> 12))}e;
        $acc =~ s/^(, (?:load|store), 0x[0-9a-f]+), (?:load|store), 0x[0-9a-f]+$/$1/ if $dis =~ /^(?:ldp|stp) /;
        $acc =~ s{, 0x(080010[0-9a-f]{2}), RAM$}{sprintf ", 0x%08x, RAM", hex($1) - 0x8000000}e;
    }
    if ($stack) {
        $acc =~ s{0x([0-9a-f]+)}{my $a = hex $1; $a < 0x10000000 ? "0x$1" : do { $base //= $a; sprintf "stack%+d", $a - $base }}ge;
    }
    $acc =~ s/, anon[0-9a-f]+$/, anon/;
    print "$head\"$dis\"$acc\n";
}
