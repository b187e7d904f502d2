/*
 * cli — the mailconform command: one function per subcommand, and the output helpers they
 * share (colour only on a terminal, honouring NO_COLOR; usage lines made from a list).
 */
#ifndef MC_CLI_CLI_H
#define MC_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/buf.h"

/* Exit codes (docs/cli.md). */
#define MC_EXIT_OK 0       /* everything tested passed / the files are clean */
#define MC_EXIT_FAILURES 1 /* at least one violation */
#define MC_EXIT_USAGE 2    /* bad arguments, scenario or target files; nothing selected */
#define MC_EXIT_UNTESTED 3 /* the target could not be tested (set-up errors, all skipped) */
/* 128 + N: interrupted by signal N (130 SIGINT, 143 SIGTERM), the report written */

int mc_cmd_run(int argc, char **argv);
int mc_cmd_lint(int argc, char **argv);
int mc_cmd_explain(int argc, char **argv);
int mc_cmd_serve(int argc, char **argv);
int mc_cmd_report(int argc, char **argv);
int mc_cmd_report_diff(int argc, char **argv); /* argv[0] is "diff" */

enum mc_color { MC_COLOR_AUTO, MC_COLOR_ALWAYS, MC_COLOR_NEVER };
/* Decides once whether `f` gets colour. */
void mc_cli_color_init(enum mc_color mode, FILE *f);
/* ANSI sequence, or "" when colour is off. */
const char *mc_cli_color(const char *name); /* "red" "green" "yellow" "cyan" "dim" "bold" "reset" */
int mc_cli_parse_color(const char *s, enum mc_color *out);
long mc_cli_number(const char *s, long min, long max, bool *ok);
/* The options `run` and `explain` share, parsed once: --step-timeout MS (1 ms to an hour) and
   --color WHEN. false with what is wrong appended to err. */
#define MC_CLI_STEP_TIMEOUT_MAX_MS 3600000L
bool mc_cli_step_timeout_option(const char *arg, long *out, struct mc_buf *err);
bool mc_cli_color_option(const char *arg, enum mc_color *out, struct mc_buf *err);
/* Prints the space-separated `words` (a list taken from the protocol tables, say) as lines
   indented by `indent` spaces and at most MC_CLI_USAGE_WIDTH columns wide, where a word fits. */
#define MC_CLI_USAGE_WIDTH 92 /* the width the usage texts are written for */
void mc_cli_print_words(FILE *f, const char *words, int indent);

#endif
