#!/usr/bin/env bash
# interop-python.sh DIR — Python's smtplib and poplib (/usr/bin/python3, standard library only,
# certificates verified against the profile's CA) against the reference server started in DIR:
#   smtplib STARTTLS + login on submission, mc04 -> mc05; poplib POP3 + stls() reads it back;
#   smtplib SMTP_SSL + login on SMTPS, mc04 -> mc06; poplib POP3_SSL reads it back;
#   smtplib LMTP, delivery to mc07 (per-recipient replies, an unknown recipient refused);
#   POP3 semantics on mc05: DELE then a dropped connection deletes nothing, DELE + QUIT deletes.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

"$PY" - "$IDIR/target.json" "$TAG" <<'EOF' || fail "python smtplib/poplib interop failed"
import json, poplib, smtplib, socket, ssl, sys, time
from email.message import EmailMessage

t = json.load(open(sys.argv[1]))
tag = sys.argv[2]
ep = {n: (e.get("host") or "127.0.0.1", e["port"]) for n, e in t["endpoints"].items()}
pw = {u["user"]: u["password"] for u in t["users"]}
dom = t.get("domain") or "localhost"
ctx = ssl.create_default_context(cafile=t["ca_file"])

def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what, file=sys.stderr)

def msg(frm, to, subject):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, to, subject
    m["Message-ID"] = "<%s@interop.test>" % subject
    m.set_content("hello from python %s\n.a line that starts with a dot\n" % subject)
    return m

def pop_login(user, implicit=False):
    """Logs in (STLS on the plain port, or POP3S), retrying while the mailbox is [IN-USE]."""
    deadline = time.time() + 10
    while True:
        if implicit:
            p = poplib.POP3_SSL(*ep["pop3s"], context=ctx, timeout=20)
        else:
            p = poplib.POP3(*ep["pop3"], timeout=20)
            check("STLS" in p.capa(), "POP3 CAPA lists STLS")
            p.stls(context=ctx)
        try:
            p.user(user)
            p.pass_(pw[user])
            return p
        except poplib.error_proto as e:
            p.close()
            if b"IN-USE" not in e.args[0] or time.time() > deadline:
                raise
            time.sleep(0.2)

def find(p, subject):
    """The message numbers whose Subject is subject, and the lines of the first one."""
    found, lines = [], None
    for line in p.list()[1]:
        n = int(line.split()[0])
        body = p.retr(n)[1]
        if ("Subject: " + subject).encode() in body:
            found.append(n)
            lines = lines or body
    return found, lines

# 1. submission: STARTTLS + login, mc04 -> mc05
s1 = "py-submission-" + tag
with smtplib.SMTP(*ep["submission"], timeout=20) as s:
    s.ehlo("client.interop.test")
    check(s.has_extn("starttls"), "submission offers STARTTLS")
    s.starttls(context=ctx)
    s.ehlo("client.interop.test")
    check(s.has_extn("auth"), "submission offers AUTH after STARTTLS")
    s.login("mc04", pw["mc04"])
    refused = s.send_message(msg("mc04@" + dom, "mc05@" + dom, s1))
    check(refused == {}, "smtplib submission accepted by every recipient")

p = pop_login("mc05")
nums, lines = find(p, s1)
check(len(nums) == 1, "poplib POP3+STLS finds %s once" % s1)
check(b"..a line that starts with a dot" not in lines and b".a line that starts with a dot" in lines,
      "dot-stuffing undone (RETR re-stuffs, poplib unstuffs)")
p.quit()

# 2. SMTPS: implicit TLS + login, mc04 -> mc06; POP3S reads it back
s2 = "py-smtps-" + tag
with smtplib.SMTP_SSL(*ep["smtps"], context=ctx, timeout=20) as s:
    s.login("mc04", pw["mc04"])
    check(s.send_message(msg("mc04@" + dom, "mc06@" + dom, s2)) == {}, "smtplib SMTPS accepted")
p = pop_login("mc06", implicit=True)
nums, _ = find(p, s2)
check(len(nums) == 1, "poplib POP3_SSL finds %s once" % s2)
p.quit()

# 3. LMTP: one good and one unknown recipient, per-recipient answers (RFC 2033)
if "lmtp" in ep:
    s3 = "py-lmtp-" + tag
    with smtplib.LMTP(*ep["lmtp"], timeout=20) as s:
        s.ehlo("client.interop.test")  # smtplib.LMTP sends LHLO
        try:
            refused = s.send_message(msg("mc04@" + dom, "mc07@" + dom, s3),
                                     to_addrs=["mc07@" + dom, "nobody-%s@%s" % (tag, dom)])
        except smtplib.SMTPRecipientsRefused as e:
            refused = e.recipients
        check("mc07@" + dom not in refused, "LMTP delivers to mc07")
        check(any(a.startswith("nobody-") for a in refused), "LMTP refuses an unknown recipient")
    p = pop_login("mc07", implicit=True)
    check(len(find(p, s3)[0]) == 1, "LMTP delivery visible in POP3")
    p.quit()

# 4. DELE then a dropped connection: nothing deleted (RFC 1939 section 6)
p = pop_login("mc05")
nums, _ = find(p, s1)
p.dele(nums[0])
p.sock.shutdown(socket.SHUT_RDWR)
p.sock.close()
p = pop_login("mc05")
check(len(find(p, s1)[0]) == 1, "DELE without QUIT (connection dropped) deletes nothing")
# 5. DELE + QUIT: gone
nums, _ = find(p, s1)
p.dele(nums[0])
p.quit()
p = pop_login("mc05")
check(find(p, s1)[0] == [], "DELE + QUIT removes the message")
p.quit()
EOF
echo "ok: python interop"
