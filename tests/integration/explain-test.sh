#!/usr/bin/env bash
# shellcheck disable=SC2154 # tmp and port are set by peer-lib.sh
# explain-test.sh CASE MAILCONFORM SOURCE_DIR BADPEER — one check of `mailconform explain` and
# of `run --transcript` (issue 9, "for learners").
#
# Each case runs mailconform with --color never in a private directory (a misbehaving peer,
# tests/peers/badpeer, started there when the case needs one, and stopped at exit), then checks
# the exit status exactly and that the output has (output_has) or lacks (output_lacks) what
# the case expects. Registered by explain.cmake.
set -u
case_name=$1 MC=$2 SRC=$3 BADPEER=$4
# shellcheck source=peer-lib.sh
. "$(dirname "$0")/peer-lib.sh" mc-explain
OUT=$tmp/out

fail() {
    printf 'FAIL [%s]: %s\n' "$case_name" "$*" >&2
    [ -f "$OUT" ] && { echo "--- output:" >&2; head -c 30000 "$OUT" >&2; }
    exit 1
}

# mc WANT_STATUS ARGS...: runs mailconform ARGS, output in $OUT; fails unless it exits WANT_STATUS.
mc() {
    local want=$1
    shift
    "$MC" "$@" --color never >"$OUT" 2>&1
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want (mailconform $*)"
}
output_has() { grep -Eq -- "$1" "$OUT" || fail "the output lacks /$1/"; }
output_lacks() { ! grep -Eq -- "$1" "$OUT" || fail "the output has /$1/"; }

DELE=$SRC/scenarios/pop3/dele-without-quit-keeps-mail.json
STAT=$SRC/tests/data/scenarios-peer/pop3-stat-ok.json
CUTS=$SRC/tests/data/scenarios-explain/cuts.json
FLOOD=$SRC/tests/data/scenarios-explain/flood.json

case $case_name in
static) # the dialogue in words: steps, what is sent, what must come, RFC, level, why
    mc 0 explain --no-run "$DELE"
    output_has '^pop3\.update\.dele-without-quit-keeps-mail$'
    output_has '^  rfc: +RFC 1939 section 6  https://www\.rfc-editor\.org/rfc/rfc1939#section-6$'
    output_has '^  level: +MUST: an absolute requirement'
    output_has '^fixtures \(implicit: before the first step\)$'
    output_has '^opening session a \(implicit: before its first step\)$'
    output_has '^  does: +session a opens: mailconform connects to the target.s pop3 endpoint; the server$'
    output_has '^step 2: send STAT on session a '
    output_has '^  C: STAT$'
    output_has '^  C: USER \$\{user\}$'
    output_has '^  C: PASS \$\{password\}$'
    output_has 'the status line \(the first line\) must match the regular expression  \^\\\+OK \(\?<n>\\d\+\) \\d\+ \(it captures \$\{n\}\)'
    output_has '^  values: +\$\{n\}: captured from the reply of step 2'
    output_has '^  rule: +the scenario.s: RFC 1939 section 6, RFC 1939 section 8 \(MUST\)$'
    output_has '^  why: +The connection drops without QUIT: the session never enters the UPDATE state\.$'
    output_lacks 'on the wire'
    # IMAP: the command as the wire has it, with the tag a run gives it
    mc 0 explain --no-run "$SRC/tests/data/scenarios-good/imap-close-expunge-two-sessions.json"
    output_has '^  C: A0002 SELECT INBOX$'
    output_has 'the reply must be a tagged OK'
    output_has 'none of the untagged lines \("\* \.\.\."\) may match any of:'
    ;;
live-embedded) # runs against the embedded server: the real replies under each step, pass
    mc 0 explain "$DELE"
    output_has '^  on the wire:$'
    output_has '^    b +S: \+OK [0-9]+ [0-9]+$'
    output_has '^    a +C: DELE 1$'
    output_has '^  result: +pass \(the reply: \+OK'
    output_has '^  why: +The connection drops without QUIT: the session never enters the UPDATE state\.$'
    output_has '^pop3\.update\.dele-without-quit-keeps-mail: PASS$'
    output_has '^PASS: .*\(exit 0\)$'
    output_lacks 'FAIL'
    ;;
live-badpeer) # a server that answers STAT with -ERR: the failing step, expected vs got, why
    peer_start "$BADPEER" wrong-status 40
    mc 1 explain "$STAT" --target "pop3://u:p@127.0.0.1:$port" --step-timeout 2000
    output_has '^    a +S: -ERR nope$'
    output_has '^  result: +FAIL$'
    output_has '^  expected: \{"ok":true,"match":'
    output_has '^  got: +-ERR nope$'
    output_has "^  because: +expected a positive reply, got '-ERR nope'$"
    output_has '^  result: +not run \(an earlier step did not pass\)$'
    output_has '^FAIL: .*\(exit 1\)$'
    ;;
transcript-all) # passing scenarios' transcripts too, step by step
    mc 0 run "$DELE" --transcript all
    output_has '^PASS +pop3\.update\.dele-without-quit-keeps-mail'
    output_has '^      ---- implicit step: deliver fixtures \[pass\]$'
    output_has "^      ---- implicit step: open session 'a' \(connect, greeting\) \[pass\]$"
    output_has '^      ---- step 2: send STAT \[pass\]$'
    output_has '^ +[0-9]+\.[0-9]{3} b +S: \+OK [0-9]+ [0-9]+$'
    # -v is --transcript failed: nothing for a pass; an explicit --transcript wins over -v
    mc 0 run "$DELE" -v
    output_lacks '---- step'
    mc 0 run "$DELE" -v --transcript all
    output_has '---- step 2: send STAT'
    ;;
transcript-none) # none, even for a failure; failed (and -v) shows the failure's
    peer_start "$BADPEER" wrong-status 40
    mc 1 run "$STAT" --target "pop3://u:p@127.0.0.1:$port" --transcript none --step-timeout 2000
    output_lacks '---- step'
    output_lacks 'S: -ERR nope'
    output_has 'got: +-ERR nope'
    mc 1 run "$STAT" --target "pop3://u:p@127.0.0.1:$port" --transcript failed --step-timeout 2000
    output_has '^      ---- step 2: send STAT \[fail\]$'
    output_has '^      ---- step 3: close quit \[not_run\]$'
    output_has 'S: -ERR nope$'
    mc 2 run "$STAT" --transcript some
    output_has "--transcript takes all, failed or none, not 'some'"
    ;;
cuts) # a long line, a long body, a transcript over its budget: each cut says what it left out
    mc 0 run "$CUTS" "$FLOOD" --transcript all -j 1 --step-timeout 60000
    output_has '^ +[0-9.]+ s +C: NOOP x{190,200} \[\.\.\. [0-9]+ more octet\(s\) cut\]$'
    # 5 + 97 two-octet characters = 199 octets: the 98th would be split at 200, so it is not shown
    output_has '^ +[0-9.]+ s +C: NOOP (é){97} \[\.\.\. 106 more octet\(s\) cut\]$'
    output_lacks '\\xc3'
    output_has '^ +s +C: \[\.\.\. [0-9]+ line\(s\) \([0-9]+ octet\(s\)\) left out\]$'
    output_has '^ +s +C: \.$'
    output_has '-- transcript truncated: [0-9]+ further byte\(s\) not recorded'
    output_has '^      \[transcript truncated: it reached the harness.s budget \(16 MiB\)'
    ;;
live-as-saved) # one printer: the console's transcripts are report --format text's, line for line
    mc 0 run "$DELE" "$SRC/scenarios/imap/fetch-body-sets-seen.json" --transcript all -j 1 -r "$tmp/r.json"
    grep -E '^      ' "$OUT" >"$tmp/live"
    mc 0 report --transcript all "$tmp/r.json"
    grep -E '^      ' "$OUT" >"$tmp/saved"
    grep -q 'S: \* 1 FETCH' "$tmp/live" || fail "no FETCH reply in the live transcript"
    cmp -s "$tmp/live" "$tmp/saved" ||
        fail "the live transcript differs from the saved one: $(diff "$tmp/live" "$tmp/saved" | head -20)"
    ;;
terminal-escape) # a scenario's text never drives the terminal: its ESC sequences show as \xHH
    ESCAPE=$SRC/tests/data/scenarios-explain/terminal-escape.json
    for args in "--no-run $ESCAPE" "$ESCAPE"; do
        # shellcheck disable=SC2086 # the words are the arguments
        "$MC" explain $args --color always >"$OUT" 2>&1 || fail "explain $args failed"
        ! grep -q "$(printf '\033')]" "$OUT" || fail "an ESC ] sequence reached the output (explain $args)"
        ! grep -q "$(printf '\007')" "$OUT" || fail "a BEL reached the output (explain $args)"
        ! grep -q "$(printf '\033')\\[2J" "$OUT" || fail "an ESC [2J reached the output (explain $args)"
        output_has 'title: +A title that tries to retitle the terminal \\x1b\]0;x\\x07 and to ring \\x07$'
        output_has 'description \\x1b\[2J and why'
        output_has 'why: +NOOP answers \+OK \\x1b\]0;y\\x07 in the'
        grep -q "$(printf '\033')\\[1mexplain\.terminal-escape$(printf '\033')\\[0m" "$OUT" ||
            fail "our own colour sequences did not pass (explain $args)"
    done
    output_has '^explain\.terminal-escape: .*PASS'
    ;;
bad-args) # the loader's FILE:LINE:COLUMN error, exit 2, nothing run
    mc 2 explain "$SRC/tests/data/scenarios-bad/bad-values.json"
    output_has 'bad-values\.json:6:12: level: .MUTS. is not'
    mc 2 explain "$SRC/does-not-exist.json"
    output_has 'does-not-exist\.json'
    mc 2 explain
    output_has 'no SCENARIO given'
    mc 2 explain --no-run "$DELE" --target pop3://a:b@127.0.0.1:1
    output_has 'no use'
    mc 2 explain "$DELE" --target ftp://x
    output_has 'not a target URL'
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "ok [$case_name]"
