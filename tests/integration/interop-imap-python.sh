#!/usr/bin/env bash
# interop-imap-python.sh DIR — Python's imaplib (/usr/bin/python3, standard library only,
# certificates verified against the profile's CA) against the server started in DIR, users mc15
# (sender, AUTHENTICATE PLAIN) and mc16:
#   smtplib submits mc15 -> mc16 (STARTTLS + login); imaplib on the imap port: CAPABILITY has
#   STARTTLS, starttls(), LOGIN, SELECT, SEARCH SUBJECT finds it once; FETCH BODY.PEEK[] gives the
#   message (headers, body, a line starting with a dot) and leaves \Seen unset, RFC822.SIZE is
#   its length, ENVELOPE has its Subject, BODY[HEADER.FIELDS (SUBJECT)] only that header;
#   FETCH BODY[TEXT] sets \Seen;
#   APPEND with a flag and an INTERNALDATE: the message comes back byte for byte with both;
#   a second session SELECTs INBOX while the first APPENDs: NOOP in the second reports the new
#   EXISTS (RFC 3501 5.2); IDLE (when offered) reports one too;
#   CREATE a mailbox (also one with a modified UTF-7 name, LIST gives it back unchanged), COPY
#   into it, STATUS counts it, RENAME, DELETE; STORE \Deleted + EXPUNGE removes a message, the
#   other session's NOOP reports the EXPUNGE;
#   IMAPS with AUTHENTICATE PLAIN (and CRAM-MD5 when offered); a wrong password is refused;
#   a 600 KB 8-bit message APPENDed comes back byte for byte (and a partial FETCH of it), a
#   multipart one has the right BODYSTRUCTURE, BODY[1], BODY[2], BODY[2.MIME]; both expunged.
# On a failure the imaplib transcript (debug level 4) of every session is printed.
# shellcheck disable=SC2154 # NAME_HOST, NAME_PORT, PW_user: set by interop-lib.sh from target.json
# shellcheck source=tests/integration/interop-lib.sh
. "$(dirname "$0")/interop-lib.sh" "$@"

need_imap

"$PY" - "$IDIR/target.json" "$TAG" <<'EOF' || fail "python imaplib interop failed"
import imaplib, json, re, smtplib, socket, ssl, sys, time
from email.message import EmailMessage

t = json.load(open(sys.argv[1]))
tag = sys.argv[2]
ep = {n: (e.get("host") or "127.0.0.1", e["port"]) for n, e in t["endpoints"].items()}
pw = {u["user"]: u["password"] for u in t["users"]}
dom = t.get("domain") or "localhost"
ctx = ssl.create_default_context(cafile=t["ca_file"])

# The transcript of every session: imaplib at debug level 4 logs each line it sends and reads
# through _mesg; keep them instead of printing them, print them all on a failure.
transcript = []
names = {}
imaplib.Debug = 4
def _mesg(self, s, secs=None):
    transcript.append("  [%s] %s" % (names.get(id(self), "imaplib"), s))
imaplib.IMAP4._mesg = _mesg

def check(cond, what):
    if not cond:
        print("\n".join(transcript), file=sys.stderr)
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what, file=sys.stderr)

def ok(res, what):
    typ, data = res
    if typ != "OK":
        check(False, "%s (got %s %r)" % (what, typ, data))
    return data

def connect(name, implicit):
    if implicit:
        m = imaplib.IMAP4_SSL(*ep["imaps"], ssl_context=ctx, timeout=20)
    else:
        m = imaplib.IMAP4(*ep["imap"], timeout=20)
    names[id(m)] = name
    return m

def session(name, user, implicit=True):
    m = connect(name, implicit)
    if not implicit:
        m.starttls(ssl_context=ctx)
    ok(m.login(user, pw[user]), "%s: LOGIN %s" % (name, user))
    return m

def fetch1(m, what, seq, items):
    """FETCH (or UID FETCH) of one message: the FETCH line(s) as text, the literals as bytes."""
    data = ok(m.uid("FETCH", seq, items) if what == "uid" else m.fetch(seq, items),
              "FETCH %s %s" % (seq, items))
    meta, lits = "", []
    for d in data:
        if isinstance(d, tuple):
            meta += d[0].decode("utf-8", "replace") + " "
            lits.append(d[1])
        elif d:
            meta += d.decode("utf-8", "replace") + " "
    return meta, lits

def search(m, *crit):
    data = ok(m.search(None, *crit), "SEARCH %s" % " ".join(crit))
    return data[0].split()

def list_names(m, pattern):
    """The mailbox names LIST "" pattern returns (quotes removed)."""
    names = []
    for l in ok(m.list('""', pattern), 'LIST "" %s' % pattern):
        if l:
            mm = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) "?(.*?)"?$', l)
            if mm is None:
                check(False, "a LIST response imaplib can parse: %r" % l)
            names.append(mm.group(2).decode())
    return names

def flags_of(meta):
    f = re.search(r"FLAGS \(([^)]*)\)", meta)
    return f.group(1).split() if f else None

# 1. submission with smtplib, mc15 -> mc16
s1 = "py-imap-" + tag
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = "mc15@" + dom, "mc16@" + dom, s1
msg["Message-ID"] = "<%s@interop.test>" % s1
msg.set_content("hello over IMAP %s\n.a line that starts with a dot\n" % s1)
with smtplib.SMTP(*ep["submission"], timeout=20) as s:
    s.starttls(context=ctx)
    s.login("mc15", pw["mc15"])
    check(s.send_message(msg) == {}, "smtplib submission mc15 -> mc16 accepted")

# 2. imap port: CAPABILITY, STARTTLS, LOGIN, SELECT, SEARCH
a = connect("A", implicit=False)
check("STARTTLS" in a.capabilities, "CAPABILITY before login lists STARTTLS: %s" % (a.capabilities,))
check("IMAP4REV1" in a.capabilities, "CAPABILITY lists IMAP4rev1")
ok(a.starttls(ssl_context=ctx), "STARTTLS")
ok(a.login("mc16", pw["mc16"]), "LOGIN mc16 after STARTTLS")
ok(a.select("INBOX"), "SELECT INBOX")
deadline = time.time() + 15
while True:
    nums = search(a, "SUBJECT", '"%s"' % s1)
    if nums or time.time() > deadline:
        break
    time.sleep(0.3)
    ok(a.noop(), "NOOP")
check(len(nums) == 1, "SEARCH SUBJECT finds the submitted message once (%r)" % nums)
n = nums[0].decode()

meta, lits = fetch1(a, "seq", n, "(FLAGS RFC822.SIZE BODY.PEEK[])")
body = lits[0]
check(("Subject: %s\r\n" % s1).encode() in body, "BODY.PEEK[] has the Subject")
check(("hello over IMAP %s\r\n.a line that starts with a dot\r\n" % s1).encode() in body,
      "BODY.PEEK[] has the body, CRLF line ends, the dot line unchanged")
size = re.search(r"RFC822\.SIZE (\d+)", meta)
check(size is not None and int(size.group(1)) == len(body),
      "RFC822.SIZE (%s) is the length of BODY[] (%d)" % (size and size.group(1), len(body)))
meta, _ = fetch1(a, "seq", n, "(FLAGS)")
check("\\Seen" not in flags_of(meta), "BODY.PEEK[] left \\Seen unset (%s)" % meta)
meta, _ = fetch1(a, "seq", n, "(ENVELOPE)")
check(s1 in meta, "ENVELOPE has the Subject")
meta, lits = fetch1(a, "seq", n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
check(lits and lits[0].replace(b"\r\n\r\n", b"\r\n") == ("Subject: %s\r\n" % s1).encode(),
      "BODY[HEADER.FIELDS (SUBJECT)] is only the Subject line (%r)" % (lits and lits[0]))
meta, lits = fetch1(a, "seq", n, "(BODY[TEXT])")
check(lits and lits[0].startswith(("hello over IMAP %s" % s1).encode()), "BODY[TEXT] is the body")
meta, _ = fetch1(a, "seq", n, "(FLAGS)")
check("\\Seen" in flags_of(meta), "BODY[TEXT] (no PEEK) set \\Seen (%s)" % meta)

# 3. a second session (IMAPS) watching INBOX while A APPENDs
b = session("B", "mc16", implicit=True)
exists_b = int(ok(b.select("INBOX"), "B: SELECT INBOX")[0])
s2 = "py-append-" + tag
raw = ("From: <mc16@%s>\r\nTo: <mc16@%s>\r\nSubject: %s\r\nMessage-ID: <%s@interop.test>\r\n\r\n"
       "appended by imaplib %s\r\n" % (dom, dom, s2, s2, s2)).encode()
when = "02-Mar-2021 10:11:12 +0100"
data = ok(a.append("INBOX", "(\\Flagged)", '"%s"' % when, raw), "APPEND with (\\Flagged) and a date")
ok(b.noop(), "B: NOOP")
ex = b.untagged_responses.get("EXISTS")
check(ex and ex[-1] is not None and int(ex[-1]) == exists_b + 1,
      "B's NOOP reports the APPEND: EXISTS %d -> %r (RFC 3501 5.2)" % (exists_b, ex))
nums = search(a, "HEADER", "Message-ID", '"<%s@interop.test>"' % s2)
check(len(nums) == 1, "SEARCH HEADER Message-ID finds the APPENDed message")
meta, lits = fetch1(a, "seq", nums[0].decode(), "(FLAGS INTERNALDATE BODY.PEEK[])")
check(lits and lits[0] == raw, "the APPENDed message comes back byte for byte")
check("\\Flagged" in flags_of(meta), "APPEND's flag is set (%s)" % meta)
idate = re.search(r'INTERNALDATE "([^"]*)"', meta)
check(idate and imaplib.Internaldate2tuple(('INTERNALDATE "%s"' % idate.group(1)).encode())
      == imaplib.Internaldate2tuple(('INTERNALDATE "%s"' % when).encode()),
      "APPEND's date is the INTERNALDATE (%s)" % (idate and idate.group(1)))

# 3b. IDLE in B (RFC 2177), when offered: A APPENDs, B hears EXISTS before DONE
exists_b += 1
b_caps = ok(b.capability(), "B: CAPABILITY")[0].decode().upper().split()
if "IDLE" in b_caps:
    idle_tag = b._new_tag()
    b.send(idle_tag + b" IDLE\r\n")
    cont = b.readline()
    check(cont.startswith(b"+"), "IDLE: continuation request (%r)" % cont)
    raw_idle = raw.replace(s2.encode(), ("idle-" + s2).encode())
    ok(a.append("INBOX", None, None, raw_idle), "APPEND during B's IDLE")
    heard = []
    b.sock.settimeout(10)
    try:
        while not any(b"EXISTS" in l for l in heard):
            line = b.readline()
            if not line:
                break
            heard.append(line)
    except (socket.timeout, TimeoutError):
        check(False, "IDLE: no EXISTS within 10 s of the APPEND, heard %r" % heard)
    b.sock.settimeout(20)
    b.send(b"DONE\r\n")
    while not heard or not heard[-1].startswith(idle_tag):
        line = b.readline()
        if not line:
            break
        heard.append(line)
    transcript.append("  [B] IDLE heard: %r" % heard)
    check(any(re.match(rb"\* %d EXISTS" % (exists_b + 1), l) for l in heard),
          "IDLE reports the APPEND as EXISTS %d: %r" % (exists_b + 1, heard))
    check(heard[-1].startswith(idle_tag + b" OK"), "IDLE ends with OK after DONE (%r)" % heard[-1])
    exists_b += 1
else:
    print("(no IDLE in CAPABILITY: IDLE not tested)", file=sys.stderr)

# 4. mailboxes: CREATE, COPY, STATUS, RENAME, DELETE, a modified UTF-7 name
box, box2 = "py-%s" % tag, "py-renamed-%s" % tag
utf7 = "py-%s-Entw&APw-rfe" % tag  # "Entwürfe" in modified UTF-7 (RFC 3501 5.1.3)
try:
    ok(a.create(box), "CREATE %s" % box)
    ok(a.copy(n, box), "COPY %s to %s" % (n, box))
    st = ok(a.status(box, "(MESSAGES UNSEEN UIDNEXT)"), "STATUS %s" % box)[0].decode()
    check(re.search(r"MESSAGES 1\b", st) and re.search(r"UNSEEN 0\b", st),
          "STATUS after COPY: 1 message, 0 unseen (the copy keeps \\Seen): %s" % st)
    ok(a.rename(box, box2), "RENAME %s %s" % (box, box2))
    listed = list_names(a, "py-*%s" % tag)
    check(listed == [box2], "LIST shows the new name, not the old one: %r" % listed)
    c = session("C", "mc16", implicit=False)
    data = ok(c.select(box2, readonly=True), "C: EXAMINE %s" % box2)
    check(int(data[0]) == 1, "EXAMINE %s: 1 message" % box2)
    meta, lits = fetch1(c, "seq", "1", "(BODY.PEEK[])")
    check(lits and lits[0] == body, "the copy in %s is the same message" % box2)
    c.logout()
    ok(a.create(utf7), "CREATE %s" % utf7)
    listed = list_names(a, "py-%s-*" % tag)
    check(listed == [utf7], "LIST gives the modified UTF-7 name back unchanged: %r" % listed)
finally:
    for mb in (box, box2, utf7):
        try:
            a.delete(mb)
        except Exception:
            pass
listed = list_names(a, "py-*%s*" % tag)
check(listed == [], "DELETE removed the mailboxes: %r" % listed)

# 5. STORE \Deleted + EXPUNGE in A; B is told
nums = search(a, "HEADER", "Message-ID", '"<%s@interop.test>"' % s2)
check(len(nums) == 1, "the APPENDed message is still there once")
ok(a.store(nums[0], "+FLAGS.SILENT", "(\\Deleted)"), "STORE +FLAGS.SILENT (\\Deleted)")
data = ok(a.expunge(), "EXPUNGE")
check(data and data[0] is not None and data[0] == nums[0], "EXPUNGE reports message %r: %r" % (nums[0], data))
check(search(a, "HEADER", "Message-ID", '"<%s@interop.test>"' % s2) == [], "the message is gone")
ok(b.noop(), "B: NOOP")
ex = b.response("EXPUNGE")[1]
check(ex and ex[0] is not None and ex[0] == nums[0], "B's NOOP reports the EXPUNGE of %r: %r" % (nums[0], ex))
b.logout()
typ, data = a.logout()
check(typ == "BYE", "A: LOGOUT gets BYE (%s %r)" % (typ, data))

# 6. IMAPS: AUTHENTICATE PLAIN (and CRAM-MD5 when offered), a wrong password
d = connect("D", implicit=True)
check("AUTH=PLAIN" in d.capabilities, "IMAPS CAPABILITY lists AUTH=PLAIN: %s" % (d.capabilities,))
ok(d.authenticate("PLAIN", lambda _: ("\0mc15\0%s" % pw["mc15"]).encode()), "AUTHENTICATE PLAIN mc15")
ok(d.select("INBOX", readonly=True), "D: EXAMINE INBOX")
d.logout()
d = connect("E", implicit=True)
if "AUTH=CRAM-MD5" in d.capabilities:
    ok(d.login_cram_md5("mc15", pw["mc15"]), "AUTHENTICATE CRAM-MD5 mc15")
    check(True, "AUTHENTICATE CRAM-MD5")
d.logout()
d = connect("F", implicit=True)
try:
    d.login("mc15", "wrong-" + tag)
    check(False, "LOGIN with a wrong password succeeded")
except imaplib.IMAP4.error as e:
    check(True, "LOGIN with a wrong password refused (%s)" % e)
d.logout()

# 7. a large 8-bit message and a multipart one (APPENDed to mc15's INBOX, removed afterwards):
#    byte for byte back, a partial FETCH, BODYSTRUCTURE and BODY[n] of the parts
g = session("G", "mc15", implicit=True)
s7 = "py-big-" + tag
line = "Grüße, Ünïcödé — %s 0123456789 abcdefghijklmnopqrstuvwxyz\r\n" % tag
big = ("From: <mc15@%s>\r\nTo: <mc15@%s>\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
       % (dom, dom, s7)).encode() + line.encode() * (600 * 1024 // len(line.encode()))
ok(g.append("INBOX", None, None, big), "APPEND a %d-byte 8-bit message" % len(big))
s8 = "py-multipart-" + tag
mp = ("From: <mc15@{d}>\r\nTo: <mc15@{d}>\r\nSubject: {s}\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b-{t}\"\r\n\r\npreamble\r\n"
      "--b-{t}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nfirst part {s}\r\n"
      "--b-{t}\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\n"
      "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"x.bin\"\r\n\r\n"
      "AAECAwQFBgcICQ==\r\n--b-{t}--\r\nepilogue\r\n").format(d=dom, s=s8, t=tag).encode()
ok(g.append("INBOX", None, None, mp), "APPEND a multipart/mixed message")
ok(g.select("INBOX"), "G: SELECT INBOX")
n7 = search(g, "SUBJECT", '"%s"' % s7)
check(len(n7) == 1, "SEARCH finds the large message once")
n7 = n7[0].decode()
meta, lits = fetch1(g, "seq", n7, "(RFC822.SIZE BODY.PEEK[])")
check(lits and lits[0] == big, "the large 8-bit message comes back byte for byte (%d bytes)" % len(big))
check(re.search(r"RFC822\.SIZE %d\b" % len(big), meta), "its RFC822.SIZE is %d" % len(big))
meta, lits = fetch1(g, "seq", n7, "(BODY.PEEK[]<1000.77>)")
check(lits and lits[0] == big[1000:1077] and "BODY[]<1000>" in meta,
      "partial FETCH BODY[]<1000.77> gives those 77 bytes, labelled BODY[]<1000> (%s %r)"
      % (meta, lits and lits[0]))
check(search(g, "BODY", '"%s 0123456789"' % tag) == [n7.encode()], "SEARCH BODY finds the large message")
n8 = search(g, "SUBJECT", '"%s"' % s8)
check(len(n8) == 1, "SEARCH finds the multipart message once")
n8 = n8[0].decode()
meta, _ = fetch1(g, "seq", n8, "(BODYSTRUCTURE)")
bs = meta.upper()
check('"TEXT" "PLAIN"' in bs and '"APPLICATION" "OCTET-STREAM"' in bs and '"MIXED"' in bs
      and '"BASE64"' in bs, "BODYSTRUCTURE: multipart/mixed of text/plain and base64 application/octet-stream: %s" % meta)
meta, lits = fetch1(g, "seq", n8, "(BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[2.MIME])")
check(len(lits) == 3 and lits[0] == ("first part %s" % s8).encode() and lits[1] == b"AAECAwQFBgcICQ==",
      "BODY[1] and BODY[2] are the parts' bodies: %r" % lits[:2])
check(len(lits) == 3 and b"Content-Transfer-Encoding: base64" in lits[2],
      "BODY[2.MIME] is the second part's header: %r" % (lits[2:],))
ok(g.store("%s,%s" % (n7, n8), "+FLAGS.SILENT", "(\\Deleted)"), "G: STORE \\Deleted")
ok(g.expunge(), "G: EXPUNGE")
check(search(g, "SUBJECT", '"%s"' % s7) == [] and search(g, "SUBJECT", '"%s"' % s8) == [],
      "both messages expunged")
g.logout()

# 8. clean up: this run's messages in mc16's INBOX
h = session("H", "mc16", implicit=True)
ok(h.select("INBOX"), "H: SELECT INBOX")
mine = search(h, "SUBJECT", '"%s"' % tag)
if mine:
    ok(h.store(b",".join(mine).decode(), "+FLAGS.SILENT", "(\\Deleted)"), "H: STORE \\Deleted")
    ok(h.expunge(), "H: EXPUNGE")
check(search(h, "SUBJECT", '"%s"' % tag) == [], "this run's %d messages in mc16's INBOX removed" % len(mine))
h.logout()
EOF
echo "ok: python imaplib interop"
