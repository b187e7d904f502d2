# `mailconform serve --replay`: a recorded Dovecot + Postfix run replayed gives the same outcomes
# (it needs the stack fixture, and the stack to itself while it records: RESOURCE_LOCK); a
# client that deviates gets the protocol's goodbye and the log says where; a truncated or
# malformed report is refused with the file and what is wrong.
add_test(NAME replay.dovecot-postfix-same-outcomes
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/replay-test.sh ${MC_CLI} ${MC_STACK_DIR} ${MC_SRC}
                 ${CMAKE_CURRENT_BINARY_DIR}/replay-stack)
set_tests_properties(replay.dovecot-postfix-same-outcomes PROPERTIES
                     FIXTURES_REQUIRED stack RESOURCE_LOCK stack TIMEOUT 900)

add_test(NAME replay.deviation-and-refusals
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/replay-refuse.sh ${MC_CLI} ${MC_SRC}
                 ${CMAKE_CURRENT_BINARY_DIR}/replay-refuse)
set_tests_properties(replay.deviation-and-refusals PROPERTIES TIMEOUT 180)
