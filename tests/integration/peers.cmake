# Misbehaving peers: each test starts tests/peers/badpeer in one mode and runs one scenario of
# tests/data/scenarios-peer against it (peer-test.sh). The good-* modes are the controls: the
# scenarios pass there, so a failure elsewhere is the peer's doing. Every other mode must make
# the scenario fail (exit 1) within a deadline, and the report's failure.why must say why; the
# harness must never crash, hang or allocate what a hostile peer announces.
# Arguments: test name, peer mode, scenario file, expected exit status, text failure.why
# must contain ("-": none).
set(MC_PEER_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/peer-test.sh)
set(MC_PEER_SCENARIOS ${MC_SRC}/tests/data/scenarios-peer)

function(mc_peer_test name mode scenario exit_status why)
  add_test(NAME peer.${name}
           COMMAND bash ${MC_PEER_SCRIPT} ${MC_CLI} $<TARGET_FILE:badpeer> ${mode}
                   ${MC_PEER_SCENARIOS}/${scenario} ${exit_status} "${why}")
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

# Nothing complete ever comes: the step's deadline ends it.
mc_peer_test(no-terminator no-terminator pop3-capa-multiline.json 1 "no complete reply within")
mc_peer_test(silence silence pop3-stat-ok.json 1 "no complete reply within")
mc_peer_test(no-greeting no-greeting pop3-stat-ok.json 1 "no complete greeting within")
mc_peer_test(slowloris slowloris pop3-stat-ok.json 1 "no complete reply within")

# The connection goes away mid-dialogue.
mc_peer_test(early-close early-close pop3-stat-ok.json 1 "closed the connection")

# Framing broken on purpose: every size bounded, every line end checked.
mc_peer_test(garbage garbage pop3-stat-ok.json 1 "exceeds")
mc_peer_test(bare-lf bare-lf pop3-stat-ok.json 1 "bare LF")
mc_peer_test(huge-literal huge-literal imap-noop.json 1 "literal announced")
mc_peer_test(smtp-mixed-codes smtp-mixed-codes smtp-ehlo.json 1 "mixes codes")

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
  set_tests_properties(peer.${name} PROPERTIES TIMEOUT 120 LABELS peer)
endfunction()

mc_peer_test(good-imap.login-noop good-imap imap-login-noop.json 0 -)
mc_peer_bounded_test(imap-flood.bounded imap-flood imap-login-noop.json 1 MC_SYN_REPLY_MEMORY_MAX
                     true 384 40)
mc_peer_bounded_test(imap-literal.intact imap-literal imap-big-literal.json 0 - true 448 40)
