#!/usr/bin/env bash
# peer-test — run one scenario against tests/peers/badpeer in one mode and check that the
# harness fails it for the right reason, within a deadline, without crashing (or passes it,
# for the control modes).
#
#   peer-test.sh MAILCONFORM BADPEER MODE SCENARIO EXPECTED_EXIT WHY_FRAGMENT [FIELD=TEXT...]
#
# WHY_FRAGMENT is text the first failing scenario's failure.why must contain ("-": no check).
# Each FIELD=TEXT names a report field that must contain TEXT, as the report writes it (escapes
# included): got= the first failing scenario's failure.got, greeting= the first probe's greeting,
# warning= the whys of the scenario's warnings (soft steps below MUST that failed), last_step=
# the outcome of its last step (a soft step's failure lets the later steps run). With an
# expected exit 0 they apply to the first scenario.
# The peer prints its port (never a fixed one); the URL scheme is the first session's endpoint
# (submission://) or else its protocol.
# Checks: exit status, wall-clock bound (a hang check, not a performance test), CPU time well
# below the wall clock (no busy loop while waiting on the peer), no sanitizer report, a report
# that exists, validates against the schema (tools/validate-report exits 0; 1 or 2 fail), and
# says why. Registered by peers.cmake.
set -u
if [ $# -lt 6 ]; then
    echo "usage: $0 MAILCONFORM BADPEER MODE SCENARIO EXPECTED_EXIT WHY_FRAGMENT [FIELD=TEXT...]" >&2
    exit 2
fi
mc=$1 peer=$2 mode=$3 scenario=$4 want_rc=$5 want_why=$6
shift 6
want_fields=("$@")
here=$(cd "$(dirname "$0")" && pwd)
step_timeout_ms=700
wall_bound_s=15     # probe (3 step deadlines) + a few steps, with a wide margin
peer_lifetime_s=40  # below the ctest TIMEOUT: the peer never outlives the test
cpu_slack_ms=500    # start-up and the sanitizers' work: ~150 ms with ASan
py=/usr/bin/python3

# shellcheck source=peer-lib.sh
. "$here/peer-lib.sh" peer-test
fail() {
    echo "FAIL [$mode, $(basename "$scenario")]: $*" >&2
    for f in run.out run.err peer.err; do
        [ -s "$tmp/$f" ] && { echo "--- $f:"; head -c 20000 "$tmp/$f"; echo; } >&2
    done
    exit 1
}

scheme=$("$py" -c 'import json,sys; s=next(iter(json.load(open(sys.argv[1]))["sessions"].values()))
print(s.get("endpoint", s["protocol"]))' "$scenario") || fail "cannot read $scenario"

peer_start "$peer" "$mode" "$peer_lifetime_s"

# Sanitizer findings get their own exit status: 1 must keep meaning "a scenario failed".
export ASAN_OPTIONS="exitcode=86:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
start=$(date +%s%N)
TIMEFORMAT='%3U %3S'
{ time timeout -k 5 $((wall_bound_s * 2)) "$mc" run "$scenario" \
    --target "$scheme://u:p@127.0.0.1:$port" --step-timeout "$step_timeout_ms" \
    --report "$tmp/report.json" -j 1 --color never >"$tmp/run.out" 2>"$tmp/run.err"; } 2>"$tmp/cpu"
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
read -r cpu_user cpu_sys <"$tmp/cpu"
cpu_ms=$((10#${cpu_user/./} + 10#${cpu_sys/./})) # "1.234" s -> 1234 ms

# Waiting on a peer costs no CPU: a tenth of the wall clock (plus start-up) is a busy loop,
# even on a loaded machine where a spinning process gets only part of a core.
[ "$cpu_ms" -le $((elapsed_ms / 10 + cpu_slack_ms)) ] ||
    fail "busy loop: ${cpu_ms} ms of CPU in ${elapsed_ms} ms"
grep -qE 'Sanitizer|runtime error:' "$tmp/run.err" && fail "sanitizer report (exit $rc)"
[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && fail "mailconform hung (killed after $((wall_bound_s * 2)) s)"
[ "$elapsed_ms" -le $((wall_bound_s * 1000)) ] || fail "took ${elapsed_ms} ms, bound ${wall_bound_s} s"
[ "$rc" -eq "$want_rc" ] || fail "exit status $rc, expected $want_rc"
[ -s "$tmp/report.json" ] || fail "no report written"

"$here/../../tools/validate-report" "$tmp/report.json" >"$tmp/validate.out" 2>&1
valid_rc=$?
[ "$valid_rc" -eq 0 ] || fail "tools/validate-report exited with $valid_rc (1 invalid, 2 could" \
    "not check): $(head -c 2000 "$tmp/validate.out")"

# The first failing scenario's failure.why, or its outcome and reason when it has none. An
# expected exit status of 3 (the target could not be tested) wants outcome error, and the
# fragment is looked for in "CAUSE: REASON".
"$py" - "$tmp/report.json" "$want_rc" "$want_why" "${want_fields[@]}" <<'EOF' || fail "report check failed"
import json, sys
path, want_rc, want_why = sys.argv[1], int(sys.argv[2]), sys.argv[3]
report = json.load(open(path, encoding="utf-8"))
scenarios = report["scenarios"]
if not scenarios:
    sys.exit("the report has no scenario")
bad = [s for s in scenarios if s["outcome"] not in ("pass", "skip", "deviation")]

def check_fields(s):
    for spec in sys.argv[4:]:
        field, text = spec.split("=", 1)
        value = {"got": lambda: (s["failure"] or {}).get("got"),
                 "greeting": lambda: report["capabilities"][0]["greeting"],
                 "warning": lambda: "\n".join(w["why"] or "" for w in s["warnings"]),
                 "last_step": lambda: s["steps"][-1]["outcome"]}[field]() or ""
        if text not in value:
            sys.exit(f"{s['id']}: {field} {value!r} lacks {text!r}")

if want_rc == 0:
    if bad:
        sys.exit(f"{bad[0]['id']}: {bad[0]['outcome']}: {bad[0]['failure'] or bad[0]['reason']}")
    check_fields(scenarios[0])
    sys.exit(0)
if not bad:
    sys.exit("every scenario passed; a failure was expected")
s = bad[0]
if want_rc == 3:
    if s["outcome"] != "error" or not s["cause"]:
        sys.exit(f"{s['id']}: {s['outcome']} where an error with a cause was expected")
    why = f"{s['cause']}: {s['reason']}"
    if want_why != "-" and want_why not in why:
        sys.exit(f"{s['id']}: {why!r} lacks {want_why!r}")
    print(f"{s['id']}: error {why}")
    sys.exit(0)
if s["failure"] is None:
    sys.exit(f"{s['id']}: {s['outcome']} without a failing step: reason {s['reason']!r}")
why = s["failure"]["why"] or ""
if want_why != "-" and want_why not in why:
    sys.exit(f"{s['id']}: failure.why {why!r} lacks {want_why!r}")
check_fields(s)
print(f"{s['id']}: {s['outcome']} at {s['failure']['label']!r}: {why}")
EOF
echo "ok [$mode, $(basename "$scenario")]: exit $rc in ${elapsed_ms} ms, ${cpu_ms} ms of CPU"
