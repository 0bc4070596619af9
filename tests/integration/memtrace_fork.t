#!/bin/sh
# A forking guest under memtrace: parent and child write to one trace file;
# each line is written once (the child never repeats what the parent had
# buffered) and each process counts its own accesses; a child that calls
# execve has its lines written before QEMU is replaced.
. tests/integration/lib.sh
plan 8

for a in x86_64 aarch64; do
    run_guest "$a" -plugin "$PLUGINS/libmemtrace.so,out=$T/trace" "$GUESTS/$a/exec_fork" 1000 \
        >/dev/null 2>"$T/err"
    ok $? "$a: fork"
    counts=$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err" | sort -n)
    lines=$(wc -l <"$T/trace" | tr -d ' ')
    is "$(echo $counts | wc -w | tr -d ' ') $(($(echo $counts | tr ' ' '+')))" "2 $lines" \
        "$a: two counts, parent's and child's, adding up to the $lines lines"
    # The child's own loop alone stores and loads 1000 times each.
    [ "$(echo $counts | cut -d' ' -f1)" -ge 2000 ]
    ok $? "$a: the child counts its own accesses: $(echo $counts | cut -d' ' -f1)"

    run_guest "$a" -plugin "$PLUGINS/libmemtrace.so,out=$T/trace" "$GUESTS/$a/exec_fork" 1000 exec \
        >/dev/null 2>"$T/err"
    parent=$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err")
    lines=$(wc -l <"$T/trace" | tr -d ' ')
    [ "$lines" -ge $((parent + 2000)) ]
    ok $? "$a: the child's lines before execve are written ($lines lines, parent $parent)"
done
done_testing
