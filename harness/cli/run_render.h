/*
 * run_render — `run --junit FILE --tap FILE --html FILE`: after the run has written its JSON
 * report, each rendering is made from the saved file by the same code as `mailconform report`
 * (report_cmd.h), so it is byte for byte what `report --format F` makes from that report.
 *
 * Before the run: each output's folder must exist (as for --report), else a usage error and
 * nothing runs. Without --report (or with `--report -`) the report goes to a private temporary
 * folder, removed after the renderings (with `-`, copied to standard output first).
 * After the run: a rendering that cannot be written is said on standard error, and the exit
 * status is the verdict's unless that was 0, which becomes 2: a green run never hides a
 * missing file, and a violation (1) or an untestable target (3) is never masked
 * (docs/decisions.md).
 */
#ifndef MC_CLI_RUN_RENDER_H
#define MC_CLI_RUN_RENDER_H

#include <stdbool.h>

#include "render/render.h"

enum { MC_RUN_RENDER_JUNIT, MC_RUN_RENDER_TAP, MC_RUN_RENDER_HTML, MC_RUN_RENDER_COUNT };

struct mc_run_render {
    const char *out[MC_RUN_RENDER_COUNT];   /* the output files asked for, or NULL */
    int tap_version;                        /* --tap-version; 0: the default */
    enum mc_render_transcripts transcripts; /* whose transcripts the renderings show */
    const char *user_report;                /* --report as given, or NULL */
    char *tmpdir;                           /* the temporary report's folder, or NULL */
    char *report_path;                      /* where the run writes its report, or NULL */
};

/* Any rendering asked for? */
bool mc_run_render_wanted(const struct mc_run_render *r);
/* Before the run: checks the outputs' folders and decides where the report is written
   (r->report_path: the user's --report, or a temporary file when renderings need one).
   0, or -1 after saying what is wrong on standard error. */
int mc_run_render_prepare(struct mc_run_render *r);
/* After the report was written: the renderings; returns the exit status to use, given the
   verdict's. */
int mc_run_render_finish(const struct mc_run_render *r, int verdict_status);
/* Removes the temporary report, if any, and frees. */
void mc_run_render_cleanup(struct mc_run_render *r);

#endif
