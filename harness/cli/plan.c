/*
 * plan — running loaded scenarios from the command line (see plan.h).
 */
#include "cli/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/embedded.h"
#include "cli/interrupt.h"
#include "engine/target.h"

/* The embedded server makes enough users that no parallel scenario waits for one: a scenario
   takes up to 8 (docs/scenario-format.md, `users`), so 8 per job, at least 24 (three
   scenarios' worth, which a single job uses while users are emptied between scenarios) and at
   most 256. */
#define PLAN_USERS_PER_JOB 8
#define PLAN_USERS_MIN 24
#define PLAN_USERS_MAX 256

static struct mc_target *load_target(const struct mc_plan *p)
{
    struct mc_target *t = NULL;
    struct mc_buf err = {0};
    for (size_t i = 0; i < p->targets->count; i++) {
        const char *spec = p->targets->items[i].ptr;
        if (strstr(spec, "://")) {
            if (mc_target_add_url(&t, spec, &err) != 0)
                break;
        } else if (t) {
            mc_buf_printf(&err, "%s: a profile cannot be combined with other targets\n", spec);
            break;
        } else if (!(t = mc_target_load_profile(spec, &err))) {
            break;
        }
    }
    if (err.len) {
        fprintf(stderr, "mailconform %s: bad target:\n%s", p->command, err.data);
        mc_target_free(t);
        t = NULL;
    }
    mc_buf_free(&err);
    return t;
}

static struct mc_embedded *start_embedded(const struct mc_plan *p, struct event_base *base,
                                          struct mc_target **target)
{
    struct mc_buf err = {0};
    int users = p->options.jobs * PLAN_USERS_PER_JOB;
    users = users < PLAN_USERS_MIN   ? PLAN_USERS_MIN
            : users > PLAN_USERS_MAX ? PLAN_USERS_MAX
                                     : users;
    struct mc_embedded_config cfg = {.users = users};
    struct mc_embedded *e = mc_embedded_start(base, &cfg, target, &err);
    if (!e)
        fprintf(stderr, "mailconform %s: cannot start the embedded reference server: %s\n",
                p->command, err.data ? err.data : "");
    mc_buf_free(&err);
    return e;
}

static struct mc_target *start_target(const struct mc_plan *p, struct event_base *base,
                                      struct mc_embedded **embedded)
{
    struct mc_target *target = NULL;
    if (p->targets->count == 0)
        *embedded = start_embedded(p, base, &target);
    else
        target = load_target(p);
    if (target && p->disposable)
        target->disposable_users = true;
    if (target && p->ca_file) {
        free(target->ca_file);
        target->ca_file = mc_xstrdup(p->ca_file);
    }
    return target;
}

/* The report's sink, opened before the run so that each scenario is written (and its
   transcript freed) as soon as it finished; NULL without --report, or on failure (said). */
static struct mc_report_sink *open_report(const struct mc_plan *p, bool *failed)
{
    struct mc_buf err = {0};
    struct mc_report_sink *sink = p->report ? mc_report_sink_open(p->report, &err) : NULL;
    *failed = p->report && !sink;
    if (*failed)
        fprintf(stderr, "mailconform %s: cannot write the report %s: %s\n", p->command, p->report,
                err.data ? err.data : "");
    mc_buf_free(&err);
    return sink;
}

/* The runner's callbacks go to the plan, which passes probed and finished on to the
   command's own, with the command's argument. */
static void on_started(void *arg, struct mc_runner *rn)
{
    ((struct mc_plan *)arg)->runner = rn;
}

static void on_probed(void *arg, const struct mc_run_result *r)
{
    const struct mc_plan *p = arg;
    if (p->options.probed)
        p->options.probed(p->options.arg, r);
}

static void on_finished(void *arg, const struct mc_scenario_result *r, size_t done, size_t total)
{
    const struct mc_plan *p = arg;
    if (p->options.finished)
        p->options.finished(p->options.arg, r, done, total);
}

static void on_signal(void *arg, int sig)
{
    struct mc_plan *p = arg;
    if (!p->runner)
        return;
    struct mc_buf why = {0};
    mc_buf_printf(&why, "interrupted by %s", mc_interrupt_name(sig));
    if (p->interrupted)
        p->interrupted(p->options.arg, why.data, sig);
    mc_run_stop(p->runner, why.data, sig);
    mc_buf_free(&why);
}

int mc_plan_execute(struct mc_plan *p, struct mc_scenario *const *scenarios, size_t count)
{
    struct event_base *base = event_base_new();
    struct mc_embedded *embedded = NULL;
    struct mc_buf err = {0};
    int rc = MC_EXIT_USAGE;
    p->target = start_target(p, base, &embedded);
    struct mc_run_options o = p->options;
    o.target = p->target;
    o.base = base;
    o.reset_user = embedded ? mc_embedded_reset_user : NULL;
    o.reset_arg = embedded;
    o.started = on_started;
    o.probed = on_probed;
    o.finished = on_finished;
    o.arg = p;
    struct mc_run_result res = {0};
    bool sink_failed = false;
    if (p->target)
        o.report = open_report(p, &sink_failed);
    mc_interrupt_install(base, on_signal, p, p->progress_line);
    if (!p->target || sink_failed) {
        /* said already */
    } else if (mc_run(scenarios, count, &o, &res, &err) != 0) {
        fprintf(stderr, "mailconform %s: %s\n", p->command, err.data ? err.data : "cannot start");
        mc_report_sink_free(o.report);
    } else {
        rc = p->conclude(p->options.arg, &res, o.report);
    }
    mc_interrupt_remove();
    p->runner = NULL;
    mc_run_result_free(&res);
    mc_embedded_stop(embedded);
    mc_target_free(p->target);
    p->target = NULL;
    event_base_free(base);
    mc_buf_free(&err);
    return rc;
}
