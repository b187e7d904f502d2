# `mailconform serve --replay`: a client that deviates gets the protocol's goodbye and the log
# says where; a truncated or malformed report is refused with the file and what is wrong. (A
# recorded Dovecot + Postfix run replayed with the same outcomes: stack.cmake.)
add_test(NAME replay.deviation-and-refusals
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/replay-refuse.sh ${MC_CLI} ${MC_SRC}
                 ${CMAKE_CURRENT_BINARY_DIR}/replay-refuse)
set_tests_properties(replay.deviation-and-refusals PROPERTIES TIMEOUT 180)

# SCRAM replayed for real (IMAP, POP3, SMTP; SHA-1 and SHA-256) with the embedded server as the
# recorded one; a wrong proof is a deviation; SCRAM the replay cannot answer is refused at load.
add_test(NAME replay.scram
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/replay-scram.sh ${MC_CLI} ${MC_SRC}
                 ${CMAKE_CURRENT_BINARY_DIR}/replay-scram)
set_tests_properties(replay.scram PROPERTIES TIMEOUT 180)
