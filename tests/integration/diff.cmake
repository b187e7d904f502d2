# report diff (issue 9): comparing two reports by outcome. Each case of diff-test.sh runs the
# POP3 scenarios against the embedded reference server (a second each) in a private folder.
set(MC_DIFF_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/diff-test.sh)
foreach(case self broken untested malformed)
  add_test(NAME diff.${case} COMMAND bash ${MC_DIFF_SCRIPT} ${case} ${MC_CLI} ${MC_SRC})
  set_tests_properties(diff.${case} PROPERTIES TIMEOUT 120 LABELS diff)
endforeach()
mc_cli_test(report-diff-help 0 "^ +new_failure changed_reason new_error" report diff --help)
