/*
 * test_mailstore — the reference server's mailstore: UIDs, UIDVALIDITY, flags, expunge, views
 * of several sessions and their sync, the POP3 lock, mailbox names and hierarchy, and the
 * maildir persistence (re-opening from disk, files in new/ or cur/ when append returns).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reference/mailstore.h"
#include "support_check.h"

static struct ms_store *st;
static struct ms_user *alice;
static struct ms_mailbox *inbox;
static char tmpdir[64];

static const char MSG[] = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

static void setup_memory(void)
{
    st = ms_store_new();
    ck_assert_int_eq(ms_store_add_user(st, "alice", "secret", &alice), MS_OK);
    inbox = ms_user_inbox(alice);
    ck_assert_ptr_nonnull(inbox);
}

static void teardown_memory(void)
{
    ms_store_free(st);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void setup_maildir(void)
{
    strcpy(tmpdir, "/tmp/mc-mailstore-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    ck_assert_int_eq(ms_store_open_maildir(tmpdir, &st), MS_OK);
    ck_assert_int_eq(ms_store_add_user(st, "alice", "secret", &alice), MS_OK);
    inbox = ms_user_inbox(alice);
}

static void teardown_maildir(void)
{
    ms_store_free(st);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void reopen(void)
{
    ms_store_free(st);
    ck_assert_int_eq(ms_store_open_maildir(tmpdir, &st), MS_OK);
    ck_assert_int_eq(ms_store_add_user(st, "alice", "secret", &alice), MS_OK);
    inbox = ms_user_inbox(alice);
}

static uint32_t append(struct ms_mailbox *mb, unsigned flags)
{
    uint32_t uid = 0;
    ck_assert_int_eq(ms_mailbox_append(mb, MSG, sizeof MSG - 1, flags, NULL, 1700000000, &uid),
                     MS_OK);
    return uid;
}

static void set_flags(struct ms_mailbox *mb, struct ms_view *origin, uint32_t uid,
                      enum ms_flag_op op, unsigned flags)
{
    ck_assert_int_eq(ms_mailbox_store_flags(mb, origin, uid, op, flags, NULL, NULL), MS_OK);
}

/* Records what a sync reports, as text: "E3 E1 X4 F2:1" (expunge seq, exists count, flags). */
static void ev_expunge(void *ctx, uint32_t seq, uint32_t uid)
{
    (void)uid;
    mc_buf_printf(ctx, "E%u ", (unsigned)seq);
}
static void ev_exists(void *ctx, uint32_t count)
{
    mc_buf_printf(ctx, "X%u ", (unsigned)count);
}
static void ev_flags(void *ctx, uint32_t seq, const struct ms_message *m)
{
    mc_buf_printf(ctx, "F%u:%u ", (unsigned)seq, ms_message_flags(m));
}
static const struct ms_view_events events = {ev_expunge, ev_exists, ev_flags};

static const char *sync_text(struct ms_view *v, unsigned flags, struct mc_buf *b)
{
    mc_buf_reset(b);
    mc_buf_append_str(b, "");
    ms_view_sync(v, flags, &events, b);
    return b->data;
}

/* ---- in memory ---- */

START_TEST(test_uids_ascending_never_reused)
{
    uint32_t a = append(inbox, 0), b = append(inbox, 0), c = append(inbox, 0);
    ck_assert_uint_eq(a, 1);
    ck_assert_uint_lt(a, b);
    ck_assert_uint_lt(b, c);
    set_flags(inbox, NULL, c, MS_FLAGS_ADD, MS_FLAG_DELETED);
    struct ms_uidlist gone = {0};
    ck_assert_int_eq(ms_mailbox_expunge(inbox, NULL, 0, &gone), MS_OK);
    ck_assert_uint_eq(gone.count, 1);
    ck_assert_uint_eq(gone.uids[0], c);
    ms_uidlist_free(&gone);
    ck_assert_uint_eq(ms_mailbox_uidnext(inbox), c + 1);
    uint32_t d = append(inbox, 0);
    ck_assert_uint_eq(d, c + 1); /* not c again */
    ck_assert_uint_eq(ms_mailbox_count(inbox), 3);
    ck_assert_uint_eq(ms_message_uid(ms_mailbox_message_at(inbox, 2)), d);
    ck_assert_ptr_null(ms_mailbox_find_uid(inbox, c));
}
END_TEST

START_TEST(test_uidvalidity_changes_on_recreate)
{
    struct ms_mailbox *mb;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Work", &mb), MS_OK);
    uint32_t uv = ms_mailbox_uidvalidity(mb);
    ck_assert_uint_ne(uv, 0);
    ck_assert_uint_ne(uv, ms_mailbox_uidvalidity(inbox));
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Work", NULL), MS_ERR_EXISTS);
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "Work"), MS_OK);
    ck_assert_ptr_null(ms_user_find_mailbox(alice, "Work"));
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Work", &mb), MS_OK);
    ck_assert_uint_ne(ms_mailbox_uidvalidity(mb), uv);
    ck_assert_uint_eq(ms_mailbox_uidnext(mb), 1);
}
END_TEST

START_TEST(test_view_sees_append_after_sync)
{
    struct ms_view *a, *b;
    struct mc_buf t = {0};
    uint32_t u1 = append(inbox, 0);
    ck_assert_int_eq(ms_view_open(inbox, 0, &a), MS_OK);
    ck_assert_int_eq(ms_view_open(inbox, 0, &b), MS_OK);
    ck_assert_uint_eq(ms_view_count(b), 1);
    ck_assert(!ms_view_pending(b));
    uint32_t u2 = append(inbox, 0), u3 = append(inbox, 0);
    ck_assert_uint_eq(ms_view_count(b), 1); /* nothing shifts before sync */
    ck_assert(ms_view_pending(b));
    ck_assert_str_eq(sync_text(b, 0, &t), "X3 ");
    ck_assert_uint_eq(ms_view_count(b), 3);
    ck_assert_uint_eq(ms_message_uid(ms_view_message(b, 1)), u1);
    ck_assert_uint_eq(ms_message_uid(ms_view_message(b, 2)), u2);
    ck_assert_uint_eq(ms_message_uid(ms_view_message(b, 3)), u3);
    ck_assert_uint_eq(ms_view_seq(b, u3), 3);
    ck_assert_uint_eq(ms_view_seq(b, 99), 0);
    ck_assert_str_eq(sync_text(b, 0, &t), ""); /* reported once */
    ck_assert_str_eq(sync_text(a, 0, &t), "X3 ");
    ms_view_close(a);
    ms_view_close(b);
    mc_buf_free(&t);
}
END_TEST

START_TEST(test_flag_change_reported_to_other_view_only)
{
    struct ms_view *a, *b;
    struct mc_buf t = {0};
    append(inbox, 0);
    uint32_t u2 = append(inbox, 0);
    ck_assert_int_eq(ms_view_open(inbox, 0, &a), MS_OK);
    ck_assert_int_eq(ms_view_open(inbox, 0, &b), MS_OK);
    bool changed;
    ck_assert_int_eq(
        ms_mailbox_store_flags(inbox, a, u2, MS_FLAGS_ADD, MS_FLAG_SEEN, NULL, &changed), MS_OK);
    ck_assert(changed);
    ck_assert_int_eq(
        ms_mailbox_store_flags(inbox, a, u2, MS_FLAGS_ADD, MS_FLAG_SEEN, NULL, &changed), MS_OK);
    ck_assert(!changed);
    ck_assert_str_eq(sync_text(a, 0, &t), ""); /* its own STORE answers for itself */
    ck_assert_str_eq(sync_text(b, 0, &t), "F2:1 ");
    ck_assert_str_eq(sync_text(b, 0, &t), "");
    /* A change with no origin (another protocol) reaches every view. */
    set_flags(inbox, NULL, u2, MS_FLAGS_REPLACE, MS_FLAG_FLAGGED | MS_FLAG_ANSWERED);
    ck_assert_str_eq(sync_text(a, 0, &t), "F2:6 ");
    ck_assert_str_eq(sync_text(b, 0, &t), "F2:6 ");
    set_flags(inbox, NULL, u2, MS_FLAGS_REMOVE, MS_FLAG_FLAGGED);
    ck_assert_uint_eq(ms_message_flags(ms_mailbox_find_uid(inbox, u2)), MS_FLAG_ANSWERED);
    ms_view_close(a);
    ms_view_close(b);
    mc_buf_free(&t);
}
END_TEST

START_TEST(test_expunge_reported_highest_first)
{
    struct ms_view *a, *b;
    struct mc_buf t = {0};
    uint32_t u1 = append(inbox, 0), u2 = append(inbox, 0), u3 = append(inbox, 0);
    ck_assert_int_eq(ms_view_open(inbox, 0, &a), MS_OK);
    ck_assert_int_eq(ms_view_open(inbox, 0, &b), MS_OK);
    set_flags(inbox, a, u1, MS_FLAGS_ADD, MS_FLAG_DELETED);
    set_flags(inbox, a, u3, MS_FLAGS_ADD, MS_FLAG_DELETED);
    ck_assert_int_eq(ms_mailbox_expunge(inbox, NULL, 0, NULL), MS_OK);
    /* b's numbers do not move, and the expunged messages stay readable until its sync */
    ck_assert_uint_eq(ms_view_count(b), 3);
    ck_assert(ms_message_expunged(ms_view_message(b, 1)));
    ck_assert_str_eq(ms_message_data(ms_view_message(b, 3)), MSG);
    ck_assert_str_eq(sync_text(b, 0, &t), "E3 E1 ");
    ck_assert_uint_eq(ms_view_count(b), 1);
    ck_assert_uint_eq(ms_message_uid(ms_view_message(b, 1)), u2);
    /* the view that expunged learns it at its own sync too (EXPUNGE = change, then sync) */
    ck_assert_str_eq(sync_text(a, 0, &t), "E3 E1 ");
    ms_view_close(a);
    ms_view_close(b);
    mc_buf_free(&t);
}
END_TEST

START_TEST(test_deferred_expunge_keeps_numbers)
{
    struct ms_view *a;
    struct mc_buf t = {0};
    uint32_t u1 = append(inbox, 0);
    append(inbox, 0);
    ck_assert_int_eq(ms_view_open(inbox, 0, &a), MS_OK);
    ck_assert_int_eq(ms_mailbox_delete_uids(inbox, &u1, 1), MS_OK);
    uint32_t u3 = append(inbox, 0);
    /* during FETCH: new message gets number 3, message 1 stays until EXPUNGE may be sent */
    ck_assert_str_eq(sync_text(a, MS_SYNC_DEFER_EXPUNGE, &t), "X3 ");
    ck_assert_uint_eq(ms_message_uid(ms_view_message(a, 3)), u3);
    ck_assert_str_eq(sync_text(a, 0, &t), "E1 ");
    ck_assert_uint_eq(ms_view_seq(a, u3), 2);
    ms_view_close(a);
    mc_buf_free(&t);
}
END_TEST

START_TEST(test_delete_uids_exact_and_uid_expunge)
{
    uint32_t u[4];
    for (int i = 0; i < 4; i++)
        u[i] = append(inbox, i % 2 ? MS_FLAG_DELETED : 0);
    /* UID EXPUNGE of u1..u2: only u2 is \Deleted */
    struct ms_uidlist gone = {0};
    ck_assert_int_eq(ms_mailbox_expunge(inbox, u, 2, &gone), MS_OK);
    ck_assert_uint_eq(gone.count, 1);
    ck_assert_uint_eq(gone.uids[0], u[1]);
    ms_uidlist_free(&gone);
    ck_assert_ptr_nonnull(ms_mailbox_find_uid(inbox, u[3])); /* \Deleted, not asked for */
    /* POP3: exactly these, whatever the flags; unknown UIDs skipped */
    uint32_t del[] = {u[0], 999};
    ck_assert_int_eq(ms_mailbox_delete_uids(inbox, del, 2), MS_OK);
    ck_assert_uint_eq(ms_mailbox_count(inbox), 2);
    ck_assert_uint_eq(ms_message_uid(ms_mailbox_message_at(inbox, 0)), u[2]);
    /* A POP3 QUIT with nothing marked removes nothing (it once removed everything). */
    ck_assert_int_eq(ms_mailbox_delete_uids(inbox, NULL, 0), MS_OK);
    ck_assert_uint_eq(ms_mailbox_count(inbox), 2);
}
END_TEST

START_TEST(test_pop3_lock_exclusive)
{
    ck_assert_int_eq(ms_mailbox_lock_pop3(inbox), MS_OK);
    ck_assert_int_eq(ms_mailbox_lock_pop3(inbox), MS_ERR_IN_USE);
    struct ms_user *bob;
    ck_assert_int_eq(ms_store_add_user(st, "bob", "pw", &bob), MS_OK);
    ck_assert_int_eq(ms_mailbox_lock_pop3(ms_user_inbox(bob)), MS_OK); /* per mailbox */
    ms_mailbox_unlock_pop3(inbox);
    ck_assert_int_eq(ms_mailbox_lock_pop3(inbox), MS_OK);
}
END_TEST

START_TEST(test_inbox_rename)
{
    uint32_t u1 = append(inbox, MS_FLAG_SEEN);
    append(inbox, 0);
    struct ms_mailbox *child;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "INBOX/child", &child), MS_OK);
    uint32_t uv = ms_mailbox_uidvalidity(inbox), next = ms_mailbox_uidnext(inbox);
    struct ms_view *v;
    struct mc_buf t = {0};
    ck_assert_int_eq(ms_view_open(inbox, 0, &v), MS_OK);
    ck_assert_int_eq(ms_user_rename_mailbox(alice, "inbox", "Old"), MS_OK);
    struct ms_mailbox *old = ms_user_find_mailbox(alice, "Old");
    ck_assert_ptr_nonnull(old);
    ck_assert_uint_eq(ms_mailbox_count(old), 2);
    ck_assert_uint_eq(ms_message_flags(ms_mailbox_message_at(old, 0)), MS_FLAG_SEEN);
    ck_assert_ptr_eq(ms_user_inbox(alice), inbox); /* INBOX stays, empty */
    ck_assert_uint_eq(ms_mailbox_count(inbox), 0);
    ck_assert_uint_eq(ms_mailbox_uidvalidity(inbox), uv);
    ck_assert_uint_eq(ms_mailbox_uidnext(inbox), next);
    ck_assert_ptr_eq(ms_user_find_mailbox(alice, "INBOX/child"), child); /* unaffected */
    ck_assert_str_eq(sync_text(v, 0, &t), "E2 E1 ");
    ck_assert_uint_gt(append(inbox, 0), u1 + 1);
    ms_view_close(v);
    mc_buf_free(&t);
}
END_TEST

START_TEST(test_hierarchy)
{
    struct ms_mailbox *c;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "a/b/c/", &c), MS_OK); /* trailing "/" */
    ck_assert_str_eq(ms_mailbox_name(c), "a/b/c");
    struct ms_mailbox *a = ms_user_find_mailbox(alice, "a");
    ck_assert_ptr_nonnull(a); /* superiors created */
    ck_assert(ms_mailbox_has_children(a));
    append(a, 0);
    append(c, 0);
    uint32_t uv = ms_mailbox_uidvalidity(c);
    ck_assert_int_eq(ms_user_rename_mailbox(alice, "a", "z/y"), MS_OK);
    ck_assert_ptr_null(ms_user_find_mailbox(alice, "a/b/c"));
    ck_assert_ptr_eq(ms_user_find_mailbox(alice, "z/y/b/c"), c);
    ck_assert_uint_eq(ms_mailbox_uidvalidity(c), uv); /* kept on rename */
    ck_assert_ptr_nonnull(ms_user_find_mailbox(alice, "z"));
    ck_assert_int_eq(ms_user_rename_mailbox(alice, "z/y", "z/y/q"), MS_ERR_BAD_NAME);
    ck_assert_int_eq(ms_user_rename_mailbox(alice, "z", "INBOX"), MS_ERR_EXISTS);
    /* DELETE with inferiors: emptied, \Noselect; then it cannot be deleted again */
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "z/y"), MS_OK);
    ck_assert(ms_mailbox_noselect(a));
    ck_assert_uint_eq(ms_mailbox_count(a), 0);
    ck_assert_int_eq(ms_mailbox_append(a, MSG, 3, 0, NULL, 0, NULL), MS_ERR_NOSELECT);
    struct ms_view *v;
    ck_assert_int_eq(ms_view_open(a, 0, &v), MS_ERR_NOSELECT);
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "z/y"), MS_ERR_HAS_CHILDREN);
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "INBOX"), MS_ERR_INBOX);
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "nope"), MS_ERR_NOT_FOUND);
    ck_assert_int_eq(ms_user_create_mailbox(alice, "z/y", NULL), MS_OK); /* selectable again */
    ck_assert(!ms_mailbox_noselect(a));
}
END_TEST

START_TEST(test_names)
{
    char out[MS_MAILBOX_NAME_MAX + 1];
    ck_assert_int_eq(ms_mailbox_name_canonical("inbox/Sub", out), MS_OK);
    ck_assert_str_eq(out, "INBOX/Sub");
    ck_assert_int_eq(ms_mailbox_name_canonical("Inboxes", out), MS_OK);
    ck_assert_str_eq(out, "Inboxes");
    ck_assert_int_eq(ms_mailbox_name_canonical("Entwürfe", out), MS_OK);
    const char *bad[] = {"", "/a", "a//b", "a*", "a%b", "a\tb", "\xff", "a/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(ms_mailbox_name_canonical(bad[i], NULL) == MS_ERR_BAD_NAME, "%s", bad[i]);
    char longname[MS_MAILBOX_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(ms_user_create_mailbox(alice, longname, NULL), MS_ERR_BAD_NAME);
    ck_assert_ptr_eq(ms_user_find_mailbox(alice, "iNbOx"), inbox);
}
END_TEST

/* Names are strict UTF-8: an overlong form, a surrogate or a code point above U+10FFFF could
   never be addressed again by an IMAP client (whose names are checked strictly). */
START_TEST(test_names_strict_utf8)
{
    const char *bad[] = {
        "a\xc0\xaf",        /* overlong "/" */
        "\xc1\xbf",         /* overlong two-octet form */
        "\xe0\x80\xaf",     /* overlong three-octet form */
        "\xf0\x80\x80\xaf", /* overlong four-octet form */
        "x\xed\xa0\x80y",   /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* lead octet F5 */
        "\xf7\xbf\xbf\xbf", /* lead octet F7 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(ms_mailbox_name_canonical(bad[i], NULL) == MS_ERR_BAD_NAME, "%zu", i);
        ck_assert_msg(ms_user_create_mailbox(alice, bad[i], NULL) == MS_ERR_BAD_NAME, "%zu", i);
    }
    char out[MS_MAILBOX_NAME_MAX + 1];
    ck_assert_int_eq(ms_mailbox_name_canonical("\xf4\x8f\xbf\xbf", out), MS_OK); /* U+10FFFF */
    ck_assert_int_eq(ms_mailbox_name_canonical("\xed\x9f\xbf", out), MS_OK);     /* U+D7FF */
    ck_assert_int_eq(ms_mailbox_name_canonical("\xc2\x80x", out), MS_OK);        /* U+0080 */
}
END_TEST

START_TEST(test_limits_and_bad_input)
{
    ck_assert_int_eq(ms_mailbox_append(inbox, MSG, MS_MESSAGE_SIZE_MAX + 1, 0, NULL, 0, NULL),
                     MS_ERR_TOO_BIG);
    ck_assert_int_eq(ms_mailbox_append(inbox, MSG, 3, 1u << 7, NULL, 0, NULL), MS_ERR_BAD_FLAG);
    struct mc_strv kw = {0};
    mc_strv_push_str(&kw, "\\Recent");
    ck_assert_int_eq(ms_mailbox_append(inbox, MSG, 3, 0, &kw, 0, NULL), MS_ERR_BAD_FLAG);
    mc_strv_clear(&kw);
    mc_strv_push_str(&kw, "has space");
    ck_assert_int_eq(ms_mailbox_append(inbox, MSG, 3, 0, &kw, 0, NULL), MS_ERR_BAD_FLAG);
    mc_strv_clear(&kw);
    for (unsigned i = 0; i <= MS_KEYWORDS_PER_MESSAGE_MAX; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", i);
        mc_strv_push_str(&kw, k);
    }
    ck_assert_int_eq(ms_mailbox_append(inbox, MSG, 3, 0, &kw, 0, NULL), MS_ERR_LIMIT);
    mc_strv_free(&kw);
    ck_assert_uint_eq(ms_mailbox_count(inbox), 0);
    ck_assert_int_eq(ms_mailbox_store_flags(inbox, NULL, 42, MS_FLAGS_ADD, 1, NULL, NULL),
                     MS_ERR_NOT_FOUND);
    ck_assert_int_eq(ms_store_add_user(st, "alice", "x", NULL), MS_ERR_EXISTS);
    ck_assert_int_eq(ms_store_add_user(st, "a@b", "x", NULL), MS_ERR_BAD_NAME);
    ck_assert_int_eq(ms_store_add_user(st, "", "x", NULL), MS_ERR_BAD_NAME);
    ck_assert_str_eq(ms_status_str(MS_ERR_IN_USE), "mailbox in use by another POP3 session");
}
END_TEST

START_TEST(test_keywords)
{
    struct mc_strv kw = {0};
    mc_strv_push_str(&kw, "$Junk");
    mc_strv_push_str(&kw, "$junk"); /* same keyword: case-insensitive */
    uint32_t uid;
    ck_assert_int_eq(ms_mailbox_append(inbox, MSG, 3, 0, &kw, 0, &uid), MS_OK);
    const struct ms_message *m = ms_mailbox_find_uid(inbox, uid);
    ck_assert_uint_eq(ms_message_keywords(m)->count, 1);
    ck_assert(ms_message_has_keyword(m, "$JUNK"));
    mc_strv_clear(&kw);
    mc_strv_push_str(&kw, "$JUNK");
    ck_assert_int_eq(ms_mailbox_store_flags(inbox, NULL, uid, MS_FLAGS_REMOVE, 0, &kw, NULL),
                     MS_OK);
    ck_assert_uint_eq(ms_message_keywords(m)->count, 0);
    mc_strv_free(&kw);
}
END_TEST

START_TEST(test_copy_and_move)
{
    struct ms_mailbox *dst;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Archive", &dst), MS_OK);
    append(dst, 0); /* dst UIDs start above 1 */
    uint32_t u1 = append(inbox, MS_FLAG_FLAGGED), u2 = append(inbox, 0), u3 = append(inbox, 0);
    uint32_t pick[] = {u3, u1, 77};
    struct ms_uidlist s = {0}, d = {0};
    ck_assert_int_eq(ms_mailbox_copy(inbox, pick, 3, dst, &s, &d), MS_OK);
    ck_assert_uint_eq(s.count, 2);
    ck_assert_uint_eq(s.uids[0], u1);
    ck_assert_uint_eq(s.uids[1], u3);
    ck_assert_uint_eq(d.uids[0], 2);
    ck_assert_uint_eq(d.uids[1], 3);
    const struct ms_message *c = ms_mailbox_find_uid(dst, 2);
    ck_assert_uint_eq(ms_message_flags(c), MS_FLAG_FLAGGED);
    ck_assert_int_eq(ms_message_date(c), 1700000000);
    ck_assert_uint_eq(ms_mailbox_count(inbox), 3);
    ms_uidlist_free(&s);
    ms_uidlist_free(&d);
    struct ms_view *v;
    struct mc_buf t = {0};
    ck_assert_int_eq(ms_view_open(inbox, 0, &v), MS_OK);
    ck_assert_int_eq(ms_mailbox_move(inbox, &u2, 1, dst, &s, &d), MS_OK);
    ck_assert_uint_eq(d.uids[0], 4);
    ck_assert_uint_eq(ms_mailbox_count(inbox), 2);
    ck_assert_uint_eq(ms_mailbox_count(dst), 4);
    ck_assert_str_eq(sync_text(v, 0, &t), "E2 ");
    ck_assert_int_eq(ms_mailbox_move(inbox, &u1, 1, inbox, NULL, NULL), MS_ERR_EXISTS);
    ms_uidlist_free(&s);
    ms_uidlist_free(&d);
    ms_view_close(v);
    mc_buf_free(&t);
}
END_TEST

START_TEST(test_recent_claimed_once)
{
    append(inbox, 0);
    struct ms_view *sel, *sel2, *ex;
    struct mc_buf t = {0};
    ck_assert_int_eq(ms_view_open(inbox, 0, &ex), MS_OK); /* POP3: no \Recent, claims none */
    ck_assert_uint_eq(ms_view_recent_count(ex), 0);
    ck_assert_int_eq(ms_view_open(inbox, MS_VIEW_CLAIM_RECENT, &sel), MS_OK);
    ck_assert(ms_view_recent(sel, 1));
    ck_assert_int_eq(ms_view_open(inbox, MS_VIEW_CLAIM_RECENT, &sel2), MS_OK);
    ck_assert_uint_eq(ms_view_recent_count(sel2), 0);
    append(inbox, 0);
    sync_text(sel2, 0, &t);
    sync_text(sel, 0, &t);
    ck_assert(ms_view_recent(sel2, 2));
    ck_assert(!ms_view_recent(sel, 2));
    ms_view_close(ex);
    ms_view_close(sel);
    ms_view_close(sel2);
    mc_buf_free(&t);
}
END_TEST

static int notified;
static void on_notify(void *ctx)
{
    (void)ctx;
    notified++;
}

START_TEST(test_notify_and_deleted_mailbox)
{
    struct ms_mailbox *mb;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Tmp", &mb), MS_OK);
    uint32_t uid = append(mb, 0);
    struct ms_view *a, *b;
    ck_assert_int_eq(ms_view_open(mb, 0, &a), MS_OK);
    ck_assert_int_eq(ms_view_open(mb, 0, &b), MS_OK);
    ms_view_set_notify(b, on_notify, NULL);
    notified = 0;
    set_flags(mb, b, uid, MS_FLAGS_ADD, MS_FLAG_SEEN); /* own change: no wake-up */
    ck_assert_int_eq(notified, 0);
    set_flags(mb, a, uid, MS_FLAGS_ADD, MS_FLAG_FLAGGED);
    ck_assert_int_eq(notified, 1);
    append(mb, 0);
    ck_assert_int_eq(notified, 2);
    /* deleted under open views: the views stay valid and say so */
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "Tmp"), MS_OK);
    ck_assert(ms_view_gone(a));
    ck_assert_uint_eq(ms_view_count(a), 1);
    ck_assert_str_eq(ms_message_data(ms_view_message(a, 1)), MSG);
    ck_assert_int_eq(ms_mailbox_append(ms_view_mailbox(a), MSG, 3, 0, NULL, 0, NULL),
                     MS_ERR_NOT_FOUND);
    ms_view_close(a);
    ms_view_close(b);
}
END_TEST

/* EXAMINE shows what SELECT would show as \Recent, but leaves it to the next SELECT. */
START_TEST(test_examine_sees_recent_without_claiming)
{
    append(inbox, 0);
    struct ms_view *ex, *sel, *ex2;
    struct mc_buf t = {0};
    ck_assert_int_eq(ms_view_open(inbox, MS_VIEW_SEE_RECENT, &ex), MS_OK);
    ck_assert(ms_view_recent(ex, 1));
    ck_assert_uint_eq(ms_mailbox_count_unclaimed_recent(inbox), 1);
    append(inbox, 0);
    ck_assert_str_eq(sync_text(ex, 0, &t), "X2 ");
    ck_assert_uint_eq(ms_view_recent_count(ex), 2);
    ck_assert_uint_eq(ms_mailbox_count_unclaimed_recent(inbox), 2);
    ck_assert_int_eq(ms_view_open(inbox, MS_VIEW_CLAIM_RECENT, &sel), MS_OK);
    ck_assert_uint_eq(ms_view_recent_count(sel), 2); /* EXAMINE took nothing from it */
    ck_assert_uint_eq(ms_mailbox_count_unclaimed_recent(inbox), 0);
    append(inbox, 0);
    sync_text(sel, 0, &t); /* claims message 3 before the EXAMINE session hears of it */
    sync_text(ex, 0, &t);
    ck_assert(!ms_view_recent(ex, 3));
    ck_assert_uint_eq(ms_view_recent_count(ex), 2);
    ck_assert_int_eq(ms_view_open(inbox, MS_VIEW_SEE_RECENT, &ex2), MS_OK);
    ck_assert_uint_eq(ms_view_recent_count(ex2), 0);
    ms_view_close(ex);
    ms_view_close(sel);
    ms_view_close(ex2);
    mc_buf_free(&t);
}
END_TEST

/* DELETE of a mailbox with an inferior (\Noselect), CREATE again (new UIDVALIDITY, UIDs from
   1), APPEND: a view of the first incarnation must learn it is gone, not miss the new UIDs. */
START_TEST(test_view_gone_when_noselect_and_recreated)
{
    ck_assert_int_eq(ms_user_create_mailbox(alice, "p/c", NULL), MS_OK);
    struct ms_mailbox *p = ms_user_find_mailbox(alice, "p");
    append(p, 0);
    append(p, 0);
    uint32_t uv = ms_mailbox_uidvalidity(p);
    struct ms_view *a, *b;
    struct mc_buf t = {0};
    ck_assert_int_eq(ms_view_open(p, MS_VIEW_CLAIM_RECENT, &a), MS_OK);
    ck_assert(!ms_view_gone(a));
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "p"), MS_OK);
    ck_assert(ms_mailbox_noselect(p));
    ck_assert(ms_view_gone(a));
    ck_assert(ms_view_pending(a));
    ck_assert_int_eq(ms_user_create_mailbox(alice, "p", NULL), MS_OK);
    ck_assert_ptr_eq(ms_user_find_mailbox(alice, "p"), p);
    ck_assert_uint_ne(ms_mailbox_uidvalidity(p), uv);
    ck_assert_uint_eq(append(p, 0), 1);
    ck_assert(ms_view_gone(a)); /* neither deleted nor \Noselect now: UIDVALIDITY tells */
    ck_assert_str_eq(sync_text(a, 0, &t), ""); /* frozen */
    ck_assert_uint_eq(ms_view_count(a), 2);
    ck_assert_int_eq(ms_view_open(p, MS_VIEW_CLAIM_RECENT, &b), MS_OK);
    ck_assert(!ms_view_gone(b));
    ck_assert_uint_eq(ms_view_count(b), 1);
    ck_assert(ms_view_recent(b, 1)); /* claims of the old incarnation do not carry over */
    ms_view_close(a);
    ms_view_close(b);
    mc_buf_free(&t);
}
END_TEST

/* IDLE must wake when its mailbox goes, even empty; RENAME keeps views (top of mailstore.h). */
START_TEST(test_notify_when_gone_and_rename_kept)
{
    struct ms_view *v, *w, *r;
    struct mc_buf t = {0};
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Empty", NULL), MS_OK);
    ck_assert_int_eq(ms_view_open(ms_user_find_mailbox(alice, "Empty"), 0, &v), MS_OK);
    ms_view_set_notify(v, on_notify, NULL);
    notified = 0;
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "Empty"), MS_OK);
    ck_assert_int_ge(notified, 1);
    ck_assert(ms_view_gone(v));
    ck_assert_int_eq(ms_user_create_mailbox(alice, "q/c", NULL), MS_OK);
    ck_assert_int_eq(ms_view_open(ms_user_find_mailbox(alice, "q"), 0, &w), MS_OK);
    ms_view_set_notify(w, on_notify, NULL);
    notified = 0;
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "q"), MS_OK); /* \Noselect, was empty */
    ck_assert_int_ge(notified, 1);
    ck_assert(ms_view_gone(w));
    struct ms_mailbox *old;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Old", &old), MS_OK);
    ck_assert_int_eq(ms_view_open(old, 0, &r), MS_OK);
    ck_assert_int_eq(ms_user_rename_mailbox(alice, "Old", "New"), MS_OK);
    ck_assert(!ms_view_gone(r));
    ck_assert_str_eq(ms_mailbox_name(ms_view_mailbox(r)), "New");
    append(ms_user_find_mailbox(alice, "New"), 0);
    ck_assert_str_eq(sync_text(r, 0, &t), "X1 ");
    ms_view_close(v);
    ms_view_close(w);
    ms_view_close(r);
    mc_buf_free(&t);
}
END_TEST

START_TEST(test_users)
{
    struct ms_user *bob;
    ck_assert_int_eq(ms_store_add_user(st, "Bob", "pw", &bob), MS_OK);
    ck_assert_ptr_eq(ms_store_find_user(st, "Bob"), bob);
    ck_assert_ptr_null(ms_store_find_user(st, "bob")); /* names: exact */
    ck_assert_ptr_eq(ms_store_find_user_by_address(st, "alice@example.org"), alice);
    ck_assert_ptr_eq(ms_store_find_user_by_address(st, "BOB@example.org"), bob);
    ck_assert_ptr_eq(ms_store_find_user_by_address(st, "alice"), alice);
    ck_assert_ptr_null(ms_store_find_user_by_address(st, "carol@example.org"));
    ck_assert(ms_user_check_password(alice, "secret"));
    ck_assert(!ms_user_check_password(alice, "secre"));
    ck_assert(!ms_user_check_password(alice, "secrets"));
    ck_assert(!ms_user_check_password(alice, ""));
    ck_assert_uint_eq(ms_store_user_count(st), 2);
}
END_TEST

START_TEST(test_subscriptions)
{
    ck_assert_int_eq(ms_user_subscribe(alice, "inbox"), MS_OK);
    ck_assert_int_eq(ms_user_subscribe(alice, "Gone/Never"), MS_OK); /* need not exist */
    ck_assert_int_eq(ms_user_subscribe(alice, "INBOX"), MS_OK);
    const struct mc_strv *s = ms_user_subscriptions(alice);
    ck_assert_uint_eq(s->count, 2);
    ck_assert_str_eq(s->items[0].ptr, "INBOX");
    ck_assert_int_eq(ms_user_unsubscribe(alice, "INBOX"), MS_OK);
    ck_assert_int_eq(ms_user_unsubscribe(alice, "INBOX"), MS_ERR_NOT_FOUND);
    ck_assert_uint_eq(s->count, 1);
}
END_TEST

/* ---- maildir ---- */

static bool dir_has_file_with(const char *sub, const char *suffix)
{
    char path[256];
    snprintf(path, sizeof path, "%s/users/alice/mail/INBOX/%s", tmpdir, sub);
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
            size_t n = strlen(de->d_name), k = strlen(suffix);
            found |= n >= k && strcmp(de->d_name + n - k, suffix) == 0;
        }
    closedir(d);
    return found;
}

static size_t dir_count(const char *sub)
{
    char path[256];
    snprintf(path, sizeof path, "%s/users/alice/mail/INBOX/%s", tmpdir, sub);
    DIR *d = opendir(path);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

START_TEST(test_maildir_file_in_place_when_append_returns)
{
    append(inbox, 0);
    /* no fork/kill needed: what append promised must be on disk under its final name now */
    ck_assert_uint_eq(dir_count("new"), 1);
    ck_assert_uint_eq(dir_count("tmp"), 0);
    append(inbox, MS_FLAG_SEEN | MS_FLAG_FLAGGED);
    ck_assert(dir_has_file_with("cur", ":2,FS"));
    char path[256];
    snprintf(path, sizeof path, "%s/users/alice/mail/INBOX/mailconform-uids", tmpdir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    int uid_lines = 0;
    while (fgets(line, sizeof line, f))
        uid_lines += line[0] >= '1' && line[0] <= '9';
    fclose(f);
    ck_assert_int_eq(uid_lines, 2);
}
END_TEST

START_TEST(test_maildir_reopen)
{
    struct ms_mailbox *work;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Work/2024 Q1", &work), MS_OK);
    uint32_t uv_inbox = ms_mailbox_uidvalidity(inbox), uv_work = ms_mailbox_uidvalidity(work);
    uint32_t u1 = append(inbox, 0), u2 = append(inbox, 0), u3 = append(inbox, 0);
    struct mc_strv kw = {0};
    mc_strv_push_str(&kw, "$Forwarded");
    ck_assert_int_eq(
        ms_mailbox_store_flags(inbox, NULL, u2, MS_FLAGS_ADD, MS_FLAG_ANSWERED, &kw, NULL), MS_OK);
    mc_strv_free(&kw);
    set_flags(inbox, NULL, u1, MS_FLAGS_ADD, MS_FLAG_DELETED);
    ck_assert_int_eq(ms_mailbox_expunge(inbox, NULL, 0, NULL), MS_OK);
    ck_assert(dir_has_file_with("cur", ":2,R"));
    ck_assert_uint_eq(dir_count("new") + dir_count("cur"), 2);
    append(work, MS_FLAG_DRAFT);
    ck_assert_int_eq(ms_user_subscribe(alice, "Work"), MS_OK);

    reopen();
    ck_assert_uint_eq(ms_mailbox_uidvalidity(inbox), uv_inbox);
    ck_assert_uint_eq(ms_mailbox_uidnext(inbox), u3 + 1);
    ck_assert_uint_eq(ms_mailbox_count(inbox), 2);
    const struct ms_message *m2 = ms_mailbox_message_at(inbox, 0);
    ck_assert_uint_eq(ms_message_uid(m2), u2);
    ck_assert_uint_eq(ms_message_flags(m2), MS_FLAG_ANSWERED);
    ck_assert(ms_message_has_keyword(m2, "$Forwarded"));
    ck_assert_int_eq(ms_message_date(m2), 1700000000);
    ck_assert_uint_eq(ms_message_size(m2), sizeof MSG - 1);
    ck_assert_str_eq(ms_message_data(m2), MSG);
    ck_assert_uint_eq(ms_message_uid(ms_mailbox_message_at(inbox, 1)), u3);
    work = ms_user_find_mailbox(alice, "Work/2024 Q1");
    ck_assert_ptr_nonnull(work);
    ck_assert_ptr_nonnull(ms_user_find_mailbox(alice, "Work"));
    ck_assert_uint_eq(ms_mailbox_uidvalidity(work), uv_work);
    ck_assert_uint_eq(ms_message_flags(ms_mailbox_message_at(work, 0)), MS_FLAG_DRAFT);
    ck_assert_uint_eq(ms_user_subscriptions(alice)->count, 1);
    ck_assert_uint_eq(append(inbox, 0), u3 + 1); /* UIDs go on, never reused */

    /* UIDVALIDITY stays unique across restarts: delete + re-create after reopening */
    ck_assert_int_eq(ms_user_delete_mailbox(alice, "Work/2024 Q1"), MS_OK);
    reopen();
    ck_assert_ptr_null(ms_user_find_mailbox(alice, "Work/2024 Q1"));
    ck_assert_int_eq(ms_user_create_mailbox(alice, "Work/2024 Q1", &work), MS_OK);
    ck_assert_uint_gt(ms_mailbox_uidvalidity(work), uv_work);
}
END_TEST

START_TEST(test_maildir_rename_and_unknown_files)
{
    struct ms_mailbox *a;
    ck_assert_int_eq(ms_user_create_mailbox(alice, "a/b", &a), MS_OK);
    uint32_t uid = append(a, MS_FLAG_SEEN);
    ck_assert_int_eq(ms_user_rename_mailbox(alice, "a", "c"), MS_OK);
    append(inbox, 0);
    ck_assert_int_eq(ms_user_rename_mailbox(alice, "INBOX", "Saved"), MS_OK);
    /* mail dropped in by hand (or a crash before the UID file was written) gets a UID */
    char path[256];
    snprintf(path, sizeof path, "%s/users/alice/mail/INBOX/new/1.dropped", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(MSG, f);
    fclose(f);
    uint32_t next = ms_mailbox_uidnext(inbox);
    reopen();
    ck_assert_ptr_null(ms_user_find_mailbox(alice, "a/b"));
    struct ms_mailbox *cb = ms_user_find_mailbox(alice, "c/b");
    ck_assert_ptr_nonnull(cb);
    ck_assert_uint_eq(ms_message_uid(ms_mailbox_message_at(cb, 0)), uid);
    ck_assert_uint_eq(ms_mailbox_count(ms_user_find_mailbox(alice, "Saved")), 1);
    ck_assert_uint_eq(ms_mailbox_count(inbox), 1);
    ck_assert_uint_eq(ms_message_uid(ms_mailbox_message_at(inbox, 0)), next);
}
END_TEST

static Suite *mailstore_suite(void)
{
    Suite *s = suite_create("mailstore");
    TCase *tc = tcase_create("memory");
    tcase_add_checked_fixture(tc, setup_memory, teardown_memory);
    tcase_add_test(tc, test_uids_ascending_never_reused);
    tcase_add_test(tc, test_uidvalidity_changes_on_recreate);
    tcase_add_test(tc, test_view_sees_append_after_sync);
    tcase_add_test(tc, test_flag_change_reported_to_other_view_only);
    tcase_add_test(tc, test_expunge_reported_highest_first);
    tcase_add_test(tc, test_deferred_expunge_keeps_numbers);
    tcase_add_test(tc, test_delete_uids_exact_and_uid_expunge);
    tcase_add_test(tc, test_pop3_lock_exclusive);
    tcase_add_test(tc, test_inbox_rename);
    tcase_add_test(tc, test_hierarchy);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_names_strict_utf8);
    tcase_add_test(tc, test_limits_and_bad_input);
    tcase_add_test(tc, test_keywords);
    tcase_add_test(tc, test_copy_and_move);
    tcase_add_test(tc, test_recent_claimed_once);
    tcase_add_test(tc, test_notify_and_deleted_mailbox);
    tcase_add_test(tc, test_examine_sees_recent_without_claiming);
    tcase_add_test(tc, test_view_gone_when_noselect_and_recreated);
    tcase_add_test(tc, test_notify_when_gone_and_rename_kept);
    tcase_add_test(tc, test_users);
    tcase_add_test(tc, test_subscriptions);
    suite_add_tcase(s, tc);
    TCase *md = tcase_create("maildir");
    tcase_add_checked_fixture(md, setup_maildir, teardown_maildir);
    tcase_add_test(md, test_maildir_file_in_place_when_append_returns);
    tcase_add_test(md, test_maildir_reopen);
    tcase_add_test(md, test_maildir_rename_and_unknown_files);
    suite_add_tcase(s, md);
    return s;
}

int main(void)
{
    return mc_check_run(mailstore_suite());
}
