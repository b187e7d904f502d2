#!/usr/bin/env bash
# serve-close-notify.sh MAILCONFORM SOURCE_DIR — the reference server ends its TLS sessions with
# close_notify (RFC 8446 6.1): openssl s_client, after LOGOUT / QUIT over implicit TLS, must not
# report an unexpected EOF (a truncation it cannot tell from an attack).
set -u
MC=$1 SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mc-close-notify.XXXXXX") || exit 1
trap '"$SRC/servers-under-test/reference/stop" "$WORK/ref" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
MAILCONFORM=$MC "$SRC/servers-under-test/reference/start" "$WORK/ref" >/dev/null || { echo "FAIL: cannot start" >&2; exit 1; }
port() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"][sys.argv[2]]["port"])' "$WORK/ref/target.json" "$1"; }
for ep in imaps:'a LOGOUT' pop3s:QUIT smtps:QUIT; do
    name=${ep%%:*} cmd=${ep#*:}
    out=$( (printf '%s\r\n' "$cmd"; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$(port "$name")" -CAfile "$WORK/ref/cert.pem" -quiet 2>&1)
    if printf '%s\n' "$out" | grep -q "unexpected eof"; then
        printf 'FAIL: %s ended without close_notify:\n%s\n' "$name" "$out" >&2
        exit 1
    fi
    printf '%s\n' "$out" | grep -Eq '^(a OK|\+OK|221)' || { printf 'FAIL: %s: no goodbye reply:\n%s\n' "$name" "$out" >&2; exit 1; }
    echo "ok: $name ends with close_notify"
done
