# Interoperability of the reference server with real clients (issue 3, item 6): curl, Python's
# smtplib/poplib, swaks and fetchmail (tools/install-deps test-tools). One reference server,
# started once for these tests (ctest fixture "reference-interop") in its own directory and
# stopped afterwards even when a test fails. Each test uses its own users, so they run in
# parallel: curl mc01-mc03, python mc04-mc07, swaks mc08-mc09, fetchmail mc10-mc11.
# IMAP (issue 4, item 7; tools/install-deps test-tools also brings isync, mutt and `script`):
# imap-curl mc12-mc14, imap-python mc15-mc16, imap-mbsync mc17-mc18 (the issue's "done when":
# curl submission -> mbsync -> flagged in one imaplib session, seen in another), imap-fetchmail
# mc19-mc20, imap-mutt mc21-mc22 (mutt in a pseudo-terminal with `script`). They fail when
# the server's profile has no imap and imaps endpoints.
set(MC_INTEROP_DIR ${CMAKE_CURRENT_BINARY_DIR}/reference-interop)
set(MC_REF ${MC_SRC}/servers-under-test/reference)
add_test(NAME interop.reference.start
         COMMAND sh -c "'${MC_REF}/stop' '${MC_INTEROP_DIR}' >/dev/null 2>&1; exec '${MC_REF}/start' '${MC_INTEROP_DIR}'")
set_tests_properties(interop.reference.start PROPERTIES
                     FIXTURES_SETUP reference-interop TIMEOUT 60 ENVIRONMENT MAILCONFORM=${MC_CLI})
add_test(NAME interop.reference.stop COMMAND ${MC_REF}/stop ${MC_INTEROP_DIR})
set_tests_properties(interop.reference.stop PROPERTIES FIXTURES_CLEANUP reference-interop TIMEOUT 60)

foreach(client curl python swaks fetchmail)
  add_test(NAME interop.${client}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop-${client}.sh ${MC_INTEROP_DIR})
  set_tests_properties(interop.${client} PROPERTIES
                       FIXTURES_REQUIRED reference-interop TIMEOUT 180 LABELS interop)
endforeach()

foreach(client imap-curl imap-python imap-mbsync imap-fetchmail imap-mutt)
  add_test(NAME interop.${client}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop-${client}.sh ${MC_INTEROP_DIR})
  set_tests_properties(interop.${client} PROPERTIES
                       FIXTURES_REQUIRED reference-interop TIMEOUT 180 LABELS "interop;imap")
endforeach()
