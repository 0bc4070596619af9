#!/bin/sh
# tcgtrace stats on traces recorded from real guests on x86_64, aarch64 and
# riscv64: the loop guest (tests/guests/loop.c: kernel() does N loads of
# src and N stores to dst) named down to kernel and loop.c:LINE with exact
# access counts, a guest of 6 threads over fewer vCPUs, and an execution
# trace ranked by instructions.
. tests/integration/lib.sh
plan 62

N=20000 # enough for kernel's accesses to outrank the dynamic loader's
M=5000  # iterations of each of exec_threads' 5 workers

# kernel()'s first and last lines in its source.
kfirst=$(grep -n 'void kernel(' tests/guests/loop.c | cut -d: -f1)
klast=$(awk -v f="$kfirst" 'NR > f && /^}/ { print NR; exit }' tests/guests/loop.c)

# q FILE EXPR: a Python expression over the JSON document d; helpers:
# fn(name) the hot_functions entry of a function, code(name) the hot_code
# entries in it, data(name) the hot_data entry of a symbol.
q() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
def fn(name): return [e for e in d["hot_functions"]["entries"] if e["function"] == name][0]
def code(name): return [e for e in d["hot_code"]["entries"] if e["function"] == name]
def data(name): return [e for e in d["hot_data"]["entries"] if e["name"] == name][0]
def sysc(name): return [s for s in d["syscalls"] if s["name"] == name]
print(eval(sys.argv[2]))' "$1" "$2"
}

for arch in $ARCHS; do
    # x86_64's ret loads the return address from the stack (traced: it is
    # writable); the others return through a register.
    ret=0
    [ "$arch" = x86_64 ] && ret=1

    "$TCGTRACE" record --tool=mem -o "$T/$arch.tct" -- "$GUESTS/$arch/loop" $N >/dev/null 2>"$T/err"
    ok $? "$arch: record the loop guest"
    "$TCGTRACE" stats --json --top 0 "$T/$arch.tct" >"$T/$arch.json" 2>"$T/err"
    is "$?:$(cat "$T/err")" "0:" "$arch: stats --json, status 0, nothing on stderr"
    is "$(q "$T/$arch.json" 'd["state"], d["lost"]["records"], d["totals"]["threads"], d["totals"]["vcpus"], len(d["threads"][0]["tids"])')" \
        "('complete', 0, 1, 1, 1)" "$arch: complete, no record lost, one thread on one vCPU"
    # A foreign guest's loader is /lib/ld-linux-*.so.1 to it: found in the
    # default sysroot, not on the host.
    is "$(q "$T/$arch.json" 'd["symbol_errors"], len(d["modules"]) >= 3')" "([], True)" \
        "$arch: every module's file found (the loader, libc, the program)"
    # The guest's printf allocates stdout's buffer: a heap event, which no
    # record count includes (the same records as tcgtrace record's count).
    is "$(q "$T/$arch.json" 'd["totals"]["heap_events"] >= 1, d["totals"]["records"] == sum(t["records"] for t in d["threads"])')" \
        "(True, True)" "$arch: heap events counted apart from the records"
    calls=$("$TCGTRACE" dump --kind call "$T/$arch.tct" | wc -l)
    is "$(q "$T/$arch.json" 'd["totals"]["calls"]'):$([ "$calls" -gt 0 ] && echo some || echo none)" \
        "$calls:$([ "$arch" = x86_64 ] && echo none || echo some)" \
        "$arch: the $calls calls counted apart from the records too (x86_64's call stores its return address: none)"
    want=None
    [ "$arch" != x86_64 ] && want=$(sysroot "$arch")
    is "$(q "$T/$arch.json" 'd["recording"]["sysroot"]')" "$want" "$arch: the sysroot the trace recorded ($want)"
    if [ "$arch" != x86_64 ]; then
        "$TCGTRACE" stats --json --sysroot / "$T/$arch.tct" >"$T/$arch-nosysroot.json"
        loader=$(q "$T/$arch.json" '[m["path"] for m in d["modules"] if "/ld-linux" in m["path"]][0]')
        is "$(q "$T/$arch-nosysroot.json" '[e.split(":")[0] for e in d["symbol_errors"]]')" \
            "[\"cannot open '$loader'\"]" "$arch: --sysroot /: its loader $loader is not found"
    else
        echo "ok $((_n += 1)) # SKIP $arch: the host's own files need no sysroot"
    fi

    top=$(q "$T/$arch.json" 'd["hot_code"]["entries"][0]["function"], d["hot_code"]["entries"][0]["file"].endswith("/loop.c") or d["hot_code"]["entries"][0]["file"] == "loop.c"')
    line=$(q "$T/$arch.json" 'd["hot_code"]["entries"][0]["line"]')
    ok $([ "$top" = "('kernel', True)" ] && [ "$line" -ge "$kfirst" ] && [ "$line" -le "$klast" ]; echo $?) \
        "$arch: the hottest code address is in kernel at loop.c:$line (kernel: lines $kfirst-$klast)"
    is "$(q "$T/$arch.json" 'sorted((e["reads"], e["writes"], e["read_bytes"] + e["write_bytes"]) for e in code("kernel") if e["reads"] + e["writes"] >= '$N')')" \
        "[(0, $N, $((4 * N))), ($N, 0, $((4 * N)))]" "$arch: in kernel, one load of $N reads and one store of $N writes, 4 bytes each"
    is "$(q "$T/$arch.json" 'sum(e["reads"] for e in code("kernel")), sum(e["writes"] for e in code("kernel"))')" \
        "($((N + ret)), $N)" "$arch: all of kernel's addresses: $((N + ret)) reads, $N writes"
    is "$(q "$T/$arch.json" '[e for e in d["hot_functions"]["entries"] if e["kind"] == "function"][0]["function"], fn("kernel")["reads"], fn("kernel")["writes"]')" \
        "('kernel', $((N + ret)), $N)" "$arch: the hottest function is kernel, the same counts"
    is "$(q "$T/$arch.json" 'data("src")["reads"], data("src")["writes"], data("src")["size"], data("dst")["reads"], data("dst")["writes"]')" \
        "($N, 256, 1024, 1, $N)" "$arch: data symbols: src read $N times (main wrote it 256 times), dst written $N times (main read it once)"
    is "$(q "$T/$arch.json" '[(s["calls"], s["errors"]) for s in sysc("exit_group")]')" "[(1, 0)]" \
        "$arch: syscalls named for $arch: one exit_group"
    # libc's .symtab (its debug file) writes a versioned symbol with its
    # version: __libc_start_main@@GLIBC_2.34.
    is "$(q "$T/$arch.json" '[e[k] for s in ("hot_code", "hot_functions", "hot_data") for e in d[s]["entries"] for k in ("function", "name", "location") if "@" in (e.get(k) or "")], len(fn("__libc_start_main")["location"]) > 0')" \
        "([], True)" "$arch: names without their symbol version (__libc_start_main)"

    "$TCGTRACE" stats "$T/$arch.tct" >"$T/$arch.txt" 2>&1
    sed -n '/^hottest code/{n;n;p;q}' "$T/$arch.txt" >"$T/first"
    ok $(grep -qE " kernel\+0x[0-9a-f]+ \(loop\.c:$line\)\$" "$T/first"; echo $?) \
        "$arch: the text report's hottest code line: $(sed 's/^ *//' "$T/first")"

    # Threads: 2 one after another, then 3 at once, after main: 6 guest
    # threads on fewer vCPUs (linux-user reuses the index of one that exited).
    "$TCGTRACE" record --tool=mem -o "$T/$arch-thr.tct" -- "$GUESTS/$arch/exec_threads" 2 3 $M >/dev/null 2>&1
    "$TCGTRACE" stats --json --top 0 "$T/$arch-thr.tct" >"$T/$arch-thr.json"
    is "$(q "$T/$arch-thr.json" 'd["totals"]["threads"], len(set(t for th in d["threads"] for t in th["tids"])), d["totals"]["vcpus"] <= 6')" \
        "(6, 6, True)" "$arch: 6 threads with 6 thread ids, on at most 6 vCPUs"
    is "$(q "$T/$arch-thr.json" 'fn("worker")["reads"], fn("worker")["writes"]')" "($((5 * M + 5 * ret)), $((5 * M)))" \
        "$arch: 5 workers' accesses, all in function worker"

    # Executed instructions: kernel's loop body runs N times per instruction.
    "$TCGTRACE" record --tool=exec -o "$T/$arch-exec.tct" -- "$GUESTS/$arch/loop" $N >/dev/null 2>&1
    "$TCGTRACE" stats --json --top 4 "$T/$arch-exec.tct" >"$T/$arch-exec.json"
    is "$(q "$T/$arch-exec.json" 'd["hot_code"]["by"], [e["instructions"] for e in d["hot_code"]["entries"]]')" \
        "('instructions', [$N, $N, $N, $N])" "$arch: an execution trace ranks by instructions: kernel's loop, $N each"
    if [ "$(q "$T/$arch-exec.json" 'len(d["modules"])')" = 0 ]; then
        echo "ok $((_n += 1)) # SKIP $arch: the execution trace records no module loads: nothing to name"
    else
        is "$(q "$T/$arch-exec.json" 'set(e["function"] for e in d["hot_code"]["entries"])')" "{'kernel'}" \
            "$arch: the execution trace's hottest addresses are kernel's"
    fi
done

# On a terminal, a reading of more than half a second shows its progress
# (which pass, the records of the header's counts), erased before the
# report; -q shows none.
"$TCGTRACE" record -q -o "$T/long.tct" -- "$GUESTS/x86_64/robust_end" work 30000000 >/dev/null 2>&1
if command -v script >/dev/null 2>&1; then
    script -qec "$TCGTRACE stats $T/long.tct" /dev/null >"$T/tty" 2>&1
    n=$(tr '\r' '\n' <"$T/tty" | grep -c "^tcgtrace stats: [0-9.]* s, \(reading\|naming data\), [0-9.]*[ kM]* of [0-9.]* M records ([0-9]* %)")
    [ "$n" -ge 1 ] && tr '\r' '\n' <"$T/tty" | grep -q "^.\[Ktrace  "
    ok $? "progress: the reading's pass and records ($n updates), erased before the report"
    script -qec "$TCGTRACE stats -q $T/long.tct" /dev/null >"$T/tty" 2>&1
    ! grep -q "records (" "$T/tty"
    ok $? "-q: no progress line"
else
    for _i in 1 2; do
        _n=$((_n + 1))
        echo "ok $_n # SKIP no script(1) to run under a terminal"
    done
fi
done_testing
