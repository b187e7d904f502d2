/*
 * test_matcher — mc_expect_check and friends against hand-made replies.
 *
 * The protocols here are tiny stand-ins (only name, lines_key and status_words matter to the
 * matcher), so these tests do not depend on the real framers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/matcher.h"
#include "support_check.h"

static const char *const imap_words[] = {"OK", "NO", "BAD", "PREAUTH", "BYE", "+", NULL};
static const char *const pop3_words[] = {"+OK", "-ERR", "+", NULL};
static const char *const smtp_words[] = {NULL};
static const struct mc_protocol imap = {
    .name = "imap", .lines_key = "untagged", .status_words = imap_words};
static const struct mc_protocol pop3 = {
    .name = "pop3", .lines_key = "lines", .status_words = pop3_words};
static const struct mc_protocol smtp = {
    .name = "smtp", .lines_key = "lines", .status_words = smtp_words};

static struct mc_vars *vars;
static struct mc_buf why;
static struct mc_reply r;
static struct mc_expect e;

static void setup(void)
{
    vars = mc_vars_new();
    memset(&why, 0, sizeof why);
    memset(&r, 0, sizeof r);
    memset(&e, 0, sizeof e);
    e.ok = -1;
    e.multiline = -1;
}

static void teardown(void)
{
    free(r.status_line);
    free(r.text);
    mc_strv_free(&r.lines);
    mc_strv_free(&r.data);
    mc_strv_free(&r.literals);
    mc_vars_free(vars);
    mc_buf_free(&why);
}

/* A reply: status token, status line, and data lines (NULL-terminated). */
static void reply(enum mc_reply_kind kind, const char *status, bool positive,
                  const char *status_line, const char *const *data)
{
    r.kind = kind;
    snprintf(r.status, sizeof r.status, "%s", status);
    r.positive = positive;
    free(r.status_line);
    r.status_line = mc_xstrdup(status_line);
    r.status_line_len = strlen(status_line);
    mc_strv_clear(&r.data);
    for (size_t i = 0; data && data[i]; i++)
        mc_strv_push_str(&r.data, data[i]);
}

static void smtp_reply(int code, const char *enhanced, const char *status_line)
{
    char status[8];
    snprintf(status, sizeof status, "%d", code);
    reply(code >= 300 && code < 400 ? MC_REPLY_CONTINUATION : MC_REPLY_FINAL, status, code < 400,
          status_line, NULL);
    r.code = code;
    snprintf(r.enhanced, sizeof r.enhanced, "%s", enhanced);
}

#define PATTERNS(...)                                                                              \
    ((struct mc_patterns){.items = (char *[]){__VA_ARGS__},                                        \
                          .count = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})
#define LINES(...) ((const char *const[]){__VA_ARGS__, NULL})

static bool check(const struct mc_protocol *proto)
{
    mc_buf_reset(&why);
    return mc_expect_check(&e, proto, &r, vars, NULL, &why);
}

#define ck_assert_why(s)                                                                           \
    ck_assert_msg(why.data &&strstr(why.data, (s)) != NULL, "why lacks \"%s\":\n%s", (s),          \
                  why.data ? why.data : "(null)")

static void assert_var(const char *name, const char *value)
{
    const char *got = mc_vars_get(vars, name, NULL);
    ck_assert_msg(got != NULL, "variable %s not set", name);
    ck_assert_str_eq(got, value);
}

/* ---- status fields ---- */

START_TEST(test_empty_expect_passes)
{
    reply(MC_REPLY_FINAL, "-ERR", false, "-ERR nope", LINES("x"));
    ck_assert(check(&pop3));
    ck_assert_uint_eq(why.len, 0);
}
END_TEST

START_TEST(test_continuation)
{
    e.continuation = true;
    reply(MC_REPLY_FINAL, "OK", true, "A0003 OK done", NULL);
    ck_assert(!check(&imap));
    ck_assert_why("expected a continuation request, got final reply 'A0003 OK done'");
    reply(MC_REPLY_CONTINUATION, "+", true, "+ Ready for literal data", NULL);
    ck_assert(check(&imap));
}
END_TEST

START_TEST(test_continuation_compared_normally)
{
    /* Not asking for a continuation: a continuation reply is judged on the other fields. */
    e.ok = 1;
    smtp_reply(354, "", "354 Start mail input");
    ck_assert(check(&smtp));
    e.ok = -1;
    e.code = 250;
    ck_assert(!check(&smtp));
    ck_assert_why("expected reply code 250, got '354 Start mail input'");
}
END_TEST

START_TEST(test_ok)
{
    e.ok = 1;
    reply(MC_REPLY_FINAL, "-ERR", false, "-ERR no such message", NULL);
    ck_assert(!check(&pop3));
    ck_assert_str_eq(why.data, "expected a positive reply, got '-ERR no such message'");
    e.ok = 0;
    ck_assert(check(&pop3));
    reply(MC_REPLY_FINAL, "+OK", true, "+OK 2 messages", NULL);
    ck_assert(!check(&pop3));
    ck_assert_why("expected a negative reply, got '+OK 2 messages'");
}
END_TEST

START_TEST(test_status)
{
    e.status = "NO";
    reply(MC_REPLY_FINAL, "OK", true, "A0003 OK done", NULL);
    ck_assert(!check(&imap));
    ck_assert_why("expected status NO, got 'A0003 OK done'");
    e.status = "ok"; /* RFC 3501 9: status words are case-insensitive */
    ck_assert(check(&imap));
    e.status = "+OK";
    ck_assert(!check(&imap));
    ck_assert_why("expect.status \"+OK\" is not one of the imap status words: OK NO BAD");
}
END_TEST

START_TEST(test_ok_before_status)
{
    /* Several fields wrong: the first in the documented order is reported. */
    e.ok = 1;
    e.status = "OK";
    reply(MC_REPLY_FINAL, "NO", false, "A1 NO [TRYCREATE] no mailbox", NULL);
    ck_assert(!check(&imap));
    ck_assert_why("expected a positive reply");
}
END_TEST

START_TEST(test_code_and_class)
{
    smtp_reply(550, "5.1.1", "550 5.1.1 no such user");
    e.code = 550;
    ck_assert(check(&smtp));
    e.code = 250;
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data, "expected reply code 250, got '550 5.1.1 no such user'");
    e.code = 0;
    e.code_class = 5;
    ck_assert(check(&smtp));
    e.code_class = 2;
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data, "expected a 2xx reply, got '550 5.1.1 no such user'");
}
END_TEST

START_TEST(test_enhanced)
{
    e.enhanced = "2.1.0";
    smtp_reply(250, "2.1.0", "250 2.1.0 Sender ok");
    ck_assert(check(&smtp));
    smtp_reply(250, "2.1.5", "250 2.1.5 Recipient ok");
    ck_assert(!check(&smtp));
    ck_assert_why("expected enhanced status 2.1.0, got 2.1.5");
    ck_assert_why("'250 2.1.5 Recipient ok'");
    smtp_reply(250, "", "250 ok");
    ck_assert(!check(&smtp));
    ck_assert_why("expected enhanced status 2.1.0, got none");
}
END_TEST

/* ---- status line regexes and captures ---- */

START_TEST(test_match_and_capture)
{
    e.ok = 1;
    e.match = "^\\+OK (?<n>\\d+) (?<size>\\d+)";
    reply(MC_REPLY_FINAL, "+OK", true, "+OK 2 320", NULL);
    ck_assert(check(&pop3));
    assert_var("n", "2");
    assert_var("size", "320");
}
END_TEST

START_TEST(test_match_fails)
{
    e.match = "^\\+OK (?<n>\\d+) \\d+";
    reply(MC_REPLY_FINAL, "+OK", true, "+OK", NULL);
    ck_assert(!check(&pop3));
    ck_assert_str_eq(why.data, "expected the status line to match '^\\+OK (?<n>\\d+) \\d+'; got "
                               "'+OK'");
    ck_assert_ptr_null(mc_vars_get(vars, "n", NULL));
}
END_TEST

START_TEST(test_not_match)
{
    e.not_match = "\\[ALERT\\]";
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK done", NULL);
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK [ALERT] disk full", NULL);
    ck_assert(!check(&imap));
    ck_assert_why("expected the status line not to match '\\[ALERT\\]'; got 'A1 OK [ALERT] disk "
                  "full'");
}
END_TEST

START_TEST(test_captures_across_checks)
{
    e.match = "^\\+OK (?<n>\\d+) ";
    reply(MC_REPLY_FINAL, "+OK", true, "+OK 2 320", NULL);
    ck_assert(check(&pop3));
    e.match = "^\\+OK ${n} ";
    reply(MC_REPLY_FINAL, "+OK", true, "+OK 2 100", NULL);
    ck_assert(check(&pop3));
    reply(MC_REPLY_FINAL, "+OK", true, "+OK 3 100", NULL);
    ck_assert(!check(&pop3));
    ck_assert_why("'^\\+OK ${n} ' (with variables: '^\\+OK 2 ')");
    /* A later capture replaces the value. */
    e.match = "^\\+OK (?<n>\\d+) ";
    ck_assert(check(&pop3));
    assert_var("n", "3");
}
END_TEST

START_TEST(test_capture_quoted_literally)
{
    e.match = "^(?<v>\\S+)$";
    reply(MC_REPLY_FINAL, "+OK", true, "a.b", NULL);
    ck_assert(check(&pop3));
    e.match = "^${v}$";
    reply(MC_REPLY_FINAL, "+OK", true, "axb", NULL);
    ck_assert(!check(&pop3));
    reply(MC_REPLY_FINAL, "+OK", true, "a.b", NULL);
    ck_assert(check(&pop3));
}
END_TEST

START_TEST(test_local_vars)
{
    struct mc_vars *local = mc_vars_new();
    mc_vars_set(vars, "user", "global", 6);
    mc_vars_set(local, "user", "alice", 5);
    e.match = "^\\+OK ${user} ";
    reply(MC_REPLY_FINAL, "+OK", true, "+OK alice is here", NULL);
    ck_assert(mc_expect_check(&e, &pop3, &r, vars, local, &why));
    ck_assert(!mc_expect_check(&e, &pop3, &r, vars, NULL, &why));
    mc_vars_free(local);
}
END_TEST

START_TEST(test_no_commit_on_failure)
{
    mc_vars_set(vars, "uid", "old", 3);
    e.match = "^(?<uid>\\d+) (?<other>\\w+)";
    e.lines = PATTERNS("^missing$");
    reply(MC_REPLY_FINAL, "+OK", true, "42 here", LINES("present"));
    ck_assert(!check(&pop3));
    assert_var("uid", "old");
    ck_assert_ptr_null(mc_vars_get(vars, "other", NULL));
}
END_TEST

START_TEST(test_unset_group_not_stored)
{
    e.match = "^(?:(?<a>x)|(?<b>y))$";
    reply(MC_REPLY_FINAL, "+OK", true, "y", NULL);
    ck_assert(check(&pop3));
    assert_var("b", "y");
    ck_assert_ptr_null(mc_vars_get(vars, "a", NULL));
}
END_TEST

START_TEST(test_unknown_variable_in_pattern)
{
    e.lines = PATTERNS("^\\* SEARCH ${uid}$");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("* SEARCH 4"));
    ck_assert(!check(&imap));
    ck_assert_why("untagged[0]");
    ck_assert_why("unknown variable ${uid}");
}
END_TEST

START_TEST(test_compile_error)
{
    e.match = "^(ab";
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", NULL);
    ck_assert(!check(&imap));
    ck_assert_why("match: pattern '^(ab' is not a valid regular expression: missing closing "
                  "parenthesis at offset 4");
}
END_TEST

START_TEST(test_no_utf_mode)
{
    /* Reply bytes need not be UTF-8: '.' is one byte, and (*UTF) is refused. */
    static const char bad[] = "\xff\xfe";
    e.match = "^..$";
    reply(MC_REPLY_FINAL, "+OK", true, bad, NULL);
    ck_assert(check(&pop3));
    e.match = "(*UTF)^..$";
    ck_assert(!check(&pop3));
    ck_assert_why("not a valid regular expression");
}
END_TEST

START_TEST(test_binary_capture)
{
    /* A line with a NUL byte; the capture keeps it and it is matched back literally. */
    static const char line[] = {'v', '=', 'a', '\0', '.', '\xff'};
    e.lines = PATTERNS("^v=(?<v>.*)$");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", NULL);
    mc_strv_push(&r.data, line, sizeof line);
    ck_assert(check(&imap));
    size_t len = 0;
    const char *v = mc_vars_get(vars, "v", &len);
    ck_assert_uint_eq(len, 4);
    ck_assert_mem_eq(v, line + 2, 4);
    e.lines = PATTERNS("^v=${v}$");
    ck_assert(check(&imap));
    r.data.items[0].ptr[4] = 'x'; /* '.' in the value must not match 'x' */
    ck_assert(!check(&imap));
    ck_assert_why("'v=a\\x00x\\xff'"); /* quoted printably */
    ck_assert_why("'^v=${v}$' (with variables: '^v=a\\x00\\.\\xff$')");
}
END_TEST

/* ---- line sets ---- */

START_TEST(test_lines_missing)
{
    e.lines = PATTERNS("^\\* 3 EXPUNGE$");
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK NOOP completed", LINES("* 1 EXPUNGE", "* 4 EXISTS"));
    ck_assert(!check(&imap));
    ck_assert_str_eq(why.data, "expected an untagged line matching '^\\* 3 EXPUNGE$'; the "
                               "untagged lines were:\n  '* 1 EXPUNGE'\n  '* 4 EXISTS'");
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK", NULL);
    ck_assert(!check(&imap));
    ck_assert_why("; there were no untagged lines");
    e.lines = PATTERNS("^AUTH ");
    reply(MC_REPLY_FINAL, "250", true, "250 SIZE", LINES("mx.example", "PIPELINING"));
    ck_assert(!check(&smtp));
    ck_assert_why("expected a line matching '^AUTH '; the lines were:\n  'mx.example'");
}
END_TEST

START_TEST(test_lines_any_order)
{
    e.lines = PATTERNS("^\\* 3 EXPUNGE$", "^\\* 1 EXPUNGE$");
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK", LINES("* 1 EXPUNGE", "* 3 EXPUNGE"));
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK", LINES("* 3 EXPUNGE", "* 2 RECENT", "* 1 EXPUNGE"));
    ck_assert(check(&imap));
}
END_TEST

START_TEST(test_lines_bipartite)
{
    /* Greedy would give "a" to "ab" (its first match) and leave "a.*" nothing. */
    e.lines = PATTERNS("a", "a.*");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("ab", "a"));
    ck_assert(check(&imap));
    e.lines = PATTERNS("^(?<x>a)$", "^(?<y>a.*)$");
    ck_assert(check(&imap));
    assert_var("x", "a");
    assert_var("y", "ab");
    /* Harder: a chain of re-routings. */
    e.lines = PATTERNS("[12]", "[23]", "[34]", "1");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("1", "2", "3", "4"));
    ck_assert(check(&imap));
}
END_TEST

START_TEST(test_lines_distinct)
{
    e.lines = PATTERNS("a", "a.*");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("ab", "x"));
    ck_assert(!check(&imap));
    ck_assert_why("expected 2 distinct untagged lines, one for each of 'a', 'a.*' (each pattern "
                  "needs a line of its own), but only 1 untagged line matches them");
    ck_assert_why("\n  'ab'\n  'x'");
    e.lines = PATTERNS("^\\* 1 ", "^\\* 1 ", "^\\* 1 ", "^\\* 2");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("* 1 A", "* 1 B", "* 2"));
    ck_assert(!check(&imap));
    ck_assert_why("expected 3 distinct untagged lines");
    ck_assert_why("but only 2 untagged lines match them");
}
END_TEST

START_TEST(test_in_order)
{
    e.lines_in_order = PATTERNS("^\\* 3 EXPUNGE$", "^\\* 1 EXPUNGE$");
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK",
          LINES("* 5 EXISTS", "* 3 EXPUNGE", "* 2 RECENT", "* 1 EXPUNGE"));
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK", LINES("* 1 EXPUNGE", "* 3 EXPUNGE"));
    ck_assert(!check(&imap));
    ck_assert_why("expected untagged lines in this order: '^\\* 3 EXPUNGE$', '^\\* 1 EXPUNGE$'; "
                  "after line 2 (matching '^\\* 3 EXPUNGE$') no line matches '^\\* 1 EXPUNGE$'");
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK", LINES("* 9 EXISTS"));
    ck_assert(!check(&imap));
    ck_assert_why("; no line matches '^\\* 3 EXPUNGE$'");
}
END_TEST

START_TEST(test_in_order_captures_and_repeats)
{
    /* The same pattern twice takes two lines, earliest first. */
    e.lines_in_order = PATTERNS("^(?<a>x\\d)$", "^(?<b>x\\d)$");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("y", "x1", "x2", "x3"));
    ck_assert(check(&imap));
    assert_var("a", "x1");
    assert_var("b", "x2");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("x1"));
    ck_assert(!check(&imap));
}
END_TEST

START_TEST(test_lines_and_in_order_distinct)
{
    /* lines takes x1; in_order must use another line. */
    e.lines = PATTERNS("^x1$");
    e.lines_in_order = PATTERNS("^x");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("x1", "x2"));
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("x1"));
    ck_assert(!check(&imap));
    ck_assert_why("(line 1 does, but it is needed by untagged)");
    /* lines would first pick x1, which in_order needs: it moves to x2. */
    e.lines = PATTERNS("^(?<l>x)");
    e.lines_in_order = PATTERNS("^(?<o>x1)$");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("x1", "x2"));
    ck_assert(check(&imap));
    assert_var("l", "x");
    assert_var("o", "x1");
    /* ... and the capture comes from the line finally assigned. */
    e.lines = PATTERNS("^x(?<n>\\d)");
    ck_assert(check(&imap));
    assert_var("n", "2");
}
END_TEST

START_TEST(test_lines_none)
{
    e.lines_none = PATTERNS("^\\* \\d+ EXPUNGE");
    reply(MC_REPLY_FINAL, "OK", true, "A4 OK CLOSE completed", LINES("* 2 RECENT"));
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A4 OK", LINES("* 2 RECENT", "* 1 EXPUNGE", "* 0 EXISTS"));
    ck_assert(!check(&imap));
    ck_assert_str_eq(why.data, "expected no untagged line matching '^\\* \\d+ EXPUNGE'; got line 2 "
                               "of 3: '* 1 EXPUNGE'");
}
END_TEST

START_TEST(test_closed_set)
{
    /* The second sketch of SCENARIO-SKETCH.md: NOOP after another session's CLOSE. */
    e.status = "OK";
    e.lines = PATTERNS("^\\* 3 EXPUNGE$", "^\\* 1 EXPUNGE$");
    e.lines_may = PATTERNS("^\\* \\d+ RECENT$");
    e.lines_may_given = true;
    reply(MC_REPLY_FINAL, "OK", true, "A9 OK NOOP completed",
          LINES("* 3 EXPUNGE", "* 1 RECENT", "* 1 EXPUNGE"));
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A9 OK NOOP completed",
          LINES("* 3 EXPUNGE", "* 1 EXPUNGE", "* 5 FETCH (FLAGS ())", "* 9 EXISTS"));
    ck_assert(!check(&imap));
    ck_assert_str_eq(why.data, "unexpected untagged line 3 of 4: '* 5 FETCH (FLAGS ())' is not "
                               "the line of a pattern of untagged, untagged_in_order or "
                               "untagged_shared and matches no pattern of untagged_may (and 1 "
                               "more unexpected)");
    /* A duplicate of an expected line is unexpected too: each pattern accounts for one line. */
    reply(MC_REPLY_FINAL, "OK", true, "A9 OK NOOP completed",
          LINES("* 3 EXPUNGE", "* 1 EXPUNGE", "* 1 EXPUNGE"));
    ck_assert(!check(&imap));
    ck_assert_why("unexpected untagged line 3 of 3: '* 1 EXPUNGE'");
}
END_TEST

START_TEST(test_closed_set_empty_may)
{
    /* lines_may given but empty: exactly the lines listed, nothing else. */
    e.lines_may_given = true;
    e.lines_in_order = PATTERNS("^a");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("a1", "a2"));
    ck_assert(!check(&imap)); /* a2 matches the pattern too, but the pattern took a1 */
    ck_assert_why("unexpected untagged line 2 of 2: 'a2'");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("a1", "b"));
    ck_assert(!check(&imap));
    ck_assert_why("unexpected untagged line 2 of 2: 'b'");
    e.lines_in_order.count = 0;
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", NULL);
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("anything"));
    ck_assert(!check(&imap));
}
END_TEST

START_TEST(test_shared_one_line_two_patterns)
{
    /* RFC 3501 6.4.5: the FETCH that returns BODY[] also reports the \Seen flag it set, on
       one line. `untagged` needs two lines; `untagged_shared` lets both patterns use it. */
    const char *fetch = "* 1 FETCH (FLAGS (\\Seen) BODY[] {5}\r\nhello)";
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK FETCH completed", LINES(fetch));
    e.lines = PATTERNS("BODY\\[\\] \\{5\\}", "FLAGS \\([^)]*\\\\Seen");
    ck_assert(!check(&imap));
    ck_assert_why("expected 2 distinct untagged lines");
    e.lines.count = 0;
    e.lines_shared = PATTERNS("BODY\\[\\] \\{5\\}", "FLAGS \\((?<flags>[^)]*\\\\Seen)");
    ck_assert(check(&imap));
    assert_var("flags", "\\Seen");
    /* And with `untagged` taking the line too. */
    e.lines = PATTERNS("^\\* 1 FETCH ");
    ck_assert(check(&imap));
}
END_TEST

START_TEST(test_shared_can_fail)
{
    /* The server forgot to report \Seen: the shared pattern finds no line. */
    reply(MC_REPLY_FINAL, "OK", true, "A5 OK FETCH completed",
          LINES("* 1 FETCH (BODY[] {5}\r\nhello)"));
    e.lines_shared = PATTERNS("BODY\\[\\]", "FLAGS \\([^)]*\\\\Seen");
    ck_assert(!check(&imap));
    ck_assert_why("expected an untagged line matching 'FLAGS \\([^)]*\\\\Seen' "
                  "(untagged_shared: a line other patterns matched would do); the untagged "
                  "lines were:");
    /* Waiting (await) for shared patterns waits for them too. */
    ck_assert(!mc_expect_lines_arrived(&e, &r, vars, NULL));
}
END_TEST

START_TEST(test_shared_closed_set)
{
    /* A shared pattern accounts for the first line it matches, not for a second one. */
    e.lines_shared = PATTERNS("FLAGS");
    e.lines_may_given = true;
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", LINES("* 1 FETCH (FLAGS ())"));
    ck_assert(check(&imap));
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK",
          LINES("* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())"));
    ck_assert(!check(&imap));
    ck_assert_why("unexpected untagged line 2 of 2");
}
END_TEST

#define MC_TEST_WHY_LINE_MAX 200

START_TEST(test_lines_list_truncated)
{
    char long_line[1001];
    memset(long_line, 'L', 1000);
    long_line[1000] = '\0';
    e.lines = PATTERNS("nothing matches this");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", NULL);
    mc_strv_push_str(&r.data, long_line);
    for (int i = 0; i < 24; i++)
        mc_strv_push_str(&r.data, "* short");
    ck_assert(!check(&imap));
    ck_assert_why("LLLL'... (1000 bytes in all)");
    ck_assert_why("\n  ... (15 more)");
    memset(long_line, 'L', MC_TEST_WHY_LINE_MAX + 1);
    long_line[MC_TEST_WHY_LINE_MAX + 1] = '\0';
    ck_assert_ptr_null(strstr(why.data, long_line)); /* cut at 200 bytes */
    /* 10 quoted lines at most */
    size_t quoted = 0;
    for (const char *p = why.data; (p = strstr(p, "\n  '")); p++)
        quoted++;
    ck_assert_uint_eq(quoted, 10);
}
END_TEST

START_TEST(test_too_many_lines)
{
    e.lines = PATTERNS("x");
    reply(MC_REPLY_FINAL, "OK", true, "A1 OK", NULL);
    for (int i = 0; i < 100001; i++)
        mc_strv_push(&r.data, "x", 1);
    ck_assert(!check(&imap));
    ck_assert_why("the reply has 100001 untagged lines, more than the 100000");
}
END_TEST

/* ---- hostile input ---- */

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

START_TEST(test_catastrophic_backtracking)
{
    char *line = mc_xmalloc(10002);
    memset(line, 'a', 10000);
    line[10000] = 'b';
    line[10001] = '\0';
    e.match = "(a+)+$";
    reply(MC_REPLY_FINAL, "OK", true, line, NULL);
    double t0 = seconds();
    ck_assert(!check(&imap));
    ck_assert_why("gave up on 'aaaa");
    ck_assert_why("match limit exceeded");
    /* The same pattern over many lines: the first limit hit ends the check. */
    e.match = NULL;
    e.lines = PATTERNS("^(a|aa)+$");
    for (int i = 0; i < 50; i++)
        mc_strv_push_str(&r.data, line);
    ck_assert(!check(&imap));
    ck_assert_why("gave up on");
    ck_assert(mc_expect_lines_arrived(&e, &r, vars, NULL)); /* waiting will not help */
    double spent = seconds() - t0;
    ck_assert_msg(spent < 10.0, "hostile matching took %.1f s", spent);
    free(line);
}
END_TEST

/* ---- waiting for lines ---- */

START_TEST(test_lines_arrived)
{
    e.lines = PATTERNS("^\\* (?<n>\\d+) EXISTS$");
    e.lines_in_order = PATTERNS("^\\* 1 RECENT$", "^\\* 2 RECENT$");
    e.lines_none = PATTERNS("EXISTS"); /* not looked at while waiting */
    reply(MC_REPLY_FINAL, "+", true, "+ idling", LINES("* 1 RECENT"));
    ck_assert(!mc_expect_lines_arrived(&e, &r, vars, NULL));
    mc_strv_push_str(&r.data, "* 4 EXISTS");
    ck_assert(!mc_expect_lines_arrived(&e, &r, vars, NULL));
    mc_strv_push_str(&r.data, "* 2 RECENT");
    ck_assert(mc_expect_lines_arrived(&e, &r, vars, NULL));
    ck_assert_ptr_null(mc_vars_get(vars, "n", NULL)); /* no captures while waiting */
    /* A broken pattern never arrives: say so at once, mc_expect_check explains. */
    e.lines = PATTERNS("(");
    ck_assert(mc_expect_lines_arrived(&e, &r, vars, NULL));
    /* Nothing to wait for. */
    memset(&e, 0, sizeof e);
    e.ok = -1;
    ck_assert(mc_expect_lines_arrived(&e, &r, vars, NULL));
}
END_TEST

/* ---- for the loader ---- */

START_TEST(test_regex_check)
{
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_regex_check("^\\* SEARCH (?<uid>\\d+)$", &err), 0);
    ck_assert_int_eq(mc_regex_check("^\\+OK ${n} ${size}+$", &err), 0);
    ck_assert_uint_eq(err.len, 0);
    ck_assert_int_eq(mc_regex_check("^(ab", &err), -1);
    ck_assert_str_eq(err.data, "missing closing parenthesis at offset 4");
    mc_buf_reset(&err);
    ck_assert_int_eq(mc_regex_check("${v}[", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "missing terminating ] for character class"));
    ck_assert_ptr_nonnull(strstr(err.data, "counting each ${variable} as \"x\""));
    mc_buf_reset(&err);
    ck_assert_int_eq(mc_regex_check("^${n", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "unterminated"));
    mc_buf_free(&err);
}
END_TEST

START_TEST(test_group_names)
{
    struct mc_strv names = {0};
    mc_regex_group_names("^(?<uid>\\d+) (x) (?<size>\\d+) ${n}(?<a_1>.)", &names);
    ck_assert_uint_eq(names.count, 3);
    ck_assert(mc_strv_contains_nocase(&names, "uid"));
    ck_assert(mc_strv_contains_nocase(&names, "size"));
    ck_assert(mc_strv_contains_nocase(&names, "a_1"));
    mc_strv_clear(&names);
    mc_regex_group_names("(?J)(?<d>a)|(?<d>b)", &names);
    ck_assert_uint_eq(names.count, 1);
    ck_assert_str_eq(names.items[0].ptr, "d");
    mc_strv_clear(&names);
    mc_regex_group_names("(?<broken", &names);
    ck_assert_uint_eq(names.count, 0);
    mc_strv_free(&names);
}
END_TEST

/* ---- any_of and captured ---- */

/* An alternative: the defaults of an expectation (nothing checked). */
static struct mc_expect alt(void)
{
    struct mc_expect a = {0};
    a.ok = -1;
    a.multiline = -1;
    return a;
}

START_TEST(test_any_of_one_alternative_suffices)
{
    struct mc_expect alts[2] = {alt(), alt()};
    alts[0].code = 250;
    alts[1].code = 530;
    e.any_of = alts;
    e.any_of_count = 2;
    smtp_reply(530, "5.7.0", "530 5.7.0 Must issue a STARTTLS command first");
    ck_assert(check(&smtp));
    smtp_reply(250, "2.1.0", "250 2.1.0 Ok");
    ck_assert(check(&smtp));
    smtp_reply(554, "5.7.1", "554 5.7.1 no");
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data, "the reply matched none of the 2 alternatives of any_of:\n"
                               "  1. expected reply code 250, got '554 5.7.1 no'\n"
                               "  2. expected reply code 530, got '554 5.7.1 no'");
}
END_TEST

/* The checks beside any_of hold for every alternative, and are judged first. */
START_TEST(test_any_of_with_common_checks)
{
    struct mc_expect alts[2] = {alt(), alt()};
    alts[0].lines = PATTERNS("^STARTTLS$");
    alts[1].lines_none = PATTERNS("^STARTTLS$");
    e.code = 250;
    e.any_of = alts;
    e.any_of_count = 2;
    smtp_reply(250, "", "250 SIZE 10");
    mc_strv_push_str(&r.data, "PIPELINING");
    ck_assert(check(&smtp));
    smtp_reply(421, "", "421 bye");
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data, "expected reply code 250, got '421 bye'");
}
END_TEST

/* When an alternative checks lines, the reply's lines are listed once, after every reason. */
START_TEST(test_any_of_lines_listed_once)
{
    struct mc_expect alts[2] = {alt(), alt()};
    alts[0].lines = PATTERNS("^STARTTLS$");
    alts[1].lines = PATTERNS("^AUTH ");
    e.any_of = alts;
    e.any_of_count = 2;
    reply(MC_REPLY_FINAL, "250", true, "250 8BITMIME", LINES("mx", "8BITMIME"));
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data, "the reply matched none of the 2 alternatives of any_of:\n"
                               "  1. expected a line matching '^STARTTLS$'\n"
                               "  2. expected a line matching '^AUTH '\n"
                               "  the lines were:\n"
                               "    'mx'\n"
                               "    '8BITMIME'");
}
END_TEST

/* Only the alternative that holds leaves its captures; the first that holds wins. */
START_TEST(test_any_of_captures)
{
    struct mc_expect alts[3] = {alt(), alt(), alt()};
    alts[0].lines = PATTERNS("^(?<tls>STARTTLS)$");
    alts[0].match = "^250 (?<first>\\S+)";
    alts[1].match = "^250 (?<second>\\S+)";
    alts[2].match = "^250 (?<third>\\S+)";
    e.match = "^(?<code>\\d+)";
    e.any_of = alts;
    e.any_of_count = 3;
    reply(MC_REPLY_FINAL, "250", true, "250 HELP", LINES("mx", "8BITMIME"));
    ck_assert(check(&smtp));
    assert_var("code", "250");
    assert_var("second", "HELP");
    ck_assert_ptr_null(mc_vars_get(vars, "tls", NULL));   /* its alternative failed */
    ck_assert_ptr_null(mc_vars_get(vars, "first", NULL)); /* ... with all its captures */
    ck_assert_ptr_null(mc_vars_get(vars, "third", NULL)); /* never tried */
    e.match = "^(?<code2>x)";                             /* the common check fails: */
    ck_assert(!check(&smtp));                             /* no alternative's capture stays */
    ck_assert_ptr_null(mc_vars_get(vars, "code2", NULL));
}
END_TEST

/* "captured": the variable must have been captured, and match. */
START_TEST(test_captured)
{
    struct mc_captured_check c[] = {{.name = "tls", .pattern = "^STARTTLS$"}};
    e.code = 530;
    e.captured = c;
    e.captured_count = 1;
    smtp_reply(530, "5.7.0", "530 5.7.0 Must issue a STARTTLS command first");
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data,
                     "expected ${tls} to match '^STARTTLS$'; no earlier step captured it");
    mc_vars_set(vars, "tls", "8BITMIME", 8);
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data, "expected ${tls} to match '^STARTTLS$'; it is '8BITMIME'");
    mc_vars_set(vars, "tls", "STARTTLS", 8);
    ck_assert(check(&smtp));
    smtp_reply(250, "2.1.0", "250 2.1.0 Ok"); /* the reply is checked first */
    ck_assert(!check(&smtp));
    ck_assert_str_eq(why.data, "expected reply code 530, got '250 2.1.0 Ok'");
}
END_TEST

/* The idiom of docs/scenario-format.md: 250, or 530 only when STARTTLS was announced. */
START_TEST(test_captured_in_alternative)
{
    struct mc_captured_check c[] = {{.name = "tls", .pattern = "^STARTTLS$"}};
    struct mc_expect alts[2] = {alt(), alt()};
    alts[0].code = 250;
    alts[1].code = 530;
    alts[1].captured = c;
    alts[1].captured_count = 1;
    e.any_of = alts;
    e.any_of_count = 2;
    smtp_reply(530, "5.7.0", "530 5.7.0 Must issue a STARTTLS command first");
    ck_assert(!check(&smtp));
    ck_assert_why(
        "  1. expected reply code 250, got '530 5.7.0 Must issue a STARTTLS command "
        "first'\n  2. expected ${tls} to match '^STARTTLS$'; no earlier step captured it");
    mc_vars_set(vars, "tls", "STARTTLS", 8);
    ck_assert(check(&smtp));
}
END_TEST

START_TEST(test_wants_continuation)
{
    struct mc_expect alts[2] = {alt(), alt()};
    ck_assert(!mc_expect_wants_continuation(&e));
    e.any_of = alts;
    e.any_of_count = 2;
    ck_assert(!mc_expect_wants_continuation(&e));
    alts[1].continuation = true;
    ck_assert(mc_expect_wants_continuation(&e));
}
END_TEST

static Suite *matcher_suite(void)
{
    Suite *s = suite_create("matcher");
    TCase *status = tcase_create("status");
    tcase_add_checked_fixture(status, setup, teardown);
    tcase_add_test(status, test_empty_expect_passes);
    tcase_add_test(status, test_continuation);
    tcase_add_test(status, test_continuation_compared_normally);
    tcase_add_test(status, test_ok);
    tcase_add_test(status, test_status);
    tcase_add_test(status, test_ok_before_status);
    tcase_add_test(status, test_code_and_class);
    tcase_add_test(status, test_enhanced);
    suite_add_tcase(s, status);

    TCase *regex = tcase_create("regex");
    tcase_add_checked_fixture(regex, setup, teardown);
    tcase_add_test(regex, test_match_and_capture);
    tcase_add_test(regex, test_match_fails);
    tcase_add_test(regex, test_not_match);
    tcase_add_test(regex, test_captures_across_checks);
    tcase_add_test(regex, test_capture_quoted_literally);
    tcase_add_test(regex, test_local_vars);
    tcase_add_test(regex, test_no_commit_on_failure);
    tcase_add_test(regex, test_unset_group_not_stored);
    tcase_add_test(regex, test_unknown_variable_in_pattern);
    tcase_add_test(regex, test_compile_error);
    tcase_add_test(regex, test_no_utf_mode);
    tcase_add_test(regex, test_binary_capture);
    tcase_add_test(regex, test_regex_check);
    tcase_add_test(regex, test_group_names);
    suite_add_tcase(s, regex);

    TCase *lines = tcase_create("lines");
    tcase_add_checked_fixture(lines, setup, teardown);
    tcase_set_timeout(lines, 60);
    tcase_add_test(lines, test_lines_missing);
    tcase_add_test(lines, test_lines_any_order);
    tcase_add_test(lines, test_lines_bipartite);
    tcase_add_test(lines, test_lines_distinct);
    tcase_add_test(lines, test_in_order);
    tcase_add_test(lines, test_in_order_captures_and_repeats);
    tcase_add_test(lines, test_lines_and_in_order_distinct);
    tcase_add_test(lines, test_lines_none);
    tcase_add_test(lines, test_closed_set);
    tcase_add_test(lines, test_closed_set_empty_may);
    tcase_add_test(lines, test_lines_list_truncated);
    tcase_add_test(lines, test_too_many_lines);
    tcase_add_test(lines, test_catastrophic_backtracking);
    tcase_add_test(lines, test_lines_arrived);
    tcase_add_test(lines, test_shared_one_line_two_patterns);
    tcase_add_test(lines, test_shared_can_fail);
    tcase_add_test(lines, test_shared_closed_set);
    TCase *alternatives = tcase_create("any_of");
    tcase_add_checked_fixture(alternatives, setup, teardown);
    tcase_add_test(alternatives, test_any_of_one_alternative_suffices);
    tcase_add_test(alternatives, test_any_of_with_common_checks);
    tcase_add_test(alternatives, test_any_of_lines_listed_once);
    tcase_add_test(alternatives, test_any_of_captures);
    tcase_add_test(alternatives, test_captured);
    tcase_add_test(alternatives, test_captured_in_alternative);
    tcase_add_test(alternatives, test_wants_continuation);
    suite_add_tcase(s, alternatives);
    suite_add_tcase(s, lines);
    return s;
}

int main(void)
{
    return mc_check_run(matcher_suite());
}
