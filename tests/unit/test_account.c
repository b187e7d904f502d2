/*
 * test_account — emptying a disposable account over the protocol (the empty_step dialogues of
 * harness/proto/imap_account.c and pop3.c): which commands go out for which replies, in what
 * order, and what looking without deleting (check_only) finds. Replies are made by the real
 * framers, so the dialogue reads exactly what a server's lines give.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto/protocol.h"
#include "support_check.h"

static const struct mc_protocol *P;
static struct mc_proto_state *st;
static struct mc_reply r;

static void setup_imap(void)
{
    P = &mc_proto_imap;
    st = P->state_new();
    memset(&r, 0, sizeof r);
}

static void setup_pop3(void)
{
    P = &mc_proto_pop3;
    st = P->state_new();
    memset(&r, 0, sizeof r);
}

static void teardown(void)
{
    P->state_free(st);
    mc_reply_reset(&r);
}

/* The reply to `cmd`: the server's lines, the last one ending it. IMAP lines starting with
   "TAG " get the command's tag. */
static const struct mc_reply *reply_to(const char *cmd, const char *const *lines)
{
    struct mc_buf wire = {0};
    struct mc_exchange_opts o = {.multiline = -1};
    mc_reply_reset(&r);
    P->begin(st, MC_EX_COMMAND, cmd, strlen(cmd), &o, &wire);
    mc_buf_free(&wire);
    for (const char *const *l = lines; *l; l++) {
        struct mc_buf line = {0};
        if (strncmp(*l, "TAG ", 4) == 0)
            mc_buf_printf(&line, "%s %s", P->current_tag(st), *l + 4);
        else
            mc_buf_append_str(&line, *l);
        size_t lit = 0;
        P->feed_line(st, line.data, line.len, &r, &lit);
        mc_buf_free(&line);
    }
    return &r;
}

static void assert_commands(const struct mc_strv *v, size_t from, const char *const *want)
{
    size_t n = 0;
    for (; want[n]; n++) {
        ck_assert_uint_gt(v->count, from + n);
        ck_assert_str_eq(v->items[from + n].ptr, want[n]);
    }
    ck_assert_uint_eq(v->count, from + n);
}

static const char *const imap_list[] = {"* LIST (\\HasNoChildren) \"/\" \"INBOX\"",
                                        "* LIST (\\HasChildren) \"/\" \"Sent\"",
                                        "* LIST () \"/\" \"Sent/2024\"",
                                        "* LIST (\\HasNoChildren) \"/\" Archive",
                                        "TAG OK LIST done",
                                        NULL};
static const char *const imap_lsub[] = {"* LSUB () \"/\" \"Sent\"", "TAG OK LSUB done", NULL};

START_TEST(imap_deletes_children_first_and_expunges)
{
    struct mc_account_emptier *e = P->empty_begin(false);
    struct mc_strv next = {0};
    struct mc_buf why = {0};
    ck_assert_int_eq(P->empty_step(e, NULL, &next, &why), MC_EMPTY_MORE);
    static const char *const first[] = {"LIST \"\" \"*\"", "LSUB \"\" \"*\"", NULL};
    assert_commands(&next, 0, first);
    ck_assert_int_eq(P->empty_step(e, reply_to(first[0], imap_list), &next, &why), MC_EMPTY_MORE);
    ck_assert_int_eq(P->empty_step(e, reply_to(first[1], imap_lsub), &next, &why), MC_EMPTY_MORE);
    static const char *const plan[] = {"UNSUBSCRIBE \"Sent\"", "DELETE \"Sent/2024\"",
                                       "DELETE \"Archive\"",   "DELETE \"Sent\"",
                                       "SELECT INBOX",         NULL};
    assert_commands(&next, 2, plan);
    static const char *const ok[] = {"TAG OK done", NULL};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(P->empty_step(e, reply_to(plan[i], ok), &next, &why), MC_EMPTY_MORE);
    static const char *const selected[] = {"* 3 EXISTS", "TAG OK [READ-WRITE] done", NULL};
    ck_assert_int_eq(P->empty_step(e, reply_to("SELECT INBOX", selected), &next, &why),
                     MC_EMPTY_MORE);
    static const char *const expunge[] = {"STORE 1:* +FLAGS.SILENT (\\Deleted)", "CLOSE", NULL};
    assert_commands(&next, 7, expunge);
    ck_assert_int_eq(P->empty_step(e, reply_to(expunge[0], ok), &next, &why), MC_EMPTY_MORE);
    ck_assert_int_eq(P->empty_step(e, reply_to(expunge[1], ok), &next, &why), MC_EMPTY_DONE);
    P->empty_end(e);
    mc_strv_free(&next);
    mc_buf_free(&why);
}
END_TEST

START_TEST(imap_refused_delete_and_select_fail)
{
    struct mc_account_emptier *e = P->empty_begin(false);
    struct mc_strv next = {0};
    struct mc_buf why = {0};
    P->empty_step(e, NULL, &next, &why);
    P->empty_step(e, reply_to(next.items[0].ptr, imap_list), &next, &why);
    P->empty_step(e, reply_to(next.items[1].ptr, imap_lsub), &next, &why);
    static const char *const ok[] = {"TAG OK done", NULL};
    static const char *const no[] = {"TAG NO [CANNOT] not allowed", NULL};
    ck_assert_int_eq(P->empty_step(e, reply_to("UNSUBSCRIBE", ok), &next, &why), MC_EMPTY_MORE);
    ck_assert_int_eq(P->empty_step(e, reply_to("DELETE", no), &next, &why), MC_EMPTY_FAILED);
    ck_assert_ptr_nonnull(strstr(why.data, "Sent/2024"));
    P->empty_end(e);
    mc_strv_free(&next);
    mc_buf_free(&why);
}
END_TEST

START_TEST(imap_check_only_finds_mailboxes_and_mail)
{
    struct mc_strv next = {0};
    struct mc_buf why = {0};
    struct mc_account_emptier *e = P->empty_begin(true);
    P->empty_step(e, NULL, &next, &why);
    P->empty_step(e, reply_to(next.items[0].ptr, imap_list), &next, &why);
    ck_assert_int_eq(P->empty_step(e, reply_to(next.items[1].ptr, imap_lsub), &next, &why),
                     MC_EMPTY_NOT_EMPTY);
    ck_assert_ptr_nonnull(strstr(why.data, "\"Sent\""));
    P->empty_end(e);
    mc_strv_clear(&next);
    mc_buf_reset(&why);

    static const char *const only_inbox[] = {"* LIST () \"/\" INBOX", "TAG OK done", NULL};
    static const char *const none[] = {"TAG OK done", NULL};
    e = P->empty_begin(true);
    P->empty_step(e, NULL, &next, &why);
    P->empty_step(e, reply_to(next.items[0].ptr, only_inbox), &next, &why);
    ck_assert_int_eq(P->empty_step(e, reply_to(next.items[1].ptr, none), &next, &why),
                     MC_EMPTY_MORE);
    ck_assert_str_eq(next.items[2].ptr, "EXAMINE INBOX");
    static const char *const two[] = {"* 2 EXISTS", "TAG OK [READ-ONLY] done", NULL};
    ck_assert_int_eq(P->empty_step(e, reply_to("EXAMINE INBOX", two), &next, &why),
                     MC_EMPTY_NOT_EMPTY);
    ck_assert_ptr_nonnull(strstr(why.data, "2 message"));
    P->empty_end(e);
    mc_strv_free(&next);
    mc_buf_free(&why);
}
END_TEST

START_TEST(pop3_deletes_every_message)
{
    struct mc_account_emptier *e = P->empty_begin(false);
    struct mc_strv next = {0};
    struct mc_buf why = {0};
    ck_assert_int_eq(P->empty_step(e, NULL, &next, &why), MC_EMPTY_MORE);
    static const char *const stat[] = {"+OK 2 640", NULL};
    ck_assert_int_eq(P->empty_step(e, reply_to("STAT", stat), &next, &why), MC_EMPTY_MORE);
    static const char *const dele[] = {"STAT", "DELE 1", "DELE 2", NULL};
    assert_commands(&next, 0, dele);
    static const char *const ok[] = {"+OK", NULL};
    ck_assert_int_eq(P->empty_step(e, reply_to("DELE 1", ok), &next, &why), MC_EMPTY_MORE);
    ck_assert_int_eq(P->empty_step(e, reply_to("DELE 2", ok), &next, &why), MC_EMPTY_DONE);
    ck_assert(P->empty_at_quit);
    P->empty_end(e);
    mc_strv_clear(&next);
    e = P->empty_begin(true); /* only looking */
    P->empty_step(e, NULL, &next, &why);
    ck_assert_int_eq(P->empty_step(e, reply_to("STAT", stat), &next, &why), MC_EMPTY_NOT_EMPTY);
    P->empty_end(e);
    mc_strv_free(&next);
    mc_buf_free(&why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("account");
    TCase *imap = tcase_create("imap");
    tcase_add_checked_fixture(imap, setup_imap, teardown);
    tcase_add_test(imap, imap_deletes_children_first_and_expunges);
    tcase_add_test(imap, imap_refused_delete_and_select_fail);
    tcase_add_test(imap, imap_check_only_finds_mailboxes_and_mail);
    suite_add_tcase(s, imap);
    TCase *pop3 = tcase_create("pop3");
    tcase_add_checked_fixture(pop3, setup_pop3, teardown);
    tcase_add_test(pop3, pop3_deletes_every_message);
    suite_add_tcase(s, pop3);
    return mc_check_run(s);
}
