#!/bin/sh
# make demo: tcgtrace's main job on a bundled demo program. Two threads
# increment a shared counter without a lock; `tcgtrace races` runs the
# unmodified binary under QEMU, records its memory accesses and reports
# the race with both lines of code.
set -u
B=${B:-build}
prog=$B/guests/x86_64/race_counter
echo "demo: tcgtrace races -- $prog 2 1000"
echo "      (source: tests/guests/race_counter.c)"
echo
"$B/tcgtrace" races -- "$prog" 2 1000
status=$?
echo
case $status in
    66) echo "demo: races reported (exit status 66, as ThreadSanitizer does)"; exit 0 ;;
    0) echo "demo: no race found, but this program has one" >&2; exit 1 ;;
    *) echo "demo: tcgtrace races failed (status $status)" >&2; exit "$status" ;;
esac
