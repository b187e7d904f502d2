#!/usr/bin/env bash
# replay-test.sh MAILCONFORM STACK_DIR SOURCE_DIR WORKDIR: records a run of every scenario
# against the Dovecot + Postfix stack (fixture "stack"), serves the report with
# `serve --replay`, runs the same scenarios against the replay, and checks that every scenario
# has the same outcome in both reports (failures and deviations included), every one of them:
# SCRAM exchanges too, which the replay answers for real. Both runs use -j1: docs/decisions.md
# says why a replay needs it.
set -euo pipefail
cli=$1 stack=$2 src=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
"$cli" run "$src/scenarios" --target "$stack/target.json" --report "$work/recorded.json" \
    -j 1 -q --color never || true
"$src/tools/validate-report" "$work/recorded.json"
"$cli" serve --dir "$work/replay" --replay "$work/recorded.json" >"$work/serve.out" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/replay/target.json" ] && break; sleep 0.1; done
[ -s "$work/replay/target.json" ] || { echo "replay-test: the replay did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
"$cli" run "$src/scenarios" --target "$work/replay/target.json" --report "$work/replayed.json" \
    -j 1 -q --color never || true
"$src/tools/validate-report" "$work/replayed.json"
/usr/bin/python3 "$src/tests/integration/replay-compare.py" "$work/recorded.json" \
    "$work/replayed.json" || { echo "replay-test: the replay's log:" >&2; grep -v 'played ' "$work/serve.log" >&2; exit 1; }
