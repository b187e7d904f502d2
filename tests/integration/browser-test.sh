#!/usr/bin/env bash
# browser-test.sh MAILCONFORM SOURCE_DIR — the report browser (`serve --http ADDR --reports DIR`),
# checked with curl: it lists the reports of its folder with the counts of each report's
# summary, serves a report's JSON byte for byte and its HTML rendering, compares two reports
# (one scenario broken in the second: one new failure, named; 400 without both), refuses to
# parse a report over its rendering limit (a sparse 300 MiB file: listed as too large, 422),
# answers other methods than GET/HEAD with 405 and Allow, only under a loopback Host name, never a file outside its folder (.., encoded slashes, a
# symbolic link, a hidden or non-JSON name), and refuses a non-loopback address unless told.
# Then in headless chromium (when installed; CI installs it): the list and a report page load
# with their script run under the browser's own security headers, and the counts show.
set -u
MC=$1 SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mc-browser.XXXXXX") || exit 1
REPORT=$WORK/run.json
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# A report of a real run (the POP3 scenarios against the embedded server: a few seconds).
"$MC" run -q -j 2 --protocol pop3 -r "$REPORT" "$SRC/scenarios" >"$WORK/run.out" 2>&1 ||
    { cat "$WORK/run.out" >&2; echo "FAIL: the run for the report failed" >&2; exit 1; }
mkdir -p "$WORK/reports/sub" "$WORK/outside"
cp "$REPORT" "$WORK/reports/run-a.json"
# run-b: the same run with its first passing scenario turned into a failure.
broken=$(/usr/bin/python3 - "$REPORT" "$WORK/reports/run-b.json" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
sc = next(s for s in doc["scenarios"] if s["outcome"] == "pass")
sc["outcome"] = "fail"
step = next(i for i, st in enumerate(sc["steps"]) if st["index"] >= 0)
sc["steps"][step].update(outcome="fail", why="expected +OK, got -ERR", got="-ERR broken")
sc["failure"] = dict(sc["steps"][step], position=step, step=sc["steps"][step]["index"])
json.dump(doc, open(sys.argv[2], "w"), indent=2)
print(sc["id"])
PYEOF
)
echo '{"not": "a report"}' >"$WORK/reports/broken.json"
echo '{"token": "TOPSECRET-4711"}' >"$WORK/outside/secret.json"
ln -s "$WORK/outside/secret.json" "$WORK/reports/link.json"
cp "$REPORT" "$WORK/reports/.hidden.json"
# A report over the browser's rendering limit (256 MiB): a sparse file, nothing on disk.
truncate -s 300M "$WORK/reports/huge.json"
touch -d '2000-01-01' "$WORK/reports/huge.json"

"$MC" serve --http 127.0.0.1:0 --reports "$WORK/reports" >"$WORK/out" 2>&1 &
pid=$!
url=
for _ in $(seq 1 100); do
    url=$(grep -o 'http://[^ ]*' "$WORK/out" 2>/dev/null | head -1)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { cat "$WORK/out" >&2; echo "FAIL: the browser did not start" >&2; exit 1; }

code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

# The list: both names, the report's counts, the broken file said to be no report.
[ "$(code "$url")" = 200 ] || fail "the list did not answer 200"
grep -q 'href="/report/run-a.json"' "$WORK/body" || fail "the list does not link run-a.json"
grep -q 'not a report' "$WORK/body" || fail "the list does not say broken.json is no report"
grep -q 'hidden' "$WORK/body" && fail "the list shows a hidden file"
grep -q 'link.json' "$WORK/body" && fail "the list shows a symbolic link"
# shellcheck disable=SC2016 # the backquotes are the page's text
grep -q 'data-too-large="314572800">300 MiB, too large to render here: use `mailconform report`' "$WORK/body" ||
    fail "the list does not say huge.json is too large to render"
for key in total pass fail skip error; do
    want=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"][sys.argv[2]])' "$REPORT" "$key")
    grep -q "data-count=\"$key\">$want<" "$WORK/body" || fail "the list does not show $key = $want"
done
ok "the list"

# The JSON byte for byte; the HTML rendering.
[ "$(code "${url}raw/run-a.json")" = 200 ] && cmp -s "$WORK/body" "$REPORT" || fail "raw/run-a.json is not the file"
[ "$(code "${url}report/run-a.json")" = 200 ] || fail "report/run-a.json did not answer 200: $(head -c 300 "$WORK/body")"
grep -qi '<html' "$WORK/body" || fail "report/run-a.json is not HTML"
[ "$(code "${url}report/broken.json")" = 422 ] || fail "report/broken.json is not refused as no report"
if [ "$(code "${url}report/huge.json")" != 422 ] || ! grep -q 'too large to render here' "$WORK/body"; then
    fail "report/huge.json is not refused as too large"
fi
if [ "$(code "${url}diff?old=run-a.json&new=huge.json")" != 422 ] || ! grep -q 'too large to render here' "$WORK/body"; then
    fail "diff with huge.json is not refused as too large"
fi
ok "raw and rendered reports"

# The comparison: run-a against itself, then against run-b.
[ "$(code "${url}diff?old=run-a.json&new=run-a.json")" = 200 ] || fail "diff a a did not answer 200"
grep -q 'no change' "$WORK/body" || fail "diff a a does not say no change"
[ "$(code "${url}diff?old=run-a.json&new=run-b.json")" = 200 ] || fail "diff a b did not answer 200"
grep -q 'data-count="new_failure">1<' "$WORK/body" || fail "diff a b does not count one new failure"
grep -q "data-category=\"new_failure\"><td><code>$broken<" "$WORK/body" || fail "diff a b does not name $broken"
grep -q 'href="/report/run-b.json#sc-' "$WORK/body" || fail "diff a b does not link into the report"
[ "$(code "${url}diff?old=run-a.json&new=..%2foutside%2fsecret.json")" = 404 ] || fail "diff reached outside"
[ "$(code "${url}diff?old=run-a.json")" = 400 ] || fail "diff without new did not answer 400"
[ "$(code "${url}diff?new=run-a.json")" = 400 ] || fail "diff without old did not answer 400"
[ "$(code "${url}diff")" = 400 ] || fail "diff without a query did not answer 400"
ok "the comparison names the broken scenario ($broken)"

# Confinement.
for path in "report/..%2foutside%2fsecret.json" "report/%2e%2e/outside/secret.json" \
    "raw/../outside/secret.json" "raw/link.json" "raw/.hidden.json" "raw/secret.json" \
    "raw/run-a.json%00.json" "raw/" "report/" "../../etc/passwd" \
    "raw/sub%2f..%2f..%2foutside%2fsecret.json" "raw/sub/../../outside/secret.json" \
    "raw/%2f${WORK#/}/outside/secret.json" "report/%2f${WORK#/}/outside/secret.json"; do
    c=$(code --path-as-is "${url}$path")
    [ "$c" = 404 ] || [ "$c" = 400 ] || fail "$path answered $c, not 404/400"
    grep -q TOPSECRET "$WORK/body" && fail "$path leaked the outside file"
done
ok "paths are confined to the folder"

# Methods and Host.
for m in POST PUT DELETE OPTIONS PATCH; do
    c=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$m" "${url}report/run-a.json")
    [ "$c" = 405 ] || fail "$m answered $c, not 405"
    grep -qi '^Allow: GET, HEAD' "$WORK/headers" || fail "$m: the 405 has no Allow: GET, HEAD"
done
[ "$(code -H 'Host: attacker.example' "$url")" = 400 ] || fail "a foreign Host name was answered"
[ "$(code -H 'Host: localhost:1' "$url")" = 200 ] || fail "localhost was refused"
[ "$(code -H 'Host: LocalHost' "$url")" = 200 ] || fail "LocalHost (names are case-insensitive) was refused"
[ "$(code -H 'Host: 127.0.0.2:1' "$url")" = 200 ] || fail "127.0.0.2 (a loopback address) was refused"
[ "$(code -H 'Host: [::1]:1' "$url")" = 200 ] || fail "[::1] was refused"
[ "$(code -H 'Host: 127.0.0.1.attacker.example' "$url")" = 400 ] || fail "a name under 127.0.0.1 was answered"
[ "$(code -H 'Host: localhost.attacker.example:1' "$url")" = 400 ] || fail "a name under localhost was answered"
headers=$(curl -sI "$url")
printf '%s' "$headers" | grep -qi "^Content-Security-Policy: default-src 'none'" || fail "no CSP header"
ok "methods, Host and headers"

# In a real browser: the pages load, the report's script runs despite the server's policy
# header, and the counts are the report's. No name resolves but 127.0.0.1.
chromium_dump() { # URL -> DOM on stdout
    local extra=()
    [ "$(id -u)" = 0 ] && extra+=(--no-sandbox)
    timeout 120 chromium --headless --disable-gpu --no-first-run --disable-extensions \
        --disable-sync --disable-background-networking --disable-component-update \
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --user-data-dir="$WORK/chromium" \
        --virtual-time-budget=5000 --dump-dom "${extra[@]}" "$1" 2>"$WORK/chromium.log"
}
if command -v chromium >/dev/null; then
    before=$failures
    total=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["total"])' "$REPORT")
    chromium_dump "$url" >"$WORK/list.dom" || fail "chromium could not load the list"
    grep -q 'id="report-count">4<' "$WORK/list.dom" || fail "chromium: the list does not count its 4 files"
    chromium_dump "${url}report/run-a.json#outcome=pass" >"$WORK/report.dom" || fail "chromium could not load a report"
    grep -q 'data-script="ready"' "$WORK/report.dom" || fail "chromium: the report's script did not run (policy?)"
    grep -q "id=\"total-count\">$total<" "$WORK/report.dom" || fail "chromium: the report does not show $total scenarios"
    grep -q "id=\"shown-count\">$total<" "$WORK/report.dom" || fail "chromium: the pass filter does not show all $total"
    chromium_dump "${url}diff?old=run-a.json&new=run-b.json" >"$WORK/diff.dom" || fail "chromium could not load the diff"
    grep -q "$broken" "$WORK/diff.dom" || fail "chromium: the diff does not name $broken"
    [ "$failures" = "$before" ] && ok "in chromium: list, report (script ran, counts) and diff"
else
    echo "note: chromium is not installed; the browser part was not run (tools/install-deps test-tools)"
fi

# Addresses.
"$MC" serve --http 0.0.0.0:0 --reports "$WORK/reports" >"$WORK/public" 2>&1
[ $? = 2 ] && grep -q -- '--http-public' "$WORK/public" || fail "a public address was not refused with a hint"
"$MC" serve --http 127.0.0.1:0 >"$WORK/noreports" 2>&1
[ $? = 2 ] && grep -q -- '--reports' "$WORK/noreports" || fail "--http without --reports was not refused"
"$MC" serve --http 127.0.0.1:0 --reports "$WORK/nope" >"$WORK/nodir" 2>&1
[ $? = 2 ] && grep -q "nope" "$WORK/nodir" || fail "a missing folder was not named"
ok "addresses and arguments"

[ "$failures" = 0 ] || exit 1
