#!/usr/bin/env python3
"""coverage — writes docs/coverage.md: which scenarios test each command, extension and
response code of the RFCs in scope (tools/coverage/coverage-data.json), and what no scenario
tests yet, with the count of scenarios per protocol against issue 10's targets.

    tools/coverage/coverage.py                 regenerate docs/coverage.md, print the totals
    tools/coverage/coverage.py --check         exit 1 when docs/coverage.md is not what the
                                               scenarios give (the ctest test coverage.up-to-date)
    tools/coverage/coverage.py --out FILE      write FILE instead

Options: --scenarios DIR (default scenarios/), --data FILE (default coverage-data.json beside
this script). Exit status: 0 done (or up to date), 1 out of date, 2 bad input.

How a scenario is found to test an item, from what it sends and expects (never from its
prose, which may mention what it does not test):
  - a command: the verb of a line the scenario sends on a session of that protocol (IMAP: after
    the tag; "UID FETCH" counts for UID and FETCH), or an action that sends it (login: USER and
    PASS / LOGIN / EHLO and AUTH; auth: AUTH / AUTHENTICATE; starttls and "tls": "starttls":
    STLS / STARTTLS; close "quit": QUIT / LOGOUT);
  - an extension: a `requires` entry naming it, a command it brings ("ext" in the data file),
    a marker regex of the data file on a sent line, or its name in what a capability listing
    (CAPA, CAPABILITY, EHLO, LHLO) is expected to show or not to show;
  - a response code: IMAP and POP3 "[CODE" in an expectation's regex; SMTP a reply code in
    `code`, or at the start of a `match` regex (with simple alternations such as 25[012] or
    (503|554) expanded); an enhanced code in `enhanced` or in a regex.
The output has no dates or run-dependent text, so regenerating it is a no-op when nothing
changed.
"""
import argparse
import difflib
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GROUPS = [("pop3", "POP3"), ("imap", "IMAP"), ("smtp", "SMTP, submission and LMTP"),
          ("cross", "Cross-protocol and security")]
ID_GROUP = {"pop3": "pop3", "imap": "imap", "smtp": "smtp", "submission": "smtp",
            "lmtp": "smtp", "cross": "cross", "security": "cross"}
SESSION_PROTO = {"pop3": "pop3", "imap": "imap", "smtp": "smtp", "lmtp": "smtp"}
REGEX_KEYS = ("match", "not_match", "lines", "untagged", "lines_in_order", "untagged_in_order",
              "lines_may", "untagged_may")
CAPABILITY_VERBS = {"CAPA", "CAPABILITY", "EHLO", "LHLO"}
MAX_IDS_SHOWN = 12  # a row lists at most this many scenario ids, then "and N more"


def fail(msg):
    print("coverage: " + msg, file=sys.stderr)
    sys.exit(2)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: %s" % (path, e))


def sent_text(step):
    """The text a step sends as a new command, or None (continuations are not commands)."""
    if step.get("continue"):
        return None
    if "send" in step:
        return step["send"]
    raw = step.get("send_raw")
    if raw is None:
        return None
    pieces = raw if isinstance(raw, list) else [raw]
    text = "".join(p if isinstance(p, str) else p.get("text", "")[:64] for p in pieces[:4])
    return text.split("\r\n")[0]


def verbs(proto, text, raw):
    """Command names a sent line counts for."""
    words = text.split()
    if proto == "imap" and raw:
        words = words[1:]  # the scenario wrote the tag itself
    if not words:
        return []
    verb = words[0].upper()
    if proto == "imap" and verb == "UID" and len(words) > 1:
        sub = words[1].upper()
        return ["UID", sub, "UID " + sub]
    return [verb]


class Finder:
    """Collects, per protocol and kind, the scenario ids that test each item."""

    def __init__(self, data):
        self.data = data
        self.hits = {p: {"commands": {}, "extensions": {}, "codes": {}, "enhanced": {}}
                     for p in ("pop3", "imap", "smtp")}
        self.markers = {p: [(n, re.compile(rx, re.I)) for n, rx in data[p]["markers"].items()]
                        for p in self.hits}
        self.ext_of = {p: {c["name"]: c["ext"] for c in data[p]["commands"] if "ext" in c}
                       for p in self.hits}

    def hit(self, proto, kind, name, sid):
        self.hits[proto][kind].setdefault(name.upper(), set()).add(sid)

    def command(self, proto, name, sid):
        self.hit(proto, "commands", name, sid)
        if name in self.ext_of[proto]:
            self.hit(proto, "extensions", self.ext_of[proto][name], sid)

    def action_commands(self, proto, step, session):
        login = {"pop3": ["USER", "PASS"], "imap": ["LOGIN"], "smtp": ["EHLO", "AUTH"]}
        auth = {"pop3": "AUTH", "imap": "AUTHENTICATE", "smtp": "AUTH"}
        tls = {"pop3": "STLS", "imap": "STARTTLS", "smtp": "STARTTLS"}
        quit_ = {"pop3": "QUIT", "imap": "LOGOUT", "smtp": "QUIT"}
        names = []
        if step.get("login"):
            names += login[proto]
        if "auth" in step:
            names.append(auth[proto])
        if step.get("starttls"):
            names.append(tls[proto])
        if step.get("close") == "quit":
            names.append(quit_[proto])
        if "send_message" in step:
            names.append("DATA")
        if session.get("protocol") == "lmtp" and step.get("login"):
            names = ["LHLO"]
        return names

    def scenario(self, sc):
        sid = sc["id"]
        sessions = sc.get("sessions", {})
        for req in sc.get("requires", []):
            proto, _, cap = req.partition(":")
            if proto in SESSION_PROTO:
                self.capability(SESSION_PROTO[proto], cap, sid)
        for name, sess in sessions.items():
            proto = SESSION_PROTO.get(sess.get("protocol"))
            if proto and sess.get("tls") == "starttls":
                self.command(proto, {"pop3": "STLS"}.get(proto, "STARTTLS"), sid)
        for step in sc.get("steps", []):
            sess = sessions.get(step.get("session"), {})
            proto = SESSION_PROTO.get(sess.get("protocol"))
            if not proto:
                continue
            for name in self.action_commands(proto, step, sess):
                self.command(proto, name, sid)
            if "auth" in step:
                self.capability(proto, ("SASL=" if proto == "pop3" else "AUTH=") +
                                step["auth"].upper(), sid)
            text = sent_text(step)
            sent = verbs(proto, text, "send_raw" in step) if text else []
            for v in sent:
                self.command(proto, v, sid)
            for name, rx in self.markers[proto] if text else []:
                if rx.search(text):
                    self.hit(proto, "extensions", name, sid)
            exp = step.get("expect") or {}
            self.expectation(proto, exp, sid)
            if set(sent) & CAPABILITY_VERBS or (proto == "imap" and "CAPABILITY" in json.dumps(exp)):
                self.announced(proto, exp, sid)

    def capability(self, proto, cap, sid):
        cap = cap.upper()
        self.hit(proto, "extensions", cap, sid)
        base = cap.split("=")[0]
        if base != cap and proto != "imap":  # SMTP AUTH=PLAIN is AUTH, POP3 SASL=X is SASL
            self.hit(proto, "extensions", base, sid)
        if proto == "imap" and cap.startswith("AUTH="):
            self.hit(proto, "commands", "AUTHENTICATE", sid)

    def announced(self, proto, exp, sid):
        """Extensions a capability listing (CAPA, CAPABILITY, EHLO) is expected to show, or
        expected not to show: either way the scenario tests what the server announces."""
        text = json.dumps(exp)
        for item in self.data[proto]["extensions"]:
            if re.search(r"(?<![A-Za-z0-9=+-])%s(?![A-Za-z0-9=+-])" % re.escape(item["name"]),
                         text, re.I if proto != "imap" else 0):
                self.hit(proto, "extensions", item["name"], sid)

    def expectation(self, proto, exp, sid):
        alternatives = [exp] + [a for a in exp.get("any_of", []) if isinstance(a, dict)]
        for e in alternatives:
            regexes = []
            for key in REGEX_KEYS:
                v = e.get(key)
                regexes += [v] if isinstance(v, str) else [x for x in v or [] if isinstance(x, str)]
            if proto == "smtp":
                if isinstance(e.get("code"), int):
                    self.hit(proto, "codes", str(e["code"]), sid)
                if isinstance(e.get("match"), str):
                    for code in leading_codes(e["match"]):
                        self.hit(proto, "codes", code, sid)
                if isinstance(e.get("enhanced"), str):
                    self.hit(proto, "enhanced", e["enhanced"], sid)
                for rx in regexes:
                    for m in re.finditer(r"(?<![\d.])([245])\\?\.(\d{1,3})\\?\.(\d{1,3})(?![\d.])", rx):
                        self.hit(proto, "enhanced", "%s.%s.%s" % m.groups(), sid)
            else:
                for rx in regexes:
                    for m in re.finditer(r"\\?\[([A-Z][A-Z0-9/-]*)", rx):
                        self.hit(proto, "codes", m.group(1), sid)


def leading_codes(rx):
    """Reply codes a `match` regex asks for at the start of the line: ^250, ^(503|554),
    ^25[012], ^5\\d\\d (none: only a class)."""
    m = re.match(r"\^\(?((?:\d\d(?:\d|\[\d+\])\|?)+)\)?", rx)
    if not m:
        return []
    codes = []
    for alt in m.group(1).split("|"):
        br = re.fullmatch(r"(\d\d)\[(\d+)\]", alt)
        codes += [br.group(1) + d for d in br.group(2)] if br else [alt] if alt else []
    return codes


def scenario_group(sid):
    return ID_GROUP.get(sid.split(".")[0], "cross")


def fmt_ids(ids):
    ids = sorted(ids)
    shown = ", ".join("`%s`" % i for i in ids[:MAX_IDS_SHOWN])
    if len(ids) > MAX_IDS_SHOWN:
        shown += ", and %d more" % (len(ids) - MAX_IDS_SHOWN)
    return shown


KINDS = [("commands", "Commands"), ("extensions", "Extensions (capabilities)"),
         ("codes", "Response codes"), ("enhanced", "Enhanced status codes (RFC 3463)")]
PROTO_TITLES = [("pop3", "POP3"), ("imap", "IMAP"), ("smtp", "SMTP, submission and LMTP")]


def render(data, finder, counts, scenario_dir):
    out = ["# Coverage of the RFCs by the scenarios", "",
           "Generated by `tools/coverage/coverage.py` from `%s` and " % scenario_dir +
           "`tools/coverage/coverage-data.json`; do not edit by hand (the ctest test "
           "`coverage.up-to-date` fails when this page is stale). A scenario counts for an item "
           "when it sends the command, requires or uses the extension, or expects the code; "
           "see the script's header for the exact rules.", "",
           "## Scenarios per protocol", "",
           "| protocol | scenarios | target (issue 10) | |", "|---|---:|---:|---|"]
    total = 0
    for key, title in GROUPS:
        n, target = counts.get(key, 0), data["targets"][key]
        total += n
        out.append("| %s | %d | %d | %s |" % (title, n, target,
                                               "met" if n >= target else "%d to go" % (target - n)))
    out += ["| all | %d | %d | |" % (total, sum(data["targets"].values())), ""]
    untested_all = []
    for proto, ptitle in PROTO_TITLES:
        out += ["## %s" % ptitle, ""]
        for kind, ktitle in KINDS:
            items = data[proto].get(kind)
            if not items:
                continue
            hits = finder.hits[proto][kind]
            tested = sum(1 for it in items if hits.get(it["name"].upper()))
            out += ["### %s: %d of %d tested" % (ktitle, tested, len(items)), "",
                    "| %s | RFC | scenarios |" % kind.rstrip("s"), "|---|---|---|"]
            for it in items:
                ids = hits.get(it["name"].upper(), set())
                out.append("| `%s` | %d | %s |" % (it["name"], it["rfc"],
                                                  fmt_ids(ids) if ids else "**not tested**"))
                if not ids:
                    untested_all.append("%s %s `%s` (RFC %d)" % (ptitle.split(",")[0],
                                                                 kind.rstrip("s"), it["name"],
                                                                 it["rfc"]))
            out.append("")
    out += ["## Not tested yet", "",
            "%d items of coverage-data.json have no scenario:" % len(untested_all), ""]
    out += ["- " + u for u in untested_all] + [""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", default=os.path.join(ROOT, "scenarios"))
    ap.add_argument("--data", default=os.path.join(HERE, "coverage-data.json"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "coverage.md"))
    ap.add_argument("--check", action="store_true",
                    help="compare with --out instead of writing it")
    args = ap.parse_args()
    data = load_json(args.data)
    finder = Finder(data)
    counts = {}
    files = sorted(f for f in glob.glob(os.path.join(args.scenarios, "**", "*.json"),
                                        recursive=True)
                   if os.sep + "schema" + os.sep not in f)
    if not files:
        fail("no scenarios under %s" % args.scenarios)
    for path in files:
        sc = load_json(path)
        if not isinstance(sc, dict) or not isinstance(sc.get("id"), str):
            fail("%s: not a scenario (no id)" % path)
        group = scenario_group(sc["id"])
        counts[group] = counts.get(group, 0) + 1
        finder.scenario(sc)
    shown_dir = os.path.relpath(args.scenarios, ROOT)
    text = render(data, finder, counts, shown_dir)
    for key, title in GROUPS:
        print("%-28s %4d scenarios, target %d" % (title, counts.get(key, 0),
                                                    data["targets"][key]))
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                old = f.read()
        except OSError as e:
            fail("%s: %s" % (args.out, e))
        if old != text:
            diff = difflib.unified_diff(old.splitlines(), text.splitlines(), args.out,
                                        "regenerated", lineterm="", n=1)
            print("\n".join(list(diff)[:40]), file=sys.stderr)
            print("coverage: %s is out of date: run tools/coverage/coverage.py" % args.out,
                  file=sys.stderr)
            return 1
        print("coverage: %s is up to date" % args.out)
        return 0
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print("coverage: wrote %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
