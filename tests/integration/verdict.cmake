# The verdict (issue 8): who is at fault, exit statuses, interrupts, TLS verification, resets,
# selection and the report's account of the run. Each case of verdict-test.sh starts what it
# needs (the reference server, a misbehaving peer) in a private directory and stops it at exit.
set(MC_VERDICT_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/verdict-test.sh)
foreach(case unreachable dns empty-selection credentials protocol-mismatch tls-verify
             whole-suite-serve reset-retires-user interrupt report-stdout skips promised list
             fail-fast secrets imaps-only
             stop-during-reset first-user-refused fixtures-error)
  add_test(NAME verdict.${case}
           COMMAND bash ${MC_VERDICT_SCRIPT} ${case} ${MC_CLI} ${MC_SRC} $<TARGET_FILE:badpeer>)
  set_tests_properties(verdict.${case} PROPERTIES TIMEOUT 180 LABELS verdict)
endforeach()
