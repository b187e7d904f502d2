/*
 * test_transcript — a scenario's transcript within its byte budget: entries kept in order until
 * MC_TRANSCRIPT_BYTES_MAX (each counted with its overhead), then nothing more but one event
 * entry whose count of left-out octets is final once the scenario ends; an entry that crosses
 * the budget (a long literal) is cut there.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/transcript.h"
#include "support_check.h"

static struct mc_scenario_result res;
static struct mc_transcript_budget budget;

static void setup(void)
{
    memset(&res, 0, sizeof res);
    memset(&budget, 0, sizeof budget);
}

static void teardown(void)
{
    for (size_t i = 0; i < res.transcript_count; i++)
        free(res.transcript[i].data);
    free(res.transcript);
}

static size_t markers(void)
{
    size_t n = 0;
    for (size_t i = 0; i < res.transcript_count; i++)
        if (res.transcript[i].dir == MC_DIR_EVENT &&
            strstr(res.transcript[i].data, "transcript truncated"))
            n++;
    return n;
}

START_TEST(under_budget_keeps_everything)
{
    mc_transcript_add(&res, &budget, 0.5, 0, MC_DIR_SERVER, "* OK ready\r\n", 12);
    mc_transcript_add(&res, &budget, 0.6, 1, MC_DIR_CLIENT, "A1 NOOP\r\n", 9);
    mc_transcript_close(&res, &budget);
    ck_assert_uint_eq(res.transcript_count, 2);
    ck_assert(!res.transcript_truncated);
    ck_assert_str_eq(res.transcript[1].data, "A1 NOOP\r\n");
    ck_assert_int_eq(res.transcript[1].session, 1);
    ck_assert_uint_eq(markers(), 0);
}
END_TEST

/* A flood of short lines: every entry counts with its overhead, so far fewer than
   MAX / 12 lines are kept; then one marker, and the final count of what was left out. */
START_TEST(flood_stops_at_budget_with_one_marker)
{
    static const char line[] = "* 1 EXISTS\r\n";
    size_t n = sizeof line - 1, sent = 0;
    for (size_t i = 0; i < 300000; i++) {
        mc_transcript_add(&res, &budget, 1.0, 0, MC_DIR_SERVER, line, n);
        sent += n;
    }
    ck_assert(res.transcript_truncated);
    ck_assert_uint_eq(markers(), 1);
    size_t stored = 0, held = 0;
    for (size_t i = 0; i + 1 < res.transcript_count; i++) {
        stored += res.transcript[i].len;
        held += res.transcript[i].len + MC_TRANSCRIPT_ENTRY_OVERHEAD;
    }
    ck_assert_uint_le(held, MC_TRANSCRIPT_BYTES_MAX);
    ck_assert_uint_gt(held, MC_TRANSCRIPT_BYTES_MAX - n - MC_TRANSCRIPT_ENTRY_OVERHEAD);
    ck_assert_uint_lt(res.transcript_count, MC_TRANSCRIPT_BYTES_MAX / MC_TRANSCRIPT_ENTRY_OVERHEAD);
    /* Events after the budget are dropped too, and counted. */
    mc_transcript_add(&res, &budget, 2.0, 0, MC_DIR_EVENT, "closed", 6);
    sent += 6;
    mc_transcript_close(&res, &budget);
    const struct mc_transcript_entry *m = &res.transcript[res.transcript_count - 1];
    ck_assert_int_eq(m->dir, MC_DIR_EVENT);
    char want[64];
    snprintf(want, sizeof want, "transcript truncated: %zu further byte(s)", sent - stored);
    ck_assert_msg(strstr(m->data, want), "%s lacks %s", m->data, want);
    ck_assert_ptr_nonnull(strstr(m->data, "16 MiB"));
    ck_assert_uint_eq(m->len, strlen(m->data));
}
END_TEST

/* One 20 MiB entry (a literal): its first part is kept up to the budget, then the marker. */
START_TEST(huge_entry_is_cut_at_budget)
{
    size_t big = 20u * 1024u * 1024u;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)('a' + i % 26);
    mc_transcript_add(&res, &budget, 0.1, 0, MC_DIR_SERVER, "* 1 FETCH (BODY[] {20971520}\r\n", 31);
    mc_transcript_add(&res, &budget, 0.2, 0, MC_DIR_SERVER, data, big);
    mc_transcript_close(&res, &budget);
    ck_assert(res.transcript_truncated);
    ck_assert_uint_eq(res.transcript_count, 3);
    size_t kept = res.transcript[1].len;
    ck_assert_uint_eq(31 + kept + 2 * MC_TRANSCRIPT_ENTRY_OVERHEAD, MC_TRANSCRIPT_BYTES_MAX);
    ck_assert_int_eq(memcmp(res.transcript[1].data, data, kept), 0);
    char want[64];
    snprintf(want, sizeof want, "%zu further byte(s)", big - kept);
    ck_assert_ptr_nonnull(strstr(res.transcript[2].data, want));
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("transcript");
    TCase *tc = tcase_create("transcript");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, under_budget_keeps_everything);
    tcase_add_test(tc, flood_stops_at_budget_with_one_marker);
    tcase_add_test(tc, huge_entry_is_cut_at_budget);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
