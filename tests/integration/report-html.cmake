# The HTML report (mailconform report --format html): report-html-test.py renders a report of
# a run with failures, errors and skips (against tests/peers/badpeer and a closed port).
# `escaping` reads the page as text; `browser` loads it in headless chromium from a file URL
# with the network off, and is skipped (exit 77) only when chromium is not installed.
foreach(case escaping browser)
  add_test(NAME report-html.${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/report-html-test.py ${case}
                   ${MC_CLI} ${MC_SRC} $<TARGET_FILE:badpeer>)
  set_tests_properties(report-html.${case} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                       LABELS report)
endforeach()
# chromium is several processes and busy for seconds: alone, it does not slow the tests that
# measure time (verdict.unreachable, peer.*.bounded) past their limits on a 2-core machine.
set_tests_properties(report-html.browser PROPERTIES RUN_SERIAL TRUE)
