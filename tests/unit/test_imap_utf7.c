/*
 * test_imap_utf7 — mailbox names on the wire: modified UTF-7 both ways (RFC 3501 5.1.3, with
 * its examples), the strict refusal of every non-canonical spelling, surrogate pairs, and the
 * UTF-8 validation used for IMAP4rev2 / UTF8=ACCEPT names.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "reference/imap_utf7.h"
#include "support_check.h"

/* mutf7 decodes to utf8 and utf8 encodes back to exactly mutf7. */
static void round_trip(const char *mutf7, const char *utf8)
{
    struct mc_buf b = {0};
    ck_assert_msg(imap_mutf7_to_utf8(mutf7, strlen(mutf7), &b), "refused %s", mutf7);
    ck_assert_uint_eq(b.len, strlen(utf8));
    ck_assert_mem_eq(b.data, utf8, b.len);
    mc_buf_reset(&b);
    imap_utf8_to_mutf7(utf8, strlen(utf8), &b);
    ck_assert_str_eq(b.data, mutf7);
    mc_buf_free(&b);
}

/* Refused, and out keeps what it held. */
static void refused_n(const char *mutf7, size_t len)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "kept");
    ck_assert_msg(!imap_mutf7_to_utf8(mutf7, len, &b), "accepted %s", mutf7);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(b.data, "kept");
    mc_buf_free(&b);
}

static void refused(const char *mutf7)
{
    refused_n(mutf7, strlen(mutf7));
}

START_TEST(test_ascii_and_ampersand)
{
    round_trip("INBOX", "INBOX");
    round_trip("", "");
    round_trip("&-", "&");
    round_trip("a&-b&-&-", "a&b&&");
    round_trip("Tom &- Jerry", "Tom & Jerry");
    /* every printable character other than "&" stands for itself */
    round_trip(" !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
               " !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~");
}
END_TEST

START_TEST(test_rfc3501_examples)
{
    round_trip("Entw&APw-rfe", "Entw\xc3\xbcrfe");
    round_trip("&U,BTFw-", "\xe5\x8f\xb0\xe5\x8c\x97");
    round_trip("~peter/mail/&U,BTFw-/&ZeVnLIqe-",
               "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
}
END_TEST

START_TEST(test_runs)
{
    round_trip("&AOQA9g-", "\xc3\xa4\xc3\xb6"); /* two characters, one run */
    round_trip("&AOQ-&-", "\xc3\xa4&");         /* a run then an ampersand */
    round_trip("&-&AOQ-", "&\xc3\xa4");         /* an ampersand then a run */
    round_trip("a&AOQ-b&APw-c", "a\xc3\xa4"
                                "b\xc3\xbc"
                                "c");
    round_trip("&AAk-", "\t"); /* controls are encoded */
    round_trip("&AH8-", "\x7f");
    round_trip("x&AAkACg-y", "x\t\ny");
}
END_TEST

START_TEST(test_surrogate_pairs)
{
    round_trip("&2D3eAA-", "\xf0\x9f\x98\x80");           /* U+1F600 */
    round_trip("&2D3eAADk-", "\xf0\x9f\x98\x80\xc3\xa4"); /* emoji then a-umlaut */
    round_trip("&2,,f,w-", "\xf4\x8f\xbf\xbf");           /* U+10FFFF */
    round_trip("mail/&2D3eAA-/x", "mail/\xf0\x9f\x98\x80/x");
    refused("&2D0-");    /* a lone high surrogate */
    refused("&3gA-");    /* a lone low surrogate */
    refused("&2D0A5A-"); /* a high surrogate followed by U+00E4 */
    refused("&2D3eAA");  /* unterminated */
}
END_TEST

START_TEST(test_non_canonical_refused)
{
    refused("&AGE-");      /* "a" encoded */
    refused("&ACY-");      /* "&" encoded instead of "&-" */
    refused("&AOQ-&AOQ-"); /* two adjacent runs: canonical is &AOQA5A- */
    refused("&AOQ");       /* unterminated */
    refused("&");
    refused("INBOX&");
    refused("&AOR-");  /* bits left over are not zero */
    refused("&AOQA-"); /* a whole extra base64 character */
    refused("&AOQ/-"); /* "/" is standard base64, not modified */
    refused("&AOQ=-"); /* no padding */
    refused("&AO Q-"); /* space inside a run */
    refused("&AAA-");  /* U+0000 */
    refused("&A-");    /* six bits: no character at all */
}
END_TEST

START_TEST(test_raw_octets_refused)
{
    refused("Entw\xc3\xbcrfe"); /* 8-bit: UTF-8 is not modified UTF-7 */
    refused("\x80");
    refused("a\tb");
    refused("\x7f");
    refused("\x01");
    refused_n("a\0b", 3);
}
END_TEST

START_TEST(test_output_appended)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "pre:");
    ck_assert(imap_mutf7_to_utf8("Entw&APw-rfe", 12, &b));
    ck_assert_str_eq(b.data, "pre:Entw\xc3\xbcrfe");
    mc_buf_reset(&b);
    mc_buf_append_str(&b, "pre:");
    imap_utf8_to_mutf7("\xc3\xa4", 2, &b);
    ck_assert_str_eq(b.data, "pre:&AOQ-");
    /* a length shorter than the string: only that much is read */
    mc_buf_reset(&b);
    ck_assert(imap_mutf7_to_utf8("&-&AOQ-", 2, &b));
    ck_assert_str_eq(b.data, "&");
    ck_assert(!imap_mutf7_to_utf8("&AOQ-", 4, &b));
    ck_assert_str_eq(b.data, "&");
    mc_buf_free(&b);
}
END_TEST

START_TEST(test_encode_invalid_utf8)
{
    struct mc_buf b = {0};
    imap_utf8_to_mutf7("a\xff"
                       "b",
                       3, &b); /* U+FFFD, never raw 8-bit */
    ck_assert_str_eq(b.data, "a&,,0-b");
    mc_buf_reset(&b);
    imap_utf8_to_mutf7("\xc3", 1, &b); /* truncated */
    ck_assert_str_eq(b.data, "&,,0-");
    mc_buf_free(&b);
}
END_TEST

static bool valid(const char *s)
{
    return mc_utf8_valid(s, strlen(s));
}

START_TEST(test_utf8_valid)
{
    ck_assert(valid(""));
    ck_assert(valid("INBOX"));
    ck_assert(valid("Entw\xc3\xbcrfe"));
    ck_assert(valid("\xe5\x8f\xb0\xe5\x8c\x97"));
    ck_assert(valid("\xf0\x9f\x98\x80"));
    ck_assert(valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
    ck_assert(valid("\xed\x9f\xbf"));     /* U+D7FF, just below the surrogates */
    ck_assert(valid("\xee\x80\x80"));     /* U+E000, just above */
    ck_assert(valid("\xc2\x80"));         /* U+0080, the smallest two-octet form */
    ck_assert(valid("\xe0\xa0\x80"));     /* U+0800 */
    ck_assert(valid("\xf0\x90\x80\x80")); /* U+10000 */
    ck_assert(mc_utf8_valid("a\0b", 3));  /* U+0000 is well-formed */
}
END_TEST

START_TEST(test_utf8_invalid)
{
    /* overlong */
    ck_assert(!valid("\xc0\xaf"));
    ck_assert(!valid("\xc1\xbf"));
    ck_assert(!valid("\xe0\x80\xaf"));
    ck_assert(!valid("\xe0\x9f\xbf"));
    ck_assert(!valid("\xf0\x80\x80\xaf"));
    ck_assert(!valid("\xf0\x8f\xbf\xbf"));
    /* surrogates */
    ck_assert(!valid("\xed\xa0\x80"));
    ck_assert(!valid("\xed\xbf\xbf"));
    ck_assert(!valid("\xed\xa0\xbd\xed\xb8\x80")); /* CESU-8 of U+1F600 */
    /* beyond U+10FFFF */
    ck_assert(!valid("\xf4\x90\x80\x80"));
    ck_assert(!valid("\xf5\x80\x80\x80"));
    ck_assert(!valid("\xf8\x88\x80\x80\x80"));
    ck_assert(!valid("\xff"));
    ck_assert(!valid("\xfe"));
    /* truncated */
    ck_assert(!valid("\xc3"));
    ck_assert(!valid("\xe5\x8f"));
    ck_assert(!valid("\xf0\x9f\x98"));
    ck_assert(!valid("ab\xf0\x9f\x98"));
    ck_assert(!mc_utf8_valid("\xc3\xbc", 1)); /* cut by the length */
    /* stray or wrong continuation octets */
    ck_assert(!valid("\x80"));
    ck_assert(!valid("a\xbf"));
    ck_assert(!valid("\xc3\x28"));
    ck_assert(!valid("\xe5\x8f\x28"));
}
END_TEST

static Suite *imap_utf7_suite(void)
{
    Suite *s = suite_create("imap_utf7");
    TCase *tc = tcase_create("mutf7");
    tcase_add_test(tc, test_ascii_and_ampersand);
    tcase_add_test(tc, test_rfc3501_examples);
    tcase_add_test(tc, test_runs);
    tcase_add_test(tc, test_surrogate_pairs);
    tcase_add_test(tc, test_non_canonical_refused);
    tcase_add_test(tc, test_raw_octets_refused);
    tcase_add_test(tc, test_output_appended);
    tcase_add_test(tc, test_encode_invalid_utf8);
    suite_add_tcase(s, tc);
    TCase *u8 = tcase_create("utf8");
    tcase_add_test(u8, test_utf8_valid);
    tcase_add_test(u8, test_utf8_invalid);
    suite_add_tcase(s, u8);
    return s;
}

int main(void)
{
    return mc_check_run(imap_utf7_suite());
}
