# mailconform serve as a process of its own: persistence with --maildir across a restart.
add_test(NAME serve.maildir-survives-restart
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/serve-maildir.sh ${MC_CLI}
                 ${CMAKE_CURRENT_BINARY_DIR}/serve-maildir)
set_tests_properties(serve.maildir-survives-restart PROPERTIES TIMEOUT 120)

# TLS sessions end with close_notify (RFC 8446 6.1), checked with openssl s_client.
add_test(NAME serve.tls-close-notify
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/serve-close-notify.sh ${MC_CLI} ${MC_SRC})
set_tests_properties(serve.tls-close-notify PROPERTIES TIMEOUT 60)

# The report browser (serve --http --reports): listing, rendering, diff, confinement, with curl
# and in headless chromium.
add_test(NAME serve.report-browser
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/browser-test.sh ${MC_CLI} ${MC_SRC})
# It starts chromium (when installed) three times: alone, so timing tests are not starved.
set_tests_properties(serve.report-browser PROPERTIES TIMEOUT 180 RUN_SERIAL TRUE)
# The report browser's bounds (browser_guard.c): out of descriptors it neither spins nor floods
# its log, it holds at most 64 connections, and a request dripped byte by byte is cut at 30 s.
foreach(case fds cap deadline)
  add_test(NAME serve.browser-limits.${case}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/browser-limits-test.sh ${case} ${MC_CLI})
  set_tests_properties(serve.browser-limits.${case} PROPERTIES TIMEOUT 120)
endforeach()
