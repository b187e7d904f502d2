/*
 * test_sasl — the SASL client mechanisms against the RFC test vectors, and the ways a server
 * can get them wrong (harness/lib/sasl.c). Base64 has its own test (test_base64.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sasl.h"
#include "support_check.h"

/* RFC 7677 section 3 */
#define S256_NONCE "rOprNGfwEbeRWgbNEkqO"
#define S256_SERVER_NONCE S256_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define S256_SERVER_FIRST "r=" S256_SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define S256_CLIENT_FINAL                                                                          \
    "c=biws,r=" S256_SERVER_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define S256_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* RFC 5802 section 5 */
#define S1_NONCE "fyko+d2lbbFgONRv9qkxdawL"
#define S1_SERVER_NONCE S1_NONCE "3rfcNHYJY1ZVvWVs7j"
#define S1_SERVER_FIRST "r=" S1_SERVER_NONCE ",s=QSXCR+Q6sek8bf92,i=4096"
#define S1_CLIENT_FINAL "c=biws,r=" S1_SERVER_NONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define S1_SERVER_FINAL "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

static enum mc_sasl_status step_str(struct mc_sasl *s, const char *challenge, struct mc_buf *out)
{
    mc_buf_reset(out);
    return mc_sasl_step(s, challenge, strlen(challenge), out);
}

static void assert_out(const struct mc_buf *out, const char *expected)
{
    ck_assert_uint_eq(out->len, strlen(expected));
    ck_assert_mem_eq(out->data, expected, out->len);
}

/* Runs a SCRAM exchange up to the client-final-message with a fixed nonce. */
static struct mc_sasl *scram_to_client_final(const char *mech, const char *nonce,
                                             const char *server_first, struct mc_buf *out)
{
    struct mc_sasl *s = mc_sasl_new(mech, "user", "pencil");
    ck_assert_ptr_nonnull(s);
    mc_sasl_set_nonce(s, nonce);
    ck_assert(mc_sasl_initial(s, out));
    ck_assert_int_eq(step_str(s, server_first, out), MC_SASL_CONTINUE);
    return s;
}

static void assert_fails_with(struct mc_sasl *s, const char *challenge, const char *needle)
{
    struct mc_buf out = {0};
    ck_assert_int_eq(step_str(s, challenge, &out), MC_SASL_FAIL);
    ck_assert_msg(strstr(mc_sasl_error(s), needle), "error \"%s\" lacks \"%s\"", mc_sasl_error(s),
                  needle);
    ck_assert(!mc_sasl_complete(s));
    /* A failed mechanism stays failed. */
    ck_assert_int_eq(step_str(s, "", &out), MC_SASL_FAIL);
    mc_buf_free(&out);
}

START_TEST(scram_sha256_rfc7677_vector)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("SCRAM-SHA-256", "user", "pencil");
    mc_sasl_set_nonce(s, S256_NONCE);
    ck_assert(mc_sasl_initial(s, &out));
    assert_out(&out, "n,,n=user,r=" S256_NONCE);
    ck_assert(!mc_sasl_initial(s, &out)); /* only once */
    ck_assert_int_eq(step_str(s, S256_SERVER_FIRST, &out), MC_SASL_CONTINUE);
    assert_out(&out, S256_CLIENT_FINAL);
    ck_assert(!mc_sasl_complete(s));
    ck_assert_int_eq(step_str(s, S256_SERVER_FINAL, &out), MC_SASL_CONTINUE);
    ck_assert_uint_eq(out.len, 0); /* the empty response to a server-final challenge */
    ck_assert(mc_sasl_complete(s));
    ck_assert_str_eq(mc_sasl_error(s), "");
    ck_assert_int_eq(step_str(s, "", &out), MC_SASL_DONE);
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(scram_sha1_rfc5802_vector)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("scram-sha-1", "user", "pencil");
    ck_assert_ptr_nonnull(s);
    mc_sasl_set_nonce(s, S1_NONCE);
    ck_assert(mc_sasl_initial(s, &out));
    assert_out(&out, "n,,n=user,r=" S1_NONCE);
    ck_assert_int_eq(step_str(s, S1_SERVER_FIRST, &out), MC_SASL_CONTINUE);
    assert_out(&out, S1_CLIENT_FINAL);
    ck_assert_int_eq(step_str(s, S1_SERVER_FINAL, &out), MC_SASL_CONTINUE);
    ck_assert_uint_eq(out.len, 0);
    ck_assert(mc_sasl_complete(s));
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(scram_without_initial_response)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("SCRAM-SHA-256", "user", "pencil");
    mc_sasl_set_nonce(s, S256_NONCE);
    ck_assert_int_eq(step_str(s, "", &out), MC_SASL_CONTINUE); /* RFC 4422 5 (2a) */
    assert_out(&out, "n,,n=user,r=" S256_NONCE);
    ck_assert_int_eq(step_str(s, S256_SERVER_FIRST, &out), MC_SASL_CONTINUE);
    assert_out(&out, S256_CLIENT_FINAL);
    mc_sasl_free(s);

    s = mc_sasl_new("SCRAM-SHA-256", "user", "pencil");
    assert_fails_with(s, "r=abc,s=QSXCR+Q6sek8bf92,i=4096", "first challenge must be empty");
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(scram_server_final_extensions_allowed)
{
    struct mc_buf out = {0};
    struct mc_sasl *s =
        scram_to_client_final("SCRAM-SHA-256", S256_NONCE, S256_SERVER_FIRST ",x=ext", &out);
    /* The extension is part of AuthMessage, so the RFC signature no longer applies: only the
       parse is checked here. */
    const char *head = "c=biws,r=" S256_SERVER_NONCE ",p=";
    ck_assert(strncmp(out.data, head, strlen(head)) == 0);
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(scram_wrong_server_signature)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = scram_to_client_final("SCRAM-SHA-256", S256_NONCE, S256_SERVER_FIRST, &out);
    /* First character changed: same length, different bytes. (Changing the last one before
       "=" would only touch pad bits, which decode to the same signature.) */
    assert_fails_with(s, "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", "RFC 5802");
    mc_sasl_free(s);

    s = scram_to_client_final("SCRAM-SHA-1", S1_NONCE, S1_SERVER_FIRST, &out);
    assert_fails_with(s, S256_SERVER_FINAL, "server signature"); /* wrong length */
    mc_sasl_free(s);

    s = scram_to_client_final("SCRAM-SHA-1", S1_NONCE, S1_SERVER_FIRST, &out);
    assert_fails_with(s, "v=not base64!", "server signature");
    mc_sasl_free(s);

    s = scram_to_client_final("SCRAM-SHA-1", S1_NONCE, S1_SERVER_FIRST, &out);
    assert_fails_with(s, "x=1", "RFC 5802 section 7");
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(scram_server_error)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = scram_to_client_final("SCRAM-SHA-256", S256_NONCE, S256_SERVER_FIRST, &out);
    assert_fails_with(s, "e=invalid-proof", "\"invalid-proof\"");
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(scram_nonce_not_prefixed)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("SCRAM-SHA-256", "user", "pencil");
    mc_sasl_set_nonce(s, S256_NONCE);
    ck_assert(mc_sasl_initial(s, &out));
    assert_fails_with(s, "r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=QQ==,i=4096",
                      "client nonce");
    mc_sasl_free(s);

    /* The server must add its own part (RFC 5802 5.1). */
    s = mc_sasl_new("SCRAM-SHA-256", "user", "pencil");
    mc_sasl_set_nonce(s, S256_NONCE);
    ck_assert(mc_sasl_initial(s, &out));
    assert_fails_with(s, "r=" S256_NONCE ",s=QQ==,i=4096", "client nonce");
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

static void assert_server_first_fails(const char *server_first, const char *needle)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("SCRAM-SHA-256", "user", "pencil");
    mc_sasl_set_nonce(s, S256_NONCE);
    ck_assert(mc_sasl_initial(s, &out));
    assert_fails_with(s, server_first, needle);
    mc_sasl_free(s);
    mc_buf_free(&out);
}

START_TEST(scram_iteration_count_bounded)
{
    const char *prefix = "r=" S256_SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=";
    const char *bad[] = {
        "1000001", "4294967296", "99999999999999999999", "0", "-1", "+4096", "4096x", "", "04096"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "%s%s", prefix, bad[i]);
        assert_server_first_fails(text, "iteration count");
    }
}
END_TEST

START_TEST(scram_server_first_malformed)
{
    assert_server_first_fails("m=ext,r=" S256_SERVER_NONCE ",s=QQ==,i=4096", "m=");
    assert_server_first_fails("s=QQ==,r=" S256_SERVER_NONCE ",i=4096", "\"r=\"");
    assert_server_first_fails("r=" S256_SERVER_NONCE ",i=4096,s=QQ==", "\"s=\"");
    assert_server_first_fails("r=" S256_SERVER_NONCE ",s=QQ==", "\"i=\"");
    assert_server_first_fails("r=" S256_SERVER_NONCE ",s=,i=4096", "salt");
    assert_server_first_fails("r=" S256_SERVER_NONCE ",s=QQ=,i=4096", "salt");
    assert_server_first_fails("r=" S256_SERVER_NONCE ",s=QQ==,i=4096,", "ends with");
    assert_server_first_fails("r=" S256_SERVER_NONCE ",s=QQ==,i=4096,garbage", "extension");
    assert_server_first_fails("r=" S256_NONCE "ab cd,s=QQ==,i=4096", "printable");
}
END_TEST

START_TEST(scram_username_escaped_and_random_nonce)
{
    struct mc_buf a = {0}, b = {0};
    struct mc_sasl *s1 = mc_sasl_new("SCRAM-SHA-1", "a=b,c", "x");
    struct mc_sasl *s2 = mc_sasl_new("SCRAM-SHA-1", "a=b,c", "x");
    ck_assert(mc_sasl_initial(s1, &a));
    ck_assert(mc_sasl_initial(s2, &b));
    const char *head = "n,,n=a=3Db=2Cc,r=";
    ck_assert(strncmp(a.data, head, strlen(head)) == 0);
    const char *nonce = a.data + strlen(head);
    ck_assert_uint_eq(strlen(nonce), 32); /* base64 of 24 random bytes */
    ck_assert(strchr(nonce, ',') == NULL);
    ck_assert_str_ne(a.data, b.data);
    mc_sasl_free(s1);
    mc_sasl_free(s2);

    s1 = mc_sasl_new("SCRAM-SHA-1", "user", "x");
    mc_sasl_set_nonce(s1, "bad,nonce");
    ck_assert_int_eq(step_str(s1, "", &a), MC_SASL_FAIL);
    ck_assert(strstr(mc_sasl_error(s1), "nonce"));
    mc_sasl_free(s1);
    mc_buf_free(&a);
    mc_buf_free(&b);
}
END_TEST

START_TEST(scram_success_without_signature_is_incomplete)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = scram_to_client_final("SCRAM-SHA-256", S256_NONCE, S256_SERVER_FIRST, &out);
    /* The server said OK without "v=": the caller asks, and must fail the step. */
    ck_assert(!mc_sasl_complete(s));
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(cram_md5_rfc2195_example)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("CRAM-MD5", "tim", "tanstaaftanstaaf");
    ck_assert(!mc_sasl_initial(s, &out));
    ck_assert(!mc_sasl_complete(s));
    ck_assert_int_eq(step_str(s, "<1896.697170952@postoffice.reston.mci.net>", &out),
                     MC_SASL_CONTINUE);
    assert_out(&out, "tim b913a602c7eda7a495b4e6e7334d3890");
    ck_assert(mc_sasl_complete(s));
    ck_assert_int_eq(step_str(s, "", &out), MC_SASL_DONE);
    assert_fails_with(s, "<again@example>", "after the exchange was complete");
    mc_sasl_free(s);

    s = mc_sasl_new("CRAM-MD5", "tim", "tanstaaftanstaaf");
    assert_fails_with(s, "", "RFC 2195");
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(plain_bytes)
{
    static const char expected[] = "\0tim\0tanstaaftanstaaf";
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("PLAIN", "tim", "tanstaaftanstaaf");
    ck_assert(mc_sasl_initial(s, &out));
    ck_assert_uint_eq(out.len, sizeof expected - 1);
    ck_assert_mem_eq(out.data, expected, sizeof expected - 1);
    ck_assert(mc_sasl_complete(s));
    mc_sasl_free(s);

    /* No initial response allowed: the server's empty challenge gets the same bytes. */
    s = mc_sasl_new("plain", "tim", "tanstaaftanstaaf");
    mc_buf_reset(&out);
    ck_assert_int_eq(mc_sasl_step(s, "", 0, &out), MC_SASL_CONTINUE);
    ck_assert_uint_eq(out.len, sizeof expected - 1);
    ck_assert_mem_eq(out.data, expected, sizeof expected - 1);
    assert_fails_with(s, "more?", "after the exchange was complete");
    mc_sasl_free(s);

    s = mc_sasl_new("PLAIN", "tim", "x");
    assert_fails_with(s, "hello", "RFC 4422 section 5");
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(login_flow)
{
    struct mc_buf out = {0};
    struct mc_sasl *s = mc_sasl_new("LOGIN", "tim", "secret");
    ck_assert(!mc_sasl_initial(s, &out));
    ck_assert_int_eq(step_str(s, "Username:", &out), MC_SASL_CONTINUE);
    assert_out(&out, "tim");
    ck_assert(!mc_sasl_complete(s));
    ck_assert_int_eq(step_str(s, "Password:", &out), MC_SASL_CONTINUE);
    assert_out(&out, "secret");
    ck_assert(mc_sasl_complete(s));
    assert_fails_with(s, "Password:", "after the exchange was complete");
    mc_sasl_free(s);

    /* By text, case-insensitive, even out of order. */
    s = mc_sasl_new("LOGIN", "tim", "secret");
    ck_assert_int_eq(step_str(s, "PASSWORD:", &out), MC_SASL_CONTINUE);
    assert_out(&out, "secret");
    ck_assert_int_eq(step_str(s, "user name", &out), MC_SASL_CONTINUE);
    assert_out(&out, "tim");
    ck_assert(mc_sasl_complete(s));
    mc_sasl_free(s);

    /* Unrecognised prompts: by order. */
    s = mc_sasl_new("LOGIN", "tim", "secret");
    ck_assert_int_eq(step_str(s, "Benutzer:", &out), MC_SASL_CONTINUE);
    assert_out(&out, "tim");
    ck_assert_int_eq(step_str(s, "Kennwort:", &out), MC_SASL_CONTINUE);
    assert_out(&out, "secret");
    mc_sasl_free(s);

    s = mc_sasl_new("LOGIN", "tim", "secret");
    ck_assert_int_eq(step_str(s, "Username:", &out), MC_SASL_CONTINUE);
    assert_fails_with(s, "Username:", "twice");
    mc_sasl_free(s);
    mc_buf_free(&out);
}
END_TEST

START_TEST(mechanism_names)
{
    ck_assert(mc_sasl_known("PLAIN"));
    ck_assert(mc_sasl_known("login"));
    ck_assert(mc_sasl_known("Cram-MD5"));
    ck_assert(mc_sasl_known("SCRAM-SHA-1"));
    ck_assert(mc_sasl_known("SCRAM-SHA-256"));
    ck_assert(!mc_sasl_known("SCRAM-SHA-256-PLUS"));
    ck_assert(!mc_sasl_known("GSSAPI"));
    ck_assert(!mc_sasl_known(""));
    ck_assert_ptr_null(mc_sasl_new("DIGEST-MD5", "u", "p"));
    mc_sasl_free(NULL);
}
END_TEST

static Suite *sasl_suite(void)
{
    Suite *s = suite_create("sasl");
    TCase *scram = tcase_create("scram");
    tcase_add_test(scram, scram_sha256_rfc7677_vector);
    tcase_add_test(scram, scram_sha1_rfc5802_vector);
    tcase_add_test(scram, scram_without_initial_response);
    tcase_add_test(scram, scram_server_final_extensions_allowed);
    tcase_add_test(scram, scram_wrong_server_signature);
    tcase_add_test(scram, scram_server_error);
    tcase_add_test(scram, scram_nonce_not_prefixed);
    tcase_add_test(scram, scram_iteration_count_bounded);
    tcase_add_test(scram, scram_server_first_malformed);
    tcase_add_test(scram, scram_username_escaped_and_random_nonce);
    tcase_add_test(scram, scram_success_without_signature_is_incomplete);
    suite_add_tcase(s, scram);
    TCase *simple = tcase_create("simple");
    tcase_add_test(simple, cram_md5_rfc2195_example);
    tcase_add_test(simple, plain_bytes);
    tcase_add_test(simple, login_flow);
    tcase_add_test(simple, mechanism_names);
    suite_add_tcase(s, simple);
    return s;
}

int main(void)
{
    return mc_check_run(sasl_suite());
}
