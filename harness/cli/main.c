/*
 * main — the mailconform command line: dispatches to the subcommands.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: mailconform COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Conformance, interoperability and load tests for SMTP, POP3 and IMAP servers.\n"
    "\n"
    "commands:\n"
    "  run PATH...    run scenarios (files or folders) against a target, write a report\n"
    "  lint PATH...   check scenario files without running them\n"
    "  report FILE    render a JSON report as text, JUnit, TAP or HTML; 'report diff OLD NEW'\n"
    "                 compares two runs\n"
    "  explain SCENARIO...  tell a scenario step by step (what is sent, what must come back\n"
    "                 and which RFC says so), then run it live and show the real replies\n"
    "  serve          until stopped: the reference mail server (--dir D, writes D/target.json),\n"
    "                 a report's server side replayed (--replay R), or a browser of reports\n"
    "                 (--http ADDR --reports DIR)\n"
    "  help           this text; 'mailconform COMMAND --help' for a command's options\n"
    "  version        print the version\n"
    "\n"
    "exit status (run, explain): 0 all tested passed, 1 a violation, 2 usage error or nothing\n"
    "selected, 3 the target could not be tested, 130/143 interrupted (docs/cli.md)\n"
    "documentation: docs/cli.md, docs/scenario-format.md, docs/report-format.md\n";

int main(int argc, char **argv)
{
    /* A peer that resets a connection while we write must cost a failed write (EPIPE), never
       the process: SIGPIPE would kill the harness on a hostile server, and the reference server
       on a hasty client. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fputs(usage_text, stderr);
        return MC_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return mc_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "explain") == 0)
        return mc_cmd_explain(argc - 1, argv + 1);
    if (strcmp(cmd, "lint") == 0)
        return mc_cmd_lint(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return mc_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return mc_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage_text, stdout);
        return MC_EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("mailconform %s\n", MC_VERSION);
        return MC_EXIT_OK;
    }
    fprintf(stderr, "mailconform: unknown command '%s'\n\n%s", cmd, usage_text);
    return MC_EXIT_USAGE;
}
