/*
 * diff — the diff model of two saved reports (diff.h): both reports' identity, every
 * scenario id of either with its category and both sides, counts per category, protocol and
 * level, warnings, the headline and the exit status. The categories themselves are decided in
 * diff_classify.c; this file only gathers, counts and words. The model's shape is documented
 * in docs/report-format.md ("The diff model").
 */
#include "render/diff.h"

#include <string.h>

#include "render/report_read.h"

static const char *const levels[] = {"MUST", "SHOULD", "MAY"};
static const char *const outcomes[] = {"pass", "fail", "skip", "error", "deviation", "not_run"};
#define ABSENT "absent" /* the outcome of a side that does not have the scenario */

/* Takes a new reference to a string, or null for NULL. */
static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* ---- the sides of a scenario ---- */

/* Scenario id -> scenario object of one report; NULL with an error when an id repeats. */
static json_t *index_by_id(const json_t *report, const char *file, struct mc_buf *err)
{
    json_t *index = json_object();
    size_t i;
    json_t *sc;
    json_array_foreach(mc_rj_arr(report, "scenarios"), i, sc)
    {
        const char *id = mc_rj_str(sc, "id", "");
        if (json_object_get(index, id)) {
            mc_buf_printf(err, "%s: scenarios[%zu]: the id '%s' appears twice: not a report", file,
                          i, id);
            json_decref(index);
            return NULL;
        }
        json_object_set(index, id, sc);
    }
    return index;
}

/* What a renderer shows of a failure: where it is, what came, why it does not do. */
static json_t *failure_brief(const json_t *failure)
{
    if (!failure)
        return json_null();
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "position",
                     (json_int_t)mc_rj_int(failure, "position", -1), "step",
                     (json_int_t)mc_rj_int(failure, "step", -1), "label",
                     str_or_null(mc_rj_str(failure, "label", NULL)), "session",
                     str_or_null(mc_rj_str(failure, "session", NULL)), "line",
                     json_is_integer(json_object_get(failure, "line"))
                         ? json_integer(mc_rj_int(failure, "line", 0))
                         : json_null(),
                     "why", str_or_null(mc_rj_str(failure, "why", NULL)), "got",
                     str_or_null(mc_rj_str(failure, "got", NULL)), "expected",
                     json_deep_copy(mc_rj_obj(failure, "expected") ? mc_rj_obj(failure, "expected")
                                                                   : json_null()));
}

/* One side of a scenario in the model (outcome "absent" when sc is NULL). */
static json_t *side(const json_t *sc)
{
    if (!sc)
        return json_pack("{s:s, s:n, s:n, s:n, s:n}", "outcome", ABSENT, "reason", "cause",
                         "failure", "reason_key");
    struct mc_buf key = {0};
    mc_diff_reason_key(sc, &key);
    json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o}", "outcome", mc_rj_str(sc, "outcome", ""),
                          "reason", str_or_null(mc_rj_str(sc, "reason", NULL)), "cause",
                          str_or_null(mc_rj_str(sc, "cause", NULL)), "failure",
                          failure_brief(mc_rj_obj(sc, "failure")), "reason_key",
                          key.len ? json_string(key.data) : json_null());
    mc_buf_free(&key);
    return o;
}

/* The protocols a scenario's sessions use, each once, in the order met. */
static json_t *protocols_of(const json_t *sc)
{
    json_t *list = json_array();
    size_t i, j;
    json_t *session, *seen;
    json_array_foreach(mc_rj_arr(sc, "sessions"), i, session)
    {
        const char *p = mc_rj_str(session, "protocol", NULL);
        bool known = !p;
        json_array_foreach(list, j, seen) known = known || strcmp(json_string_value(seen), p) == 0;
        if (!known)
            json_array_append_new(list, json_string(p));
    }
    return list;
}

/* The model's entry for one scenario id. */
static json_t *entry(const char *id, const json_t *old_sc, const json_t *new_sc, unsigned gates)
{
    const json_t *latest = new_sc ? new_sc : old_sc;
    enum mc_diff_category c = mc_diff_classify(old_sc, new_sc);
    return json_pack("{s:s, s:o, s:s, s:b, s:s, s:o, s:o, s:o}", "id", id, "title",
                     str_or_null(mc_rj_str(latest, "title", NULL)), "category",
                     mc_diff_category_name(c), "gates", (gates & MC_DIFF_BIT(c)) != 0, "level",
                     mc_rj_str(latest, "level", "MUST"), "protocols", protocols_of(latest), "old",
                     side(old_sc), "new", side(new_sc));
}

/* ---- counts ---- */

static json_t *zero_counts(void)
{
    json_t *o = json_pack("{s:i}", "total", 0);
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++)
        json_object_set_new(o, mc_diff_category_name((enum mc_diff_category)c), json_integer(0));
    return o;
}

static void count_one(json_t *counts, const char *category)
{
    json_t *n = json_object_get(counts, category);
    json_integer_set(n, json_integer_value(n) + 1);
    n = json_object_get(counts, "total");
    json_integer_set(n, json_integer_value(n) + 1);
}

/* counts, by_protocol and by_level of the model, from its scenarios. */
static void add_counts(json_t *model)
{
    json_t *counts = zero_counts(), *by_protocol = json_object(), *by_level = json_object();
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
        json_object_set_new(by_level, levels[l], zero_counts());
    size_t i, j;
    json_t *e, *p;
    json_array_foreach(json_object_get(model, "scenarios"), i, e)
    {
        const char *category = mc_rj_str(e, "category", "");
        count_one(counts, category);
        json_t *level = json_object_get(by_level, mc_rj_str(e, "level", ""));
        if (!level) /* a level this reader does not know: counted under its own name */
            json_object_set_new(by_level, mc_rj_str(e, "level", ""), level = zero_counts());
        count_one(level, category);
        json_array_foreach(mc_rj_arr(e, "protocols"), j, p)
        {
            json_t *pc = json_object_get(by_protocol, json_string_value(p));
            if (!pc)
                json_object_set_new(by_protocol, json_string_value(p), pc = zero_counts());
            count_one(pc, category);
        }
    }
    json_object_set_new(model, "counts", counts);
    json_object_set_new(model, "by_protocol", by_protocol);
    json_object_set_new(model, "by_level", by_level);
}

/* ---- the reports' identity ---- */

/* The outcome counts of a report, from its scenarios, and how many were tested (pass, fail,
   deviation: the server was judged). */
static json_t *outcome_summary(const json_t *report)
{
    json_t *s = json_pack("{s:i}", "total", 0);
    for (size_t o = 0; o < sizeof outcomes / sizeof outcomes[0]; o++)
        json_object_set_new(s, outcomes[o], json_integer(0));
    size_t i;
    json_t *sc;
    json_array_foreach(mc_rj_arr(report, "scenarios"), i, sc)
    {
        json_t *n = json_object_get(s, mc_rj_str(sc, "outcome", ""));
        if (n) /* an outcome this reader does not know counts in total only */
            json_integer_set(n, json_integer_value(n) + 1);
        json_integer_set(json_object_get(s, "total"), (json_int_t)i + 1);
    }
    json_object_set_new(s, "tested",
                        json_integer(mc_rj_int(s, "pass", 0) + mc_rj_int(s, "fail", 0) +
                                     mc_rj_int(s, "deviation", 0)));
    return s;
}

static json_t *identity(const json_t *report, const char *file)
{
    const json_t *target = mc_rj_obj(report, "target");
    const json_t *run = mc_rj_obj(report, "run");
    const json_t *set = mc_rj_obj(run, "scenario_set");
    return json_pack(
        "{s:s, s:{s:o, s:o}, s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:o}", "file", file, "target",
        "name", str_or_null(mc_rj_str(target, "name", NULL)), "source",
        str_or_null(mc_rj_str(target, "source", NULL)), "started",
        str_or_null(mc_rj_str(report, "started", NULL)), "verdict",
        str_or_null(mc_rj_str(run, "verdict", NULL)), "stopped",
        str_or_null(mc_rj_str(run, "stopped", NULL)), "scenario_set", "count",
        json_is_integer(json_object_get(set, "count")) ? json_integer(mc_rj_int(set, "count", 0))
                                                       : json_null(),
        "sha256", str_or_null(mc_rj_str(set, "sha256", NULL)), "git_revision",
        str_or_null(mc_rj_str(set, "git_revision", NULL)), "summary", outcome_summary(report));
}

/* ---- warnings, headline, verdict ---- */

static bool differ(const char *a, const char *b)
{
    return a && b && strcmp(a, b) != 0;
}

static void warn(json_t *warnings, struct mc_buf *b)
{
    json_array_append_new(warnings, json_string(b->data));
    mc_buf_reset(b);
}

static json_t *warnings_of(const json_t *old_id, const json_t *new_id)
{
    json_t *warnings = json_array();
    struct mc_buf b = {0};
    const json_t *old_set = mc_rj_obj(old_id, "scenario_set");
    const json_t *new_set = mc_rj_obj(new_id, "scenario_set");
    if (differ(mc_rj_str(old_set, "sha256", NULL), mc_rj_str(new_set, "sha256", NULL))) {
        mc_buf_printf(&b,
                      "the reports ran different scenario sets (%lld and %lld scenarios, "
                      "sha256 %.12s and %.12s): new, removed and changed scenarios may come "
                      "from the scenario files, not from the server",
                      mc_rj_int(old_set, "count", -1), mc_rj_int(new_set, "count", -1),
                      mc_rj_str(old_set, "sha256", ""), mc_rj_str(new_set, "sha256", ""));
        warn(warnings, &b);
    }
    const json_t *old_t = mc_rj_obj(old_id, "target"), *new_t = mc_rj_obj(new_id, "target");
    const char *old_name = mc_rj_str(old_t, "name", NULL),
               *new_name = mc_rj_str(new_t, "name", NULL);
    if (old_name && new_name
            ? strcmp(old_name, new_name) != 0
            : differ(mc_rj_str(old_t, "source", NULL), mc_rj_str(new_t, "source", NULL))) {
        mc_buf_printf(&b, "the reports tested different targets: '%s' (%s) and '%s' (%s)",
                      old_name ? old_name : "unnamed", mc_rj_str(old_t, "source", "?"),
                      new_name ? new_name : "unnamed", mc_rj_str(new_t, "source", "?"));
        warn(warnings, &b);
    }
    const json_t *ids[] = {old_id, new_id};
    for (size_t k = 0; k < 2; k++) {
        if (mc_rj_str(ids[k], "stopped", NULL)) {
            mc_buf_printf(&b,
                          "%s: the run stopped early (%s): the scenarios it did not reach "
                          "are not_run",
                          mc_rj_str(ids[k], "file", "?"), mc_rj_str(ids[k], "stopped", ""));
            warn(warnings, &b);
        }
    }
    mc_buf_free(&b);
    return warnings;
}

/* "2 new failures, 1 fixed" for the categories in `which` with a count; false when none. */
static bool category_list(struct mc_buf *b, const json_t *counts, unsigned which)
{
    bool any = false;
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++) {
        long long n = mc_rj_int(counts, mc_diff_category_name((enum mc_diff_category)c), 0);
        if (n == 0 || !(which & MC_DIFF_BIT(c)))
            continue;
        mc_buf_printf(b, "%s%lld %s", any ? ", " : "", n,
                      mc_diff_category_phrase((enum mc_diff_category)c, n));
        any = true;
    }
    return any;
}

static unsigned change_categories(void)
{
    unsigned set = 0;
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++)
        if (mc_diff_category_is_change((enum mc_diff_category)c))
            set |= MC_DIFF_BIT(c);
    return set;
}

static void add_headline(json_t *model)
{
    const json_t *counts = mc_rj_obj(model, "counts");
    long long total = mc_rj_int(counts, "total", 0);
    long long still = mc_rj_int(counts, "still_failing", 0);
    struct mc_buf b = {0};
    if (category_list(&b, counts, change_categories()))
        mc_buf_printf(&b, "; %lld of %lld scenarios unchanged",
                      mc_rj_int(counts, "unchanged", 0) + still, total);
    else
        mc_buf_printf(&b, "no change: %lld scenarios, same outcomes", total);
    if (still)
        mc_buf_printf(&b, " (%lld still failing)", still);
    json_object_set_new(model, "headline", json_string(b.data));
    mc_buf_free(&b);
}

/* Whether NEW cannot stand for the server at all (it tested nothing, was interrupted, or its own
   run's verdict was untested: set-up errors or more skips than --max-skip), with the verdict
   text saying so in b. */
static bool new_untested(const json_t *model, struct mc_buf *b)
{
    const json_t *id = mc_rj_obj(model, "new"), *summary = mc_rj_obj(id, "summary");
    const char *file = mc_rj_str(id, "file", "NEW");
    if (mc_rj_int(summary, "tested", 0) == 0) {
        mc_buf_printf(
            b, "NOT TESTED: %s tested no scenario (%lld error, %lld skip, %lld not_run of %lld)",
            file, mc_rj_int(summary, "error", 0), mc_rj_int(summary, "skip", 0),
            mc_rj_int(summary, "not_run", 0), mc_rj_int(summary, "total", 0));
        return true;
    }
    const char *verdict = mc_rj_str(id, "verdict", "");
    if (strcmp(verdict, "interrupted") == 0) {
        mc_buf_printf(b, "NOT TESTED: the run of %s was interrupted (%s), %lld scenario(s) not_run",
                      file, mc_rj_str(id, "stopped", "stopped early"),
                      mc_rj_int(summary, "not_run", 0));
        return true;
    }
    if (strcmp(verdict, "untested") == 0) { /* its own run said so: set-up errors, --max-skip */
        mc_buf_printf(b,
                      "NOT TESTED: the run of %s could not test the target (its verdict: "
                      "untested; %lld error, %lld skip of %lld)",
                      file, mc_rj_int(summary, "error", 0), mc_rj_int(summary, "skip", 0),
                      mc_rj_int(summary, "total", 0));
        return true;
    }
    return false;
}

static void add_verdict(json_t *model, unsigned gates)
{
    struct mc_buf b = {0};
    const char *verdict;
    int status;
    mc_buf_append_str(&b, "REGRESSION: ");
    if (category_list(&b, mc_rj_obj(model, "counts"), gates)) {
        verdict = "regression", status = MC_DIFF_EXIT_REGRESSION;
    } else {
        mc_buf_reset(&b);
        if (new_untested(model, &b)) {
            verdict = "untested", status = MC_DIFF_EXIT_UNTESTED;
        } else {
            verdict = "ok", status = MC_DIFF_EXIT_OK;
            mc_buf_append_str(&b, "OK: no new failure");
            if (gates != MC_DIFF_GATE_ALWAYS)
                mc_buf_append_str(&b, ", nothing --fail-on names");
        }
    }
    mc_buf_printf(&b, " (exit %d)", status);
    json_object_set_new(model, "verdict", json_string(verdict));
    json_object_set_new(model, "verdict_text", json_string(b.data));
    json_object_set_new(model, "exit_status", json_integer(status));
    mc_buf_free(&b);
}

static json_t *category_names(unsigned set)
{
    json_t *a = json_array();
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++)
        if (set & MC_DIFF_BIT(c))
            json_array_append_new(a, json_string(mc_diff_category_name((enum mc_diff_category)c)));
    return a;
}

/* ---- the model ---- */

/* Every scenario id: NEW's in its order, then those only OLD has, in OLD's order. */
static json_t *entries(const json_t *old_r, const json_t *new_r, const json_t *old_index,
                       const json_t *new_index, unsigned gates)
{
    json_t *list = json_array();
    size_t i;
    json_t *sc;
    json_array_foreach(mc_rj_arr(new_r, "scenarios"), i, sc)
    {
        const char *id = mc_rj_str(sc, "id", "");
        json_array_append_new(list, entry(id, json_object_get(old_index, id), sc, gates));
    }
    json_array_foreach(mc_rj_arr(old_r, "scenarios"), i, sc)
    {
        const char *id = mc_rj_str(sc, "id", "");
        if (!json_object_get(new_index, id))
            json_array_append_new(list, entry(id, sc, NULL, gates));
    }
    return list;
}

json_t *mc_diff_build(const json_t *old_report, const json_t *new_report,
                      const struct mc_diff_options *opts, struct mc_buf *err)
{
    const char *old_file = opts->old_file ? opts->old_file : "OLD";
    const char *new_file = opts->new_file ? opts->new_file : "NEW";
    json_t *old_index = index_by_id(old_report, old_file, err);
    json_t *new_index = old_index ? index_by_id(new_report, new_file, err) : NULL;
    if (!new_index) {
        json_decref(old_index);
        return NULL;
    }
    unsigned gates = opts->fail_on | MC_DIFF_GATE_ALWAYS;
    json_t *old_id = identity(old_report, old_file), *new_id = identity(new_report, new_file);
    /* the keys in the order docs/report-format.md shows them; the nulls are set below */
    json_t *model = json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:n, s:n, s:n, s:n, s:n, s:n, s:n}",
                              "format", MC_DIFF_FORMAT, "format_version", MC_DIFF_FORMAT_VERSION,
                              "old", old_id, "new", new_id, "warnings", warnings_of(old_id, new_id),
                              "fail_on", category_names(gates), "headline", "verdict",
                              "verdict_text", "exit_status", "counts", "by_protocol", "by_level");
    json_object_set_new(model, "scenarios",
                        entries(old_report, new_report, old_index, new_index, gates));
    add_counts(model);
    add_headline(model);
    add_verdict(model, gates);
    json_decref(old_index);
    json_decref(new_index);
    return model;
}

json_t *mc_diff_files(const char *old_path, const char *new_path, unsigned fail_on,
                      struct mc_buf *err)
{
    json_t *old_r = mc_report_read(old_path, err);
    json_t *new_r = old_r ? mc_report_read(new_path, err) : NULL;
    json_t *model = NULL;
    if (new_r) {
        struct mc_diff_options opts = {old_path, new_path, fail_on};
        model = mc_diff_build(old_r, new_r, &opts, err);
    }
    json_decref(old_r);
    json_decref(new_r);
    return model;
}
