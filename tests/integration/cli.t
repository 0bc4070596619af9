#!/bin/sh
# The command's global options and its errors.
. tests/integration/lib.sh
plan 6

out=$("$TCGTRACE" --version)
ok $? "--version succeeds"
case $out in "tcgtrace 0."*"qemu: "*"version 10.0"*) r=0 ;; *) r=1 ;; esac
ok $r "--version names tcgtrace's and QEMU's versions"

"$TCGTRACE" >"$T/out" 2>&1
is $? 2 "no command: usage status 2"
grep -q "usage: tcgtrace" "$T/out"
ok $? "no command: usage printed"

"$TCGTRACE" frobnicate 2>"$T/err"
is $? 2 "unknown command: status 2"
is "$(head -n 1 "$T/err")" "tcgtrace: 'frobnicate' is not a command" "unknown command: message"
done_testing
