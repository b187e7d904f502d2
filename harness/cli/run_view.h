/*
 * run_view — what `mailconform run` tells a person on the console: the probe's findings before
 * any scenario runs, one line per scenario as it finishes (with the failing step, what was
 * expected and what came, the RFC, and the hint for an error), a progress counter on a
 * terminal, and the summary: counts by outcome, level and protocol, skips grouped by reason,
 * errors grouped by cause with what to fix, retired users, stale deviations, unverified TLS,
 * and the verdict line with the exit status. Transcripts (--transcript, -v) are the report's
 * (engine/report.h's mc_report_scenario_json) printed by render/render_transcript.c, as
 * `report --format text` prints them. Nothing here decides an outcome or the status.
 *
 * Human output goes to `out`: standard output, or standard error when the JSON report is
 * written to standard output (`--report -`), so that the JSON can be piped.
 */
#ifndef MC_CLI_RUN_VIEW_H
#define MC_CLI_RUN_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/result.h"
#include "engine/target.h"
#include "render/render.h"

struct mc_run_view {
    FILE *out;
    enum mc_render_transcripts transcripts; /* whose transcripts follow their line */
    bool quiet;                             /* only problems and the summary */
    bool progress;                          /* a progress counter on standard error (a terminal) */
    bool list;     /* --list: scenarios are not run, only judged by their gate */
    bool insecure; /* --insecure was given */
};

/* What the run concluded, for the verdict line and the exit status (docs/cli.md). */
struct mc_verdict {
    int exit_status;
    const char *word; /* the report's run.verdict: "pass", "fail", "untested", "interrupted" */
    char line[512];
};

/* --list: how many scenarios the selection left out, by reason (one reason per scenario). */
void mc_view_not_selected(const struct mc_run_view *v, const struct mc_strv *why);
void mc_view_probed(const struct mc_run_view *v, const struct mc_run_result *r,
                    const struct mc_target *t);
void mc_view_finished(const struct mc_run_view *v, const struct mc_scenario_result *r, size_t done,
                      size_t total);
/* Clears the progress counter (before other output, and at the end). */
void mc_view_clear_progress(const struct mc_run_view *v);
void mc_view_summary(const struct mc_run_view *v, const struct mc_run_result *r,
                     const struct mc_verdict *verdict);

#endif
