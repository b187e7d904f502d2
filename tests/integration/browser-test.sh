#!/usr/bin/env bash
# browser-test.sh MAILCONFORM SOURCE_DIR — the report browser (`serve --http ADDR --reports DIR`),
# checked with curl: it lists the reports of its folder with the counts of each report's
# summary, serves a report's JSON byte for byte and its HTML rendering, answers only GET/HEAD,
# only under a loopback Host name, never a file outside its folder (.., encoded slashes, a
# symbolic link, a hidden or non-JSON name), and refuses a non-loopback address unless told.
set -u
MC=$1 SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mc-browser.XXXXXX") || exit 1
REPORT=$WORK/run.json
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# A report of a real run (the POP3 scenarios against the embedded server: a few seconds).
"$MC" run -q -j 2 --protocol pop3 -r "$REPORT" "$SRC/scenarios" >"$WORK/run.out" 2>&1 ||
    { cat "$WORK/run.out" >&2; echo "FAIL: the run for the report failed" >&2; exit 1; }
mkdir -p "$WORK/reports/sub" "$WORK/outside"
cp "$REPORT" "$WORK/reports/run-a.json"
echo '{"not": "a report"}' >"$WORK/reports/broken.json"
echo '{"token": "TOPSECRET-4711"}' >"$WORK/outside/secret.json"
ln -s "$WORK/outside/secret.json" "$WORK/reports/link.json"
cp "$REPORT" "$WORK/reports/.hidden.json"

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
ok "raw and rendered reports"

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
c=$(code -X POST "$url")
[ "$c" = 405 ] || [ "$c" = 501 ] || fail "POST answered $c"
[ "$(code -H 'Host: attacker.example' "$url")" = 400 ] || fail "a foreign Host name was answered"
[ "$(code -H 'Host: localhost:1' "$url")" = 200 ] || fail "localhost was refused"
headers=$(curl -sI "$url")
printf '%s' "$headers" | grep -qi "^Content-Security-Policy: default-src 'none'" || fail "no CSP header"
ok "methods, Host and headers"

# Addresses.
"$MC" serve --http 0.0.0.0:0 --reports "$WORK/reports" >"$WORK/public" 2>&1
[ $? = 2 ] && grep -q -- '--http-public' "$WORK/public" || fail "a public address was not refused with a hint"
"$MC" serve --http 127.0.0.1:0 >"$WORK/noreports" 2>&1
[ $? = 2 ] && grep -q -- '--reports' "$WORK/noreports" || fail "--http without --reports was not refused"
"$MC" serve --http 127.0.0.1:0 --reports "$WORK/nope" >"$WORK/nodir" 2>&1
[ $? = 2 ] && grep -q "nope" "$WORK/nodir" || fail "a missing folder was not named"
ok "addresses and arguments"

[ "$failures" = 0 ] || exit 1
