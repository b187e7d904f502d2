/*
 * cmd_run — `mailconform run`: load and select scenarios, load (or start) the target, run,
 * show the probe's findings and each result as it comes (run_view.c), write the JSON report,
 * and exit with the verdict's status (verdict.c; docs/cli.md). Nothing selected is a usage
 * error (2), never an empty green run.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/interrupt.h"
#include "cli/plan.h"
#include "cli/provenance.h"
#include "cli/report_cmd.h"
#include "cli/run_render.h"
#include "cli/run_view.h"
#include "cli/select.h"
#include "cli/verdict.h"
#include "engine/loader.h"
#include "engine/report.h"
#include "engine/runner.h"
#include "engine/target.h"
#include "proto/protocol.h"

/* The usage text, around the list of URL schemes (from the protocol tables). */
#define RUN_USAGE_INDENT 24
static const char run_usage_head[] =
    "usage: mailconform run [OPTIONS] PATH...\n"
    "\n"
    "Runs the scenarios in PATH (files, or folders searched recursively) against a target and\n"
    "prints one line per scenario; failures say what was expected, what came, and the RFC.\n"
    "\n"
    "target:\n"
    "  -t, --target T        a target profile (JSON, see docs/target-format.md) or a URL\n"
    "                        SCHEME://USER:PASSWORD@HOST:PORT (repeat to combine), SCHEME one of\n";
static const char run_usage_tail[] =
    "                        Without --target: the embedded reference server, started in this\n"
    "                        process on free loopback ports\n"
    "      --ca-file PEM     verify TLS certificates against PEM (default: the profile's\n"
    "                        ca_file, else the system's trust store)\n"
    "  -k, --insecure        go on when a certificate does not verify (the report says so)\n"
    "      --disposable-users  the target's test accounts hold nothing of value: empty them\n"
    "                        over IMAP or POP3 before each scenario (as disposable_users in a\n"
    "                        profile); without it, or a reset command, accounts that are not\n"
    "                        empty are set aside\n"
    "selection (options of one kind are alternatives; different kinds must all hold):\n"
    "  -f, --filter GLOB     scenarios whose id matches GLOB, e.g. 'imap.sync.*'\n"
    "  -x, --exclude GLOB    leave out scenarios whose id matches GLOB\n"
    "      --tag TAG         scenarios with this tag\n"
    "      --level LEVEL     MUST, SHOULD or MAY\n"
    "      --rfc NUMBER      scenarios citing this RFC (in any step)\n"
    "      --protocol NAME   scenarios with a session of this protocol\n"
    "      --rerun-failed R  the scenarios that failed or had an error in report R\n"
    "      --list            probe the target and say what would run and why the others\n"
    "                        would not; run nothing\n"
    "running:\n"
    "  -j, --jobs N          scenarios run at once (default: number of CPUs)\n"
    "      --step-timeout MS deadline of one step unless the scenario sets one (default 10000)\n"
    "      --fail-fast       stop at the first violation (the rest: not_run)\n"
    "      --max-skip N|P%   more skipped scenarios than N (or P percent) is not a pass (exit 3)\n"
    "output:\n"
    "  -r, --report FILE     write the JSON report to FILE ('-': standard output, and the\n"
    "                        console output goes to standard error)\n"
    "      --junit FILE      also write JUnit XML, --tap FILE TAP 14, --html FILE the HTML\n"
    "                        report: each rendered from the saved JSON report, as 'mailconform\n"
    "                        report' would ('-': standard output)\n"
    "      --tap-version N   14 (default) or 13 (the same TAP with a 13 header, for prove)\n"
    "      --keep-secrets    record passwords and SASL responses as sent (by default the\n"
    "                        report masks them: ${password}, [redacted SASL response])\n"
    "      --transcript WHICH  print transcripts step by step: all (passing scenarios too),\n"
    "                        failed (failures and errors), none (default)\n"
    "  -v, --verbose         the same as --transcript failed\n"
    "  -q, --quiet           print only problems and the summary\n"
    "      --color WHEN      auto (default: only on a terminal), always, never\n"
    "  -h, --help            this text\n"
    "\n"
    "exit status: 0 every scenario tested passed; 1 at least one violation; 2 usage or\n"
    "configuration error, or no scenario selected; 3 the target could not be tested (set-up\n"
    "errors, everything skipped, or more skips than --max-skip); 130/143 interrupted\n";

static void run_usage(FILE *f)
{
    struct mc_buf schemes = {0};
    mc_scheme_list(&schemes, "", " ", " ");
    fputs(run_usage_head, f);
    mc_cli_print_words(f, schemes.data, RUN_USAGE_INDENT);
    fputs(run_usage_tail, f);
    mc_buf_free(&schemes);
}

struct run_cli {
    struct mc_strv targets;
    struct mc_selection sel;
    const char *report, *ca_file;
    long jobs, step_timeout;
    enum mc_render_transcripts transcripts; /* --transcript, when given */
    bool transcripts_given;
    bool verbose, quiet, insecure, fail_fast, list, keep_secrets, disposable;
    struct mc_skip_limit max_skip;
    struct mc_run_render render; /* --junit, --tap, --html */
    enum mc_color color;
    struct mc_run_view view;
    struct mc_scenario **scenarios; /* selected, in plan order */
    size_t count;
    const char *first_path; /* for the scenario set's provenance */
    struct mc_plan plan;
};

enum {
    OPT_STEP_TIMEOUT = 256,
    OPT_COLOR,
    OPT_CA_FILE,
    OPT_TAG,
    OPT_LEVEL,
    OPT_RFC,
    OPT_PROTOCOL,
    OPT_RERUN,
    OPT_LIST,
    OPT_FAIL_FAST,
    OPT_MAX_SKIP,
    OPT_KEEP_SECRETS,
    OPT_DISPOSABLE,
    OPT_JUNIT,
    OPT_TAP,
    OPT_HTML,
    OPT_TAP_VERSION,
    OPT_TRANSCRIPT,
};

static const struct option run_longopts[] = {
    {"target", required_argument, NULL, 't'},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"insecure", no_argument, NULL, 'k'},
    {"report", required_argument, NULL, 'r'},
    {"jobs", required_argument, NULL, 'j'},
    {"step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT},
    {"filter", required_argument, NULL, 'f'},
    {"exclude", required_argument, NULL, 'x'},
    {"tag", required_argument, NULL, OPT_TAG},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"rfc", required_argument, NULL, OPT_RFC},
    {"protocol", required_argument, NULL, OPT_PROTOCOL},
    {"rerun-failed", required_argument, NULL, OPT_RERUN},
    {"list", no_argument, NULL, OPT_LIST},
    {"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
    {"max-skip", required_argument, NULL, OPT_MAX_SKIP},
    {"keep-secrets", no_argument, NULL, OPT_KEEP_SECRETS},
    {"disposable-users", no_argument, NULL, OPT_DISPOSABLE},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"tap", required_argument, NULL, OPT_TAP},
    {"html", required_argument, NULL, OPT_HTML},
    {"tap-version", required_argument, NULL, OPT_TAP_VERSION},
    {"transcript", required_argument, NULL, OPT_TRANSCRIPT},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {0, 0, 0, 0}};

/* One option; false (with a message in err) when its value is bad. */
static bool parse_option(struct run_cli *c, int ch, const char *arg, struct mc_buf *err)
{
    bool ok = true;
    switch (ch) {
    case 't':
        mc_strv_push_str(&c->targets, arg);
        break;
    case OPT_CA_FILE:
        c->ca_file = arg;
        break;
    case 'k':
        c->insecure = true;
        break;
    case 'r':
        c->report = arg;
        break;
    case 'f':
        mc_strv_push_str(&c->sel.ids, arg);
        break;
    case 'x':
        mc_strv_push_str(&c->sel.excludes, arg);
        break;
    case OPT_TAG:
        mc_strv_push_str(&c->sel.tags, arg);
        break;
    case OPT_LEVEL:
        return mc_selection_add_level(&c->sel, arg, err) == 0;
    case OPT_RFC:
        return mc_selection_add_rfc(&c->sel, arg, err) == 0;
    case OPT_PROTOCOL:
        return mc_selection_add_protocol(&c->sel, arg, err) == 0;
    case OPT_RERUN:
        return mc_selection_rerun_failed(&c->sel, arg, err) == 0;
    case OPT_LIST:
        c->list = true;
        break;
    case OPT_FAIL_FAST:
        c->fail_fast = true;
        break;
    case OPT_MAX_SKIP:
        return mc_skip_limit_parse(arg, &c->max_skip, err) == 0;
    case OPT_KEEP_SECRETS:
        c->keep_secrets = true;
        break;
    case OPT_DISPOSABLE:
        c->disposable = true;
        break;
    case OPT_JUNIT:
        c->render.out[MC_RUN_RENDER_JUNIT] = arg;
        break;
    case OPT_TAP:
        c->render.out[MC_RUN_RENDER_TAP] = arg;
        break;
    case OPT_HTML:
        c->render.out[MC_RUN_RENDER_HTML] = arg;
        break;
    case OPT_TAP_VERSION:
        ok = mc_cli_parse_tap_version(arg, &c->render.tap_version) == 0;
        if (!ok)
            mc_buf_append_str(err, "--tap-version takes 14 or 13");
        break;
    case OPT_TRANSCRIPT:
        c->transcripts_given = true;
        ok = mc_cli_parse_transcripts(arg, &c->transcripts) == 0;
        if (!ok)
            mc_buf_printf(err, "--transcript takes all, failed or none, not '%s'", arg);
        break;
    case 'v':
        c->verbose = true;
        break;
    case 'q':
        c->quiet = true;
        break;
    case 'j':
        c->jobs = mc_cli_number(arg, 1, 1024, &ok);
        if (!ok)
            mc_buf_append_str(err, "--jobs takes a number from 1 to 1024");
        break;
    case OPT_STEP_TIMEOUT:
        return mc_cli_step_timeout_option(arg, &c->step_timeout, err);
    case OPT_COLOR:
        return mc_cli_color_option(arg, &c->color, err);
    default:
        return false; /* getopt has said what is wrong */
    }
    return ok;
}

static int parse_args(int argc, char **argv, struct run_cli *c)
{
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:kr:j:f:x:vqh", run_longopts, NULL)) != -1) {
        if (ch == 'h') {
            run_usage(stdout);
            exit(MC_EXIT_OK);
        }
        struct mc_buf err = {0};
        bool ok = parse_option(c, ch, optarg, &err);
        if (err.len)
            fprintf(stderr, "mailconform run: %s\n", err.data);
        mc_buf_free(&err);
        if (!ok)
            return -1;
    }
    if (optind >= argc) {
        fputs("mailconform run: no scenario PATH given (try: mailconform run scenarios)\n", stderr);
        return -1;
    }
    return 0;
}

/* Loads every scenario and keeps the selected ones. A broken file stops the run before it
   starts (exit 2), and so does a selection that leaves nothing: a run that tests nothing must
   never look like a pass. */
static int load_scenarios(const struct run_cli *c, char **paths, size_t n,
                          struct mc_scenario ***out, size_t *count)
{
    struct mc_buf errors = {0};
    struct mc_scenario **all;
    size_t loaded;
    int rc = mc_scenario_load_all((const char *const *)paths, n, &all, &loaded, NULL, &errors);
    *out = all;
    *count = 0;
    struct mc_strv left_out = {0}; /* --list: why the others are not taken */
    for (size_t i = 0; i < loaded; i++) {
        const char *why;
        if (mc_selection_match(&c->sel, all[i], &why)) {
            all[(*count)++] = all[i];
            continue;
        }
        if (c->list)
            mc_strv_push_str(&left_out, why);
        mc_scenario_free(all[i]);
    }
    if (c->list && left_out.count)
        mc_view_not_selected(&c->view, &left_out);
    mc_strv_free(&left_out);
    if (rc != 0) {
        fprintf(stderr, "mailconform run: the scenarios have errors (nothing was run):\n%s",
                errors.data ? errors.data : "");
    } else if (*count == 0) {
        fprintf(stderr,
                "mailconform run: no scenario to run: %zu loaded from the given PATH%s, "
                "none %s (nothing was run)\n",
                loaded, n > 1 ? "s" : "",
                mc_selection_narrows(&c->sel) ? "matches the selection options" : "found");
        rc = -1;
    }
    mc_buf_free(&errors);
    return rc;
}

/* --- the plan's callbacks --- */

static void on_probed(void *arg, const struct mc_run_result *r)
{
    struct run_cli *c = arg;
    mc_view_probed(&c->view, r, c->plan.target);
}

static void on_finished(void *arg, const struct mc_scenario_result *r, size_t done, size_t total)
{
    const struct run_cli *c = arg;
    mc_view_finished(&c->view, r, done, total);
}

static void on_interrupted(void *arg, const char *why, int sig)
{
    struct run_cli *c = arg;
    mc_view_clear_progress(&c->view);
    fprintf(c->view.out, "%s: stopping (the report will be written; %s again to quit at once)\n",
            why, mc_interrupt_name(sig));
    fflush(c->view.out);
}

static json_t *strv_array(const struct mc_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->count; i++)
        json_array_append_new(a, json_string(v->items[i].ptr));
    return a;
}

/* The options that shaped the run, for the report (never a password: URLs are given as the
   target's source, which never holds one). */
static char *options_json(const struct run_cli *c)
{
    json_t *levels = json_array(), *rfcs = json_array();
    for (int l = MC_LEVEL_MUST; l <= MC_LEVEL_MAY; l++)
        if (c->sel.levels & (1u << l))
            json_array_append_new(levels, json_string(mc_level_name((enum mc_level)l)));
    for (size_t i = 0; i < c->sel.rfc_count; i++)
        json_array_append_new(rfcs, json_integer(c->sel.rfcs[i]));
    json_t *sel = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "filter",
                            strv_array(&c->sel.ids), "exclude", strv_array(&c->sel.excludes), "tag",
                            strv_array(&c->sel.tags), "level", levels, "rfc", rfcs, "protocol",
                            strv_array(&c->sel.protocols), "rerun_failed", c->sel.rerun);
    json_t *max_skip = json_null();
    if (c->max_skip.set) {
        char text[64];
        snprintf(text, sizeof text, "%g%s", c->max_skip.value, c->max_skip.percent ? "%" : "");
        max_skip = json_string(text);
    }
    json_t *o =
        json_pack("{s:i, s:i, s:b, s:o, s:b, s:b, s:b, s:b, s:o, s:o}", "jobs", (int)c->jobs,
                  "step_timeout_ms", (int)c->step_timeout, "insecure", c->insecure, "ca_file",
                  c->ca_file ? json_string(c->ca_file) : json_null(), "fail_fast", c->fail_fast,
                  "list", c->list, "keep_secrets", c->keep_secrets, "disposable_users",
                  c->disposable, "max_skip", max_skip, "selection", sel);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

/* The summary and the JSON report (from the sink the scenarios were written to as they
   finished); the exit status. */
static int conclude(void *arg, struct mc_run_result *res, struct mc_report_sink *sink)
{
    const struct run_cli *c = arg;
    struct mc_buf err = {0};
    struct mc_verdict verdict;
    mc_verdict_of(res, &c->max_skip, &verdict);
    mc_view_summary(&c->view, res, &verdict);
    res->options_json = options_json(c);
    res->scenario_set_json = mc_provenance_scenario_set(c->scenarios, c->count, c->first_path);
    /* --list judges without running: it passes unless it was interrupted */
    bool listed = c->list && !res->stop_signal;
    res->verdict = listed ? "list" : verdict.word;
    res->verdict_text = verdict.line;
    res->exit_status = listed ? MC_EXIT_OK : verdict.exit_status;
    int rc = res->exit_status;
    if (sink && mc_report_sink_finish(sink, res, &err) != 0) {
        fprintf(stderr, "mailconform run: cannot write the report %s: %s\n", c->render.report_path,
                err.data ? err.data : "");
        rc = MC_EXIT_USAGE;
    } else {
        if (c->report && strcmp(c->report, "-") != 0 && !c->quiet)
            fprintf(c->view.out, "report: %s\n", c->report);
        rc = mc_run_render_finish(&c->render, rc);
    }
    mc_buf_free(&err);
    return rc;
}

/* Starts the target (the embedded server unless --target), runs, reports. The exit status. */
static int run_scenarios(struct run_cli *c)
{
    c->plan = (struct mc_plan){
        .command = "run",
        .targets = &c->targets,
        .ca_file = c->ca_file,
        .disposable = c->disposable,
        .report = c->render.report_path, /* --report, or a temporary file (run_render.h) */
        .progress_line = c->view.progress,
        .options = {.jobs = (int)c->jobs,
                    .step_timeout_ms = (int)c->step_timeout,
                    .insecure = c->insecure,
                    .fail_fast = c->fail_fast,
                    .keep_secrets = c->keep_secrets,
                    .dry_run = c->list,
                    .probed = on_probed,
                    .finished = on_finished,
                    .arg = c},
        .conclude = conclude,
        .interrupted = on_interrupted,
    };
    return mc_plan_execute(&c->plan, c->scenarios, c->count);
}

int mc_cmd_run(int argc, char **argv)
{
    struct run_cli c = {.jobs = sysconf(_SC_NPROCESSORS_ONLN),
                        .step_timeout = MC_STEP_TIMEOUT_DEFAULT_MS};
    int rc = MC_EXIT_USAGE;
    if (parse_args(argc, argv, &c) != 0) {
        fputs("\n", stderr);
        run_usage(stderr);
    } else {
        if (c.jobs < 1)
            c.jobs = 1;
        bool json_to_stdout = c.report && strcmp(c.report, "-") == 0;
        /* a rendering to stdout: people read stderr */
        for (int k = 0; k < MC_RUN_RENDER_COUNT; k++)
            json_to_stdout |= c.render.out[k] && strcmp(c.render.out[k], "-") == 0;
        c.view = (struct mc_run_view){
            .out = json_to_stdout ? stderr : stdout,
            /* an explicit --transcript wins over -v, whatever their order */
            .transcripts = c.transcripts_given ? c.transcripts
                           : c.verbose         ? MC_TRANSCRIPTS_FAILED
                                               : MC_TRANSCRIPTS_NONE,
            .quiet = c.quiet,
            .progress = isatty(fileno(stderr)) && !c.quiet,
            .list = c.list,
            .insecure = c.insecure,
        };
        mc_cli_color_init(c.color, c.view.out);
        c.render.user_report = c.report;
        /* the renderings show failed transcripts unless --transcript says otherwise */
        c.render.transcripts = c.transcripts_given ? c.transcripts : MC_TRANSCRIPTS_FAILED;
        c.first_path = argv[optind];
        if (mc_run_render_prepare(&c.render) == 0 &&
            load_scenarios(&c, argv + optind, (size_t)(argc - optind), &c.scenarios, &c.count) == 0)
            rc = run_scenarios(&c);
        mc_run_render_cleanup(&c.render);
    }
    for (size_t i = 0; i < c.count; i++)
        mc_scenario_free(c.scenarios[i]);
    free(c.scenarios);
    mc_strv_free(&c.targets);
    mc_selection_free(&c.sel);
    return rc;
}
