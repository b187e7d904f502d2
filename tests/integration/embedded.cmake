# The embedded reference server: the whole suite against it (the default target). Scenarios it
# cannot serve yet (IMAP) are skipped with their reason; everything it serves must pass.
add_test(NAME suite.embedded
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/embedded-test.sh ${MC_CLI} ${MC_SRC}
                 ${CMAKE_CURRENT_BINARY_DIR}/embedded-report.json)
set_tests_properties(suite.embedded PROPERTIES TIMEOUT 600)
