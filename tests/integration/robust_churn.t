#!/bin/sh
# Thread churn (tests/guests/robust_churn.c): 1,000 threads, 600 created
# and joined one after the other and 400 in batches of 50 alive at once.
# Every thread is traced (memtrace: its start and exit records, with its
# own tid; execlog: its first instruction), the traces read in merged
# order too, and QEMU's peak memory with either plugin does not grow with
# the number of threads: from 1,000 to 5,000 threads it may grow by
# RSS_SLACK KiB at most, where keeping a buffer per thread (1 MiB for a
# binary stream, 256 KiB for a text one) would take gigabytes
# (docs/robustness.md has the measurements).
. tests/integration/lib.sh
. tests/integration/robust_lib.sh

RSS_SLACK=12288
G=$GUESTS/x86_64/robust_churn

run_guest x86_64 -plugin "$PLUGINS/libmemtrace.so,format=bin,out=$T/m.tct" \
    -plugin "$PLUGINS/libexeclog.so,format=bin,out=$T/e.tct" "$G" 600 8 50 >"$T/out" 2>"$T/err"
is "$?:$(cut -d' ' -f1-2 "$T/out")" "0:threads 1000" "1,000 threads under both plugins"

"$TCGTRACE" dump --kind thread-start,thread-exit --format text "$T/m.tct" >"$T/threads" 2>"$T/derr"
is "$?:$(cat "$T/derr")" "0:" "memtrace: the trace reads"
is "$(grep -c ' thread-start tid ' "$T/threads"):$(grep -c ' thread-exit tid ' "$T/threads")" "1001:1001" \
    "memtrace: a start and an exit record for each thread, main included"
is "$(sed -n 's/.* thread-start tid \([0-9]*\)$/\1/p' "$T/threads" | sort -u | wc -l | tr -d ' ')" 1001 \
    "memtrace: 1,001 different thread ids"
"$TCGTRACE" stats --json "$T/m.tct" >"$T/stats" 2>"$T/serr"
is "$?:$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["state"])' "$T/stats")" "0:complete" \
    "memtrace: stats reads it to its end"
"$TCGTRACE" races "$T/m.tct" >/dev/null 2>"$T/rerr"
rc=$?
ok "$([ $rc = 0 ] || [ $rc = 66 ]; echo $?)" "memtrace: races reads it in merged order (status $rc)"

body=$(printf '%x' "$(cut -d' ' -f4 "$T/out")")
is "$("$TCGTRACE" dump --format execlog "$T/e.tct" 2>&1 | grep -c "^[0-9]*, 0x0*$body, ")" 1000 \
    "execlog: the threads' function begins 1,000 times"

# rss ARGS...: peak resident set of a QEMU run, in KiB.
rss() {
    python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$(qemu_for x86_64)" "$@"
}
# Under AddressSanitizer (make sanitize) its quarantine and shadow memory
# grow with the allocations: the measure means nothing there.
asan=$(readelf -d "$PLUGINS/libmemtrace.so" | grep -c 'NEEDED.*libasan')
for p in "memtrace,format=bin" "execlog,format=bin" "memtrace" "execlog"; do
    name=${p%%,*} opts=${p#"$name"}
    label=${opts#,}
    if [ "$asan" != 0 ]; then
        skip "$name ${label:-format=text}: peak RSS under AddressSanitizer"
        continue
    fi
    few=$(rss -plugin "$PLUGINS/lib$name.so$opts,out=$T/t" "$G" 1000)
    many=$(rss -plugin "$PLUGINS/lib$name.so$opts,out=$T/t" "$G" 5000)
    [ $((many - few)) -lt $RSS_SLACK ]
    ok $? "$name ${label:-format=text}: peak RSS $few KiB with 1,000 threads, $many KiB with 5,000"
done
finish
