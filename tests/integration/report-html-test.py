#!/usr/bin/python3
"""report-html-test.py CASE MAILCONFORM SOURCE_DIR BADPEER — checks of the HTML report
(`mailconform report --format html`, harness/render/render_html*.c).

Both cases render a report of a real run with failures, errors and skips: the POP3 scenarios
against tests/peers/badpeer in mode wrong-status (a few pass, two fail, those needing
capabilities it lacks are skipped), the IMAP ones against a port where nothing listens (errors,
cause unreachable) and the SMTP ones against no endpoint at all (skipped). One scenario of that
report is then given hostile text (markup in its title, transcript, `got` and tags, bytes that
are not text in a base64 entry) before rendering.

  escaping  the page as text: every hostile string is escaped, no element or attribute comes
            from the report, the only script and style are the page's own (and the policy
            names their hashes), nothing is loaded from anywhere; and a scenario that floods
            (40,000 entries and a 100 KiB one) before its failing step is cut with visible
            marks, the page stays bounded, and the failing line is still shown highlighted;
            without its script the page lists every scenario.
  browser   the page in Debian's chromium, headless, from a file:// URL with the network off
            (`unshare -n` when root, a host resolver that resolves nothing, and the page's own
            Content-Security-Policy): the counts shown equal the report's summary; a filter
            set in the URL fragment hides what it should and the count shown follows; the
            hostile strings read as text; the page's script ran and reported no error, and the
            browser logged no console message. Exits 77 (ctest: skipped) when chromium is not
            installed; `tools/install-deps test-tools` installs it, and CI does.
"""
import base64
import hashlib
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
HOSTILE_TITLE = "<img src=x onerror=alert(1)> & \"quoted\" 'single'"
HOSTILE_LINE = "<script>alert(1)</script>"
HOSTILE_GOT = "</pre><script>alert(2)</script>"
HOSTILE_TAG = "<t> a,b"
BOUNDED_GOT = "A1 BAD after the flood"
FLOOD_ENTRIES = 40000  # ~2 MiB of markup if nothing were cut
HUGE_ENTRY = 100 * 1024
PAGE_MAX = 1536 * 1024  # the run's page is ~0.3 MiB; the flood may add its two budgets
BINARY_LINE = b"\x00\xff<b>x</b>\x1b[31m \\Seen"


def fail(msg):
    print(f"FAIL [{CASE}]: {msg}", file=sys.stderr)
    sys.exit(1)


def run_scenarios(work):
    """A report of a run with pass, fail, skip and error outcomes, at work/report.json."""
    peer = subprocess.Popen([BADPEER, "--mode", "wrong-status", "--max-seconds", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = peer.stdout.readline().strip()
        if not port.isdigit():
            fail("badpeer printed no port")
        closed = subprocess.run([os.path.join(SRC, "tools/free-port"), "1"], check=True,
                                capture_output=True, text=True).stdout.strip()
        report = os.path.join(work, "report.json")
        r = subprocess.run([MC, "run", os.path.join(SRC, "scenarios"),
                            "--target", f"pop3://a:b@127.0.0.1:{port}",
                            "--target", f"imap://a:b@127.0.0.1:{closed}", "-r", report],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 1:
            fail(f"mailconform run exited {r.returncode}, expected 1:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    finally:
        peer.kill()
        peer.wait()
    with open(report, encoding="utf-8") as f:
        doc = json.load(f)
    s = doc["summary"]
    for outcome in ("pass", "fail", "skip", "error"):
        if s[outcome] == 0:
            fail(f"the run has no '{outcome}' scenario; the test needs every kind: {s}")
    return doc


def make_hostile(doc):
    """Hostile text in the first failed scenario; returns its id."""
    sc = next(s for s in doc["scenarios"] if s["outcome"] == "fail")
    sc["title"] = HOSTILE_TITLE
    sc["tags"] = sc["tags"] + [HOSTILE_TAG]
    session = sc["sessions"][0]["name"]
    extra = [{"t": 0.5, "session": session, "dir": "server", "text": HOSTILE_LINE + "\r\n"},
             {"t": 0.6, "session": session, "dir": "server",
              "base64": base64.b64encode(BINARY_LINE + b"\r\n").decode()}]
    first = len(sc["transcript"])
    sc["transcript"].extend(extra)
    # the failing step claims the new entries, so they show in every rendering that shows it
    step = sc["steps"][sc["failure"]["position"]]
    step["transcript"] = [step["transcript"][0], first + len(extra) - step["transcript"][0]]
    step["got"] = sc["failure"]["got"] = HOSTILE_GOT
    doc["deviations"].append({"scenario": sc["id"], "reason": "<u>deviation</u>", "applied": 0,
                              "passed": 0, "stale": False})
    doc["retired_users"].append({"user": "<u>user</u>", "cause": "reset", "why": "<u>why</u>"})
    return sc["id"]


def render(report_path, html_path, *extra):
    r = subprocess.run([MC, "report", "--format", "html", *extra, "-o", html_path, report_path],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail(f"mailconform report --format html exited {r.returncode}: {r.stderr}")
    with open(html_path, encoding="utf-8") as f:
        return f.read()


def shown_wire(raw):
    """A line of bytes as the page shows it: \\xHH for what is not printable."""
    out = []
    for ch in raw.decode("utf-8", errors="surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append("\\x%02x" % (code - 0xDC00))
        elif code < 0x20 or code == 0x7F:
            out.append("\\x%02x" % code)
        else:
            out.append(ch)
    return "".join(out)


def check_escaping(page):
    # an escaped octet is a <span class="esc">\xHH</span>: read the text without those spans
    text = re.sub(r'<span class="esc">(\\x[0-9a-f]{2})</span>', r"\1", page)
    if text == page:
        fail("no octet shown as <span class=\"esc\">\\xHH</span>")
    scripts = re.findall(r"<script\b", page, re.I)
    if len(scripts) != 1:
        fail(f"{len(scripts)} <script> elements in the page, expected the page's own only")
    if re.search(r"<img\b|<b>|<u>|<[a-z]+[^>]*\sonerror=", page, re.I):
        fail("markup from the report reached the page unescaped")
    for needle in ("&lt;script&gt;alert(1)&lt;/script&gt;",
                   "&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;",
                   "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39;",
                   "\\x00\\xff&lt;b&gt;x&lt;/b&gt;\\x1b[31m \\Seen",
                   "%3Ct%3E%20a%2Cb", "&lt;u&gt;deviation&lt;/u&gt;", "&lt;u&gt;user&lt;/u&gt;",
                   "&lt;u&gt;why&lt;/u&gt;"):
        if needle not in text:
            fail(f"the page lacks the escaped form {needle!r}")
    if re.search(r"<[a-z]+[^>]*\ssrc=|<link\b|@import|url\(", page, re.I):
        fail("the page refers to something a browser would load")
    for href in re.findall(r'href="([^"]*)"', page):
        if not (href.startswith("#") or href.startswith("https://www.rfc-editor.org/rfc/rfc")):
            fail(f"unexpected link {href!r}")
    # the policy: nothing but the page's own style and script, by their hashes
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    if not csp or "default-src 'none'" not in csp.group(1):
        fail("no Content-Security-Policy forbidding every fetch")
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        if f"'sha256-{digest}'" not in csp.group(1):
            fail(f"the policy does not allow the page's own {tag} by its hash")


class Dom(html.parser.HTMLParser):
    """What the checks read from a dumped DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = {}
        self.scenarios = []  # attributes of each details.scenario
        self.tables = {}  # caption -> {row header text: {outcome: count}}
        self.texts = {}  # id -> text, for elements with an id we read
        self.hidden_ids = set()
        self.wire_text = []  # text inside pre.wire
        self._stack = []
        self._table = None
        self._row = None
        self._in_caption = self._in_th = False
        self._caption = self._th = ""
        self._capture = None
        self._wire = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "html":
            self.root = a
        if tag == "details" and "scenario" in cls:
            self.scenarios.append(a)
        if "id" in a and "hidden" in a:
            self.hidden_ids.add(a["id"])
        if a.get("id") in ("shown-count", "total-count", "js-errors"):
            self._capture = a["id"]
            self.texts[self._capture] = ""
        if tag == "pre" and "wire" in cls:
            self._wire += 1
        if tag == "table" and "counts" in cls:
            self._table = {}
        if self._table is not None:
            if tag == "caption":
                self._in_caption, self._caption = True, ""
            elif tag == "tr":
                self._row = {"head": "", "counts": {}}
            elif tag == "th" and a.get("scope") == "row":
                self._in_th, self._th = True, ""
            elif tag == "td" and "data-count" in a and self._row is not None:
                self._row["counts"][a["data-count"]] = None
                self._row["cell"] = a["data-count"]

    def handle_endtag(self, tag):
        if tag == "caption" and self._table is not None:
            self._in_caption = False
        if tag == "th" and self._in_th:
            self._in_th = False
            self._row["head"] = self._th.strip()
        if tag == "tr" and self._table is not None and self._row and self._row["head"]:
            self._table[self._row["head"]] = self._row["counts"]
            self._row = None
        if tag == "table" and self._table is not None:
            self.tables[self._caption.strip()] = self._table
            self._table = None
        if tag in ("output", "span", "p") and self._capture:
            self._capture = None
        if tag == "pre" and self._wire:
            self._wire -= 1

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        if self._in_th:
            self._th += data
        if self._row is not None and self._row.get("cell"):
            self._row["counts"][self._row.pop("cell")] = int(data)
        if self._capture:
            self.texts[self._capture] += data
        if self._wire:
            self.wire_text.append(data)


def chromium_dump(page_path, fragment, work):
    """The DOM chromium builds of file://page_path#fragment, and what it logged."""
    cmd = []
    root = os.geteuid() == 0
    if root and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        cmd += ["unshare", "-n"]  # no network at all, loopback down
    cmd += [CHROMIUM, "--headless", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-sync", "--disable-background-networking", "--disable-component-update",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + os.path.join(work, "profile"),
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom"]
    if root:
        cmd.append("--no-sandbox")  # chromium's sandbox refuses to run as root
    url = "file://" + page_path + (("#" + fragment) if fragment else "")
    r = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or "</html>" not in r.stdout:
        fail(f"chromium exited {r.returncode} on {url}: {r.stderr[-3000:]}")
    # chromium's own pages (chrome://...) may log too, e.g. "Slow network is detected" when
    # a built-in page misses its web font: only messages of other sources are the page's
    console = [line for line in r.stderr.splitlines()
               if ":CONSOLE" in line and "source: chrome://" not in line]
    if console:
        fail(f"console messages on {url}:\n" + "\n".join(console))
    dom = Dom()
    dom.feed(r.stdout)
    if dom.root.get("data-script") != "ready":
        fail(f"the page's script did not finish on {url} (blocked by the policy, or an error)")
    if "js-errors" not in dom.hidden_ids:
        fail(f"the page reported script errors on {url}: {dom.texts.get('js-errors')}")
    return dom


def protocols_of(sc):
    return {s["protocol"] for s in sc["sessions"]}


def check_view(dom, doc, fragment, wanted):
    """The scenarios shown are exactly those `wanted` keeps, and the count says so."""
    expect = {s["id"] for s in doc["scenarios"] if wanted(s)}
    shown = [s for s in dom.scenarios if "hidden" not in s]
    shown_ids = {s["id"][len("sc-"):] for s in shown}
    if shown_ids != expect:
        fail(f"#{fragment}: shows {sorted(shown_ids ^ expect)[:5]} wrongly "
             f"({len(shown_ids)} shown, {len(expect)} expected)")
    if int(dom.texts["shown-count"]) != len(expect):
        fail(f"#{fragment}: the count shown is {dom.texts['shown-count']}, expected {len(expect)}")


def check_counts(dom, doc):
    s = doc["summary"]
    outcomes = ("pass", "fail", "skip", "error", "deviation", "not_run")
    by_outcome = dom.tables.get("By outcome")
    if not by_outcome:
        fail("no 'By outcome' table")
    for o in outcomes:
        if by_outcome[o][o] != s[o]:
            fail(f"'By outcome' shows {o} = {by_outcome[o][o]}, the report says {s[o]}")
    if by_outcome["total"]["total"] != s["total"]:
        fail("'By outcome' total differs from the report's")
    for caption, key in (("By level", "by_level"), ("By protocol", "by_protocol"), ("By RFC", "by_rfc")):
        table = dom.tables.get(caption)
        rows = {re.sub(r"^RFC (\d+).*", r"\1", k): v for k, v in (table or {}).items()}
        if set(rows) != set(s[key]):
            fail(f"'{caption}' rows {sorted(rows)} differ from the report's {sorted(s[key])}")
        for name, counts in s[key].items():
            if rows[name] != counts:
                fail(f"'{caption}' row {name}: {rows[name]} != {counts}")
    if len(dom.scenarios) != s["total"] or int(dom.texts["total-count"]) != s["total"]:
        fail(f"{len(dom.scenarios)} scenarios on the page, the report has {s['total']}")
    for o in outcomes:
        n = sum(1 for sc in dom.scenarios if sc.get("data-outcome") == o)
        if n != s[o]:
            fail(f"{n} scenarios marked {o} on the page, the report counts {s[o]}")


def check_without_script(page, doc):
    """Without JavaScript the page shows everything: no scenario hidden, the count is the
    total, and only the filter form (useless without the script) waits for it."""
    details = re.findall(r"<details\b[^>]*>", page)
    if len(details) != len(doc["scenarios"]) or any(" hidden" in d for d in details):
        fail("without the script, not every scenario is on the page and visible")
    total = len(doc["scenarios"])
    if f'<output id="shown-count">{total}</output>' not in page:
        fail("without the script, the count shown is not the total")
    if not re.search(r'<form class="filters" id="filters" hidden', page):
        fail("the filter form is shown although it needs the script")


def bounded_scenario(template):
    """A failed scenario whose first step floods (many small entries, one huge one) before the
    failing step: the page must cut the flood, say so, and still show the failing line."""
    sc = json.loads(json.dumps(template))
    flood = [{"t": 0.1, "session": "a", "dir": "server", "text": "* 1 EXISTS\r\n"}] * FLOOD_ENTRIES
    flood.insert(0, {"t": 0.1, "session": "a", "dir": "server", "text": "x" * HUGE_ENTRY + "\r\n"})
    tail = [{"t": 0.2, "session": "a", "dir": "client", "text": "A1 NOOP\r\n"},
            {"t": 0.3, "session": "a", "dir": "server", "text": BOUNDED_GOT + "\r\n"}]
    step = dict(sc["steps"][0], outcome="pass", transcript=[0, len(flood)], why=None)
    failing = dict(step, outcome="fail", transcript=[len(flood), 2], got=BOUNDED_GOT, why="no")
    sc.update(id="html.bounded", outcome="fail", sessions=[dict(sc["sessions"][0], name="a")],
              transcript=flood + tail, steps=[step, failing],
              failure=dict(sc["failure"], position=1, got=BOUNDED_GOT))
    return sc


def check_bounded(page):
    for mark in ("more octet(s) of this entry not shown", "further entries"):
        if mark not in page:
            fail(f"a cut transcript lacks the mark {mark!r}")
    got = re.search(r'<mark class="l s" id="sc-html\.bounded/got"[^>]*>(.*?)</mark>', page)
    if not got or BOUNDED_GOT not in got.group(1):
        fail("the failing line after a flood is not shown highlighted")
    if len(page) > PAGE_MAX:
        fail(f"the page is {len(page)} characters, more than {PAGE_MAX}: the flood was not cut")


def case_escaping(work):
    doc = run_scenarios(work)
    hostile_id = make_hostile(doc)
    doc["scenarios"].append(bounded_scenario(next(s for s in doc["scenarios"] if s["id"] == hostile_id)))
    hostile = os.path.join(work, "hostile.json")
    with open(hostile, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    check_escaping(render(hostile, os.path.join(work, "hostile.html")))
    page = render(hostile, os.path.join(work, "all.html"), "--transcript", "all")
    check_escaping(page)
    check_without_script(page, doc)
    check_bounded(page)


def case_browser(work):
    doc = run_scenarios(work)
    page = os.path.join(work, "report.html")
    render(os.path.join(work, "report.json"), page, "--transcript", "all")
    dom = chromium_dump(page, "", work)
    check_counts(dom, doc)
    check_view(dom, doc, "", lambda s: True)
    views = {
        "outcome=fail": lambda s: s["outcome"] == "fail",
        "outcome=fail,error&protocol=imap":
            lambda s: s["outcome"] in ("fail", "error") and "imap" in protocols_of(s),
        "level=MUST&protocol=pop3&tag=state,auth":
            lambda s: s["level"] == "MUST" and "pop3" in protocols_of(s)
            and ({"state", "auth"} & set(s["tags"])),
    }
    for fragment, wanted in views.items():
        check_view(chromium_dump(page, fragment, work), doc, fragment, wanted)
    # hostile text reads as text in the browser, and an odd tag still filters
    hostile_id = make_hostile(doc)
    hostile = os.path.join(work, "hostile.json")
    with open(hostile, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    page = os.path.join(work, "hostile.html")
    render(hostile, page)
    dom = chromium_dump(page, "tag=%3Ct%3E%20a%2Cb", work)
    check_view(dom, doc, "tag=<hostile>", lambda s: s["id"] == hostile_id)
    wire = "".join(dom.wire_text)
    for line in ("S: " + HOSTILE_LINE, "S: " + shown_wire(BINARY_LINE)):
        if line not in wire:
            fail(f"the transcript does not show {line!r} as text")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    CASE, MC, SRC, BADPEER = sys.argv[1:]
    CHROMIUM = shutil.which("chromium")
    if CASE == "browser" and not CHROMIUM:
        print("SKIP: chromium is not installed (tools/install-deps test-tools installs it)")
        sys.exit(SKIP)
    with tempfile.TemporaryDirectory(prefix="mc-report-html.") as tmp:
        {"escaping": case_escaping, "browser": case_browser}[CASE](tmp)
    print(f"ok [{CASE}]")
