/*
 * test_message — the generated RFC 5322 test messages (harness/lib/message.c).
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/message.h"
#include "support_check.h"

static struct mc_message_params base_params(void)
{
    struct mc_message_params p = {
        .from = "mailconform@localhost",
        .to = "mc01@localhost",
        .subject = "mailconform run-42 message 1",
        .body = NULL,
        .body_lines = 0,
        .message_id = NULL,
        .date = 1700000000, /* Tue, 14 Nov 2023 22:13:20 UTC */
    };
    return p;
}

static char *generate(const struct mc_message_params *p)
{
    struct mc_buf out = {0};
    mc_message_generate(p, &out);
    return mc_buf_steal(&out);
}

/* Every line ends in CRLF, no bare CR or LF, and the message ends with CRLF. */
static void assert_crlf_only(const char *m)
{
    size_t n = strlen(m);
    ck_assert_uint_ge(n, 2);
    ck_assert(m[n - 2] == '\r' && m[n - 1] == '\n');
    for (size_t i = 0; i < n; i++) {
        if (m[i] == '\r')
            ck_assert_msg(m[i + 1] == '\n', "bare CR at offset %zu", i);
        if (m[i] == '\n')
            ck_assert_msg(i > 0 && m[i - 1] == '\r', "bare LF at offset %zu", i);
    }
}

static const char *body_of(const char *m)
{
    const char *sep = strstr(m, "\r\n\r\n");
    ck_assert_ptr_nonnull(sep);
    return sep + 4;
}

/* The header value of `name` (first line only), copied into `value`. */
static bool header_value(const char *m, const char *name, char *value, size_t size)
{
    size_t n = strlen(name);
    for (const char *line = m; *line && !(line[0] == '\r' && line[1] == '\n');) {
        const char *eol = strstr(line, "\r\n");
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1 + (line[n + 1] == ' ');
            snprintf(value, size, "%.*s", (int)(eol - v), v);
            return true;
        }
        line = eol + 2;
    }
    return false;
}

START_TEST(headers)
{
    struct mc_message_params p = base_params();
    char *m = generate(&p);
    const char *expected = "From: mailconform@localhost\r\n"
                           "To: mc01@localhost\r\n"
                           "Subject: mailconform run-42 message 1\r\n"
                           "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                           "Message-ID: <";
    ck_assert(strncmp(m, expected, strlen(expected)) == 0);
    ck_assert_ptr_nonnull(strstr(m, "\r\nMIME-Version: 1.0\r\n"));
    ck_assert_ptr_nonnull(strstr(m, "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"));
    assert_crlf_only(m);
    free(m);
}
END_TEST

START_TEST(date_format)
{
    struct mc_message_params p = base_params();
    char value[128];
    const struct {
        long long date;
        const char *text;
    } cases[] = {
        {0, "Thu, 01 Jan 1970 00:00:00 +0000"},
        {951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
        {1700000000, "Tue, 14 Nov 2023 22:13:20 +0000"},
        {-5, "Thu, 01 Jan 1970 00:00:00 +0000"},                /* clamped */
        {999999999999999LL, "Fri, 31 Dec 9999 23:59:59 +0000"}, /* clamped */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p.date = cases[i].date;
        char *m = generate(&p);
        ck_assert(header_value(m, "Date", value, sizeof value));
        ck_assert_str_eq(value, cases[i].text);
        free(m);
    }
}
END_TEST

START_TEST(message_id_given_or_derived)
{
    struct mc_message_params p = base_params();
    char id1[128], id2[128], id3[128];

    char *m = generate(&p);
    ck_assert(header_value(m, "Message-ID", id1, sizeof id1));
    free(m);
    ck_assert_uint_eq(strlen(id1), 1 + 16 + strlen("@mailconform.invalid>"));
    ck_assert(id1[0] == '<');
    ck_assert_uint_eq(strspn(id1 + 1, "0123456789abcdef"), 16);
    ck_assert_str_eq(id1 + 17, "@mailconform.invalid>");

    m = generate(&p); /* deterministic */
    ck_assert(header_value(m, "Message-ID", id2, sizeof id2));
    free(m);
    ck_assert_str_eq(id1, id2);

    p.subject = "mailconform run-42 message 2";
    m = generate(&p);
    ck_assert(header_value(m, "Message-ID", id3, sizeof id3));
    free(m);
    ck_assert_str_ne(id1, id3);

    p = base_params();
    p.date++;
    m = generate(&p);
    ck_assert(header_value(m, "Message-ID", id3, sizeof id3));
    free(m);
    ck_assert_str_ne(id1, id3);

    p.message_id = "<run-42.1@mailconform.invalid>";
    m = generate(&p);
    ck_assert(header_value(m, "Message-ID", id3, sizeof id3));
    free(m);
    ck_assert_str_eq(id3, "<run-42.1@mailconform.invalid>");
}
END_TEST

START_TEST(generated_body)
{
    struct mc_message_params p = base_params();
    p.body_lines = 35;
    char *m = generate(&p);
    char *again = generate(&p);
    ck_assert_str_eq(m, again); /* byte-identical between runs */
    free(again);
    assert_crlf_only(m);
    const char *line = body_of(m);
    int count = 0;
    while (*line) {
        const char *eol = strstr(line, "\r\n");
        ck_assert_ptr_nonnull(eol);
        size_t len = (size_t)(eol - line);
        count++;
        ck_assert_msg(len <= 78, "line %d has %zu characters", count, len);
        ck_assert_uint_gt(len, 0);
        /* Lines 5, 15, 25, ... start with a dot; the others do not. */
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%sLine %04d ", count % 10 == 5 ? "." : "", count);
        ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0, "line %d is \"%.*s\"", count,
                      (int)len, line);
        line = eol + 2;
    }
    ck_assert_int_eq(count, 35);
    ck_assert(strncmp(body_of(m), "Line 0001 of the mailconform test message: the quick", 52) == 0);
    ck_assert_ptr_nonnull(strstr(m, "\r\n.Line 0005 starts with a dot"));
    free(m);
}
END_TEST

START_TEST(generated_lines_stay_short_with_wide_numbers)
{
    struct mc_message_params p = base_params();
    p.body_lines = 10001;
    char *m = generate(&p);
    for (const char *line = body_of(m); *line;) {
        const char *eol = strstr(line, "\r\n");
        ck_assert_uint_le((size_t)(eol - line), 78);
        line = eol + 2;
    }
    ck_assert_ptr_nonnull(strstr(m, "\r\nLine 10001 of the mailconform test message: "));
    ck_assert_ptr_nonnull(strstr(m, "\r\n.Line 9995 starts with a dot"));
    free(m);
}
END_TEST

START_TEST(empty_body)
{
    struct mc_message_params p = base_params();
    p.body_lines = 0;
    char *m = generate(&p);
    ck_assert_str_eq(body_of(m), "");
    assert_crlf_only(m);
    free(m);

    p.body_lines = -3; /* treated as none */
    m = generate(&p);
    ck_assert_str_eq(body_of(m), "");
    free(m);

    p.body = "";
    m = generate(&p);
    ck_assert_str_eq(body_of(m), "");
    free(m);
}
END_TEST

START_TEST(explicit_body_normalised)
{
    struct mc_message_params p = base_params();
    const struct {
        const char *body;
        const char *expected;
    } cases[] = {
        {"a\nb\r\nc", "a\r\nb\r\nc\r\n"},
        {"x\n", "x\r\n"},
        {"x\r\n", "x\r\n"},
        {"a\rb", "a\r\nb\r\n"},
        {"\n\n", "\r\n\r\n"},
        {".\n..leading dots kept\n", ".\r\n..leading dots kept\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p.body = cases[i].body;
        p.body_lines = 7; /* ignored when body is given */
        char *m = generate(&p);
        ck_assert_str_eq(body_of(m), cases[i].expected);
        assert_crlf_only(m);
        free(m);
    }
}
END_TEST

START_TEST(long_subject_folded)
{
    struct mc_message_params p = base_params();
    char subject[400] = "";
    for (int i = 0; i < 30; i++)
        snprintf(subject + strlen(subject), sizeof subject - strlen(subject), "%sword%02d",
                 i ? " " : "", i);
    p.subject = subject;
    char *m = generate(&p);
    assert_crlf_only(m);
    /* Every header line within 78 characters, and unfolding gives the subject back. */
    const char *start = strstr(m, "Subject: ");
    ck_assert_ptr_nonnull(start);
    const char *end = strstr(m, "\r\nDate: ");
    ck_assert_ptr_nonnull(end);
    char unfolded[512] = "";
    size_t n = 0;
    for (const char *c = start + strlen("Subject: "); c < end; c++) {
        if (c[0] == '\r' && c[1] == '\n') {
            ck_assert(c[2] == ' ' || c[2] == '\t');
            c++;
            continue;
        }
        unfolded[n++] = *c;
    }
    unfolded[n] = '\0';
    ck_assert_str_eq(unfolded, subject);
    for (const char *line = m; line < end;) {
        const char *eol = strstr(line, "\r\n");
        ck_assert_uint_le((size_t)(eol - line), 78);
        line = eol + 2;
    }
    free(m);
}
END_TEST

START_TEST(folded_lines_never_exceed_78)
{
    /* Words of every length from 1 to 12 put the possible fold points everywhere. */
    for (int width = 1; width <= 12; width++) {
        char subject[600] = "";
        while (strlen(subject) + (size_t)width + 1 < 500) {
            size_t at = strlen(subject);
            if (at)
                subject[at++] = ' ';
            memset(subject + at, 'a' + width, (size_t)width);
            subject[at + (size_t)width] = '\0';
        }
        struct mc_message_params p = base_params();
        p.subject = subject;
        char *m = generate(&p);
        const char *end = strstr(m, "\r\n\r\n");
        for (const char *line = m; line < end;) {
            const char *eol = strstr(line, "\r\n");
            ck_assert_msg(eol - line <= 78, "width %d: %d characters", width, (int)(eol - line));
            line = eol + 2;
        }
        free(m);
    }
}
END_TEST

START_TEST(header_injection_neutralised)
{
    struct mc_message_params p = base_params();
    p.subject = "hello\r\nBcc: victim@example.org\r\n\r\nbody";
    char *m = generate(&p);
    assert_crlf_only(m);
    ck_assert_ptr_null(strstr(m, "\r\nBcc:"));
    char value[128];
    ck_assert(header_value(m, "Subject", value, sizeof value));
    ck_assert_str_eq(value, "hello  Bcc: victim@example.org    body");
    free(m);
}
END_TEST

START_TEST(null_addresses_defaulted)
{
    struct mc_message_params p = base_params();
    p.from = NULL;
    p.to = NULL;
    p.subject = NULL;
    char *m = generate(&p);
    ck_assert(strncmp(m,
                      "From: mailconform@localhost\r\nTo: undisclosed-recipients:;\r\n"
                      "Subject:\r\n",
                      strlen("From: mailconform@localhost\r\nTo: undisclosed-recipients:;\r\n"
                             "Subject:\r\n")) == 0);
    free(m);
}
END_TEST

static Suite *message_suite(void)
{
    Suite *s = suite_create("message");
    TCase *tc = tcase_create("generate");
    tcase_add_test(tc, headers);
    tcase_add_test(tc, date_format);
    tcase_add_test(tc, message_id_given_or_derived);
    tcase_add_test(tc, generated_body);
    tcase_add_test(tc, generated_lines_stay_short_with_wide_numbers);
    tcase_add_test(tc, empty_body);
    tcase_add_test(tc, explicit_body_normalised);
    tcase_add_test(tc, long_subject_folded);
    tcase_add_test(tc, folded_lines_never_exceed_78);
    tcase_add_test(tc, header_injection_neutralised);
    tcase_add_test(tc, null_addresses_defaulted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(message_suite());
}
