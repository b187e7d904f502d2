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

# --- IMAP helpers (the interop-imap-*.sh tests) ---

# make_msg FILE FROM TO SUBJECT: a small message with CRLF line ends, a Message-ID, the body line
# "body line of SUBJECT" and a line that starts with two dots (dot-stuffing on SMTP, none on
# IMAP: it must come back as it went in).
make_msg() {
    printf 'From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@interop.test>\r\n\r\nbody line of %s\r\n..leading dot survives\r\n' \
        "$2" "$3" "$4" "$(LC_ALL=C date -R)" "$TAG-$RANDOM" "$4" >"$1"
}

# submit_curl USER RCPT FILE: submits FILE as USER to RCPT with curl over submission, STARTTLS
# required, certificate checked, AUTH as USER. curl's -v transcript goes to FILE.smtp-trace.
submit_curl() {
    local user=$1 rcpt=$2 file=$3 pwvar="PW_$1"
    curl -v --silent --show-error --max-time 30 --cacert "$CA" --ssl-reqd \
        "smtp://$submission_HOST:$submission_PORT" --user "$user:${!pwvar}" \
        --mail-from "$user@$DOMAIN" --mail-rcpt "$rcpt" -T "$file" 2>"$file.smtp-trace" || {
        sed 's/^/  [curl smtp] /' "$file.smtp-trace" >&2
        fail "curl submission (STARTTLS + AUTH) $user -> $rcpt failed"
    }
}

# imap_dump USER OUTFILE [MAILBOX]: every message of USER's MAILBOX (default INBOX), read over
# IMAPS with Python's imaplib after EXAMINE (read-only: no flag changes), each preceded by a line
# "=== MESSAGE seq UID uid FLAGS (flags)", the message's lines after it (CRLF -> LF).
imap_dump() {
    local user=$1 out=$2 mbox=${3:-INBOX} pwvar="PW_$1"
    "$PY" - "$imaps_HOST" "$imaps_PORT" "$CA" "$user" "${!pwvar}" "$mbox" >"$out" <<'EOF2' ||
import imaplib, re, ssl, sys
host, port, ca, user, pw, mbox = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
ctx = ssl.create_default_context(cafile=ca or None)
m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=20)
m.login(user, pw)
typ, data = m.select('"%s"' % mbox, readonly=True)
if typ != "OK":
    sys.exit("EXAMINE %s: %s %r" % (mbox, typ, data))
if int(data[0]) > 0:
    typ, data = m.fetch("1:*", "(UID FLAGS BODY.PEEK[])")
    if typ != "OK":
        sys.exit("FETCH: %s %r" % (typ, data))
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode("utf-8", "replace")
        seq = meta.split()[0]
        uid = re.search(r"UID (\d+)", meta)
        flags = re.search(r"FLAGS \(([^)]*)\)", meta)
        print("=== MESSAGE %s UID %s FLAGS (%s)" % (seq, uid.group(1) if uid else "?",
                                                  flags.group(1) if flags else "?"))
        sys.stdout.write(item[1].decode("utf-8", "replace").replace("\r\n", "\n"))
        if not item[1].endswith(b"\n"):
            print()
m.logout()
EOF2
        fail "imap_dump $user $mbox failed"
}

# imap_wait USER SUBJECT OUTFILE [MAILBOX]: imap_dump until a message with that Subject is there
# (delivery may lag behind the end of the SMTP transaction), 75 tries 0.2 s apart; fails if it
# never is.
imap_wait() {
    local i
    for i in $(seq 1 75); do
        imap_dump "$1" "$3" "${4:-INBOX}"
        grep -qxF "Subject: $2" "$3" && return 0
        sleep 0.2
    done
    fail "no message with Subject: $2 in $1's ${4:-INBOX} after 75 tries"
}

# imap_msg DUMPFILE SUBJECT OUTFILE: the "=== MESSAGE" line and the lines of the message with
# that Subject, from an imap_dump file.
imap_msg() {
    awk -v s="Subject: $2" '
        /^=== MESSAGE / { if (found) exit; buf = $0 "\n"; next }
        { buf = buf $0 "\n" }
        $0 == s { found = 1 }
        END { if (found) printf "%s", buf; else exit 1 }' "$1" >"$3"
}

# need_imap: fails when the profile has no imap and imaps endpoints: the reference server
# serves IMAP, so losing it must show as a failure, not a skip.
need_imap() {
    [ -n "${imap_PORT-}" ] && [ -n "${imaps_PORT-}" ] && return 0
    fail "the profile $IDIR/target.json has no imap and imaps endpoints"
}
