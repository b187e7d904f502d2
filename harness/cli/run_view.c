/*
 * run_view — the console side of `mailconform run` (see run_view.h).
 */
#include "cli/run_view.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/report.h"
#include "proto/protocol.h"
#include "render/render_transcript.h"

#define VIEW_GROUPS_SHOWN 12            /* skip reasons / error causes listed in the summary */
#define VIEW_TRANSCRIPT_INDENT "      " /* as report --format text (render_text.c) */

/* Hints already printed: a dead endpoint errs every scenario with the same one. */
static struct mc_strv view_hints_shown;

static const char *c(const char *name)
{
    return mc_cli_color(name);
}

void mc_view_clear_progress(const struct mc_run_view *v)
{
    if (v->progress)
        fputs("\r\033[K", stderr);
}

/* --- the probe --- */

static void view_problem(const struct mc_run_view *v, const char *what, const struct mc_problem *p)
{
    fprintf(v->out, "    %sERROR%s %s %s: %s\n", c("red"), c("reset"), what,
            mc_cause_name(p->cause), p->why);
    if (p->hint)
        fprintf(v->out, "          hint: %s\n", p->hint);
}

static void view_tls(const struct mc_run_view *v, const struct mc_capability_probe *p)
{
    if (!p->tls_checked)
        return;
    if (p->tls_verified)
        fprintf(v->out, "; TLS verified (%s, until %s)", p->tls_subject ? p->tls_subject : "?",
                p->tls_expires ? p->tls_expires : "?");
    else
        fprintf(v->out, "; %sTLS NOT VERIFIED%s (%s: %s)", c("yellow"), c("reset"),
                p->tls_subject ? p->tls_subject : "no certificate",
                p->tls_verify_error ? p->tls_verify_error : "?");
}

void mc_view_probed(const struct mc_run_view *v, const struct mc_run_result *r,
                    const struct mc_target *t)
{
    mc_view_clear_progress(v);
    if (!v->quiet)
        fprintf(v->out, "target %s (%s): %zu endpoint(s)\n", r->target_name, r->target_source,
                r->probe_count);
    for (size_t i = 0; i < r->probe_count; i++) {
        const struct mc_capability_probe *p = &r->probes[i];
        const struct mc_endpoint *e = &t->endpoints[i];
        bool bad = p->unusable.cause || p->starttls.cause || p->login.cause;
        if (v->quiet && !bad)
            continue;
        fprintf(v->out, "  %-11s %s:%d %s", p->endpoint, e->host, e->port, p->protocol);
        if (!p->unusable.cause) {
            size_t n = p->plain.count + p->after_tls.count + p->after_login.count;
            fprintf(v->out, ", %zu capabilities", n);
            view_tls(v, p);
            if (p->error && !bad)
                fprintf(v->out, " %s(probe: %s)%s", c("dim"), p->error, c("reset"));
        }
        fputc('\n', v->out);
        if (p->unusable.cause)
            view_problem(v, "endpoint", &p->unusable);
        if (p->starttls.cause)
            view_problem(v, "STARTTLS", &p->starttls);
        if (p->login.cause)
            view_problem(v, "login", &p->login);
    }
    if (!v->quiet)
        fputc('\n', v->out);
    fflush(v->out);
}

/* --- one scenario --- */

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

static bool wants_transcript(const struct mc_run_view *v, const struct mc_scenario_result *r)
{
    bool bad = r->outcome == MC_OUTCOME_FAIL || r->outcome == MC_OUTCOME_DEVIATION ||
               r->outcome == MC_OUTCOME_ERROR;
    bool ran = r->step_count > 0 || r->transcript_count > 0;
    return ran && (v->transcripts == MC_TRANSCRIPTS_ALL ||
                   (v->transcripts == MC_TRANSCRIPTS_FAILED && bad));
}

/* The transcript as a saved report shows it: the scenario's report object, built while the
   runner still holds its transcript (mc_view_finished runs before the report sink and the
   release), printed by the renderings' own printer. */
static void print_transcript(const struct mc_run_view *v, const struct mc_scenario_result *r)
{
    struct mc_buf err = {0}, text = {0};
    json_t *sc = mc_report_scenario_json(r, &err);
    if (!sc) {
        fprintf(v->out, "%s(no transcript: %s)\n", VIEW_TRANSCRIPT_INDENT, err.data);
    } else {
        struct mc_transcript_style style = {.indent = VIEW_TRANSCRIPT_INDENT,
                                            .color = mc_cli_color("reset")[0] != '\0'};
        mc_render_transcript(sc, &style, &text);
        fwrite(text.data ? text.data : "", 1, text.len, v->out);
    }
    json_decref(sc);
    mc_buf_free(&text);
    mc_buf_free(&err);
}

/* A soft step below MUST that failed: a warning, not the scenario's failure. */
static bool step_is_warning(const struct mc_scenario *sc, const struct mc_step_result *st)
{
    const struct mc_step *def = st->index >= 0 ? &sc->steps[st->index] : NULL;
    int level = def && def->level >= 0 ? def->level : (int)sc->level;
    return st->soft && st->outcome == MC_OUTCOME_FAIL && level != MC_LEVEL_MUST;
}

/* The first failed step that is not a warning (warnings: every one, led by "warning"). */
static void print_failure(const struct mc_run_view *v, const struct mc_scenario_result *r,
                          bool warnings)
{
    const struct mc_scenario *sc = r->scenario;
    for (size_t i = 0; i < r->step_count; i++) {
        const struct mc_step_result *st = &r->steps[i];
        if (st->outcome != MC_OUTCOME_FAIL || step_is_warning(sc, st) != warnings)
            continue;
        const struct mc_step *def = st->index >= 0 ? &sc->steps[st->index] : NULL;
        const char *lead = warnings ? "warning (soft check, not a failure): " : "";
        const struct mc_rfc_refs *rfc = def && def->rfc.count ? &def->rfc : &sc->rfc;
        struct mc_rfc_ref rule_ref;
        struct mc_rfc_refs rule_refs = {&rule_ref, 1};
        if (st->rule) {
            rule_ref =
                (struct mc_rfc_ref){.rfc = st->rule->rfc, .section = (char *)st->rule->section};
            rfc = &rule_refs;
        }
        if (def)
            fprintf(v->out, "    %s%s:%d:%d: step %d (%s)\n", lead, sc->file, def->line,
                    def->column, st->index + 1, st->label);
        else
            fprintf(v->out, "    %s%s: %s\n", lead, sc->file, st->label);
        if (st->expected)
            fprintf(v->out, "      expected: %s\n", st->expected);
        if (st->got)
            fprintf(v->out, "      got:      %s\n", st->got);
        fprintf(v->out, "      why:      %s\n", st->why ? st->why : "");
        fprintf(v->out, "      required by:");
        for (size_t k = 0; k < rfc->count; k++)
            fprintf(v->out, " RFC %d%s%s", rfc->items[k].rfc,
                    rfc->items[k].section ? " section " : "",
                    rfc->items[k].section ? rfc->items[k].section : "");
        fprintf(v->out, " (%s)\n",
                st->rule ? "MUST"
                         : mc_level_name(def && def->level >= 0 ? (enum mc_level)def->level
                                                                : sc->level));
        if (def && def->why)
            fprintf(v->out, "      because:  %s\n", def->why);
        if (!warnings)
            break;
    }
}

void mc_view_finished(const struct mc_run_view *v, const struct mc_scenario_result *r, size_t done,
                      size_t total)
{
    bool bad = r->outcome == MC_OUTCOME_FAIL || r->outcome == MC_OUTCOME_ERROR || r->warnings;
    mc_view_clear_progress(v);
    if (!v->quiet || bad) {
        char word[16];
        bool would = v->list && r->outcome == MC_OUTCOME_NOT_RUN && r->reason &&
                     strcmp(r->reason, "would run") == 0;
        const char *name = would ? "would run" : mc_outcome_name(r->outcome);
        snprintf(word, sizeof word, "%s", name);
        for (char *p = word; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        fprintf(v->out, "%s%-9s%s %s", c(outcome_color(r->outcome)), word, c("reset"),
                r->scenario->id);
        if (!v->list)
            fprintf(v->out, " %s(%.2f s)%s", c("dim"), r->duration, c("reset"));
        fputc('\n', v->out);
        if (r->outcome == MC_OUTCOME_ERROR && r->cause)
            fprintf(v->out, "    %s: %s\n", mc_cause_name(r->cause), r->reason ? r->reason : "");
        else if (r->reason && !would)
            fprintf(v->out, "    %s\n", r->reason);
        if (r->hint && !mc_strv_contains_nocase(&view_hints_shown, r->hint)) {
            fprintf(v->out, "    hint: %s\n", r->hint); /* once: the summary repeats it */
            mc_strv_push_str(&view_hints_shown, r->hint);
        }
        if (r->outcome == MC_OUTCOME_FAIL || r->outcome == MC_OUTCOME_DEVIATION)
            print_failure(v, r, false);
        if (r->warnings)
            print_failure(v, r, true);
        if (wants_transcript(v, r))
            print_transcript(v, r);
        fflush(v->out);
    }
    if (v->progress && done < total)
        fprintf(stderr, "[%zu/%zu] %s...", done, total, v->list ? "judging" : "running");
}

/* --- the summary --- */

struct group {
    const char *key; /* a skip reason, or an error cause name */
    const char *example;
    const char *hint;
    size_t count;
};

static void group_add(struct group **g, size_t *n, const char *key, const char *example,
                      const char *hint)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*g)[i].key, key) == 0) {
            (*g)[i].count++;
            return;
        }
    }
    *g = mc_xrealloc(*g, (*n + 1) * sizeof **g);
    (*g)[(*n)++] = (struct group){.key = key, .example = example, .hint = hint, .count = 1};
}

static int group_cmp(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    return (x->count < y->count) - (x->count > y->count);
}

static void view_groups(const struct mc_run_view *v, const char *title, struct group *g, size_t n,
                        bool examples)
{
    if (!n)
        return;
    qsort(g, n, sizeof *g, group_cmp);
    fprintf(v->out, "%s:\n", title);
    for (size_t i = 0; i < n && i < VIEW_GROUPS_SHOWN; i++) {
        fprintf(v->out, "  %5zu  %s\n", g[i].count, g[i].key);
        if (examples && g[i].example)
            fprintf(v->out, "         e.g. %s\n", g[i].example);
        if (g[i].hint)
            fprintf(v->out, "         hint: %s\n", g[i].hint);
    }
    if (n > VIEW_GROUPS_SHOWN)
        fprintf(v->out, "  ... and %zu more (see the report)\n", n - VIEW_GROUPS_SHOWN);
}

void mc_view_not_selected(const struct mc_run_view *v, const struct mc_strv *why)
{
    struct group *g = NULL;
    size_t n = 0;
    for (size_t i = 0; i < why->count; i++)
        group_add(&g, &n, why->items[i].ptr, NULL, NULL);
    view_groups(v, "not selected, by reason", g, n, false);
    fputc('\n', v->out);
    free(g);
}

static void view_skips_and_errors(const struct mc_run_view *v, const struct mc_run_result *r)
{
    struct group *skips = NULL, *errors = NULL;
    size_t ns = 0, ne = 0;
    for (size_t i = 0; i < r->scenario_count; i++) {
        const struct mc_scenario_result *s = &r->scenarios[i];
        if (s->outcome == MC_OUTCOME_SKIP)
            group_add(&skips, &ns, s->reason ? s->reason : "?", NULL, NULL);
        else if (s->outcome == MC_OUTCOME_ERROR)
            group_add(&errors, &ne, s->cause ? mc_cause_name(s->cause) : "error", s->reason,
                      s->hint);
    }
    view_groups(v, "skipped, by reason", skips, ns, false);
    view_groups(v, "errors (the server could not be tested), by cause", errors, ne, true);
    free(skips);
    free(errors);
}

static void count_line(const struct mc_run_view *v, const char *name, const size_t *n)
{
    static const enum mc_outcome order[] = {MC_OUTCOME_PASS,  MC_OUTCOME_FAIL, MC_OUTCOME_DEVIATION,
                                            MC_OUTCOME_ERROR, MC_OUTCOME_SKIP, MC_OUTCOME_NOT_RUN};
    size_t total = 0;
    for (size_t k = 0; k < MC_OUTCOME_COUNT; k++)
        total += n[k];
    if (!total)
        return;
    fprintf(v->out, "  %-8s %4zu:", name, total);
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        if (n[order[k]])
            fprintf(v->out, " %zu %s", n[order[k]], mc_outcome_name(order[k]));
    fputc('\n', v->out);
}

static void view_breakdown(const struct mc_run_view *v, const struct mc_run_result *r)
{
    size_t level[3][MC_OUTCOME_COUNT] = {{0}};
    const char *const *names = mc_protocol_names();
    size_t nproto = 0;
    while (names[nproto])
        nproto++;
    size_t(*proto)[MC_OUTCOME_COUNT] = mc_xcalloc(nproto + 1, sizeof *proto);
    for (size_t i = 0; i < r->scenario_count; i++) {
        const struct mc_scenario_result *s = &r->scenarios[i];
        level[s->scenario->level][s->outcome]++;
        for (size_t p = 0; p < nproto; p++) {
            for (size_t k = 0; k < s->scenario->session_count; k++) {
                if (strcmp(s->scenario->sessions[k].proto->name, names[p]) == 0) {
                    proto[p][s->outcome]++;
                    break;
                }
            }
        }
    }
    fprintf(v->out, "by level:\n");
    for (int l = MC_LEVEL_MUST; l <= MC_LEVEL_MAY; l++)
        count_line(v, mc_level_name((enum mc_level)l), level[l]);
    fprintf(v->out, "by protocol:\n");
    for (size_t p = 0; p < nproto; p++)
        count_line(v, names[p], proto[p]);
    free(proto);
}

static void view_notes(const struct mc_run_view *v, const struct mc_run_result *r)
{
    for (size_t i = 0; i < r->retired_count; i++)
        fprintf(v->out, "%sretired%s test user %s (%s): %s\n", c("yellow"), c("reset"),
                r->retired[i].user, mc_cause_name(r->retired[i].cause), r->retired[i].why);
    for (size_t i = 0; i < r->deviation_count; i++) {
        const struct mc_deviation_use *d = &r->deviations[i];
        if (d->passed && !d->applied)
            fprintf(v->out,
                    "%sstale deviation%s '%s': the profile lists it, but %zu scenario(s) it "
                    "names passed; remove it from the profile\n",
                    c("yellow"), c("reset"), d->scenario, d->passed);
    }
    for (size_t i = 0; i < r->probe_count; i++) {
        const struct mc_capability_probe *p = &r->probes[i];
        if (p->tls_checked && !p->tls_verified && !p->unusable.cause && !p->starttls.cause)
            fprintf(v->out, "%sTLS not verified%s on endpoint %s (%s)%s\n", c("yellow"), c("reset"),
                    p->endpoint, p->tls_verify_error ? p->tls_verify_error : "?",
                    v->insecure ? ": --insecure" : "");
    }
}

void mc_view_summary(const struct mc_run_view *v, const struct mc_run_result *r,
                     const struct mc_verdict *verdict)
{
    size_t n[MC_OUTCOME_COUNT] = {0};
    for (size_t i = 0; i < r->scenario_count; i++)
        n[r->scenarios[i].outcome]++;
    mc_view_clear_progress(v);
    bool listing = v->list && !r->stop_signal; /* an interrupted --list says so like a run */
    if (listing) {
        fprintf(v->out,
                "\n%zu scenario(s) against %s: %zu would run, %zu would be skipped, %zu "
                "could not be tested, %zu would fail (a promise not kept)\n",
                r->scenario_count, r->target_name, n[MC_OUTCOME_NOT_RUN], n[MC_OUTCOME_SKIP],
                n[MC_OUTCOME_ERROR], n[MC_OUTCOME_FAIL]);
        view_skips_and_errors(v, r);
        fflush(v->out);
        return;
    }
    fprintf(v->out,
            "\n%zu scenario(s) against %s in %.1f s: %s%zu passed%s, %s%zu failed%s, %zu known "
            "deviation(s), %s%zu error(s)%s, %zu skipped, %zu not run\n",
            r->scenario_count, r->target_name, r->finished - r->started, c("green"),
            n[MC_OUTCOME_PASS], c("reset"), n[MC_OUTCOME_FAIL] ? c("red") : "", n[MC_OUTCOME_FAIL],
            n[MC_OUTCOME_FAIL] ? c("reset") : "", n[MC_OUTCOME_DEVIATION],
            n[MC_OUTCOME_ERROR] ? c("red") : "", n[MC_OUTCOME_ERROR],
            n[MC_OUTCOME_ERROR] ? c("reset") : "", n[MC_OUTCOME_SKIP], n[MC_OUTCOME_NOT_RUN]);
    if (!listing)
        view_breakdown(v, r);
    view_skips_and_errors(v, r);
    view_notes(v, r);
    if (r->stopped && !r->stop_signal)
        fprintf(v->out, "stopped early: %s\n", r->stopped);
    if (!listing) {
        const char *color = verdict->exit_status == MC_EXIT_OK         ? "green"
                            : verdict->exit_status == MC_EXIT_FAILURES ? "red"
                                                                       : "yellow";
        fprintf(v->out, "%s%s%s (exit %d)\n", c(color), verdict->line, c("reset"),
                verdict->exit_status);
    }
    fflush(v->out);
    mc_strv_free(&view_hints_shown);
}
