# Renderings of a saved report (issue 9): `mailconform report --format text|junit|tap` and
# `run --junit/--tap`. Each case of render-test.sh makes its own report (a misbehaving peer from
# tests/peers for failures, a closed port for errors) in a private folder. JUnit is checked
# against tests/schema/junit.xsd with xmllint, TAP with Perl's prove (TAP 13 header) and with
# Debian's tap-parser (TAP 14); see docs/decisions.md.
set(MC_RENDER_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/render-test.sh)
foreach(case junit-fail junit-error junit-escape junit-schema-strict tap-prove tap14-parser
             text-summary summary-edited bad-report outfile run-no-report run-render-fails)
  add_test(NAME render.${case}
           COMMAND bash ${MC_RENDER_SCRIPT} ${case} ${MC_CLI} ${MC_SRC} $<TARGET_FILE:badpeer>)
  set_tests_properties(render.${case} PROPERTIES TIMEOUT 120 LABELS render)
endforeach()
