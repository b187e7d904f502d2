/*
 * cmd_run — `mailconform run`: load scenarios and a target, run, print results as they come,
 * write the JSON report, and exit 0 (all passed), 1 (failures or errors) or 2 (usage/setup).
 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/embedded.h"
#include "engine/loader.h"
#include "engine/report.h"
#include "engine/runner.h"
#include "engine/target.h"

static const char run_usage[] =
    "usage: mailconform run [OPTIONS] PATH...\n"
    "\n"
    "Runs the scenarios in PATH (files, or folders searched recursively) against a target and\n"
    "prints one line per scenario; failures say what was expected, what came, and the RFC.\n"
    "\n"
    "  -t, --target T        a target profile (JSON, see docs/target-format.md) or a URL:\n"
    "                        imap:// imaps:// pop3:// pop3s:// smtp:// smtps:// submission://\n"
    "                        lmtp:// as SCHEME://USER:PASSWORD@HOST:PORT; repeat to combine.\n"
    "                        Without --target: the embedded reference server, started in this\n"
    "                        process on free loopback ports for the run\n"
    "  -r, --report FILE     write the JSON report to FILE ('-' for standard output)\n"
    "  -j, --jobs N          scenarios run at once (default: number of CPUs)\n"
    "      --step-timeout MS deadline of one step unless the scenario sets one (default 10000)\n"
    "  -f, --filter GLOB     run only scenarios whose id matches GLOB (repeatable)\n"
    "  -v, --verbose         print the transcript of failed scenarios\n"
    "  -q, --quiet           print only failures and the summary\n"
    "      --color WHEN      auto (default: only on a terminal), always, never\n"
    "  -h, --help            this text\n"
    "\n"
    "exit status: 0 every scenario passed (skips and known deviations allowed),\n"
    "             1 a scenario failed or could not run, 2 usage or setup error\n";

struct run_cli {
    struct mc_strv targets, filters;
    const char *report;
    long jobs, step_timeout;
    bool verbose, quiet, progress;
    enum mc_color color;
};

static int parse_args(int argc, char **argv, struct run_cli *c)
{
    enum { OPT_STEP_TIMEOUT = 256, OPT_COLOR };
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'},
        {"report", required_argument, NULL, 'r'},
        {"jobs", required_argument, NULL, 'j'},
        {"step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT},
        {"filter", required_argument, NULL, 'f'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"color", required_argument, NULL, OPT_COLOR},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    int ch;
    bool ok = true;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:r:j:f:vqh", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            mc_strv_push_str(&c->targets, optarg);
            break;
        case 'r':
            c->report = optarg;
            break;
        case 'f':
            mc_strv_push_str(&c->filters, optarg);
            break;
        case 'v':
            c->verbose = true;
            break;
        case 'q':
            c->quiet = true;
            break;
        case 'j':
            c->jobs = mc_cli_number(optarg, 1, 1024, &ok);
            if (!ok)
                fprintf(stderr, "mailconform run: --jobs takes a number from 1 to 1024\n");
            break;
        case OPT_STEP_TIMEOUT:
            c->step_timeout = mc_cli_number(optarg, 1, 3600000, &ok);
            if (!ok)
                fprintf(stderr, "mailconform run: --step-timeout takes milliseconds, 1 to "
                                "3600000\n");
            break;
        case OPT_COLOR:
            if (mc_cli_parse_color(optarg, &c->color) != 0) {
                fprintf(stderr, "mailconform run: --color takes auto, always or never\n");
                ok = false;
            }
            break;
        case 'h':
            fputs(run_usage, stdout);
            exit(MC_EXIT_OK);
        default:
            ok = false;
            break;
        }
        if (!ok)
            return -1;
    }
    if (optind >= argc) {
        fputs("mailconform run: no scenario PATH given (try: mailconform run scenarios)\n", stderr);
        return -1;
    }
    return 0;
}

static struct mc_target *load_target(const struct run_cli *c)
{
    struct mc_target *t = NULL;
    struct mc_buf err = {0};
    for (size_t i = 0; i < c->targets.count; i++) {
        const char *spec = c->targets.items[i].ptr;
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
        fprintf(stderr, "mailconform run: bad target:\n%s", err.data);
        mc_target_free(t);
        t = NULL;
    }
    mc_buf_free(&err);
    return t;
}

static bool selected(const struct run_cli *c, const char *id)
{
    if (c->filters.count == 0)
        return true;
    for (size_t i = 0; i < c->filters.count; i++)
        if (fnmatch(c->filters.items[i].ptr, id, 0) == 0)
            return true;
    return false;
}

/* Loads every scenario; any broken file stops the run before it starts (exit 2). */
static int load_scenarios(const struct run_cli *c, char **paths, size_t n,
                          struct mc_scenario ***out, size_t *count)
{
    struct mc_buf errors = {0};
    struct mc_scenario **all;
    size_t loaded;
    int rc = mc_scenario_load_all((const char *const *)paths, n, &all, &loaded, NULL, &errors);
    *out = all;
    *count = 0;
    for (size_t i = 0; i < loaded; i++) {
        if (selected(c, all[i]->id))
            all[(*count)++] = all[i];
        else
            mc_scenario_free(all[i]);
    }
    if (rc != 0)
        fprintf(stderr, "mailconform run: the scenarios have errors (nothing was run):\n%s",
                errors.data ? errors.data : "");
    mc_buf_free(&errors);
    return rc;
}

static const char *outcome_color(enum mc_outcome o)
{
    switch (o) {
    case MC_OUTCOME_PASS:
        return "green";
    case MC_OUTCOME_FAIL:
    case MC_OUTCOME_ERROR:
        return "red";
    case MC_OUTCOME_DEVIATION:
        return "yellow";
    default:
        return "dim";
    }
}

static void print_transcript(const struct mc_scenario_result *r)
{
    for (size_t i = 0; i < r->transcript_count; i++) {
        const struct mc_transcript_entry *e = &r->transcript[i];
        const char *who = e->session >= 0 ? r->scenario->sessions[e->session].name : "fixture";
        const char *dir = e->dir == MC_DIR_CLIENT ? "C:" : e->dir == MC_DIR_SERVER ? "S:" : "--";
        size_t n = e->len;
        while (n && (e->data[n - 1] == '\n' || e->data[n - 1] == '\r'))
            n--;
        printf("      %s%8.3f %-8s %s %.*s%s\n", mc_cli_color("dim"), e->t, who, dir,
               (int)(n > 300 ? 300 : n), e->data, mc_cli_color("reset"));
    }
}

static void print_failure(const struct mc_scenario_result *r, bool verbose)
{
    const struct mc_scenario *sc = r->scenario;
    for (size_t i = 0; i < r->step_count; i++) {
        const struct mc_step_result *st = &r->steps[i];
        if (st->outcome != MC_OUTCOME_FAIL)
            continue;
        const struct mc_step *def = st->index >= 0 ? &sc->steps[st->index] : NULL;
        const struct mc_rfc_refs *rfc = def && def->rfc.count ? &def->rfc : &sc->rfc;
        printf("    %s:%d:%d: step %d (%s)\n", sc->file, def ? def->line : 1, def ? def->column : 1,
               st->index + 1, st->label);
        if (st->expected)
            printf("      expected: %s\n", st->expected);
        if (st->got)
            printf("      got:      %s\n", st->got);
        printf("      why:      %s\n", st->why ? st->why : "");
        printf("      required by:");
        for (size_t k = 0; k < rfc->count; k++)
            printf(" RFC %d%s%s", rfc->items[k].rfc, rfc->items[k].section ? " section " : "",
                   rfc->items[k].section ? rfc->items[k].section : "");
        printf(" (%s)\n",
               mc_level_name(def && def->level >= 0 ? (enum mc_level)def->level : sc->level));
        if (def && def->why)
            printf("      because:  %s\n", def->why);
        break;
    }
    if (verbose)
        print_transcript(r);
}

static void on_finished(void *arg, const struct mc_scenario_result *r, size_t done, size_t total)
{
    const struct run_cli *c = arg;
    bool bad = r->outcome == MC_OUTCOME_FAIL || r->outcome == MC_OUTCOME_ERROR;
    if (c->progress)
        fputs("\r\033[K", stderr);
    if (!c->quiet || bad) {
        char word[16];
        snprintf(word, sizeof word, "%s", mc_outcome_name(r->outcome));
        for (char *p = word; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        printf("%s%-9s%s %s %s(%.2f s)%s\n", mc_cli_color(outcome_color(r->outcome)), word,
               mc_cli_color("reset"), r->scenario->id, mc_cli_color("dim"), r->duration,
               mc_cli_color("reset"));
        if (r->reason)
            printf("    %s\n", r->reason);
        if (r->outcome == MC_OUTCOME_FAIL || r->outcome == MC_OUTCOME_DEVIATION)
            print_failure(r, c->verbose);
        fflush(stdout);
    }
    if (c->progress && done < total)
        fprintf(stderr, "[%zu/%zu] running...", done, total);
}

static int summarize(const struct mc_run_result *res)
{
    size_t n[MC_OUTCOME_COUNT] = {0};
    for (size_t i = 0; i < res->scenario_count; i++)
        n[res->scenarios[i].outcome]++;
    printf("\n%zu scenario(s) against %s: %s%zu passed%s, %s%zu failed%s, %zu skipped, "
           "%zu error(s), %zu known deviation(s) in %.1f s\n",
           res->scenario_count, res->target_name, mc_cli_color("green"), n[MC_OUTCOME_PASS],
           mc_cli_color("reset"), n[MC_OUTCOME_FAIL] ? mc_cli_color("red") : "", n[MC_OUTCOME_FAIL],
           n[MC_OUTCOME_FAIL] ? mc_cli_color("reset") : "", n[MC_OUTCOME_SKIP], n[MC_OUTCOME_ERROR],
           n[MC_OUTCOME_DEVIATION], res->finished - res->started);
    return n[MC_OUTCOME_FAIL] || n[MC_OUTCOME_ERROR] ? MC_EXIT_FAILURES : MC_EXIT_OK;
}

static int report(const struct run_cli *c, const struct mc_run_result *res,
                  struct mc_report_sink *sink);

/* The report's sink, opened before the run so that each scenario is written (and its
   transcript freed) as soon as it finished; NULL without --report, or on failure (said). */
static struct mc_report_sink *open_report(const struct run_cli *c, bool *failed)
{
    struct mc_buf err = {0};
    struct mc_report_sink *sink = c->report ? mc_report_sink_open(c->report, &err) : NULL;
    *failed = c->report && !sink;
    if (*failed)
        fprintf(stderr, "mailconform run: cannot write the report %s: %s\n", c->report,
                err.data ? err.data : "");
    mc_buf_free(&err);
    return sink;
}

/* Starts the target (the embedded server unless --target), runs, reports. The exit status. */
static int run_scenarios(struct run_cli *c, struct mc_scenario **scenarios, size_t count)
{
    struct event_base *base = event_base_new();
    struct mc_embedded *embedded = NULL;
    struct mc_target *target = NULL;
    struct mc_buf err = {0};
    int rc = MC_EXIT_USAGE;
    if (c->targets.count == 0) {
        /* Enough users that no parallel scenario waits for one (8 at most each). */
        int users = c->jobs * 8 > 256 ? 256 : (int)c->jobs * 8;
        struct mc_embedded_config cfg = {.users = users < 24 ? 24 : users};
        if (!(embedded = mc_embedded_start(base, &cfg, &target, &err)))
            fprintf(stderr, "mailconform run: cannot start the embedded reference server: %s\n",
                    err.data ? err.data : "");
    } else {
        target = load_target(c);
    }
    struct mc_run_options o = {.target = target,
                               .jobs = (int)c->jobs,
                               .step_timeout_ms = (int)c->step_timeout,
                               .base = base,
                               .reset_user = embedded ? mc_embedded_reset_user : NULL,
                               .reset_arg = embedded,
                               .finished = on_finished,
                               .arg = c};
    bool sink_failed = false;
    if (target)
        o.report = open_report(c, &sink_failed);
    struct mc_run_result res = {0};
    if (!target || sink_failed) {
        /* said already */
    } else if (mc_run(scenarios, count, &o, &res, &err) != 0) {
        fprintf(stderr, "mailconform run: %s\n", err.data ? err.data : "cannot start");
        mc_report_sink_free(o.report);
    } else {
        rc = report(c, &res, o.report);
    }
    mc_run_result_free(&res);
    mc_embedded_stop(embedded);
    mc_target_free(target);
    event_base_free(base);
    mc_buf_free(&err);
    return rc;
}

/* The summary and the JSON report; the exit status. */
static int report(const struct run_cli *c, const struct mc_run_result *res,
                  struct mc_report_sink *sink)
{
    struct mc_buf err = {0};
    int rc = summarize(res);
    if (sink && mc_report_sink_finish(sink, res, &err) != 0) {
        fprintf(stderr, "mailconform run: cannot write the report %s: %s\n", c->report,
                err.data ? err.data : "");
        rc = MC_EXIT_USAGE;
    } else if (c->report && strcmp(c->report, "-") != 0 && !c->quiet) {
        printf("report: %s\n", c->report);
    }
    mc_buf_free(&err);
    return rc;
}

int mc_cmd_run(int argc, char **argv)
{
    struct run_cli c = {.jobs = sysconf(_SC_NPROCESSORS_ONLN),
                        .step_timeout = MC_STEP_TIMEOUT_DEFAULT_MS};
    int rc = MC_EXIT_USAGE;
    struct mc_scenario **scenarios = NULL;
    size_t count = 0;
    if (parse_args(argc, argv, &c) != 0) {
        fputs("\n", stderr);
        fputs(run_usage, stderr);
    } else {
        if (c.jobs < 1)
            c.jobs = 1;
        mc_cli_color_init(c.color, stdout);
        c.progress = isatty(fileno(stderr)) && !c.quiet;
        if (load_scenarios(&c, argv + optind, (size_t)(argc - optind), &scenarios, &count) == 0)
            rc = run_scenarios(&c, scenarios, count);
    }
    for (size_t i = 0; i < count; i++)
        mc_scenario_free(scenarios[i]);
    free(scenarios);
    mc_strv_free(&c.targets);
    mc_strv_free(&c.filters);
    return rc;
}
