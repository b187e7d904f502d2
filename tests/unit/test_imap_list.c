/*
 * test_imap_list — the LIST/LSUB pattern matcher of the reference IMAP server
 * (imap_list_match): literal octets, "%" stopping at the hierarchy separator, "*" crossing it,
 * runs of wildcards (collapsed before matching: a run with "*" is "*", else "%"), patterns
 * longer than any name, and that the worst patterns a client may send are matched quickly.
 * The command-level behaviour (limits, SUBSCRIBED, the empty pattern) needs a session and is
 * checked against a running server.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reference/imap_int.h"
#include "support_check.h"

#define MATCH(p, n) ck_assert_msg(imap_list_match(p, n), "\"%s\" should match \"%s\"", p, n)
#define NO_MATCH(p, n) ck_assert_msg(!imap_list_match(p, n), "\"%s\" should not match \"%s\"", p, n)

START_TEST(test_literal)
{
    MATCH("INBOX", "INBOX");
    MATCH("a/b", "a/b");
    MATCH("", "");
    NO_MATCH("", "a");
    NO_MATCH("a", "");
    NO_MATCH("a/b", "a/bc");
    NO_MATCH("a/bc", "a/b");
    NO_MATCH("A", "a"); /* names are case-sensitive (INBOX is folded before matching) */
}
END_TEST

START_TEST(test_percent)
{
    MATCH("%", "");
    MATCH("%", "abc");
    NO_MATCH("%", "a/b");
    MATCH("a/%", "a/b");
    MATCH("a/%", "a/");
    NO_MATCH("a/%", "a/b/c");
    MATCH("%/%", "a/b");
    MATCH("a%c", "abbbc");
    NO_MATCH("a%c", "ab/bc");
    MATCH("%/b", "xyz/b");
    NO_MATCH("%/b", "x/y/b");
    /* RFC 3501 6.3.8: "foo%" matches foo and foo/-less names below it, not "foo/bar" */
    MATCH("foo%", "foo");
    MATCH("foo%", "foobar");
    NO_MATCH("foo%", "foo/bar");
}
END_TEST

START_TEST(test_star)
{
    MATCH("*", "");
    MATCH("*", "a/b/c");
    MATCH("a*", "a/b/c");
    MATCH("*c", "a/b/c");
    MATCH("a/*/c", "a/b/x/c");
    NO_MATCH("a/*/c", "a/c");
    MATCH("*/b", "a/b");
    NO_MATCH("*x", "a/b/c");
    MATCH("a*b*c", "a/b/c");
    MATCH("a*b*c", "abc");
    NO_MATCH("a*b*c", "acb");
}
END_TEST

START_TEST(test_runs)
{
    /* "%%" and "%" match alike; a run holding a "*" matches like "*" */
    MATCH("%%%", "abc");
    NO_MATCH("%%%", "a/b");
    MATCH("a%%/%%b", "ax/yb");
    NO_MATCH("a%%b", "a/b");
    MATCH("%*%", "a/b/c");
    MATCH("a%*b", "a/x/b");
    MATCH("a*%b", "a/x/b");
    MATCH("*%*%*", "");
    /* a pattern longer than the name still matches when its length is wildcards */
    char many[2100];
    memset(many, '*', 2000);
    many[2000] = '\0';
    MATCH(many, "a/b/c");
    memset(many, '%', 2000);
    MATCH(many, "abc");
    NO_MATCH(many, "a/b");
    strcpy(many + 2000, "/x");
    MATCH(many, "a/x");
    NO_MATCH(many, "a/b/x");
}
END_TEST

START_TEST(test_more_octets_than_the_name)
{
    NO_MATCH("abcd", "abc");
    NO_MATCH("%a%b%c%d%", "abc");
    NO_MATCH("*/*/*", "a/b");
    MATCH("*/*/*", "a/b/c");
}
END_TEST

START_TEST(test_multibyte)
{
    /* UTF-8 octets are literals like any other; "%" spans them */
    MATCH("Entw\xc3\xbc%", "Entw\xc3\xbcrfe");
    MATCH("%\xc3\xbc%", "Entw\xc3\xbcrfe");
    NO_MATCH("%\xc3\xbd%", "Entw\xc3\xbcrfe");
}
END_TEST

/* The review's worst case, one pattern at a time: 1024 octets of "%" ending in a literal that no
   name holds, against a name of MS_MAILBOX_NAME_MAX octets; and an alternating pattern whose
   rows stay dense. Without collapsing, a whole LIST of 64 such patterns took tens of seconds. */
START_TEST(test_long_patterns_are_cheap)
{
    char pattern[1025], name[MS_MAILBOX_NAME_MAX + 1];
    memset(pattern, '%', 1023);
    pattern[1023] = 'Q';
    pattern[1024] = '\0';
    memset(name, 'a', MS_MAILBOX_NAME_MAX);
    name[MS_MAILBOX_NAME_MAX] = '\0';
    clock_t start = clock();
    for (int i = 0; i < 64 * 100; i++)
        NO_MATCH(pattern, name);
    /* "%a" x (MS_MAILBOX_NAME_MAX - 1), then "Q": as many literals as the name has octets */
    size_t n = 2 * (MS_MAILBOX_NAME_MAX - 1);
    for (size_t i = 0; i < n; i += 2)
        pattern[i] = '%', pattern[i + 1] = 'a';
    pattern[n] = 'Q';
    pattern[n + 1] = '\0';
    for (int i = 0; i < 100; i++)
        NO_MATCH(pattern, name);
    pattern[n] = '%';
    MATCH(pattern, name);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    ck_assert_msg(seconds < 5, "matching took %.2f s", seconds);
}
END_TEST

static Suite *imap_list_suite(void)
{
    Suite *s = suite_create("imap_list");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, test_literal);
    tcase_add_test(tc, test_percent);
    tcase_add_test(tc, test_star);
    tcase_add_test(tc, test_runs);
    tcase_add_test(tc, test_more_octets_than_the_name);
    tcase_add_test(tc, test_multibyte);
    tcase_add_test(tc, test_long_patterns_are_cheap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(imap_list_suite());
}
