/*
 * cmd_explain — `mailconform explain`: a scenario told step by step to someone learning the
 * protocols, and by default run live so that every step shows the real replies.
 *
 * It loads the scenarios like `run` (a broken file is the loader's FILE:LINE:COLUMN error and
 * exit 2), prints each one's explanation (explain_view.c), and unless --no-run runs them one at
 * a time through the same plan as `run` (plan.c: --target, or the embedded reference server),
 * annotating each step with what crossed the wire and its verdict. The exit status is run's
 * (verdict.c); with --no-run it is 0 once everything was explained.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/explain_view.h"
#include "cli/plan.h"
#include "cli/run_view.h"
#include "cli/select.h"
#include "cli/verdict.h"
#include "engine/loader.h"

static const char explain_usage_text[] =
    "usage: mailconform explain [OPTIONS] SCENARIO...\n"
    "\n"
    "Tells each scenario (a file, or a folder searched recursively) step by step, for someone\n"
    "learning the protocols: what the client sends, what reply is expected and why, the RFC\n"
    "clause and level. Then it runs the scenario live and shows, under each step, the lines\n"
    "that crossed the wire and whether the reply passed.\n"
    "\n"
    "      --no-run          only explain; connect nowhere\n"
    "  -t, --target T        run against T: a target profile or URL(s), as for 'run'\n"
    "                        (default: the embedded reference server, in this process)\n"
    "      --ca-file PEM     verify TLS certificates against PEM\n"
    "  -k, --insecure        go on when a certificate does not verify\n"
    "      --disposable-users  empty the target's test accounts before each scenario\n"
    "      --step-timeout MS deadline of one step unless the scenario sets one (default 10000)\n"
    "  -f, --filter GLOB     only the scenarios whose id matches GLOB\n"
    "      --color WHEN      auto (default: only on a terminal), always, never\n"
    "  -h, --help            this text\n"
    "\n"
    "exit status: as 'run' (0 passed, 1 a violation, 2 usage error or a broken scenario,\n"
    "3 the target could not be tested, 130/143 interrupted); with --no-run 0, or 2\n";

struct explain_cli {
    struct mc_strv targets;
    struct mc_selection sel;
    const char *ca_file;
    long step_timeout;
    bool no_run, insecure, disposable;
    enum mc_color color;
    struct mc_run_view view; /* the probe's problems, the interrupt message */
    struct mc_plan plan;
};

enum {
    OPT_NO_RUN = 256,
    OPT_CA_FILE,
    OPT_DISPOSABLE,
    OPT_STEP_TIMEOUT,
    OPT_COLOR,
};

static const struct option explain_longopts[] = {
    {"no-run", no_argument, NULL, OPT_NO_RUN},
    {"target", required_argument, NULL, 't'},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"insecure", no_argument, NULL, 'k'},
    {"disposable-users", no_argument, NULL, OPT_DISPOSABLE},
    {"step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT},
    {"filter", required_argument, NULL, 'f'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {0, 0, 0, 0}};

static bool parse_option(struct explain_cli *c, int ch, const char *arg)
{
    bool ok = true;
    switch (ch) {
    case OPT_NO_RUN:
        c->no_run = true;
        break;
    case 't':
        mc_strv_push_str(&c->targets, arg);
        break;
    case OPT_CA_FILE:
        c->ca_file = arg;
        break;
    case 'k':
        c->insecure = true;
        break;
    case OPT_DISPOSABLE:
        c->disposable = true;
        break;
    case 'f':
        mc_strv_push_str(&c->sel.ids, arg);
        break;
    case OPT_STEP_TIMEOUT:
    case OPT_COLOR: {
        struct mc_buf err = {0};
        ok = ch == OPT_COLOR ? mc_cli_color_option(arg, &c->color, &err)
                             : mc_cli_step_timeout_option(arg, &c->step_timeout, &err);
        if (!ok)
            fprintf(stderr, "mailconform explain: %s\n", err.data);
        mc_buf_free(&err);
        break;
    }
    default:
        return false; /* getopt has said what is wrong */
    }
    return ok;
}

static int parse_args(int argc, char **argv, struct explain_cli *c)
{
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:kf:h", explain_longopts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(explain_usage_text, stdout);
            exit(MC_EXIT_OK);
        }
        if (!parse_option(c, ch, optarg))
            return -1;
    }
    if (optind >= argc) {
        fputs("mailconform explain: no SCENARIO given (try: mailconform explain "
              "scenarios/pop3/greeting-positive.json)\n",
              stderr);
        return -1;
    }
    if (c->no_run && c->targets.count) {
        fputs("mailconform explain: --no-run connects nowhere, so --target has no use\n", stderr);
        return -1;
    }
    return 0;
}

/* Loads the scenarios and keeps those --filter chooses: a broken file, or nothing left, is a
   usage error (2). */
static int load(const struct explain_cli *c, char **paths, size_t n, struct mc_scenario ***out,
                size_t *count)
{
    struct mc_buf errors = {0};
    size_t loaded = 0;
    int rc = mc_scenario_load_all((const char *const *)paths, n, out, &loaded, NULL, &errors);
    *count = 0;
    for (size_t i = 0; i < loaded; i++) {
        const char *why;
        if (mc_selection_match(&c->sel, (*out)[i], &why))
            (*out)[(*count)++] = (*out)[i];
        else
            mc_scenario_free((*out)[i]);
    }
    if (rc != 0) {
        fprintf(stderr, "mailconform explain: the scenarios have errors:\n%s",
                errors.data ? errors.data : "");
    } else if (*count == 0) {
        fprintf(stderr, "mailconform explain: no scenario to explain: %zu loaded, none %s\n",
                loaded, mc_selection_narrows(&c->sel) ? "matches --filter" : "found");
        rc = -1;
    }
    mc_buf_free(&errors);
    return rc;
}

/* --- live --- */

static void on_probed(void *arg, const struct mc_run_result *r)
{
    struct explain_cli *c = arg;
    mc_view_probed(&c->view, r, c->plan.target); /* quiet: only what is wrong */
}

static void on_finished(void *arg, const struct mc_scenario_result *r, size_t done, size_t total)
{
    struct explain_cli *c = arg;
    mc_explain_print_result(c->view.out, r);
    if (done < total)
        fprintf(c->view.out, "\n");
}

static void on_interrupted(void *arg, const char *why, int sig)
{
    struct explain_cli *c = arg;
    (void)sig;
    fprintf(c->view.out, "%s: stopping\n", why);
    fflush(c->view.out);
}

static int conclude(void *arg, struct mc_run_result *res, struct mc_report_sink *sink)
{
    struct explain_cli *c = arg;
    struct mc_skip_limit no_limit = {0};
    struct mc_verdict verdict;
    (void)sink;
    mc_verdict_of(res, &no_limit, &verdict);
    fprintf(c->view.out, "\n%s (exit %d)\n", verdict.line, verdict.exit_status);
    return verdict.exit_status;
}

static int explain_live(struct explain_cli *c, struct mc_scenario **scenarios, size_t count)
{
    c->plan = (struct mc_plan){
        .command = "explain",
        .targets = &c->targets,
        .ca_file = c->ca_file,
        .disposable = c->disposable,
        .options = {.jobs = 1, /* one at a time, in order: each told whole */
                    .step_timeout_ms = (int)c->step_timeout,
                    .insecure = c->insecure,
                    .probed = on_probed,
                    .finished = on_finished,
                    .arg = c},
        .conclude = conclude,
        .interrupted = on_interrupted,
    };
    return mc_plan_execute(&c->plan, scenarios, count);
}

int mc_cmd_explain(int argc, char **argv)
{
    struct explain_cli c = {.step_timeout = MC_STEP_TIMEOUT_DEFAULT_MS};
    struct mc_scenario **scenarios = NULL;
    size_t count = 0;
    int rc = MC_EXIT_USAGE;
    if (parse_args(argc, argv, &c) != 0) {
        fputs("\n", stderr);
        fputs(explain_usage_text, stderr);
    } else {
        c.view = (struct mc_run_view){.out = stdout, .quiet = true, .insecure = c.insecure};
        mc_cli_color_init(c.color, c.view.out);
        if (load(&c, argv + optind, (size_t)(argc - optind), &scenarios, &count) != 0) {
            /* said */
        } else if (c.no_run) {
            for (size_t i = 0; i < count; i++)
                mc_explain_print(stdout, scenarios[i]);
            rc = MC_EXIT_OK;
        } else {
            rc = explain_live(&c, scenarios, count);
        }
    }
    for (size_t i = 0; i < count; i++)
        mc_scenario_free(scenarios[i]);
    free(scenarios);
    mc_strv_free(&c.targets);
    mc_selection_free(&c.sel);
    return rc;
}
