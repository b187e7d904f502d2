/*
 * report_cmd — what `report` shares with the commands that also render (run --junit/--tap/
 * --html, the report browser): parsing --transcript, and rendering a saved report to a file.
 */
#ifndef MC_CLI_REPORT_CMD_H
#define MC_CLI_REPORT_CMD_H

#include "render/render.h"

/* "failed", "all", "none": 0 and *out set, or -1. */
int mc_cli_parse_transcripts(const char *s, enum mc_render_transcripts *out);
/* "14" or "13": 0 and *out set, or -1. */
int mc_cli_parse_tap_version(const char *s, int *out);
/* Renders the report file `in` into `out_path` ("-": standard output), whole or not at all.
   MC_EXIT_OK, or MC_EXIT_USAGE after saying on standard error which file and what is wrong. */
int mc_cli_render_file(const char *in, const char *out_path, enum mc_render_format f,
                       const struct mc_render_options *opts);

#endif
