#!/usr/bin/env python3
"""replay-compare.py RECORDED.json REPLAYED.json: every scenario of the recorded report has the
same outcome in the replayed one, with no exception (SCRAM exchanges included: the replay
answers them for real). Exit 0 when the outcomes agree, 1 with each difference named."""
import json
import sys


def outcomes(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    return {s["id"]: s for s in report["scenarios"]}


def main():
    recorded, replayed = outcomes(sys.argv[1]), outcomes(sys.argv[2])
    problems = []
    for sid, rec in recorded.items():
        rep = replayed.get(sid)
        if rep is None:
            problems.append("%s: missing from the replayed report" % sid)
        elif rep["outcome"] != rec["outcome"]:
            why = (rep.get("failure") or {}).get("why") or rep.get("reason") or ""
            problems.append("%s: recorded %s, replayed %s (%s)" % (sid, rec["outcome"], rep["outcome"], why[:200]))
    for sid in replayed.keys() - recorded.keys():
        problems.append("%s: in the replayed report only" % sid)
    if problems:
        print("replay-compare: %d difference(s):" % len(problems))
        for p in problems:
            print("  " + p)
        return 1
    print("replay-compare: %d scenario(s), every one with the same outcome" % len(recorded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
