/*
 * cmd_lint — `mailconform lint PATH...`: loads every scenario file and prints what is wrong,
 * without connecting anywhere. Exit 0 when every file is clean, 2 otherwise.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/loader.h"

static const char lint_usage[] =
    "usage: mailconform lint [--quiet] PATH...\n"
    "\n"
    "Checks scenario files (and folders of them, recursively) without running them: JSON\n"
    "syntax, every field against the scenario format, regular expressions, variables,\n"
    "sessions. Errors are printed as FILE:LINE:COLUMN: FIELD: what is wrong.\n"
    "\n"
    "  -q, --quiet   print only errors\n"
    "  -h, --help    this text\n"
    "\n"
    "exit status: 0 all files clean, 2 errors found (or bad arguments)\n";

int mc_cmd_lint(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    bool quiet = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        if (ch == 'q') {
            quiet = true;
        } else if (ch == 'h') {
            fputs(lint_usage, stdout);
            return MC_EXIT_OK;
        } else {
            fputs(lint_usage, stderr);
            return MC_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs("mailconform lint: no PATH given\n\n", stderr);
        fputs(lint_usage, stderr);
        return MC_EXIT_USAGE;
    }
    struct mc_buf errors = {0};
    struct mc_scenario **list;
    size_t loaded, files;
    int rc = mc_scenario_load_all((const char *const *)argv + optind, (size_t)(argc - optind),
                                  &list, &loaded, &files, &errors);
    fputs(errors.data ? errors.data : "", stderr);
    if (!quiet)
        fprintf(stderr, "%zu file(s) checked, %s\n", files, rc != 0 ? "errors found" : "no errors");
    for (size_t i = 0; i < loaded; i++)
        mc_scenario_free(list[i]);
    free(list);
    mc_buf_free(&errors);
    return rc != 0 ? MC_EXIT_USAGE : MC_EXIT_OK;
}
