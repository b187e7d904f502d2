#!/usr/bin/env bash
# suite-test.sh MAILCONFORM STACK_DIR SOURCE_DIR: runs every scenario against the stack started
# by the stack.start fixture, and checks that the run passed and its report validates.
set -euo pipefail
cli=$1 stack=$2 src=$3
report=$stack/report-$$.json
set +e
"$cli" run "$src/scenarios" --target "$stack/target.json" --report "$report" -j 4 -v --color never
rc=$?
set -e
"$src/tools/validate-report" "$report"
exit $rc
