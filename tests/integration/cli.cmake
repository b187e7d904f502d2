# The command line: help, usage errors, lint on the shipped scenarios and on a broken file.
set(MC_EXPECT ${CMAKE_CURRENT_SOURCE_DIR}/expect-exit.sh)
function(mc_cli_test name code regex)
  add_test(NAME cli.${name} COMMAND ${MC_EXPECT} ${code} ${regex} -- ${MC_CLI} ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES TIMEOUT 60)
endfunction()

mc_cli_test(help 0 "usage: mailconform" help)
mc_cli_test(run-help 0 "--target" run --help)
# The URL schemes and the embedded server's listeners come from the protocol tables.
mc_cli_test(run-help-schemes 0 "^ +pop3 pop3s imap imaps smtp submission smtps lmtp$" run --help)
mc_cli_test(run-bad-url-lists-schemes 2
            "expected pop3://, pop3s://, imap://, imaps://, smtp://, submission://, smtps:// or lmtp://$"
            run ${MC_SRC}/scenarios --target IMAP://x)
mc_cli_test(no-command 2 "usage:" )
mc_cli_test(unknown-command 2 "unknown command" frobnicate)
mc_cli_test(run-no-path 2 "no scenario PATH" run)
mc_cli_test(run-bad-url 2 "not a target URL" run ${MC_SRC}/scenarios --target ftp://x)
mc_cli_test(run-bad-jobs 2 "--jobs" run ${MC_SRC}/scenarios -j 0 --target pop3://a:b@127.0.0.1:1)
mc_cli_test(run-missing-profile 2 "nonexistent.json" run ${MC_SRC}/scenarios
            --target ${MC_SRC}/nonexistent.json)
mc_cli_test(lint-shipped 0 "no errors" lint ${MC_SRC}/scenarios)
mc_cli_test(lint-duplicate-id 2 "b.json:2:9: id: .dup.same-id. is already the id of .*a.json" lint
            ${MC_SRC}/tests/data/scenarios-dup)
mc_cli_test(lint-missing 2 "does-not-exist" lint ${MC_SRC}/does-not-exist)
# A broken scenario names file:line:column and the field.
mc_cli_test(lint-broken 2 "bad-values\\.json:6:12: level: .MUTS. is not" lint
            ${MC_SRC}/tests/data/scenarios-bad)
mc_cli_test(run-broken-scenario 2 "nothing was run" run ${MC_SRC}/tests/data/scenarios-bad
            --target pop3://a:b@127.0.0.1:1)
mc_cli_test(serve-help 0 "--maildir" serve --help)
mc_cli_test(serve-help-listeners 0 "^ +pop3 pop3s smtp submission smtps lmtp imap imaps$"
            serve --help)
mc_cli_test(serve-bad-port-lists-listeners 2
            "NAME one of pop3 pop3s smtp submission smtps lmtp imap imaps and PORT 0..65535 "
            serve --dir ${CMAKE_CURRENT_BINARY_DIR}/serve-bad --port imapx=1)
mc_cli_test(serve-no-dir 2 "give --dir .the mail server., --http .the report browser. or both" serve)
mc_cli_test(serve-bad-port 2 "expected NAME=PORT" serve --dir ${CMAKE_CURRENT_BINARY_DIR}/serve-bad
            --port pop4=1)
mc_cli_test(serve-cert-without-key 2 "both a certificate and its key" serve
            --dir ${CMAKE_CURRENT_BINARY_DIR}/serve-bad --cert /nonexistent.pem)

# Two outputs naming one file (however spelt) are refused before anything runs: the JUnit file
# would replace the JSON report the other renderings are made from.
mc_cli_test(run-same-output-file 2 "--report and --junit name the same file" run
            -r ${CMAKE_CURRENT_BINARY_DIR}/same.json
            --junit ${CMAKE_CURRENT_BINARY_DIR}/../integration/same.json ${MC_SRC}/scenarios)
