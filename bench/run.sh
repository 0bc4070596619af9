#!/bin/bash
# bench/run.sh [--quick] [--no-doc] [--note TEXT]: the benchmarks behind
# `make bench` and `make bench-quick` (which build everything first).
#
# Runs benchmark guests (bench/guests/*.c, built here into $B/bench-guests)
# and one real Debian program (xz -T2) under plain QEMU, QEMU's own mem and
# execlog plugins, the memtrace seed (compiled here from ../shared/seeds),
# our plugins and commands, and Valgrind, each configuration several times;
# prints a Markdown table per workload (median, min, max, ratio to plain
# QEMU, trace bytes per record, peak RSS) and writes it into
# docs/benchmarks.md between the markers of its mode, then runs the
# micro-benchmarks $B/bench/*. Our plugins and commands are probed once: a
# configuration whose plugin or command is missing or does not work yet is
# shown as n/a with the reason, so this script needs no change when they land.
#
# Environment: B (build dir, default build), TCGTRACE_QEMU_DIR,
# TCGTRACE_SEEDS (default ../shared/seeds from the repository root),
# BENCH_REPEATS, BENCH_BUDGET (seconds one configuration may take before it
# is not repeated further), BENCH_DEADLINE (seconds after which every
# remaining configuration runs once), BENCH_TIMEOUT (seconds per run),
# BENCH_NOTE (a sentence written next to the results, like --note),
# BENCH_ONLY (workload ids to run, e.g. "mem2 xz"; for trying the script).
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

MODE=full
WRITE_DOC=1
NOTE=${BENCH_NOTE:-}
while [ $# -gt 0 ]; do
    case $1 in
        --quick) MODE=quick ;;
        --no-doc) WRITE_DOC=0 ;;
        --note) NOTE=$2; shift ;;
        -h | --help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done

B=${B:-build}
BD=$(mkdir -p "$B" && cd "$B" && pwd)
QEMU_DIR=${TCGTRACE_QEMU_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcgtrace/qemu-10.0}
QPLUG=$QEMU_DIR/plugins
SEEDS=${TCGTRACE_SEEDS:-$ROOT/../shared/seeds}
SEED_MEMTRACE=""
for f in "$SEEDS"/003_*.txt; do [ -e "$f" ] && SEED_MEMTRACE=$f && break; done
TCGTRACE=$BD/tcgtrace
PLUGINS=$BD/plugins
GB=$BD/bench-guests
WORK=$BD/bench-work
DOC=$ROOT/docs/benchmarks.md
mkdir -p "$GB" "$WORK"

if [ "$MODE" = quick ]; then
    REPEATS=${BENCH_REPEATS:-3} BUDGET=${BENCH_BUDGET:-12} TMO=${BENCH_TIMEOUT:-120} DEADLINE=${BENCH_DEADLINE:-100}
else
    REPEATS=${BENCH_REPEATS:-3} BUDGET=${BENCH_BUDGET:-100} TMO=${BENCH_TIMEOUT:-600} DEADLINE=${BENCH_DEADLINE:-1000}
fi
START_S=$(date +%s)
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
MISSING=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for p in valgrind xz-utils time gcc-aarch64-linux-gnu libc6-dev-arm64-cross; do
    have_pkg "$p" || MISSING="$MISSING $p"
done
HAVE_VALGRIND=0; command -v valgrind >/dev/null && HAVE_VALGRIND=1
HAVE_XZ=0; command -v xz >/dev/null && HAVE_XZ=1
HAVE_A64=0
command -v aarch64-linux-gnu-gcc >/dev/null && [ -d /usr/aarch64-linux-gnu/lib ] &&
    [ -x "$QEMU_DIR/bin/qemu-aarch64" ] && HAVE_A64=1
[ -n "$MISSING" ] && say "bench: Debian packages missing (their rows are skipped):$MISSING"

# Peak RSS: GNU time when installed, else a tiny getrusage wrapper.
if [ -x /usr/bin/time ] && [ -z "${BENCH_NO_GNU_TIME:-}" ]; then
    RSS_TOOL="GNU time (%M)"
    rss_run() { /usr/bin/time -f %M -o "$WORK/rss" "$@"; }
else
    RSS_TOOL="getrusage (bench/tools/runstat.c)"
    gcc -O2 -Wall -Wextra -Werror -o "$GB/runstat" bench/tools/runstat.c || exit 1
    rss_run() { "$GB/runstat" "$WORK/rss" "$@"; }
fi

# ---------------------------------------------------------------- guests
GUEST_CFLAGS="-O2 -g -pthread -Wall -Wextra -Werror"
build_guest() { # ARCH NAME
    local cc=gcc src=bench/guests/$2.c bin=$GB/$1/$2 flags=""
    [ "$1" = aarch64 ] && cc=aarch64-linux-gnu-gcc
    [ "$1" = x86_64-nopie ] && flags="-no-pie -fno-pie"
    mkdir -p "$GB/$1"
    if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
        # shellcheck disable=SC2086
        $cc $GUEST_CFLAGS $flags -o "$bin" "$src" || exit 1
    fi
}
for g in bench/guests/*.c; do
    g=$(basename "$g" .c)
    build_guest x86_64 "$g"
    build_guest x86_64-nopie "$g"
    [ $HAVE_A64 = 1 ] && build_guest aarch64 "$g"
done

# xz's input: generated log-like text (deterministic, compresses about 8:1).
gen_input() { # BYTES FILE
    [ -s "$2" ] && [ "$(stat -c %s "$2")" = "$1" ] && return
    awk 'BEGIN { x = 12345
        for (i = 0; ; i++) { x = (x * 1103515245 + 12345) % 2147483648
            printf "record %08d key=%x value=%d %s\n", i, x, x % 1000, (x % 3 ? "alpha" : "beta gamma") } }' |
        head -c "$1" >"$2"
}

# ---------------------------------------------------------------- the seed
SEED_SO="" SEED_WHY=""
if [ -z "$SEED_MEMTRACE" ]; then
    SEED_WHY="n/a (no seed: $SEEDS/003_*.txt not found)"
elif bench/build-seed.sh "$SEED_MEMTRACE" "$BD/bench-seed" "$QEMU_DIR/include"; then
    SEED_SO=$BD/bench-seed/memtrace-seed.so
    SEED_WARNINGS=$(grep -c 'warning:' "$BD/bench-seed/memtrace-seed.log")
else
    SEED_WHY="n/a (seed did not build: see $BD/bench-seed/memtrace-seed.log)"
fi

# ---------------------------------------------------------------- workloads
# id|arch|program|arguments|input size (xz only)|configurations
if [ "$MODE" = quick ]; then
    WORKLOADS="
insn|x86_64|insnloop|150000||native qemu mem-inline mem-cb qemu-execlog execlog-text execlog-bin record-exec
mem2|x86_64|memwalk|2 4096 8||native qemu mem-inline mem-cb seed memtrace-text memtrace-bin memtrace-bin-all record races races-analysis helgrind drd
lock|x86_64|lockwalk|4 20000||native qemu races races-analysis helgrind drd
xz|x86_64|xz|-T2 -3 --block-size=64KiB -c|131072|native qemu mem-inline mem-cb seed memtrace-text memtrace-bin memtrace-bin-all record races races-analysis helgrind drd"
else
    WORKLOADS="
insn|x86_64|insnloop|2400000||native qemu mem-inline mem-cb qemu-execlog execlog-text execlog-bin record-exec
insn|aarch64|insnloop|3700000||qemu mem-inline mem-cb qemu-execlog execlog-text execlog-bin
mem2|x86_64|memwalk|2 4096 32||native qemu mem-inline mem-cb seed memtrace-text memtrace-bin memtrace-bin-all record races races-analysis helgrind drd
mem4|x86_64|memwalk|4 4096 16||native qemu mem-inline mem-cb seed memtrace-text memtrace-bin memtrace-bin-all record races races-analysis helgrind drd
mem2|aarch64|memwalk|2 4096 32||qemu mem-inline mem-cb seed memtrace-text memtrace-bin memtrace-bin-all record races races-analysis
small|x86_64-nopie|memwalk|2 4096 1||native qemu mem-cb seed memtrace-text lackey
lock|x86_64|lockwalk|4 100000||native qemu mem-cb memtrace-bin record races races-analysis helgrind drd
xz|x86_64|xz|-T2 -3 --block-size=256KiB -c|524288|native qemu mem-inline mem-cb seed memtrace-text memtrace-bin memtrace-bin-all record races races-analysis helgrind drd"
fi

# Per workload, set by set_workload: W_ARCH, W_PROG (guest path), W_ARGS
# (array), W_QEMU (array: qemu-ARCH and its sysroot option).
set_workload() { # LINE
    local id prog args size
    IFS='|' read -r id W_ARCH prog args size W_CONFIGS <<<"$1"
    W_ID=$id
    read -ra W_ARGS <<<"$args"
    if [ "$prog" = xz ]; then
        W_PROG=$(command -v xz)
        gen_input "$size" "$WORK/xz-input-$size.txt"
        W_ARGS+=("$WORK/xz-input-$size.txt")
        W_LABEL="xz $args <$((size / 1024)) KiB of text>"
    else
        W_PROG=$GB/$W_ARCH/$prog
        W_LABEL="$prog $args"
    fi
    W_QEMU=("$QEMU_DIR/bin/qemu-${W_ARCH%-nopie}")
    [ "$W_ARCH" = aarch64 ] && W_QEMU+=(-L /usr/aarch64-linux-gnu)
}

# ---------------------------------------------------------------- configurations
# cfg_cmd CONFIG TRACE: sets CMD (array) for the current workload, and
# CHECK_OUT=1 when the command's stdout is the guest's (compared with plain
# QEMU's to catch a tool that changes what the guest computes).
cfg_cmd() {
    local tr=$2 q=("${W_QEMU[@]}") g=("$W_PROG" "${W_ARGS[@]}")
    CHECK_OUT=1
    case $1 in
        native) CMD=("${g[@]}") ;;
        qemu) CMD=("${q[@]}" "${g[@]}") ;;
        mem-inline) CMD=("${q[@]}" -plugin "$QPLUG/libmem.so,inline=true" -d plugin -D "$tr" "${g[@]}") ;;
        mem-cb) CMD=("${q[@]}" -plugin "$QPLUG/libmem.so,callback=true" -d plugin -D "$tr" "${g[@]}") ;;
        count) CMD=("${q[@]}" -plugin "$QPLUG/libinsn.so,inline=true" -plugin "$QPLUG/libmem.so,inline=true" -d plugin -D "$tr" "${g[@]}") ;;
        qemu-execlog) CMD=("${q[@]}" -plugin "$QPLUG/libexeclog.so" -d plugin -D "$tr" "${g[@]}") ;;
        seed) CMD=("${q[@]}" -plugin "$SEED_SO,elf=$W_PROG" "${g[@]}") ;; # its trace is stderr
        execlog-text) CMD=("${q[@]}" -plugin "$PLUGINS/libexeclog.so,out=$tr,format=text" "${g[@]}") ;;
        execlog-bin) CMD=("${q[@]}" -plugin "$PLUGINS/libexeclog.so,out=$tr,format=bin" "${g[@]}") ;;
        memtrace-text) CMD=("${q[@]}" -plugin "$PLUGINS/libmemtrace.so,out=$tr,format=text" "${g[@]}") ;;
        memtrace-bin) CMD=("${q[@]}" -plugin "$PLUGINS/libmemtrace.so,out=$tr,format=bin" "${g[@]}") ;;
        memtrace-bin-all) CMD=("${q[@]}" -plugin "$PLUGINS/libmemtrace.so,out=$tr,format=bin,all=on" "${g[@]}") ;;
        record) CMD=("$TCGTRACE" record --tool=mem -o "$tr" -- "${g[@]}") ;;
        record-exec) CMD=("$TCGTRACE" record --tool=exec -o "$tr" -- "${g[@]}") ;;
        races) CMD=("$TCGTRACE" races -- "${g[@]}"); CHECK_OUT=0 ;;
        races-analysis) CMD=("$TCGTRACE" races "$RECORDED"); CHECK_OUT=0 ;;
        lackey) CMD=(valgrind --tool=lackey --trace-mem=yes --log-file="$tr" "${g[@]}") ;;
        helgrind | drd) CMD=(valgrind --tool="$1" --log-file="$WORK/valgrind.log" "${g[@]}") ;;
    esac
}

# What each configuration's trace holds, to divide its size by:
# lines (a text trace), insns or accesses (counted by QEMU's plugins in the
# same workload), filtered (the number of records our memtrace text trace
# had in this workload), none.
cfg_records() {
    case $1 in
        qemu-execlog | execlog-text | memtrace-text | lackey) echo lines ;;
        execlog-bin | record-exec) echo insns ;;
        memtrace-bin | record) echo filtered ;;
        memtrace-bin-all) echo accesses ;;
        seed) echo seed ;;
        *) echo none ;;
    esac
}

cfg_label() {
    case $1 in
        native) echo "native (no QEMU)" ;;
        qemu) echo "plain QEMU" ;;
        mem-inline) echo "QEMU mem plugin, inline=true" ;;
        mem-cb) echo "QEMU mem plugin, callback=true" ;;
        qemu-execlog) echo "QEMU execlog (-d plugin -D file)" ;;
        seed) echo "seed memtrace (003, built at bench time)" ;;
        execlog-text) echo "tcgtrace execlog, text" ;;
        execlog-bin) echo "tcgtrace execlog, bin" ;;
        memtrace-text) echo "tcgtrace memtrace, text" ;;
        memtrace-bin) echo "tcgtrace memtrace, bin" ;;
        memtrace-bin-all) echo "tcgtrace memtrace, bin, all=on" ;;
        record) echo "tcgtrace record --tool=mem" ;;
        record-exec) echo "tcgtrace record --tool=exec" ;;
        races) echo "tcgtrace races (record + analysis)" ;;
        races-analysis) echo "tcgtrace races TRACE (analysis only)" ;;
        lackey) echo "Valgrind lackey --trace-mem=yes (native)" ;;
        helgrind) echo "Valgrind Helgrind (native)" ;;
        drd) echo "Valgrind DRD (native)" ;;
    esac
}

# Probes run each of our plugins and commands once on a tiny guest: a
# configuration is measured only when its probe works.
declare -A PROBE
probe() { # CONFIG: sets WHY to "" when usable, else to the n/a text
    local c=$1 key=$1
    case $c in
        native | qemu | mem-inline | mem-cb | qemu-execlog) WHY=""; return ;;
        seed) WHY=$SEED_WHY; return ;;
        lackey | helgrind | drd) [ $HAVE_VALGRIND = 1 ] && WHY="" || WHY="n/a (valgrind not installed)"; return ;;
        races-analysis)
            probe races
            [ -n "$WHY" ] && return
            [ -z "${RECORDED:-}" ] && WHY="n/a (needs a trace from tcgtrace record)"
            return ;;
    esac
    if [ -z "${PROBE[$key]+set}" ]; then
        local need=$PLUGINS/libexeclog.so
        case $c in
            memtrace-*) need=$PLUGINS/libmemtrace.so ;;
            record* | races*) need=$TCGTRACE ;;
        esac
        if [ ! -e "$need" ]; then
            PROBE[$key]="n/a (not built)"
        else
            local sv_prog=$W_PROG sv_args=("${W_ARGS[@]}") sv_q=("${W_QEMU[@]}") rc
            W_QEMU=("$QEMU_DIR/bin/qemu-x86_64")
            if [ "$c" = races ]; then
                W_PROG=$GB/x86_64/memwalk W_ARGS=(2 16 1)
            else
                W_PROG=$GB/x86_64/insnloop W_ARGS=(1000)
            fi
            rm -f "$WORK/probe.trace"
            cfg_cmd "$c" "$WORK/probe.trace"
            timeout 60 "${CMD[@]}" </dev/null >"$WORK/probe.out" 2>"$WORK/probe.err"
            rc=$?
            if [ "$c" = races ] && { [ $rc = 0 ] || [ $rc = 66 ]; }; then
                PROBE[$key]=""
            elif [ $rc != 0 ]; then
                PROBE[$key]="n/a (not working yet: exit $rc: $(head -c 120 "$WORK/probe.err" | head -n 1))"
            elif [ "$c" != races ] && [ ! -s "$WORK/probe.trace" ]; then
                PROBE[$key]="n/a (not working yet: no trace written)"
            else
                PROBE[$key]=""
            fi
            W_PROG=$sv_prog W_ARGS=("${sv_args[@]}") W_QEMU=("${sv_q[@]}")
            rm -f "$WORK/probe.trace"
        fi
    fi
    WHY=${PROBE[$key]}
}

# ---------------------------------------------------------------- measuring
stats() { # VALUES... -> "median min max"
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.4f %.4f %.4f\n", m, v[1], v[NR] }'
}
fmt_s() { awk -v t="$1" 'BEGIN { printf(t < 1 ? "%.3f" : t < 100 ? "%.2f" : "%.0f", t) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf(a / b < 10 ? "%.2f" : "%.0f", a / b); else printf "" }'; }
human() { awk -v n="$1" 'BEGIN { if (n >= 1e9) printf "%.2f G", n / 1e9; else if (n >= 1e6) printf "%.2f M", n / 1e6;
    else if (n >= 1e3) printf "%.1f k", n / 1e3; else printf "%d", n }'; }

ROWS=""   # the Markdown table rows of the current workload
TSV=$BD/bench-results-$MODE.tsv
printf 'arch\tworkload\tconfig\truns\tmedian_s\tmin_s\tmax_s\tx_qemu\tx_native\trecords\tbytes_per_record\tpeak_rss_kib\tnote\n' >"$TSV"

measure() { # CONFIG
    local c=$1 i rc t0 t1 dt times=() total=0 size="" rss=0 r note="" recs="" kind bpr=""
    local label tr=$WORK/trace
    label=$(cfg_label "$c")
    probe "$c"
    if [ -n "$WHY" ]; then
        ROWS+="| $label | 0 | | | | | | | | | $WHY |"$'\n'
        say "  $label: $WHY"
        printf '%s\t%s\t%s\t0\t\t\t\t\t\t\t\t\t%s\n' "$W_ARCH" "$W_ID" "$c" "$WHY" >>"$TSV"
        return
    fi
    [ "$c" = record ] && tr=$WORK/recorded.trace
    for ((i = 0; i < REPEATS; i++)); do
        rm -f "$tr"
        cfg_cmd "$c" "$tr"
        t0=$(date +%s%N)
        rss_run timeout -k 10 "$TMO" "${CMD[@]}" </dev/null >"$WORK/out" 2>"$WORK/err"
        rc=$?
        t1=$(date +%s%N)
        dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
        if [ $rc != 0 ] && ! { [ "${c%%-*}" = races ] && [ $rc = 66 ]; }; then
            note="failed: exit $rc$([ $rc = 124 ] && echo " (timeout ${TMO}s)"): $(grep -v '^==' "$WORK/err" | head -n 1 | head -c 120)"
            break
        fi
        if [ $CHECK_OUT = 1 ] && [ -n "$REF_OUT" ] && [ "$(md5sum <"$WORK/out")" != "$REF_OUT" ]; then
            note="failed: the guest's output differs from plain QEMU's"
            break
        fi
        times+=("$dt")
        r=$(tail -n 1 "$WORK/rss")
        [ "$r" -gt "$rss" ] 2>/dev/null && rss=$r
        if [ $i = 0 ]; then # what the trace holds is the same in every run
            kind=$(cfg_records "$c")
            [ "$c" = seed ] && tr=$WORK/err
            [ "$kind" != none ] && [ -e "$tr" ] && size=$(stat -c %s "$tr")
            case $kind in
                lines) recs=$(wc -l <"$tr") ;;
                seed) recs=$(grep -c '^T' "$tr") ;;
                insns) recs=$W_INSNS ;;
                accesses) recs=$W_ACCESSES ;;
                filtered) recs=${W_FILTERED:-} ;;
            esac
            [ "$c" = memtrace-text ] && W_FILTERED=$recs
            [ "$c" = seed ] && tr=$WORK/trace
            case $c in
                seed) note="traced $(human "$recs") of $(human "$W_ACCESSES") accesses" ;;
                helgrind | drd) note="Valgrind errors: $(grep -o 'ERROR SUMMARY: [0-9]*' "$WORK/valgrind.log" | head -n 1 | grep -o '[0-9]*$')" ;;
                races) note=$([ $rc = 66 ] && echo "races reported (exit 66)" || echo "no race reported") ;;
                lackey) note="a record is a line: instruction fetch or data access" ;;
            esac
        fi
        [ "$c" = record ] || rm -f "$tr"
        total=$(awk -v a="$total" -v b="$dt" 'BEGIN { print a + b }')
        [ $(($(date +%s) - START_S)) -gt "$DEADLINE" ] && break
        [ $i -ge 1 ] && awk -v t="$total" -v b="$BUDGET" 'BEGIN { exit !(t > b) }' && break
    done
    if [ ${#times[@]} = 0 ]; then
        ROWS+="| $label | 0 | | | | | | | | | $note |"$'\n'
        say "  $label: $note"
        printf '%s\t%s\t%s\t0\t\t\t\t\t\t\t\t\t%s\n' "$W_ARCH" "$W_ID" "$c" "$note" >>"$TSV"
        return
    fi
    [ "$c" = record ] && RECORDED=$tr
    read -r med min max <<<"$(stats "${times[@]}")"
    [ "$c" = qemu ] && W_QEMU_S=$med
    [ "$c" = native ] && W_NATIVE_S=$med
    if [ -n "$size" ] && [ -n "$recs" ] && [ "$recs" -gt 0 ] 2>/dev/null; then
        bpr=$(awk -v s="$size" -v n="$recs" 'BEGIN { printf "%.2f", s / n }')
    fi
    if [ "$c" = races-analysis ] && [ -n "${RECORDED_RECS:-}" ]; then
        note="${note:+$note; }$(awk -v n="$RECORDED_RECS" -v t="$med" 'BEGIN { printf "%.1f M accesses/s", n / t / 1e6 }')"
    fi
    [ "$c" = record ] && RECORDED_RECS=${recs:-$W_ACCESSES}
    local xq xn
    xq=$(ratio "$med" "${W_QEMU_S:-0}")
    xn=$(ratio "$med" "${W_NATIVE_S:-0}")
    [ -n "$size" ] && [ -z "$bpr" ] && [ "${recs:-}" != 0 ] && note="${note:+$note; }trace $(human "$size")B"
    ROWS+="| $label | ${#times[@]} | $(fmt_s "$med") | $(fmt_s "$min") | $(fmt_s "$max") | $xq | $xn | $([ -n "$recs" ] && human "$recs") | $bpr | $((rss / 1024)) | $note |"$'\n'
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$W_ARCH" "$W_ID" "$c" "${#times[@]}" "$med" "$min" "$max" \
        "$xq" "$xn" "$recs" "$bpr" "$rss" "$note" >>"$TSV"
    say "  $label: median $(fmt_s "$med") s over ${#times[@]} runs${xq:+, ${xq}x plain QEMU}${bpr:+, $bpr B/record}${note:+; $note}"
}

# The instruction and memory-access counts of a workload, from QEMU's own
# insn and mem plugins (inline counters) in one run.
count_workload() {
    cfg_cmd count "$WORK/count.log"
    "${CMD[@]}" </dev/null >"$WORK/out" 2>/dev/null
    REF_OUT=$(md5sum <"$WORK/out")
    W_INSNS=$(grep -o 'total insns: [0-9]*' "$WORK/count.log" | grep -o '[0-9]*$')
    W_ACCESSES=$(grep -o 'mem accesses: [0-9]*' "$WORK/count.log" | grep -o '[0-9]*$')
    rm -f "$WORK/count.log"
}

# ---------------------------------------------------------------- run
say "bench: $MODE mode, up to $REPEATS runs per configuration (${BUDGET}s budget each), build dir $B"
DOC_BODY=""
while IFS= read -r line; do
    [ -z "$line" ] && continue
    set_workload "$line"
    [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $W_ID "* ]] && continue
    if [ "$W_ARCH" = aarch64 ] && [ $HAVE_A64 = 0 ]; then
        DOC_BODY+=$'\n'"### $W_LABEL, aarch64"$'\n\n'"Not run: aarch64-linux-gnu-gcc, its sysroot or qemu-aarch64 is missing."$'\n'
        continue
    fi
    if [ "$W_ID" = xz ] && [ $HAVE_XZ = 0 ]; then
        DOC_BODY+=$'\n'"### xz"$'\n\n'"Not run: xz is not installed (Debian package xz-utils)."$'\n'
        continue
    fi
    [ "$W_ID" = small ] && [ $HAVE_VALGRIND = 0 ] && continue
    say "bench: $W_LABEL ($W_ARCH)"
    count_workload
    W_QEMU_S="" W_NATIVE_S="" W_FILTERED="" RECORDED="" RECORDED_RECS=""
    ROWS=""
    for c in $W_CONFIGS; do
        measure "$c"
    done
    rm -f "${RECORDED:-/nonexistent}"
    threads=""
    [ "${W_ID#mem}" != "$W_ID" ] || [ "$W_ID" = small ] || [ "$W_ID" = lock ] && threads=", ${W_ARGS[0]} threads"
    [ "$W_ARCH" = x86_64-nopie ] && threads+=", built without PIE"
    [ "$W_ID" = xz ] && threads=", 2 threads"
    few=""
    [ "$W_ID" = insn ] && [ "${W_INSNS:-0}" -lt 50000000 ] && few=" (fewer than the 50 M of the full benchmark)"
    DOC_BODY+=$'\n'"### \`$W_LABEL\`, ${W_ARCH%-nopie}$threads: $(human "${W_INSNS:-0}") instructions$few, $(human "${W_ACCESSES:-0}") memory accesses"$'\n\n'
    DOC_BODY+="| configuration | runs | median s | min s | max s | × plain QEMU | × native | trace records | bytes/record | peak RSS MiB | notes |"$'\n'
    DOC_BODY+="|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"$'\n'
    DOC_BODY+=$ROWS
done <<<"$WORKLOADS"

# ---------------------------------------------------------------- targets
tsv_med() { # ARCH WORKLOAD CONFIG -> median seconds, or nothing
    awk -F'\t' -v a="$1" -v w="$2" -v c="$3" '$1 == a && $2 == w && $3 == c && $4 > 0 { print $5 }' "$TSV"
}
target() { # TEXT ARCH WORKLOAD CONFIG-A CONFIG-B OP LIMIT: A/B (or B/A with OP "x faster") against LIMIT
    local a b r
    a=$(tsv_med "$2" "$3" "$4") b=$(tsv_med "$2" "$3" "$5")
    if [ -z "$a" ] || [ -z "$b" ]; then
        echo "- $1: n/a (not measured yet)"
        return
    fi
    case $6 in
        faster) r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b / a }')
            echo "- $1: ${r}x faster (target at least ${7}x): $(awk -v r="$r" -v l="$7" 'BEGIN { print (r >= l ? "met" : "NOT met") }')" ;;
        cost) r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
            echo "- $1: ${r}x (target at most ${7}x): $(awk -v r="$r" -v l="$7" 'BEGIN { print (r <= l ? "met" : "NOT met") }')" ;;
    esac
}
TARGETS="$(
    target "issue 5, execlog text against QEMU's execlog (insnloop, x86_64)" x86_64 insn execlog-text qemu-execlog faster 10
    target "issue 5, execlog bin against QEMU's execlog (insnloop, x86_64)" x86_64 insn execlog-bin qemu-execlog faster 30
    target "issue 6, memtrace bin all=on against QEMU's mem callback=true (memwalk 2 threads, x86_64)" x86_64 mem2 memtrace-bin-all mem-cb cost 1.3
    target "issue 6, memtrace bin all=on against plain QEMU (memwalk 2 threads, x86_64)" x86_64 mem2 memtrace-bin-all qemu cost 10
    target "issue 8, tcgtrace races end to end against Helgrind native (memwalk 2 threads)" x86_64 mem2 races helgrind faster 1
    target "issue 8, tcgtrace races end to end against Helgrind native (xz -T2)" x86_64 xz races helgrind faster 1
    target "issue 8, tcgtrace races end to end against Helgrind native (lockwalk 4 threads)" x86_64 lock races helgrind faster 1
    tp=$(awk -F'\t' '$3 == "races-analysis" && $4 > 0 { print $2 " (" $1 "): " $13 ": " ($13 + 0 >= 10 ? "met" : "NOT met") }' "$TSV")
    if [ -n "$tp" ]; then
        echo "- issue 8, analysis throughput (target at least 10 M accesses/s):"
        printf '%s\n' "$tp" | sed 's/^/  - /'
    else
        echo "- issue 8, analysis throughput: n/a (not measured yet)"
    fi
)"

# ---------------------------------------------------------------- micro-benchmarks
MICRO=""
[ $MODE = quick ] && MICRO=$'\n'"Not run in quick mode: see the full results."$'\n'
for m in "$BD"/bench/*; do
    [ $MODE = quick ] && break
    [ -f "$m" ] && [ -x "$m" ] || continue
    say "bench: micro-benchmark $(basename "$m")"
    out=$(cd "$WORK" && timeout "$TMO" "$m" 2>&1)
    MICRO+=$'\n'"\`$B/bench/$(basename "$m")\` (exit $?):"$'\n\n'"\`\`\`"$'\n'"$out"$'\n'"\`\`\`"$'\n'
done
[ -z "$MICRO" ] && MICRO=$'\n'"None built yet (bench/*.c -> $B/bench/NAME)."$'\n'

# ---------------------------------------------------------------- report
ELAPSED=$(($(date +%s) - START_S))
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "${MAKELEVEL:-}" ]; then
    COMMAND="make$([ "$B" != build ] && echo " B=$B") bench$([ $MODE = quick ] && echo -quick)"
else
    COMMAND="bench/run.sh$([ $MODE = quick ] && echo " --quick")"
fi
CPU=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')
RAM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
BUSY=""
awk -v l="${START_LOAD%% *}" -v n="$(nproc)" 'BEGIN { exit !(l >= 0.5) }' &&
    BUSY="The load average was $START_LOAD at the start (0.5 or more: work that ended just before the run, or work beside it; say which with --note). "
INFO="- date: $(date -u '+%Y-%m-%d %H:%M UTC'); whole run: ${ELAPSED} s
- command: \`$COMMAND\` (from the repository root, at $(git rev-parse --short HEAD 2>/dev/null || echo '?') plus the working tree)
- machine: $(nproc) CPUs, $CPU, $RAM RAM, $(uname -sr)
- QEMU: $(cat "$QEMU_DIR/VERSION" 2>/dev/null) ($QEMU_DIR); gcc $(gcc -dumpversion)"
[ $HAVE_VALGRIND = 1 ] && INFO+="; $(valgrind --version)"
[ $HAVE_XZ = 1 ] && INFO+="; $(xz --version | head -n 1)"
INFO+="
- load average (1, 5, 15 min): $START_LOAD at the start, $END_LOAD at the end
- runs: $REPEATS per configuration, at most 2 when its first two took over ${BUDGET} s together, 1 once the whole run passed ${DEADLINE} s; wall time by date +%s%N around each run; peak RSS by $RSS_TOOL"
[ -n "$MISSING" ] && INFO+="
- Debian packages missing (their rows are not run):$MISSING"
[ -n "$SEED_SO" ] && INFO+="
- seed: \`$(basename "$SEED_MEMTRACE")\` rebuilt by bench/build-seed.sh against QEMU's qemu-plugin.h (gcc warnings: $SEED_WARNINGS, the wrong syscall callback signature); it writes its trace to stderr, and its access count is its number of \`T\` lines"
[ -n "$SEED_WHY" ] && INFO+="
- seed: $SEED_WHY"
REPORT="## Results: \`$COMMAND\` ($MODE)

$INFO

${BUSY}${NOTE}
$DOC_BODY
### Targets of the issues
$TARGETS

### Micro-benchmarks
$MICRO"

printf '%s\n' "$REPORT"
printf '%s\n' "$REPORT" >"$BD/bench-results-$MODE.md"
if [ $WRITE_DOC = 1 ]; then
    bench/update-doc.sh "$DOC" "$MODE" "$BD/bench-results-$MODE.md" || exit 1
    say "bench: results written into docs/benchmarks.md (section '$MODE'), $TSV"
fi
say "bench: done in ${ELAPSED} s"
