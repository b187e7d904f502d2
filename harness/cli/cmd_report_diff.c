/*
 * cmd_report_diff — `mailconform report diff OLD.json NEW.json`. Not written yet: being built
 * for issue 9 (this placeholder refuses, so nothing claims a comparison it does not make).
 */
#include <stdio.h>

#include "cli/cli.h"

int mc_cmd_report_diff(int argc, char **argv)
{
    (void)argc, (void)argv;
    fputs("mailconform report diff: not available yet\n", stderr);
    return MC_EXIT_USAGE;
}
