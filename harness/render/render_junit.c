/*
 * render_junit — a saved report as JUnit XML (render.h), the Ant format that Jenkins, GitLab and
 * GitHub actions read; tests/schema/junit.xsd is the schema it is checked against.
 *
 *   <testsuites>                 the run's totals
 *     <testsuite name="mailconform.imap">   one per protocol group: the protocol all the
 *                                scenario's sessions use; "cross" for several; "none" for none
 *       <properties>             target, verdict, tool and scenario set: from the report
 *       <testcase name=ID classname="mailconform.imap" time=duration_s file=FILE status=OUTCOME>
 *         fail      <failure type="violation" message="why; expected ..., got ... (RFC, LEVEL)">
 *                   the failing step: FILE:LINE:COL, expected, got, why, RFC and level, rationale
 *         error     <error type=CAUSE message=REASON>   reason, hint (docs/cli.md, causes)
 *         skip      <skipped message=REASON/>, not_run too ("not run: REASON")
 *         deviation passes; <system-out> starts with "known deviation: REASON" and the failure
 *         <system-out> the transcript (render_transcript.c), per --transcript (default: failed)
 *
 * Text is escaped for XML 1.0 (render_common.c): bytes XML forbids appear as the report's
 * \xHH, never raw, so the file is always well-formed UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "render/render_common.h"
#include "render/render_transcript.h"
#include "render/report_read.h"

#define JUNIT_CLASS_PREFIX "mailconform."

struct counts {
    long long tests, failures, errors, skipped;
    double time;
};

static void count(struct counts *n, const json_t *sc)
{
    const char *o = mc_rj_str(sc, "outcome", "");
    n->tests++;
    n->failures += strcmp(o, "fail") == 0;
    n->errors += strcmp(o, "error") == 0;
    n->skipped += strcmp(o, "skip") == 0 || strcmp(o, "not_run") == 0;
    double d = mc_rj_num(sc, "duration_s", 0);
    n->time += d > 0 ? d : 0;
}

static void attr(struct mc_buf *b, const char *name, const char *value)
{
    mc_buf_printf(b, " %s=\"", name);
    mc_render_xml_escape_str(b, value ? value : "", true);
    mc_buf_append_char(b, '"');
}

static void counts_attrs(struct mc_buf *b, const struct counts *n, bool skipped)
{
    mc_buf_printf(b, " tests=\"%lld\" failures=\"%lld\" errors=\"%lld\"", n->tests, n->failures,
                  n->errors);
    if (skipped)
        mc_buf_printf(b, " skipped=\"%lld\"", n->skipped);
    mc_buf_append_str(b, " time=\"");
    mc_render_seconds(b, n->time);
    mc_buf_append_char(b, '"');
}

/* The Ant format's timestamp: xs:dateTime without a zone ("2026-11-23T10:00:00"), here UTC;
   the exact time is the `started` property. Left out when `started` is not such a time. */
static void timestamp_attr(struct mc_buf *b, const json_t *report)
{
    const char *started = mc_rj_str(report, "started", NULL);
    if (!started || strlen(started) < 19 || started[10] != 'T')
        return;
    mc_buf_printf(b, " timestamp=\"%.19s\"", started);
}

static void property(struct mc_buf *b, const char *name, const char *value)
{
    if (!value)
        return;
    mc_buf_append_str(b, "      <property");
    attr(b, "name", name);
    attr(b, "value", value);
    mc_buf_append_str(b, "/>\n");
}

static void properties(struct mc_buf *b, const json_t *report)
{
    const json_t *target = mc_rj_obj(report, "target"), *run = mc_rj_obj(report, "run");
    const json_t *set = mc_rj_obj(run, "scenario_set"), *tool = mc_rj_obj(report, "tool");
    char status[32];
    snprintf(status, sizeof status, "%lld", mc_rj_int(run, "exit_status", -1));
    mc_buf_append_str(b, "    <properties>\n");
    property(b, "target", mc_rj_str(target, "name", "?"));
    property(b, "target.source", mc_rj_str(target, "source", NULL));
    property(b, "verdict", mc_rj_str(run, "verdict", "?"));
    property(b, "verdict_text", mc_rj_str(run, "verdict_text", NULL));
    property(b, "exit_status", status);
    property(b, "stopped", mc_rj_str(run, "stopped", NULL));
    property(b, "started", mc_rj_str(report, "started", NULL));
    property(b, "tool.version", mc_rj_str(tool, "version", NULL));
    property(b, "scenario_set.sha256", mc_rj_str(set, "sha256", NULL));
    property(b, "scenario_set.git_revision", mc_rj_str(set, "git_revision", NULL));
    mc_buf_append_str(b, "    </properties>\n");
}

/* "why; expected {...}, got '...' (RFC 1939 section 5, MUST)": the message CI shows first. */
static void failure_message(const json_t *sc, struct mc_buf *m)
{
    const json_t *f = mc_rj_obj(sc, "failure");
    if (!f) {
        mc_buf_append_str(m, mc_rj_str(sc, "reason", "failed"));
        return;
    }
    mc_buf_append_str(m, mc_rj_str(f, "why", "failed"));
    char *expected = mc_render_expected_json(f);
    const char *got = mc_rj_str(f, "got", NULL);
    if (expected)
        mc_buf_printf(m, "; expected %s", expected);
    if (got)
        mc_buf_printf(m, "; got %s", got);
    free(expected);
    mc_buf_append_str(m, " (");
    const json_t *refs = mc_rj_arr(f, "rfc");
    if (json_array_size(refs)) {
        mc_rj_rfc_text(refs, m);
        mc_buf_append_str(m, ", ");
    }
    mc_buf_printf(m, "%s; at ", mc_rj_str(f, "level", "?"));
    mc_render_failure_at(sc, m);
    mc_buf_append_char(m, ')');
}

/* One result element (<failure>, <error>, <skipped>) with `message` and a text body. */
static void result_element(struct mc_buf *b, const char *element, const char *type,
                           const char *message, const char *body)
{
    mc_buf_printf(b, "      <%s", element);
    if (type)
        attr(b, "type", type);
    attr(b, "message", message);
    if (!body || !*body) {
        mc_buf_append_str(b, "/>\n");
        return;
    }
    mc_buf_append_char(b, '>');
    mc_render_xml_escape_str(b, body, false);
    mc_buf_printf(b, "</%s>\n", element);
}

static void outcome_element(struct mc_buf *b, const json_t *sc, const char *outcome)
{
    struct mc_buf msg = {0}, body = {0};
    const char *reason = mc_rj_str(sc, "reason", NULL);
    if (strcmp(outcome, "fail") == 0) {
        failure_message(sc, &msg);
        if (reason)
            mc_buf_printf(&body, "%s\n", reason);
        mc_render_failure_block(sc, "", &body);
        result_element(b, "failure", "violation", msg.data, body.data);
    } else if (strcmp(outcome, "error") == 0) {
        const char *cause = mc_rj_str(sc, "cause", NULL);
        mc_buf_printf(&body, "cause: %s\nreason: %s\n", cause ? cause : "?", reason ? reason : "?");
        if (mc_rj_str(sc, "hint", NULL))
            mc_buf_printf(&body, "hint: %s\n", mc_rj_str(sc, "hint", ""));
        mc_render_failure_block(sc, "", &body);
        result_element(b, "error", cause ? cause : "error", reason ? reason : "error", body.data);
    } else if (strcmp(outcome, "skip") == 0) {
        result_element(b, "skipped", NULL, reason ? reason : "skipped", NULL);
    } else if (strcmp(outcome, "not_run") == 0) {
        mc_buf_printf(&msg, "not run: %s", reason ? reason : "?");
        result_element(b, "skipped", NULL, msg.data, NULL);
    }
    mc_buf_free(&msg);
    mc_buf_free(&body);
}

static void system_out(struct mc_buf *b, const json_t *sc, const char *outcome,
                       const struct mc_render_options *opts)
{
    struct mc_buf text = {0};
    if (strcmp(outcome, "deviation") == 0) {
        mc_buf_printf(&text, "known deviation (the target's profile accepts it): %s\n",
                      mc_rj_str(sc, "reason", "?"));
        mc_render_failure_block(sc, "", &text);
    }
    if (mc_render_warning_count(sc)) { /* soft checks below MUST: shown, never a <failure> */
        if (text.len)
            mc_buf_append_char(&text, '\n');
        mc_buf_printf(&text, "%zu warning(s): soft checks below MUST failed\n",
                      mc_render_warning_count(sc));
        mc_render_warnings_block(sc, "", &text);
    }
    if (mc_render_wants_transcript(sc, opts->transcripts)) {
        if (text.len)
            mc_buf_append_char(&text, '\n');
        mc_buf_printf(&text, "transcript of %s:\n", mc_rj_str(sc, "id", "?"));
        mc_render_transcript(sc, NULL, &text);
    }
    if (text.len) {
        mc_buf_append_str(b, "      <system-out>");
        mc_render_xml_escape(b, text.data, text.len, false);
        mc_buf_append_str(b, "</system-out>\n");
    }
    mc_buf_free(&text);
}

static void testcase(struct mc_buf *b, const json_t *sc, const char *group,
                     const struct mc_render_options *opts)
{
    const char *outcome = mc_rj_str(sc, "outcome", "?");
    struct mc_buf classname = {0};
    mc_buf_printf(&classname, JUNIT_CLASS_PREFIX "%s", group);
    mc_buf_append_str(b, "    <testcase");
    attr(b, "name", mc_rj_str(sc, "id", "?"));
    attr(b, "classname", classname.data);
    mc_buf_append_str(b, " time=\"");
    mc_render_seconds(b, mc_rj_num(sc, "duration_s", 0));
    mc_buf_append_char(b, '"');
    if (mc_rj_str(sc, "file", NULL))
        attr(b, "file", mc_rj_str(sc, "file", NULL));
    attr(b, "status", outcome);
    struct mc_buf children = {0};
    outcome_element(&children, sc, outcome);
    system_out(&children, sc, outcome, opts);
    if (children.len)
        mc_buf_printf(b, ">\n%s    </testcase>\n", children.data);
    else
        mc_buf_append_str(b, "/>\n");
    mc_buf_free(&children);
    mc_buf_free(&classname);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The protocol groups that occur, sorted by name, in groups (the caller frees the array). */
static size_t collect_groups(const json_t *scenarios, const char ***groups)
{
    size_t n = 0, i;
    const json_t *sc;
    *groups = mc_xcalloc(json_array_size(scenarios) + 1, sizeof **groups);
    json_array_foreach(scenarios, i, sc)
    {
        const char *g = mc_render_protocol_group(sc);
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp((*groups)[k], g) == 0;
        if (!seen)
            (*groups)[n++] = g;
    }
    qsort(*groups, n, sizeof **groups, name_cmp);
    return n;
}

static void testsuite(struct mc_buf *b, const json_t *report, const char *group, size_t id,
                      const struct mc_render_options *opts)
{
    const json_t *scenarios = mc_rj_arr(report, "scenarios");
    struct counts n = {0};
    size_t i;
    const json_t *sc;
    json_array_foreach(scenarios, i, sc) if (strcmp(mc_render_protocol_group(sc), group) == 0)
        count(&n, sc);
    mc_buf_append_str(b, "  <testsuite");
    struct mc_buf name = {0};
    mc_buf_printf(&name, JUNIT_CLASS_PREFIX "%s", group);
    attr(b, "name", name.data);
    mc_buf_free(&name);
    counts_attrs(b, &n, true);
    timestamp_attr(b, report);
    mc_buf_printf(b, " id=\"%zu\">\n", id);
    properties(b, report);
    json_array_foreach(scenarios, i, sc) if (strcmp(mc_render_protocol_group(sc), group) == 0)
        testcase(b, sc, group, opts);
    mc_buf_append_str(b, "  </testsuite>\n");
}

/* A run that could not test the target, or was interrupted, is an error of its own in a suite
   "mailconform.run": without it a CI system would count only the scenarios, all skipped or
   not run, and show green. */
static void run_suite(struct mc_buf *b, const json_t *report, size_t id)
{
    const char *verdict = mc_render_run_not_tested(report);
    if (!verdict)
        return;
    const json_t *run = mc_rj_obj(report, "run");
    struct counts n = {.tests = 1, .errors = 1};
    mc_buf_append_str(b, "  <testsuite");
    attr(b, "name", JUNIT_CLASS_PREFIX "run");
    counts_attrs(b, &n, true);
    timestamp_attr(b, report);
    mc_buf_printf(b, " id=\"%zu\">\n", id);
    properties(b, report);
    mc_buf_append_str(b, "    <testcase");
    attr(b, "name", MC_RENDER_RUN_TEST);
    attr(b, "classname", JUNIT_CLASS_PREFIX "run");
    mc_buf_append_str(b, " time=\"0\">\n");
    struct mc_buf body = {0};
    const char *stopped = mc_rj_str(run, "stopped", NULL);
    mc_buf_printf(&body, "exit status %lld%s%s", mc_rj_int(run, "exit_status", -1),
                  stopped ? "; stopped: " : "", stopped ? stopped : "");
    result_element(b, "error", verdict, mc_rj_str(run, "verdict_text", verdict), body.data);
    mc_buf_free(&body);
    mc_buf_append_str(b, "    </testcase>\n  </testsuite>\n");
}

int mc_render_junit(FILE *out, const json_t *report, const struct mc_render_options *opts,
                    struct mc_buf *err)
{
    (void)err;
    const struct mc_render_options fallback = {.transcripts = MC_TRANSCRIPTS_FAILED};
    if (!opts)
        opts = &fallback;
    const json_t *scenarios = mc_rj_arr(report, "scenarios");
    struct counts total = {0};
    size_t i;
    const json_t *sc;
    json_array_foreach(scenarios, i, sc) count(&total, sc);
    if (mc_render_run_not_tested(report)) { /* the run-verdict test case (run_suite) */
        total.tests++;
        total.errors++;
    }
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<!-- a mailconform report as JUnit XML (docs/report-format.md, "
                          "Rendering) -->\n<testsuites name=\"mailconform\"");
    counts_attrs(&b, &total, false);
    mc_buf_append_str(&b, ">\n");
    const char **groups;
    size_t n = collect_groups(scenarios, &groups);
    for (size_t g = 0; g < n; g++) {
        testsuite(&b, report, groups[g], g, opts);
        fwrite(b.data, 1, b.len, out); /* one suite at a time: the buffer stays small */
        mc_buf_reset(&b);
    }
    free(groups);
    run_suite(&b, report, n);
    mc_buf_append_str(&b, "</testsuites>\n");
    fwrite(b.data, 1, b.len, out);
    mc_buf_free(&b);
    return 0;
}
