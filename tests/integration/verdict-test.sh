#!/usr/bin/env bash
# shellcheck disable=SC2154,SC2016 # P_NAME, CA, U1, PW1 are set by eval in start_reference; Python snippets are single-quoted on purpose
# verdict-test.sh CASE MAILCONFORM SOURCE_DIR BADPEER — one check of the verdict (issue 8): who
# is at fault, exit statuses, interrupts, TLS verification, resets, selection, report fields.
#
# Each case starts what it needs (the reference server through servers-under-test/reference/
# start, a misbehaving peer) in a private directory and stops it on exit, even on failure. A
# case passes when mailconform exits with the documented status, within the stated time, and
# its JSON report (validated against the schema) says what the case expects.
set -u
case_name=$1 MC=$2 SRC=$3 BADPEER=$4
PY=/usr/bin/python3
# shellcheck source=peer-lib.sh
. "$(dirname "$0")/peer-lib.sh" mc-verdict
WORK=$tmp
REF=""
cleanup() {
    [ -n "$REF" ] && "$SRC/servers-under-test/reference/stop" "$REF" >/dev/null 2>&1
    peer_cleanup
}
trap cleanup EXIT

fail() { printf 'FAIL [%s]: %s\n' "$case_name" "$*" >&2; [ -f "$WORK/out" ] && { echo "--- output:" >&2; tail -40 "$WORK/out" >&2; }; exit 1; }

# run WANT_STATUS ARGS...: runs mailconform run with ARGS, report in $WORK/report.json, output in
# $WORK/out; fails unless the exit status is WANT_STATUS and the report validates.
run() {
    local want=$1
    shift
    "$MC" run "$@" >"$WORK/out" 2>&1
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want (mailconform run $*)"
    if [ -f "$WORK/report.json" ]; then
        "$SRC/tools/validate-report" "$WORK/report.json" >"$WORK/validate" 2>&1
        local v=$?
        [ "$v" -eq 0 ] || fail "the report does not validate (validator exit $v): $(cat "$WORK/validate")"
    fi
}

# check PYTHON: runs the Python snippet with `r` bound to the report; it must not raise.
check() {
    "$PY" - "$WORK/report.json" "$1" <<'EOF' || fail "report check failed: $1"
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
sc = {s["id"]: s for s in r["scenarios"]}
exec(sys.argv[2])
EOF
}

output_has() { grep -Eq -- "$1" "$WORK/out" || fail "the output lacks /$1/"; }

start_reference() {
    REF=$WORK/ref
    MAILCONFORM=$MC "$SRC/servers-under-test/reference/start" "$REF" >/dev/null || fail "cannot start the reference server"
    eval "$("$PY" - "$REF/target.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
for name, ep in t["endpoints"].items():
    print(f"P_{name}={ep['port']}")
print(f"CA={t['ca_file']}")
u = t["users"][0]
print(f"U1={u['user']} PW1={u['password']}")
EOF
)"
}

free_port() { "$SRC/tools/free-port" 1; }

# start_peer MODE: runs tests/peers/badpeer in MODE; sets PEER_PORT.
start_peer() {
    peer_start "$BADPEER" "$1" 60
    PEER_PORT=$port
}

elapsed_under() { # SECONDS START_NS: fails when more than SECONDS passed since START_NS
    local now ms
    now=$(date +%s%N)
    ms=$(((now - $2) / 1000000))
    [ "$ms" -le $(($1 * 1000)) ] || fail "took ${ms} ms, more than $1 s"
}

case $case_name in
unreachable) # the issue's "done when": a closed port exits 3 within seconds, every outcome an error
    port=$(free_port)
    t0=$(date +%s%N)
    run 3 "$SRC/scenarios/pop3" --target "pop3://u:p@127.0.0.1:$port" -r "$WORK/report.json"
    elapsed_under 5 "$t0"
    check 'assert all(s["outcome"] == "error" and s["cause"] == "unreachable" for s in r["scenarios"] if s["outcome"] != "skip"), [(s["id"], s["outcome"]) for s in r["scenarios"]]
assert r["run"]["verdict"] == "untested" and r["run"]["exit_status"] == 3
assert r["endpoints"][0]["problems"][0]["cause"] == "unreachable"
assert all(s["hint"] for s in r["scenarios"] if s["outcome"] == "error")'
    output_has "ERROR endpoint unreachable"
    output_has "NOT TESTED"
    ;;
dns)
    run 3 "$SRC/scenarios/pop3" --target "pop3://u:p@name-that-does-not-exist.invalid:110" -r "$WORK/report.json"
    check 'assert {s["cause"] for s in r["scenarios"] if s["outcome"] == "error"} == {"dns"}'
    ;;
empty-selection) # nothing selected is a usage error, never an empty green run
    run 2 "$SRC/scenarios" --filter 'no-such-scenario.*' --target "pop3://u:p@127.0.0.1:1"
    output_has "no scenario to run"
    mkdir "$WORK/empty"
    run 2 "$WORK/empty" --target "pop3://u:p@127.0.0.1:1"
    run 2 "$SRC/scenarios" --level MAY --protocol lmtp --target "pop3://u:p@127.0.0.1:1"
    ;;
credentials) # a wrong password is the profile's problem: error credentials, never a MUST failure
    start_reference
    run 3 "$SRC/scenarios/pop3" --ca-file "$CA" --target "pop3://$U1:wrong-password@127.0.0.1:$P_pop3" --target "lmtp://127.0.0.1:$P_lmtp" -r "$WORK/report.json"
    check 'bad = [s for s in r["scenarios"] if s["outcome"] == "fail"]
assert not bad, [(s["id"], s["failure"]) for s in bad]
assert any(s["cause"] == "credentials" for s in r["scenarios"])
assert sc["pop3.session.greeting-positive"]["outcome"] == "pass"
assert r["endpoints"][0]["problems"][0]["aspect"] == "login"'
    output_has "ERROR login credentials"
    ;;
protocol-mismatch) # IMAP scenarios aimed at an SMTP port; TLS aimed at a plain port
    start_reference
    run 3 "$SRC/scenarios/imap" --target "imap://$U1:$PW1@127.0.0.1:$P_smtp" -r "$WORK/report.json"
    check 'assert {s["cause"] for s in r["scenarios"] if s["outcome"] == "error"} == {"protocol-mismatch"}
assert "greets like smtp" in r["endpoints"][0]["problems"][0]["why"]'
    run 3 "$SRC/scenarios/pop3" --target "pop3s://$U1:$PW1@127.0.0.1:$P_pop3" -r "$WORK/report.json"
    check 'assert {s["cause"] for s in r["scenarios"] if s["outcome"] == "error"} == {"protocol-mismatch"}, r["endpoints"]'
    # plain text aimed at an implicit-TLS port: the server waits for a TLS hello, says nothing
    run 3 "$SRC/scenarios/pop3" --step-timeout 1500 --target "pop3://$U1:$PW1@127.0.0.1:$P_pop3s" -r "$WORK/report.json"
    check 'assert {s["cause"] for s in r["scenarios"] if s["outcome"] == "error"} == {"no-greeting"}
assert "implicit TLS" in r["endpoints"][0]["problems"][0]["hint"]'
    ;;
tls-verify) # certificates are verified by default; --insecure goes on and says so
    start_reference
    run 3 "$SRC/scenarios/pop3" -f 'pop3.tls.*' -f 'pop3.session.*' --target "pop3s://$U1:$PW1@127.0.0.1:$P_pop3s" --target "pop3://$U1:$PW1@127.0.0.1:$P_pop3" -r "$WORK/report.json"
    check 'errs = [s for s in r["scenarios"] if s["outcome"] == "error"]
assert errs and all(s["cause"] == "tls" for s in errs), [(s["id"], s["cause"]) for s in errs]
assert "CN=localhost" in errs[0]["reason"] and "--insecure" in errs[0]["hint"]
assert not [s for s in r["scenarios"] if s["outcome"] == "fail"]'
    run 0 "$SRC/scenarios/pop3" -f 'pop3.tls.*' -f 'pop3.session.*' --insecure --target "pop3s://$U1:$PW1@127.0.0.1:$P_pop3s" --target "pop3://$U1:$PW1@127.0.0.1:$P_pop3" -r "$WORK/report.json"
    check 'tls = [e["tls_seen"] for e in r["endpoints"] if e["tls_seen"]]
assert tls and all(not t["verified"] and t["subject"] == "CN=localhost" and t["verify_error"] for t in tls), tls
assert r["run"]["options"]["insecure"] is True'
    output_has "TLS not verified on endpoint"
    run 0 "$SRC/scenarios/pop3" -f 'pop3.tls.*' -f 'pop3.session.*' --ca-file "$CA" --target "pop3s://$U1:$PW1@127.0.0.1:$P_pop3s" --target "pop3://$U1:$PW1@127.0.0.1:$P_pop3" -r "$WORK/report.json"
    check 'assert all(e["tls_seen"]["verified"] for e in r["endpoints"] if e["tls_seen"]), r["endpoints"]'
    ;;
whole-suite-serve) # the issue's "done when": serve's profile, the whole suite, 100% pass
    start_reference
    run 0 "$SRC/scenarios" --target "$REF/target.json" -r "$WORK/report.json"
    check 'assert r["summary"]["pass"] == r["summary"]["total"] > 0, r["summary"]'
    ;;
reset-retires-user) # a reset that fails for one user retires that user; the others carry on
    start_reference
    cat >"$WORK/reset" <<EOF
#!/bin/sh
if [ "\$1" = "$U1" ]; then echo "cannot reach the admin socket for \$1" >&2; exit 7; fi
exit 0
EOF
    chmod +x "$WORK/reset"
    "$PY" - "$REF/target.json" "$WORK/profile.json" "$WORK/reset" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["reset"] = [sys.argv[3], "${user}"]
json.dump(t, open(sys.argv[2], "w"))
EOF
    run 0 "$SRC/scenarios/pop3" -f 'pop3.session.*' -f 'pop3.capa.*' -j 1 --target "$WORK/profile.json" -r "$WORK/report.json"
    check 'ru = r["retired_users"]
assert len(ru) == 1 and ru[0]["cause"] == "reset", ru
assert "exited with status 7" in ru[0]["why"] and "cannot reach the admin socket" in ru[0]["why"], ru
assert all(s["outcome"] == "pass" for s in r["scenarios"])
logins = [s for s in r["scenarios"] if any(st["label"] == "login" for st in s["steps"])]
assert logins and all(ru[0]["user"] not in s["users"] for s in logins), "a retired user logged in"'
    output_has "retired test user"
    ;;
interrupt) # SIGINT one second into a run: a valid report, not_run with the reason, exit 130
    start_peer silence
    port=$PEER_PORT
    for sig in INT TERM; do
        rm -f "$WORK/report.json"
        "$MC" run "$SRC/tests/data/scenarios-peer/pop3-stat-ok.json" "$SRC/tests/data/scenarios-peer/pop3-capa-multiline.json" --step-timeout 20000 -j 1 --target "pop3://a:b@127.0.0.1:$port" -r "$WORK/report.json" >"$WORK/out" 2>&1 &
        pid=$!
        sleep 1
        t0=$(date +%s%N)
        kill -s "$sig" "$pid"
        wait "$pid"
        rc=$?
        want=$([ "$sig" = INT ] && echo 130 || echo 143)
        [ "$rc" -eq "$want" ] || fail "SIG$sig: exit status $rc, expected $want"
        elapsed_under 3 "$t0"
        "$SRC/tools/validate-report" "$WORK/report.json" >/dev/null 2>&1 || fail "SIG$sig: no valid report"
        check "assert r['run']['verdict'] == 'interrupted' and r['run']['signal'] is not None
assert all(s['outcome'] == 'not_run' and 'SIG$sig' in s['reason'] for s in r['scenarios']), [(s['outcome'], s['reason']) for s in r['scenarios']]"
    done
    # an interrupted --list is not a pass
    "$MC" run "$SRC/tests/data/scenarios-peer/pop3-stat-ok.json" --list --step-timeout 20000 --target "pop3://a:b@127.0.0.1:$port" >"$WORK/out" 2>&1 &
    pid=$!
    sleep 1
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    [ "$rc" -eq 130 ] || fail "--list, SIGINT: exit status $rc, expected 130"
    output_has "INTERRUPTED"
    # twice: at once, even before the run could end
    "$MC" run "$SRC/tests/data/scenarios-peer/pop3-stat-ok.json" --step-timeout 20000 --target "pop3://a:b@127.0.0.1:$port" >"$WORK/out" 2>&1 &
    pid=$!
    sleep 1
    kill -INT "$pid"
    kill -INT "$pid"
    t0=$(date +%s%N)
    wait "$pid"
    rc=$?
    [ "$rc" -eq 130 ] || fail "twice SIGINT: exit status $rc, expected 130"
    elapsed_under 2 "$t0"
    ;;
report-stdout) # --report - writes only JSON to standard output; people read standard error
    "$MC" run "$SRC/scenarios/pop3" -f 'pop3.session.*' --report - >"$WORK/report.json" 2>"$WORK/out"
    rc=$?
    [ "$rc" -eq 0 ] || fail "exit status $rc"
    "$SRC/tools/validate-report" "$WORK/report.json" >/dev/null || fail "standard output is not (only) the JSON report"
    output_has "PASS: "
    ;;
skips) # skips grouped by reason; everything skipped is not a pass; --max-skip makes skips count
    start_peer good-pop3
    port=$PEER_PORT
    run 3 "$SRC/scenarios/imap" -f 'imap.auth.*' --target "pop3://a:b@127.0.0.1:$port" -r "$WORK/report.json"
    check 'assert r["summary"]["skip"] == r["summary"]["total"] and r["run"]["verdict"] == "untested"
assert r["summary"]["skip_reasons"][0]["count"] >= 1'
    output_has "skipped, by reason"
    output_has "NOT TESTED: none of the"
    run 0 "$SRC/tests/data/scenarios-peer/pop3-stat-ok.json" "$SRC/scenarios/imap/noop-in-every-state.json" --target "pop3://a:b@127.0.0.1:$port" -r "$WORK/report.json"
    run 3 "$SRC/tests/data/scenarios-peer/pop3-stat-ok.json" "$SRC/scenarios/imap/noop-in-every-state.json" --max-skip 0 --target "pop3://a:b@127.0.0.1:$port" -r "$WORK/report.json"
    output_has "more than --max-skip 0"
    run 0 "$SRC/tests/data/scenarios-peer/pop3-stat-ok.json" "$SRC/scenarios/imap/noop-in-every-state.json" --max-skip 50% --target "pop3://a:b@127.0.0.1:$port" -r "$WORK/report.json"
    ;;
promised) # a capability the profile promises but the server does not announce fails
    start_reference
    "$PY" - "$REF/target.json" "$WORK/profile.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["endpoints"]["pop3"]["promises"] = ["XPROMISED"]
t["deviations"] = [{"scenario": "pop3.session.greeting-positive", "reason": "listed although it passes"}]
json.dump(t, open(sys.argv[2], "w"))
EOF
    run 1 "$SRC/tests/data/scenarios-verdict" "$SRC/scenarios/pop3/greeting-positive.json" --target "$WORK/profile.json" -r "$WORK/report.json"
    output_has "stale deviation"
    cp "$WORK/report.json" "$WORK/first.json"
    # a promise not kept is a failure like any other: a known deviation applies to it
    "$PY" - "$WORK/profile.json" "$WORK/profile2.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["deviations"].append({"scenario": "verdict.requires-promised", "reason": "known"})
json.dump(t, open(sys.argv[2], "w"))
EOF
    run 0 "$SRC/tests/data/scenarios-verdict" --target "$WORK/profile2.json" -r "$WORK/report.json"
    check 'assert sc["verdict.requires-promised"]["outcome"] == "deviation"'
    cp "$WORK/first.json" "$WORK/report.json"
    check 'f = sc["verdict.requires-promised"]
assert f["outcome"] == "fail" and "promises XPROMISED" in f["reason"], f
assert sc["verdict.requires-unpromised"]["outcome"] == "skip"
d = r["deviations"][0]
assert d["stale"] and d["passed"] == 1 and d["applied"] == 0, d'
    # --rerun-failed takes exactly the failures of that report
    cp "$WORK/report.json" "$WORK/first.json"
    run 1 "$SRC/tests/data/scenarios-verdict" "$SRC/scenarios/pop3" --rerun-failed "$WORK/first.json" --target "$WORK/profile.json" -r "$WORK/report.json"
    check 'assert [s["id"] for s in r["scenarios"]] == ["verdict.requires-promised"], list(sc)'
    ;;
list) # --list probes and says what would run and why the others would not; runs nothing
    start_peer good-pop3
    port=$PEER_PORT
    run 0 "$SRC/tests/data/scenarios-peer/pop3-stat-ok.json" "$SRC/scenarios/imap/noop-in-every-state.json" --list --target "pop3://a:b@127.0.0.1:$port"
    output_has "WOULD RUN +peer.pop3.stat-ok"
    output_has "SKIP +imap\\..*"
    output_has "no imap endpoint"
    ;;
fail-fast) # the first violation stops the run; the rest is not_run
    start_peer good-pop3
    port=$PEER_PORT
    run 1 "$SRC/scenarios/pop3/stat-before-login-refused.json" "$SRC/scenarios/pop3" -f 'pop3.state.*' -f 'pop3.transaction.*' -j 1 --fail-fast --target "pop3://a:b@127.0.0.1:$port" -r "$WORK/report.json"
    check 'assert r["summary"]["fail"] == 1 and r["summary"]["not_run"] >= 1, r["summary"]
assert "fail-fast" in r["run"]["stopped"]'
    ;;
stop-during-reset) # an interrupt while users are being reset: nothing starts, nothing is lost
    start_reference
    "$PY" - "$REF/target.json" "$WORK/profile.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["reset"] = ["/bin/sleep", "3"]
json.dump(t, open(sys.argv[2], "w"))
EOF
    "$MC" run "$SRC/scenarios/pop3" -f 'pop3.transaction.*' -j 2 --target "$WORK/profile.json" -r "$WORK/report.json" >"$WORK/out" 2>&1 &
    pid=$!
    sleep 0.7
    t0=$(date +%s%N)
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    [ "$rc" -eq 130 ] || fail "exit status $rc, expected 130"
    elapsed_under 5 "$t0"
    check 'assert all(s["outcome"] == "not_run" for s in r["scenarios"]), [(s["id"], s["outcome"]) for s in r["scenarios"]]
assert r["run"]["verdict"] == "interrupted"'
    ;;
first-user-refused) # one wrong password retires that user; the others carry the run
    start_reference
    "$PY" - "$REF/target.json" "$WORK/profile.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["users"][0]["password"] = "not-the-password"
json.dump(t, open(sys.argv[2], "w"))
EOF
    run 0 "$SRC/scenarios/pop3" -f 'pop3.transaction.*' -f 'pop3.auth.*' --target "$WORK/profile.json" -r "$WORK/report.json"
    check 'ru = r["retired_users"]
assert [u["cause"] for u in ru] == ["credentials"] and ru[0]["user"] == "mc01", ru
assert not [p for e in r["endpoints"] for p in e["problems"]], r["endpoints"]
assert all(s["outcome"] == "pass" for s in r["scenarios"])'
    ;;
fixtures-error) # a delivery the profile gets wrong is the set-up's error, whichever step does it
    start_reference
    "$PY" - "$REF/target.json" "$WORK/profile.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["domain"] = "elsewhere.invalid"
for u in t["users"]:
    u.pop("address", None)
json.dump(t, open(sys.argv[2], "w"))
EOF
    run 3 "$SRC/scenarios/imap/delivery-wakes-idle.json" "$SRC/scenarios/pop3/stat-counts-messages.json" --target "$WORK/profile.json" -r "$WORK/report.json"
    check 'assert all(s["outcome"] == "error" and s["cause"] == "fixtures" for s in r["scenarios"]), [(s["id"], s["outcome"], s["cause"]) for s in r["scenarios"]]'
    ;;
imaps-only) # the README's example: an imaps:// URL alone runs the IMAP suite (plain sessions
    # over implicit TLS, fixtures by APPEND); accounts are emptied only when declared disposable
    start_reference
    U2=$("$PY" -c 'import json,sys; u=json.load(open(sys.argv[1]))["users"][1]; print(u["user"]+":"+u["password"])' "$REF/target.json")
    run 0 "$SRC/scenarios/imap" --disposable-users --ca-file "$CA" --target "imaps://$U1:$PW1@127.0.0.1:$P_imaps" --target "imaps://$U2@127.0.0.1:$P_imaps" -r "$WORK/report.json"
    check 'assert r["summary"]["pass"] >= r["summary"]["total"] - 2, r["summary"]
assert any(s["sessions"][0]["adapted"] and "implicit TLS" in s["sessions"][0]["adapted"] for s in r["scenarios"] if s["sessions"])
fx = [s for s in r["scenarios"] if s["outcome"] == "pass" and any(st["label"] == "deliver fixtures" for st in s["steps"])]
assert fx and any("APPEND INBOX {" in e.get("text", "") for e in fx[0]["transcript"]), "no fixture went in by APPEND"'
    # without a way to empty them, accounts that are not empty are set aside: never a violation
    run 3 "$SRC/scenarios/imap" --ca-file "$CA" --target "imaps://$U1:$PW1@127.0.0.1:$P_imaps" --target "imaps://$U2@127.0.0.1:$P_imaps" -r "$WORK/report.json"
    check 'assert r["summary"]["fail"] == 0, [(s["id"], s["failure"]) for s in r["scenarios"] if s["outcome"] == "fail"]
assert r["summary"]["error_causes"].get("reset"), r["summary"]
assert any("--disposable-users" in (s["hint"] or "") for s in r["scenarios"])'
    ;;
secrets) # passwords and SASL responses are masked in the report unless --keep-secrets
    start_reference
    run 0 "$SRC/scenarios" -f 'pop3.auth.*' -f 'imap.auth.*' -f 'pop3.transaction.*' -f 'smtp.submission.*' --target "$REF/target.json" -r "$WORK/report.json"
    cp "$REF/target.json" "$WORK/target.json"
    check 'import json as j
pws = [u["password"] for u in j.load(open(sys.argv[1].replace("report.json", "target.json")))["users"]]
sent = [e.get("text", "") for s in r["scenarios"] for e in s["transcript"] if e["dir"] == "client"]
raw = open(sys.argv[1], encoding="utf-8").read()
assert not [p for p in pws if p in raw], "a password in the report"
assert any("${password}" in t for t in sent) and any("[redacted" in t for t in sent)'
    run 0 "$SRC/scenarios" -f 'pop3.auth.*' -f 'pop3.transaction.*' --keep-secrets --target "$REF/target.json" -r "$WORK/report.json"
    check 'import json as j
pws = [u["password"] for u in j.load(open(sys.argv[1].replace("report.json", "target.json")))["users"]]
sent = [e.get("text", "") for s in r["scenarios"] for e in s["transcript"] if e["dir"] == "client"]
assert [t for t in sent if any(p in t for p in pws)], "--keep-secrets kept no password"'
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "ok [$case_name]"
