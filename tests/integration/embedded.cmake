# The embedded reference server: the whole suite against it (the default target). Every
# scenario must run (none skipped) and pass.
add_test(NAME suite.embedded
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/embedded-test.sh ${MC_CLI} ${MC_SRC}
                 ${CMAKE_CURRENT_BINARY_DIR}/embedded-report.json)
set_tests_properties(suite.embedded PROPERTIES TIMEOUT 600)
