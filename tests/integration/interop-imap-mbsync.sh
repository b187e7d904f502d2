#!/usr/bin/env bash
# interop-imap-mbsync.sh DIR — issue 4's "done when", against the server started in DIR: mail
# sent with curl over SMTP (submission, STARTTLS + AUTH, mc17 -> mc18) is synchronised by mbsync
# (isync) into a local Maildir, flagged in one imaplib session and seen flagged in another.
# Then mbsync both ways, with the server's certificate checked against the profile's CA:
#   1. mbsync over IMAPS pulls the message: the Maildir file is the message as IMAP gives it;
#   2. imaplib session B (IMAPS) SELECTs INBOX, session A (imap port, STARTTLS) sets \Flagged;
#      B sees \Flagged (UID FETCH FLAGS; an unsolicited FETCH at its NOOP, RFC 3501 5.2 SHOULD,
#      is only reported), and so does a new session C;
#   3. mbsync over IMAP with STARTTLS pulls the flag: the Maildir file name gets F;
#   4. the file marked seen (S) locally and a new message put in the Maildir; mbsync pushes
#      both: the server has \Seen \Flagged on the first and the second byte for byte (LF -> CRLF);
#   5. both files deleted locally; mbsync (Expunge Both) removes both from the server.
# On a failure the mbsync log (-V -Dn: the IMAP conversation) is printed.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck disable=SC2015 # "a && b || fail": fail when either is false, as intended
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

command -v mbsync >/dev/null || fail "mbsync is not installed (tools/install-deps test-tools: isync)"
need_imap
export HOME=$WORK # mbsync reads nothing from the real home

USER_=mc18
printf '%s' "$PW_mc18" >"$WORK/pw"
MD=$WORK/mail/INBOX
mkdir "$WORK/mail"
cat >"$WORK/mbsyncrc" <<EOF
IMAPAccount imaps
Host $imaps_HOST
Port $imaps_PORT
User $USER_
PassCmd "cat $WORK/pw"
SSLType IMAPS
SSLVersions TLSv1.2 TLSv1.3
SystemCertificates no
CertificateFile $CA
Timeout 30

IMAPAccount starttls
Host $imap_HOST
Port $imap_PORT
User $USER_
PassCmd "cat $WORK/pw"
SSLType STARTTLS
SSLVersions TLSv1.2 TLSv1.3
SystemCertificates no
CertificateFile $CA
Timeout 30

IMAPStore far-imaps
Account imaps

IMAPStore far-starttls
Account starttls

MaildirStore near
Path $WORK/mail/
Inbox $MD

Channel imaps
Far :far-imaps:
Near :near:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState *

Channel starttls
Far :far-starttls:
Near :near:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState *
EOF

n_sync=0
sync() { # channel
    n_sync=$((n_sync + 1))
    local log=$WORK/mbsync-$n_sync.log
    if ! timeout 60 mbsync -c "$WORK/mbsyncrc" -V -Dn "$1" >"$log" 2>&1; then
        sed "s/^/  [mbsync $n_sync] /" "$log" >&2
        fail "mbsync $1 (run $n_sync) failed"
    fi
    LAST_LOG=$log
}
showlog() { sed "s/^/  [mbsync $n_sync] /" "$LAST_LOG" >&2; }

# local_file SUBJECT: the Maildir file (cur/ or new/) with that Subject, if exactly one
local_file() {
    local f
    f=$(grep -lxF "Subject: $1" "$MD"/cur/* "$MD"/new/* 2>/dev/null)
    [ -n "$f" ] && [ "$(printf '%s\n' "$f" | wc -l)" -eq 1 ] || return 1
    printf '%s\n' "$f"
}
maildir_flags() { # file -> the letters after ":2,"
    case $1 in *:2,*) printf '%s\n' "${1##*:2,}" ;; *) printf '\n' ;; esac
}

# 0. curl submission, mc17 -> mc18
s="mbsync-$TAG"
make_msg "$WORK/m1" "mc17@$DOMAIN" "mc18@$DOMAIN" "$s"
submit_curl mc17 "mc18@$DOMAIN" "$WORK/m1"
imap_wait mc18 "$s" "$WORK/dump0"
imap_msg "$WORK/dump0" "$s" "$WORK/srv0"
note "ok: curl submission mc17 -> mc18 delivered: $s"

# 1. mbsync over IMAPS pulls it
sync imaps
f=$(local_file "$s") || { showlog; fail "mbsync IMAPS: '$s' is not (once) in the Maildir $MD"; }
# (mbsync adds an X-TUID header of its own to the copies it makes, to find them again)
tail -n +2 "$WORK/srv0" | cmp -s - <(grep -v '^X-TUID: ' "$f") || {
    diff <(tail -n +2 "$WORK/srv0") "$f" >&2
    showlog
    fail "the Maildir copy of '$s' differs from the message IMAP gives"
}
grep -qxF "body line of $s" "$f" && grep -qxF "..leading dot survives" "$f" ||
    fail "the Maildir copy of '$s' lost its body"
case $(maildir_flags "$f") in *F* | *S*) fail "fresh message arrived flagged or seen: $f" ;; esac
note "ok: mbsync IMAPS pulled '$s' into ${f#"$WORK"/}"

# 2. flag it in imaplib session A (STARTTLS), seen flagged in session B (IMAPS, already
#    SELECTed) and in a new session C
"$PY" - "$IDIR/target.json" "$USER_" "$s" <<'EOF' || fail "imaplib: flagged in one session, seen in another: failed"
import imaplib, json, re, ssl, sys
t = json.load(open(sys.argv[1]))
user, subject = sys.argv[2], sys.argv[3]
ep = {n: (e.get("host") or "127.0.0.1", e["port"]) for n, e in t["endpoints"].items()}
pw = {u["user"]: u["password"] for u in t["users"]}[user]
ctx = ssl.create_default_context(cafile=t["ca_file"])
transcript, names = [], {}
imaplib.Debug = 4
imaplib.IMAP4._mesg = lambda self, s, secs=None: transcript.append("  [%s] %s" % (names.get(id(self), "imaplib"), s))

def check(cond, what):
    if not cond:
        print("\n".join(transcript), file=sys.stderr)
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what, file=sys.stderr)

def session(name, starttls):
    if starttls:
        m = imaplib.IMAP4(*ep["imap"], timeout=20)
        names[id(m)] = name
        m.starttls(ssl_context=ctx)
    else:
        m = imaplib.IMAP4_SSL(*ep["imaps"], ssl_context=ctx, timeout=20)
        names[id(m)] = name
    check(m.login(user, pw)[0] == "OK", "%s: LOGIN" % name)
    check(m.select("INBOX")[0] == "OK", "%s: SELECT INBOX" % name)
    return m

def uid_of(m):
    typ, data = m.uid("SEARCH", None, "SUBJECT", '"%s"' % subject)
    uids = data[0].split() if typ == "OK" else []
    check(len(uids) == 1, "%s: UID SEARCH SUBJECT finds the message once (%r)" % (names[id(m)], data))
    return uids[0].decode()

def flags(m, uid):
    typ, data = m.uid("FETCH", uid, "(FLAGS)")
    check(typ == "OK", "%s: UID FETCH %s FLAGS" % (names[id(m)], uid))
    for d in data:
        d = d[0] if isinstance(d, tuple) else d
        f = re.search(rb"FLAGS \(([^)]*)\)", d or b"")
        if f and re.search(rb"UID %s\b" % uid.encode(), d):
            return f.group(1).decode().split()
    check(False, "%s: no FLAGS for UID %s in %r" % (names[id(m)], uid, data))

b = session("B", starttls=False)
uid = uid_of(b)
check("\\Flagged" not in flags(b, uid), "B: not flagged yet")
a = session("A", starttls=True)
check(uid_of(a) == uid, "A and B agree on the UID")
typ, data = a.uid("STORE", uid, "+FLAGS", "(\\Flagged)")
check(typ == "OK" and any(d and b"\\Flagged" in d for d in data),
      "A: UID STORE +FLAGS (\\Flagged), the FETCH response has it (%r)" % data)
a.logout()
check(b.noop()[0] == "OK", "B: NOOP")
unsolicited = b.untagged_responses.get("FETCH", [])
if any(d and b"\\Flagged" in d for d in unsolicited):
    print("ok: B's NOOP brought the flag change unasked: %r" % unsolicited, file=sys.stderr)
else:
    print("note: B's NOOP brought no FETCH with the flag change (RFC 3501 5.2: SHOULD): %r"
          % (unsolicited,), file=sys.stderr)
check("\\Flagged" in flags(b, uid), "B (SELECTed before A's STORE) sees \\Flagged")
b.logout()
c = session("C", starttls=False)
check("\\Flagged" in flags(c, uid), "a new session C sees \\Flagged")
c.logout()
EOF
note "ok: flagged in imaplib session A, seen flagged in sessions B and C"

# 3. mbsync over IMAP + STARTTLS pulls the flag
sync starttls
grep -q 'STARTTLS' "$LAST_LOG" || { showlog; fail "mbsync did not use STARTTLS on the imap port"; }
f=$(local_file "$s") || { showlog; fail "after the second mbsync, '$s' is not (once) in the Maildir"; }
case $(maildir_flags "$f") in *F*) ;; *) showlog && fail "mbsync did not bring \\Flagged to the Maildir: $f" ;; esac
note "ok: mbsync STARTTLS pulled \\Flagged: ${f#"$WORK"/}"

# 4. push: the file marked seen, a new local message
case $f in
*:2,*) mv "$f" "$MD/cur/$(basename "${f%%:2,*}"):2,$(maildir_flags "$f" | sed 's/$/S/' | fold -w1 | sort | tr -d '\n')" ;;
*) mv "$f" "$MD/cur/$(basename "$f"):2,S" ;;
esac
s2="mbsync-local-$TAG"
make_msg "$WORK/m2" "mc18@$DOMAIN" "mc18@$DOMAIN" "$s2"
tr -d '\r' <"$WORK/m2" >"$MD/new/$(date +%s).$$_$RANDOM.interop"
sync imaps
imap_wait mc18 "$s2" "$WORK/dump1"
imap_msg "$WORK/dump1" "$s" "$WORK/srv1"
read -r _ _ _ _ _ _ flags1 <"$WORK/srv1"
case "$flags1" in *'\Seen'*'\Flagged'* | *'\Flagged'*'\Seen'*) ;;
*) showlog && fail "mbsync push: '$s' on the server has FLAGS $flags1, want \\Seen \\Flagged" ;;
esac
imap_msg "$WORK/dump1" "$s2" "$WORK/srv2"
tail -n +2 "$WORK/srv2" | grep -v '^X-TUID: ' | cmp -s - <(tr -d '\r' <"$WORK/m2") || {
    diff <(tr -d '\r' <"$WORK/m2") <(tail -n +2 "$WORK/srv2") >&2
    showlog
    fail "the message mbsync APPENDed is not the local one"
}
note "ok: mbsync pushed \\Seen and the new message '$s2'"

# 5. both deleted locally: mbsync (Expunge Both) removes them from the server
f=$(local_file "$s") && f2=$(local_file "$s2") ||
    { showlog; fail "after the push, the Maildir does not hold both messages once"; }
rm -f "$f" "$f2"
sync starttls
imap_dump mc18 "$WORK/dump2"
if grep -qxF -e "Subject: $s" -e "Subject: $s2" "$WORK/dump2"; then
    showlog
    fail "mbsync did not remove the locally deleted messages from the server"
fi
note "ok: mbsync propagated the local deletion (server INBOX no longer has them)"
echo "ok: mbsync interop ($n_sync mbsync runs)"
