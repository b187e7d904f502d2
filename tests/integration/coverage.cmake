# docs/coverage.md is generated from the scenarios by tools/coverage/coverage.py: the committed
# page must be what the scenarios give now, so it cannot rot (regenerate it with
# tools/coverage/coverage.py). The second test shows the check can fail: the page does not
# describe another set of scenarios.
set(MC_COVERAGE ${MC_SRC}/tools/coverage/coverage.py)
add_test(NAME coverage.up-to-date COMMAND /usr/bin/python3 ${MC_COVERAGE} --check)
add_test(NAME coverage.stale-detected
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/expect-exit.sh 1 "is out of date" --
                 /usr/bin/python3 ${MC_COVERAGE} --check
                 --scenarios ${MC_SRC}/tests/data/scenarios-good)
set_tests_properties(coverage.up-to-date coverage.stale-detected PROPERTIES TIMEOUT 60)
