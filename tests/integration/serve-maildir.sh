#!/usr/bin/env bash
# serve-maildir.sh MAILCONFORM WORKDIR: mail accepted by the reference server with --maildir
# is on disk when SMTP says 250, survives a restart of the server, and is read back over POP3.
set -euo pipefail
cli=$1 work=$2
rm -rf "$work" && mkdir -p "$work/run" "$work/mail"
printf 'alice:wonder-land\nbob:the-builder\n' >"$work/users"
serve() {
    "$cli" serve --dir "$work/run" --users-file "$work/users" --maildir "$work/mail" \
        >"$work/serve.out" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do [ -s "$work/run/target.json" ] && return 0; sleep 0.1; done
    echo "serve-maildir: the server did not start" >&2; cat "$work/serve.out" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; rm -f "$work/run/target.json"; }
trap 'kill "$pid" 2>/dev/null || true' EXIT
tag="persist-$$-$RANDOM"
serve
/usr/bin/python3 - "$work/run/target.json" "$tag" <<'PY'
import json, smtplib, sys
t = json.load(open(sys.argv[1]))
with smtplib.SMTP("127.0.0.1", t["endpoints"]["smtp"]["port"]) as s:
    s.sendmail("alice@localhost", ["bob@localhost"],
               "Subject: %s\r\n\r\nkept on disk\r\n" % sys.argv[2])
PY
grep -rlq "$tag" "$work/mail" || { echo "serve-maildir: not on disk after 250" >&2; exit 1; }
stop
serve
/usr/bin/python3 - "$work/run/target.json" "$tag" <<'PY'
import json, poplib, sys
t = json.load(open(sys.argv[1]))
p = poplib.POP3("127.0.0.1", t["endpoints"]["pop3"]["port"])
p.user("bob"); p.pass_("the-builder")
body = b"\n".join(p.retr(1)[1]).decode()
p.quit()
if "Subject: " + sys.argv[2] not in body:
    sys.exit("serve-maildir: the message did not survive the restart")
print("serve-maildir: the message survived the restart")
PY
stop
