/*
 * test_base64 — base64 (harness/lib/base64.c): the RFC 4648 section 10 test vectors, binary
 * data longer than one slice, and the strictness of decoding (what is not base64 is refused
 * and leaves the output as it was).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "support_check.h"

static void assert_b64(const char *raw, const char *text)
{
    struct mc_buf out = {0};
    mc_base64_encode(raw, strlen(raw), &out);
    ck_assert_str_eq(out.data ? out.data : "", text);
    mc_buf_reset(&out);
    ck_assert_int_eq(mc_base64_decode(text, strlen(text), &out), (int)strlen(raw));
    ck_assert_mem_eq(out.data ? out.data : "", raw, strlen(raw));
    mc_buf_free(&out);
}

START_TEST(base64_rfc4648_vectors)
{
    /* RFC 4648 section 10 */
    assert_b64("", "");
    assert_b64("f", "Zg==");
    assert_b64("fo", "Zm8=");
    assert_b64("foo", "Zm9v");
    assert_b64("foob", "Zm9vYg==");
    assert_b64("fooba", "Zm9vYmE=");
    assert_b64("foobar", "Zm9vYmFy");
}
END_TEST

START_TEST(base64_alphabet_ends)
{
    /* The last two characters of the alphabet (RFC 4648 Table 1), not the URL-safe ones. */
    const unsigned char raw[] = {0xfb, 0xff, 0xbf};
    struct mc_buf text = {0}, back = {0};
    mc_base64_encode(raw, sizeof raw, &text);
    ck_assert_str_eq(text.data, "+/+/");
    ck_assert_int_eq(mc_base64_decode(text.data, text.len, &back), 3);
    ck_assert_mem_eq(back.data, raw, sizeof raw);
    mc_buf_free(&text);
    mc_buf_free(&back);
}
END_TEST

START_TEST(base64_binary_round_trip)
{
    /* Longer than one encode/decode slice, every byte value, every padding length. */
    for (size_t len = 9997; len < 10000; len++) {
        unsigned char *raw = malloc(len);
        for (size_t i = 0; i < len; i++)
            raw[i] = (unsigned char)(i * 7 + len);
        struct mc_buf text = {0}, back = {0};
        mc_base64_encode(raw, len, &text);
        ck_assert_uint_eq(text.len, (len + 2) / 3 * 4);
        mc_buf_append_str(&back, "prefix");
        ck_assert_int_eq(mc_base64_decode(text.data, text.len, &back), (int)len);
        ck_assert_uint_eq(back.len, 6 + len);
        ck_assert_mem_eq(back.data + 6, raw, len);
        free(raw);
        mc_buf_free(&text);
        mc_buf_free(&back);
    }
}
END_TEST

START_TEST(base64_invalid_input)
{
    const char *bad[] = {"Zg=",   "Zg",       "Z===",     "Zg==Zg==", "Y=E=",     " Zm9v",
                         "Zm9v ", "Zm9v\r\n", "Zm9v!A==", "====",     "Zm9v-_==", "="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mc_buf out = {0};
        mc_buf_append_str(&out, "kept");
        ck_assert_msg(mc_base64_decode(bad[i], strlen(bad[i]), &out) == -1, "accepted \"%s\"",
                      bad[i]);
        ck_assert_str_eq(out.data, "kept");
        mc_buf_free(&out);
    }
    /* Non-zero pad bits still decode (RFC 4648 section 3.5 leaves that to the decoder). */
    struct mc_buf pad = {0};
    ck_assert_int_eq(mc_base64_decode("Zh==", 4, &pad), 1);
    ck_assert_int_eq(pad.data[0], 'f');
    mc_buf_free(&pad);
    /* An embedded NUL is not base64 either. */
    struct mc_buf out = {0};
    ck_assert_int_eq(mc_base64_decode("Zm\0v", 4, &out), -1);
    mc_buf_free(&out);
}
END_TEST

START_TEST(base64_invalid_after_first_slice)
{
    /* A bad character far into a long text: nothing of the good part before it is kept. */
    struct mc_buf text = {0}, out = {0};
    for (int i = 0; i < 3000; i++)
        mc_buf_append_str(&text, "Zm9v");
    text.data[10001] = '*';
    mc_buf_append_str(&out, "kept");
    ck_assert_int_eq(mc_base64_decode(text.data, text.len, &out), -1);
    ck_assert_str_eq(out.data, "kept");
    ck_assert_uint_eq(out.len, 4);
    mc_buf_free(&text);
    mc_buf_free(&out);
}
END_TEST

static Suite *base64_suite(void)
{
    Suite *s = suite_create("base64");
    TCase *tc = tcase_create("rfc4648");
    tcase_add_test(tc, base64_rfc4648_vectors);
    tcase_add_test(tc, base64_alphabet_ends);
    tcase_add_test(tc, base64_binary_round_trip);
    tcase_add_test(tc, base64_invalid_input);
    tcase_add_test(tc, base64_invalid_after_first_slice);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(base64_suite());
}
