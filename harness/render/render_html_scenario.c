/*
 * render_html_scenario — the scenarios section of the HTML report: the filter form (outcome,
 * protocol, level, tag; report.js makes it work, from the URL fragment too) and each scenario
 * as a <details> element, collapsed unless it failed or had an error: its id, title,
 * description, level, RFC links, outcome with reason, cause and hint, the failing step with
 * expected and received side by side, then its steps and transcript
 * (render_html_transcript.c).
 *
 * Each <details class="scenario"> carries what the filters read: data-outcome, data-level,
 * data-protocols (the protocols its sessions use) and data-tags, tokens percent-encoded
 * (mc_html_token) and separated by spaces.
 */
#include <stdlib.h>
#include <string.h>

#include "render/html.h"
#include "render/report_read.h"

static const char *const levels[] = {"MUST", "SHOULD", "MAY", NULL};

/* The protocols a scenario's sessions use, each once, into `set` (a JSON object). */
static void protocols_of(const json_t *sc, json_t *set)
{
    size_t i;
    const json_t *session;
    json_array_foreach(mc_rj_arr(sc, "sessions"), i, session)
    {
        const char *p = mc_rj_str(session, "protocol", NULL);
        if (p)
            json_object_set_new(set, p, json_true());
    }
}

static void tags_of(const json_t *sc, json_t *set)
{
    size_t i;
    const json_t *tag;
    json_array_foreach(mc_rj_arr(sc, "tags"), i, tag)
    {
        if (json_is_string(tag))
            json_object_set_new(set, json_string_value(tag), json_true());
    }
}

static void checkbox(FILE *f, const char *group, const char *value, long long count)
{
    fprintf(f, "<label><input type=\"checkbox\" name=\"%s\" value=\"", group);
    mc_html_token(f, value);
    fputs("\" checked> ", f);
    mc_html_text(f, value);
    if (count >= 0)
        fprintf(f, " (%lld)", count);
    fputs("</label>\n", f);
}

static void write_filters(FILE *f, const json_t *report)
{
    const json_t *scenarios = mc_rj_arr(report, "scenarios");
    const json_t *summary = mc_rj_obj(report, "summary");
    json_t *protocols = json_object(), *tags = json_object();
    size_t i, n;
    const json_t *sc;
    json_array_foreach(scenarios, i, sc)
    {
        protocols_of(sc, protocols);
        tags_of(sc, tags);
    }
    fputs("<form class=\"filters\" id=\"filters\" hidden aria-label=\"Filter the scenarios\">\n"
          "<fieldset><legend>Outcome</legend>\n",
          f);
    for (size_t o = 0; mc_html_outcomes[o]; o++)
        checkbox(f, "outcome", mc_html_outcomes[o], mc_rj_int(summary, mc_html_outcomes[o], 0));
    fputs("</fieldset>\n<fieldset><legend>Protocol</legend>\n", f);
    const char **keys = mc_html_sorted_keys(protocols, &n);
    for (i = 0; i < n; i++)
        checkbox(f, "protocol", keys[i], -1);
    free(keys);
    fputs("</fieldset>\n<fieldset><legend>Level</legend>\n", f);
    for (size_t l = 0; levels[l]; l++)
        checkbox(f, "level", levels[l], -1);
    fputs("</fieldset>\n<fieldset><legend><label for=\"filter-tag\">Tag (any of)</label>"
          "</legend>\n<select id=\"filter-tag\" name=\"tag\" multiple size=\"5\">\n",
          f);
    keys = mc_html_sorted_keys(tags, &n);
    for (i = 0; i < n; i++) {
        fputs("<option value=\"", f);
        mc_html_token(f, keys[i]);
        fputs("\">", f);
        mc_html_text(f, keys[i]);
        fputs("</option>\n", f);
    }
    free(keys);
    fputs("</select>\n</fieldset>\n<p><button type=\"button\" id=\"filter-reset\">Show all"
          "</button> <button type=\"button\" id=\"open-all\">Expand shown</button> "
          "<button type=\"button\" id=\"close-all\">Collapse shown</button></p>\n"
          "<p class=\"legend\">A link to this page ending in a fragment such as "
          "<code>#outcome=fail,error&amp;protocol=imap&amp;tag=idle</code> opens it filtered; "
          "the fragment follows the filters.</p>\n</form>\n",
          f);
    json_decref(protocols);
    json_decref(tags);
}

static void data_tokens(FILE *f, const char *attr, const json_t *set_or_array)
{
    fprintf(f, " data-%s=\"", attr);
    size_t i, n = 0;
    const json_t *v;
    if (json_is_array(set_or_array)) {
        json_array_foreach(set_or_array, i, v)
        {
            if (!json_is_string(v))
                continue;
            fputs(n++ ? " " : "", f);
            mc_html_token(f, json_string_value(v));
        }
    } else {
        const char *key;
        json_object_foreach((json_t *)set_or_array, key, v)
        {
            fputs(n++ ? " " : "", f);
            mc_html_token(f, key);
        }
    }
    fputs("\"", f);
}

static void open_details(FILE *f, const json_t *sc)
{
    const char *outcome = mc_rj_str(sc, "outcome", "?");
    bool open = strcmp(outcome, "fail") == 0 || strcmp(outcome, "error") == 0;
    json_t *protocols = json_object();
    protocols_of(sc, protocols);
    fputs("<details class=\"scenario o-", f);
    mc_html_token(f, outcome);
    fputs("\" id=\"", f);
    mc_html_id(f, "sc-", mc_rj_str(sc, "id", "?"));
    fputs("\" data-outcome=\"", f);
    mc_html_token(f, outcome);
    fputs("\" data-level=\"", f);
    mc_html_token(f, mc_rj_str(sc, "level", ""));
    fputs("\"", f);
    data_tokens(f, "protocols", protocols);
    data_tokens(f, "tags", mc_rj_arr(sc, "tags"));
    fputs(open ? " open>\n" : ">\n", f);
    json_decref(protocols);
}

static void write_summary_line(FILE *f, const json_t *sc)
{
    fputs("<summary>", f);
    mc_html_badge(f, mc_rj_str(sc, "outcome", "?"));
    fputs(" <code class=\"sid\">", f);
    mc_html_text(f, mc_rj_str(sc, "id", "?"));
    fputs("</code> ", f);
    mc_html_text(f, mc_rj_str(sc, "title", ""));
    size_t warnings = json_array_size(mc_rj_arr(sc, "warnings"));
    if (warnings)
        fprintf(f, " <span class=\"badge warned\">%zu warning%s</span>", warnings,
                warnings == 1 ? "" : "s");
    fputs(" <span class=\"meta\">", f);
    mc_html_text(f, mc_rj_str(sc, "level", ""));
    fputs("</span></summary>\n", f);
}

static void string_list(FILE *f, const json_t *arr)
{
    size_t i;
    const json_t *v;
    if (json_array_size(arr) == 0)
        fputs("none", f);
    json_array_foreach(arr, i, v)
    {
        fputs(i ? ", <code>" : "<code>", f);
        mc_html_text(f, json_string_value(v));
        fputs("</code>", f);
    }
}

static void write_facts(FILE *f, const json_t *sc)
{
    if (mc_rj_str(sc, "description", NULL)) {
        fputs("<p class=\"desc\">", f);
        mc_html_text(f, mc_rj_str(sc, "description", NULL));
        fputs("</p>\n", f);
    }
    fputs("<dl class=\"facts\">\n<dt>Level</dt><dd>", f);
    mc_html_text(f, mc_rj_str(sc, "level", "?"));
    fputs("</dd>\n<dt>RFC</dt><dd>", f);
    mc_html_rfc_links(f, mc_rj_arr(sc, "rfc"));
    fputs("</dd>\n<dt>File</dt><dd><code>", f);
    mc_html_text(f, mc_rj_str(sc, "file", "—"));
    fputs("</code></dd>\n<dt>Tags</dt><dd>", f);
    string_list(f, mc_rj_arr(sc, "tags"));
    fputs("</dd>\n<dt>Requires</dt><dd>", f);
    string_list(f, mc_rj_arr(sc, "requires"));
    fputs("</dd>\n<dt>Test users</dt><dd>", f);
    string_list(f, mc_rj_arr(sc, "users"));
    fprintf(f, "</dd>\n<dt>Duration</dt><dd>%.3f s, started ", mc_rj_num(sc, "duration_s", 0));
    mc_html_text(f, mc_rj_str(sc, "started", "?"));
    fputs("</dd>\n</dl>\n", f);
}

static void write_problem(FILE *f, const json_t *sc)
{
    const char *reason = mc_rj_str(sc, "reason", NULL);
    const char *cause = mc_rj_str(sc, "cause", NULL);
    const char *hint = mc_rj_str(sc, "hint", NULL);
    if (!reason && !cause && !hint)
        return;
    fputs("<div class=\"problem\">", f);
    if (cause) {
        fputs("<strong>Cause: <code>", f);
        mc_html_text(f, cause);
        fputs("</code></strong><br>", f);
    }
    if (reason) {
        fputs("Reason: ", f);
        mc_html_text(f, reason);
    }
    if (hint) {
        fputs("<br>Hint: ", f);
        mc_html_text(f, hint);
    }
    fputs("</div>\n", f);
}

/* A failed step object (the failure, or a warning): where, why, expected and got. */
static void write_failed_step(FILE *f, const json_t *sc, const json_t *fail, bool warning)
{
    if (warning) {
        fputs("<section class=\"failure warning\">\n<h4>Warning, soft check (", f);
        mc_html_text(f, mc_rj_str(fail, "level", "?"));
        fputs(", not a failure): ", f);
    } else {
        fputs("<section class=\"failure\">\n<h4>Failing step: ", f);
    }
    mc_html_text(f, mc_rj_str(fail, "label", "(unnamed step)"));
    fputs(" ", f);
    mc_html_badge(f, mc_rj_str(fail, "outcome", "?"));
    fputs("</h4>\n<p>", f);
    if (mc_rj_int(fail, "line", 0) > 0) {
        fputs("At <code>", f);
        mc_html_text(f, mc_rj_str(sc, "file", "?"));
        fprintf(f, ":%lld:%lld</code>", mc_rj_int(fail, "line", 0), mc_rj_int(fail, "column", 0));
    } else {
        fputs("An implicit step (not written in the scenario file)", f);
    }
    if (mc_rj_str(fail, "session", NULL)) {
        fputs(", session <code>", f);
        mc_html_text(f, mc_rj_str(fail, "session", NULL));
        fputs("</code>", f);
    }
    fputs("; ", f);
    mc_html_text(f, mc_rj_str(fail, "level", ""));
    fputs(" per ", f);
    mc_html_rfc_links(f, mc_rj_arr(fail, "rfc"));
    fputs(". <a href=\"#", f);
    mc_html_id(f, "sc-", mc_rj_str(sc, "id", "?"));
    fprintf(f, "/step-%lld\">In the transcript</a></p>\n", mc_rj_int(fail, "position", 0));
    if (mc_rj_str(fail, "why", NULL)) {
        fputs("<p class=\"step-why\"><strong>Why it failed:</strong> ", f);
        mc_html_text(f, mc_rj_str(fail, "why", NULL));
        fputs("</p>\n", f);
    }
    mc_html_compare(f, fail);
    if (mc_rj_str(fail, "rationale", NULL)) {
        fputs("<p class=\"step-rationale\"><strong>Why this is required:</strong> ", f);
        mc_html_text(f, mc_rj_str(fail, "rationale", NULL));
        fputs("</p>\n", f);
    }
    fputs("</section>\n", f);
}

static void write_failure(FILE *f, const json_t *sc)
{
    const json_t *fail = mc_rj_obj(sc, "failure");
    if (fail)
        write_failed_step(f, sc, fail, false);
    size_t i;
    const json_t *w;
    json_array_foreach(mc_rj_arr(sc, "warnings"), i, w) if (json_is_object(w))
        write_failed_step(f, sc, w, true);
}

static bool shows_wire(const json_t *sc, const struct mc_render_options *opts)
{
    const char *outcome = mc_rj_str(sc, "outcome", "");
    switch (opts ? opts->transcripts : MC_TRANSCRIPTS_FAILED) {
    case MC_TRANSCRIPTS_ALL:
        return true;
    case MC_TRANSCRIPTS_NONE:
        return false;
    case MC_TRANSCRIPTS_FAILED:
    default:
        return strcmp(outcome, "fail") == 0 || strcmp(outcome, "error") == 0 ||
               strcmp(outcome, "deviation") == 0;
    }
}

static void write_scenario(FILE *f, const json_t *sc, const struct mc_render_options *opts)
{
    open_details(f, sc);
    write_summary_line(f, sc);
    fputs("<div class=\"body\">\n", f);
    write_facts(f, sc);
    write_problem(f, sc);
    write_failure(f, sc);
    mc_html_transcript(f, sc, shows_wire(sc, opts));
    fputs("</div>\n</details>\n", f);
}

void mc_html_scenarios(FILE *f, const json_t *report, const struct mc_render_options *opts)
{
    const json_t *scenarios = mc_rj_arr(report, "scenarios");
    size_t total = json_array_size(scenarios);
    fputs("<section aria-labelledby=\"scenarios\">\n<h2 id=\"scenarios\">Scenarios</h2>\n", f);
    write_filters(f, report);
    fprintf(f,
            "<p class=\"count-line\" aria-live=\"polite\">Showing <output id=\"shown-count\">"
            "%zu</output> of <span id=\"total-count\">%zu</span> scenario(s).</p>\n"
            "<p class=\"legend\">In the order the run planned them. Failures and errors are "
            "open; select a scenario's line to open or close it.</p>\n",
            total, total);
    size_t i;
    const json_t *sc;
    json_array_foreach(scenarios, i, sc) write_scenario(f, sc, opts);
    fputs("</section>\n", f);
}
