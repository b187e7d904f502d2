# `mailconform explain` and `run --transcript` (issue 9, "for learners"): explain-test.sh runs
# one case each, against the embedded reference server or a misbehaving peer (badpeer) it
# starts in a private directory and stops at exit.
set(MC_EXPLAIN_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/explain-test.sh)
foreach(case static live-embedded live-badpeer transcript-all transcript-none live-as-saved cuts
             terminal-escape bad-args)
  add_test(NAME explain.${case}
           COMMAND bash ${MC_EXPLAIN_SCRIPT} ${case} ${MC_CLI} ${MC_SRC} $<TARGET_FILE:badpeer>)
  set_tests_properties(explain.${case} PROPERTIES TIMEOUT 120 LABELS explain)
endforeach()
add_test(NAME explain.lint-data COMMAND ${MC_CLI} lint ${MC_SRC}/tests/data/scenarios-explain)
set_tests_properties(explain.lint-data PROPERTIES TIMEOUT 60 LABELS explain)
# explain.cuts pushes a 17 MiB APPEND through the sanitizer build: run alone, so that it does
# not eat into the wall-clock bounds of the peer.*.bounded tests running beside it.
set_tests_properties(explain.cuts PROPERTIES RUN_SERIAL TRUE)
