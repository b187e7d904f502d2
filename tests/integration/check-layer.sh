#!/usr/bin/env bash
# check-layer.sh — what one layer's sources can include (docs/ARCHITECTURE.md "Layers").
#
#   check-layer.sh SRC CC FLAG... -- ALLOWED... -- FORBIDDEN...
#
# FLAGs are the -I and -D options a target of the layer compiles with (layering.cmake takes
# them from the target's properties, so they are the real ones). Each header is included by a
# one-line probe in a fresh folder, compiled with -fsyntax-only: every ALLOWED header must
# compile, every FORBIDDEN one must fail because it is not found. A FORBIDDEN header must exist
# under SRC (harness/ or servers-under-test/), so a typo here cannot make the check pass.
set -u
src=$1 cc=$2
shift 2
flags=() allowed=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
shift
while [ $# -gt 0 ] && [ "$1" != "--" ]; do allowed+=("$1"); shift; done
shift
forbidden=("$@")
[ ${#allowed[@]} -gt 0 ] || { echo "check-layer: no ALLOWED header" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
    echo "check-layer: $*" >&2
    failed=1
}

probe() { # header: compiles a file that includes it; output in $tmp/out
    printf '#include "%s"\n' "$1" >"$tmp/probe.c"
    "$cc" -std=c11 -fsyntax-only "${flags[@]}" "$tmp/probe.c" >"$tmp/out" 2>&1
}

for h in "${allowed[@]}"; do
    probe "$h" || fail "\"$h\" should be reachable but does not compile: $(head -c 2000 "$tmp/out")"
done
for h in "${forbidden[@]}"; do
    [ -f "$src/harness/$h" ] || [ -f "$src/servers-under-test/$h" ] ||
        fail "\"$h\" is not a header of the project: the check would prove nothing"
    if probe "$h"; then
        fail "\"$h\" is reachable from this layer: an include root lets it reach up or aside"
    elif ! grep -F -- "$h" "$tmp/out" | grep -Eq "No such file|file not found"; then
        fail "\"$h\" does not compile, but not because it is out of reach: $(head -c 2000 "$tmp/out")"
    fi
done
[ $failed -eq 0 ] && echo "check-layer: ${#allowed[@]} header(s) reachable, ${#forbidden[@]} out of reach"
exit $failed
