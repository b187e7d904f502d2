/*
 * render_html_summary — the summary section of the HTML report: counts by outcome, by
 * protocol, by level and by RFC (from the report's `summary`), base protocol versus extensions
 * (computed from the scenarios), skips by reason, errors by cause with the hints given, known
 * deviations and retired test users.
 *
 * Base versus extension: a scenario tests an extension when its `requires` names a capability
 * (`imap:IDLE`, `smtp:STARTTLS`: the target must announce it for the scenario to run); every
 * other scenario tests the base protocol, what any server of the protocol must do. Requiring an
 * endpoint (`endpoint:submission`) does not make an extension. This follows what the server
 * announces rather than which RFC is cited, because a base scenario may cite an extension's RFC
 * for one detail, and a scenario needing TOP tests what only servers announcing TOP do.
 */
#include <stdlib.h>
#include <string.h>

#include "render/html.h"
#include "render/report_read.h"

/* The COUNTS object of `key` in `map`, created with every outcome at zero. */
static json_t *counts_of(json_t *map, const char *key)
{
    json_t *counts = json_object_get(map, key);
    if (!counts) {
        counts = json_object();
        json_object_set_new(counts, "total", json_integer(0));
        for (size_t o = 0; mc_html_outcomes[o]; o++)
            json_object_set_new(counts, mc_html_outcomes[o], json_integer(0));
        json_object_set_new(map, key, counts);
    }
    return counts;
}

static void tally(json_t *map, const char *key, const char *outcome)
{
    json_t *counts = counts_of(map, key);
    json_object_set_new(counts, "total", json_integer(mc_rj_int(counts, "total", 0) + 1));
    if (json_object_get(counts, outcome))
        json_object_set_new(counts, outcome, json_integer(mc_rj_int(counts, outcome, 0) + 1));
}

/* Tallies a scenario as base or extension, and under each capability it requires. */
static void tally_extension(const json_t *sc, json_t *kinds, json_t *caps)
{
    const char *outcome = mc_rj_str(sc, "outcome", "");
    bool extension = false;
    size_t i;
    const json_t *req;
    json_array_foreach(mc_rj_arr(sc, "requires"), i, req)
    {
        const char *name = json_string_value(req);
        const char *colon = name ? strchr(name, ':') : NULL;
        if (!colon || strncmp(name, "endpoint:", 9) == 0)
            continue;
        tally(caps, name, outcome);
        extension = true;
    }
    tally(kinds, extension ? "extension" : "base protocol", outcome);
}

static void write_base_vs_extensions(FILE *f, const json_t *report)
{
    json_t *kinds = json_object();
    json_t *caps = json_object();
    counts_of(kinds, "base protocol");
    counts_of(kinds, "extension");
    size_t i;
    const json_t *sc;
    json_array_foreach(mc_rj_arr(report, "scenarios"), i, sc) tally_extension(sc, kinds, caps);
    fputs("<h3 id=\"base-extensions\">Base protocol and extensions</h3>\n"
          "<p class=\"legend\">A scenario tests an <em>extension</em> when it requires a "
          "capability that the server must announce (<code>requires</code> naming "
          "<code>imap:IDLE</code>, <code>smtp:STARTTLS</code>, ...); every other scenario "
          "tests the <em>base protocol</em>, what any server of the protocol must do. Needing "
          "an endpoint (<code>endpoint:submission</code>) does not make a scenario an "
          "extension's. A scenario requiring several capabilities counts under each.</p>\n"
          "<div class=\"tables\">\n",
          f);
    mc_html_counts_table(f, "Base protocol versus extensions", "kind", kinds, NULL);
    if (json_object_size(caps)) {
        size_t n;
        const char **names = mc_html_sorted_keys(caps, &n);
        json_t *sorted = json_object();
        for (i = 0; i < n; i++)
            json_object_set(sorted, names[i], json_object_get(caps, names[i]));
        mc_html_counts_table(f, "Extensions, by capability required", "capability", sorted, NULL);
        json_decref(sorted);
        free(names);
    }
    fputs("</div>\n", f);
    json_decref(kinds);
    json_decref(caps);
}

static void outcome_table(FILE *f, const json_t *summary)
{
    fputs("<table class=\"counts\" id=\"by-outcome\">\n<caption>By outcome</caption>\n"
          "<thead><tr><th scope=\"col\">outcome</th><th scope=\"col\" class=\"n\">scenarios"
          "</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t o = 0; mc_html_outcomes[o]; o++) {
        long long n = mc_rj_int(summary, mc_html_outcomes[o], 0);
        fputs("<tr><th scope=\"row\">", f);
        mc_html_badge(f, mc_html_outcomes[o]);
        fprintf(f, "</th><td class=\"n%s\" data-count=\"%s\">%lld</td></tr>\n", n ? "" : " zero",
                mc_html_outcomes[o], n);
    }
    fprintf(f,
            "</tbody>\n<tfoot><tr><th scope=\"row\">total</th><td class=\"n\" "
            "data-count=\"total\">%lld</td></tr></tfoot>\n</table>\n",
            mc_rj_int(summary, "total", 0));
}

static void rfc_key(FILE *f, const char *key)
{
    char *end;
    long long rfc = strtoll(key, &end, 10);
    if (*key == '\0' || *end != '\0') {
        mc_html_text(f, key);
        return;
    }
    mc_html_rfc_link(f, rfc, NULL);
    const char *name = mc_html_rfc_name(rfc);
    if (name) {
        fputs(" <span class=\"legend\">", f);
        mc_html_text(f, name);
        fputs("</span>", f);
    }
}

static void write_skips(FILE *f, const json_t *summary)
{
    const json_t *reasons = mc_rj_arr(summary, "skip_reasons");
    fputs("<h3 id=\"skips\">Skips by reason</h3>\n", f);
    if (json_array_size(reasons) == 0) {
        fputs("<p>No scenario was skipped.</p>\n", f);
        return;
    }
    fputs("<table>\n<thead><tr><th scope=\"col\">reason</th><th scope=\"col\" class=\"n\">"
          "scenarios</th></tr></thead>\n<tbody>\n",
          f);
    size_t i;
    const json_t *r;
    json_array_foreach(reasons, i, r)
    {
        fputs("<tr><td>", f);
        mc_html_text(f, mc_rj_str(r, "reason", "?"));
        fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n", mc_rj_int(r, "count", 0));
    }
    fputs("</tbody>\n</table>\n", f);
}

/* The distinct hints the scenarios with error cause `cause` carry, at most a few. */
static json_t *hints_of(const json_t *report, const char *cause)
{
    json_t *hints = json_array();
    size_t i, j;
    const json_t *sc, *seen;
    json_array_foreach(mc_rj_arr(report, "scenarios"), i, sc)
    {
        const char *hint = mc_rj_str(sc, "hint", NULL);
        if (!hint || strcmp(mc_rj_str(sc, "cause", ""), cause) != 0)
            continue;
        bool known = false;
        json_array_foreach(hints, j, seen) known =
            known || strcmp(json_string_value(seen), hint) == 0;
        if (!known)
            json_array_append_new(hints, json_string(hint));
        if (json_array_size(hints) == MC_HTML_HINTS_PER_CAUSE)
            break;
    }
    return hints;
}

static void write_errors(FILE *f, const json_t *report, const json_t *summary)
{
    const json_t *causes = mc_rj_obj(summary, "error_causes");
    fputs("<h3 id=\"errors\">Errors by cause</h3>\n", f);
    if (json_object_size(causes) == 0) {
        fputs("<p>No set-up error: every scenario could be tested.</p>\n", f);
        return;
    }
    fputs("<p class=\"legend\">An error is the tester's problem, never the server's violation: "
          "the set-up kept the scenario from being tested (docs/cli.md lists the causes).</p>\n"
          "<table>\n<thead><tr><th scope=\"col\">cause</th><th scope=\"col\" class=\"n\">"
          "scenarios</th><th scope=\"col\">what to fix</th></tr></thead>\n<tbody>\n",
          f);
    const char *cause;
    const json_t *n;
    json_object_foreach((json_t *)causes, cause, n)
    {
        fputs("<tr><th scope=\"row\"><code>", f);
        mc_html_text(f, cause);
        fprintf(f, "</code></th><td class=\"n\">%lld</td><td>",
                json_is_integer(n) ? (long long)json_integer_value(n) : 0);
        json_t *hints = hints_of(report, cause);
        size_t i;
        const json_t *hint;
        json_array_foreach(hints, i, hint)
        {
            fputs(i ? "<br>" : "", f);
            mc_html_text(f, json_string_value(hint));
        }
        json_decref(hints);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void write_deviations(FILE *f, const json_t *report)
{
    const json_t *devs = mc_rj_arr(report, "deviations");
    fputs("<h3 id=\"deviations\">Known deviations</h3>\n", f);
    if (json_array_size(devs) == 0) {
        fputs("<p>The target's profile lists no known deviation.</p>\n", f);
        return;
    }
    fputs("<p class=\"legend\">Failures the target's profile records as known and accepted; "
          "<em>stale</em>: the scenarios it names passed and none needed it.</p>\n"
          "<table>\n<thead><tr><th scope=\"col\">scenario</th><th scope=\"col\">reason</th>"
          "<th scope=\"col\" class=\"n\">applied</th><th scope=\"col\" class=\"n\">passed</th>"
          "<th scope=\"col\">stale</th></tr></thead>\n<tbody>\n",
          f);
    size_t i;
    const json_t *d;
    json_array_foreach(devs, i, d)
    {
        fputs("<tr><td><code>", f);
        mc_html_text(f, mc_rj_str(d, "scenario", "?"));
        fputs("</code></td><td>", f);
        mc_html_text(f, mc_rj_str(d, "reason", ""));
        fprintf(f, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>%s</td></tr>\n",
                mc_rj_int(d, "applied", 0), mc_rj_int(d, "passed", 0),
                mc_rj_bool(d, "stale", false) ? "stale" : "no");
    }
    fputs("</tbody>\n</table>\n", f);
}

static void write_retired(FILE *f, const json_t *report)
{
    const json_t *users = mc_rj_arr(report, "retired_users");
    fputs("<h3 id=\"retired-users\">Retired test users</h3>\n", f);
    if (json_array_size(users) == 0) {
        fputs("<p>No test user was retired.</p>\n", f);
        return;
    }
    fputs("<p class=\"legend\">Test users the run stopped handing out (their reset failed, or "
          "their login was refused as wrong credentials).</p>\n<table>\n<thead><tr>"
          "<th scope=\"col\">user</th><th scope=\"col\">cause</th><th scope=\"col\">why</th>"
          "</tr></thead>\n<tbody>\n",
          f);
    size_t i;
    const json_t *u;
    json_array_foreach(users, i, u)
    {
        fputs("<tr><td><code>", f);
        mc_html_text(f, mc_rj_str(u, "user", "?"));
        fputs("</code></td><td><code>", f);
        mc_html_text(f, mc_rj_str(u, "cause", "?"));
        fputs("</code></td><td>", f);
        mc_html_text(f, mc_rj_str(u, "why", ""));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

void mc_html_summary(FILE *f, const json_t *report)
{
    const json_t *summary = mc_rj_obj(report, "summary");
    fputs("<section aria-labelledby=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n"
          "<p class=\"legend\">Counts of scenarios by their outcome. A scenario counts once "
          "under each protocol its sessions use and under each RFC it or one of its steps "
          "cites, so those tables may add up to more than the total.</p>\n"
          "<div class=\"tables\">\n",
          f);
    outcome_table(f, summary);
    mc_html_counts_table(f, "By level", "level", mc_rj_obj(summary, "by_level"), NULL);
    mc_html_counts_table(f, "By protocol", "protocol", mc_rj_obj(summary, "by_protocol"), NULL);
    fputs("</div>\n", f);
    write_base_vs_extensions(f, report);
    mc_html_counts_table(f, "By RFC", "RFC", mc_rj_obj(summary, "by_rfc"), rfc_key);
    write_skips(f, summary);
    write_errors(f, report, summary);
    write_deviations(f, report);
    write_retired(f, report);
    fputs("</section>\n", f);
}
