/*
 * plan — running loaded scenarios from the command line, shared by `run` and `explain`.
 *
 * Everything between "the scenarios are loaded" and "the result is in": the target (a profile,
 * URLs, or the embedded reference server started on the run's own event loop), the JSON
 * report's sink, the SIGINT/SIGTERM handlers, mc_run itself, and taking it all down again.
 * The commands keep what they show: the runner's callbacks (options.probed, .finished) see the
 * probe and each scenario as it finishes, with its transcript, and `conclude` sees the whole
 * result and decides the exit status. A target that cannot be loaded or started is said on
 * standard error and is a configuration error (exit 2), like in `run` (docs/cli.md).
 */
#ifndef MC_CLI_PLAN_H
#define MC_CLI_PLAN_H

#include <stdbool.h>

#include "engine/report.h"
#include "engine/runner.h"
#include "lib/buf.h"

struct mc_plan {
    const char *command;           /* "run", "explain": names the command in messages */
    const struct mc_strv *targets; /* --target values, in order; none: the embedded server */
    const char *ca_file;           /* --ca-file, or NULL */
    bool disposable;               /* --disposable-users */
    const char *report;            /* --report FILE ('-': standard output), or NULL */
    bool progress_line;            /* a progress line is on standard error (a terminal): a
                                      second signal wipes it before exiting */
    /* The command's part of the runner's options: jobs, step_timeout_ms, insecure, fail_fast,
       keep_secrets, dry_run, probed, finished, arg. The plan fills in target, base, the
       embedded server's reset_user, started and report. */
    struct mc_run_options options;
    /* After the run (transcripts already freed): the summary and the report's end; returns
       the exit status. `sink` is NULL without --report. */
    int (*conclude)(void *arg, struct mc_run_result *res, struct mc_report_sink *sink);
    /* The first SIGINT/SIGTERM: say that the run stops (the plan then stops the runner). */
    void (*interrupted)(void *arg, const char *why, int sig);
    /* Set while the run lasts (the probe's view names its endpoints); NULL otherwise. */
    struct mc_target *target;
    struct mc_runner *runner; /* the plan's own: to stop the run on a signal */
};

/* Starts the target, runs the scenarios (borrowed) and concludes. Returns the exit status:
   conclude's, or MC_EXIT_USAGE when the target, the report or the run could not start. */
int mc_plan_execute(struct mc_plan *p, struct mc_scenario *const *scenarios, size_t count);

#endif
