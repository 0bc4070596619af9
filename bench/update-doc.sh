#!/bin/sh
# bench/update-doc.sh DOC MODE RESULTS: puts the file RESULTS into DOC
# between the lines `<!-- bench-results:MODE begin -->` and
# `<!-- bench-results:MODE end -->`, replacing what was there. Without those
# markers the block goes before the "## Trace format micro-benchmark"
# section (written by hand, and kept intact) or at the end. Everything
# outside the markers is left as it is.
set -eu
doc=$1 mode=$2 res=$3
begin="<!-- bench-results:$mode begin -->"
end="<!-- bench-results:$mode end -->"
[ -e "$doc" ] || printf '# Benchmarks\n' >"$doc"
tmp=$doc.tmp.$$
if grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc"; then
    awk -v b="$begin" -v e="$end" -v f="$res" '
        $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
        $0 == e { skip = 0 }
        !skip' "$doc" >"$tmp"
else
    awk -v b="$begin" -v e="$end" -v f="$res" '
        function block() { print b; while ((getline l < f) > 0) print l; print e; print ""; done = 1 }
        !done && /^## Trace format micro-benchmark/ { block() }
        { print }
        END { if (!done) { print ""; block() } }' "$doc" >"$tmp"
fi
mv "$tmp" "$doc"
