# shellcheck shell=bash disable=SC2034,SC2154 # variables for the sourcing scripts, set by eval
# interop-lib.sh — sourced by the interop-*.sh tests (real clients against the reference server).
#
#   . interop-lib.sh DIR      DIR: the directory of servers-under-test/reference/start
#
# Reads DIR/target.json and sets, for every endpoint NAME (smtp, submission, smtps, lmtp, pop3,
# pop3s): NAME_HOST, NAME_PORT; the CA file in CA (empty when the profile has none), the mail
# domain in DOMAIN, and PW_<user> for every user (PW_mc01 ...). Also: WORK (a private temporary
# directory removed at exit), TAG (a token unique to this run, to put in subjects), and the
# helpers fail, note, pop3_dump.
set -u

[ $# -ge 1 ] || { echo "usage: $0 DIR" >&2; exit 64; }
IDIR=$1
PY=/usr/bin/python3

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

[ -r "$IDIR/target.json" ] || fail "no $IDIR/target.json (did the interop.reference.start fixture run?)"
assignments=$("$PY" - "$IDIR/target.json" <<'EOF'
import json, re, shlex, sys
t = json.load(open(sys.argv[1]))
out = []
for name, ep in t.get("endpoints", {}).items():
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        continue
    out.append("%s_HOST=%s" % (name, shlex.quote(ep.get("host") or "127.0.0.1")))
    out.append("%s_PORT=%s" % (name, shlex.quote(str(ep["port"]))))
out.append("CA=%s" % shlex.quote(t.get("ca_file") or ""))
out.append("DOMAIN=%s" % shlex.quote(t.get("domain") or "localhost"))
for u in t.get("users", []):
    if re.fullmatch(r"[A-Za-z0-9_]+", u["user"]):
        out.append("PW_%s=%s" % (u["user"], shlex.quote(u["password"])))
print("\n".join(out))
EOF
) || fail "cannot read $IDIR/target.json"
eval "$assignments"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mc-interop.XXXXXX") || fail "mktemp failed"
trap 'rm -rf "$WORK"' EXIT
TAG="$(date +%s%N)-$$-$RANDOM"

# pop3_dump USER OUTFILE: every message of USER's mailbox, read over POP3S with Python's poplib
# (retried while the mailbox is [IN-USE] by a session the server has not yet seen close), each
# one preceded by a line "=== MESSAGE n". Leaves the mailbox as it was (ends with RSET, QUIT).
pop3_dump() {
    local user=$1 out=$2 pwvar="PW_$1"
    "$PY" - "$pop3s_HOST" "$pop3s_PORT" "$CA" "$user" "${!pwvar}" >"$out" <<'EOF' ||
import poplib, ssl, sys, time
host, port, ca, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca or None)
deadline = time.time() + 10
while True:
    p = poplib.POP3_SSL(host, port, context=ctx, timeout=20)
    try:
        p.user(user)
        p.pass_(pw)
        break
    except poplib.error_proto as e:
        p.close()
        if b"IN-USE" not in e.args[0] or time.time() > deadline:
            raise
        time.sleep(0.2)
resp, listing, _ = p.list()
for line in listing:
    n = int(line.split()[0])
    print("=== MESSAGE %d" % n)
    for l in p.retr(n)[1]:
        print(l.decode("utf-8", "replace"))
p.rset()
p.quit()
EOF
        fail "pop3_dump $user failed"
}
