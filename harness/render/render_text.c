/*
 * render_text — a saved report as the console showed it (render.h): what the probe found on
 * each endpoint, one line per scenario with the failing step (expected, got, why, the RFC and
 * level, the rationale) or the error's cause and hint, transcripts as --transcript asks
 * (render_transcript.c), and the summary: counts by outcome, level and protocol, skips by
 * reason, errors by cause with what to fix, retired users, stale deviations, unverified TLS,
 * and the verdict line. The layout follows harness/cli/run_view.c (the live console), but
 * everything comes from the JSON file, so a report from last month reads like a run just
 * finished. Scenarios are listed in the report's (the plan's) order; colour only when asked.
 */
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "render/render_common.h"
#include "render/render_transcript.h"
#include "render/report_read.h"

#define TEXT_GROUPS_SHOWN 12 /* skip reasons / error causes listed, as on the console */
#define TEXT_TRANSCRIPT_INDENT "      "

struct text {
    FILE *out;
    struct mc_buf b; /* what is written next (text_flush) */
    const json_t *report;
    bool color;
    enum mc_render_transcripts transcripts;
    struct mc_strv hints_shown; /* a dead endpoint errs every scenario with the same hint */
};

static const char *c(const struct text *t, const char *name)
{
    return mc_render_color(name, t->color);
}

/* Writes what was gathered, through the terminal filter (render_common.h): a report may come
   from anyone, and rendering it must never drive the terminal; only our colour sequences
   pass, when colour is on. */
static void text_flush(struct text *t)
{
    mc_render_terminal_write(t->out, t->b.data, t->b.len, t->color);
    mc_buf_reset(&t->b);
}

static const char *target_name(const json_t *report)
{
    const json_t *target = mc_rj_obj(report, "target");
    return mc_rj_str(target, "name", mc_rj_str(target, "source", "?"));
}

/* --- the probe --- */

static const json_t *capabilities_of(const json_t *report, const char *endpoint)
{
    size_t i;
    const json_t *cap;
    json_array_foreach(mc_rj_arr(report, "capabilities"), i, cap)
    {
        const char *name = mc_rj_str(cap, "endpoint", NULL);
        if (name && strcmp(name, endpoint) == 0)
            return cap;
    }
    return NULL;
}

static bool has_problem(const json_t *endpoint, const char *aspect)
{
    size_t i;
    const json_t *p;
    json_array_foreach(mc_rj_arr(endpoint, "problems"), i, p)
    {
        const char *a = mc_rj_str(p, "aspect", "");
        if (!aspect || strcmp(a, aspect) == 0)
            return true;
    }
    return false;
}

static void text_tls(struct text *t, const json_t *endpoint)
{
    const json_t *tls = mc_rj_obj(endpoint, "tls_seen");
    if (!tls)
        return;
    if (mc_rj_bool(tls, "verified", false))
        mc_buf_printf(&t->b, "; TLS verified (%s, until %s)", mc_rj_str(tls, "subject", "?"),
                      mc_rj_str(tls, "expires", "?"));
    else
        mc_buf_printf(&t->b, "; %sTLS NOT VERIFIED%s (%s: %s)", c(t, "yellow"), c(t, "reset"),
                      mc_rj_str(tls, "subject", "no certificate"),
                      mc_rj_str(tls, "verify_error", "?"));
}

static void text_problems(struct text *t, const json_t *endpoint)
{
    size_t i;
    const json_t *p;
    json_array_foreach(mc_rj_arr(endpoint, "problems"), i, p)
    {
        const char *aspect = mc_rj_str(p, "aspect", "endpoint");
        mc_buf_printf(&t->b, "    %sERROR%s %s %s: %s\n", c(t, "red"), c(t, "reset"),
                      strcmp(aspect, "starttls") == 0 ? "STARTTLS" : aspect,
                      mc_rj_str(p, "cause", "?"), mc_rj_str(p, "why", ""));
        const char *hint = mc_rj_str(p, "hint", NULL);
        if (hint)
            mc_buf_printf(&t->b, "          hint: %s\n", hint);
    }
}

static void text_probe(struct text *t)
{
    const json_t *report = t->report;
    const json_t *endpoints = mc_rj_arr(report, "endpoints");
    mc_buf_printf(&t->b, "report of a run started %s by %s %s\n", mc_rj_str(report, "started", "?"),
                  mc_rj_str(mc_rj_obj(report, "tool"), "name", "mailconform"),
                  mc_rj_str(mc_rj_obj(report, "tool"), "version", "?"));
    mc_buf_printf(&t->b, "target %s (%s): %zu endpoint(s)\n", target_name(report),
                  mc_rj_str(mc_rj_obj(report, "target"), "source", "?"),
                  json_array_size(endpoints));
    size_t i;
    const json_t *e;
    json_array_foreach(endpoints, i, e)
    {
        const char *name = mc_rj_str(e, "name", "?");
        mc_buf_printf(&t->b, "  %-11s %s:%lld %s", name, mc_rj_str(e, "host", "?"),
                      mc_rj_int(e, "port", 0), mc_rj_str(e, "protocol", "?"));
        if (!has_problem(e, "endpoint")) {
            const json_t *cap = capabilities_of(report, name);
            size_t n = json_array_size(mc_rj_arr(cap, "plain")) +
                       json_array_size(mc_rj_arr(cap, "after_tls")) +
                       json_array_size(mc_rj_arr(cap, "after_login"));
            mc_buf_printf(&t->b, ", %zu capabilities", n);
            text_tls(t, e);
            const char *error = mc_rj_str(cap, "error", NULL);
            if (error && !has_problem(e, NULL))
                mc_buf_printf(&t->b, " %s(probe: %s)%s", c(t, "dim"), error, c(t, "reset"));
        }
        mc_buf_append_char(&t->b, '\n');
        text_problems(t, e);
    }
    mc_buf_append_char(&t->b, '\n');
}

/* --- one scenario --- */

static const char *outcome_color(const char *o)
{
    if (strcmp(o, "pass") == 0)
        return "green";
    if (strcmp(o, "fail") == 0 || strcmp(o, "error") == 0)
        return "red";
    if (strcmp(o, "deviation") == 0)
        return "yellow";
    return "dim";
}

static void text_scenario_head(struct text *t, const json_t *sc, bool listing)
{
    const char *outcome = mc_rj_str(sc, "outcome", "?");
    const char *reason = mc_rj_str(sc, "reason", NULL);
    bool would =
        listing && strcmp(outcome, "not_run") == 0 && reason && strcmp(reason, "would run") == 0;
    char word[16];
    snprintf(word, sizeof word, "%s", would ? "would run" : outcome);
    for (char *p = word; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    mc_buf_printf(&t->b, "%s%-9s%s %s", c(t, outcome_color(outcome)), word, c(t, "reset"),
                  mc_rj_str(sc, "id", "?"));
    if (!listing)
        mc_buf_printf(&t->b, " %s(%.2f s)%s", c(t, "dim"), mc_rj_num(sc, "duration_s", 0),
                      c(t, "reset"));
    mc_buf_append_char(&t->b, '\n');
    const char *cause = mc_rj_str(sc, "cause", NULL);
    if (strcmp(outcome, "error") == 0 && cause)
        mc_buf_printf(&t->b, "    %s: %s\n", cause, reason ? reason : "");
    else if (reason && !would)
        mc_buf_printf(&t->b, "    %s\n", reason);
    const char *hint = mc_rj_str(sc, "hint", NULL);
    if (hint && !mc_strv_contains_nocase(&t->hints_shown, hint)) {
        mc_buf_printf(&t->b, "    hint: %s\n", hint); /* once: the summary repeats it */
        mc_strv_push_str(&t->hints_shown, hint);
    }
}

static void text_scenario(struct text *t, const json_t *sc, bool listing)
{
    text_scenario_head(t, sc, listing);
    const char *outcome = mc_rj_str(sc, "outcome", "?");
    struct mc_buf b = {0};
    if (strcmp(outcome, "fail") == 0 || strcmp(outcome, "deviation") == 0)
        mc_render_failure_block(sc, "    ", &b);
    if (mc_render_warning_count(sc)) {
        mc_buf_append_str(&b, c(t, "yellow"));
        mc_render_warnings_block(sc, "    ", &b);
        mc_buf_append_str(&b, c(t, "reset"));
    }
    if (!listing && mc_render_wants_transcript(sc, t->transcripts)) {
        struct mc_transcript_style style = {.indent = TEXT_TRANSCRIPT_INDENT, .color = t->color};
        mc_render_transcript(sc, &style, &b);
    }
    mc_buf_append(&t->b, b.data, b.len);
    mc_buf_free(&b);
    text_flush(t);
}

/* --- the summary --- */

static const char *const outcome_order[] = {"pass",  "fail", "deviation",
                                            "error", "skip", "not_run"};
#define OUTCOME_COUNT (sizeof outcome_order / sizeof outcome_order[0])

static void count_line(struct text *t, const char *name, const json_t *counts)
{
    long long total = mc_rj_int(counts, "total", 0);
    if (total <= 0)
        return;
    mc_buf_printf(&t->b, "  %-8s %4lld:", name, total);
    for (size_t k = 0; k < OUTCOME_COUNT; k++) {
        long long n = mc_rj_int(counts, outcome_order[k], 0);
        if (n)
            mc_buf_printf(&t->b, " %lld %s", n, outcome_order[k]);
    }
    mc_buf_append_char(&t->b, '\n');
}

static void text_breakdown(struct text *t, const json_t *summary)
{
    static const char *const levels[] = {"MUST", "SHOULD", "MAY"};
    mc_buf_printf(&t->b, "by level:\n");
    for (size_t l = 0; l < 3; l++)
        count_line(t, levels[l], mc_rj_obj(mc_rj_obj(summary, "by_level"), levels[l]));
    mc_buf_printf(&t->b, "by protocol:\n");
    const char *name;
    const json_t *counts;
    json_object_foreach(mc_rj_obj(summary, "by_protocol"), name, counts)
        count_line(t, name, counts);
}

static void text_skips(struct text *t, const json_t *summary)
{
    const json_t *reasons = mc_rj_arr(summary, "skip_reasons");
    size_t n = json_array_size(reasons);
    if (!n)
        return;
    mc_buf_printf(&t->b, "skipped, by reason:\n");
    for (size_t i = 0; i < n && i < TEXT_GROUPS_SHOWN; i++) {
        const json_t *r = json_array_get(reasons, i);
        mc_buf_printf(&t->b, "  %5lld  %s\n", mc_rj_int(r, "count", 0),
                      mc_rj_str(r, "reason", "?"));
    }
    if (n > TEXT_GROUPS_SHOWN)
        mc_buf_printf(&t->b, "  ... and %zu more (see the report)\n", n - TEXT_GROUPS_SHOWN);
}

struct cause_group {
    const char *cause;
    long long count;
};

static int cause_cmp(const void *a, const void *b)
{
    const struct cause_group *x = a, *y = b;
    return (x->count < y->count) - (x->count > y->count);
}

/* The first error scenario with this cause: its reason is the example, its hint the fix. */
static const json_t *first_error_of(const json_t *report, const char *cause)
{
    size_t i;
    const json_t *sc;
    json_array_foreach(mc_rj_arr(report, "scenarios"), i, sc)
    {
        const char *c = mc_rj_str(sc, "cause", NULL);
        if (strcmp(mc_rj_str(sc, "outcome", ""), "error") == 0 && c && strcmp(c, cause) == 0)
            return sc;
    }
    return NULL;
}

static void text_errors(struct text *t, const json_t *summary)
{
    const json_t *causes = mc_rj_obj(summary, "error_causes");
    size_t n = json_object_size(causes), k = 0;
    if (!n)
        return;
    struct cause_group *g = mc_xcalloc(n, sizeof *g);
    const char *cause;
    const json_t *count;
    json_object_foreach((json_t *)causes, cause, count) g[k++] =
        (struct cause_group){cause, json_is_integer(count) ? json_integer_value(count) : 0};
    qsort(g, n, sizeof *g, cause_cmp);
    mc_buf_printf(&t->b, "errors (the server could not be tested), by cause:\n");
    for (size_t i = 0; i < n && i < TEXT_GROUPS_SHOWN; i++) {
        mc_buf_printf(&t->b, "  %5lld  %s\n", g[i].count, g[i].cause);
        const json_t *example = first_error_of(t->report, g[i].cause);
        if (mc_rj_str(example, "reason", NULL))
            mc_buf_printf(&t->b, "         e.g. %s\n", mc_rj_str(example, "reason", ""));
        if (mc_rj_str(example, "hint", NULL))
            mc_buf_printf(&t->b, "         hint: %s\n", mc_rj_str(example, "hint", ""));
    }
    if (n > TEXT_GROUPS_SHOWN)
        mc_buf_printf(&t->b, "  ... and %zu more (see the report)\n", n - TEXT_GROUPS_SHOWN);
    free(g);
}

static void text_notes(struct text *t)
{
    const json_t *report = t->report;
    size_t i;
    const json_t *x;
    json_array_foreach(mc_rj_arr(report, "retired_users"), i, x) mc_buf_printf(
        &t->b, "%sretired%s test user %s (%s): %s\n", c(t, "yellow"), c(t, "reset"),
        mc_rj_str(x, "user", "?"), mc_rj_str(x, "cause", "?"), mc_rj_str(x, "why", ""));
    json_array_foreach(mc_rj_arr(report, "deviations"), i, x)
    {
        if (mc_rj_bool(x, "stale", false))
            mc_buf_printf(&t->b,
                          "%sstale deviation%s '%s': the profile lists it, but %lld scenario(s) it "
                          "names passed; remove it from the profile\n",
                          c(t, "yellow"), c(t, "reset"), mc_rj_str(x, "scenario", "?"),
                          mc_rj_int(x, "passed", 0));
    }
    bool insecure = mc_rj_bool(mc_rj_obj(mc_rj_obj(report, "run"), "options"), "insecure", false);
    json_array_foreach(mc_rj_arr(report, "endpoints"), i, x)
    {
        const json_t *tls = mc_rj_obj(x, "tls_seen");
        if (tls && !mc_rj_bool(tls, "verified", false) && !has_problem(x, "endpoint") &&
            !has_problem(x, "starttls"))
            mc_buf_printf(&t->b, "%sTLS not verified%s on endpoint %s (%s)%s\n", c(t, "yellow"),
                          c(t, "reset"), mc_rj_str(x, "name", "?"),
                          mc_rj_str(tls, "verify_error", "?"), insecure ? ": --insecure" : "");
    }
}

/* A note when the report's own summary disagrees with the scenarios it lists (a hand-edited
   report): the counts shown are always those of the scenarios listed above them, so the
   rendering never contradicts itself (docs/decisions.md). */
static void text_summary_note(struct text *t, const struct mc_render_counts *listed)
{
    struct mc_render_counts said;
    if (!mc_render_summary_counts(t->report, &said) || memcmp(&said, listed, sizeof said) == 0)
        return;
    mc_buf_printf(&t->b,
                  "%snote:%s the report's summary says otherwise (%lld scenario(s): %lld passed, "
                  "%lld failed, %lld known deviation(s), %lld error(s), %lld skipped, %lld not "
                  "run); the counts here are of the scenarios it lists\n",
                  c(t, "yellow"), c(t, "reset"), said.total, said.pass, said.fail, said.deviation,
                  said.error, said.skip, said.not_run);
}

static void text_summary(struct text *t, bool listing)
{
    const json_t *report = t->report, *summary = mc_rj_obj(report, "summary");
    const json_t *run = mc_rj_obj(report, "run");
    struct mc_render_counts n;
    mc_render_count_outcomes(report, &n);
    if (listing) {
        mc_buf_printf(&t->b,
                      "\n%lld scenario(s) against %s: %lld would run, %lld would be skipped, %lld "
                      "could not be tested, %lld would fail (a promise not kept)\n",
                      n.total, target_name(report), n.not_run, n.skip, n.error, n.fail);
        text_summary_note(t, &n);
        text_skips(t, summary);
        text_errors(t, summary);
        return;
    }
    mc_buf_printf(&t->b,
                  "\n%lld scenario(s) against %s in %.1f s: %s%lld passed%s, %s%lld failed%s, %lld "
                  "known deviation(s), %s%lld error(s)%s, %lld skipped, %lld not run\n",
                  n.total, target_name(report), mc_rj_num(report, "duration_s", 0), c(t, "green"),
                  n.pass, c(t, "reset"), n.fail ? c(t, "red") : "", n.fail,
                  n.fail ? c(t, "reset") : "", n.deviation, n.error ? c(t, "red") : "", n.error,
                  n.error ? c(t, "reset") : "", n.skip, n.not_run);
    text_summary_note(t, &n);
    long long warned = mc_rj_int(summary, "warned", 0);
    if (warned)
        mc_buf_printf(&t->b,
                      "%s%lld scenario(s) with warnings%s: soft checks below MUST failed (shown "
                      "above as \"warning (soft check ...)\"; they do not change the exit "
                      "status)\n",
                      c(t, "yellow"), warned, c(t, "reset"));
    if (summary)
        text_breakdown(t, summary);
    text_skips(t, summary);
    text_errors(t, summary);
    text_notes(t);
    const char *stopped = mc_rj_str(run, "stopped", NULL);
    if (stopped && mc_rj_int(run, "signal", 0) == 0)
        mc_buf_printf(&t->b, "stopped early: %s\n", stopped);
    long long status = mc_rj_int(run, "exit_status", -1);
    const char *color = status == 0 ? "green" : status == 1 ? "red" : "yellow";
    mc_buf_printf(&t->b, "%s%s%s (exit %lld)\n", c(t, color), mc_rj_str(run, "verdict_text", "?"),
                  c(t, "reset"), status);
}

int mc_render_text(FILE *out, const json_t *report, const struct mc_render_options *opts,
                   struct mc_buf *err)
{
    (void)err;
    struct text t = {.out = out,
                     .report = report,
                     .color = opts && opts->color,
                     .transcripts = opts ? opts->transcripts : MC_TRANSCRIPTS_FAILED};
    const char *verdict = mc_rj_str(mc_rj_obj(report, "run"), "verdict", "");
    bool listing = strcmp(verdict, "list") == 0;
    text_probe(&t);
    size_t i;
    const json_t *sc;
    json_array_foreach(mc_rj_arr(report, "scenarios"), i, sc) text_scenario(&t, sc, listing);
    text_summary(&t, listing);
    text_flush(&t);
    mc_buf_free(&t.b);
    mc_strv_free(&t.hints_shown);
    return 0;
}
