/*
 * test_diff — unit tests of harness/render/diff*.c on small hand-built reports: the category
 * of every kind of outcome change, what counts as "the same reason" (per-run values ignored,
 * another step or another kind of mismatch not), the model's counts, warnings, headline and
 * exit status, and the text printer.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/diff.h"
#include "render/report_read.h"
#include "support_check.h"

/* ---- building reports ---- */

/* A scenario with one pop3 session, level MUST, no failure. */
static json_t *scen(const char *id, const char *outcome)
{
    return json_pack("{s:s, s:s, s:s, s:[{s:s}], s:n, s:n, s:s, s:n}", "id", id, "outcome", outcome,
                     "level", "MUST", "sessions", "protocol", "pop3", "reason", "cause", "run_id",
                     "0123abcd", "failure");
}

/* A scenario with a reason (skip, error with a cause, not_run). */
static json_t *scen_reason(const char *id, const char *outcome, const char *reason,
                           const char *cause)
{
    json_t *sc = scen(id, outcome);
    json_object_set_new(sc, "reason", json_string(reason));
    json_object_set_new(sc, "cause", cause ? json_string(cause) : json_null());
    return sc;
}

/* A failed scenario: its run id, the failing step and why. */
static json_t *scen_fail(const char *id, const char *run_id, int step, const char *label,
                         const char *why, const char *got)
{
    json_t *sc = scen(id, "fail");
    json_object_set_new(sc, "run_id", json_string(run_id));
    json_object_set_new(sc, "failure",
                        json_pack("{s:i, s:i, s:s, s:s, s:i, s:s, s:s}", "position", step + 2,
                                  "step", step, "label", label, "session", "a", "line", 10 + step,
                                  "why", why, "got", got));
    return sc;
}

/* A report holding `scenarios` (taken over), run over the scenario set `sha`. */
static json_t *report(json_t *scenarios, const char *sha)
{
    return json_pack("{s:s, s:i, s:{s:s, s:s}, s:s, s:{s:s, s:n, s:{s:I, s:s, s:n}}, s:o}",
                     "format", MC_REPORT_FORMAT, "format_version", 1, "target", "name", "srv",
                     "source", "srv.json", "started", "2026-12-04T10:00:00.000Z", "run", "verdict",
                     "pass", "stopped", "scenario_set", "count",
                     (json_int_t)json_array_size(scenarios), "sha256", sha, "git_revision",
                     "scenarios", scenarios);
}

static const struct mc_diff_options plain = {"old.json", "new.json", 0};

static json_t *diff(const json_t *old_r, const json_t *new_r, unsigned fail_on)
{
    struct mc_diff_options o = plain;
    o.fail_on = fail_on;
    struct mc_buf err = {0};
    json_t *model = mc_diff_build(old_r, new_r, &o, &err);
    ck_assert_msg(model, "mc_diff_build: %s", err.data ? err.data : "");
    mc_buf_free(&err);
    return model;
}

/* The category mc_diff_classify gives, by name; takes over both (NULL: absent). */
static const char *category(json_t *old_sc, json_t *new_sc)
{
    const char *name = mc_diff_category_name(mc_diff_classify(old_sc, new_sc));
    json_decref(old_sc);
    json_decref(new_sc);
    return name;
}

static long long count(const json_t *model, const char *name)
{
    return mc_rj_int(mc_rj_obj(model, "counts"), name, -1);
}

/* The category of scenario `id` in the model. */
static const char *category_of(const json_t *model, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(mc_rj_arr(model, "scenarios"), i, e)
    {
        if (strcmp(mc_rj_str(e, "id", ""), id) == 0)
            return mc_rj_str(e, "category", "?");
    }
    return "missing";
}

/* ---- the categories ---- */

#define WHY_STAT "expected a positive reply, got '-ERR A0003 no such message'"

START_TEST(test_anything_to_fail_is_a_new_failure)
{
    static const char *const before[] = {"pass", "skip", "error", "deviation", "not_run"};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++)
        ck_assert_str_eq(
            category(scen("s", before[i]), scen_fail("s", "r", 1, "send STAT", WHY_STAT, "-ERR")),
            "new_failure");
    /* a scenario NEW alone has, failing, is a failure OLD did not have */
    ck_assert_str_eq(category(NULL, scen_fail("s", "r", 1, "send STAT", WHY_STAT, "-ERR")),
                     "new_failure");
}
END_TEST

START_TEST(test_fail_to_pass_is_fixed_other_ways_out_are_not)
{
    json_t *f = scen_fail("s", "r", 1, "send STAT", WHY_STAT, "-ERR");
    ck_assert_str_eq(category(json_incref(f), scen("s", "pass")), "fixed");
    ck_assert_str_eq(category(json_incref(f), scen_reason("s", "error", "refused", "unreachable")),
                     "new_error");
    ck_assert_str_eq(category(json_incref(f), scen_reason("s", "skip", "no pop3", NULL)),
                     "new_skip");
    ck_assert_str_eq(category(json_incref(f), scen("s", "deviation")), "other_change");
    ck_assert_str_eq(category(json_incref(f), scen_reason("s", "not_run", "SIGINT", NULL)),
                     "other_change");
    ck_assert_str_eq(category(f, NULL), "removed_scenario");
}
END_TEST

START_TEST(test_errors_skips_and_scenarios_coming_and_going)
{
    ck_assert_str_eq(category(scen("s", "pass"), scen_reason("s", "error", "x", "credentials")),
                     "new_error");
    ck_assert_str_eq(category(scen_reason("s", "error", "x", "dns"), scen("s", "pass")),
                     "error_fixed");
    ck_assert_str_eq(
        category(scen_reason("s", "error", "x", "dns"), scen_reason("s", "skip", "y", NULL)),
        "error_fixed");
    ck_assert_str_eq(category(scen("s", "pass"), scen_reason("s", "skip", "no IDLE", NULL)),
                     "new_skip");
    ck_assert_str_eq(category(scen_reason("s", "skip", "no IDLE", NULL), scen("s", "pass")),
                     "skip_gone");
    ck_assert_str_eq(category(scen("s", "pass"), scen("s", "deviation")), "other_change");
    ck_assert_str_eq(category(NULL, scen("s", "pass")), "new_scenario");
    ck_assert_str_eq(category(NULL, scen_reason("s", "error", "x", "dns")), "new_scenario");
    ck_assert_str_eq(category(scen("s", "pass"), NULL), "removed_scenario");
    ck_assert_str_eq(category(scen("s", "pass"), scen("s", "pass")), "unchanged");
}
END_TEST

/* ---- the same reason ---- */

START_TEST(test_same_failure_with_other_per_run_values_is_still_failing)
{
    /* other run id (in the pattern), other tag and queue id in the quoted reply, another count
       in the excerpt: the same step failing the same way */
    json_t *old_sc = scen_fail("s", "aaaa1111", 2, "send RCPT",
                               "expected the status line to match '^250 .*aaaa1111'; got "
                               "'550 5.1.1 <u-aaaa1111@x> 4F2A1B: unknown'",
                               "550");
    json_t *new_sc = scen_fail("s", "bbbb2222", 2, "send RCPT",
                               "expected the status line to match '^250 .*bbbb2222'; got "
                               "'550 5.1.1 <u-bbbb2222@x> 99C0: unknown'",
                               "550");
    ck_assert_str_eq(category(old_sc, new_sc), "still_failing");
}
END_TEST

START_TEST(test_another_step_or_kind_of_mismatch_is_a_changed_reason)
{
    ck_assert_str_eq(category(scen_fail("s", "r", 1, "send STAT", WHY_STAT, "-ERR"),
                              scen_fail("s", "r", 2, "send LIST", WHY_STAT, "-ERR")),
                     "changed_reason");
    ck_assert_str_eq(category(scen_fail("s", "r", 1, "send STAT", WHY_STAT, "-ERR"),
                              scen_fail("s", "r", 1, "send STAT", "no reply within 10000 ms", "")),
                     "changed_reason");
    /* the same outcome with another reason, for skips and errors too */
    ck_assert_str_eq(category(scen_reason("s", "skip", "the target lacks imap:IDLE", NULL),
                              scen_reason("s", "skip", "the target has no pop3 endpoint", NULL)),
                     "changed_reason");
    ck_assert_str_eq(category(scen_reason("s", "error", "connect 127.0.0.1:4000", "unreachable"),
                              scen_reason("s", "error", "bad password", "credentials")),
                     "changed_reason");
    /* an error with the same cause and a port that changed is the same error */
    ck_assert_str_eq(category(scen_reason("s", "error", "connect 127.0.0.1:4000", "unreachable"),
                              scen_reason("s", "error", "connect 127.0.0.1:4711", "unreachable")),
                     "unchanged");
}
END_TEST

static void assert_normalised(const char *in, const char *run_id, const char *want)
{
    struct mc_buf b = {0};
    mc_diff_normalise(in, run_id, &b);
    ck_assert_str_eq(b.data ? b.data : "", want);
    mc_buf_free(&b);
}

START_TEST(test_normalise)
{
    assert_normalised("got line 3 of  12:\t'A0003 OK done'", NULL, "got line N of N: '*'");
    assert_normalised("user u-ab12cd@x", "ab12cd", "user u-${run_id}@x");
    /* an apostrophe inside a word opens nothing; one inside an excerpt does not end it */
    assert_normalised("the server's reply 'it's 5'; then", NULL, "the server's reply '*'; then");
    /* an unterminated quote is kept as text */
    assert_normalised("got 'abc", NULL, "got 'abc");
    assert_normalised("", "x", "");
}
END_TEST

/* ---- the model ---- */

static json_t *three_passing(const char *sha)
{
    return report(json_pack("[o, o, o]", scen("pop3.a", "pass"), scen("pop3.b", "pass"),
                            scen_reason("pop3.c", "skip", "no STLS", NULL)),
                  sha);
}

START_TEST(test_self_diff_is_no_change)
{
    json_t *r = three_passing("s1");
    json_t *model = diff(r, r, 0);
    ck_assert_str_eq(mc_rj_str(model, "format", ""), MC_DIFF_FORMAT);
    ck_assert_str_eq(mc_rj_str(model, "headline", ""), "no change: 3 scenarios, same outcomes");
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_OK);
    ck_assert_str_eq(mc_rj_str(model, "verdict", ""), "ok");
    ck_assert_int_eq(count(model, "unchanged"), 3);
    ck_assert_int_eq(count(model, "total"), 3);
    ck_assert_int_eq(json_array_size(mc_rj_arr(model, "warnings")), 0);
    ck_assert_int_eq(mc_rj_int(mc_rj_obj(mc_rj_obj(model, "by_protocol"), "pop3"), "unchanged", 0),
                     3);
    ck_assert_int_eq(mc_rj_int(mc_rj_obj(mc_rj_obj(model, "by_level"), "MAY"), "total", -1), 0);
    json_decref(model);
    json_decref(r);
}
END_TEST

START_TEST(test_one_broken_scenario_gates)
{
    json_t *old_r = three_passing("s1");
    json_t *new_r =
        report(json_pack("[o, o, o, o]", scen("pop3.a", "pass"),
                         scen_fail("pop3.b", "r", 1, "send STAT", WHY_STAT, "-ERR"),
                         scen_reason("pop3.c", "skip", "no STLS", NULL), scen("pop3.d", "pass")),
               "s2");
    json_t *model = diff(old_r, new_r, 0);
    ck_assert_str_eq(category_of(model, "pop3.b"), "new_failure");
    ck_assert_str_eq(category_of(model, "pop3.d"), "new_scenario");
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_REGRESSION);
    ck_assert_str_eq(mc_rj_str(model, "headline", ""),
                     "1 new failure, 1 new scenario; 2 of 4 scenarios unchanged");
    ck_assert_str_eq(mc_rj_str(model, "verdict_text", ""), "REGRESSION: 1 new failure (exit 1)");
    ck_assert_int_eq(mc_rj_int(mc_rj_obj(mc_rj_obj(model, "by_level"), "MUST"), "new_failure", 0),
                     1);
    /* the scenario sets differ: said once */
    ck_assert_int_eq(json_array_size(mc_rj_arr(model, "warnings")), 1);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(mc_rj_arr(model, "warnings"), 0)),
                                 "different scenario sets"));
    /* the entry carries both sides */
    json_t *e = json_array_get(mc_rj_arr(model, "scenarios"), 1);
    ck_assert_str_eq(mc_rj_str(mc_rj_obj(e, "old"), "outcome", ""), "pass");
    ck_assert_str_eq(mc_rj_str(mc_rj_obj(mc_rj_obj(e, "new"), "failure"), "why", ""), WHY_STAT);
    ck_assert(mc_rj_bool(e, "gates", false));
    json_decref(model);

    /* and back: fixed, removed, exit 0 */
    model = diff(new_r, old_r, 0);
    ck_assert_str_eq(category_of(model, "pop3.b"), "fixed");
    ck_assert_str_eq(category_of(model, "pop3.d"), "removed_scenario");
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_OK);
    json_decref(model);
    json_decref(old_r);
    json_decref(new_r);
}
END_TEST

START_TEST(test_errors_gate_only_when_asked_untested_is_exit_3)
{
    json_t *old_r = three_passing("s1");
    json_t *half = report(json_pack("[o, o, o]", scen("pop3.a", "pass"),
                                    scen_reason("pop3.b", "error", "x", "unreachable"),
                                    scen_reason("pop3.c", "skip", "no STLS", NULL)),
                          "s1");
    json_t *model = diff(old_r, half, 0);
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_OK);
    json_decref(model);
    model = diff(old_r, half, MC_DIFF_BIT(MC_DIFF_NEW_ERROR));
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_REGRESSION);
    ck_assert_int_eq(json_array_size(mc_rj_arr(model, "fail_on")), 2);
    json_decref(model);

    json_t *none = report(json_pack("[o, o, o]", scen_reason("pop3.a", "error", "x", "unreachable"),
                                    scen_reason("pop3.b", "error", "x", "unreachable"),
                                    scen_reason("pop3.c", "skip", "no STLS", NULL)),
                          "s1");
    model = diff(old_r, none, 0);
    ck_assert_int_eq(count(model, "new_error"), 2);
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_UNTESTED);
    ck_assert_str_eq(mc_rj_str(model, "verdict", ""), "untested");
    json_decref(model);

    /* an interrupted run: what it tested is compared, but it does not pass for a green run */
    json_t *run = mc_rj_obj(half, "run");
    json_object_set_new(run, "verdict", json_string("interrupted"));
    json_object_set_new(run, "stopped", json_string("interrupted by SIGINT"));
    model = diff(old_r, half, 0);
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_UNTESTED);
    ck_assert_str_eq(mc_rj_str(model, "verdict_text", ""),
                     "NOT TESTED: the run of new.json was interrupted (interrupted by SIGINT), 0 "
                     "scenario(s) not_run (exit 3)");
    ck_assert_int_eq(json_array_size(mc_rj_arr(model, "warnings")), 1);
    json_decref(model);

    /* a run whose own verdict is untested (set-up errors, --max-skip) is no green diff either */
    json_object_set_new(run, "verdict", json_string("untested"));
    json_object_set_new(run, "stopped", json_null());
    model = diff(old_r, half, 0);
    ck_assert_int_eq(mc_rj_int(model, "exit_status", -1), MC_DIFF_EXIT_UNTESTED);
    ck_assert_str_eq(mc_rj_str(model, "verdict_text", ""),
                     "NOT TESTED: the run of new.json could not test the target (its verdict: "
                     "untested; 1 error, 1 skip of 3) (exit 3)");
    json_decref(model);
    json_decref(old_r);
    json_decref(half);
    json_decref(none);
}
END_TEST

START_TEST(test_a_repeated_id_is_refused)
{
    json_t *r = report(json_pack("[o, o]", scen("x", "pass"), scen("x", "fail")), "s1");
    json_t *ok = three_passing("s1");
    struct mc_buf err = {0};
    ck_assert_ptr_null(mc_diff_build(ok, r, &plain, &err));
    ck_assert_str_eq(err.data, "new.json: scenarios[1]: the id 'x' appears twice: not a report");
    mc_buf_free(&err);
    json_decref(r);
    json_decref(ok);
}
END_TEST

START_TEST(test_other_target_is_a_warning)
{
    json_t *a = three_passing("s1"), *b = three_passing("s1");
    json_object_set_new(mc_rj_obj(b, "target"), "name", json_string("other"));
    json_t *model = diff(a, b, 0);
    ck_assert_int_eq(json_array_size(mc_rj_arr(model, "warnings")), 1);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(mc_rj_arr(model, "warnings"), 0)),
                                 "different targets: 'srv' (srv.json) and 'other'"));
    json_decref(model);
    json_decref(a);
    json_decref(b);
}
END_TEST

/* ---- the text ---- */

static char *text_of(const json_t *model)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_diff_print_text(f, model, false, &err), 0);
    fclose(f);
    mc_buf_free(&err);
    return text;
}

START_TEST(test_text_names_the_broken_scenario)
{
    json_t *old_r = three_passing("s1");
    json_t *new_r = report(json_pack("[o, o, o]", scen("pop3.a", "pass"),
                                     scen_fail("pop3.b", "r", 1, "send STAT", WHY_STAT, "-ERR"),
                                     scen_reason("pop3.c", "skip", "no STLS", NULL)),
                           "s1");
    json_t *model = diff(old_r, new_r, 0);
    char *text = text_of(model);
    ck_assert_ptr_nonnull(strstr(text, "\n1 new failure; 2 of 3 scenarios unchanged\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nNEW FAILURES (1)\n  pop3.b  pass -> fail  (MUST, pop3)\n"
                                       "      now: step 1 'send STAT' (line 11): " WHY_STAT "\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nREGRESSION: 1 new failure (exit 1)\n"));
    ck_assert_ptr_null(strstr(text, "\033[")); /* no colour asked */
    free(text);
    json_decref(model);

    model = diff(old_r, old_r, 0);
    text = text_of(model);
    ck_assert_ptr_nonnull(strstr(text, "\nno change: 3 scenarios, same outcomes\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nOK: no new failure (exit 0)\n"));
    free(text);
    json_decref(model);
    json_decref(old_r);
    json_decref(new_r);
}
END_TEST

/* A report without run.scenario_set (or with a short sha256) is valid input: the HTML page must
   not read past the hash it has (ASan caught a 12-octet read of ""). */
START_TEST(test_html_without_scenario_set_hash)
{
    json_t *old_r = three_passing("s1"), *new_r = three_passing("abc");
    json_object_del(mc_rj_obj(old_r, "run"), "scenario_set");
    json_t *model = diff(old_r, new_r, 0);
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_diff_print_html(f, model, NULL, &err), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(html, "<code>abc</code>"));
    ck_assert_ptr_nonnull(strstr(html, "<code></code>"));
    free(html);
    mc_buf_free(&err);
    json_decref(model);
    json_decref(old_r);
    json_decref(new_r);
}
END_TEST

static Suite *diff_suite(void)
{
    Suite *s = suite_create("diff");
    TCase *tc = tcase_create("categories");
    tcase_add_test(tc, test_anything_to_fail_is_a_new_failure);
    tcase_add_test(tc, test_fail_to_pass_is_fixed_other_ways_out_are_not);
    tcase_add_test(tc, test_errors_skips_and_scenarios_coming_and_going);
    tcase_add_test(tc, test_same_failure_with_other_per_run_values_is_still_failing);
    tcase_add_test(tc, test_another_step_or_kind_of_mismatch_is_a_changed_reason);
    tcase_add_test(tc, test_normalise);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_add_test(tc, test_self_diff_is_no_change);
    tcase_add_test(tc, test_one_broken_scenario_gates);
    tcase_add_test(tc, test_errors_gate_only_when_asked_untested_is_exit_3);
    tcase_add_test(tc, test_a_repeated_id_is_refused);
    tcase_add_test(tc, test_other_target_is_a_warning);
    tcase_add_test(tc, test_text_names_the_broken_scenario);
    tcase_add_test(tc, test_html_without_scenario_set_hash);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(diff_suite());
}
