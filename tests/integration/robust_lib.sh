# Helpers of the robust_*.t tests (sourced after lib.sh).

# todo STATUS NAME REASON: a TAP TODO item, for a known gap: it passes when
# STATUS is 0; a failure does not fail the test, and REASON says what
# happens instead and what should.
todo() {
    _n=$((_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_n - $2 # TODO $3"
    else
        echo "not ok $_n - $2 # TODO $3"
    fi
}

# is_todo GOT WANT NAME REASON: is, as a TODO item.
is_todo() {
    if [ "$1" = "$2" ]; then
        todo 0 "$3" "$4"
    else
        todo 1 "$3" "$4"
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
    fi
}

# finish: the plan, at the end (the count depends on what ran), then
# done_testing's status.
finish() {
    echo "1..$_n"
    done_testing
}
