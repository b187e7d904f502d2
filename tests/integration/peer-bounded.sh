#!/usr/bin/env bash
# peer-bounded — run one scenario against tests/peers/badpeer in a mode that sends a lot (an
# endless flood of untagged lines, a literal of tens of MiB) and check that the harness stays
# bounded: the expected exit status and failure.why, within a wall-clock bound (a hang check,
# not a performance test), the report written and valid, its transcript_truncated as expected,
# and the process's peak RSS (/usr/bin/time) under a generous bound. CPU is not checked: reading
# 60 MiB keeps a core busy, as it should. Registered by peers.cmake.
#
#   peer-bounded.sh MAILCONFORM BADPEER MODE SCENARIO EXPECTED_EXIT WHY_FRAGMENT TRUNCATED
#                   RSS_MAX_MIB WALL_MAX_S
#
# WHY_FRAGMENT: text failure.why must contain ("-": none, for a scenario that passes).
# TRUNCATED: true or false, what the scenario's transcript_truncated must be.
set -u
if [ $# -ne 9 ]; then
    echo "usage: $0 MAILCONFORM BADPEER MODE SCENARIO EXPECTED_EXIT WHY TRUNCATED RSS_MAX_MIB WALL_MAX_S" >&2
    exit 2
fi
mc=$1 peer=$2 mode=$3 scenario=$4 want_rc=$5 want_why=$6 want_trunc=$7 rss_max_mib=$8 wall_max_s=$9
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
timer=/usr/bin/time
peer_lifetime_s=$((wall_max_s * 2 + 10))

# shellcheck source=peer-lib.sh
. "$here/peer-lib.sh" peer-bounded
fail() {
    echo "FAIL [$mode, $(basename "$scenario")]: $*" >&2
    for f in run.out run.err peer.err; do
        [ -s "$tmp/$f" ] && { echo "--- $f:"; head -c 20000 "$tmp/$f"; echo; } >&2
    done
    exit 1
}
[ -x "$timer" ] || fail "$timer is missing: tools/install-deps test-tools"

peer_start "$peer" "$mode" "$peer_lifetime_s"

# Sanitizer findings get their own exit status. ASan's quarantine keeps freed memory for a
# while to catch use after free (256 MiB by default): it would count in the peak RSS.
export ASAN_OPTIONS="exitcode=86:detect_leaks=1:quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
start=$(date +%s%N)
# time(1) reports the largest RSS in the tree it waited for: mailconform's, under timeout.
"$timer" -f '%M' -o "$tmp/rss" timeout -k 5 $((wall_max_s * 2)) "$mc" run "$scenario" \
    --target "imap://u:p@127.0.0.1:$port" --report "$tmp/report.json" -j 1 --color never \
    >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))

grep -qE 'Sanitizer|runtime error:' "$tmp/run.err" && fail "sanitizer report (exit $rc)"
[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && fail "mailconform hung (killed after $((wall_max_s * 2)) s)"
[ "$elapsed_ms" -le $((wall_max_s * 1000)) ] || fail "took ${elapsed_ms} ms, bound ${wall_max_s} s"
[ "$rc" -eq "$want_rc" ] || fail "exit status $rc, expected $want_rc"
rss_kib=$(tail -n 1 "$tmp/rss")
[[ $rss_kib =~ ^[0-9]+$ ]] || fail "no peak RSS from $timer: $(cat "$tmp/rss")"
[ "$rss_kib" -le $((rss_max_mib * 1024)) ] ||
    fail "peak RSS $((rss_kib / 1024)) MiB, bound ${rss_max_mib} MiB"
[ -s "$tmp/report.json" ] || fail "no report written"

if "$py" -c 'import jsonschema' 2>/dev/null && [ -x "$here/../../tools/validate-report" ]; then
    "$here/../../tools/validate-report" "$tmp/report.json" >"$tmp/validate.out" 2>&1 ||
        fail "the report does not validate: $(head -c 2000 "$tmp/validate.out")"
fi

"$py" - "$tmp/report.json" "$want_rc" "$want_why" "$want_trunc" <<'EOF' || fail "report check failed"
import json, sys
path, want_rc, want_why, want_trunc = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = json.load(open(path, encoding="utf-8"))["scenarios"][0]
if want_rc == 0 and s["outcome"] != "pass":
    sys.exit(f"{s['id']}: {s['outcome']}: {s['failure'] or s['reason']}")
if want_rc != 0:
    why = (s["failure"] or {}).get("why") or ""
    if want_why != "-" and want_why not in why:
        sys.exit(f"{s['id']}: failure.why {why!r} lacks {want_why!r}")
if str(s["transcript_truncated"]).lower() != want_trunc:
    sys.exit(f"{s['id']}: transcript_truncated is {s['transcript_truncated']}, expected {want_trunc}")
marks = [e for e in s["transcript"] if e["dir"] == "event" and "transcript truncated" in e.get("text", "")]
if len(marks) != (1 if want_trunc == "true" else 0):
    sys.exit(f"{s['id']}: {len(marks)} truncation event(s)")
print(f"{s['id']}: {s['outcome']}, {len(s['transcript'])} transcript entries"
      + (f", {marks[0]['text']}" if marks else ""))
EOF
echo "ok [$mode, $(basename "$scenario")]: exit $rc in ${elapsed_ms} ms, peak RSS $((rss_kib / 1024)) MiB"
