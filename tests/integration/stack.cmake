# The real servers: the project's Dovecot + Postfix stack, started once for the tests that need
# it (ctest fixture "stack") and stopped afterwards even when a test fails.
set(MC_STACK_DIR ${CMAKE_CURRENT_BINARY_DIR}/stack)
add_test(NAME stack.start
         COMMAND sh -c "'${MC_SRC}/servers-under-test/postfix/stop' '${MC_STACK_DIR}' >/dev/null 2>&1; exec '${MC_SRC}/servers-under-test/postfix/start' '${MC_STACK_DIR}'")
set_tests_properties(stack.start PROPERTIES FIXTURES_SETUP stack TIMEOUT 600)
add_test(NAME stack.stop COMMAND ${MC_SRC}/servers-under-test/postfix/stop ${MC_STACK_DIR})
set_tests_properties(stack.stop PROPERTIES FIXTURES_CLEANUP stack TIMEOUT 120)

add_test(NAME suite.dovecot-postfix
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/suite-test.sh ${MC_CLI} ${MC_STACK_DIR} ${MC_SRC})
set_tests_properties(suite.dovecot-postfix PROPERTIES FIXTURES_REQUIRED stack RESOURCE_LOCK stack TIMEOUT 600)

# A recorded run against the stack, served with `serve --replay`, gives the same outcomes
# (replay.cmake has the replay's other tests). It needs the stack to itself while it records.
add_test(NAME replay.dovecot-postfix-same-outcomes
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/replay-test.sh ${MC_CLI} ${MC_STACK_DIR} ${MC_SRC}
                 ${CMAKE_CURRENT_BINARY_DIR}/replay-stack)
set_tests_properties(replay.dovecot-postfix-same-outcomes PROPERTIES
                     FIXTURES_REQUIRED stack RESOURCE_LOCK stack TIMEOUT 900)
