/*
 * test_imap_parse — the IMAP command grammar of the reference server: tags, atoms, quoted
 * strings, literals (synchronizing, LITERAL+, literal8; announced sizes beyond the command),
 * numbers with their overflows, sequence sets and what "*" stands for, flag lists, dates; that
 * a failure consumes nothing and keeps the first error; and the writing side (strings, flags,
 * INTERNALDATE, compact UID sets).
 *
 * Every text is parsed from a heap copy of exactly its length (no NUL after it), so that the
 * sanitizer build catches any read past the end.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reference/imap_parse.h"
#include "reference/mailstore.h"
#include "support_check.h"

static struct imap_parser ps;
static char *text; /* the heap copy being parsed */
static struct mc_buf buf;

static void setup(void)
{
    text = NULL;
    buf = (struct mc_buf){0};
}

static void teardown(void)
{
    free(text);
    mc_buf_free(&buf);
}

static void init_n(const char *s, size_t len)
{
    free(text);
    text = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, s, len);
    imap_parser_init(&ps, text, len);
}

static void init(const char *s)
{
    init_n(s, strlen(s));
}

/* What is left to parse. */
static void rest_is(const char *rest)
{
    size_t n = (size_t)(ps.end - ps.p);
    ck_assert_msg(n == strlen(rest) && memcmp(ps.p, rest, n) == 0, "rest is \"%.*s\", not \"%s\"",
                  (int)n, ps.p, rest);
}

/* Failed without consuming anything, with an error recorded. */
static void failed_untouched(void)
{
    ck_assert_ptr_eq(ps.p, text);
    ck_assert_ptr_nonnull(ps.error);
}

static void buf_is(const char *want)
{
    ck_assert_uint_eq(buf.len, strlen(want));
    ck_assert_mem_eq(buf.data, want, buf.len);
}

/* ---- the parser itself ---- */

START_TEST(test_init_and_end)
{
    init("ab");
    ck_assert_ptr_null(ps.error);
    ck_assert(!imap_parse_at_end(&ps));
    ck_assert(imap_peek_char(&ps, 'a'));
    ck_assert(!imap_peek_char(&ps, 'b'));
    ck_assert(imap_parse_char(&ps, 'a'));
    ck_assert(!imap_parse_char(&ps, 'x'));
    rest_is("b");
    ck_assert(imap_parse_char(&ps, 'b'));
    ck_assert(imap_parse_at_end(&ps));
    ck_assert(!imap_peek_char(&ps, 'b'));
    ck_assert(!imap_parse_char(&ps, 'b')); /* nothing left */
    init("");
    ck_assert(imap_parse_at_end(&ps));
    ck_assert(!imap_parse_sp(&ps));
    ck_assert_str_eq(ps.error, "expected a space");
}
END_TEST

START_TEST(test_first_error_kept)
{
    init("x");
    ck_assert(!imap_parse_fail(&ps, "first"));
    ck_assert(!imap_parse_fail(&ps, "second"));
    ck_assert_str_eq(ps.error, "first");
    ck_assert(!imap_parse_sp(&ps));
    uint32_t n;
    ck_assert(!imap_parse_number(&ps, &n));
    ck_assert_str_eq(ps.error, "first");
    failed_untouched();
    imap_parser_init(&ps, text, 1); /* init clears the error */
    ck_assert_ptr_null(ps.error);
}
END_TEST

START_TEST(test_sp_and_char)
{
    init(" (x");
    ck_assert(!imap_parse_char(&ps, '('));
    ck_assert_str_eq(ps.error, "expected \"(\"");
    failed_untouched();
    ck_assert(imap_parse_sp(&ps));
    ck_assert(!imap_parse_sp(&ps));
    ck_assert(imap_parse_char(&ps, '('));
    rest_is("x");
    init("  ");
    ck_assert(imap_parse_sp(&ps));
    rest_is(" "); /* exactly one */
}
END_TEST

/* ---- tags and atoms ---- */

START_TEST(test_tag)
{
    init("A001 NOOP");
    ck_assert(imap_parse_tag(&ps, &buf));
    buf_is("A001");
    rest_is(" NOOP");
    init("a]b.c!~ x"); /* "]" is an ASTRING-CHAR */
    ck_assert(imap_parse_tag(&ps, &buf));
    buf_is("a]b.c!~");
    init("A+1");
    ck_assert(imap_parse_tag(&ps, &buf));
    buf_is("A");
    rest_is("+1");
    const char *bad[] = {"+", " A1", "*", "(", "\"a\"", "{1}", "%", "\\", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        mc_buf_reset(&buf);
        mc_buf_append_str(&buf, "old");
        ck_assert_msg(!imap_parse_tag(&ps, &buf), "accepted %s", bad[i]);
        failed_untouched();
        ck_assert_str_eq(ps.error, "expected a tag");
        buf_is("old"); /* untouched on failure */
    }
}
END_TEST

START_TEST(test_tag_length)
{
    char tag[IMAP_TAG_MAX + 2];
    memset(tag, 'T', sizeof tag - 1);
    tag[IMAP_TAG_MAX] = '\0';
    init(tag);
    ck_assert(imap_parse_tag(&ps, &buf));
    ck_assert_uint_eq(buf.len, IMAP_TAG_MAX);
    tag[IMAP_TAG_MAX] = 'T';
    tag[IMAP_TAG_MAX + 1] = '\0';
    init(tag);
    ck_assert(!imap_parse_tag(&ps, &buf));
    failed_untouched();
    ck_assert_str_eq(ps.error, "tag too long");
}
END_TEST

START_TEST(test_atom)
{
    init("FETCH 1");
    ck_assert(imap_parse_atom(&ps, &buf));
    buf_is("FETCH");
    rest_is(" 1");
    /* every atom-special ends an atom */
    const char *stops[] = {"ab(", "ab)",  "ab{",  "ab ", "ab\t",       "ab\x7f", "ab%",
                           "ab*", "ab\"", "ab\\", "ab]", "ab\xc3\xa4", "ab\r\n"};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        init(stops[i]);
        ck_assert(imap_parse_atom(&ps, &buf));
        buf_is("ab");
        ck_assert_ptr_eq(ps.p, text + 2);
    }
    init("BODY.PEEK[]");
    ck_assert(imap_parse_atom(&ps, &buf));
    buf_is("BODY.PEEK[");
    init("]");
    ck_assert(!imap_parse_atom(&ps, &buf));
    failed_untouched();
    ck_assert_str_eq(ps.error, "expected an atom");
    init("");
    ck_assert(!imap_parse_atom(&ps, &buf));
    /* the value replaces what the buffer held */
    mc_buf_reset(&buf);
    mc_buf_append_str(&buf, "longer old value");
    init("x");
    ck_assert(imap_parse_atom(&ps, &buf));
    buf_is("x");
}
END_TEST

/* ---- strings ---- */

START_TEST(test_quoted)
{
    bool binary = true;
    init("\"a\\\"b\\\\c\" rest");
    ck_assert(imap_parse_string(&ps, &buf, &binary));
    buf_is("a\"b\\c");
    ck_assert(!binary);
    rest_is(" rest");
    init("\"\"");
    ck_assert(imap_parse_string(&ps, &buf, NULL));
    buf_is("");
    ck_assert_ptr_nonnull(buf.data);
    ck_assert(imap_parse_at_end(&ps));
    init("\"Entw\xc3\xbcrfe \xf0\x9f\x98\x80\""); /* UTF-8 (RFC 9051 QUOTED-CHAR) */
    ck_assert(imap_parse_string(&ps, &buf, NULL));
    buf_is("Entw\xc3\xbcrfe \xf0\x9f\x98\x80");
    init("\"(){%*]\"");
    ck_assert(imap_parse_string(&ps, &buf, NULL));
    buf_is("(){%*]");
}
END_TEST

START_TEST(test_quoted_errors)
{
    const char *bad[] = {
        "\"abc",        /* unterminated */
        "\"abc\\\"",    /* the escaped quote does not close */
        "\"a\\b\"",     /* only \\ and \" */
        "\"a\\",        /* escape at the end */
        "\"a\rb\"",     /* CR */
        "\"a\nb\"",     /* LF */
        "\"\xe4\"",     /* Latin-1, not UTF-8 */
        "\"\xc0\xaf\"", /* overlong */
        "abc",          /* not a string at all */
        "",             /* nothing */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        mc_buf_reset(&buf);
        mc_buf_append_str(&buf, "old");
        bool binary = true;
        ck_assert_msg(!imap_parse_string(&ps, &buf, &binary), "accepted %s", bad[i]);
        failed_untouched();
        buf_is("old");
        ck_assert(binary); /* untouched */
    }
    init_n("\"a\0b\"", 5); /* NUL */
    ck_assert(!imap_parse_string(&ps, &buf, NULL));
    failed_untouched();
    init("\"abc");
    ck_assert(!imap_parse_string(&ps, &buf, NULL));
    ck_assert_str_eq(ps.error, "unterminated quoted string");
}
END_TEST

START_TEST(test_literal)
{
    bool binary = true;
    init("{5}\r\nhello rest");
    ck_assert(imap_parse_string(&ps, &buf, &binary));
    buf_is("hello");
    ck_assert(!binary);
    rest_is(" rest");
    init("{5+}\r\nhello"); /* LITERAL+, at the very end */
    ck_assert(imap_parse_string(&ps, &buf, &binary));
    buf_is("hello");
    ck_assert(imap_parse_at_end(&ps));
    init("{0}\r\n");
    ck_assert(imap_parse_string(&ps, &buf, NULL));
    buf_is("");
    ck_assert(imap_parse_at_end(&ps));
    init("{7}\r\na\r\nb\"\xff\\ x"); /* anything but NUL, CRLF included */
    ck_assert(imap_parse_string(&ps, &buf, NULL));
    buf_is("a\r\nb\"\xff\\");
    rest_is(" x");
    init("{03}\r\nabc"); /* a number may have leading zeros */
    ck_assert(imap_parse_string(&ps, &buf, NULL));
    buf_is("abc");
}
END_TEST

START_TEST(test_literal8)
{
    bool binary = false;
    init_n("~{3}\r\na\0b)", 10);
    ck_assert(imap_parse_string(&ps, &buf, &binary));
    ck_assert(binary);
    ck_assert_uint_eq(buf.len, 3);
    ck_assert_mem_eq(buf.data, "a\0b", 3);
    rest_is(")");
    binary = false;
    init("~{2+}\r\nhi");
    ck_assert(imap_parse_string(&ps, &buf, &binary));
    ck_assert(binary);
    buf_is("hi");
    init("~{2}\r\nhi");
    ck_assert(imap_parse_string(&ps, &buf, NULL)); /* binary may be NULL */
    init("~x");
    ck_assert(!imap_parse_string(&ps, &buf, NULL));
    failed_untouched();
}
END_TEST

START_TEST(test_literal_errors)
{
    const char *bad[] = {
        "{10}\r\nhello",              /* announces more than the command holds */
        "{6}\r\nhello",               /* one octet short */
        "{1}\r\n",                    /* at the end, nothing follows */
        "{4294967296}\r\nx",          /* beyond number */
        "{99999999999999999999}\r\n", /* far beyond */
        "{4294967295}\r\nx",          /* fits in a number, not in the command */
        "{5}hello",                   /* no CRLF */
        "{5}\nhello",                 /* LF alone */
        "{5}\r",                      /* CR at the end */
        "{5} \r\nhello",
        "{}\r\n",
        "{-1}\r\n",
        "{+}\r\n",
        "{5++}\r\nhello",
        "{5",
        "{",
        "~{5}\r\nhell",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        mc_buf_reset(&buf);
        mc_buf_append_str(&buf, "old");
        ck_assert_msg(!imap_parse_string(&ps, &buf, NULL), "accepted %s", bad[i]);
        failed_untouched();
        buf_is("old");
    }
    init("{10}\r\nhello");
    ck_assert(!imap_parse_string(&ps, &buf, NULL));
    ck_assert_str_eq(ps.error, "literal announces more octets than the command holds");
    init("{4294967296}\r\nx");
    ck_assert(!imap_parse_string(&ps, &buf, NULL));
    ck_assert_str_eq(ps.error, "literal size too large");
    init_n("{3}\r\na\0b", 8); /* NUL only in literal8 */
    ck_assert(!imap_parse_string(&ps, &buf, NULL));
    failed_untouched();
}
END_TEST

START_TEST(test_astring)
{
    init("INBOX rest");
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("INBOX");
    rest_is(" rest");
    init("a]b)");
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("a]b");
    rest_is(")");
    init("\"my box\"");
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("my box");
    init("\"\"");
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("");
    init("{4}\r\nuser pass");
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("user");
    rest_is(" pass");
    init("~x");
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("~x");
    const char *bad[] = {"~{4}\r\nuser", "(a", "*", "%", "", " a", "\"a", "{9}\r\nuser"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        ck_assert_msg(!imap_parse_astring(&ps, &buf), "accepted %s", bad[i]);
        failed_untouched();
    }
    init("~{4}\r\nuser");
    ck_assert(!imap_parse_astring(&ps, &buf));
    ck_assert_str_eq(ps.error, "literal8 is not allowed here");
}
END_TEST

START_TEST(test_list_mailbox)
{
    init("INBOX.% rest");
    ck_assert(imap_parse_list_mailbox(&ps, &buf));
    buf_is("INBOX.%");
    rest_is(" rest");
    init("*");
    ck_assert(imap_parse_list_mailbox(&ps, &buf));
    buf_is("*");
    init("a]*%/b(");
    ck_assert(imap_parse_list_mailbox(&ps, &buf));
    buf_is("a]*%/b");
    init("\"\"");
    ck_assert(imap_parse_list_mailbox(&ps, &buf));
    buf_is("");
    init("{3}\r\n% *");
    ck_assert(imap_parse_list_mailbox(&ps, &buf));
    buf_is("% *");
    const char *bad[] = {"(", "", "~{1}\r\n*", "\\x", "{1}\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        ck_assert_msg(!imap_parse_list_mailbox(&ps, &buf), "accepted %s", bad[i]);
        failed_untouched();
    }
}
END_TEST

/* ---- numbers ---- */

START_TEST(test_number)
{
    uint32_t n = 7;
    init("0");
    ck_assert(imap_parse_number(&ps, &n));
    ck_assert_uint_eq(n, 0);
    init("4294967295 x");
    ck_assert(imap_parse_number(&ps, &n));
    ck_assert_uint_eq(n, 4294967295u);
    rest_is(" x");
    init("007");
    ck_assert(imap_parse_number(&ps, &n));
    ck_assert_uint_eq(n, 7);
    init("12abc");
    ck_assert(imap_parse_number(&ps, &n));
    ck_assert_uint_eq(n, 12);
    rest_is("abc");
    const char *bad[] = {
        "4294967296", "42949672950", "99999999999999999999999", "", "-1", "+1", " 1", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        n = 99;
        ck_assert_msg(!imap_parse_number(&ps, &n), "accepted %s", bad[i]);
        failed_untouched();
        ck_assert_uint_eq(n, 99);
    }
    init("4294967296");
    ck_assert(!imap_parse_number(&ps, &n));
    ck_assert_str_eq(ps.error, "number too large");
}
END_TEST

START_TEST(test_nz_number)
{
    uint32_t n = 0;
    init("1");
    ck_assert(imap_parse_nz_number(&ps, &n));
    ck_assert_uint_eq(n, 1);
    init("4294967295");
    ck_assert(imap_parse_nz_number(&ps, &n));
    ck_assert_uint_eq(n, 4294967295u);
    const char *bad[] = {"0", "01", "00", "4294967296", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        ck_assert_msg(!imap_parse_nz_number(&ps, &n), "accepted %s", bad[i]);
        failed_untouched();
    }
}
END_TEST

START_TEST(test_number64)
{
    uint64_t n = 0;
    init("9223372036854775807");
    ck_assert(imap_parse_number64(&ps, &n));
    ck_assert(n == 9223372036854775807u);
    init("0");
    ck_assert(imap_parse_number64(&ps, &n));
    ck_assert(n == 0);
    init("4294967296");
    ck_assert(imap_parse_number64(&ps, &n));
    ck_assert(n == 4294967296u);
    const char *bad[] = {"9223372036854775808", "18446744073709551615", "18446744073709551616",
                         "123456789012345678901234567890", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        n = 5;
        ck_assert_msg(!imap_parse_number64(&ps, &n), "accepted %s", bad[i]);
        failed_untouched();
        ck_assert(n == 5);
    }
}
END_TEST

/* ---- sequence sets ---- */

static struct imap_seqset parse_set(const char *s)
{
    struct imap_seqset set = {0};
    init(s);
    ck_assert_msg(imap_parse_seqset(&ps, &set), "refused %s: %s", s, ps.error);
    return set;
}

START_TEST(test_seqset_star)
{
    struct imap_seqset set = parse_set("1:*");
    ck_assert_uint_eq(set.count, 1);
    ck_assert_uint_eq(set.ranges[0].lo, 1);
    ck_assert_uint_eq(set.ranges[0].hi, IMAP_STAR); /* kept symbolic */
    for (uint32_t n = 1; n <= 10; n++)
        ck_assert(imap_seqset_contains(&set, n, 10));
    ck_assert(!imap_seqset_contains(&set, 11, 10));
    ck_assert(!imap_seqset_contains(&set, 0, 10));
    ck_assert_uint_eq(imap_seqset_max(&set, 10), 10);
    ck_assert_uint_eq(imap_seqset_max(&set, 0), 0); /* empty mailbox */
    ck_assert(!imap_seqset_contains(&set, 1, 0));
    imap_seqset_free(&set);

    set = parse_set("*:4"); /* "*" is 3: means just 3 */
    ck_assert(imap_seqset_contains(&set, 3, 3));
    ck_assert(!imap_seqset_contains(&set, 4, 3));
    ck_assert(!imap_seqset_contains(&set, 2, 3));
    ck_assert_uint_eq(imap_seqset_max(&set, 3), 3);
    /* when "*" is 10, "*:4" is 4:10 */
    ck_assert(imap_seqset_contains(&set, 4, 10));
    ck_assert(imap_seqset_contains(&set, 10, 10));
    ck_assert(!imap_seqset_contains(&set, 3, 10));
    imap_seqset_free(&set);

    set = parse_set("559:*"); /* RFC 3501 9: always includes the last UID */
    ck_assert(imap_seqset_contains(&set, 100, 100));
    ck_assert(!imap_seqset_contains(&set, 99, 100));
    ck_assert(!imap_seqset_contains(&set, 559, 100));
    ck_assert_uint_eq(imap_seqset_max(&set, 100), 100);
    imap_seqset_free(&set);

    set = parse_set("*");
    ck_assert(imap_seqset_contains(&set, 7, 7));
    ck_assert(!imap_seqset_contains(&set, 6, 7));
    ck_assert_uint_eq(imap_seqset_max(&set, 7), 7);
    ck_assert_uint_eq(imap_seqset_max(&set, 0), 0);
    imap_seqset_free(&set);

    set = parse_set("*:*");
    ck_assert(imap_seqset_contains(&set, 5, 5));
    ck_assert(!imap_seqset_contains(&set, 4, 5));
    imap_seqset_free(&set);
}
END_TEST

START_TEST(test_seqset_ranges)
{
    struct imap_seqset set = parse_set("5:3");
    ck_assert_uint_eq(set.ranges[0].lo, 5); /* as written */
    ck_assert_uint_eq(set.ranges[0].hi, 3);
    ck_assert(!imap_seqset_contains(&set, 2, 10));
    ck_assert(imap_seqset_contains(&set, 3, 10));
    ck_assert(imap_seqset_contains(&set, 4, 10));
    ck_assert(imap_seqset_contains(&set, 5, 10));
    ck_assert(!imap_seqset_contains(&set, 6, 10));
    ck_assert_uint_eq(imap_seqset_max(&set, 10), 5);
    ck_assert_uint_eq(imap_seqset_max(&set, 2), 5); /* beyond the mailbox: the caller says NO */
    imap_seqset_free(&set);

    set = parse_set("1,3:4,7,10:* rest");
    rest_is(" rest");
    ck_assert_uint_eq(set.count, 4);
    const bool want[] = {false, true, false, true,  true, false,
                         false, true, false, false, true, true};
    for (uint32_t n = 0; n < sizeof want / sizeof want[0]; n++)
        ck_assert_msg(imap_seqset_contains(&set, n, 11) == want[n], "%u", (unsigned)n);
    ck_assert_uint_eq(imap_seqset_max(&set, 11), 11);
    ck_assert_uint_eq(imap_seqset_max(&set, 8), 8); /* 10:* is just 8 */
    imap_seqset_free(&set);

    set = parse_set("4294967294:4294967295"); /* the largest nz-number is not "*" */
    ck_assert_uint_eq(set.ranges[0].hi, 4294967294u);
    ck_assert(!imap_seqset_contains(&set, 10, 10));
    ck_assert(imap_seqset_contains(&set, 4294967294u, 10));
    imap_seqset_free(&set);

    set = parse_set("1:4294967295");
    ck_assert(imap_seqset_contains(&set, 10, 10));
    ck_assert(imap_seqset_contains(&set, 1, 10));
    imap_seqset_free(&set);
}
END_TEST

/* Resolved sets are ascending, merged and free of "*", for walking beside a mailbox. */
START_TEST(test_seqset_resolve)
{
    struct imap_seqset set = {0}, r = {0};
    init("5:3,*,1,2,7,9:8");
    ck_assert(imap_parse_seqset(&ps, &set));
    imap_seqset_resolve(&set, 10, &r);
    ck_assert_uint_eq(r.count, 2); /* 1,2,3:5 and 7,8:9,10 are adjacent runs */
    ck_assert_uint_eq(r.ranges[0].lo, 1);
    ck_assert_uint_eq(r.ranges[0].hi, 5);
    ck_assert_uint_eq(r.ranges[1].lo, 7);
    ck_assert_uint_eq(r.ranges[1].hi, 10);
    init("4,6:*");
    ck_assert(imap_parse_seqset(&ps, &set));
    imap_seqset_resolve(&set, 3, &r); /* "6:*" with "*" = 3 is just 3, next to 4 */
    ck_assert_uint_eq(r.count, 1);
    ck_assert_uint_eq(r.ranges[0].lo, 3);
    ck_assert_uint_eq(r.ranges[0].hi, 4);
    imap_seqset_resolve(&set, 0, &r); /* an empty mailbox: "*" names nothing */
    ck_assert_uint_eq(r.count, 1);
    imap_seqset_free(&r);
    imap_seqset_free(&set);
}
END_TEST

START_TEST(test_seqset_errors)
{
    const char *bad[] = {"$,1",        "1,$",          "$:3",  "0",  "0:3", "1:0", "01",
                         "4294967296", "1:4294967296", "1:",   "1,", ",1",  ":1",  "1::2",
                         "",           "-1",           "1,,2", " 1", "a",   "1:$"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct imap_seqset set = {0};
        imap_seqset_add(&set, 42, 42);
        init(bad[i]);
        ck_assert_msg(!imap_parse_seqset(&ps, &set), "accepted %s", bad[i]);
        failed_untouched();
        ck_assert_uint_eq(set.count, 1); /* untouched */
        ck_assert_uint_eq(set.ranges[0].lo, 42);
        imap_seqset_free(&set);
    }
    struct imap_seqset set = {0};
    init("1,$");
    ck_assert(!imap_parse_seqset(&ps, &set));
    ck_assert_str_eq(ps.error, "\"$\" stands alone: it cannot be combined with numbers "
                               "(RFC 5182 2.1)");
    init("$");
    ck_assert(imap_parse_seqset(&ps, &set));
    ck_assert(set.saved);
    ck_assert_uint_eq(set.count, 0);
    init("4294967296");
    ck_assert(!imap_parse_seqset(&ps, &set));
    ck_assert_str_eq(ps.error, "number too large");
    ck_assert_uint_eq(set.count, 0);
    imap_seqset_free(&set);
}
END_TEST

START_TEST(test_seqset_replaces_and_limit)
{
    struct imap_seqset set = {0};
    imap_seqset_add(&set, 1, 2);
    imap_seqset_add(&set, 3, 4);
    init("9");
    ck_assert(imap_parse_seqset(&ps, &set));
    ck_assert_uint_eq(set.count, 1);
    ck_assert_uint_eq(set.ranges[0].lo, 9);
    imap_seqset_free(&set);
    ck_assert_ptr_null(set.ranges);
    ck_assert_uint_eq(set.count, 0);

    /* IMAP_SEQSET_RANGES_MAX ranges pass, one more does not */
    struct mc_buf s = {0};
    for (size_t i = 0; i < IMAP_SEQSET_RANGES_MAX; i++)
        mc_buf_append_str(&s, i ? ",1" : "1");
    init_n(s.data, s.len);
    ck_assert(imap_parse_seqset(&ps, &set));
    ck_assert_uint_eq(set.count, IMAP_SEQSET_RANGES_MAX);
    ck_assert(imap_parse_at_end(&ps));
    mc_buf_append_str(&s, ",1");
    init_n(s.data, s.len);
    ck_assert(!imap_parse_seqset(&ps, &set));
    failed_untouched();
    ck_assert_str_eq(ps.error, "too many ranges in a sequence set");
    ck_assert_uint_eq(set.count, IMAP_SEQSET_RANGES_MAX);
    imap_seqset_free(&set);
    mc_buf_free(&s);
}
END_TEST

START_TEST(test_seqset_add_direct)
{
    struct imap_seqset set = {0};
    ck_assert(!imap_seqset_contains(&set, 1, 10));
    ck_assert_uint_eq(imap_seqset_max(&set, 10), 0);
    for (uint32_t i = 1; i <= 100; i++)
        imap_seqset_add(&set, 2 * i, 2 * i);
    ck_assert_uint_eq(set.count, 100);
    ck_assert(imap_seqset_contains(&set, 200, 0));
    ck_assert(!imap_seqset_contains(&set, 199, 0));
    ck_assert_uint_eq(imap_seqset_max(&set, 0), 200);
    imap_seqset_add(&set, IMAP_STAR, 1);
    ck_assert_uint_eq(imap_seqset_max(&set, 500), 500);
    imap_seqset_free(&set);
    imap_seqset_free(&set); /* twice is harmless */
}
END_TEST

/* ---- flags ---- */

START_TEST(test_flags_system)
{
    unsigned flags = 0xdead;
    struct mc_strv kw = {0};
    init("(\\Seen \\answered \\FLAGGED \\Deleted \\dRaFt) x");
    ck_assert(imap_parse_flags(&ps, false, &flags, &kw));
    ck_assert_uint_eq(flags, MS_FLAG_ALL);
    ck_assert_uint_eq(kw.count, 0);
    rest_is(" x");
    init("()");
    ck_assert(imap_parse_flags(&ps, false, &flags, &kw));
    ck_assert_uint_eq(flags, 0); /* replaced */
    init("(\\Seen \\Seen)");
    ck_assert(imap_parse_flags(&ps, false, &flags, &kw));
    ck_assert_uint_eq(flags, MS_FLAG_SEEN);
    mc_strv_free(&kw);
}
END_TEST

START_TEST(test_flags_keywords)
{
    unsigned flags = 0;
    struct mc_strv kw = {0};
    mc_strv_push_str(&kw, "Existing");
    init("(\\Flagged foo $MDNSent FOO existing Bar)");
    ck_assert(imap_parse_flags(&ps, false, &flags, &kw));
    ck_assert_uint_eq(flags, MS_FLAG_FLAGGED);
    ck_assert_uint_eq(kw.count, 4); /* case-insensitive: one spelling each, the first */
    ck_assert_str_eq(kw.items[0].ptr, "Existing");
    ck_assert_str_eq(kw.items[1].ptr, "foo");
    ck_assert_str_eq(kw.items[2].ptr, "$MDNSent");
    ck_assert_str_eq(kw.items[3].ptr, "Bar");
    mc_strv_free(&kw);
}
END_TEST

START_TEST(test_flags_bare)
{
    unsigned flags = 0;
    struct mc_strv kw = {0};
    init("\\Seen kw \\Deleted");
    ck_assert(imap_parse_flags(&ps, true, &flags, &kw));
    ck_assert_uint_eq(flags, MS_FLAG_SEEN | MS_FLAG_DELETED);
    ck_assert_uint_eq(kw.count, 1);
    ck_assert(imap_parse_at_end(&ps));
    init("(\\Draft)"); /* the list form is still fine */
    ck_assert(imap_parse_flags(&ps, true, &flags, &kw));
    ck_assert_uint_eq(flags, MS_FLAG_DRAFT);
    init("\\Seen");
    ck_assert(!imap_parse_flags(&ps, false, &flags, &kw));
    failed_untouched();
    ck_assert_str_eq(ps.error, "expected a flag list");
    init("\\Seen "); /* a trailing space */
    ck_assert(!imap_parse_flags(&ps, true, &flags, &kw));
    failed_untouched();
    init("");
    ck_assert(!imap_parse_flags(&ps, true, &flags, &kw));
    failed_untouched();
    mc_strv_free(&kw);
}
END_TEST

START_TEST(test_flags_errors)
{
    const char *bad[] = {"(\\Recent)",   "(\\Seen \\Recent)",
                         "(\\recent)",   "(\\*)",
                         "(\\Foo)",      "(\\)",
                         "(\\Seen",      "(\\Seen )",
                         "( \\Seen)",    "(\\Seen  kw)",
                         "(kw",          "(a]b)",
                         "(\"quoted\")", "((\\Seen))",
                         "(kw new",      "(\\Seen\\Draft)",
                         "(\\SeenX)",    "(\\Sen)",
                         "(x\xc3\xa4)",  ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned flags = 77;
        struct mc_strv kw = {0};
        mc_strv_push_str(&kw, "old");
        init(bad[i]);
        ck_assert_msg(!imap_parse_flags(&ps, false, &flags, &kw), "accepted %s", bad[i]);
        failed_untouched();
        ck_assert_uint_eq(flags, 77);
        ck_assert_uint_eq(kw.count, 1);
        mc_strv_free(&kw);
    }
    unsigned flags = 0;
    struct mc_strv kw = {0};
    init("(kw \\Recent)");
    ck_assert(!imap_parse_flags(&ps, false, &flags, &kw));
    ck_assert_str_eq(ps.error, "\\Recent cannot be set");
    ck_assert_uint_eq(kw.count, 0); /* kw was not kept */
    init("\\Recent");
    ck_assert(!imap_parse_flags(&ps, true, &flags, &kw));
    ck_assert_str_eq(ps.error, "\\Recent cannot be set");
    mc_strv_free(&kw);
}
END_TEST

/* ---- dates ---- */

START_TEST(test_date)
{
    time_t t = 0;
    init("1-Feb-1994 rest");
    ck_assert(imap_parse_date(&ps, &t));
    ck_assert_int_eq((long long)t, 760060800LL);
    rest_is(" rest");
    init("\"01-feb-1994\"");
    ck_assert(imap_parse_date(&ps, &t));
    ck_assert_int_eq((long long)t, 760060800LL);
    ck_assert(imap_parse_at_end(&ps));
    init("29-FEB-2000");
    ck_assert(imap_parse_date(&ps, &t));
    ck_assert_int_eq((long long)t, 951782400LL);
    init("1-Jan-1970");
    ck_assert(imap_parse_date(&ps, &t));
    ck_assert_int_eq((long long)t, 0);
    init("31-Dec-1969");
    ck_assert(imap_parse_date(&ps, &t));
    ck_assert_int_eq((long long)t, -86400LL);
    const char *bad[] = {"29-Feb-1900",     "31-Apr-2020",  "0-Jan-2020", "32-Jan-2020",
                         "1-Foo-2020",      "1-Feb-94",     "1-Feb-199",  "\"1-Feb-1994",
                         "1 Feb 1994",      "001-Feb-1994", "1-Feb-",     "-Feb-1994",
                         "1-February-1994", " 1-Feb-1994"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        init(bad[i]);
        t = 42;
        ck_assert_msg(!imap_parse_date(&ps, &t), "accepted %s", bad[i]);
        failed_untouched();
        ck_assert_int_eq((long long)t, 42);
    }
}
END_TEST

START_TEST(test_date_time)
{
    time_t t = 0;
    init("\"17-Jul-1996 02:44:25 -0700\" x");
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert_int_eq((long long)t, 837596665LL); /* 09:44:25 UTC */
    rest_is(" x");
    init("\" 5-Jan-2020 10:00:00 +0100\""); /* date-day-fixed: SP DIGIT */
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert_int_eq((long long)t, 1578214800LL);
    init("\"05-jan-2020 10:00:00 +0530\"");
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert_int_eq((long long)t, 1578198600LL);
    init("\"01-Jan-1970 00:00:00 +0000\"");
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert_int_eq((long long)t, 0);
    init("\"01-Jan-1970 00:00:00 +0100\""); /* before the epoch */
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert_int_eq((long long)t, -3600LL);
    init("\"31-Dec-1969 23:00:00 -0100\"");
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert_int_eq((long long)t, 0);
    init("\"31-Dec-9999 23:59:59 +0000\"");
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert_int_eq((long long)t, 253402300799LL);
}
END_TEST

START_TEST(test_date_time_errors)
{
    const char *bad[] = {
        "17-Jul-1996 02:44:25 -0700",    /* not quoted */
        "\"17-Jul-1996 02:44:25 -0700",  /* not closed */
        "\"5-Jan-2020 10:00:00 +0100\"", /* one digit without its space */
        "\"  5-Jan-2020 10:00:00 +0100\"",
        "\"17-Jul-1996 02:44:25\"",       /* no zone */
        "\"17-Jul-1996 02:44:25 0700\"",  /* no sign */
        "\"17-Jul-1996 02:44:25 +07\"",   /* short zone */
        "\"17-Jul-1996 02:44:25 +0760\"", /* zone minutes */
        "\"17-Jul-1996 24:00:00 +0000\"",
        "\"17-Jul-1996 02:60:00 +0000\"",
        "\"17-Jul-1996 2:44:25 +0000\"",
        "\"17-Jul-1996 02:44 +0000\"",
        "\"17-Jul-1996  02:44:25 +0000\"",
        "\"31-Jun-1996 02:44:25 +0000\"",
        "\"17-Jul-96 02:44:25 +0000\"",
        "\"17-Jly-1996 02:44:25 +0000\"",
        "\"17-Jul-1996 02:44:25 +0000 \"",
        "\"\"",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t t = 42;
        init(bad[i]);
        ck_assert_msg(!imap_parse_date_time(&ps, &t), "accepted %s", bad[i]);
        failed_untouched();
        ck_assert_int_eq((long long)t, 42);
    }
}
END_TEST

/* ---- whole commands ---- */

START_TEST(test_command_login_literal)
{
    init("A1 LOGIN {4}\r\nuser pass");
    ck_assert(imap_parse_tag(&ps, &buf));
    buf_is("A1");
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_atom(&ps, &buf));
    buf_is("LOGIN");
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("user");
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("pass");
    ck_assert(imap_parse_at_end(&ps));
    ck_assert_ptr_null(ps.error);
}
END_TEST

START_TEST(test_command_append)
{
    unsigned flags = 0;
    struct mc_strv kw = {0};
    time_t t = 0;
    bool binary = true;
    init("A2 APPEND INBOX (\\Seen $Junk) \" 5-Jan-2020 10:00:00 +0100\" {5+}\r\nhello");
    ck_assert(imap_parse_tag(&ps, &buf));
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_atom(&ps, &buf));
    buf_is("APPEND");
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("INBOX");
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_peek_char(&ps, '('));
    ck_assert(imap_parse_flags(&ps, false, &flags, &kw));
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_peek_char(&ps, '"'));
    ck_assert(imap_parse_date_time(&ps, &t));
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_string(&ps, &buf, &binary));
    buf_is("hello");
    ck_assert(!binary);
    ck_assert(imap_parse_at_end(&ps));
    ck_assert_uint_eq(flags, MS_FLAG_SEEN);
    ck_assert_str_eq(kw.items[0].ptr, "$Junk");
    ck_assert_int_eq((long long)t, 1578214800LL);
    mc_strv_free(&kw);
}
END_TEST

START_TEST(test_command_literal_then_more)
{
    /* two literals, the second one at the very end */
    init("A3 RENAME {3}\r\nold {3+}\r\nnew");
    ck_assert(imap_parse_tag(&ps, &buf));
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_atom(&ps, &buf));
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("old");
    ck_assert(imap_parse_sp(&ps));
    ck_assert(imap_parse_astring(&ps, &buf));
    buf_is("new");
    ck_assert(imap_parse_at_end(&ps));
    /* the second literal lies about its size: fails where it starts */
    init("A3 RENAME {3}\r\nold {4}\r\nnew");
    ps.p += 10;
    ck_assert(imap_parse_astring(&ps, &buf));
    ck_assert(imap_parse_sp(&ps));
    const char *at = ps.p;
    ck_assert(!imap_parse_astring(&ps, &buf));
    ck_assert_ptr_eq(ps.p, at);
    buf_is("old");
}
END_TEST

/* ---- writing ---- */

static void written(const char *want)
{
    buf_is(want);
    mc_buf_reset(&buf);
}

START_TEST(test_write_string)
{
    imap_write_string(&buf, "hello", 5, false);
    written("\"hello\"");
    imap_write_string(&buf, "", 0, false);
    written("\"\"");
    imap_write_string(&buf, "a\"b\\c", 5, false);
    written("\"a\\\"b\\\\c\"");
    imap_write_string(&buf, "a\rb", 3, false);
    written("{3}\r\na\rb");
    imap_write_string(&buf, "a\nb", 3, true);
    written("{3}\r\na\nb");
    imap_write_string(&buf, "a\0b", 3, true);
    written("{2}\r\nab"); /* NUL: a literal without it (RFC 9051 4.3: no string holds NUL) */
}
END_TEST

START_TEST(test_write_string_8bit_and_long)
{
    imap_write_string(&buf, "\xc3\xa4", 2, false);
    written("{2}\r\n\xc3\xa4");
    imap_write_string(&buf, "\xc3\xa4", 2, true);
    written("\"\xc3\xa4\"");
    imap_write_string(&buf, "\xe4", 1, true); /* not UTF-8: never quoted */
    written("{1}\r\n\xe4");
    char big[1025];
    memset(big, 'x', sizeof big);
    imap_write_string(&buf, big, 1024, false);
    ck_assert_uint_eq(buf.len, 1026);
    ck_assert_int_eq(buf.data[0], '"');
    mc_buf_reset(&buf);
    imap_write_string(&buf, big, 1025, false);
    ck_assert_uint_eq(buf.len, strlen("{1025}\r\n") + 1025);
    ck_assert_mem_eq(buf.data, "{1025}\r\nxxx", 11);
    mc_buf_reset(&buf);
    mc_buf_append_str(&buf, "pre "); /* appended */
    imap_write_string(&buf, "x", 1, false);
    written("pre \"x\"");
}
END_TEST

START_TEST(test_write_nstring_astring)
{
    imap_write_nstring(&buf, NULL, 0, false);
    written("NIL");
    imap_write_nstring(&buf, "", 0, false);
    written("\"\"");
    imap_write_nstring(&buf, "NIL", 3, false);
    written("\"NIL\"");
    imap_write_astring(&buf, "INBOX", 5, false);
    written("INBOX");
    imap_write_astring(&buf, "a]b", 3, false);
    written("a]b");
    imap_write_astring(&buf, "a b", 3, false);
    written("\"a b\"");
    imap_write_astring(&buf, "", 0, false);
    written("\"\"");
    imap_write_astring(&buf, "a%", 2, false);
    written("\"a%\"");
    imap_write_astring(&buf, "{", 1, false);
    written("\"{\"");
    imap_write_astring(&buf, "\xc3\xa4", 2, true);
    written("\"\xc3\xa4\"");
    imap_write_astring(&buf, "a\r\n", 3, false);
    written("{3}\r\na\r\n");
}
END_TEST

START_TEST(test_write_flags)
{
    struct mc_strv kw = {0};
    imap_write_flags(&buf, 0, NULL, false);
    written("()");
    imap_write_flags(&buf, 0, &kw, true);
    written("(\\Recent)");
    imap_write_flags(&buf, MS_FLAG_FLAGGED | MS_FLAG_SEEN, NULL, false);
    written("(\\Seen \\Flagged)");
    mc_strv_push_str(&kw, "kw1");
    mc_strv_push_str(&kw, "$Junk");
    imap_write_flags(&buf, MS_FLAG_ALL, &kw, true);
    written("(\\Recent \\Seen \\Answered \\Flagged \\Deleted \\Draft kw1 $Junk)");
    imap_write_flags(&buf, 0, &kw, false);
    written("(kw1 $Junk)");
    mc_strv_free(&kw);
    /* what is written parses back */
    mc_strv_push_str(&kw, "kw1");
    imap_write_flags(&buf, MS_FLAG_DELETED | MS_FLAG_DRAFT, &kw, false);
    struct mc_strv back = {0};
    unsigned flags = 0;
    init_n(buf.data, buf.len);
    ck_assert(imap_parse_flags(&ps, false, &flags, &back));
    ck_assert_uint_eq(flags, MS_FLAG_DELETED | MS_FLAG_DRAFT);
    ck_assert_str_eq(back.items[0].ptr, "kw1");
    mc_strv_free(&back);
    mc_strv_free(&kw);
}
END_TEST

START_TEST(test_write_date_time)
{
    imap_write_date_time(&buf, 837571465);
    written("\"17-Jul-1996 02:44:25 +0000\"");
    imap_write_date_time(&buf, 0);
    written("\"01-Jan-1970 00:00:00 +0000\"");
    imap_write_date_time(&buf, 1578214800);
    written("\"05-Jan-2020 09:00:00 +0000\"");
    imap_write_date_time(&buf, -1);
    written("\"31-Dec-1969 23:59:59 +0000\"");
    const time_t samples[] = {0, 1, 951782400, 1700000000, 4102444800, -86400};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        imap_write_date_time(&buf, samples[i]);
        time_t back = 0;
        init_n(buf.data, buf.len);
        ck_assert(imap_parse_date_time(&ps, &back));
        ck_assert(imap_parse_at_end(&ps));
        ck_assert_int_eq((long long)back, (long long)samples[i]);
        mc_buf_reset(&buf);
    }
}
END_TEST

START_TEST(test_write_numbers)
{
    const uint32_t a[] = {7, 1, 3, 2, 2, 9, 10};
    imap_write_numbers(&buf, a, 7);
    written("1:3,7,9:10");
    const uint32_t b[] = {5};
    imap_write_numbers(&buf, b, 1);
    written("5");
    imap_write_numbers(&buf, NULL, 0);
    written("");
    const uint32_t c[] = {3, 3, 3};
    imap_write_numbers(&buf, c, 3);
    written("3");
    const uint32_t d[] = {4294967295u, 4294967294u, 4294967295u, 1};
    imap_write_numbers(&buf, d, 4);
    written("1,4294967294:4294967295");
    const uint32_t e[] = {10, 8, 6, 4};
    imap_write_numbers(&buf, e, 4);
    written("4,6,8,10");
    ck_assert_uint_eq(a[0], 7); /* the input is left alone */
    /* what is written parses back to the same set */
    const uint32_t f[] = {20, 1, 2, 3, 11, 12};
    imap_write_numbers(&buf, f, 6);
    struct imap_seqset set = {0};
    init_n(buf.data, buf.len);
    ck_assert(imap_parse_seqset(&ps, &set));
    for (uint32_t n = 0; n <= 21; n++) {
        bool in = n == 20 || (n >= 1 && n <= 3) || n == 11 || n == 12;
        ck_assert(imap_seqset_contains(&set, n, 21) == in);
    }
    imap_seqset_free(&set);
}
END_TEST

static Suite *imap_parse_suite(void)
{
    Suite *s = suite_create("imap_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_init_and_end);
    tcase_add_test(tc, test_first_error_kept);
    tcase_add_test(tc, test_sp_and_char);
    tcase_add_test(tc, test_tag);
    tcase_add_test(tc, test_tag_length);
    tcase_add_test(tc, test_atom);
    tcase_add_test(tc, test_quoted);
    tcase_add_test(tc, test_quoted_errors);
    tcase_add_test(tc, test_literal);
    tcase_add_test(tc, test_literal8);
    tcase_add_test(tc, test_literal_errors);
    tcase_add_test(tc, test_astring);
    tcase_add_test(tc, test_list_mailbox);
    tcase_add_test(tc, test_number);
    tcase_add_test(tc, test_nz_number);
    tcase_add_test(tc, test_number64);
    tcase_add_test(tc, test_seqset_star);
    tcase_add_test(tc, test_seqset_ranges);
    tcase_add_test(tc, test_seqset_resolve);
    tcase_add_test(tc, test_seqset_errors);
    tcase_add_test(tc, test_seqset_replaces_and_limit);
    tcase_add_test(tc, test_seqset_add_direct);
    tcase_add_test(tc, test_flags_system);
    tcase_add_test(tc, test_flags_keywords);
    tcase_add_test(tc, test_flags_bare);
    tcase_add_test(tc, test_flags_errors);
    tcase_add_test(tc, test_date);
    tcase_add_test(tc, test_date_time);
    tcase_add_test(tc, test_date_time_errors);
    tcase_add_test(tc, test_command_login_literal);
    tcase_add_test(tc, test_command_append);
    tcase_add_test(tc, test_command_literal_then_more);
    suite_add_tcase(s, tc);
    TCase *wr = tcase_create("write");
    tcase_add_checked_fixture(wr, setup, teardown);
    tcase_add_test(wr, test_write_string);
    tcase_add_test(wr, test_write_string_8bit_and_long);
    tcase_add_test(wr, test_write_nstring_astring);
    tcase_add_test(wr, test_write_flags);
    tcase_add_test(wr, test_write_date_time);
    tcase_add_test(wr, test_write_numbers);
    suite_add_tcase(s, wr);
    return s;
}

int main(void)
{
    return mc_check_run(imap_parse_suite());
}
