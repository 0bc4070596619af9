#!/bin/sh
# Every way a traced program ends (tests/guests/robust_end.c), under both
# plugins in bin mode and execlog in text mode: its status passes through
# QEMU, the trace is whole (it has its trailer) and holds what the program
# did last (the store of the marker 0x5eed just before the end); QEMU
# killed with SIGKILL leaves a trace readable up to its last whole chunk
# that the reader says was cut short (a text log may end in the middle of
# a line: the kernel stops a write(2) at a page when SIGKILL comes);
# signal handlers are traced on the thread they run on; execve and fork
# as docs/robustness.md says.
. tests/integration/lib.sh
. tests/integration/execlog_lib.sh
. tests/integration/robust_lib.sh

MT=$PLUGINS/libmemtrace.so

# bin ARCH PLUGIN MODE...: runs robust_end MODE under PLUGIN (format=bin),
# the trace in $T/t.tct, status in $st; then dumps it as text into
# $T/dump (dump's status in $dst, its message in $T/derr).
bin() {
    _arch=$1 _plugin=$2
    shift 2
    rm -f "$T/t.tct"
    run_guest "$_arch" -plugin "$_plugin,format=bin,out=$T/t.tct" "$GUESTS/$_arch/robust_end" "$@" \
        >"$T/out" 2>"$T/err"
    st=$?
    "$TCGTRACE" dump --format text "$T/t.tct" >"$T/dump" 2>"$T/derr"
    dst=$?
}

# marker_in FILE: the store of 0x5eed (memtrace: with its value; execlog
# traces the value of every access too).
marker_in() { grep -q ' mem store 0x[0-9a-f]* 4 pc 0x[0-9a-f]* value 0x00005eed$' "$1"; }

# status: 128 + signal for a guest killed by one (QEMU kills itself with it).
for a in x86_64 aarch64; do
    for p in memtrace execlog; do
        for m in "exit 3:3" "thread-exit 5:5" "segv:139" "segv-thread:139" "abort:134"; do
            mode=${m%:*} want=${m##*:}
            # shellcheck disable=SC2086
            bin "$a" "$PLUGINS/lib$p.so" $mode
            is "$st:$dst:$(cat "$T/derr")" "$want:0:" "$a $p bin, $mode: status $want, a whole trace"
            marker_in "$T/dump"
            ok $? "$a $p bin, $mode: the last store before the end is in it"
        done
    done
done

# A program that closes every descriptor from 3 up, as daemons do, then
# opens a file: the trace's descriptor is the writer thread's alone, so
# the trace is whole and the program's file holds its own line only (the
# trace's chunks used to go into it).
for a in x86_64 aarch64; do
    for p in memtrace execlog; do
        rm -f "$T/guest.out"
        bin "$a" "$PLUGINS/lib$p.so" close-all "$T/guest.out"
        is "$st:$dst:$(cat "$T/derr"):$(cat "$T/guest.out")" "0:0::guest" \
            "$a $p bin, close-all: status 0, a whole trace, the program's file as it wrote it"
        marker_in "$T/dump"
        ok $? "$a $p bin, close-all: the last store before the end is in it"
    done
done

# The same in text mode: the log's descriptor and memtrace's regions=
# move out of the way of the guest's close_range, or are opened again
# after it. The guest's file gets its line alone, and every access
# memtrace traced has its line (before: lines lost, or in the guest's
# file).
for a in x86_64 aarch64; do
    rm -f "$T/guest.out" "$T/t.log" "$T/r.txt"
    run_guest "$a" -plugin "$MT,out=$T/t.log,regions=$T/r.txt" "$GUESTS/$a/robust_end" close-all "$T/guest.out" \
        >/dev/null 2>"$T/err"
    st=$?
    traced=$(sed -n 's/^memtrace: \([0-9]*\) memory accesses traced$/\1/p' "$T/err")
    is "$st:$(cat "$T/guest.out"):$(grep -c cannot "$T/err"):$(wc -l <"$T/t.log")" "0:guest:0:${traced:-none}" \
        "$a memtrace text, close-all: status 0, the program's file as it wrote it, a line per access traced"
    ok "$([ -s "$T/r.txt" ] && ! grep -qvE '^[0-9a-f]{16}-[0-9a-f]{16}$' "$T/r.txt"; echo $?)" \
        "$a memtrace text, close-all: regions= written at exit"
done
rm -f "$T/guest.out" "$T/t.log"
run_guest x86_64 -plugin "$PLUGINS/libexeclog.so,out=$T/t.log" "$GUESTS/x86_64/robust_end" close-all "$T/guest.out" \
    >/dev/null 2>"$T/err"
is "$?:$(cat "$T/guest.out"):$(grep -c cannot "$T/err"):$(grep -c 'movl \$0x5eed' "$T/t.log")" "0:guest:0:1" \
    "x86_64 execlog text, close-all: status 0, the program's file as it wrote it, the marker's store logged"

# A program that removes the trace while it is written (an rm -rf of its
# directory): what it held is gone with its name, and the plugin says so.
for p in memtrace execlog; do
    run_guest x86_64 -plugin "$PLUGINS/lib$p.so,format=bin,out=$T/gone.tct" "$GUESTS/x86_64/robust_end" unlink \
        "$T/gone.tct" >/dev/null 2>"$T/err"
    is "$?:$(grep -c "^$p: '$T/gone.tct' was removed while it was written: its [0-9]* records are gone\$" "$T/err")" \
        "0:1" "$p bin, the program removes the trace: status 0, and the plugin says the records are gone"
done

# memtrace records each thread's start and exit; a thread that dies with
# the process (exit_group from another thread, a fatal signal) has no exit.
bin x86_64 "$MT" thread-exit 5
is "$(grep -c '^[0-9]* thread-start tid' "$T/dump"):$(grep -c '^[0-9]* thread-exit tid' "$T/dump")" "2:1" \
    "memtrace bin, exit_group from a thread: two threads start, the one that called it exits"
bin x86_64 "$MT" segv-thread
is "$(grep -c '^[0-9]* thread-start tid' "$T/dump"):$(grep -c '^[0-9]* thread-exit tid' "$T/dump")" "2:0" \
    "memtrace bin, SIGSEGV in a thread: two threads start, none exits"

# The process ends (exit_group from a thread) while main is inside the
# plugin's mmap-return callback, held there 0.5 s by an interposer on
# readlink(2), which procrec calls there: the exit waits for the callback,
# whose records are in the trace. It used to free the stream the callback
# went on writing to (a heap-use-after-free under make sanitize).
cc -std=c11 -D_GNU_SOURCE -O1 -shared -fPIC -o "$T/slow_readlink.so" tests/integration/slow_readlink.c -ldl || exit 1
cp "$GUESTS/x86_64/robust_end" "$T/slowmap.elf"
for p in memtrace execlog; do
    rm -f "$T/flag" "$T/t.tct"
    env SLOW_READLINK_FLAG="$T/flag" LD_PRELOAD="$T/slow_readlink.so" "$(qemu_for x86_64)" -U LD_PRELOAD \
        -plugin "$PLUGINS/lib$p.so,format=bin,out=$T/t.tct" "$GUESTS/x86_64/robust_end" map-exit "$T/slowmap.elf" \
        "$T/flag" >/dev/null 2>&1
    st=$?
    "$TCGTRACE" dump --format text "$T/t.tct" >"$T/dump" 2>"$T/derr"
    is "$st:$?:$(cat "$T/derr"):$(grep -c "^0 module $T/slowmap.elf " "$T/dump")" "4:0::1" \
        "$p bin, exit_group while main is in a syscall callback: a whole trace, with that callback's module record"
done

# execlog text: the same lines as QEMU's own execlog in the same run,
# whatever the end (upstream writes each vCPU's last line at exit too).
for m in "exit 3" "segv" "abort"; do
    # shellcheck disable=SC2086
    both x86_64 "" "$GUESTS/x86_64/robust_end" $m
    same_log "x86_64 execlog text, $m: the same lines as upstream's"
done
# Two threads: upstream's own vCPU-array race (execlog_lib.sh) can crash
# QEMU or lose its lines; a few runs until one compares.
for m in "thread-exit 5" "segv-thread"; do
    try=0
    while :; do
        # shellcheck disable=SC2086
        both x86_64 "" "$GUESTS/x86_64/robust_end" $m
        sort "$T/ours.log" >"$T/ours.sorted"
        untear "$T/up.log" | sort >"$T/up.sorted"
        try=$((try + 1))
        cmp -s "$T/ours.sorted" "$T/up.sorted" || [ $try -ge 5 ] || continue
        break
    done
    same_file "$T/ours.sorted" "$T/up.sorted" "x86_64 execlog text, $m: the same lines as upstream's (sorted; run $try)"
done

# Signal handlers on every thread: each of 5 threads (main and 4 others)
# stores its number + 1 into its slot from the handler, on its own vCPU.
for a in x86_64 aarch64; do
    run_guest "$a" -plugin "$MT,format=bin,out=$T/m.tct" -plugin "$PLUGINS/libexeclog.so,format=bin,out=$T/e.tct" \
        "$GUESTS/$a/robust_end" signals 4 >"$T/out" 2>"$T/err"
    ok $? "$a: signals on 5 threads: the guest's own check"
    handler=$(cut -d' ' -f2 "$T/out") slots=$(cut -d' ' -f4 "$T/out")
    "$TCGTRACE" dump --format text "$T/m.tct" | python3 -c '
import sys
base = int(sys.argv[1], 16)
seen = {}
for l in sys.stdin:
    f = l.split()
    if len(f) == 9 and f[1:3] == ["mem", "store"] and base <= int(f[3], 16) < base + 20:
        seen[int(f[-1], 16)] = f[0]
print(sorted(seen), len(set(seen.values())))' "$slots" >"$T/slots"
    is "$(cat "$T/slots")" "[1, 2, 3, 4, 5] 5" "$a memtrace: the 5 handlers' stores, from 5 vCPUs"
    h=$(printf '%x' "$handler")
    "$TCGTRACE" dump --format execlog "$T/e.tct" | grep -c "^[0-9]*, 0x0*$h, " >"$T/n"
    is "$(cat "$T/n")" 5 "$a execlog: the handler's first instruction on 5 vCPUs"
done

# QEMU killed: the trace reads up to its last whole chunk, then says it
# was cut short; stats says so too and counts what is there.
for p in memtrace execlog; do
    rm -f "$T/k.tct"
    (exec "$(qemu_for x86_64)" -plugin "$PLUGINS/lib$p.so,format=bin,out=$T/k.tct" "$GUESTS/x86_64/robust_end" spin) \
        >/dev/null 2>&1 &
    pid=$!
    # Until a few chunks are out (or 30 s): memtrace's first chunk is
    # 110 KB (2.5 million records); execlog's first definitions 125 KB and
    # its first data chunks 165 KB (820,000 records), 5 KB, 5 KB (a million
    # each). Not many more: dump and stats read them all.
    case $p in memtrace) size=100000 ;; *) size=300000 ;; esac
    i=0
    while [ "$(stat -c %s "$T/k.tct" 2>/dev/null || echo 0)" -lt $size ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -KILL $pid
    wait $pid 2>/dev/null
    "$TCGTRACE" dump --format text "$T/k.tct" >"$T/dump" 2>"$T/derr"
    is "$?:$(sed 's/at byte [0-9]*/at byte N/' "$T/derr")" \
        "1:tcgtrace dump: '$T/k.tct': trace cut short at byte N: no trailer (the recording did not finish)" \
        "$p bin, QEMU killed: dump reads it and says it was cut short"
    n=$(grep -c . "$T/dump")
    "$TCGTRACE" stats --json "$T/k.tct" >"$T/stats" 2>/dev/null
    is "$?:$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["state"], d["totals"]["records"])' "$T/stats")" \
        "0:cut-short $n" "$p bin, QEMU killed: stats counts the same $n records, state cut-short"
    [ "$n" -gt 1000000 ]
    ok $? "$p bin, QEMU killed: $n records before the cut (more than a chunk)"
done
# SIGTERM (kill, timeout, tcgtrace record passing it on) to a guest with no
# handler for it ends QEMU at once, as SIGKILL does: QEMU runs no plugin
# exit, so the trace is cut short the same way (docs/robustness.md).
rm -f "$T/k.tct"
(exec "$(qemu_for x86_64)" -plugin "$MT,format=bin,out=$T/k.tct" "$GUESTS/x86_64/robust_end" spin) >/dev/null 2>&1 &
pid=$!
i=0
while [ "$(stat -c %s "$T/k.tct" 2>/dev/null || echo 0)" -lt 100000 ] && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -TERM $pid
{ wait $pid; st=$?; } 2>/dev/null
"$TCGTRACE" dump --format text "$T/k.tct" >/dev/null 2>"$T/derr"
is "$st:$?:$(sed 's/at byte [0-9]*/at byte N/' "$T/derr")" \
    "143:1:tcgtrace dump: '$T/k.tct': trace cut short at byte N: no trailer (the recording did not finish)" \
    "memtrace bin, QEMU sent SIGTERM: status 143, the trace is cut short as with SIGKILL"

# execve replaces QEMU (the new program runs untraced). Text lines before
# it are written (memtrace_fork.t, execlog_threads.t); a bin trace is sealed
# there: whole, its trailer written, the execve its last record. A failed
# execve unseals it: the trace goes on to the guest's exit.
# syscalls FILE: system calls in a dump (memtrace's records, execlog's
# instructions).
syscalls() { grep -c -e '^0 syscall ' -e '^0 insn .*"syscall "$' "$1"; }
for p in memtrace execlog; do
    bin x86_64 "$PLUGINS/lib$p.so" execve /bin/true
    is "$st:$dst:$(cat "$T/derr")" "0:0:" "$p bin, execve: the status of the new program; a whole trace"
    marker_in "$T/dump"
    ok $? "$p bin, execve: the records before execve are in the trace"
    n=$(syscalls "$T/dump")
    bin x86_64 "$PLUGINS/lib$p.so" execve "$T/no-such-program"
    is "$st:$dst:$(cat "$T/derr")" "98:0:" "$p bin, execve fails: the guest goes on (status 98); a whole trace"
    [ "$(syscalls "$T/dump")" -gt "$n" ]
    ok $? "$p bin, execve fails: the system calls after it are recorded too ($n before)"
    # A thread running guest code at the execve hands its buffer over at
    # its next record: what it did is in the trace, nothing lost.
    bin x86_64 "$PLUGINS/lib$p.so" execve-busy /bin/true
    is "$st:$dst:$(cat "$T/derr")" "0:0:" "$p bin, execve while another thread works: a whole trace, nothing lost"
    grep -q ' mem store 0x[0-9a-f]* 4 pc 0x[0-9a-f]* value 0x0000b05e$' "$T/dump"
    ok $? "$p bin, execve while another thread works: that thread's records are in the trace"
    # The execve fails: the parked thread goes on, the process ends.
    bin x86_64 "$PLUGINS/lib$p.so" execve-busy "$T/no-such-program"
    is "$st:$dst:$(cat "$T/derr")" "98:0:" "$p bin, execve fails while another thread works: status 98, whole, nothing lost"
done

# A thread that records nothing more (memtrace, a loop on registers) cannot
# be made to hand its buffer over: the seal waits for it 1 s, then
# counts what it holds lost, and says why.
bin x86_64 "$MT" execve-idle /bin/true
"$TCGTRACE" stats "$T/t.tct" >"$T/stats" 2>&1
lost=$(sed -n 's/^lost  *\([0-9]*\) records (.*, threads running guest code when execve replaced the process)$/\1/p' \
    "$T/stats")
[ "$st:$dst" = "0:0" ] && [ "${lost:-0}" -gt 0 ] &&
    grep -q "^tcgtrace dump: warning: '$T/t.tct': the recording lost $lost records: threads running guest code when execve replaced the process$" "$T/derr"
ok $? "memtrace bin, execve while another thread loops on registers: its records counted lost, and why ($lost; $(head -c 300 "$T/derr"))"
"$TCGTRACE" races "$T/t.tct" >/dev/null 2>"$T/rerr"
is "$?:$(cat "$T/rerr")" "0:tcgtrace races: warning: the recording lost $lost records (threads running guest code when execve replaced the process): races may be missing, or reported falsely
tcgtrace races: warning: the program called execve: what it ran next was not traced, nor looked at for races" \
    "races on that trace: the writer's losses in its warning, with why; and the execve"
bin x86_64 "$MT" execve-idle "$T/no-such-program"
is "$st:$dst:$(cat "$T/derr")" "98:0:" "memtrace bin, execve fails while another thread loops on registers: nothing lost"

# fork in bin mode: the parent's trace is whole, the child records nothing
# and says so (execlog_bin.t has execlog's).
run_guest x86_64 -plugin "$MT,format=bin,out=$T/f.tct" "$GUESTS/x86_64/exec_fork" 1000 exit >/dev/null 2>"$T/err"
st=$?
"$TCGTRACE" dump --format text "$T/f.tct" >/dev/null 2>"$T/derr"
is "$st:$?:$(grep -c 'memtrace: a forked child: format=bin records the first process only' "$T/err")" "0:0:1" \
    "memtrace bin, fork: the parent's trace is whole; the child says it records nothing"
finish
