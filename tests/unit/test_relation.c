/*
 * test_relation — values in relation and encoded values: the expressions of expect.check
 * (relation.c), lists collected by lines_each and checks in the matcher (matcher_relate.c),
 * and the ${base64:...} / ${literal:...} functions of vars (vars_func.c). Each feature is shown
 * to pass on a right value and to FAIL, with the values in the explanation, on a wrong one.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/matcher.h"
#include "engine/relation.h"
#include "engine/vars.h"
#include "support_check.h"

static const char *const pop3_words[] = {"+OK", "-ERR", NULL};
static const struct mc_protocol pop3 = {
    .name = "pop3", .lines_key = "lines", .status_words = pop3_words};

static struct mc_vars *vars;
static struct mc_buf why;

static void setup(void)
{
    vars = mc_vars_new();
    memset(&why, 0, sizeof why);
}

static void teardown(void)
{
    mc_vars_free(vars);
    mc_buf_free(&why);
}

/* ---- relation.c over a plain variable map ---- */

static bool env_scalar(void *ctx, const char *name, const char **value, size_t *len)
{
    if (mc_vars_get_list(ctx, name))
        return false;
    *value = mc_vars_get(ctx, name, len);
    return *value != NULL;
}

static const struct mc_strv *env_list(void *ctx, const char *name)
{
    return mc_vars_get_list(ctx, name);
}

static int eval(const char *src)
{
    struct mc_relation_env env = {env_scalar, env_list, vars};
    mc_buf_reset(&why);
    return mc_relation_eval(src, &env, &why);
}

static void set_list(const char *name, const char *const *values)
{
    struct mc_strv l = {0};
    for (size_t i = 0; values[i]; i++)
        mc_strv_push_str(&l, values[i]);
    mc_vars_set_list(vars, name, &l);
    mc_strv_free(&l);
}

#define ck_assert_why(s)                                                                           \
    ck_assert_msg(why.data &&strstr(why.data, (s)) != NULL, "why lacks \"%s\":\n%s", (s),          \
                  why.data ? why.data : "(null)")

START_TEST(test_compare_and_arithmetic)
{
    mc_vars_set(vars, "uid", "7", 1);
    mc_vars_set(vars, "uidnext", "8", 1);
    ck_assert_int_eq(eval("${uid} < ${uidnext}"), 1);
    ck_assert_int_eq(eval("${uid} + 1 == ${uidnext}"), 1);
    ck_assert_int_eq(eval("2 * (${uid} - 1) >= 12"), 1);
    ck_assert_int_eq(eval("${uid} > ${uidnext}"), 0);
    ck_assert_str_eq(why.data, "expected ${uid} > ${uidnext}: ${uid} is 7; ${uidnext} is 8");
    ck_assert_int_eq(eval("${uid} - ${uidnext} == 0 - 1"), 1);
}
END_TEST

START_TEST(test_bytes_equality)
{
    mc_vars_set(vars, "a", "INBOX", 5);
    mc_vars_set(vars, "b", "INBOX", 5);
    mc_vars_set(vars, "c", "Inbox", 5);
    ck_assert_int_eq(eval("${a} == ${b}"), 1);
    ck_assert_int_eq(eval("${a} != ${c}"), 1);
    ck_assert_int_eq(eval("${a} == ${c}"), 0);
    ck_assert_why("${a} is 'INBOX'; ${c} is 'Inbox'");
    ck_assert_int_eq(eval("${a} < 3"), -1);
    ck_assert_why("'INBOX' is not a number");
}
END_TEST

START_TEST(test_lists)
{
    set_list("size", (const char *const[]){"400", "417", "417", NULL});
    mc_vars_set(vars, "total", "1234", 4);
    ck_assert_int_eq(eval("sum(${size}) == ${total}"), 1);
    ck_assert_int_eq(eval("count(${size}) == 3"), 1);
    ck_assert_int_eq(eval("min(${size}) == 400"), 1);
    ck_assert_int_eq(eval("max(${size}) == 417"), 1);
    mc_vars_set(vars, "total", "1230", 4);
    ck_assert_int_eq(eval("sum(${size}) == ${total}"), 0);
    ck_assert_str_eq(why.data, "expected sum(${size}) == ${total}: ${size} = [400, 417, 417], "
                               "sum is 1234; ${total} is 1230");
    ck_assert_int_eq(eval("distinct(${size})"), 0);
    ck_assert_why("values 2 and 3 are both 417");
    set_list("uidl", (const char *const[]){"a1", "b2", NULL});
    ck_assert_int_eq(eval("distinct(${uidl})"), 1);
    ck_assert_int_eq(eval("sum(${uidl}) == 0"), -1);
    ck_assert_why("value 1 of ${uidl}, 'a1', is not a number");
    set_list("none", (const char *const[]){NULL});
    ck_assert_int_eq(eval("count(${none}) == 0"), 1);
    ck_assert_int_eq(eval("sum(${none}) == 0"), 1);
    ck_assert_int_eq(eval("max(${none}) == 0"), -1);
    ck_assert_why("max() of an empty list has no value");
    ck_assert_int_eq(eval("${size} == 1"), -1);
    ck_assert_why("${size} holds a list");
}
END_TEST

START_TEST(test_octets_and_limits)
{
    mc_vars_set(vars, "body", "a\0b", 3);
    ck_assert_int_eq(eval("octets(${body}) == 3"), 1);
    mc_vars_set(vars, "big", "999999999999999999", 18);
    ck_assert_int_eq(eval("${big} * ${big} > 0"), -1);
    ck_assert_why("overflows");
    ck_assert_int_eq(eval("${unset} == 1"), -1);
    ck_assert_why("${unset} was not captured");
}
END_TEST

START_TEST(test_parse_errors)
{
    const char *bad[] = {"${a} = 1",
                         "${a} ==",
                         "1 == 1 == 1",
                         "avg(${a}) == 1",
                         "count(a) == 1",
                         "${1a} == 1",
                         "distinct(${a}) == 1",
                         "((((1)))",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mc_buf_reset(&why);
        ck_assert_msg(mc_relation_parse(bad[i], NULL, NULL, &why) == -1, "accepted '%s'", bad[i]);
        ck_assert_why("at offset");
    }
    ck_assert_int_eq(mc_relation_parse("sum(${a}) + 2*${b} <= (${c})", NULL, NULL, &why), 0);
}
END_TEST

/* ---- the matcher: lines_each and check ---- */

static struct mc_reply r;
static struct mc_expect e;

static void reply_lines(const char *status_line, const char *const *data)
{
    memset(&r, 0, sizeof r);
    r.kind = MC_REPLY_FINAL;
    snprintf(r.status, sizeof r.status, "+OK");
    r.positive = true;
    r.status_line = mc_xstrdup(status_line);
    r.status_line_len = strlen(status_line);
    for (size_t i = 0; data[i]; i++)
        mc_strv_push_str(&r.data, data[i]);
    memset(&e, 0, sizeof e);
    e.ok = -1;
    e.multiline = -1;
}

static void reply_free(void)
{
    free(r.status_line);
    mc_strv_free(&r.data);
}

static bool check(void)
{
    mc_buf_reset(&why);
    return mc_expect_check(&e, &pop3, &r, vars, NULL, &why);
}

START_TEST(test_matcher_collects_and_checks)
{
    reply_lines("+OK 3 messages", (const char *const[]){"1 400", "2 417", "3 417", NULL});
    char *each[] = {"^(?<msg>\\d+) (?<size>\\d+)$"};
    char *checks[] = {"count(${size}) == ${count}", "sum(${size}) == ${total}", "distinct(${msg})"};
    e.match = "^\\+OK (?<count>\\d+)";
    e.lines_each = (struct mc_patterns){each, 1};
    e.checks = (struct mc_patterns){checks, 3};
    mc_vars_set(vars, "total", "1234", 4);
    ck_assert_msg(check(), "%s", why.data);
    ck_assert_ptr_nonnull(mc_vars_get_list(vars, "size"));
    ck_assert_str_eq(mc_vars_get(vars, "size", NULL), "400,417,417");
    ck_assert_str_eq(mc_vars_get(vars, "count", NULL), "3");

    mc_vars_set(vars, "total", "1230", 4); /* a server whose STAT total is wrong */
    mc_vars_set(vars, "size", "x", 1);     /* the step's own list wins over an older value */
    ck_assert(!check());
    ck_assert_why("expected sum(${size}) == ${total}: ${size} = [400, 417, 417], sum is 1234");
    ck_assert_str_eq(mc_vars_get(vars, "size", NULL), "x"); /* a failed step stores nothing */
    reply_free();
}
END_TEST

START_TEST(test_matcher_reply_octets)
{
    reply_lines("+OK message follows", (const char *const[]){"Subject: x", "", "body", NULL});
    char *checks[] = {"${reply_octets} == ${size}", "${reply_lines} == 3"};
    e.checks = (struct mc_patterns){checks, 2};
    mc_vars_set(vars, "size", "20", 2); /* 10+2, 0+2, 4+2 */
    ck_assert_msg(check(), "%s", why.data);
    mc_vars_set(vars, "size", "21", 2);
    ck_assert(!check());
    ck_assert_why("${reply_octets} is 20; ${size} is 21");
    reply_free();
}
END_TEST

START_TEST(test_each_lines_close_the_set)
{
    reply_lines("+OK", (const char *const[]){"1 a", "2 b", "junk", NULL});
    char *each[] = {"^\\d+ (?<id>\\S+)$"};
    e.lines_each = (struct mc_patterns){each, 1};
    e.lines_may_given = true;
    ck_assert(!check());
    ck_assert_why("unexpected line 3 of 3: 'junk'");
    ck_assert_why("lines_may or lines_each");
    reply_free();
}
END_TEST

/* ---- vars_func.c ---- */

static struct mc_buf out, err;

static int expand(const char *in, enum mc_expand_mode mode)
{
    mc_buf_reset(&out);
    mc_buf_reset(&err);
    return mc_vars_expand(vars, NULL, in, strlen(in), mode, &out, &err);
}

START_TEST(test_functions)
{
    mc_vars_set(vars, "nul", "", 1);
    mc_vars_set(vars, "user", "tim", 3);
    mc_vars_set(vars, "password", "tanstaaftanstaaf", 16);
    /* RFC 4616 section 4's example: "\0tim\0tanstaaftanstaaf" */
    ck_assert_int_eq(expand("AUTH PLAIN ${base64:${nul}${user}${nul}${password}}", MC_EXPAND_TEXT),
                     0);
    ck_assert_str_eq(out.data, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    ck_assert_int_eq(expand("LOGIN ${literal:${user}} x", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "LOGIN {3}\r\ntim x");
    ck_assert_int_eq(expand("${literal:}", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "{0}\r\n");
    ck_assert_int_eq(expand("^${literal:a.b}$", MC_EXPAND_REGEX), 0);
    ck_assert_str_eq(out.data, "^\\{3\\}\\x0d\\x0aa\\.b$");
    ck_assert_int_eq(expand("${base64:$$}", MC_EXPAND_TEXT), 0);
    ck_assert_str_eq(out.data, "JA==");
    ck_assert_int_eq(expand("${base64:x", MC_EXPAND_TEXT), -1);
    ck_assert_int_eq(expand("${rot13:x}", MC_EXPAND_TEXT), -1);
    ck_assert_msg(strstr(err.data, "unknown function 'rot13'"), "%s", err.data);
    ck_assert_int_eq(expand("${base64:${nope}}", MC_EXPAND_TEXT), -1);
    ck_assert_str_eq(err.data, "unknown variable ${nope}");
    mc_buf_free(&out);
    mc_buf_free(&err);
}
END_TEST

static void heard(const struct mc_vars_call *c, void *ctx)
{
    struct mc_buf *log = ctx;
    mc_buf_printf(log, "%.*s@%zu+%zu/%u;", (int)c->name_len, c->name, c->at, c->len, c->depth);
}

START_TEST(test_function_hooks)
{
    struct mc_buf log = {0};
    struct mc_expand_hooks hooks = {heard, &log};
    const char *in = "X ${literal:ab} ${literal:${base64:a}}";
    ck_assert_int_eq(
        mc_vars_expand_hooked(vars, NULL, in, strlen(in), MC_EXPAND_TEXT, &out, &err, &hooks), 0);
    ck_assert_str_eq(out.data, "X {2}\r\nab {4}\r\nYQ==");
    ck_assert_str_eq(log.data, "literal@2+7/0;base64@0+4/1;literal@10+9/0;");
    mc_buf_free(&log);
    mc_buf_free(&out);
    mc_buf_free(&err);
}
END_TEST

static Suite *relation_suite(void)
{
    Suite *s = suite_create("relation");
    TCase *t = tcase_create("relation");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_compare_and_arithmetic);
    tcase_add_test(t, test_bytes_equality);
    tcase_add_test(t, test_lists);
    tcase_add_test(t, test_octets_and_limits);
    tcase_add_test(t, test_parse_errors);
    tcase_add_test(t, test_matcher_collects_and_checks);
    tcase_add_test(t, test_matcher_reply_octets);
    tcase_add_test(t, test_each_lines_close_the_set);
    tcase_add_test(t, test_functions);
    tcase_add_test(t, test_function_hooks);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return mc_check_run(relation_suite());
}
