/*
 * test_replay_match — the replay's loose matching of a client's line against the recorded one
 * (servers-under-test/reference/replay_match.c): masked secrets match any text, the run_id is
 * learnt from the first line that holds it and then required, IMAP tags may differ (and are
 * handed back for the replies), the octet count of an IMAP literal or a BDAT chunk may
 * differ; everything else must be byte for byte what was recorded.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reference/replay_int.h"
#include "support_check.h"

#define RUN_ID "5f69fef176e8"

static struct rp_match matcher(const char *proto, const char *run_id)
{
    const struct rp_proto *p = rp_proto_find(proto);
    ck_assert_ptr_nonnull(p);
    return (struct rp_match){.proto = p, .run_id = run_id};
}

static void matcher_free(struct rp_match *m)
{
    free(m->live_run_id);
    mc_buf_free(&m->tag_from);
    mc_buf_free(&m->tag_to);
}

static bool match(struct rp_match *m, const char *rec, const char *live)
{
    return rp_match_line(m, rec, strlen(rec), live, strlen(live));
}

static bool masked(const char *pattern, const char *text)
{
    return rp_match_masked(pattern, strlen(pattern), text, strlen(text));
}

START_TEST(test_masks_match_any_text)
{
    ck_assert(masked("PASS ${password}", "PASS replay-mc01"));
    ck_assert(masked("PASS ${password}", "PASS "));
    ck_assert(masked("AUTH PLAIN [redacted SASL PLAIN response]", "AUTH PLAIN AG1jMDEAeA=="));
    ck_assert(masked("[redacted SASL response]", "biwsbj1tYzAxLHI9eHl6"));
    ck_assert(masked("A1 LOGIN \"mc01\" \"${password}\"", "A1 LOGIN \"mc01\" \"pw\""));
    ck_assert(masked("${password} and ${password}", "a and b"));
    /* what surrounds a mask is compared exactly */
    ck_assert(!masked("PASS ${password}", "USER replay-mc01"));
    ck_assert(!masked("A1 LOGIN \"mc01\" \"${password}\"", "A1 LOGIN \"mc02\" \"pw\""));
    ck_assert(!masked("A1 LOGIN \"mc01\" \"${password}\"", "A1 LOGIN \"mc01\" \"pw"));
    ck_assert(!masked("${password} and ${password}", "a or b"));
    /* no mask: byte for byte */
    ck_assert(masked("STAT", "STAT"));
    ck_assert(!masked("STAT", "stat"));
    ck_assert(!masked("STAT", "STAT "));
}
END_TEST

START_TEST(test_run_id_is_learnt_then_required)
{
    struct rp_match m = matcher("imap", RUN_ID);
    /* learnt from the first line that holds it where the recorded one stands */
    ck_assert(match(&m, "A1 CREATE \"mc-" RUN_ID "\"", "A1 CREATE \"mc-0123456789ab\""));
    ck_assert_ptr_nonnull(m.live_run_id);
    ck_assert_str_eq(m.live_run_id, "0123456789ab");
    /* then required everywhere */
    ck_assert(match(&m, "A2 SELECT \"mc-" RUN_ID "\"", "A2 SELECT \"mc-0123456789ab\""));
    ck_assert(!match(&m, "A3 DELETE \"mc-" RUN_ID "\"", "A3 DELETE \"mc-ba9876543210\""));
    matcher_free(&m);
}
END_TEST

START_TEST(test_run_id_not_learnt_from_a_mismatch)
{
    struct rp_match m = matcher("smtp", RUN_ID);
    /* a line that does not match teaches nothing */
    ck_assert(!match(&m, "MAIL FROM:<a-" RUN_ID "@x>", "RCPT TO:<a-0123456789ab@x>"));
    ck_assert_ptr_null(m.live_run_id);
    /* nor does a value that cannot be a run_id (not alphanumeric) */
    ck_assert(!match(&m, "MAIL FROM:<a-" RUN_ID "@x>", "MAIL FROM:<a-0123456789a.@x>"));
    ck_assert_ptr_null(m.live_run_id);
    ck_assert(match(&m, "MAIL FROM:<a-" RUN_ID "@x>", "MAIL FROM:<a-" RUN_ID "@x>"));
    matcher_free(&m);
}
END_TEST

START_TEST(test_imap_tags_may_differ)
{
    struct rp_match m = matcher("imap", NULL);
    ck_assert(match(&m, "A0001 NOOP", "x17 NOOP"));
    ck_assert_uint_eq(m.tag_from.len, 5);
    ck_assert_mem_eq(m.tag_from.data, "A0001", 5);
    ck_assert_uint_eq(m.tag_to.len, 3);
    ck_assert_mem_eq(m.tag_to.data, "x17", 3);
    /* the same tag: nothing to rewrite */
    ck_assert(match(&m, "A0002 NOOP", "A0002 NOOP"));
    ck_assert_uint_eq(m.tag_from.len, 0);
    /* only the tag */
    ck_assert(!match(&m, "A0003 NOOP", "A0003 CHECK"));
    ck_assert(!match(&m, "A0003 NOOP", "A0003  NOOP"));
    /* an untagged line (a SASL response, DONE) is compared whole */
    ck_assert(match(&m, "DONE", "DONE"));
    ck_assert(!match(&m, "DONE", "done"));
    matcher_free(&m);
}
END_TEST

START_TEST(test_tags_only_where_the_protocol_has_them)
{
    struct rp_match m = matcher("pop3", NULL);
    ck_assert(!match(&m, "USER mc01", "USER mc02"));
    ck_assert(!match(&m, "RETR 1", "LIST 1"));
    ck_assert(match(&m, "RETR 1", "RETR 1"));
    ck_assert_uint_eq(m.tag_from.len, 0);
    matcher_free(&m);
}
END_TEST

START_TEST(test_literal_and_chunk_sizes_may_differ)
{
    struct rp_match m = matcher("imap", NULL);
    ck_assert(match(&m, "A5 APPEND INBOX {742}", "A9 APPEND INBOX {751}"));
    ck_assert(match(&m, "A5 APPEND INBOX {742+}", "A5 APPEND INBOX {7+}"));
    /* a synchronizing literal is not a non-synchronizing one */
    ck_assert(!match(&m, "A5 APPEND INBOX {742}", "A5 APPEND INBOX {742+}"));
    /* only the count at the end of the line is loose */
    ck_assert(!match(&m, "A5 APPEND INBOX (\\Seen) {742}", "A5 APPEND INBOX () {742}"));
    ck_assert(!match(&m, "A5 FETCH 1 (BODY[]<0.10>)", "A5 FETCH 1 (BODY[]<0.11>)"));
    matcher_free(&m);

    m = matcher("smtp", NULL);
    ck_assert(match(&m, "BDAT 100 LAST", "BDAT 20000 LAST"));
    ck_assert(match(&m, "BDAT 100", "BDAT 7"));
    ck_assert(!match(&m, "BDAT 100 LAST", "BDAT 100"));
    ck_assert(!match(&m, "SIZE 100", "SIZE 200"));
    matcher_free(&m);
}
END_TEST

START_TEST(test_everything_together)
{
    /* an IMAP APPEND with another tag, another literal size and the run_id in the mailbox */
    struct rp_match m = matcher("imap", RUN_ID);
    ck_assert(match(&m, "A0004 APPEND \"t-" RUN_ID "\" {1203}",
                    "A0009 APPEND \"t-abcdefabcdef\" {1199}"));
    ck_assert_str_eq(m.live_run_id, "abcdefabcdef");
    ck_assert_mem_eq(m.tag_to.data, "A0009", 5);
    matcher_free(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("replay_match");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_masks_match_any_text);
    tcase_add_test(tc, test_run_id_is_learnt_then_required);
    tcase_add_test(tc, test_run_id_not_learnt_from_a_mismatch);
    tcase_add_test(tc, test_imap_tags_may_differ);
    tcase_add_test(tc, test_tags_only_where_the_protocol_has_them);
    tcase_add_test(tc, test_literal_and_chunk_sizes_may_differ);
    tcase_add_test(tc, test_everything_together);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(suite());
}
