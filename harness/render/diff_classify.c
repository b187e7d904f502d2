/*
 * diff_classify — the category of one scenario in a report diff, and what "the same reason"
 * means (diff.h; the decision and its reasons are in docs/decisions.md, "report diff").
 *
 * Two runs of an unchanged server differ in every per-run value their messages quote: the
 * run id, IMAP tags and UIDVALIDITY, SMTP queue ids, dates, ports. So a reason is compared as
 * a key without them: the failing step (its index in the scenario file and its label) and
 * the failure's `why` with the scenario's run id replaced, every quoted excerpt (peer lines
 * and patterns, which mc_why_quote writes between single quotes) blanked and digits blanked.
 * What stays is the kind of mismatch ("expected a positive reply, got '*'", "could not
 * connect within N ms"), which is what a developer asks about: does it still break the same
 * way? Both sides' exact `why` and `got` stay in the model for people to read.
 */
#include <ctype.h>
#include <string.h>

#include "render/diff.h"
#include "render/report_read.h"

static const struct {
    const char *name, *one, *many;
    bool change;
} categories[MC_DIFF_CATEGORY_COUNT] = {
    [MC_DIFF_NEW_FAILURE] = {"new_failure", "new failure", "new failures", true},
    [MC_DIFF_CHANGED_REASON] = {"changed_reason", "changed reason", "changed reasons", true},
    [MC_DIFF_NEW_ERROR] = {"new_error", "new error", "new errors", true},
    [MC_DIFF_NEW_SKIP] = {"new_skip", "newly skipped", "newly skipped", true},
    [MC_DIFF_REMOVED_SCENARIO] = {"removed_scenario", "removed scenario", "removed scenarios",
                                  true},
    [MC_DIFF_FIXED] = {"fixed", "fixed", "fixed", true},
    [MC_DIFF_ERROR_FIXED] = {"error_fixed", "error gone", "errors gone", true},
    [MC_DIFF_SKIP_GONE] = {"skip_gone", "no longer skipped", "no longer skipped", true},
    [MC_DIFF_NEW_SCENARIO] = {"new_scenario", "new scenario", "new scenarios", true},
    [MC_DIFF_OTHER_CHANGE] = {"other_change", "other change", "other changes", true},
    [MC_DIFF_STILL_FAILING] = {"still_failing", "still failing", "still failing", false},
    [MC_DIFF_UNCHANGED] = {"unchanged", "unchanged", "unchanged", false},
};

const char *mc_diff_category_name(enum mc_diff_category c)
{
    return c < MC_DIFF_CATEGORY_COUNT ? categories[c].name : "?";
}

const char *mc_diff_category_phrase(enum mc_diff_category c, long long count)
{
    if (c >= MC_DIFF_CATEGORY_COUNT)
        return "?";
    return count == 1 ? categories[c].one : categories[c].many;
}

int mc_diff_category_parse(const char *name, enum mc_diff_category *out)
{
    for (int c = 0; c < MC_DIFF_CATEGORY_COUNT; c++) {
        if (strcmp(categories[c].name, name) == 0) {
            *out = (enum mc_diff_category)c;
            return 0;
        }
    }
    return -1;
}

bool mc_diff_category_is_change(enum mc_diff_category c)
{
    return c < MC_DIFF_CATEGORY_COUNT && categories[c].change;
}

/* ---- the same reason ---- */

/* Whether the single quote at text[i] opens an excerpt: mc_why_quote's quotes follow a space,
   a colon or a bracket, never a letter ("the server's" has no excerpt). */
static bool opens_excerpt(const char *text, size_t i)
{
    return i == 0 || !isalnum((unsigned char)text[i - 1]);
}

/* The end of the excerpt opened at text[open]: the next quote not followed by a letter or a
   digit (an apostrophe inside a peer's line, "it's", does not end it); NULL if none. */
static const char *excerpt_end(const char *text, size_t open)
{
    for (const char *q = strchr(text + open + 1, '\''); q; q = strchr(q + 1, '\''))
        if (!isalnum((unsigned char)q[1]))
            return q;
    return NULL;
}

/* Where the run of characters of one class that starts at text[i] ends. */
static size_t run_end(const char *text, size_t i, int (*in_class)(int))
{
    while (text[i] && in_class((unsigned char)text[i]))
        i++;
    return i;
}

void mc_diff_normalise(const char *text, const char *run_id, struct mc_buf *out)
{
    size_t run_id_len = run_id ? strlen(run_id) : 0;
    size_t i = 0;
    while (text[i]) {
        const char *end;
        unsigned char c = (unsigned char)text[i];
        if (run_id_len && strncmp(text + i, run_id, run_id_len) == 0) {
            mc_buf_append_str(out, "${run_id}");
            i += run_id_len;
        } else if (c == '\'' && opens_excerpt(text, i) && (end = excerpt_end(text, i))) {
            mc_buf_append_str(out, "'*'");
            i = (size_t)(end - text) + 1;
        } else if (isdigit(c)) {
            mc_buf_append_char(out, 'N');
            i = run_end(text, i, isdigit);
        } else if (isspace(c)) {
            mc_buf_append_char(out, ' ');
            i = run_end(text, i, isspace);
        } else {
            mc_buf_append_char(out, (char)c);
            i++;
        }
    }
}

/* Appends `text` normalised, with the scenario's own run id. */
static void reason_text(const json_t *sc, const char *text, struct mc_buf *out)
{
    if (text)
        mc_diff_normalise(text, mc_rj_str(sc, "run_id", NULL), out);
}

void mc_diff_reason_key(const json_t *sc, struct mc_buf *out)
{
    const char *outcome = mc_rj_str(sc, "outcome", "");
    const json_t *failure = mc_rj_obj(sc, "failure");
    if (strcmp(outcome, "fail") == 0 || strcmp(outcome, "deviation") == 0) {
        if (failure) {
            mc_buf_printf(out, "step %lld ", mc_rj_int(failure, "step", -2));
            mc_diff_normalise(mc_rj_str(failure, "label", ""), NULL, out);
            mc_buf_append_str(out, ": ");
            reason_text(sc, mc_rj_str(failure, "why", NULL), out);
        } else {
            reason_text(sc, mc_rj_str(sc, "reason", NULL), out);
        }
    } else if (strcmp(outcome, "error") == 0) {
        const char *cause = mc_rj_str(sc, "cause", NULL);
        if (cause)
            mc_buf_printf(out, "cause %s", cause);
        else
            reason_text(sc, mc_rj_str(sc, "reason", NULL), out);
    } else if (strcmp(outcome, "skip") == 0) {
        reason_text(sc, mc_rj_str(sc, "reason", NULL), out);
    }
}

static bool same_reason(const json_t *old_sc, const json_t *new_sc)
{
    struct mc_buf a = {0}, b = {0};
    mc_diff_reason_key(old_sc, &a);
    mc_diff_reason_key(new_sc, &b);
    bool same = a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
    mc_buf_free(&a);
    mc_buf_free(&b);
    return same;
}

/* ---- the category ---- */

static bool is(const char *outcome, const char *name)
{
    return strcmp(outcome, name) == 0;
}

/* Both present, the outcomes differ, neither is fail (new_failure and the fail -> X cases are
   decided before). */
static enum mc_diff_category outcome_change(const char *old_o, const char *new_o)
{
    if (is(new_o, "error"))
        return MC_DIFF_NEW_ERROR;
    if (is(old_o, "error"))
        return MC_DIFF_ERROR_FIXED;
    if (is(new_o, "skip"))
        return MC_DIFF_NEW_SKIP;
    if (is(old_o, "skip"))
        return MC_DIFF_SKIP_GONE;
    return MC_DIFF_OTHER_CHANGE;
}

enum mc_diff_category mc_diff_classify(const json_t *old_sc, const json_t *new_sc)
{
    const char *old_o = old_sc ? mc_rj_str(old_sc, "outcome", "") : NULL;
    const char *new_o = new_sc ? mc_rj_str(new_sc, "outcome", "") : NULL;
    if (!new_o)
        return MC_DIFF_REMOVED_SCENARIO;
    if (is(new_o, "fail") && !(old_o && is(old_o, "fail")))
        return MC_DIFF_NEW_FAILURE;
    if (!old_o)
        return MC_DIFF_NEW_SCENARIO;
    if (is(old_o, "fail") && is(new_o, "fail"))
        return same_reason(old_sc, new_sc) ? MC_DIFF_STILL_FAILING : MC_DIFF_CHANGED_REASON;
    if (is(old_o, "fail") && is(new_o, "pass"))
        return MC_DIFF_FIXED;
    if (is(old_o, new_o))
        return same_reason(old_sc, new_sc) ? MC_DIFF_UNCHANGED : MC_DIFF_CHANGED_REASON;
    return outcome_change(old_o, new_o);
}
