/*
 * test_imap_search — the reference server's SEARCH program (imap_search.c): every search key
 * of RFC 3501 6.4.4 over six varied messages (flags, keywords, internal and sent dates,
 * RFC 2047 headers, quoted-printable and base64 bodies in other charsets, multipart and
 * message/rfc822), NOT/OR/parenthesised lists, sequence and UID sets with "*", \Recent,
 * CHARSET, the RETURN options of RFC 4731, syntax errors and the harness limits.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reference/imap_parse.h"
#include "reference/imap_search.h"
#include "reference/mailstore.h"
#include "support_check.h"

#define MSG_COUNT 6
#define RESULT_MAX 256

static struct ms_store *st;
static struct ms_mailbox *inbox;
static bool recent[MSG_COUNT + 1]; /* by sequence number */

/* 1: SEEN. Sent 1-Feb-1994 as written (2-Feb in UTC). */
static const char M1[] = "Date: Tue, 1 Feb 1994 21:52:25 -0800\r\n"
                         "From: \"Alice Example\" <alice@example.org>\r\n"
                         "To: bob@example.com\r\n"
                         "Cc: carol@example.net\r\n"
                         "Subject: Meeting tomorrow\r\n"
                         "Message-ID: <1@example.org>\r\n"
                         "\r\n"
                         "Let's meet at noon in the Conference Room.\r\n";

/* 2: ANSWERED FLAGGED $Important. RFC 2047 From and Subject, quoted-printable Latin-1 body. */
static const char M2[] = "Date: Wed, 02 Feb 1994 00:30:00 +0100\r\n"
                         "From: =?ISO-8859-1?Q?Andr=E9_Dupont?= <andre@example.fr>\r\n"
                         "To: alice@example.org\r\n"
                         "Subject: =?UTF-8?B?w4lsw6h2ZSBkw6lqw6AgdnU=?=\r\n"
                         "MIME-Version: 1.0\r\n"
                         "Content-Type: text/plain; charset=ISO-8859-1\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n"
                         "\r\n"
                         "Un caf=E9 cr=E8me, s'il vous pla=EEt. Tr=E8s long=\r\n"
                         "ue ligne.\r\n";

/* 3: DELETED Junk. Obsolete date; multipart with base64 text, HTML and a binary attachment. */
static const char M3[] = "Date: 3 Feb 94 08:00 EST\r\n"
                         "From: Bob <bob@example.com>\r\n"
                         "To: alice@example.org, dave@example.org\r\n"
                         "Subject: Greetings\r\n"
                         "MIME-Version: 1.0\r\n"
                         "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
                         "\r\n"
                         "preamblemarker\r\n"
                         "--XYZ\r\n"
                         "Content-Type: text/plain; charset=UTF-8\r\n"
                         "Content-Transfer-Encoding: base64\r\n"
                         "\r\n"
                         "R3LDvMOfZSBhdXMgTcO8bmNoZW4hDQo=\r\n"
                         "--XYZ\r\n"
                         "Content-Type: text/html; charset=UTF-8\r\n"
                         "\r\n"
                         "<p>Gr&uuml;&szlig;e <b>htmlmarker</b></p>\r\n"
                         "--XYZ\r\n"
                         "Content-Type: application/octet-stream\r\n"
                         "Content-Transfer-Encoding: base64\r\n"
                         "\r\n"
                         "YXR0YWNobWVudHNlY3JldA0K\r\n"
                         "--XYZ--\r\n";

/* 4: DRAFT. Comments in the date, Bcc, X-Custom, a forwarded message/rfc822. */
static const char M4[] = "Date: Fri (Friday), 4 Feb 1994 (a comment) 10:00:00 GMT\r\n"
                         "From: carol@example.net\r\n"
                         "To: alice@example.org\r\n"
                         "Bcc: dave@example.org\r\n"
                         "X-Custom: Hello World\r\n"
                         "Subject: Fwd: report\r\n"
                         "MIME-Version: 1.0\r\n"
                         "Content-Type: multipart/mixed; boundary=outer\r\n"
                         "\r\n"
                         "--outer\r\n"
                         "Content-Type: text/plain\r\n"
                         "\r\n"
                         "See the attached report.\r\n"
                         "--outer\r\n"
                         "Content-Type: message/rfc822\r\n"
                         "\r\n"
                         "From: eve@example.com\r\n"
                         "Subject: Inner quarterly numbers\r\n"
                         "\r\n"
                         "inner body innermarker\r\n"
                         "--outer--\r\n";

/* 5: no flags, recent. No Date:, an empty X-Empty, a large body (built in setup). */
static const char M5_HEAD[] = "From: big@example.com\r\n"
                              "To: alice@example.org\r\n"
                              "Subject: Big one\r\n"
                              "X-Empty:\r\n"
                              "\r\n";

/* 6: SEEN DELETED $important, recent. Unreadable Date:, raw UTF-8 folded Subject, Greek and
   Cyrillic in the body; internal date before 1970. */
static const char M6[] = "Date: garbage\r\n"
                         "From: =?UTF-8?Q?=C3=9Cnic=C3=B6de?= <u@example.org>\r\n"
                         "To: alice@example.org\r\n"
                         "Subject: \xC3\x9Cn\xC3\xAF"
                         "code raw\r\n"
                         " subject continued\r\n"
                         "Content-Type: text/plain; charset=UTF-8\r\n"
                         "\r\n"
                         "\xC3\x9Cn\xC3\xAF"
                         "code body \xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91 and "
                         "\xD0\x9A\xD0\x98\xD0\xA0\xD0\x98\xD0\x9B\xD0\x9B\xD0\x98\xD0\xA6\xD0\x90."
                         "\r\n";

static size_t m5_size;

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d};
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

static void add(const char *data, size_t len, unsigned flags, const char *keyword, time_t date)
{
    struct mc_strv kw = {0};
    if (keyword)
        mc_strv_push_str(&kw, keyword);
    ck_assert_int_eq(ms_mailbox_append(inbox, data, len, flags, &kw, date, NULL), MS_OK);
    mc_strv_free(&kw);
}

static void add_m5(void)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, M5_HEAD);
    for (int i = 0; i < 100; i++)
        mc_buf_append_str(&b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
    add(b.data, b.len, 0, NULL, utc(1994, 2, 5, 0, 0, 0));
    m5_size = b.len;
    mc_buf_free(&b);
}

static void setup(void)
{
    struct ms_user *u;
    st = ms_store_new();
    ck_assert_int_eq(ms_store_add_user(st, "alice", "secret", &u), MS_OK);
    inbox = ms_user_inbox(u);
    /* a first message removed again, so that UIDs (2..7) differ from sequence numbers */
    uint32_t gone;
    ck_assert_int_eq(ms_mailbox_append(inbox, M1, sizeof M1 - 1, 0, NULL, 0, &gone), MS_OK);
    ck_assert_int_eq(ms_mailbox_delete_uids(inbox, &gone, 1), MS_OK);
    add(M1, sizeof M1 - 1, MS_FLAG_SEEN, NULL, utc(1994, 2, 1, 10, 0, 0));
    add(M2, sizeof M2 - 1, MS_FLAG_ANSWERED | MS_FLAG_FLAGGED, "$Important",
        utc(1994, 2, 2, 23, 59, 59));
    add(M3, sizeof M3 - 1, MS_FLAG_DELETED, "Junk", utc(1994, 2, 3, 0, 0, 0));
    add(M4, sizeof M4 - 1, MS_FLAG_DRAFT, NULL, utc(1994, 2, 4, 12, 0, 0));
    add_m5();
    add(M6, sizeof M6 - 1, MS_FLAG_SEEN | MS_FLAG_DELETED, "$important", -3600);
    ck_assert_uint_eq(ms_mailbox_count(inbox), MSG_COUNT);
    memset(recent, 0, sizeof recent);
    recent[5] = recent[6] = true;
}

static void teardown(void)
{
    ms_store_free(st);
}

/* The sequence numbers q matches, "1 3 5" ("" for none). */
static const char *matches(const struct imap_search *q)
{
    static char out[RESULT_MAX];
    out[0] = '\0';
    uint32_t max_uid = ms_message_uid(ms_mailbox_message_at(inbox, MSG_COUNT - 1));
    for (uint32_t seq = 1; seq <= MSG_COUNT; seq++) {
        struct imap_search_target t = {.msg = ms_mailbox_message_at(inbox, seq - 1),
                                       .seq = seq,
                                       .recent = recent[seq],
                                       .max_seq = MSG_COUNT,
                                       .max_uid = max_uid};
        if (imap_search_match(q, &t))
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%u", out[0] ? " " : "", seq);
    }
    return out;
}

/* Parses program (which must succeed, with *returns as RETURN said) and runs it. */
static const char *search_ret(const char *program, size_t len, unsigned *returns)
{
    struct imap_parser ps;
    struct imap_search *q = NULL;
    imap_parser_init(&ps, program, len);
    enum imap_search_error e = imap_search_parse(&ps, true, &q, returns);
    ck_assert_msg(e == IMAP_SEARCH_OK, "%s: %d %s", program, e, ps.error ? ps.error : "");
    ck_assert_ptr_null(ps.error);
    ck_assert_ptr_nonnull(q);
    const char *r = matches(q);
    imap_search_free(q);
    return r;
}

static const char *search_r(const char *program, unsigned *returns)
{
    return search_ret(program, strlen(program), returns);
}

static const char *search(const char *program)
{
    unsigned returns = 99;
    const char *r = search_ret(program, strlen(program), &returns);
    ck_assert_uint_eq(returns, 0);
    return r;
}

/* Parses program, which must fail with `want`; returns ps.error. */
static const char *fails(const char *program, bool esearch, enum imap_search_error want)
{
    struct imap_parser ps;
    struct imap_search *q = (struct imap_search *)&ps; /* must be reset to NULL */
    unsigned returns = 99;
    imap_parser_init(&ps, program, strlen(program));
    ck_assert_int_eq(imap_search_parse(&ps, esearch, &q, &returns), want);
    ck_assert_ptr_null(q);
    ck_assert_uint_eq(returns, 0);
    return ps.error;
}

static const char *bad(const char *program)
{
    const char *err = fails(program, true, IMAP_SEARCH_BAD);
    ck_assert_msg(err != NULL, "%s: BAD without an error", program);
    return err;
}

START_TEST(test_flags)
{
    ck_assert_str_eq(search("ALL"), "1 2 3 4 5 6");
    ck_assert_str_eq(search("SEEN"), "1 6");
    ck_assert_str_eq(search("UNSEEN"), "2 3 4 5");
    ck_assert_str_eq(search("ANSWERED"), "2");
    ck_assert_str_eq(search("UNANSWERED"), "1 3 4 5 6");
    ck_assert_str_eq(search("FLAGGED"), "2");
    ck_assert_str_eq(search("UNFLAGGED"), "1 3 4 5 6");
    ck_assert_str_eq(search("DELETED"), "3 6");
    ck_assert_str_eq(search("UNDELETED"), "1 2 4 5");
    ck_assert_str_eq(search("DRAFT"), "4");
    ck_assert_str_eq(search("UNDRAFT"), "1 2 3 5 6");
    ck_assert_str_eq(search("seen"), "1 6"); /* keys are case-insensitive */
    ck_assert_str_eq(search("dRaFt"), "4");
}
END_TEST

START_TEST(test_recent_new_old)
{
    ck_assert_str_eq(search("RECENT"), "5 6");
    ck_assert_str_eq(search("NEW"), "5"); /* RECENT UNSEEN */
    ck_assert_str_eq(search("OLD"), "1 2 3 4");
    recent[5] = recent[6] = false;
    recent[2] = true;
    ck_assert_str_eq(search("RECENT"), "2");
    ck_assert_str_eq(search("NEW"), "2");
    ck_assert_str_eq(search("OLD"), "1 3 4 5 6");
}
END_TEST

START_TEST(test_keywords)
{
    ck_assert_str_eq(search("KEYWORD $Important"), "2 6"); /* keywords ignore case */
    ck_assert_str_eq(search("KEYWORD $IMPORTANT"), "2 6");
    ck_assert_str_eq(search("KEYWORD junk"), "3");
    ck_assert_str_eq(search("KEYWORD NoSuchKeyword"), "");
    ck_assert_str_eq(search("UNKEYWORD $important"), "1 3 4 5");
    ck_assert_str_eq(search("UNKEYWORD NoSuchKeyword"), "1 2 3 4 5 6");
}
END_TEST

START_TEST(test_sizes)
{
    char prog[64];
    ck_assert_str_eq(search("LARGER 4000"), "5");
    ck_assert_str_eq(search("SMALLER 4000"), "1 2 3 4 6");
    snprintf(prog, sizeof prog, "LARGER %zu", m5_size);
    ck_assert_str_eq(search(prog), ""); /* strictly larger */
    snprintf(prog, sizeof prog, "LARGER %zu", m5_size - 1);
    ck_assert_str_eq(search(prog), "5");
    snprintf(prog, sizeof prog, "SMALLER %zu", m5_size);
    ck_assert_str_eq(search(prog), "1 2 3 4 6");
    snprintf(prog, sizeof prog, "SMALLER %zu", m5_size + 1);
    ck_assert_str_eq(search(prog), "1 2 3 4 5 6");
    ck_assert_str_eq(search("SMALLER 0"), "");
    ck_assert_str_eq(search("LARGER 0"), "1 2 3 4 5 6");
    ck_assert_str_eq(search("LARGER 99999999999"), ""); /* number64 (RFC 9051) */
}
END_TEST

START_TEST(test_internal_dates)
{
    ck_assert_str_eq(search("BEFORE 2-Feb-1994"), "1 6");
    ck_assert_str_eq(search("ON 2-Feb-1994"), "2"); /* 23:59:59 is still that day */
    ck_assert_str_eq(search("ON 3-Feb-1994"), "3"); /* 00:00:00 too */
    ck_assert_str_eq(search("SINCE 3-Feb-1994"), "3 4 5");
    ck_assert_str_eq(search("SINCE 1-Feb-1994 BEFORE 4-Feb-1994"), "1 2 3");
    ck_assert_str_eq(search("ON \"5-Feb-1994\""), "5");
    ck_assert_str_eq(search("ON 31-Dec-1969"), "6"); /* days round down before 1970 */
    ck_assert_str_eq(search("ON 1-Jan-1970"), "");
    ck_assert_str_eq(search("BEFORE 1-Jan-1970"), "6");
    ck_assert_str_eq(search("SINCE 1-Jan-2030"), "");
}
END_TEST

START_TEST(test_sent_dates)
{
    /* the day written in Date:, time and zone disregarded (RFC 3501 6.4.4) */
    ck_assert_str_eq(search("SENTON 1-Feb-1994"), "1"); /* 21:52 -0800: 2-Feb in UTC */
    ck_assert_str_eq(search("SENTON 2-Feb-1994"), "2"); /* 00:30 +0100: 1-Feb in UTC */
    ck_assert_str_eq(search("SENTON 3-Feb-1994"), "3"); /* "3 Feb 94 08:00 EST" */
    ck_assert_str_eq(search("SENTON 4-Feb-1994"), "4"); /* comments around */
    ck_assert_str_eq(search("SENTBEFORE 3-Feb-1994"), "1 2");
    ck_assert_str_eq(search("SENTSINCE 3-Feb-1994"), "3 4");
    /* no Date: (5) and an unreadable one (6) match no SENT* key, so NOT of one matches them */
    ck_assert_str_eq(search("SENTSINCE 1-Jan-1900"), "1 2 3 4");
    ck_assert_str_eq(search("SENTBEFORE 1-Jan-2100"), "1 2 3 4");
    ck_assert_str_eq(search("NOT SENTON 1-Feb-1994"), "2 3 4 5 6");
}
END_TEST

START_TEST(test_sent_date_forms)
{
    static const struct {
        const char *date;
        bool on; /* SENTON 9-Mar-2004 */
    } CASES[] = {
        {"Tue, 9 Mar 2004 23:59:59 +1400", true},
        {"09 Mar 2004 00:00 -1200", true},
        {"9 March 2004 10:00:00 GMT", true},
        {"tue,9 mar 2004 10:00 PST", true},
        {"9 Mar 04 10:00 EDT", true},
        {"9 Mar 104 10:00 Z", true}, /* three-digit obs-year: 1900 + 104 */
        {"9-Mar-2004", true},
        {"(c) Tue (x(y)) , 9 (z) Mar (w) 2004 10:00 UT", true},
        {"\t9\r\n Mar\r\n 2004", true},
        {"10 Mar 2004 00:00 +0000", false},
        {"9 Mar 49 10:00", false}, /* 2049 */
        {"Tue, 30 Feb 2004 10:00 +0000", false},
        {"Tue, Mar 9 2004", false},
        {"9 Mrz 2004", false},
        {"", false},
        {"(unterminated 9 Mar 2004", false},
        {"123 Mar 2004", false},
        {"9 Mar 20041", false},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        struct mc_buf m = {0};
        mc_buf_printf(&m, "Date: %s\r\nSubject: x\r\n\r\nbody\r\n", CASES[i].date);
        uint32_t uid;
        ck_assert_int_eq(ms_mailbox_append(inbox, m.data, m.len, 0, NULL, 0, &uid), MS_OK);
        mc_buf_free(&m);
        struct imap_parser ps;
        struct imap_search *q;
        unsigned returns;
        const char *prog = "SENTON 9-Mar-2004";
        imap_parser_init(&ps, prog, strlen(prog));
        ck_assert_int_eq(imap_search_parse(&ps, true, &q, &returns), IMAP_SEARCH_OK);
        struct imap_search_target t = {ms_mailbox_find_uid(inbox, uid), 1, false, 1, uid, NULL};
        ck_assert_msg(imap_search_match(q, &t) == CASES[i].on, "%s", CASES[i].date);
        imap_search_free(q);
    }
}
END_TEST

START_TEST(test_address_headers)
{
    ck_assert_str_eq(search("FROM alice"), "1");
    ck_assert_str_eq(search("FROM \"alice example\""), "1");
    ck_assert_str_eq(search("FROM \"andr\xC3\xA9\""), "2");        /* RFC 2047 Q */
    ck_assert_str_eq(search("FROM \"ANDR\xC3\x89 DUPONT\""), "2"); /* É -> é */
    ck_assert_str_eq(search("FROM \"\xC3\xBCnic\xC3\xB6"
                            "de\""),
                     "6");                        /* UTF-8 Q */
    ck_assert_str_eq(search("FROM Andr=E9"), ""); /* not raw */
    ck_assert_str_eq(search("TO alice"), "2 3 4 5 6");
    ck_assert_str_eq(search("TO dave"), "3");
    ck_assert_str_eq(search("CC carol"), "1");
    ck_assert_str_eq(search("BCC dave"), "4");
    ck_assert_str_eq(search("BCC \"\""), "4"); /* "" matches a present field */
    ck_assert_str_eq(search("FROM \"\""), "1 2 3 4 5 6");
}
END_TEST

START_TEST(test_subject_and_header)
{
    ck_assert_str_eq(search("SUBJECT meeting"), "1");
    ck_assert_str_eq(search("SUBJECT \"\xC3\xA9l\xC3\xA8ve d\xC3\xA9j\xC3\xA0\""), "2");
    ck_assert_str_eq(search("SUBJECT \"\xC3\x89L\xC3\x88VE\""), "2");
    ck_assert_str_eq(search("SUBJECT w4ls"), "");      /* the encoded form does not match */
    ck_assert_str_eq(search("SUBJECT quarterly"), ""); /* only the top-level header */
    ck_assert_str_eq(search("SUBJECT \"raw subject continued\""), "6"); /* unfolded */
    ck_assert_str_eq(search("SUBJECT \"\xC3\xBCN\xC3\x8F"
                            "CODE\""),
                     "6"); /* raw UTF-8 */
    ck_assert_str_eq(search("HEADER X-Custom hello"), "4");
    ck_assert_str_eq(search("HEADER x-custom \"HELLO WORLD\""), "4");
    ck_assert_str_eq(search("HEADER X-Custom \"\""), "4");
    ck_assert_str_eq(search("HEADER X-Empty \"\""), "5");
    ck_assert_str_eq(search("HEADER X-Empty x"), "");
    ck_assert_str_eq(search("HEADER X-Missing \"\""), "");
    ck_assert_str_eq(search("HEADER Message-ID \"<1@\""), "1");
    ck_assert_str_eq(search("HEADER \"Subject\" greetings"), "3");
    ck_assert_str_eq(search("HEADER Content-Type multipart"), "3 4");
}
END_TEST

START_TEST(test_body)
{
    ck_assert_str_eq(search("BODY \"conference room\""), "1");
    ck_assert_str_eq(search("BODY meeting"), ""); /* the subject is not the body */
    ck_assert_str_eq(search("BODY \"CAF\xC3\x89 CR\xC3\x88ME\""), "2"); /* QP, Latin-1 */
    ck_assert_str_eq(search("BODY \"longue ligne\""), "2");             /* soft line break */
    ck_assert_str_eq(search("BODY caf=E9"), "");
    ck_assert_str_eq(search("BODY \"gr\xC3\xBC\xC3\x9F"
                            "e aus M\xC3\x9CNCHEN\""),
                     "3"); /* base64 */
    ck_assert_str_eq(search("BODY R3LDvMOf"), "");
    ck_assert_str_eq(search("BODY htmlmarker"), "3");
    ck_assert_str_eq(search("BODY attachmentsecret"), ""); /* not a text part */
    ck_assert_str_eq(search("BODY preamblemarker"), "");
    ck_assert_str_eq(search("BODY innermarker"), "4"); /* message/rfc822 body */
    ck_assert_str_eq(search("BODY quarterly"), "4");   /* ... with its header */
    /* Greek and Cyrillic capitals in the body, searched in lower case */
    ck_assert_str_eq(search("BODY \"\xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1\""), "6");
    ck_assert_str_eq(search("BODY \"\xD0\xBA\xD0\xB8\xD1\x80\xD0\xB8\xD0\xBB\""), "6");
    ck_assert_str_eq(search("BODY xxxxxxxx"), "5");
    ck_assert_str_eq(search("BODY \"\""), "1 2 3 4 5 6");
}
END_TEST

START_TEST(test_text)
{
    ck_assert_str_eq(search("TEXT meeting"), "1");                 /* header */
    ck_assert_str_eq(search("TEXT conference"), "1");              /* body */
    ck_assert_str_eq(search("TEXT \"\xC3\xA9l\xC3\xA8ve\""), "2"); /* decoded header */
    ck_assert_str_eq(search("TEXT \"x-custom: hello\""), "4");
    ck_assert_str_eq(search("TEXT innermarker"), "4");
    ck_assert_str_eq(search("TEXT attachmentsecret"), "");
    ck_assert_str_eq(search("TEXT dave"), "3 4");
}
END_TEST

START_TEST(test_literals)
{
    static const char P1[] = "SUBJECT {7}\r\nMEETING";
    static const char P2[] = "BODY {5+}\r\nCAF\xC3\x89 SEEN"; /* LITERAL+, 8-bit octets */
    static const char P3[] = "HEADER {8}\r\nX-Custom {5}\r\nworld";
    unsigned returns;
    ck_assert_str_eq(search_ret(P1, sizeof P1 - 1, &returns), "1");
    ck_assert_str_eq(search_ret(P2, sizeof P2 - 1, &returns), "");
    ck_assert_str_eq(search_ret(P2, sizeof P2 - 6, &returns), "2");
    ck_assert_str_eq(search_ret(P3, sizeof P3 - 1, &returns), "4");
    ck_assert_uint_eq(returns, 0);
}
END_TEST

START_TEST(test_boolean)
{
    ck_assert_str_eq(search("SEEN DELETED"), "6");
    ck_assert_str_eq(search("NOT SEEN"), "2 3 4 5");
    ck_assert_str_eq(search("NOT NOT SEEN"), "1 6");
    ck_assert_str_eq(search("OR SEEN FLAGGED"), "1 2 6");
    ck_assert_str_eq(search("OR (SEEN DELETED) DRAFT"), "4 6");
    ck_assert_str_eq(search("NOT (OR SEEN DELETED)"), "2 4 5");
    ck_assert_str_eq(search("OR OR SEEN DRAFT FLAGGED"), "1 2 4 6");
    ck_assert_str_eq(search("(SEEN)"), "1 6");
    ck_assert_str_eq(search("((SEEN) (NOT DELETED))"), "1");
    ck_assert_str_eq(search("or seen (not deleted draft)"), "1 4 6");
    ck_assert_str_eq(search("OR SUBJECT meeting BODY innermarker"), "1 4");
    ck_assert_str_eq(search("NOT TEXT alice UNSEEN"), "");
    ck_assert_str_eq(search("UNSEEN NOT FROM bob BODY \"\" NOT 5"), "2 4");
}
END_TEST

START_TEST(test_sequence_sets)
{
    ck_assert_str_eq(search("2:4"), "2 3 4");
    ck_assert_str_eq(search("4:2"), "2 3 4");
    ck_assert_str_eq(search("*"), "6");
    ck_assert_str_eq(search("5:*"), "5 6");
    ck_assert_str_eq(search("*:5"), "5 6");
    ck_assert_str_eq(search("9:*"), "6"); /* n:* with n beyond the last is "*" */
    ck_assert_str_eq(search("1,3,5"), "1 3 5");
    ck_assert_str_eq(search("1,3:4,*"), "1 3 4 6");
    ck_assert_str_eq(search("10"), "");
    ck_assert_str_eq(search("2,4:* SEEN"), "6");
    ck_assert_str_eq(search("NOT 1:5"), "6");
    ck_assert_str_eq(search("OR 1 *"), "1 6");
}
END_TEST

START_TEST(test_uid_sets)
{
    /* UIDs are 2..7 (UID 1 was removed) */
    ck_assert_str_eq(search("UID 2:3"), "1 2");
    ck_assert_str_eq(search("UID 1"), "");
    ck_assert_str_eq(search("UID *"), "6");
    ck_assert_str_eq(search("UID 4,6"), "3 5");
    ck_assert_str_eq(search("UID 6:*"), "5 6");
    ck_assert_str_eq(search("UID 100:*"), "6");
    ck_assert_str_eq(search("UID 1:4 NOT UID 3"), "1 3");
    ck_assert_str_eq(search("uid 7 SEEN"), "6");
}
END_TEST

START_TEST(test_charset)
{
    ck_assert_str_eq(search("CHARSET UTF-8 SUBJECT \"\xC3\xA9l\xC3\xA8ve\""), "2");
    ck_assert_str_eq(search("CHARSET us-ascii SEEN"), "1 6");
    ck_assert_str_eq(search("charset \"utf-8\" SEEN"), "1 6");
    ck_assert_str_eq(search("CHARSET {5}\r\nUTF-8 SEEN"), "1 6");
    ck_assert_ptr_null(fails("CHARSET ISO-8859-1 SEEN", true, IMAP_SEARCH_BAD_CHARSET));
    ck_assert_ptr_null(fails("CHARSET KOI8-R (never parsed", true, IMAP_SEARCH_BAD_CHARSET));
    ck_assert_str_eq(bad("CHARSET"), "CHARSET needs a charset name");
    ck_assert_str_eq(bad("CHARSET UTF-8"), "expected search keys after CHARSET");
    ck_assert_str_eq(bad("SEEN CHARSET UTF-8"), "unknown search key"); /* only first */
}
END_TEST

START_TEST(test_return)
{
    unsigned r;
    ck_assert_str_eq(search_r("RETURN (MIN MAX) SEEN", &r), "1 6");
    ck_assert_uint_eq(r, IMAP_RETURN_MIN | IMAP_RETURN_MAX);
    ck_assert_str_eq(search_r("RETURN () SEEN", &r), "1 6");
    ck_assert_uint_eq(r, IMAP_RETURN_ALL); /* RFC 4731 3.1 */
    ck_assert_str_eq(search_r("return (count all) DRAFT", &r), "4");
    ck_assert_uint_eq(r, IMAP_RETURN_COUNT | IMAP_RETURN_ALL);
    ck_assert_str_eq(search_r("RETURN (MIN) CHARSET UTF-8 ALL", &r), "1 2 3 4 5 6");
    ck_assert_uint_eq(r, IMAP_RETURN_MIN);
    ck_assert_str_eq(search_r("RETURN (COUNT COUNT) 1", &r), "1");
    ck_assert_uint_eq(r, IMAP_RETURN_COUNT);
    ck_assert_str_eq(search_r("RETURN (SAVE) SEEN", &r), "1 6");
    ck_assert_uint_eq(r, IMAP_RETURN_SAVE); /* RFC 5182 2.1 */
    ck_assert_str_eq(bad("RETURN (PARTIAL 1:5) SEEN"), "unknown RETURN option");
    {
        /* a failing SAVE search says it asked to SAVE, so that "$" can be emptied */
        struct imap_parser fp;
        struct imap_search *fq = NULL;
        unsigned fr = 0;
        imap_parser_init(&fp, "RETURN (SAVE) BOGUS", 19);
        ck_assert_int_eq(imap_search_parse(&fp, true, &fq, &fr), IMAP_SEARCH_BAD);
        ck_assert_uint_eq(fr, IMAP_RETURN_SAVE);
        ck_assert_ptr_null(fq);
    }
    ck_assert_str_eq(bad("RETURN (MIN"), "expected \")\" after the RETURN options");
    ck_assert_str_eq(bad("RETURN (MIN SEEN"), "unknown RETURN option");
    ck_assert_str_eq(bad("RETURN MIN SEEN"), "RETURN needs a parenthesised list of options");
    ck_assert_str_eq(bad("RETURN"), "RETURN needs a parenthesised list of options");
    ck_assert_str_eq(bad("RETURN (MIN)"), "expected search keys after RETURN (...)");
    ck_assert_str_eq(bad("CHARSET UTF-8 RETURN (MIN) SEEN"), "unknown search key");
    /* without ESEARCH, RETURN is no search key */
    ck_assert_str_eq(fails("RETURN (MIN) SEEN", false, IMAP_SEARCH_BAD), "unknown search key");
}
END_TEST

START_TEST(test_syntax_errors)
{
    ck_assert_str_eq(bad(""), "expected a search key");
    ck_assert_str_eq(bad("BOGUS"), "unknown search key");
    ck_assert_str_eq(bad("SEEN BOGUS"), "unknown search key");
    ck_assert_str_eq(bad("FROM"), "FROM needs a string");
    ck_assert_str_eq(bad("SUBJECT"), "SUBJECT needs a string");
    ck_assert_str_eq(bad("BEFORE"), "BEFORE needs a date");
    ck_assert_str_eq(bad("SENTON"), "SENTON needs a date");
    ck_assert_str_eq(bad("LARGER"), "LARGER needs a number");
    ck_assert_str_eq(bad("UID"), "UID needs a sequence set");
    ck_assert_str_eq(bad("KEYWORD"), "KEYWORD needs a keyword");
    ck_assert_str_eq(bad("NOT"), "NOT needs a search key");
    ck_assert_str_eq(bad("OR SEEN"), "OR needs two search keys");
    ck_assert_str_eq(bad("HEADER X-Custom"), "HEADER needs a field name and a string");
    ck_assert_str_eq(bad("(SEEN"), "missing \")\" after the search keys");
    ck_assert_str_eq(bad("((SEEN) DELETED"), "missing \")\" after the search keys");
    ck_assert_str_eq(bad("SEEN)"), "\")\" without a matching \"(\"");
    ck_assert_str_eq(bad("()"), "expected a search key");
    ck_assert_str_eq(bad("SEEN  DELETED"), "expected a search key");
    ck_assert_str_eq(bad("SEEN "), "expected a search key");
    ck_assert_str_eq(bad(" SEEN"), "expected a search key");
    ck_assert_str_eq(bad("\"SEEN\""), "expected a search key");
    ck_assert_str_eq(bad("SEEN(DELETED)"), "expected a space between search keys");
    ck_assert_str_eq(bad("NOT  SEEN"), "expected a search key");
    /* errors of the argument parsers come through */
    ck_assert_ptr_nonnull(strstr(bad("BEFORE 2/2/1994"), "date"));
    ck_assert_ptr_nonnull(strstr(bad("ON 30-Feb-1994"), "date"));
    ck_assert_ptr_nonnull(strstr(bad("LARGER x"), "number"));
    ck_assert_ptr_nonnull(strstr(bad("LARGER 99999999999999999999999"), "number"));
    ck_assert_ptr_nonnull(strstr(bad("0"), "number"));
    ck_assert_ptr_nonnull(strstr(bad("1,$"), "$"));
    ck_assert_ptr_nonnull(bad("KEYWORD \\Seen"));
    ck_assert_ptr_nonnull(bad("SUBJECT \"unterminated"));
    ck_assert_ptr_nonnull(bad("SUBJECT {10}\r\nshort"));
}
END_TEST

/* n times `open`, the key, n times `close`. */
static char *nested(size_t n, const char *open, const char *key, const char *close)
{
    struct mc_buf b = {0};
    for (size_t i = 0; i < n; i++)
        mc_buf_append_str(&b, open);
    mc_buf_append_str(&b, key);
    for (size_t i = 0; i < n; i++)
        mc_buf_append_str(&b, close);
    return mc_buf_steal(&b);
}

START_TEST(test_limits)
{
    char *p = nested(IMAP_SEARCH_DEPTH_MAX - 1, "NOT ", "SEEN", "");
    ck_assert_str_eq(search(p), "2 3 4 5"); /* 63 NOTs */
    free(p);
    p = nested(IMAP_SEARCH_DEPTH_MAX, "NOT ", "SEEN", "");
    ck_assert_str_eq(bad(p), "search keys nested too deeply");
    free(p);
    p = nested(IMAP_SEARCH_DEPTH_MAX - 1, "(", "SEEN", ")");
    ck_assert_str_eq(search(p), "1 6");
    free(p);
    p = nested(IMAP_SEARCH_DEPTH_MAX, "(", "SEEN", ")");
    ck_assert_str_eq(bad(p), "search keys nested too deeply");
    free(p);
    p = nested(100000, "(", "SEEN", ")"); /* far beyond: no stack exhaustion */
    ck_assert_str_eq(bad(p), "search keys nested too deeply");
    free(p);
    p = nested(IMAP_SEARCH_DEPTH_MAX, "OR SEEN ", "SEEN", "");
    ck_assert_str_eq(bad(p), "search keys nested too deeply");
    free(p);

    struct mc_buf b = {0};
    mc_buf_append_str(&b, "ALL");
    for (int i = 1; i < IMAP_SEARCH_KEYS_MAX; i++)
        mc_buf_append_str(&b, " ALL");
    ck_assert_str_eq(search(b.data), "1 2 3 4 5 6");
    mc_buf_append_str(&b, " ALL");
    ck_assert_str_eq(bad(b.data), "too many search keys");
    mc_buf_free(&b);
}
END_TEST

/* A needle that keeps almost matching is found (or not) in linear time (KMP). */
START_TEST(test_hostile_body)
{
    const size_t body = 2u * 1024 * 1024, needle = 4000;
    struct mc_buf m = {0};
    mc_buf_append_str(&m, "Subject: aaa\r\n\r\n");
    memset(mc_buf_extend(&m, body), 'a', body);
    mc_buf_append_str(&m, "b\r\n");
    uint32_t uid;
    ck_assert_int_eq(ms_mailbox_append(inbox, m.data, m.len, 0, NULL, 0, &uid), MS_OK);
    mc_buf_free(&m);

    struct mc_buf prog = {0};
    mc_buf_printf(&prog, "BODY {%zu}\r\n", needle + 1);
    memset(mc_buf_extend(&prog, needle), 'A', needle);
    mc_buf_append_str(&prog, "B TEXT {3}\r\nAAB NOT BODY {2}\r\nBA");
    struct imap_parser ps;
    struct imap_search *q;
    unsigned returns;
    imap_parser_init(&ps, prog.data, prog.len);
    ck_assert_int_eq(imap_search_parse(&ps, true, &q, &returns), IMAP_SEARCH_OK);
    struct imap_search_target t = {ms_mailbox_find_uid(inbox, uid), 7, false, 7, uid, NULL};
    clock_t start = clock();
    ck_assert(imap_search_match(q, &t));
    ck_assert_msg(clock() - start < 20 * CLOCKS_PER_SEC, "search took too long");
    imap_search_free(q);
    mc_buf_free(&prog);
}
END_TEST

START_TEST(test_expunged_and_free)
{
    imap_search_free(NULL);
    struct imap_parser ps;
    struct imap_search *q;
    unsigned returns;
    imap_parser_init(&ps, "SUBJECT meeting", 15);
    ck_assert_int_eq(imap_search_parse(&ps, true, &q, &returns), IMAP_SEARCH_OK);
    const struct ms_message *m = ms_mailbox_message_at(inbox, 0);
    struct ms_view *v;
    ck_assert_int_eq(ms_view_open(inbox, 0, &v), MS_OK);
    uint32_t uid = ms_message_uid(m);
    ck_assert_int_eq(ms_mailbox_delete_uids(inbox, &uid, 1), MS_OK);
    /* a message expunged by someone else stays readable through the view */
    struct imap_search_target t = {ms_view_message(v, 1), 1, false, 6, 7, NULL};
    ck_assert(imap_search_match(q, &t));
    ms_view_close(v);
    imap_search_free(q);
}
END_TEST

static Suite *imap_search_suite(void)
{
    Suite *s = suite_create("imap_search");
    TCase *tc = tcase_create("search");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_flags);
    tcase_add_test(tc, test_recent_new_old);
    tcase_add_test(tc, test_keywords);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_internal_dates);
    tcase_add_test(tc, test_sent_dates);
    tcase_add_test(tc, test_sent_date_forms);
    tcase_add_test(tc, test_address_headers);
    tcase_add_test(tc, test_subject_and_header);
    tcase_add_test(tc, test_body);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_literals);
    tcase_add_test(tc, test_boolean);
    tcase_add_test(tc, test_sequence_sets);
    tcase_add_test(tc, test_uid_sets);
    tcase_add_test(tc, test_charset);
    tcase_add_test(tc, test_return);
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_hostile_body);
    tcase_add_test(tc, test_expunged_and_free);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(imap_search_suite());
}
