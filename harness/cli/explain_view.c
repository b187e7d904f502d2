/*
 * explain_view — the layout of `mailconform explain` (see explain_view.h).
 *
 * A scenario may come from anyone, and its title, description, `why`, commands and patterns
 * are printed as they are, beside what a server answered: each scenario's text is gathered
 * first and written through the text rendering's terminal filter (render_common.h), so a
 * control character (an ESC starting a terminal sequence, a CR) shows as \xHH and never
 * drives the terminal; only our own colour sequences pass.
 */
#include "cli/explain_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/explain_words.h"
#include "engine/report.h"
#include "render/render_common.h"
#include "render/render_transcript.h"

#define EXPLAIN_LABEL_WIDTH 12  /* "  sessions: " */
#define EXPLAIN_HEADING_TEXT 60 /* octets of a step's command in its heading */
#define EXPLAIN_GOT_SHOWN 60    /* octets of a passing reply repeated in its result line */
#define EXPLAIN_RFC_URL "https://www.rfc-editor.org/rfc/rfc"
#define EXPLAIN_WIRE_INDENT "    " /* the transcript's lines under a step's words */

static const char *c(const char *name)
{
    return mc_cli_color(name);
}

/* "  label:   text" with the text wrapped under itself at the usage width. */
static void labelled(FILE *out, const char *label, const char *text)
{
    int col = fprintf(out, "  %-*s", EXPLAIN_LABEL_WIDTH - 2, label);
    bool first = true;
    for (text += strspn(text, " "); *text; text += strspn(text, " ")) {
        size_t n = strcspn(text, " ");
        if (!first && col + 1 + (int)n > MC_CLI_USAGE_WIDTH) {
            col = fprintf(out, "\n%*s", EXPLAIN_LABEL_WIDTH, "") - 1;
            first = true;
        }
        col += fprintf(out, "%s%.*s", first ? "" : " ", (int)n, text);
        first = false;
        text += n;
    }
    fputc('\n', out);
}

/* Lines under one label, each as it is (patterns must not be re-wrapped). */
static void labelled_lines(FILE *out, const char *label, const struct mc_strv *lines)
{
    for (size_t i = 0; i < lines->count; i++)
        fprintf(out, "  %-*s%s\n", EXPLAIN_LABEL_WIDTH - 2, i ? "" : label, lines->items[i].ptr);
}

static void rfc_refs(FILE *out, const char *label, const struct mc_rfc_refs *refs,
                     const char *level)
{
    for (size_t i = 0; i < refs->count; i++) {
        const struct mc_rfc_ref *r = &refs->items[i];
        struct mc_buf b = {0};
        mc_buf_printf(&b, "RFC %d%s%s", r->rfc, r->section ? " section " : "",
                      r->section ? r->section : "");
        if (level)
            mc_buf_printf(&b, " (%s)", level);
        mc_buf_printf(&b, "  %s%s%d%s%s%s", c("dim"), EXPLAIN_RFC_URL, r->rfc,
                      r->section ? "#section-" : "", r->section ? r->section : "", c("reset"));
        fprintf(out, "  %-*s%s\n", EXPLAIN_LABEL_WIDTH - 2, i ? "" : label, b.data);
        mc_buf_free(&b);
    }
}

/* --- the scenario --- */

static void print_sessions(FILE *out, const struct mc_scenario *sc)
{
    for (size_t i = 0; i < sc->session_count; i++) {
        const struct mc_session_spec *s = &sc->sessions[i];
        struct mc_buf b = {0};
        mc_buf_printf(&b, "%s: %s, %s, as test user %d", s->name, s->proto->name,
                      s->tls == MC_TLS_IMPLICIT   ? "TLS from the first byte (implicit TLS)"
                      : s->tls == MC_TLS_STARTTLS ? "upgraded to TLS with STARTTLS at once"
                      : s->tls_given              ? "plain text (no TLS)"
                                                  : "over whatever the target offers",
                      s->user);
        if (s->endpoint)
            mc_buf_printf(&b, ", on the endpoint '%s'", s->endpoint);
        labelled(out, i ? "" : "sessions:", b.data);
        mc_buf_free(&b);
    }
}

static void print_header(FILE *out, const struct mc_scenario *sc)
{
    fprintf(out, "%s%s%s\n", c("bold"), sc->id, c("reset"));
    labelled(out, "title:", sc->title);
    labelled(out, "file:", sc->file);
    labelled(out, "level:", mc_explain_level(sc->level));
    rfc_refs(out, "rfc:", &sc->rfc, NULL);
    print_sessions(out, sc);
    for (size_t i = 0; i < sc->require_count; i++) {
        struct mc_buf b = {0};
        mc_buf_printf(&b, "%s (the scenario is skipped, not failed, where it is missing)",
                      sc->requires[i]);
        labelled(out, i ? "" : "requires:", b.data);
        mc_buf_free(&b);
    }
    fputc('\n', out);
    labelled(out, "", sc->description);
    fputc('\n', out);
}

/* --- one step --- */

static void step_heading(FILE *out, const struct mc_scenario *sc, size_t i)
{
    const struct mc_step *st = &sc->steps[i];
    fprintf(out, "%sstep %zu%s: %s", c("bold"), i + 1, c("reset"), mc_step_kind_name(st->kind));
    if (st->kind == MC_STEP_SEND || st->kind == MC_STEP_AUTH || st->kind == MC_STEP_CLOSE) {
        size_t n = strlen(st->text);
        fprintf(out, " %.*s%s", (int)(n > EXPLAIN_HEADING_TEXT ? EXPLAIN_HEADING_TEXT : n),
                st->text, n > EXPLAIN_HEADING_TEXT ? "..." : "");
    }
    if (st->session >= 0)
        fprintf(out, " on session %s", sc->sessions[st->session].name);
    fprintf(out, " %s(%s:%d:%d)%s\n", c("dim"), sc->file, st->line, st->column, c("reset"));
}

/* The step's own citation with links; the scenario's (shown above) in one line. */
static void step_rule(FILE *out, const struct mc_scenario *sc, const struct mc_step *st)
{
    const char *level = mc_level_name(st->level >= 0 ? (enum mc_level)st->level : sc->level);
    if (st->rfc.count) {
        rfc_refs(out, "rule:", &st->rfc, level);
        return;
    }
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "the scenario's:");
    for (size_t k = 0; k < sc->rfc.count; k++)
        mc_buf_printf(&b, "%s RFC %d%s%s", k ? "," : "", sc->rfc.items[k].rfc,
                      sc->rfc.items[k].section ? " section " : "",
                      sc->rfc.items[k].section ? sc->rfc.items[k].section : "");
    mc_buf_printf(&b, " (%s)", level);
    labelled(out, "rule:", b.data);
    mc_buf_free(&b);
}

static void step_words(FILE *out, struct mc_explainer *x, const struct mc_scenario *sc, size_t i,
                       bool sends_too)
{
    const struct mc_step *st = &sc->steps[i];
    struct mc_buf what = {0};
    struct mc_strv sends = {0}, expects = {0}, vars = {0};
    mc_explain_action(x, i, &what, &sends);
    labelled(out, "does:", what.data);
    for (size_t k = 0; sends_too && k < sends.count; k++)
        fprintf(out, "  %s%s%s %s\n", c("cyan"), "C:", c("reset"), sends.items[k].ptr);
    mc_explain_expect(sc, i, &expects);
    labelled_lines(out, "expects:", &expects);
    mc_explain_vars(sc, i, &vars);
    for (size_t k = 0; k < vars.count; k++)
        labelled(out, k ? "" : "values:", vars.items[k].ptr);
    step_rule(out, sc, st);
    if (st->why)
        labelled(out, "why:", st->why);
    mc_buf_free(&what);
    mc_strv_free(&sends);
    mc_strv_free(&expects);
    mc_strv_free(&vars);
}

static void open_words(FILE *out, struct mc_explainer *x, const struct mc_scenario *sc,
                       size_t session, bool sends_too)
{
    const struct mc_protocol *p = sc->sessions[session].proto;
    struct mc_buf what = {0};
    struct mc_strv sends = {0};
    fprintf(out, "%sopening session %s%s %s(implicit: before its first step)%s\n", c("bold"),
            sc->sessions[session].name, c("reset"), c("dim"), c("reset"));
    mc_explain_open(x, session, &what, &sends);
    labelled(out, "does:", what.data);
    for (size_t k = 0; sends_too && k < sends.count; k++)
        fprintf(out, "  %s%s%s %s\n", c("cyan"), "C:", c("reset"), sends.items[k].ptr);
    struct mc_rfc_ref ref = {p->greeting_rule.rfc, (char *)p->greeting_rule.section};
    struct mc_rfc_refs refs = {&ref, 1};
    rfc_refs(out, "rule:", &refs, "MUST");
    mc_buf_free(&what);
    mc_strv_free(&sends);
}

static void fixtures_words(FILE *out, const struct mc_scenario *sc)
{
    struct mc_buf what = {0};
    fprintf(out, "%sfixtures%s %s(implicit: before the first step)%s\n", c("bold"), c("reset"),
            c("dim"), c("reset"));
    mc_explain_fixtures(sc, &what);
    labelled(out, "does:", what.data);
    mc_buf_free(&what);
}

static void explain_print(FILE *out, const struct mc_scenario *sc)
{
    struct mc_explainer *x = mc_explainer_new(sc);
    print_header(out, sc);
    if (sc->fixture_messages) {
        fixtures_words(out, sc);
        fputc('\n', out);
    }
    for (size_t i = 0; i < sc->step_count; i++) {
        if (mc_explain_opens(x, i)) {
            open_words(out, x, sc, (size_t)sc->steps[i].session, true);
            fputc('\n', out);
        }
        step_heading(out, sc, i);
        step_words(out, x, sc, i, true);
        fputc('\n', out);
    }
    mc_explainer_free(x);
}

/* --- with a live run --- */

struct live {
    FILE *out;
    struct mc_explainer *x;
    const struct mc_scenario_result *r;
};

static void verdict_line(FILE *out, const struct mc_scenario_result *r,
                         const struct mc_step_result *st)
{
    switch (st->outcome) {
    case MC_OUTCOME_PASS:
        fprintf(out, "  %-*s%spass%s", EXPLAIN_LABEL_WIDTH - 2, "result:", c("green"), c("reset"));
        if (st->got) { /* the whole reply is on the wire above: its start is enough */
            size_t n = strlen(st->got);
            fprintf(out, " %s(the reply: %.*s%s)%s", c("dim"),
                    (int)(n > EXPLAIN_GOT_SHOWN ? EXPLAIN_GOT_SHOWN : n), st->got,
                    n > EXPLAIN_GOT_SHOWN ? "..." : "", c("reset"));
        }
        fputc('\n', out);
        break;
    case MC_OUTCOME_FAIL:
    case MC_OUTCOME_DEVIATION:
        fprintf(out, "  %-*s%sFAIL%s\n", EXPLAIN_LABEL_WIDTH - 2, "result:", c("red"), c("reset"));
        if (st->expected)
            labelled(out, "expected:", st->expected);
        if (st->got)
            labelled(out, "got:", st->got);
        labelled(out, "because:", st->why ? st->why : "");
        break;
    case MC_OUTCOME_ERROR:
        fprintf(out, "  %-*s%sERROR%s (%s: the tester could not test; not the server's fault)\n",
                EXPLAIN_LABEL_WIDTH - 2, "result:", c("red"), c("reset"),
                r->cause ? mc_cause_name(r->cause) : "error");
        labelled(out, "because:", st->why ? st->why : "");
        if (r->hint)
            labelled(out, "hint:", r->hint);
        break;
    default:
        fprintf(out, "  %-*s%snot run%s (an earlier step did not pass)\n", EXPLAIN_LABEL_WIDTH - 2,
                "result:", c("dim"), c("reset"));
        break;
    }
}

/* The transcript printer's step hook: the step's words before its lines, its verdict after.
   `pos` is the step's place in the report's `steps`, which are r->steps in order. */
static void live_step(void *arg, struct mc_buf *wire, const json_t *step, size_t pos, bool after)
{
    struct live *l = arg;
    const struct mc_scenario_result *r = l->r;
    FILE *out = l->out;
    (void)step;
    fwrite(wire->data ? wire->data : "", 1, wire->len, out); /* the lines so far, in order */
    mc_buf_reset(wire);
    if (pos >= r->step_count)
        return;
    const struct mc_step_result *st = &r->steps[pos];
    const struct mc_scenario *sc = r->scenario;
    if (after) {
        verdict_line(out, r, st);
        fputc('\n', out);
        return;
    }
    if (st->index >= 0) {
        mc_explain_opens(l->x, (size_t)st->index); /* the open, if any, was its own result */
        step_heading(out, sc, (size_t)st->index);
        step_words(out, l->x, sc, (size_t)st->index, false);
    } else if (st->session >= 0) {
        open_words(out, l->x, sc, (size_t)st->session, false);
        if (r->session_adapted && r->session_adapted[st->session]) {
            struct mc_buf b = {0};
            mc_buf_printf(&b, "the session runs %s", r->session_adapted[st->session]);
            labelled(out, "this run:", b.data);
            mc_buf_free(&b);
        }
    } else {
        fixtures_words(out, sc);
    }
    if (st->transcript_count)
        fprintf(out, "  %son the wire:%s\n", c("dim"), c("reset"));
}

static void outcome_line(FILE *out, const struct mc_scenario_result *r)
{
    char word[16];
    snprintf(word, sizeof word, "%s", mc_outcome_name(r->outcome));
    for (char *p = word; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    fprintf(out, "%s: %s%s%s", r->scenario->id,
            c(r->outcome == MC_OUTCOME_PASS   ? "green"
              : r->outcome == MC_OUTCOME_SKIP ? "yellow"
                                              : "red"),
            word, c("reset"));
    if (r->outcome == MC_OUTCOME_ERROR && r->cause)
        fprintf(out, " (%s)", mc_cause_name(r->cause));
    if (r->reason)
        fprintf(out, ": %s", r->reason);
    fputc('\n', out);
    if (r->hint)
        labelled(out, "hint:", r->hint);
}

/* The steps with their words, the lines that crossed the wire (the scenario's report object,
   built while its transcript is still held, printed by the renderings' transcript printer) and
   their verdicts. */
static void print_wire(FILE *out, const struct mc_scenario_result *r, struct live *l)
{
    struct mc_buf err = {0}, wire = {0};
    json_t *sc = mc_report_scenario_json(r, &err);
    if (!sc) {
        fprintf(out, "%s(no transcript: %s)\n", EXPLAIN_WIRE_INDENT, err.data);
    } else {
        struct mc_transcript_style style = {.indent = EXPLAIN_WIRE_INDENT,
                                            .hide_times = true,
                                            .color = mc_cli_color("reset")[0] != '\0',
                                            .step = live_step,
                                            .arg = l};
        mc_render_transcript(sc, &style, &wire);
        fwrite(wire.data ? wire.data : "", 1, wire.len, out);
    }
    json_decref(sc);
    mc_buf_free(&wire);
    mc_buf_free(&err);
}

static void explain_print_result(FILE *out, const struct mc_scenario_result *r)
{
    if (r->step_count == 0) { /* skipped, or an error before anything ran */
        explain_print(out, r->scenario);
        outcome_line(out, r);
        return;
    }
    struct live l = {out, mc_explainer_new(r->scenario), r};
    print_header(out, r->scenario);
    print_wire(out, r, &l);
    outcome_line(out, r);
    mc_explainer_free(l.x);
}

/* --- through the terminal filter --- */

/* Runs `print` into memory, then writes what it printed to `out` through the filter. */
static void filtered(FILE *out, void (*print)(FILE *, const void *), const void *arg)
{
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    if (!mem) {
        fputs("mailconform explain: out of memory\n", out);
        return;
    }
    print(mem, arg);
    if (fclose(mem) == 0)
        mc_render_terminal_write(out, data, len, mc_cli_color("reset")[0] != '\0');
    else
        fputs("mailconform explain: out of memory\n", out);
    free(data);
    fflush(out);
}

static void print_scenario(FILE *out, const void *sc)
{
    explain_print(out, sc);
}

static void print_result(FILE *out, const void *r)
{
    explain_print_result(out, r);
}

void mc_explain_print(FILE *out, const struct mc_scenario *sc)
{
    filtered(out, print_scenario, sc);
}

void mc_explain_print_result(FILE *out, const struct mc_scenario_result *r)
{
    filtered(out, print_result, r);
}
