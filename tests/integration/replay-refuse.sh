#!/usr/bin/env bash
# replay-refuse.sh MAILCONFORM SOURCE_DIR WORKDIR: with a report recorded against the embedded
# server, (1) a POP3 client that sends something other than the recorded probe's CAPA gets
# "-ERR", and the replay's log names the dialogue, the session, the transcript index, what
# was expected and what came; (2) a report with a truncated transcript, a file that is not
# JSON, and JSON that is not a report are each refused (exit 2) with the file and what is wrong.
set -euo pipefail
cli=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
fail() { echo "replay-refuse: $*" >&2; exit 1; }

"$cli" run "$src/scenarios" -f 'pop3.session.*' -r "$work/report.json" -j 1 -q --color never >/dev/null

# (1) a deviating client
"$cli" serve --dir "$work/replay" --replay "$work/report.json" >"$work/serve.out" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/replay/target.json" ] && break; sleep 0.1; done
[ -s "$work/replay/target.json" ] || fail "the replay did not start: $(cat "$work/serve.log")"
/usr/bin/python3 - "$work/replay/target.json" <<'PY'
import json, socket, sys
t = json.load(open(sys.argv[1]))
s = socket.create_connection(("127.0.0.1", t["endpoints"]["pop3"]["port"]), timeout=10)
f = s.makefile("rb")
greeting = f.readline()
if not greeting.startswith(b"+OK"):
    sys.exit("expected the recorded greeting, got %r" % greeting)
s.sendall(b"NOOP\r\n")  # the recorded probe sent CAPA
reply = f.readline()
if not reply.startswith(b"-ERR replay: the client deviates"):
    sys.exit("expected -ERR for a deviation, got %r" % reply)
if f.readline() != b"":
    sys.exit("the replay did not close the connection after -ERR")
PY
for _ in $(seq 1 50); do grep -q DEVIATION "$work/serve.log" && break; sleep 0.1; done
grep -q 'DEVIATION in probe of endpoint pop3, session probe, transcript\[2\]: expected "CAPA", received "NOOP"' \
    "$work/serve.log" || fail "the log does not say where and how: $(cat "$work/serve.log")"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

# (2) reports the replay must refuse
refused() { # NAME FILE PATTERN
    set +e
    "$cli" serve --dir "$work/r-$1" --replay "$2" >"$work/$1.out" 2>&1
    local rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "$1: exit $rc, expected 2: $(cat "$work/$1.out")"
    grep -qE "$3" "$work/$1.out" || fail "$1: the message does not say what is wrong: $(cat "$work/$1.out")"
}
/usr/bin/python3 - "$work/report.json" "$work/truncated.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["scenarios"][0]["transcript_truncated"] = True
json.dump(r, open(sys.argv[2], "w"))
PY
refused truncated "$work/truncated.json" \
    "truncated.json: scenarios\[0\] \([a-z0-9.-]+\): its transcript was truncated"
printf '{"format": "mailconform-report", "format_version": 1,\n  "endpoints": [' >"$work/cut.json"
refused not-json "$work/cut.json" "cut.json:[0-9]+:[0-9]+: "
echo '{"format": "something-else"}' >"$work/other.json"
refused not-a-report "$work/other.json" "other.json: not a mailconform report"
refused missing "$work/none.json" "none.json: "
echo "replay-refuse: deviation answered and logged; bad reports refused"
