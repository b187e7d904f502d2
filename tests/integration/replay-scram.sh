#!/usr/bin/env bash
# replay-scram.sh MAILCONFORM SOURCE_DIR WORKDIR: SCRAM replayed for real, without the stack.
# A run of the suite's SCRAM scenarios (IMAP, POP3: SHA-256) and of an SMTP submission one made
# here (SCRAM-SHA-1, "334 " challenges) is recorded against the embedded server; (1) the same
# scenarios, run twice against its replay, keep their outcomes (it starts over after a whole
# pass); (2) a client with another password than
# the replay's gets no signature: the SCRAM scenarios fail and the log names the wrong proof;
# (3) reports whose SCRAM exchange cannot be replayed are refused at load, saying why: recorded
# with --keep-secrets, a -PLUS mechanism, an iteration count beyond the SCRAM server's bound.
set -euo pipefail
cli=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work/scenarios"
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
fail() { echo "replay-scram: $*" >&2; exit 1; }

cp "$src/scenarios/imap/authenticate-scram-sha-256.json" "$src/scenarios/pop3/sasl-scram-sha-256.json" \
    "$work/scenarios/"
cat >"$work/scenarios/smtp-scram-sha-1.json" <<'JSON'
{
  "id": "test.smtp.auth-scram-sha-1",
  "title": "AUTH SCRAM-SHA-1 on submission (replay test)",
  "description": "A SCRAM exchange framed with SMTP's 334 challenges, for the replay test.",
  "rfc": [{"rfc": 4954, "section": "4"}, {"rfc": 5802, "section": "5"}],
  "level": "MUST",
  "requires": ["endpoint:submission", "smtp:STARTTLS", "smtp:AUTH=SCRAM-SHA-1"],
  "sessions": {"sub": {"protocol": "smtp", "endpoint": "submission", "tls": "starttls"}},
  "steps": [
    {"session": "sub", "send": "EHLO client.example", "expect": {"code": 250}},
    {"session": "sub", "auth": "SCRAM-SHA-1", "expect": {"code": 235}},
    {"session": "sub", "close": "quit", "expect": {"code": 221}}
  ]
}
JSON

run() { # REPORT [TARGET]
    "$cli" run "$work/scenarios" ${2:+--target "$2"} -r "$1" -j 1 -q --color never >/dev/null || true
}
serve() { # NAME REPORT: starts a replay in $work/NAME
    "$cli" serve --dir "$work/$1" --replay "$2" >"$work/$1.out" 2>"$work/$1.log" &
    pid=$!
    for _ in $(seq 1 100); do [ -s "$work/$1/target.json" ] && break; sleep 0.1; done
    [ -s "$work/$1/target.json" ] || fail "the replay did not start: $(cat "$work/$1.log")"
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

run "$work/recorded.json"
/usr/bin/python3 - "$work/recorded.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = [(s["id"], s["outcome"]) for s in r["scenarios"] if s["outcome"] != "pass"]
if len(r["scenarios"]) != 3 or bad:
    sys.exit("replay-scram: the recording should pass its 3 scenarios: %s" % bad)
PY

# (1) the same outcomes against the replay, twice: after a whole pass the replay starts over
serve same "$work/recorded.json"
run "$work/replayed.json" "$work/same/target.json"
run "$work/replayed-again.json" "$work/same/target.json"
stop
/usr/bin/python3 "$src/tests/integration/replay-compare.py" "$work/recorded.json" "$work/replayed.json" ||
    fail "outcomes differ; the replay's log: $(cat "$work/same.log")"
/usr/bin/python3 "$src/tests/integration/replay-compare.py" "$work/recorded.json" "$work/replayed-again.json" ||
    fail "outcomes differ on the second pass; the replay's log: $(cat "$work/same.log")"
grep -q "starting over (pass 2)" "$work/same.log" || fail "the replay did not say it started over"

# (2) another password: no signature, a deviation that says why
serve wrong "$work/recorded.json"
/usr/bin/python3 - "$work/wrong/target.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for u in t["users"]:
    u["password"] = "not-" + u["password"]
json.dump(t, open(sys.argv[1], "w"))
PY
run "$work/wrong.json" "$work/wrong/target.json"
stop
/usr/bin/python3 - "$work/wrong.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
passed = [s["id"] for s in r["scenarios"] if s["outcome"] != "fail"]
if passed:
    sys.exit("replay-scram: a wrong password still passes: %s" % passed)
PY
for id in imap.auth.authenticate-scram-sha-256 pop3.auth.sasl-scram-sha-256 test.smtp.auth-scram-sha-1; do
    grep -qE "DEVIATION in $id, session [a-z]+, transcript\[[0-9]+\]: .*SCRAM messages earn none: SCRAM-SHA-(1|256): wrong proof for \"mc01\"" \
        "$work/wrong.log" || fail "$id: the log does not name the wrong proof: $(cat "$work/wrong.log")"
done

# (3) what cannot be replayed is refused at load
refused() { # NAME FILE PATTERN
    set +e
    "$cli" serve --dir "$work/r-$1" --replay "$2" >"$work/$1.out" 2>&1
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "$1: exit $rc, expected 2: $(cat "$work/$1.out")"
    grep -qE "$3" "$work/$1.out" || fail "$1: the message does not say what is wrong: $(cat "$work/$1.out")"
}
"$cli" run "$work/scenarios" -f 'pop3.*' --keep-secrets -r "$work/kept.json" -j 1 -q --color never >/dev/null
refused keep-secrets "$work/kept.json" \
    "kept.json: scenarios\[0\] \(pop3.auth.sasl-scram-sha-256\): transcript\[[0-9]+\]: its SCRAM messages were recorded unmasked \(run --keep-secrets\)"
/usr/bin/python3 - "$work/recorded.json" "$work" <<'PY'
import base64, json, sys
def edit(name, change):
    r = json.load(open(sys.argv[1]))
    for s in r["scenarios"]:
        if s["id"] == "pop3.auth.sasl-scram-sha-256":
            for e in s["transcript"]:
                change(e)
    json.dump(r, open("%s/%s.json" % (sys.argv[2], name), "w"))
def plus(e):
    if e["dir"] == "client" and e.get("text", "").startswith("AUTH SCRAM-SHA-256 "):
        e["text"] = e["text"].replace("SCRAM-SHA-256", "SCRAM-SHA-256-PLUS")
def iterations(e):
    t = e.get("text", "")
    if e["dir"] == "server" and t.startswith("+ ") and base64.b64decode(t[2:]).startswith(b"r="):
        first = base64.b64decode(t[2:]).replace(b",i=4096", b",i=2000000")
        e["text"] = "+ " + base64.b64encode(first).decode() + "\r\n"
edit("plus", plus)
edit("iterations", iterations)
PY
refused plus "$work/plus.json" \
    "plus.json: scenarios\[[0-9]+\] \(pop3.auth.sasl-scram-sha-256\): transcript\[[0-9]+\]: .*no -PLUS"
refused iterations "$work/iterations.json" \
    "iterations.json: scenarios\[[0-9]+\] \(pop3.auth.sasl-scram-sha-256\): transcript\[[0-9]+\]: .*iteration count the replay's SCRAM server cannot take"
echo "replay-scram: SCRAM replayed with the same outcomes; a wrong proof is a deviation; unreplayable SCRAM refused"
