/*
 * test_sasl_server — the server side of the SASL mechanisms (harness/lib/sasl_server.c): round
 * trips with the harness's own client (harness/lib/sasl.c), the RFC test vectors, malformed
 * messages, and random input that must never crash it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/base64.h"
#include "lib/sasl.h"
#include "lib/sasl_server.h"
#include "support_check.h"

/* RFC 7677 section 3 */
#define S256_NONCE "rOprNGfwEbeRWgbNEkqO"
#define S256_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define S256_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define S256_CLIENT_FIRST "n,,n=user,r=" S256_NONCE
#define S256_SERVER_FIRST "r=" S256_NONCE S256_SNONCE ",s=" S256_SALT ",i=4096"
#define S256_CLIENT_FINAL                                                                          \
    "c=biws,r=" S256_NONCE S256_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define S256_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* RFC 5802 section 5 */
#define S1_NONCE "fyko+d2lbbFgONRv9qkxdawL"
#define S1_SNONCE "3rfcNHYJY1ZVvWVs7j"
#define S1_SALT "QSXCR+Q6sek8bf92"
#define S1_CLIENT_FIRST "n,,n=user,r=" S1_NONCE
#define S1_SERVER_FIRST "r=" S1_NONCE S1_SNONCE ",s=" S1_SALT ",i=4096"
#define S1_CLIENT_FINAL "c=biws,r=" S1_NONCE S1_SNONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define S1_SERVER_FINAL "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

/* RFC 2195 section 2 */
#define CRAM_CHALLENGE "<1896.697170952@postoffice.reston.mci.net>"
#define CRAM_RESPONSE "tim b913a602c7eda7a495b4e6e7334d3890"

#define FUZZ_ROUNDS 3000

static const char *const all_mechs[] = {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
                                        "SCRAM-SHA-256"};
#define N_MECHS (sizeof all_mechs / sizeof all_mechs[0])

static bool lookup(void *ctx, const char *user, struct mc_buf *password)
{
    static const char *const users[][2] = {
        {"user", "pencil"}, {"tim", "tanstaaftanstaaf"}, {"alice", "wonder land"}};
    int *calls = ctx;
    if (calls)
        (*calls)++;
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        if (strcmp(users[i][0], user) == 0) {
            mc_buf_append_str(password, users[i][1]);
            return true;
        }
    return false;
}

static struct mc_sasl_server *server(const char *mech)
{
    struct mc_sasl_server *s = mc_sasl_server_new(mech, "mail.example.org", lookup, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

static enum mc_sasl_server_status step(struct mc_sasl_server *s, const char *resp, size_t len,
                                       bool initial, struct mc_buf *chal)
{
    return mc_sasl_server_step(s, resp, len, initial, chal);
}

static enum mc_sasl_server_status step_str(struct mc_sasl_server *s, const char *resp,
                                           struct mc_buf *chal)
{
    return step(s, resp, strlen(resp), false, chal);
}

static void assert_chal(const struct mc_buf *chal, const char *expected)
{
    ck_assert_msg(chal->len == strlen(expected) &&
                      (chal->len == 0 || memcmp(chal->data, expected, chal->len) == 0),
                  "challenge \"%s\", expected \"%s\"", chal->data ? chal->data : "", expected);
}

static void assert_failed(struct mc_sasl_server *s, enum mc_sasl_server_failure kind,
                          const char *needle)
{
    ck_assert_int_eq(mc_sasl_server_failure(s), kind);
    ck_assert_msg(strstr(mc_sasl_server_error(s), needle), "error \"%s\" lacks \"%s\"",
                  mc_sasl_server_error(s), needle);
    ck_assert_ptr_null(mc_sasl_server_user(s));
    /* A failure is final. */
    struct mc_buf chal = {0};
    ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_FAIL);
    ck_assert_uint_eq(chal.len, 0);
    mc_buf_free(&chal);
}

/* Runs `resp` through a fresh server and expects FAIL of `kind` mentioning `needle`. */
static void expect_fail(const char *mech, const char *const *resps, size_t n, bool initial,
                        enum mc_sasl_server_failure kind, const char *needle)
{
    struct mc_sasl_server *s = server(mech);
    struct mc_buf chal = {0};
    enum mc_sasl_server_status st = MC_SASL_SERVER_CONTINUE;
    if (!initial)
        ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
    for (size_t i = 0; i < n && st == MC_SASL_SERVER_CONTINUE; i++)
        st = step(s, resps[i], strlen(resps[i]), initial && i == 0, &chal);
    ck_assert_int_eq(st, MC_SASL_SERVER_FAIL);
    assert_failed(s, kind, needle);
    mc_sasl_server_free(s);
    mc_buf_free(&chal);
}

/* Drives server and client to the end as a protocol would (see sasl_server.h); success_data
   says whether the protocol carries SUCCESS data in its success reply. */
static enum mc_sasl_server_status run(struct mc_sasl_server *srv, struct mc_sasl *cli,
                                      bool use_initial, bool success_data)
{
    struct mc_buf resp = {0}, chal = {0};
    enum mc_sasl_server_status st;
    if (use_initial && mc_sasl_initial(cli, &resp))
        st = step(srv, resp.data, resp.len, true, &chal);
    else
        st = step(srv, NULL, 0, false, &chal);
    for (int rounds = 0; st == MC_SASL_SERVER_CONTINUE ||
                         (st == MC_SASL_SERVER_SUCCESS && chal.len > 0 && !success_data);
         rounds++) {
        ck_assert_int_lt(rounds, 8);
        mc_buf_reset(&resp);
        enum mc_sasl_status cst = mc_sasl_step(cli, chal.data ? chal.data : "", chal.len, &resp);
        ck_assert_msg(cst != MC_SASL_FAIL, "client failed: %s", mc_sasl_error(cli));
        st = step(srv, resp.data, resp.len, false, &chal);
    }
    if (st == MC_SASL_SERVER_SUCCESS && chal.len > 0) {
        /* success data: the client checks it but sends nothing */
        mc_buf_reset(&resp);
        ck_assert_int_eq(mc_sasl_step(cli, chal.data, chal.len, &resp), MC_SASL_CONTINUE);
        ck_assert_uint_eq(resp.len, 0);
    }
    mc_buf_free(&resp);
    mc_buf_free(&chal);
    return st;
}

START_TEST(mechanism_list)
{
    char *list = strdup(mc_sasl_server_mechanisms());
    size_t n = 0;
    for (char *tok = strtok(list, " "); tok; tok = strtok(NULL, " "), n++) {
        ck_assert(mc_sasl_server_known(tok));
        ck_assert(mc_sasl_known(tok)); /* the harness client speaks every one */
    }
    free(list);
    ck_assert_uint_eq(n, N_MECHS);
    ck_assert(mc_sasl_server_known("scram-sha-256"));
    ck_assert(!mc_sasl_server_known("GSSAPI"));
    ck_assert(!mc_sasl_server_known(NULL));
    ck_assert_ptr_null(mc_sasl_server_new("DIGEST-MD5", "h", lookup, NULL));
    ck_assert_ptr_null(mc_sasl_server_new("PLAIN", "h", NULL, NULL));
}
END_TEST

/* _i: mechanism; every combination of initial response and success-data handling. */
START_TEST(round_trip_right_password)
{
    const char *mech = all_mechs[_i];
    for (int mode = 0; mode < 4; mode++) {
        bool use_initial = mode & 1, success_data = mode & 2;
        struct mc_sasl_server *srv = server(mech);
        struct mc_sasl *cli = mc_sasl_new(mech, "user", "pencil");
        ck_assert_int_eq(run(srv, cli, use_initial, success_data), MC_SASL_SERVER_SUCCESS);
        ck_assert_str_eq(mc_sasl_server_user(srv), "user");
        ck_assert_str_eq(mc_sasl_server_error(srv), "");
        ck_assert_int_eq(mc_sasl_server_failure(srv), MC_SASL_SERVER_NOT_FAILED);
        ck_assert_msg(mc_sasl_complete(cli), "%s mode %d: client incomplete: %s", mech, mode,
                      mc_sasl_error(cli));
        mc_sasl_free(cli);
        mc_sasl_server_free(srv);
    }
}
END_TEST

START_TEST(round_trip_wrong_password_and_unknown_user)
{
    const char *mech = all_mechs[_i];
    const char *creds[][2] = {{"user", "pencil2"}, {"user", "Pencil"}, {"mallory", "pencil"}};
    for (size_t i = 0; i < sizeof creds / sizeof creds[0]; i++) {
        struct mc_sasl_server *srv = server(mech);
        struct mc_sasl *cli = mc_sasl_new(mech, creds[i][0], creds[i][1]);
        ck_assert_int_eq(run(srv, cli, true, false), MC_SASL_SERVER_FAIL);
        assert_failed(srv, MC_SASL_SERVER_BAD_CREDENTIALS, i == 2 ? "unknown user" : "wrong");
        ck_assert(strstr(mc_sasl_server_error(srv), creds[i][0]));
        mc_sasl_free(cli);
        mc_sasl_server_free(srv);
    }
}
END_TEST

static void scram_vector(const char *mech, const char *salt, const char *snonce,
                         const char *client_first, const char *server_first,
                         const char *client_final, const char *server_final)
{
    struct mc_buf chal = {0};
    for (int initial = 0; initial < 2; initial++) {
        struct mc_sasl_server *s = server(mech);
        ck_assert(mc_sasl_server_set_scram_params(s, salt, snonce, 4096));
        if (!initial) {
            ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
            assert_chal(&chal, "");
        }
        ck_assert_int_eq(step(s, client_first, strlen(client_first), initial, &chal),
                         MC_SASL_SERVER_CONTINUE);
        assert_chal(&chal, server_first);
        ck_assert_ptr_null(mc_sasl_server_user(s));
        ck_assert_int_eq(step_str(s, client_final, &chal), MC_SASL_SERVER_SUCCESS);
        assert_chal(&chal, server_final);
        ck_assert_str_eq(mc_sasl_server_user(s), "user");
        /* the empty response owed to server-final sent as a challenge */
        ck_assert_int_eq(step_str(s, "", &chal), MC_SASL_SERVER_SUCCESS);
        assert_chal(&chal, "");
        ck_assert_str_eq(mc_sasl_server_user(s), "user");
        /* and nothing after that */
        ck_assert_int_eq(step_str(s, "", &chal), MC_SASL_SERVER_FAIL);
        assert_failed(s, MC_SASL_SERVER_MALFORMED, "after the exchange");
        mc_sasl_server_free(s);
    }
    mc_buf_free(&chal);
}

START_TEST(scram_sha256_rfc7677_vector)
{
    scram_vector("SCRAM-SHA-256", S256_SALT, S256_SNONCE, S256_CLIENT_FIRST, S256_SERVER_FIRST,
                 S256_CLIENT_FINAL, S256_SERVER_FINAL);
}
END_TEST

START_TEST(scram_sha1_rfc5802_vector)
{
    scram_vector("SCRAM-SHA-1", S1_SALT, S1_SNONCE, S1_CLIENT_FIRST, S1_SERVER_FIRST,
                 S1_CLIENT_FINAL, S1_SERVER_FINAL);
}
END_TEST

START_TEST(scram_params_hook_validates)
{
    struct mc_sasl_server *s = server("SCRAM-SHA-256");
    ck_assert(!mc_sasl_server_set_scram_params(s, "not base64!", NULL, 0));
    ck_assert(!mc_sasl_server_set_scram_params(s, "", NULL, 0));
    ck_assert(!mc_sasl_server_set_scram_params(s, NULL, "has,comma", 0));
    ck_assert(!mc_sasl_server_set_scram_params(s, NULL, "", 0));
    ck_assert(!mc_sasl_server_set_scram_params(s, NULL, NULL, -1));
    ck_assert(!mc_sasl_server_set_scram_params(s, NULL, NULL, 2000000000));
    ck_assert(mc_sasl_server_set_scram_params(s, NULL, NULL, 0));
    mc_sasl_server_free(s);
    s = server("PLAIN");
    ck_assert(!mc_sasl_server_set_scram_params(s, S1_SALT, NULL, 0));
    ck_assert(!mc_sasl_server_set_challenge(s, CRAM_CHALLENGE));
    mc_sasl_server_free(s);
}
END_TEST

/* The salt is stable per user across logins (clients may cache), differs between users, and
   unknown users get one too (no user enumeration before the proof). */
START_TEST(scram_salt_stable_and_no_enumeration)
{
    const char *firsts[] = {"n,,n=user,r=abc", "n,,n=user,r=xyz", "n,,n=tim,r=abc",
                            "n,,n=nobody,r=abc"};
    char salts[4][64];
    struct mc_buf chal = {0};
    for (int i = 0; i < 4; i++) {
        struct mc_sasl_server *s = server("SCRAM-SHA-256");
        ck_assert_int_eq(step(s, firsts[i], strlen(firsts[i]), true, &chal),
                         MC_SASL_SERVER_CONTINUE);
        const char *salt = strstr(chal.data, ",s=");
        ck_assert_ptr_nonnull(salt);
        ck_assert(strstr(chal.data, ",i=4096"));
        ck_assert_int_eq(strncmp(chal.data, "r=", 2), 0);
        ck_assert_int_eq(strncmp(chal.data + 2, strstr(firsts[i], "r=") + 2, 3),
                         0); /* client nonce first */
        snprintf(salts[i], sizeof salts[i], "%.*s", (int)(strchr(salt + 3, ',') - salt - 3),
                 salt + 3);
        mc_sasl_server_free(s);
    }
    ck_assert_str_eq(salts[0], salts[1]);
    ck_assert_str_ne(salts[0], salts[2]);
    ck_assert_str_ne(salts[2], salts[3]);
    mc_buf_free(&chal);
}
END_TEST

/* Two exchanges get different server nonces. */
START_TEST(scram_server_nonce_random)
{
    struct mc_buf a = {0}, b = {0};
    struct mc_sasl_server *s1 = server("SCRAM-SHA-1"), *s2 = server("SCRAM-SHA-1");
    ck_assert_int_eq(step(s1, "n,,n=user,r=abc", 15, true, &a), MC_SASL_SERVER_CONTINUE);
    ck_assert_int_eq(step(s2, "n,,n=user,r=abc", 15, true, &b), MC_SASL_SERVER_CONTINUE);
    ck_assert_str_ne(a.data, b.data);
    ck_assert_uint_gt(strchr(a.data, ',') - a.data, 2 + 3 + 24);
    mc_sasl_server_free(s1);
    mc_sasl_server_free(s2);
    mc_buf_free(&a);
    mc_buf_free(&b);
}
END_TEST

/* A SCRAM client independent of lib/sasl.c, so the gs2 header can vary ("y,,", "n,a=..."). */
static void scram_client_final(const EVP_MD *md, const char *password, const char *gs2,
                               const char *bare, const char *server_first, struct mc_buf *out)
{
    const char *s_attr = strstr(server_first, ",s="), *i_attr = strstr(server_first, ",i=");
    ck_assert(s_attr && i_attr);
    struct mc_buf salt = {0}, auth = {0}, without = {0};
    ck_assert_int_gt(mc_base64_decode(s_attr + 3, (size_t)(i_attr - s_attr - 3), &salt), 0);
    int iter = atoi(i_attr + 3);
    mc_buf_append_str(&without, "c=");
    mc_base64_encode(gs2, strlen(gs2), &without);
    mc_buf_append_str(&without, ",r=");
    mc_buf_append(&without, server_first + 2, (size_t)(s_attr - server_first - 2));
    mc_buf_printf(&auth, "%s,%s,%s", bare, server_first, without.data);
    unsigned char salted[EVP_MAX_MD_SIZE], ck[EVP_MAX_MD_SIZE], sk[EVP_MAX_MD_SIZE];
    unsigned char sig[EVP_MAX_MD_SIZE], proof[EVP_MAX_MD_SIZE];
    unsigned int h = (unsigned int)EVP_MD_get_size(md), n;
    ck_assert(PKCS5_PBKDF2_HMAC(password, (int)strlen(password), (unsigned char *)salt.data,
                                (int)salt.len, iter, md, (int)h, salted));
    ck_assert(HMAC(md, salted, (int)h, (const unsigned char *)"Client Key", 10, ck, &n));
    ck_assert(EVP_Digest(ck, h, sk, &n, md, NULL));
    ck_assert(HMAC(md, sk, (int)h, (unsigned char *)auth.data, auth.len, sig, &n));
    for (unsigned int i = 0; i < h; i++)
        proof[i] = ck[i] ^ sig[i];
    mc_buf_reset(out);
    mc_buf_printf(out, "%s,p=", without.data);
    mc_base64_encode(proof, h, out);
    mc_buf_free(&salt);
    mc_buf_free(&auth);
    mc_buf_free(&without);
}

/* Runs a hand-built SCRAM-SHA-256 exchange; returns the final status. */
static enum mc_sasl_server_status scram_manual(struct mc_sasl_server *s, const char *gs2,
                                               const char *bare, const char *password)
{
    struct mc_buf first = {0}, chal = {0}, final = {0};
    mc_buf_printf(&first, "%s%s", gs2, bare);
    enum mc_sasl_server_status st = step(s, first.data, first.len, true, &chal);
    if (st == MC_SASL_SERVER_CONTINUE) {
        scram_client_final(EVP_sha256(), password, gs2, bare, chal.data, &final);
        st = step_str(s, final.data, &chal);
    }
    mc_buf_free(&first);
    mc_buf_free(&chal);
    mc_buf_free(&final);
    return st;
}

START_TEST(scram_gs2_header_and_authzid)
{
    struct {
        const char *gs2, *bare, *password;
        enum mc_sasl_server_status st;
        enum mc_sasl_server_failure kind;
        const char *needle;
    } cases[] = {
        {"n,,", "n=user,r=abc", "pencil", MC_SASL_SERVER_SUCCESS, 0, ""},
        {"y,,", "n=user,r=abc", "pencil", MC_SASL_SERVER_SUCCESS, 0, ""},
        {"n,a=user,", "n=user,r=abc", "pencil", MC_SASL_SERVER_SUCCESS, 0, ""},
        {"n,,", "n=user,r=abc,x=ext", "pencil", MC_SASL_SERVER_SUCCESS, 0, ""},
        {"n,a=tim,", "n=user,r=abc", "pencil", MC_SASL_SERVER_FAIL, MC_SASL_SERVER_AUTHZ_REFUSED,
         "may not act as authzid \"tim\""},
        {"n,a=tim,", "n=user,r=abc", "wrong", MC_SASL_SERVER_FAIL, MC_SASL_SERVER_BAD_CREDENTIALS,
         "wrong proof"},
        {"n,,", "n=nobody,r=abc", "pencil", MC_SASL_SERVER_FAIL, MC_SASL_SERVER_BAD_CREDENTIALS,
         "unknown user"},
        {"p=tls-unique,,", "n=user,r=abc", "pencil", MC_SASL_SERVER_FAIL, MC_SASL_SERVER_MALFORMED,
         "channel binding"},
        {"n,a=us=er,", "n=user,r=abc", "pencil", MC_SASL_SERVER_FAIL, MC_SASL_SERVER_MALFORMED,
         "authzid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mc_sasl_server *s = server("SCRAM-SHA-256");
        ck_assert(mc_sasl_server_set_scram_params(s, NULL, NULL, 16)); /* fast */
        enum mc_sasl_server_status st =
            scram_manual(s, cases[i].gs2, cases[i].bare, cases[i].password);
        ck_assert_msg(st == cases[i].st, "case %zu: status %d: %s", i, st, mc_sasl_server_error(s));
        if (st == MC_SASL_SERVER_FAIL)
            assert_failed(s, cases[i].kind, cases[i].needle);
        else
            ck_assert_str_eq(mc_sasl_server_user(s), "user");
        mc_sasl_server_free(s);
    }
}
END_TEST

/* A user name with "," and "=" travels escaped (RFC 5802 section 5.1) and is looked up
   unescaped. */
START_TEST(scram_escaped_user_name)
{
    struct mc_sasl_server *s = server("SCRAM-SHA-1");
    struct mc_buf chal = {0}, final = {0};
    const char *first = "n,,n=a=2Cb=3Dc,r=abc";
    ck_assert_int_eq(step(s, first, strlen(first), true, &chal), MC_SASL_SERVER_CONTINUE);
    mc_buf_printf(&final, "c=biws,r=%.*s,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                  (int)(strchr(chal.data, ',') - chal.data - 2), chal.data + 2);
    ck_assert_int_eq(step_str(s, final.data, &chal), MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_BAD_CREDENTIALS, "unknown user \"a,b=c\"");
    mc_sasl_server_free(s);
    /* a response before the first challenge is a caller bug */
    s = server("SCRAM-SHA-1");
    ck_assert_int_eq(step_str(s, first, &chal), MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_MALFORMED, "before the first challenge");
    mc_sasl_server_free(s);
    mc_buf_free(&chal);
    mc_buf_free(&final);
}
END_TEST

START_TEST(scram_malformed_client_first)
{
    struct {
        const char *msg, *needle;
    } cases[] = {
        {"", "gs2 flag"},
        {"x,,n=user,r=abc", "gs2 flag"},
        {"n,n=user,r=abc", "gs2 header"},
        {"n,,", "\"n=\""},
        {"n,,r=abc", "\"n=\""},
        {"n,,m=ext,n=user,r=abc", "mandatory extension"},
        {"n,,n=,r=abc", "user name"},
        {"n,,n=us=er,r=abc", "2C or 3D"},
        {"n,,n=us=2,r=abc", "2C or 3D"},
        {"n,,n=user", "\"r=\""},
        {"n,,n=user,r=", "\"r=\""},
        {"n,,n=user,r=a\x01", "\"r=\""},
        {"n,,n=user,r=abc,", "extensions"},
        {"n,,n=user,r=abc,1=x", "extensions"},
        {"n,,n=user,r=abc,x", "extensions"},
        {"p=tls-server-end-point,,n=user,r=abc", "e=channel-bindings-not-supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int m = 0; m < 2; m++)
            expect_fail(m ? "SCRAM-SHA-1" : "SCRAM-SHA-256", &cases[i].msg, 1, true,
                        MC_SASL_SERVER_MALFORMED, cases[i].needle);
    /* A NUL inside the user name is refused, not truncated. */
    struct mc_sasl_server *s = server("SCRAM-SHA-256");
    struct mc_buf chal = {0};
    ck_assert_int_eq(step(s, "n,,n=us\0er,r=abc", 16, true, &chal), MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_MALFORMED, "user name");
    mc_sasl_server_free(s);
    mc_buf_free(&chal);
}
END_TEST

START_TEST(scram_malformed_client_final)
{
    const char *prefix = S256_CLIENT_FIRST;
    struct {
        const char *msg, *needle;
    } cases[] = {
        {"", "\"c=\""},
        {"r=" S256_NONCE S256_SNONCE ",p=AAAA", "\"c=\""},
        {"c=eSws,r=" S256_NONCE S256_SNONCE ",p=AAAA", "channel binding"}, /* "y,," */
        {"c=b!ws,r=" S256_NONCE S256_SNONCE ",p=AAAA", "channel binding"},
        {"c=biws", "\"r=\""},
        {"c=biws,r=" S256_NONCE ",p=AAAA", "nonce"},
        {"c=biws,r=" S256_NONCE S256_SNONCE "x,p=AAAA", "nonce"},
        {"c=biws,r=" S256_NONCE S256_SNONCE, "p="},
        {"c=biws,r=" S256_NONCE S256_SNONCE ",", "p="},
        {"c=biws,r=" S256_NONCE S256_SNONCE ",p=", "proof"},
        {"c=biws,r=" S256_NONCE S256_SNONCE ",p=AAAA", "proof"},
        {"c=biws,r=" S256_NONCE S256_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ",
         "proof"},
        {"c=biws,r=" S256_NONCE S256_SNONCE ",9=x,p=AAAA", "extensions"},
        {"c=biws,r=" S256_NONCE S256_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1",
         "p="},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mc_sasl_server *s = server("SCRAM-SHA-256");
        struct mc_buf chal = {0};
        ck_assert(mc_sasl_server_set_scram_params(s, S256_SALT, S256_SNONCE, 0));
        ck_assert_int_eq(step(s, prefix, strlen(prefix), true, &chal), MC_SASL_SERVER_CONTINUE);
        ck_assert_int_eq(step_str(s, cases[i].msg, &chal), MC_SASL_SERVER_FAIL);
        assert_failed(s, MC_SASL_SERVER_MALFORMED, cases[i].needle);
        mc_sasl_server_free(s);
        mc_buf_free(&chal);
    }
    /* A well-formed proof that is wrong is bad credentials, not malformed. */
    const char *resps[] = {S256_CLIENT_FIRST, "c=biws,r=" S256_NONCE S256_SNONCE
                                              ",p=AHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="};
    struct mc_sasl_server *s = server("SCRAM-SHA-256");
    struct mc_buf chal = {0};
    ck_assert(mc_sasl_server_set_scram_params(s, S256_SALT, S256_SNONCE, 0));
    ck_assert_int_eq(step(s, resps[0], strlen(resps[0]), true, &chal), MC_SASL_SERVER_CONTINUE);
    ck_assert_int_eq(step_str(s, resps[1], &chal), MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_BAD_CREDENTIALS, "e=invalid-proof");
    mc_sasl_server_free(s);
    /* The response to server-final must be empty. */
    s = server("SCRAM-SHA-256");
    ck_assert(mc_sasl_server_set_scram_params(s, S256_SALT, S256_SNONCE, 0));
    ck_assert_int_eq(step(s, resps[0], strlen(resps[0]), true, &chal), MC_SASL_SERVER_CONTINUE);
    ck_assert_int_eq(step_str(s, S256_CLIENT_FINAL, &chal), MC_SASL_SERVER_SUCCESS);
    ck_assert_int_eq(step_str(s, "x", &chal), MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_MALFORMED, "must be empty");
    mc_sasl_server_free(s);
    mc_buf_free(&chal);
}
END_TEST

START_TEST(cram_md5_rfc2195_vector)
{
    struct mc_sasl_server *s = server("CRAM-MD5");
    struct mc_buf chal = {0};
    ck_assert(mc_sasl_server_set_challenge(s, CRAM_CHALLENGE));
    ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
    assert_chal(&chal, CRAM_CHALLENGE);
    ck_assert_int_eq(step_str(s, CRAM_RESPONSE, &chal), MC_SASL_SERVER_SUCCESS);
    assert_chal(&chal, "");
    ck_assert_str_eq(mc_sasl_server_user(s), "tim");
    ck_assert(!mc_sasl_server_set_challenge(s, "<late@x>")); /* only before the first step */
    mc_sasl_server_free(s);
    mc_buf_free(&chal);
}
END_TEST

START_TEST(cram_md5_challenge_format)
{
    struct mc_buf chal = {0};
    const char *hosts[][2] = {{"mail.example.org", "@mail.example.org>"},
                              {NULL, "@localhost>"},
                              {"", "@localhost>"},
                              {"bad host>", "@localhost>"}};
    char first[128] = "";
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        struct mc_sasl_server *s = mc_sasl_server_new("cram-md5", hosts[i][0], lookup, NULL);
        ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
        ck_assert_int_eq(chal.data[0], '<');
        ck_assert_ptr_nonnull(strchr(chal.data, '.'));
        size_t n = strlen(hosts[i][1]);
        ck_assert(chal.len > n && strcmp(chal.data + chal.len - n, hosts[i][1]) == 0);
        if (i == 0)
            snprintf(first, sizeof first, "%s", chal.data);
        mc_sasl_server_free(s);
    }
    struct mc_sasl_server *s = server("CRAM-MD5");
    ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
    ck_assert_str_ne(chal.data, first); /* fresh every time: no replay */
    mc_sasl_server_free(s);
    mc_buf_free(&chal);
}
END_TEST

START_TEST(cram_md5_malformed)
{
    struct {
        const char *msg, *needle;
    } cases[] = {
        {"", "user SP digest"},
        {"timb913a602c7eda7a495b4e6e7334d3890", "user SP digest"},
        {"tim B913A602C7EDA7A495B4E6E7334D3890", "lowercase hex"},
        {"tim b913a602c7eda7a495b4e6e7334d389", "lowercase hex"},
        {"tim b913a602c7eda7a495b4e6e7334d38900", "lowercase hex"},
        {"tim b913a602c7eda7a495b4e6e7334d389g", "lowercase hex"},
        {"tim ", "lowercase hex"},
        {" b913a602c7eda7a495b4e6e7334d3890", "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_fail("CRAM-MD5", &cases[i].msg, 1, false, MC_SASL_SERVER_MALFORMED, cases[i].needle);
    /* server-first: an initial response, even an empty one, is refused */
    const char *ir[] = {CRAM_RESPONSE};
    expect_fail("CRAM-MD5", ir, 1, true, MC_SASL_SERVER_MALFORMED, "server-first");
    const char *empty[] = {""};
    expect_fail("CRAM-MD5", empty, 1, true, MC_SASL_SERVER_MALFORMED, "server-first");
    /* the right format with the wrong digest */
    const char *wrong[] = {"tim 0913a602c7eda7a495b4e6e7334d3890"};
    expect_fail("CRAM-MD5", wrong, 1, false, MC_SASL_SERVER_BAD_CREDENTIALS, "wrong digest");
}
END_TEST

START_TEST(plain_authzid)
{
    struct {
        const char *msg;
        size_t len;
        enum mc_sasl_server_status st;
        enum mc_sasl_server_failure kind;
        const char *needle;
    } cases[] = {
        {"\0user\0pencil", 12, MC_SASL_SERVER_SUCCESS, 0, ""},
        {"user\0user\0pencil", 16, MC_SASL_SERVER_SUCCESS, 0, ""},
        {"tim\0user\0pencil", 15, MC_SASL_SERVER_FAIL, MC_SASL_SERVER_AUTHZ_REFUSED,
         "may not act as authzid \"tim\""},
        {"User\0user\0pencil", 16, MC_SASL_SERVER_FAIL, MC_SASL_SERVER_AUTHZ_REFUSED, "User"},
        {"tim\0user\0wrong", 14, MC_SASL_SERVER_FAIL, MC_SASL_SERVER_BAD_CREDENTIALS, "wrong"},
        {"\0alice\0wonder land", 18, MC_SASL_SERVER_SUCCESS, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mc_sasl_server *s = server("PLAIN");
        struct mc_buf chal = {0};
        enum mc_sasl_server_status st = step(s, cases[i].msg, cases[i].len, true, &chal);
        ck_assert_msg(st == cases[i].st, "case %zu: %s", i, mc_sasl_server_error(s));
        if (st == MC_SASL_SERVER_FAIL)
            assert_failed(s, cases[i].kind, cases[i].needle);
        else
            ck_assert_uint_eq(chal.len, 0);
        mc_sasl_server_free(s);
        mc_buf_free(&chal);
    }
}
END_TEST

START_TEST(plain_malformed)
{
    struct {
        const char *msg;
        size_t len;
        const char *needle;
    } cases[] = {
        {"", 0, "two NUL"},
        {"userpencil", 10, "two NUL"},
        {"\0userpencil", 11, "two NUL"},
        {"\0user\0pen\0cil", 13, "more than two"},
        {"\0user\0", 6, "password is empty"},
        {"\0\0pencil", 8, "authcid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mc_sasl_server *s = server("PLAIN");
        struct mc_buf chal = {0};
        /* "=" on the wire: an empty initial response, which PLAIN cannot accept */
        ck_assert_int_eq(step(s, cases[i].msg, cases[i].len, true, &chal), MC_SASL_SERVER_FAIL);
        assert_failed(s, MC_SASL_SERVER_MALFORMED, cases[i].needle);
        mc_sasl_server_free(s);
        mc_buf_free(&chal);
    }
}
END_TEST

START_TEST(login_prompts_and_initial_user)
{
    struct mc_sasl_server *s = server("LOGIN");
    struct mc_buf chal = {0};
    ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
    assert_chal(&chal, "Username:");
    ck_assert_int_eq(step_str(s, "alice", &chal), MC_SASL_SERVER_CONTINUE);
    assert_chal(&chal, "Password:");
    ck_assert_int_eq(step_str(s, "wonder land", &chal), MC_SASL_SERVER_SUCCESS);
    ck_assert_str_eq(mc_sasl_server_user(s), "alice");
    mc_sasl_server_free(s);
    /* AUTH LOGIN <user> */
    s = server("LOGIN");
    ck_assert_int_eq(step(s, "user", 4, true, &chal), MC_SASL_SERVER_CONTINUE);
    assert_chal(&chal, "Password:");
    ck_assert_int_eq(step_str(s, "pencil", &chal), MC_SASL_SERVER_SUCCESS);
    mc_sasl_server_free(s);
    /* an empty user name, and "=" as the initial response */
    const char *empty[] = {""};
    expect_fail("LOGIN", empty, 1, false, MC_SASL_SERVER_MALFORMED, "empty");
    expect_fail("LOGIN", empty, 1, true, MC_SASL_SERVER_MALFORMED, "empty");
    const char *wrong[] = {"user", ""};
    expect_fail("LOGIN", wrong, 2, false, MC_SASL_SERVER_BAD_CREDENTIALS, "wrong password");
    mc_buf_free(&chal);
}
END_TEST

/* Rules every mechanism shares: the size bound, initial response only first, NULL input. */
START_TEST(shared_rules)
{
    const char *mech = all_mechs[_i];
    struct mc_buf chal = {0};
    char *big = malloc(MC_SASL_SERVER_RESPONSE_MAX + 1);
    memset(big, 'a', MC_SASL_SERVER_RESPONSE_MAX + 1);

    struct mc_sasl_server *s = server(mech);
    ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
    ck_assert_int_eq(step(s, big, MC_SASL_SERVER_RESPONSE_MAX + 1, false, &chal),
                     MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_MALFORMED, "exceeds");
    mc_sasl_server_free(s);

    s = server(mech);
    ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
    ck_assert_int_eq(step(s, "x", 1, true, &chal), MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_MALFORMED, "initial response");
    mc_sasl_server_free(s);

    s = server(mech);
    ck_assert_int_eq(step(s, NULL, 3, false, &chal), MC_SASL_SERVER_FAIL);
    assert_failed(s, MC_SASL_SERVER_MALFORMED, "NULL");
    mc_sasl_server_free(s);

    /* a user name at the size bound fails cleanly, whatever the mechanism */
    s = server(mech);
    ck_assert_int_eq(step(s, NULL, 0, false, &chal), MC_SASL_SERVER_CONTINUE);
    ck_assert_int_eq(step(s, big, MC_SASL_SERVER_RESPONSE_MAX, false, &chal), MC_SASL_SERVER_FAIL);
    ck_assert_str_ne(mc_sasl_server_error(s), "");
    mc_sasl_server_free(s);
    free(big);
    mc_buf_free(&chal);
}
END_TEST

/* Bytes likely to reach deep into the parsers, and sometimes anything at all. */
static size_t random_message(char *buf, size_t max)
{
    static const char alphabet[] = "nyrpcmasiv=,0123456789abcdef ABCDxyz+/\0\x01\xff";
    size_t len = (size_t)rand() % max;
    bool raw = rand() % 4 == 0;
    for (size_t i = 0; i < len; i++)
        buf[i] = raw ? (char)(rand() & 0xff) : alphabet[(size_t)rand() % (sizeof alphabet - 1)];
    return len;
}

/* Valid prefixes, so the fuzz also reaches the second message of each mechanism. */
static const char *fuzz_prefix(const char *mech)
{
    if (strncmp(mech, "SCRAM", 5) == 0)
        return strcmp(mech, "SCRAM-SHA-1") == 0 ? S1_CLIENT_FIRST : S256_CLIENT_FIRST;
    if (strcmp(mech, "LOGIN") == 0)
        return "user";
    return NULL;
}

START_TEST(fuzz_never_crashes)
{
    const char *mech = all_mechs[_i];
    srand(4422 + (unsigned)_i);
    char buf[600];
    struct mc_buf chal = {0};
    for (int round = 0; round < FUZZ_ROUNDS; round++) {
        struct mc_sasl_server *s = server(mech);
        ck_assert(strncmp(mech, "SCRAM", 5) != 0 ||
                  mc_sasl_server_set_scram_params(
                      s, strcmp(mech, "SCRAM-SHA-1") == 0 ? S1_SALT : S256_SALT,
                      strcmp(mech, "SCRAM-SHA-1") == 0 ? S1_SNONCE : S256_SNONCE, 1));
        const char *prefix = fuzz_prefix(mech);
        int kind = round % 3;
        enum mc_sasl_server_status st;
        if (kind == 0) { /* random first message, as initial response or not */
            bool initial = rand() % 2;
            if (!initial)
                step(s, NULL, 0, false, &chal);
            size_t n = random_message(buf, sizeof buf);
            st = step(s, buf, n, initial, &chal);
        } else if (kind == 1 || !prefix) { /* a valid start, then random messages */
            st = prefix ? step(s, prefix, strlen(prefix), true, &chal)
                        : step(s, NULL, 0, false, &chal);
            for (int k = 0; k < 3 && st != MC_SASL_SERVER_FAIL; k++) {
                size_t n = random_message(buf, sizeof buf);
                st = step(s, buf, n, false, &chal);
            }
        } else { /* a valid second message with a few bytes changed */
            const char *valid = strcmp(mech, "LOGIN") == 0         ? "pencil"
                                : strcmp(mech, "SCRAM-SHA-1") == 0 ? S1_CLIENT_FINAL
                                                                   : S256_CLIENT_FINAL;
            size_t n = strlen(valid);
            memcpy(buf, valid, n);
            for (int k = rand() % 3; k >= 0; k--)
                buf[(size_t)rand() % n] = (char)(rand() & 0xff);
            if (rand() % 4 == 0)
                n = (size_t)rand() % n;
            step(s, prefix, strlen(prefix), true, &chal);
            st = step(s, buf, n, false, &chal);
        }
        if (st == MC_SASL_SERVER_FAIL) {
            ck_assert_str_ne(mc_sasl_server_error(s), "");
            ck_assert_int_ne(mc_sasl_server_failure(s), MC_SASL_SERVER_NOT_FAILED);
            ck_assert_ptr_null(mc_sasl_server_user(s));
        }
        mc_sasl_server_free(s);
    }
    mc_buf_free(&chal);
}
END_TEST

static Suite *sasl_server_suite(void)
{
    Suite *s = suite_create("sasl_server");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mechanism_list);
    tcase_add_loop_test(tc, round_trip_right_password, 0, N_MECHS);
    tcase_add_loop_test(tc, round_trip_wrong_password_and_unknown_user, 0, N_MECHS);
    tcase_add_test(tc, scram_sha256_rfc7677_vector);
    tcase_add_test(tc, scram_sha1_rfc5802_vector);
    tcase_add_test(tc, scram_params_hook_validates);
    tcase_add_test(tc, scram_salt_stable_and_no_enumeration);
    tcase_add_test(tc, scram_server_nonce_random);
    tcase_add_test(tc, scram_gs2_header_and_authzid);
    tcase_add_test(tc, scram_escaped_user_name);
    tcase_add_test(tc, scram_malformed_client_first);
    tcase_add_test(tc, scram_malformed_client_final);
    tcase_add_test(tc, cram_md5_rfc2195_vector);
    tcase_add_test(tc, cram_md5_challenge_format);
    tcase_add_test(tc, cram_md5_malformed);
    tcase_add_test(tc, plain_authzid);
    tcase_add_test(tc, plain_malformed);
    tcase_add_test(tc, login_prompts_and_initial_user);
    tcase_add_loop_test(tc, shared_rules, 0, N_MECHS);
    tcase_add_loop_test(tc, fuzz_never_crashes, 0, N_MECHS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return mc_check_run(sasl_server_suite());
}
