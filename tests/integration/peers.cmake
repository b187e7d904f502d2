# Misbehaving peers: each test starts tests/peers/badpeer in one mode and runs one scenario of
# tests/data/scenarios-peer against it (peer-test.sh). The good-* modes are the controls: the
# scenarios pass there, so a failure elsewhere is the peer's doing. Every other mode must make
# the scenario fail (exit 1) within a deadline, and the report's failure.why must say why; the
# harness must never crash, hang or allocate what a hostile peer announces.
# Arguments: test name, peer mode, scenario file, expected exit status, text failure.why
# must contain ("-": none); mc_peer_test_fields adds FIELD=TEXT checks (peer-test.sh).
set(MC_PEER_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/peer-test.sh)
set(MC_PEER_SCENARIOS ${MC_SRC}/tests/data/scenarios-peer)

function(mc_peer_test name mode scenario exit_status why)
  add_test(NAME peer.${name}
           COMMAND bash ${MC_PEER_SCRIPT} ${MC_CLI} $<TARGET_FILE:badpeer> ${mode}
                   ${MC_PEER_SCENARIOS}/${scenario} ${exit_status} "${why}")
  set_tests_properties(peer.${name} PROPERTIES TIMEOUT 60 LABELS peer)
endfunction()

function(mc_peer_test_fields name mode scenario exit_status why)
  add_test(NAME peer.${name}
           COMMAND bash ${MC_PEER_SCRIPT} ${MC_CLI} $<TARGET_FILE:badpeer> ${mode}
                   ${MC_PEER_SCENARIOS}/${scenario} ${exit_status} "${why}" ${ARGN})
  set_tests_properties(peer.${name} PROPERTIES TIMEOUT 60 LABELS peer)
endfunction()

add_test(NAME peer.lint COMMAND ${MC_CLI} lint ${MC_PEER_SCENARIOS})
set_tests_properties(peer.lint PROPERTIES TIMEOUT 60 LABELS peer)

# Controls.
mc_peer_test(good-pop3.stat-ok good-pop3 pop3-stat-ok.json 0 -)
mc_peer_test(good-pop3.capa good-pop3 pop3-capa-multiline.json 0 -)
mc_peer_test(good-imap.noop good-imap imap-noop.json 0 -)
mc_peer_test(good-smtp.ehlo good-smtp smtp-ehlo.json 0 -)
mc_peer_test(good-pop3.wait good-pop3 pop3-wait-between.json 0 -)

# A well-formed but wrong answer: the matcher says what it expected.
mc_peer_test(wrong-status wrong-status pop3-stat-ok.json 1 "expected a positive reply")

# Values in relation (expect.check): a maildrop whose numbers disagree fails, saying which
# values; shape-only patterns would pass each of these.
mc_peer_test(pop3-maildrop pop3-maildrop pop3-relations.json 0 -)
mc_peer_test(pop3-stat-miscount pop3-stat-miscount pop3-relations.json 1
             "expected sum(\${size}) == \${total}: \${size} = [23, 35], sum is 58; \${total} is 59")
mc_peer_test(pop3-uidl-twice pop3-uidl-twice pop3-relations.json 1
             "values 1 and 2 are both 'id-1'")
mc_peer_test(pop3-list-size-wrong pop3-list-size-wrong pop3-relations.json 1
             "expected \${reply_octets} == \${size2}: \${reply_octets} is 35; \${size2} is 36")

# ${literal:...}: a final reply instead of "+" ends the command; nothing more is sent.
mc_peer_test(good-imap.literal-refused good-imap imap-literal-refused.json 0 -)

# A NUL breaks the status line's grammar (RFC 2449 3), and the report keeps every byte of the
# line, escaped: the NUL and what follows it in `got`, a control character in the greeting.
mc_peer_test_fields(nul-status nul-status pop3-stat-ok.json 1 "octet 0x00 (NUL) at offset 7"
                    "got=-ERR no\\x00such mailbox" "greeting=+OK ready\\x01")

# Nothing complete ever comes: the step's deadline ends it.
mc_peer_test(no-terminator no-terminator pop3-capa-multiline.json 1 "no complete reply within")
mc_peer_test(silence silence pop3-stat-ok.json 1 "no complete reply within")
# A server that accepts connections and never says a word cannot be tested at all (the usual
# cause: a plain-text client on an implicit-TLS port): an error, found once by the probe.
mc_peer_test(no-greeting no-greeting pop3-stat-ok.json 3 "no-greeting: endpoint")
mc_peer_test(slowloris slowloris pop3-stat-ok.json 1 "no complete reply within")

# The connection goes away mid-dialogue.
mc_peer_test(early-close early-close pop3-stat-ok.json 1 "closed the connection")

# A server that answers with its last words and resets the connection: the failure shows the
# words (IMAP BYE, RFC 9051 7.1.5; POP3 -ERR; SMTP 421, RFC 5321 3.8) as `got` and in `why`,
# not a bare "connection reset by peer". An IMAP BYE that is the last line before the close is
# the reply; a close on the next command names the reply before it.
mc_peer_test_fields(imap-bye-reset imap-bye-reset imap-login-noop.json 1
                    "got '* BYE too many errors, closing', and then closed the connection"
                    "got=* BYE too many errors, closing")
mc_peer_test_fields(pop3-err-reset pop3-err-reset pop3-stat-ok.json 1
                    "got '-ERR [SYS/TEMP] maildrop locked, closing'"
                    "got=-ERR [SYS/TEMP] maildrop locked, closing")
mc_peer_test_fields(pop3-err-reset.next pop3-err-reset pop3-err-then-noop.json 1
                    "maildrop locked, closing'"
                    "got=-ERR [SYS/TEMP] maildrop locked, closing")
# "BAD, or BYE and close" is expressible: the BYE before the close is the reply, status BYE.
mc_peer_test(imap-bye-reset.bad-or-bye imap-bye-reset imap-bad-or-bye.json 0 -)
mc_peer_test(good-imap.bad-or-bye good-imap imap-bad-or-bye.json 1
             "the reply matched none of the 2 alternatives of any_of")
mc_peer_test_fields(smtp-421-reset smtp-421-reset smtp-ehlo.json 1
                    "got '421 4.3.2 badpeer shutting down'" "got=421 4.3.2 badpeer shutting down")

# Framing broken on purpose: every size bounded, every line end checked.
mc_peer_test(garbage garbage pop3-stat-ok.json 1 "exceeds")
mc_peer_test(bare-lf bare-lf pop3-stat-ok.json 1 "bare LF")
mc_peer_test(huge-literal huge-literal imap-noop.json 1 "literal announced")
mc_peer_test(smtp-mixed-codes smtp-mixed-codes smtp-ehlo.json 1 "mixes codes")

# Only the go-ahead reply starts TLS: a 250 to STARTTLS fails the step, and no handshake begins.
mc_peer_test(smtp-starttls-250 smtp-starttls-250 smtp-starttls.json 1
             "only 220 does (RFC 3207 section 4); no TLS handshake was attempted")
# Plain text after the STARTTLS go-ahead is the server's fault (exit 1), not a protocol mismatch
# of the set-up (which is for implicit TLS only).
mc_peer_test(smtp-starttls-plain smtp-starttls-plain smtp-starttls.json 1
             "the server answered in plain text, not TLS")
# A stall names what stalled: the TLS handshake after the go-ahead, not "no reply".
mc_peer_test(smtp-starttls-stall smtp-starttls-stall smtp-starttls.json 1
             "the TLS handshake after STARTTLS did not complete within")

# After the probe has met garbage, a run that goes on waiting must not spin the CPU.
mc_peer_test(garbage.busy-loop garbage pop3-await-quiet.json 1 "no complete reply within 5000 ms")
mc_peer_test(silence.busy-loop silence pop3-await-quiet.json 1 "no complete reply within 5000 ms")

# Shipped scenarios fail against a lax server: good-pop3 accepts any password and answers STAT
# before login, which the real suite must catch.
function(mc_peer_scenario_test name mode scenario exit_status why)
  add_test(NAME peer.${name}
           COMMAND bash ${MC_PEER_SCRIPT} ${MC_CLI} $<TARGET_FILE:badpeer> ${mode}
                   ${MC_SRC}/scenarios/${scenario} ${exit_status} "${why}")
  set_tests_properties(peer.${name} PROPERTIES TIMEOUT 60 LABELS peer)
endfunction()
mc_peer_scenario_test(lax-pop3.stat-before-login good-pop3
                      pop3/stat-before-login-refused.json 1 "expected status -ERR, got '+OK")
mc_peer_scenario_test(lax-pop3.wrong-password good-pop3
                      pop3/wrong-password-refused.json 1 "expected status -ERR, got '+OK'")

# Every SMTP session's greeting is judged (RFC 5321 3.1, 4.3.2): against a server that greets
# with 200, shipped scenarios fail at their implicit connect, whatever they test.
mc_peer_test(smtp-greet-200 smtp-greet-200 smtp-ehlo.json 1 "has code 200")
mc_peer_scenario_test(smtp-greet-200.noop smtp-greet-200 smtp/noop.json 1
                      "greeting \"200 badpeer ESMTP\" has code 200")
mc_peer_scenario_test(smtp-greet-200.helo smtp-greet-200 smtp/helo-accepted.json 1
                      "has code 200")
mc_peer_scenario_test(smtp-greet-200.unknown smtp-greet-200 smtp/unknown-rejected.json 1
                      "has code 200")

# Promised capabilities, checked without "requires": a server that demands TLS (SMTP 530
# "Must issue a STARTTLS command first", IMAP LOGINDISABLED) must offer STARTTLS. Each fails
# where STARTTLS is hidden, and passes where it is offered or TLS is not demanded at all.
mc_peer_scenario_test(submission-hides-starttls submission-hides-starttls
                      smtp/tls-demanded-only-when-offered.json 1
                      "the reply matched none of the 4 alternatives of any_of")
mc_peer_scenario_test(submission-offers-starttls submission-offers-starttls
                      smtp/tls-demanded-only-when-offered.json 0 -)
mc_peer_scenario_test(good-smtp.tls-demanded good-smtp smtp/tls-demanded-only-when-offered.json
                      0 -)
mc_peer_scenario_test(imap-hides-starttls imap-hides-starttls
                      imap/logindisabled-only-with-a-way-in.json 1
                      "the reply matched none of the 3 alternatives of any_of")
mc_peer_scenario_test(imap-offers-starttls imap-offers-starttls
                      imap/logindisabled-only-with-a-way-in.json 0 -)
mc_peer_scenario_test(good-imap.logindisabled good-imap imap/logindisabled-only-with-a-way-in.json
                      0 -)
# Bounded against a server that sends a lot (peer-bounded.sh): the step fails at the reply cap,
# the transcript stops at its budget, the report is written, and the peak RSS stays far below
# what the harness used to take. The bounds are generous (sanitizer builds, a loaded machine):
# they catch memory that grows with what the peer sends, not a few MiB.
# Arguments: test name, peer mode, scenario, exit status, failure.why fragment ("-": none),
# transcript_truncated, peak RSS bound (MiB), wall-clock bound (s).
set(MC_PEER_BOUNDED_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/peer-bounded.sh)
function(mc_peer_bounded_test name mode scenario exit_status why truncated rss_mib wall_s)
  add_test(NAME peer.${name}
           COMMAND bash ${MC_PEER_BOUNDED_SCRIPT} ${MC_CLI} $<TARGET_FILE:badpeer> ${mode}
                   ${MC_PEER_SCENARIOS}/${scenario} ${exit_status} "${why}" ${truncated}
                   ${rss_mib} ${wall_s})
  set_tests_properties(peer.${name} PROPERTIES TIMEOUT 240 LABELS peer)
endfunction()

# The wall-clock bound is a hang check, not a speed test (tools/bench-imap-* measure speed):
# alone such a run takes ~15 s, but CI runs it among 160 others on two cores with sanitizers,
# where 40 s proved too tight; an unbounded harness never ends at all.
mc_peer_test(good-imap.login-noop good-imap imap-login-noop.json 0 -)
mc_peer_bounded_test(imap-flood.bounded imap-flood imap-login-noop.json 1 MC_SYN_REPLY_MEMORY_MAX
                     true 384 90)
mc_peer_bounded_test(imap-literal.intact imap-literal imap-big-literal.json 0 - true 448 90)

# Scenario-format constructs, each against a mailbox that does it right and one that does not
# (docs/scenario-format.md): "track" follows message numbers through EXPUNGE responses, and a
# server that numbers them as if nothing had moved leaves the tracked message alive;
# "untagged_shared" lets one FETCH line carry both the body and the \Seen it set; a "soft"
# step below MUST that fails is a warning (exit 0, shown in the report) and the steps after it
# run; a soft MUST step fails the scenario, the steps after it still run.
mc_peer_test(good-imap.track imap-mailbox imap-track-expunge.json 0 -)
mc_peer_test(track.stale-expunge imap-stale-expunge imap-track-expunge.json 1
             "to match '^0$'; it is '2'")
mc_peer_test(good-imap.shared imap-mailbox imap-shared-seen.json 0 -)
mc_peer_test(shared.seen-unsaid imap-seen-unsaid imap-shared-seen.json 1
             "untagged_shared: a line other patterns matched would do")
mc_peer_test_fields(good-imap.soft imap-mailbox imap-soft-seen.json 0 - last_step=pass)
mc_peer_test_fields(soft.should-warns imap-seen-unsaid imap-soft-seen.json 0 -
                    "warning=untagged_shared" last_step=pass)
mc_peer_test_fields(soft.must-fails imap-seen-unsaid imap-soft-must-seen.json 1
                    "untagged_shared" last_step=pass)
