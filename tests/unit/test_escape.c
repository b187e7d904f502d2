/*
 * test_escape — unit tests of harness/lib/escape.c: peer bytes shown to people keep every
 * byte, unprintable and ill-formed ones as \xHH, and read back unambiguously.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "support_check.h"

/* The escaped form of a string literal, every octet of it (NULs included). */
#define ESCAPED(lit, flags, want) assert_escaped(lit, sizeof lit - 1, flags, want)

static void assert_escaped(const char *in, size_t len, unsigned flags, const char *want)
{
    char *got = mc_escape_dup(in, len, flags);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_printable_ascii_unchanged)
{
    ESCAPED("250 2.0.0 Ok: queued as 4F2", 0, "250 2.0.0 Ok: queued as 4F2");
    ESCAPED("", 0, "");
    ck_assert_ptr_null(mc_escape_dup(NULL, 0, 0));
}
END_TEST

START_TEST(test_nul_and_what_follows_it)
{
    ESCAPED("-ERR no\0such", MC_ESCAPE_KEEP_UTF8, "-ERR no\\x00such");
    ESCAPED("\0", 0, "\\x00");
}
END_TEST

START_TEST(test_controls_and_del)
{
    ESCAPED("a\tb\rc\x1b[0m\x7f", MC_ESCAPE_KEEP_UTF8, "a\\x09b\\x0dc\\x1b[0m\\x7f");
}
END_TEST

START_TEST(test_backslash_doubled_so_escapes_are_unambiguous)
{
    /* a server that sends the four characters \x00 is told apart from one that sends NUL */
    ESCAPED("\\x00", 0, "\\\\x00");
    ESCAPED("* FLAGS (\\Seen)", 0, "* FLAGS (\\\\Seen)");
}
END_TEST

START_TEST(test_utf8_kept_when_asked)
{
    static const char text[] = "250 Gr\u00fc\u00dfe \u2713"; /* UTF-8 in C11 string literals */
    ESCAPED(text, MC_ESCAPE_KEEP_UTF8, text);
    ESCAPED("Gr\xc3\xbc", 0, "Gr\\xc3\\xbc");
}
END_TEST

START_TEST(test_ill_formed_utf8_escaped)
{
    /* Latin-1 e-acute, a lone continuation octet, an overlong NUL, a cut sequence */
    ESCAPED("caf\xe9", MC_ESCAPE_KEEP_UTF8, "caf\\xe9");
    ESCAPED("\x80", MC_ESCAPE_KEEP_UTF8, "\\x80");
    ESCAPED("\xc0\x80", MC_ESCAPE_KEEP_UTF8, "\\xc0\\x80");
    ESCAPED("\xe2\x9c", MC_ESCAPE_KEEP_UTF8, "\\xe2\\x9c");
}
END_TEST

START_TEST(test_c1_controls_escaped)
{
    /* U+0085 (NEL) is well-formed UTF-8 but as invisible as a C0 control */
    ESCAPED("a\xc2\x85"
            "b",
            MC_ESCAPE_KEEP_UTF8, "a\\xc2\\x85b");
    ESCAPED("\xc2\xa0", MC_ESCAPE_KEEP_UTF8, "\xc2\xa0"); /* U+00A0 is printable */
}
END_TEST

START_TEST(test_quote)
{
    ESCAPED("say \"hi\"", MC_ESCAPE_QUOTE, "say \\\"hi\\\"");
    ESCAPED("say \"hi\"", 0, "say \"hi\"");
}
END_TEST

static Suite *escape_suite(void)
{
    Suite *s = suite_create("escape");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, test_printable_ascii_unchanged);
    tcase_add_test(tc, test_nul_and_what_follows_it);
    tcase_add_test(tc, test_controls_and_del);
    tcase_add_test(tc, test_backslash_doubled_so_escapes_are_unambiguous);
    tcase_add_test(tc, test_utf8_kept_when_asked);
    tcase_add_test(tc, test_ill_formed_utf8_escaped);
    tcase_add_test(tc, test_c1_controls_escaped);
    tcase_add_test(tc, test_quote);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(escape_suite());
}
