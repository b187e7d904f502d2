#!/usr/bin/env bash
# diff-test.sh CASE MAILCONFORM SOURCE_DIR — one check of `mailconform report diff` (issue 9)
# on reports of real runs against the embedded reference server (the POP3 scenarios: fast).
#
#   self        two runs of the same scenarios: "no change", exit 0 (and a report against itself)
#   broken      a copy of the scenarios with one edited to expect what the server does not send:
#               the diff names it as a new failure and exits 1; --json and -o say the same; the
#               other way round it is fixed, exit 0
#   untested    NEW ran against a closed port (every scenario an error): exit 3, not "no
#               change"; with --fail-on new_error, exit 1
#   malformed   a cut JSON file, a JSON file that is no report, a missing file, a report with
#               one id twice, bad options: exit 2 with the file and what is wrong
set -u
case_name=$1 MC=$2 SRC=$3
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mc-diff.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
BROKEN_ID=pop3.transaction.stat-counts-messages

fail() { printf 'FAIL [%s]: %s\n' "$case_name" "$*" >&2; [ -f "$WORK/out" ] && { echo "--- output:" >&2; cat "$WORK/out" >&2; }; exit 1; }

# run_pop3 REPORT [SCENARIO_DIR [ARGS...]]: a run of the POP3 scenarios, its report in REPORT.
run_pop3() {
    local report=$1 dir=${2:-$SRC/scenarios/pop3}
    shift $(($# < 2 ? $# : 2))
    "$MC" run -q -r "$report" "$dir" "$@" >"$WORK/run.out" 2>&1
    [ -f "$report" ] || fail "mailconform run wrote no report: $(cat "$WORK/run.out")"
}

# diff WANT_STATUS ARGS...: mailconform report diff ARGS, output in $WORK/out.
diff_expect() {
    local want=$1
    shift
    "$MC" report diff "$@" >"$WORK/out" 2>&1
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want (report diff $*)"
}

output_has() { grep -Eq -- "$1" "$WORK/out" || fail "the output lacks /$1/"; }
output_lacks() { ! grep -Eq -- "$1" "$WORK/out" || fail "the output has /$1/"; }

# valid FILE: FILE passes the diff model's schema (reports/schema/diff.schema.json).
valid() {
    "$SRC/tools/validate-report" "$1" "$SRC/reports/schema/diff.schema.json" >"$WORK/validate" 2>&1
    local v=$?
    [ "$v" -eq 0 ] || fail "the diff does not validate (validator exit $v): $(cat "$WORK/validate")"
}

# check_json FILE PYTHON: runs PYTHON with `d` bound to the JSON in FILE; it must not raise.
check_json() {
    "$PY" - "$1" "$2" <<'EOF' || fail "JSON check failed: $2"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
cat = {s["id"]: s["category"] for s in d["scenarios"]}
exec(sys.argv[2])
EOF
}

case $case_name in
self) # the issue's "done when": a run against itself says "no change" and exits 0
    run_pop3 "$WORK/a.json"
    run_pop3 "$WORK/b.json"
    diff_expect 0 "$WORK/a.json" "$WORK/b.json"
    output_has "^no change: [0-9]+ scenarios, same outcomes$"
    output_has "^OK: no new failure \(exit 0\)$"
    output_lacks "warning"
    diff_expect 0 "$WORK/a.json" "$WORK/a.json"
    output_has "^no change: "
    # the report from standard input
    "$MC" report diff "$WORK/a.json" - <"$WORK/b.json" >"$WORK/out" 2>&1 || fail "diff with '-' failed"
    output_has "^no change: "
    ;;
broken) # and with one scenario broken it names it and exits 1
    run_pop3 "$WORK/a.json"
    cp -r "$SRC/scenarios/pop3" "$WORK/pop3"
    sed -i 's/\^\\\\+OK 2 /^\\\\+OK 3 /' "$WORK/pop3/stat-counts-messages.json"
    grep -q 'OK 3 ' "$WORK/pop3/stat-counts-messages.json" || fail "the scenario was not edited"
    run_pop3 "$WORK/c.json" "$WORK/pop3"
    diff_expect 1 "$WORK/a.json" "$WORK/c.json"
    output_has "^1 new failure; [0-9]+ of [0-9]+ scenarios unchanged$"
    output_has "^NEW FAILURES \(1\)$"
    output_has "^  $BROKEN_ID  pass -> fail  \(MUST, pop3\)$"
    output_has "now: step 1 'send STAT' \(line [0-9]+\): expected the status line to match"
    output_has "^warning: the reports ran different scenario sets"
    output_has "^REGRESSION: 1 new failure \(exit 1\)$"
    diff_expect 1 --json -o "$WORK/diff.json" "$WORK/a.json" "$WORK/c.json"
    [ -s "$WORK/out" ] && fail "with -o, nothing goes to the terminal"
    valid "$WORK/diff.json"
    check_json "$WORK/diff.json" '
assert d["format"] == "mailconform-diff" and d["exit_status"] == 1 and d["verdict"] == "regression"
assert cat["'$BROKEN_ID'"] == "new_failure", cat
assert [i for i, c in cat.items() if c != "unchanged"] == ["'$BROKEN_ID'"], cat
assert d["counts"]["new_failure"] == 1 and d["by_protocol"]["pop3"]["new_failure"] == 1
assert d["by_level"]["MUST"]["new_failure"] == 1
e = [s for s in d["scenarios"] if s["id"] == "'$BROKEN_ID'"][0]
assert e["old"]["outcome"] == "pass" and e["new"]["outcome"] == "fail" and e["gates"]
assert e["new"]["failure"]["got"].startswith("+OK 2 "), e
assert d["old"]["scenario_set"]["sha256"] != d["new"]["scenario_set"]["sha256"]'
    diff_expect 0 "$WORK/c.json" "$WORK/a.json"
    output_has "^FIXED \(1\)$"
    output_has "^  $BROKEN_ID  fail -> pass"
    # the same breakage twice: still failing, for the same reason (run ids, sizes differ)
    run_pop3 "$WORK/d.json" "$WORK/pop3"
    diff_expect 0 "$WORK/c.json" "$WORK/d.json"
    output_has "^no change: [0-9]+ scenarios, same outcomes \(1 still failing\)$"
    ;;
untested) # a run that tested nothing is not "no change"
    run_pop3 "$WORK/a.json"
    port=$("$SRC/tools/free-port" 1)
    run_pop3 "$WORK/u.json" "$SRC/scenarios/pop3" --target "pop3://u:p@127.0.0.1:$port"
    diff_expect 3 "$WORK/a.json" "$WORK/u.json"
    output_has "^NEW ERRORS \([0-9]+\)$"
    output_has "pass -> error"
    output_has "now: unreachable: "
    output_has "^NOT TESTED: .*u.json tested no scenario"
    diff_expect 1 --fail-on new_error "$WORK/a.json" "$WORK/u.json"
    output_has "^REGRESSION: [0-9]+ new errors"
    diff_expect 3 --json -o "$WORK/diff.json" "$WORK/a.json" "$WORK/u.json"
    valid "$WORK/diff.json"
    check_json "$WORK/diff.json" '
assert d["verdict"] == "untested" and d["new"]["summary"]["tested"] == 0
assert set(cat.values()) == {"new_error", "new_skip"}, cat  # the URL target has no pop3s: a skip
assert all(s["new"]["cause"] == "unreachable" and s["new"]["reason_key"] == "cause unreachable"
           for s in d["scenarios"] if s["category"] == "new_error")'
    ;;
malformed) # bad input: exit 2, the file and what is wrong
    run_pop3 "$WORK/a.json"
    head -c 300 "$WORK/a.json" >"$WORK/cut.json"
    diff_expect 2 "$WORK/a.json" "$WORK/cut.json"
    output_has "cut.json:[0-9]+:[0-9]+: not a JSON report"
    echo '{"format": "something-else"}' >"$WORK/other.json"
    diff_expect 2 "$WORK/other.json" "$WORK/a.json"
    output_has "other.json: not a mailconform report"
    diff_expect 2 "$WORK/a.json" "$WORK/missing.json"
    output_has "missing.json: No such file or directory"
    "$PY" - "$WORK/a.json" "$WORK/dup.json" <<'EOF' || fail "cannot make dup.json"
import json, sys
r = json.load(open(sys.argv[1]))
r["scenarios"].append(r["scenarios"][0])
json.dump(r, open(sys.argv[2], "w"))
EOF
    diff_expect 2 "$WORK/a.json" "$WORK/dup.json"
    output_has "dup.json: scenarios\[[0-9]+\]: the id '.*' appears twice"
    diff_expect 2 "$WORK/a.json"
    output_has "give two reports"
    diff_expect 2 - -
    output_has "only one of the reports can be '-'"
    diff_expect 2 --color sometimes "$WORK/a.json" "$WORK/a.json"
    output_has "--color: 'sometimes' is not auto, always or never"
    diff_expect 2 --fail-on new_failur "$WORK/a.json" "$WORK/a.json"
    output_has "--fail-on: 'new_failur' is not a category"
    diff_expect 2 -o "$WORK/no/such/dir/x" "$WORK/a.json" "$WORK/a.json"
    output_has "no/such/dir/x"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
