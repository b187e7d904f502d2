#!/usr/bin/python3
# schema-agrees.py — the scenario JSON Schema and the loader agree.
#
#   schema-agrees.py MAILCONFORM SOURCE_DIR
#
# Good scenarios (every shipped one under scenarios/, tests/data/scenarios-good/ and
# tests/data/scenarios-peer/) are valid under scenarios/schema/scenario.schema.json and lint
# clean. Every file of tests/data/scenarios-bad/ is refused by `mailconform lint`, and by the
# schema too (a file that is not JSON counts as refused), except the files listed in
# SCHEMA_CANNOT_CATCH: their errors are beyond what a JSON Schema can say, and the schema must
# accept them, so that the list stays exact and is reviewed whenever the schema or a bad file
# changes. Exit 0 when they agree, 1 when not, 2 on a setup problem (no jsonschema module:
# tools/install-deps test-tools).
#
# Runs with /usr/bin/python3 on purpose, like tools/validate-report: the python3 first on PATH
# may be a private build that cannot see Debian's python3-jsonschema.
import glob
import json
import os
import subprocess
import sys

# Bad files whose every error is one a JSON Schema cannot express, and why.
SCHEMA_CANNOT_CATCH = {
    "duplicate-key.json":
        "a key given twice: a JSON parser keeps one of the values (RFC 8259 4 leaves it open), "
        "so a schema never sees the other; the loader parses with JSON_REJECT_DUPLICATES",
    "variables.json":
        "${variables} used before a step captures them or never defined, named groups that hide "
        "built-ins, and PCRE2 patterns that do not compile: cross-references between steps and "
        "a PCRE2 compile, which a schema cannot do (it leaves the ${...} syntax to the loader too)",
    "encoding.json":
        "${literal:...} on a non-IMAP session, ${tag} on a step without an IMAP session, unknown "
        "or too deeply nested ${function:...} forms: they depend on which session a step names "
        "and on the ${...} syntax, which the schema leaves to the loader",
}

LINT_CLEAN = 0  # mailconform lint: all files clean
LINT_ERRORS = 2  # errors found


def main(argv):
    if len(argv) != 3:
        print("usage: schema-agrees.py MAILCONFORM SOURCE_DIR", file=sys.stderr)
        return 2
    cli, src = argv[1], argv[2]
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        print("schema-agrees: the Python module jsonschema is missing (Debian package "
              "python3-jsonschema; tools/install-deps test-tools)", file=sys.stderr)
        return 2
    with open(os.path.join(src, "scenarios/schema/scenario.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    problems = []

    def schema_errors(path):
        """The schema's complaints about a file; ["not JSON: ..."] when it does not parse."""
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (ValueError, UnicodeDecodeError) as e:
            return [f"not JSON: {e}"]
        return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
                for e in validator.iter_errors(doc)]

    def lint(paths):
        run = subprocess.run([cli, "lint", *paths], capture_output=True, text=True)
        return run.returncode, run.stdout + run.stderr

    good_dirs = [os.path.join(src, d) for d in
                 ("scenarios", "tests/data/scenarios-good", "tests/data/scenarios-peer")]
    good_count = 0
    for d in good_dirs:
        files = sorted(f for f in glob.glob(os.path.join(d, "**", "*.json"), recursive=True)
                       if os.sep + "schema" + os.sep not in os.path.relpath(f, src))
        if not files:
            problems.append(f"{d}: no scenario files")
        for f in files:
            for e in schema_errors(f):
                problems.append(f"{f}: valid for the loader, refused by the schema: {e}")
        # One lint per folder: the good fixtures reuse ids of shipped scenarios on purpose.
        rc, out = lint([d])
        if rc != LINT_CLEAN or f"{len(files)} file(s) checked" not in out:
            problems.append(f"{d}: lint exited {rc} for {len(files)} file(s):\n{out}")
        good_count += len(files)

    bad = sorted(glob.glob(os.path.join(src, "tests/data/scenarios-bad", "*.json")))
    if not bad:
        problems.append("tests/data/scenarios-bad: no files")
    for f in bad:
        name = os.path.basename(f)
        rc, out = lint([f])
        if rc != LINT_ERRORS or f"{f}:" not in out:
            problems.append(f"{f}: lint exited {rc}, expected {LINT_ERRORS} with errors:\n{out}")
        errors = schema_errors(f)
        if name in SCHEMA_CANNOT_CATCH and errors:
            problems.append(f"{f}: listed as beyond the schema, but the schema refuses it "
                            f"(take it off SCHEMA_CANNOT_CATCH or keep it to that error): "
                            f"{errors[0]}")
        elif name not in SCHEMA_CANNOT_CATCH and not errors:
            problems.append(f"{f}: the loader refuses it, the schema accepts it: make the "
                            f"schema say what the loader says, or list the file in "
                            f"SCHEMA_CANNOT_CATCH with the reason")
    for name in SCHEMA_CANNOT_CATCH:
        if not os.path.exists(os.path.join(src, "tests/data/scenarios-bad", name)):
            problems.append(f"SCHEMA_CANNOT_CATCH names {name}, which is not a bad file")

    for p in problems:
        print(f"schema-agrees: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"schema-agrees: {good_count} good file(s) valid and lint clean; {len(bad)} bad file(s) "
          f"refused by the loader and, but for {len(SCHEMA_CANNOT_CATCH)} listed, by the schema")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
