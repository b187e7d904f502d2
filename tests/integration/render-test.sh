#!/usr/bin/env bash
# shellcheck disable=SC2154 # tmp, port and peer_pid are set by peer-lib.sh
# render-test.sh CASE MAILCONFORM SOURCE_DIR BADPEER — one check of the renderings of a saved
# report (`mailconform report`, `run --junit/--tap`; docs/cli.md).
#
# A case makes the report it needs in a private folder (a misbehaving peer from tests/peers for
# a failing run, a closed port for set-up errors), renders it and checks the result with the
# tools CI systems would use: xmllint against tests/schema/junit.xsd, Perl's prove, Debian's
# tap-parser (TAP 14). Exit statuses are asserted exactly.
set -u
case_name=$1 MC=$2 SRC=$3 BADPEER=$4
PY=/usr/bin/python3
XSD=$SRC/tests/schema/junit.xsd
PEER_SCEN=$SRC/tests/data/scenarios-peer
# shellcheck source=peer-lib.sh
. "$(dirname "$0")/peer-lib.sh" mc-render
W=$tmp

fail() { printf 'FAIL [%s]: %s\n' "$case_name" "$*" >&2; exit 1; }

# expect STATUS CMD...: runs CMD (output in $W/out, stderr in $W/err); its status must be STATUS.
expect() {
    local want=$1
    shift
    "$@" >"$W/out" 2>"$W/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want: $* (stderr: $(head -c 2000 "$W/err"))"
}
has() { grep -Eq -- "$2" "$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -Eq -- "$2" "$1" || fail "$1 has /$2/"; }
valid_junit() {
    xmllint --noout --schema "$XSD" "$1" >"$W/xmllint" 2>&1 || fail "$1 does not validate: $(head -20 "$W/xmllint")"
}
tap_parser() { NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH} tap-parser "$@"; }

# failing_report FILE: a run with a violation (STAT answered -ERR), a pass and a skip.
failing_report() {
    peer_start "$BADPEER" wrong-status 60
    expect 1 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" "$PEER_SCEN/pop3-capa-multiline.json" \
        "$SRC/scenarios/imap/noop-in-every-state.json" --target "pop3://a:b@127.0.0.1:$port" -r "$1"
    cp "$W/out" "$W/run-out"
}

case $case_name in
junit-fail) # the issue's done-when: a failing run's JUnit passes a schema check, expected vs got
    failing_report "$W/r.json"
    expect 1 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" "$PEER_SCEN/pop3-capa-multiline.json" \
        "$SRC/scenarios/imap/noop-in-every-state.json" --target "pop3://a:b@127.0.0.1:$port" \
        -r "$W/r2.json" --junit "$W/run.xml"
    valid_junit "$W/run.xml"
    expect 0 "$MC" report --format junit -o "$W/j.xml" "$W/r.json"
    valid_junit "$W/j.xml"
    has "$W/j.xml" '<failure type="violation" message="expected a positive reply, got .-ERR nope.; expected \{&quot;ok&quot;:true'
    has "$W/j.xml" 'got -ERR nope \(RFC 1939 section 5, MUST; at [^"]*pop3-stat-ok.json:11:5\)'
    has "$W/j.xml" '^  got: +-ERR nope$'
    has "$W/j.xml" '<testsuite name="mailconform.imap" tests="1" failures="0" errors="0" skipped="1"'
    has "$W/j.xml" '<testsuite name="mailconform.pop3" tests="2" failures="1" errors="0" skipped="0"'
    has "$W/j.xml" '<testcase name="peer.pop3.stat-ok" classname="mailconform.pop3" time="[0-9.]+" file="[^"]*pop3-stat-ok.json" status="fail">'
    has "$W/j.xml" '<skipped message="the target has no imap endpoint"/>'
    has "$W/j.xml" '^---- step 2: send STAT \[fail\]$'
    has "$W/j.xml" '^ +[0-9.]+ a +S: -ERR nope$'
    has "$W/j.xml" '<property name="verdict" value="fail"/>'
    # run --junit is what report --format junit makes from the run's report
    expect 0 "$MC" report --format junit -o "$W/j2.xml" "$W/r2.json"
    cmp -s "$W/run.xml" "$W/j2.xml" || fail "run --junit differs from report --format junit of its report"
    ;;
junit-error) # a set-up error is <error type=CAUSE> with the reason and the hint, never a failure
    p=$("$SRC/tools/free-port" 1)
    expect 3 "$MC" run "$SRC/scenarios/pop3" -f 'pop3.session.*' --target "pop3://u:p@127.0.0.1:$p" -r "$W/r.json" --junit "$W/j.xml"
    valid_junit "$W/j.xml"
    has "$W/j.xml" '<error type="unreachable" message="[^"]+">'
    has "$W/j.xml" '^hint: .*(running|port)'
    lacks "$W/j.xml" '<failure'
    has "$W/j.xml" 'failures="0" errors="[1-9]'
    # the run could not test the target (exit 3): a failing run-verdict test, so neither a
    # JUnit consumer nor prove reads the file as green, even when every scenario was skipped
    has "$W/j.xml" '<testcase name="run-verdict" classname="mailconform.run" time="0">'
    has "$W/j.xml" '<error type="untested" message="NOT TESTED: '
    expect 0 "$MC" report --format tap --tap-version 13 -o "$W/t.tap" "$W/r.json"
    has "$W/t.tap" '^not ok [0-9]+ - run-verdict: NOT TESTED: '
    prove -e cat "$W/t.tap" >"$W/prove" 2>&1 && fail "prove read an untested run as a pass"
    "$PY" - "$W/r.json" "$W/skipped.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
for s in r["scenarios"]:
    s.update(outcome="skip", reason="the target lacks it", cause=None, hint=None, failure=None)
json.dump(r, open(sys.argv[2], "w"))
PYEOF
    expect 0 "$MC" report --format tap --tap-version 13 -o "$W/s.tap" "$W/skipped.json"
    prove -e cat "$W/s.tap" >"$W/prove" 2>&1 && fail "prove read an all-skipped untested run as a pass"
    expect 0 "$MC" report --format junit -o "$W/s.xml" "$W/skipped.json"
    valid_junit "$W/s.xml"
    has "$W/s.xml" '<testsuites name="mailconform" tests="[0-9]+" failures="0" errors="1"'
    ;;
junit-escape) # bytes XML forbids appear as \xHH, never raw; the file stays valid UTF-8 XML
    peer_start "$BADPEER" nul-status 60
    expect 1 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" --target "pop3://a:b@127.0.0.1:$port" -r "$W/r.json"
    # a hand-made worst case too: controls, U+FFFE, markup and TAP's # and \ in report strings,
    # raw bytes (NUL, ESC, 0xff) in a base64 transcript entry, a very long line, truncation
    "$PY" - "$W/r.json" "$W/worst.json" <<'PYEOF'
import json, sys, base64
r = json.load(open(sys.argv[1]))
s = r["scenarios"][0]
s["title"] = "title with # and \\ and <b>&amp;</b> \u0001 \ufffe"
s["failure"]["why"] = "why \u0007 \u001b[31m \"quoted\" ]]> \u0085"
s["transcript"].append({"t": 1.0, "session": "a", "dir": "server",
                        "base64": base64.b64encode(b"\x00\x1b[2J\xff\xfe bad\r\n").decode()})
s["transcript"].append({"t": 1.1, "session": "a", "dir": "server", "text": "x" * 5000 + "\r\n"})
s["transcript_truncated"] = True
json.dump(r, open(sys.argv[2], "w"))
PYEOF
    for rep in r worst; do
        expect 0 "$MC" report --format junit -o "$W/$rep.xml" "$W/$rep.json"
        valid_junit "$W/$rep.xml"
        "$PY" - "$W/$rep.xml" <<'PYEOF' || fail "raw control bytes or bad UTF-8 in $rep.xml"
import sys, re
data = open(sys.argv[1], "rb").read()
data.decode("utf-8")  # raises on ill-formed UTF-8
bad = re.findall(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", data)
assert not bad, bad[:5]
PYEOF
    done
    has "$W/r.xml" 'got: +-ERR no\\x00such'
    has "$W/worst.xml" '\\x00\\x1b\[2J\\xff\\xfe bad'
    has "$W/worst.xml" '\[\.\.\. 4800 more octet\(s\) cut\]'
    has "$W/worst.xml" 'transcript truncated'
    has "$W/worst.xml" 'why \\x07 \\x1b\[31m "quoted" \]\]&gt; \\xc2\\x85'
    # TAP and text of the worst case: parsable, no raw escape sequences
    expect 0 "$MC" report --format tap --tap-version 13 -o "$W/worst.tap" "$W/worst.json"
    prove -e cat "$W/worst.tap" >"$W/prove" 2>&1
    lacks "$W/prove" 'Parse errors'
    has "$W/worst.tap" '^not ok 1 - peer\.pop3\.stat-ok: title with \\# and \\\\ and <b>&amp;</b>'
    expect 0 "$MC" report --color never -o "$W/worst.txt" "$W/worst.json"
    "$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); assert b"\x1b" not in d and b"\x00" not in d' "$W/worst.txt" ||
        fail "raw ESC or NUL in the text rendering"
    ;;
junit-schema-strict) # the schema check can fail: each broken variant of a good file is refused
    failing_report "$W/r.json"
    expect 0 "$MC" report --format junit -o "$W/j.xml" "$W/r.json"
    valid_junit "$W/j.xml"
    n=0
    while IFS='|' read -r what from to; do
        n=$((n + 1))
        sed -E "s/$from/$to/" "$W/j.xml" >"$W/broken$n.xml"
        cmp -s "$W/j.xml" "$W/broken$n.xml" && fail "variant '$what' changed nothing"
        xmllint --noout --schema "$XSD" "$W/broken$n.xml" >/dev/null 2>&1 && fail "the schema accepts: $what"
    done <<'VARIANTS'
no failures count|<testsuites name="mailconform" tests="([0-9]+)" failures="[0-9]+"|<testsuites name="mailconform" tests="\1"
negative time|time="([0-9.]+)" file=|time="-\1" file=
failure without type|<failure type="violation" |<failure 
unknown element|<skipped message|<skip message
a second result|<skipped message="([^"]*)"\/>|<skipped message="\1"\/><failure type="x" message="y"\/>
unknown status|status="pass"|status="passed"
result after system-out|<\/system-out>|<\/system-out><skipped\/>
timestamp with a zone|timestamp="([^"]+)"|timestamp="\1Z"
not well-formed|<\/testsuites>|<\/testsuite>
VARIANTS
    ;;
tap-prove) # TAP (13 header) read by Perl's prove; the same TAP as the 14 document but line 1
    failing_report "$W/r.json"
    expect 0 "$MC" report --format tap --tap-version 13 -o "$W/t13.tap" "$W/r.json"
    expect 0 "$MC" report --format tap -o "$W/t14.tap" "$W/r.json"
    [ "$(head -1 "$W/t13.tap")" = "TAP version 13" ] || fail "no TAP 13 header"
    [ "$(head -1 "$W/t14.tap")" = "TAP version 14" ] || fail "no TAP 14 header"
    cmp -s <(tail -n +2 "$W/t13.tap") <(tail -n +2 "$W/t14.tap") || fail "the 13 and 14 documents differ beyond the version line"
    prove -v -e cat "$W/t13.tap" >"$W/prove" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || fail "prove: exit $rc on a failing run, expected 1: $(cat "$W/prove")"
    lacks "$W/prove" 'Parse errors'
    has "$W/prove" 'Failed test: +1$'
    has "$W/prove" 'Tests=3'
    has "$W/t13.tap" '^ok 3 - imap\.noop\.every-state: .* # SKIP the target has no imap endpoint$'
    # a known deviation is a TODO: prove passes the run, as mailconform's verdict does
    "$PY" - "$W/r.json" "$W/dev.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["scenarios"][0]
s["outcome"], s["reason"] = "deviation", "the profile accepts it: # STAT refused"
json.dump(r, open(sys.argv[2], "w"))
PYEOF
    expect 0 "$MC" report --format tap --tap-version 13 -o "$W/dev.tap" "$W/dev.json"
    has "$W/dev.tap" '^not ok 1 - .* # TODO known deviation: the profile accepts it: # STAT refused$'
    prove -e cat "$W/dev.tap" >"$W/prove" 2>&1 || fail "prove refuses a run whose only failure is a known deviation: $(cat "$W/prove")"
    has "$W/prove" 'Result: PASS'
    # without --tap-version 13, this prove refuses the header (why the option exists)
    prove -e cat "$W/t14.tap" >"$W/prove" 2>&1
    if ! grep -q 'later than 13' "$W/prove"; then
        echo "note: this prove reads TAP version 14"
    fi
    ;;
tap14-parser) # the TAP 14 document read by a TAP 14 parser (Debian's tap-parser), YAML included
    failing_report "$W/r.json"
    "$PY" - "$W/r.json" "$W/r2.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = dict(r["scenarios"][0])
s["id"], s["outcome"], s["reason"] = "peer.as-deviation", "deviation", "known"
e = dict(s, id="peer.as-error", outcome="error", cause="credentials", reason="refused", hint="check the password")
r["scenarios"] += [s, e]
json.dump(r, open(sys.argv[2], "w"))
PYEOF
    expect 0 "$MC" report --format tap --transcript all -o "$W/t.tap" "$W/r2.json"
    tap_parser -j 0 <"$W/t.tap" >"$W/parsed.json" 2>"$W/parse-err" # exits 1: the run has failures
    [ -s "$W/parsed.json" ] || fail "tap-parser read nothing: $(cat "$W/parse-err")"
    "$PY" - "$W/parsed.json" <<'PYEOF' || fail "tap-parser's reading differs from the report"
import json, sys
ev = json.load(open(sys.argv[1]))
assert ["version", 14] in ev, ev[:2]
done = [e[1] for e in ev if e[0] == "complete"][0]
assert done["count"] == 5 and done["fail"] == 3 and done["todo"] == 1 and done["skip"] == 1, done
assert not done["ok"]
pts = {a["name"].split(":")[0]: a for t, a in ev if t == "assert"}
f = pts["peer.pop3.stat-ok"]["diag"]
assert f["severity"] == "fail" and f["got"] == "-ERR nope" and '"ok":true' in f["expected"], f
assert f["at"].endswith("pop3-stat-ok.json:11:5") and f["rfc"] == "RFC 1939 section 5" and f["level"] == "MUST", f
assert "---- step 2: send STAT [fail]" in f["transcript"], f["transcript"]
e = pts["peer.as-error"]["diag"]
assert e["severity"] == "error" and e["cause"] == "credentials" and e["hint"] == "check the password", e
assert pts["peer.as-deviation"]["todo"] == "known deviation: known"
assert "transcript" in pts["peer.pop3.capa-multiline"].get("diag", {}), "--transcript all left out a pass"
PYEOF
    ;;
text-summary) # the text rendering of a saved report shows the run's summary numbers
    failing_report "$W/r.json"
    expect 0 "$MC" report --color never -o "$W/text" "$W/r.json"
    for pat in '^[0-9]+ scenario\(s\) against ' '^  MUST ' '^  pop3 ' '^  imap ' '^FAIL: ' '^ +[0-9]+  the target has no imap endpoint$' \
        '^    .*pop3-stat-ok.json:11:5: step 2 \(send STAT\)$' '^      expected: ' '^      got: +-ERR nope$' '^      required by: RFC 1939 section 5 \(MUST\)$'; do
        a=$(grep -E -- "$pat" "$W/run-out" | sed -E 's/ in [0-9.]+ s:/:/' | sort)
        b=$(grep -E -- "$pat" "$W/text" | sed -E 's/ in [0-9.]+ s:/:/' | sort)
        [ -n "$a" ] || fail "the run's output lacks /$pat/"
        [ "$a" = "$b" ] || fail "/$pat/: the run printed '$a', the rendering '$b'"
    done
    has "$W/text" '^---- step 2: send STAT \[fail\]$|^      ---- step 2: send STAT \[fail\]$'
    lacks "$W/text" 'step 1: send CAPA'
    expect 0 "$MC" report --transcript all --color never "$W/r.json"
    has "$W/out" 'step 1: send CAPA'
    expect 0 "$MC" report --transcript none --color never "$W/r.json"
    lacks "$W/out" '---- step'
    expect 0 "$MC" report --color always "$W/r.json"
    has "$W/out" $'\033\\[31m'
    ;;
summary-edited) # text and TAP count the scenarios they list, whatever the report's summary says
    failing_report "$W/r.json" # 1 pass, 1 fail, 1 skip
    $PY - "$W/r.json" "$W" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
gone = dict(doc); del gone["summary"]
json.dump(gone, open(sys.argv[2] + "/no-summary.json", "w"))
doc["summary"].update({"fail": 0, "pass": 2})
json.dump(doc, open(sys.argv[2] + "/lying.json", "w"))
PYEOF
    counts='3 scenario\(s\) against [^:]*(in [0-9.]+ s)?: 1 passed, 1 failed, 0 known deviation\(s\), 0 error\(s\), 1 skipped, 0 not run'
    for r in r no-summary lying; do
        expect 0 "$MC" report --color never -o "$W/$r.txt" "$W/$r.json"
        has "$W/$r.txt" "^$counts\$"
        has "$W/$r.txt" '^FAIL +peer\.pop3\.stat-ok'
        expect 0 "$MC" report --format tap -o "$W/$r.tap" "$W/$r.json"
        has "$W/$r.tap" "^# $counts\$"
    done
    for r in r no-summary; do
        lacks "$W/$r.txt" 'summary says otherwise'
        lacks "$W/$r.tap" 'summary says otherwise'
    done
    has "$W/lying.txt" "^note: the report's summary says otherwise \(3 scenario\(s\): 2 passed, 0 failed,"
    has "$W/lying.tap" "^# note: the report's summary says otherwise \(3 scenario\(s\): 2 passed, 0 failed,"
    lacks "$W/no-summary.txt" '^by level:'
    ;;
bad-report) # a file that is not a report this mailconform reads: exit 2, the file and the reason
    printf '{"format": "mailconform-report", "format_version": 1, "scenarios": [' >"$W/cut.json"
    expect 2 "$MC" report "$W/cut.json"
    has "$W/err" "cut\\.json:1:[0-9]+: not a JSON report"
    printf '{"format": "mailconform-report", "format_version": 99, "scenarios": []}' >"$W/v99.json"
    for f in junit tap text; do
        expect 2 "$MC" report --format $f "$W/v99.json"
        has "$W/err" "v99\\.json: report format_version 99 is not one this mailconform reads"
    done
    printf '{"format": "other"}' >"$W/other.json"
    expect 2 "$MC" report "$W/other.json"
    has "$W/err" 'other\.json: not a mailconform report'
    printf '{"format": "mailconform-report", "format_version": 1, "scenarios": [{"id": 3}]}' >"$W/sc.json"
    expect 2 "$MC" report "$W/sc.json"
    has "$W/err" 'sc\.json: scenarios\[0\] is not a scenario'
    printf '{"format": "mailconform-report", "format_version": 1, "scenarios": [{"id": "x", "outcome": "fail"}, {"id": "y", "outcome": "error"}]}' >"$W/min.json"
    # an outcome format version 1 does not have: refused, never rendered as a pass
    # (JUnit had no child element for it, and report diff called it an "other change")
    printf '{"format": "mailconform-report", "format_version": 1, "scenarios": [{"id": "x", "outcome": "crash"}]}' >"$W/crash.json"
    for f in junit tap text html; do
        expect 2 "$MC" report --format $f "$W/crash.json"
        has "$W/err" "crash\\.json: scenarios\\[0\\] has the outcome 'crash', not one of format version 1"
    done
    expect 2 "$MC" report diff "$W/min.json" "$W/crash.json"
    has "$W/err" "crash\\.json: scenarios\\[0\\] has the outcome 'crash'"
    expect 2 "$MC" report "$W/missing.json"
    has "$W/err" 'missing\.json: No such file'
    expect 2 "$MC" report --format xml "$W/missing.json"
    has "$W/err" "--format: 'xml' is not one of"
    expect 2 "$MC" report --tap-version 12 "$W/missing.json"
    # a minimal report (keys left out) renders in every format without a crash
    for f in junit tap text; do
        expect 0 "$MC" report --format $f --transcript all -o "$W/min.$f" "$W/min.json"
    done
    valid_junit "$W/min.junit"
    ;;
outfile) # -o writes whole or not at all
    failing_report "$W/r.json"
    echo OLD >"$W/o.xml"
    printf 'not json' >"$W/bad.json"
    expect 2 "$MC" report --format junit -o "$W/o.xml" "$W/bad.json"
    [ "$(cat "$W/o.xml")" = OLD ] || fail "a failed rendering touched the output file"
    expect 2 "$MC" report --format junit -o "$W/no-such-dir/o.xml" "$W/r.json"
    has "$W/err" 'no-such-dir/o\.xml\.tmp: No such file'
    expect 0 "$MC" report --format junit -o "$W/o.xml" "$W/r.json"
    valid_junit "$W/o.xml"
    mkdir "$W/dir.xml" && touch "$W/dir.xml/x"
    expect 2 "$MC" report --format junit -o "$W/dir.xml" "$W/r.json"
    for f in "$W"/*.tmp; do
        [ -e "$f" ] && fail "a .tmp file was left behind: $f"
    done
    # a FIFO (as /dev/null or /dev/stdout: not a plain file) is written in place, never
    # replaced by a file renamed over it (as root, -o /dev/null replaced the device)
    mkfifo "$W/pipe.xml"
    timeout 60 cat "$W/pipe.xml" >"$W/piped" &
    expect 0 timeout 60 "$MC" report --format junit -o "$W/pipe.xml" "$W/r.json"
    wait
    [ -p "$W/pipe.xml" ] || fail "-o FIFO replaced the FIFO by a file"
    valid_junit "$W/piped"
    expect 0 "$MC" report --format junit -o /dev/null "$W/r.json"
    [ -c /dev/null ] || fail "-o /dev/null replaced /dev/null"
    # a symbolic link planted at FILE.tmp is not written through
    echo VICTIM >"$W/victim"
    ln -s "$W/victim" "$W/o2.xml.tmp"
    expect 2 "$MC" report --format junit -o "$W/o2.xml" "$W/r.json"
    has "$W/err" 'o2\.xml\.tmp: Too many levels of symbolic links'
    [ "$(cat "$W/victim")" = VICTIM ] || fail "-o wrote through a symbolic link at FILE.tmp"
    # run's own JSON report and serve's target.json are written by the same code (lib/outfile.c)
    mkfifo "$W/pipe.json"
    timeout 60 cat "$W/pipe.json" >"$W/piped.json" &
    expect 0 timeout 60 "$MC" run "$SRC/scenarios/pop3/stat-counts-messages.json" -r "$W/pipe.json"
    wait
    [ -p "$W/pipe.json" ] || fail "run -r FIFO replaced the FIFO by a file"
    $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$W/piped.json" || fail "run -r FIFO: no JSON came through"
    ;;
run-no-report) # run --junit/--tap without --report: a temporary report, removed afterwards
    peer_start "$BADPEER" good-pop3 60
    mkdir "$W/tmp"
    TMPDIR=$W/tmp expect 0 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" --target "pop3://a:b@127.0.0.1:$port" --junit "$W/j.xml" --tap "$W/t.tap" --tap-version 13
    valid_junit "$W/j.xml"
    prove -e cat "$W/t.tap" >"$W/prove" 2>&1 || fail "prove: $(cat "$W/prove")"
    [ -z "$(ls -A "$W/tmp")" ] || fail "the temporary report was left: $(ls -R "$W/tmp")"
    # --report - with --junit: the JSON on standard output as without, the JUnit from it
    TMPDIR=$W/tmp "$MC" run "$PEER_SCEN/pop3-stat-ok.json" --target "pop3://a:b@127.0.0.1:$port" --report - --junit "$W/j2.xml" >"$W/r.json" 2>"$W/err" ||
        fail "run --report - --junit: exit $? ($(cat "$W/err"))"
    "$SRC/tools/validate-report" "$W/r.json" >/dev/null 2>&1 || fail "standard output is not (only) the JSON report"
    valid_junit "$W/j2.xml"
    [ -z "$(ls -A "$W/tmp")" ] || fail "the temporary report was left: $(ls -R "$W/tmp")"
    # an output folder that does not exist: nothing runs
    expect 2 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" --target "pop3://a:b@127.0.0.1:$port" --tap "$W/none/t.tap"
    has "$W/err" 'the folder .*none does not exist \(nothing was run\)'
    expect 2 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" --target "pop3://a:b@127.0.0.1:$port" --tap - --junit -
    ;;
run-render-fails) # a rendering that cannot be written is said, and never leaves a green status
    mkdir "$W/j.xml" && touch "$W/j.xml/x" # a folder where the file should go: rename fails
    peer_start "$BADPEER" good-pop3 60
    expect 2 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" --target "pop3://a:b@127.0.0.1:$port" -r "$W/r.json" --junit "$W/j.xml" --tap "$W/t.tap"
    has "$W/err" "--junit .*j\\.xml was not written"
    [ -s "$W/t.tap" ] || fail "one failed rendering stopped the others"
    "$SRC/tools/validate-report" "$W/r.json" >/dev/null 2>&1 || fail "the report was not kept"
    kill "$peer_pid" && wait "$peer_pid" 2>/dev/null
    peer_start "$BADPEER" wrong-status 60
    expect 1 "$MC" run "$PEER_SCEN/pop3-stat-ok.json" --target "pop3://a:b@127.0.0.1:$port" --junit "$W/j.xml"
    has "$W/err" "--junit .*j\\.xml was not written"
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "ok [$case_name]"
