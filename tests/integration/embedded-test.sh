#!/usr/bin/env bash
# embedded-test.sh MAILCONFORM SOURCE_DIR REPORT: every scenario against the embedded reference
# server; the run must pass, its report validate, and no scenario may have been skipped: the
# reference server is meant to serve every one of them (a skip means it lacks a capability or
# an endpoint that a scenario needs, which is a gap to close, not to hide).
set -euo pipefail
cli=$1 src=$2 report=$3
set +e
"$cli" run "$src/scenarios" --report "$report" -j 4 --color never
rc=$?
set -e
"$src/tools/validate-report" "$report"
/usr/bin/python3 - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scenarios = report["scenarios"]
skipped = ["%s (%s)" % (s["id"], s.get("reason", "")) for s in scenarios if s["outcome"] == "skip"]
if not scenarios or skipped:
    sys.exit("embedded-test: scenarios skipped against the reference server: %s"
             % ("; ".join(skipped) or "none ran"))
print("embedded-test: all %d scenarios ran" % len(scenarios))
PY
exit $rc
