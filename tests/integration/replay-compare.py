#!/usr/bin/env python3
"""replay-compare.py RECORDED.json REPLAYED.json REPLAY_LOG: every scenario of the recorded
report has the same outcome in the replayed one. Scenarios the replay's log declares it cannot
answer as recorded ("starts a SCRAM exchange") are left out, and at most MAX_UNREPLAYABLE of
them. Exit 0 when the outcomes agree, 1 with each difference named."""
import json
import re
import sys

MAX_UNREPLAYABLE = 4  # the SASL SCRAM scenarios of the suite (IMAP, POP3, SMTP)


def outcomes(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    return {s["id"]: s for s in report["scenarios"]}


def main():
    recorded, replayed = outcomes(sys.argv[1]), outcomes(sys.argv[2])
    with open(sys.argv[3], encoding="utf-8") as f:
        log = f.read()
    unreplayable = set(re.findall(r"scenarios\[\d+\] \(([^)]+)\): transcript\[\d+\] starts a SCRAM", log))
    problems = []
    if len(unreplayable) > MAX_UNREPLAYABLE:
        problems.append("the replay refuses too many scenarios: %s" % sorted(unreplayable))
    for sid, rec in recorded.items():
        rep = replayed.get(sid)
        if sid in unreplayable:
            continue
        if rep is None:
            problems.append("%s: missing from the replayed report" % sid)
        elif rep["outcome"] != rec["outcome"]:
            why = (rep.get("failure") or {}).get("why") or rep.get("reason") or ""
            problems.append("%s: recorded %s, replayed %s (%s)" % (sid, rec["outcome"], rep["outcome"], why[:200]))
    compared = len(recorded) - len(unreplayable)
    if problems:
        print("replay-compare: %d difference(s):" % len(problems))
        for p in problems:
            print("  " + p)
        return 1
    print("replay-compare: %d scenario(s) with the same outcome (%d left out: %s)" %
          (compared, len(unreplayable), ", ".join(sorted(unreplayable)) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
