# mailconform serve as a process of its own: persistence with --maildir across a restart.
add_test(NAME serve.maildir-survives-restart
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/serve-maildir.sh ${MC_CLI}
                 ${CMAKE_CURRENT_BINARY_DIR}/serve-maildir)
set_tests_properties(serve.maildir-survives-restart PROPERTIES TIMEOUT 120)
