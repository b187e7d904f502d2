#!/usr/bin/env bash
# expect-exit.sh CODE REGEX -- COMMAND...: runs COMMAND, passes when it exits with CODE and its
# combined output matches the extended regular expression REGEX ("-" for any output).
set -u
code=$1 regex=$2
shift 3
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$code" ]; then
    echo "expect-exit: exit status $rc, expected $code" >&2
    exit 1
fi
if [ "$regex" != "-" ] && ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
    echo "expect-exit: output does not match /$regex/" >&2
    exit 1
fi
exit 0
