#!/bin/sh
# execlog with several vCPUs (guest threads), fork and execve, against
# upstream's execlog in the same QEMU: each vCPU's lines are upstream's,
# except the documented difference (docs/execlog.md): when a thread exits
# and a later thread gets its vCPU index, upstream loses the first thread's
# last line, we print it.
. tests/integration/lib.sh
. tests/integration/execlog_lib.sh
plan 15

# compare_vcpus NAME NTHREADS: upstream's lines (untorn) and ours, vCPU by
# vCPU. NTHREADS threads besides the main one ran and exited: those whose
# index a later thread reused each leave one line of ours that upstream
# lacks, the exit system call ($exit_insn).
compare_vcpus() {
    untear "$T/up.log" >"$T/up.fixed"
    grep -qv '^[0-9][0-9]*, 0x' "$T/ours.log"
    is $? 1 "$1: every line of ours is whole"
    rm -f "$T"/u.* "$T"/o.*
    by_vcpu "$T/up.fixed" "$T/u" >"$T/uv"
    by_vcpu "$T/ours.log" "$T/o" >"$T/ov"
    extra=0 bad=0
    for v in $(cat "$T/ov"); do
        touch "$T/u.$v"
        diff "$T/u.$v" "$T/o.$v" >"$T/d" && continue
        # Only added lines, each an exit system call.
        if grep -v '^[0-9,a]*$' "$T/d" | grep -qv "^> $v, 0x[0-9a-f]*, 0x[0-9a-f]*, \"$exit_insn\"$"; then
            bad=1
            head -n 10 "$T/d" | sed 's/^/# /'
        fi
        extra=$((extra + $(grep -c '^>' "$T/d")))
    done
    is "$bad" 0 "$1: each vCPU's lines are upstream's, but for thread-exit lines"
    # One index per thread alive at the end of its index's use: the threads
    # minus the vCPU indices they used.
    used=$(grep -cv '^0$' "$T/ov")
    is "$extra" "$((threads - used))" "$1: one extra line per thread whose vCPU index was reused ($extra)"
}

for arch in x86_64 aarch64 riscv64; do
    case $arch in
        x86_64) exit_insn="syscall " ;;
        aarch64) exit_insn="svc #0" ;;
        riscv64) exit_insn="ecall                   " ;;
    esac
    threads=6
    both_mt "$arch" "" "$GUESTS/$arch/exec_threads" 3 3 300
    compare_vcpus "$arch: 3 threads in turn, then 3 at once"
done
threads=4
exit_insn="syscall "
both_mt x86_64 "reg=rax,reg=rsp,reg=xmm0" "$GUESTS/x86_64/exec_threads" 2 2 200
compare_vcpus "x86_64: threads with reg="

# A forked child writes to the same file; neither process writes what the
# other buffered, and lines written before an execve are not lost. The two
# processes' lines interleave differently in the two files: compare them
# sorted.
for mode in exit exec; do
    both x86_64 "" "$GUESTS/x86_64/exec_fork" 3000 "$mode"
    untear "$T/up.log" | sort >"$T/up.sorted"
    sort "$T/ours.log" >"$T/ours.sorted"
    same_file "$T/ours.sorted" "$T/up.sorted" "x86_64: fork, child ends by $mode: the same lines"
done
both aarch64 "" "$GUESTS/aarch64/exec_fork" 3000 exec
untear "$T/up.log" | sort >"$T/up.sorted"
sort "$T/ours.log" >"$T/ours.sorted"
same_file "$T/ours.sorted" "$T/up.sorted" "aarch64: fork, child ends by exec: the same lines"
done_testing
