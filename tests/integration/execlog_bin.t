#!/bin/sh
# execlog format=bin: `tcgtrace dump` of the trace prints the lines the
# plugin writes in text mode, from the same QEMU run (a copy of the plugin
# writes the text: QEMU loads one file once), on every architecture, with
# registers, filters, threads and qemu-system's physical addresses.
. tests/integration/lib.sh
. tests/integration/execlog_lib.sh
plan 25

cp "$EXECLOG" "$T/libexeclog-text.so"

# text_and_bin ARCH OPTS PROG [ARGS]: ours as text into $T/text.log and as
# a trace into $T/t.tct, then the trace dumped into $T/dump.log.
text_and_bin() {
    _arch=$1 _opts=${2:+$2,}
    shift 2
    run_guest "$_arch" -plugin "$T/libexeclog-text.so,${_opts}out=$T/text.log" \
        -plugin "$EXECLOG,${_opts}format=bin,out=$T/t.tct" "$@" >/dev/null 2>"$T/err"
    "$TCGTRACE" dump "$T/t.tct" >"$T/dump.log" 2>>"$T/err"
}

# same_dump NAME: the dump is the text, and not empty.
same_dump() {
    if [ -s "$T/text.log" ]; then
        same_file "$T/dump.log" "$T/text.log" "$1 ($(wc -l <"$T/text.log") lines)"
    else
        ok 1 "$1: no text"
        sed 's/^/# /' "$T/err"
    fi
}

for arch in x86_64 x86_64-nopie; do
    text_and_bin "$arch" "" "$GUESTS/$arch/loop" 100
    same_dump "$arch: every instruction and access"
    text_and_bin "$arch" "reg=*" "$GUESTS/$arch/exec_insns"
    same_dump "$arch: reg=* (64-, 32-, 80- and 128-bit registers)"
done
text_and_bin x86_64 "reg=r?x,reg=rsp,reg=rax,rdisas=on" "$GUESTS/x86_64/loop" 100
same_dump "x86_64: rdisas=on, a register matched twice"
text_and_bin x86_64 "ifilter=call,ifilter=push,afilter=0" "$GUESTS/x86_64/loop" 100
same_dump "x86_64: ifilter=, afilter="
text_and_bin aarch64 "reg=x*,reg=sp,reg=cpsr,reg=p0" "$GUESTS/aarch64/exec_insns"
same_dump "aarch64: reg= (256-bit p0, 32-bit cpsr)"
# A record holds at most 255 bytes of a register: SVE's z0 has 256.
run_guest aarch64 -plugin "$EXECLOG,reg=z0,reg=x1,format=bin,out=$T/t.tct" "$GUESTS/aarch64/exec_insns" \
    >/dev/null 2>"$T/err"
"$TCGTRACE" dump "$T/t.tct" 2>>"$T/err" | grep -F '"movz x1, #0x7788", x1 -> 0x0000000000007788' >/dev/null &&
    grep -q "^execlog: register 'z0' has 256 bytes, a trace record at most 255: its changes are recorded as lost$" "$T/err" &&
    grep -q "the recording lost [1-9][0-9]* records" "$T/err"
ok $? "aarch64: a register wider than a record: a warning, changes counted as lost"
text_and_bin riscv64 "reg=a*,reg=ft0" "$GUESTS/riscv64/exec_insns"
same_dump "riscv64: reg="

# Upstream's exit-time artefacts are the text's alone (docs/execlog.md): a
# line ended at a filtered-out instruction is printed again at exit.
text_and_bin x86_64 "ifilter=mov,reg=rax" "$GUESTS/x86_64/loop" 100
head -n -1 "$T/text.log" >"$T/text-1.log"
same_file "$T/dump.log" "$T/text-1.log" "x86_64: ifilter= and reg=: the dump lacks the text's repeated last line"
is "$(tail -n 2 "$T/text.log" | uniq | wc -l)" 1 "x86_64: ... which repeats the line before it"

# Threads: a stream per vCPU index; dump prints each stream's lines in
# order, a thread's last line included (as text mode does).
text_and_bin x86_64 "reg=rax" "$GUESTS/x86_64/exec_threads" 3 3 300
rm -f "$T"/d.* "$T"/x.*
by_vcpu "$T/dump.log" "$T/d" >"$T/dv"
by_vcpu "$T/text.log" "$T/x" >"$T/xv"
bad=0
for v in $(cat "$T/xv"); do cmp -s "$T/x.$v" "$T/d.$v" || bad=1; done
is "$bad:$(cat "$T/dv" | tr '\n' ' ')" "0:$(cat "$T/xv" | tr '\n' ' ')" \
    "x86_64: threads: each vCPU's lines"

# qemu-system: physical addresses and region names go through the trace's
# string table.
timeout 120 "$QEMU_BIN/qemu-system-riscv64" -M virt -bios none -nographic -monitor none \
    -serial none -kernel "$GUESTS/riscv64-virt/uart.elf" \
    -plugin "$T/libexeclog-text.so,reg=a4,out=$T/text.log" \
    -plugin "$EXECLOG,reg=a4,format=bin,out=$T/t.tct" >/dev/null 2>"$T/err"
"$TCGTRACE" dump "$T/t.tct" >"$T/dump.log" 2>>"$T/err"
same_dump "riscv64 qemu-system: physical addresses, RAM and devices"

# The header names the plugin, its options and the guest's command line.
run_guest aarch64 -plugin "$EXECLOG,format=bin,out=$T/t.tct,level=3" "$GUESTS/aarch64/loop" 7 >/dev/null
head -c 4096 "$T/t.tct" | tr '\0' '\n' >"$T/head"
grep -q "format=bin,out=$T/t.tct,level=3" "$T/head" && grep -qx "$GUESTS/aarch64/loop" "$T/head" &&
    grep -qx 7 "$T/head" && grep -q aarch64 "$T/head"
ok $? "aarch64: the header: options, guest command line, architecture"
"$TCGTRACE" dump "$T/t.tct" | grep -q '^0, 0x[0-9a-f]*, 0x[0-9a-f]*, "'
ok $? "aarch64: level=3: a trace dump reads"

# A forked child records nothing (the writer is the parent's) and neither
# process hangs; the parent's trace is complete.
timeout 60 "$QEMU_BIN/qemu-x86_64" -plugin "$EXECLOG,format=bin,out=$T/t.tct" \
    "$GUESTS/x86_64/exec_fork" 1000 exit >/dev/null 2>"$T/err"
rc=$?
"$TCGTRACE" dump "$T/t.tct" >"$T/dump.log" 2>>"$T/err"
is "$rc:$?:$(grep -c 'fork' "$T/err")" "0:0:0" "x86_64: fork: the parent's trace is whole"

# linux-user: the guest's modules, threads and system calls too (shared
# with memtrace: plugins/common/procrec.c), so stats names the hottest
# code from the program's symbols (PIE on x86_64, a foreign aarch64 one).
for a in x86_64 aarch64; do
    run_guest $a -plugin "$EXECLOG,format=bin,out=$T/s.tct" "$GUESTS/$a/loop" 20000 >/dev/null
    "$TCGTRACE" stats --top 3 "$T/s.tct" >"$T/stats" 2>/dev/null
    sed -n '/^hottest code by instructions/,/^$/p' "$T/stats" | grep -c ' kernel+0x[0-9a-f]* (loop\.c:14)$' >"$T/n"
    is "$(cat "$T/n")" 3 "$a: stats names the hottest code: kernel at loop.c:14"
    "$TCGTRACE" dump --format text --kind module,thread-start,thread-exit,syscall "$T/s.tct" >"$T/procs"
    grep -q "^0 module .*/loop bias " "$T/procs" && grep -q '^0 module .*/libc\.so\.6 bias ' "$T/procs" &&
        grep -q '^0 module \[vdso\] bias ' "$T/procs" && grep -q '^0 thread-start tid [1-9]' "$T/procs" &&
        grep -q '^0 thread-exit tid [1-9][0-9]* status 0$' "$T/procs" && grep -q '^0 syscall ' "$T/procs"
    ok $? "$a: module loads (program, libc, vDSO), thread start and exit, system calls"
done

refused() { # refused OPTS MESSAGE
    run_guest x86_64 -plugin "$EXECLOG,$1" "$GUESTS/x86_64/loop" 1 >/dev/null 2>"$T/err"
    rc=$?
    grep -qF "$2" "$T/err" && grep -q "Could not load plugin" "$T/err" && [ $rc -ne 0 ]
    ok $? "$1: refused, '$2'"
}
refused "format=bin" "execlog: format=bin needs out=PATH"
refused "format=bin,out=$T/x.tct,level=x" "execlog: bad value 'x' for 'level'"
refused "format=bin,out=$T/x.tct,level=99" "execlog: bad value '99' for 'level' (a zstd level from -131072 to 22)"
refused "out=$T/x.log,level=3" "execlog: 'level' applies to format=bin only"
refused "format=bin,out=$T/no/such/x.tct" "execlog: cannot open '$T/no/such/x.tct': No such file or directory"
done_testing
