/*
 * runner — runs a set of scenarios against a target and fills a struct mc_run_result.
 *
 * One libevent loop drives everything: the capability probe of each endpoint first (what the
 * server announces decides which scenarios are skipped), then up to `jobs` scenarios at once.
 * Each running scenario gets its own test users from the target's pool, emptied beforehand by
 * the target's reset command, so parallel scenarios never share a mailbox.
 */
#ifndef MC_ENGINE_RUNNER_H
#define MC_ENGINE_RUNNER_H

#include <event2/event.h>

#include "engine/report.h"
#include "engine/result.h"
#include "engine/scenario.h"
#include "engine/target.h"

/* Default deadline of one step. RFC 5321 4.5.3.2 lets an SMTP client wait minutes for some
   replies, RFC 3501 5.4 and RFC 1939 3 give servers 30 and 10 minutes of patience; a test
   suite wants an answer sooner, and every scenario may set its own timeout_ms. */
#define MC_STEP_TIMEOUT_DEFAULT_MS 10000

struct mc_runner;

struct mc_run_options {
    const struct mc_target *target;
    int jobs;            /* scenarios at once (>= 1) */
    int step_timeout_ms; /* default deadline of a step */
    bool insecure;       /* go on when a TLS certificate does not verify (the report says so) */
    bool fail_fast;      /* stop the run at the first violation */
    bool keep_secrets;   /* record passwords and SASL responses as sent (engine/redact.h) */
    bool dry_run;        /* probe and judge each scenario's gate, run none (--list): a
                            scenario that would run ends as not_run "would run" */
    /* The loop to run on, shared with an in-process server (the embedded reference server);
       NULL: the run makes its own. */
    struct event_base *base;
    /* Empties one test user's mailboxes before a scenario gets it, instead of the target's
       reset command (an in-process server can do it directly); NULL: the command. */
    int (*reset_user)(void *arg, const char *user, struct mc_buf *why);
    void *reset_arg;
    /* Called once the runner exists, before anything runs, so that its owner can stop it
       (mc_run_stop from a signal event); may be NULL. */
    void (*started)(void *arg, struct mc_runner *rn);
    /* Called once every endpoint has been probed, before the first scenario; may be NULL. */
    void (*probed)(void *arg, const struct mc_run_result *r);
    /* Called when a scenario finishes (for progress output); may be NULL. */
    void (*finished)(void *arg, const struct mc_scenario_result *r, size_t done, size_t total);
    void *arg;
    /* Where each scenario's part of the JSON report is written once `finished` had it
       (report.h); NULL: none. The caller opens it and finishes it with mc_report_sink_finish
       after mc_run. */
    struct mc_report_sink *report;
    /* Keep every transcript in `out` until it is freed (for mc_report_write_json on the whole
       result). By default a scenario's transcript is freed once `finished` and `report` had it,
       so a run's memory does not grow with its transcripts. */
    bool keep_transcripts;
};

/* Grace a running scenario gets to finish after mc_run_stop, before it is ended. */
#define MC_RUN_STOP_GRACE_MS 1000

/* Stops the run from inside its event loop: no scenario starts any more (those not started
   end as not_run with `reason`); running ones get MC_RUN_STOP_GRACE_MS to finish, then end
   as not_run too. `signal` is the interrupting signal, 0 for another reason. */
void mc_run_stop(struct mc_runner *rn, const char *reason, int signal);

/* Runs the scenarios (borrowed; they must outlive `out`). Returns 0, or -1 with a message in
   err when the run could not start at all (TLS context, event loop). */
int mc_run(struct mc_scenario *const *scenarios, size_t count, const struct mc_run_options *o,
           struct mc_run_result *out, struct mc_buf *err);
void mc_run_result_free(struct mc_run_result *r);

#endif
