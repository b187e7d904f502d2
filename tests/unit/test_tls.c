/*
 * test_tls — the self-signed certificate and the server context, checked by a real handshake
 * with the harness's own client context over an in-memory BIO pair.
 */
#include <check.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/tls.h"
#include "support_check.h"

static char dir[] = "/tmp/mc-tls-XXXXXX";
static char cert[64], key[64];

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    struct mc_buf err = {0};
    ck_assert_msg(mc_tls_make_self_signed(cert, key, &err) == 0, "%s", err.data);
    mc_buf_free(&err);
}

static void teardown(void)
{
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

/* Drives both ends until each finished its handshake; true when both succeeded. */
static bool handshake(SSL_CTX *server_ctx, SSL_CTX *client_ctx, const char *name)
{
    SSL *server = SSL_new(server_ctx), *client = mc_tls_client_ssl(client_ctx, name);
    BIO *a, *b;
    ck_assert_int_eq(BIO_new_bio_pair(&a, 0, &b, 0), 1);
    SSL_set_bio(client, a, a);
    SSL_set_bio(server, b, b);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    int rc_c = 0, rc_s = 0;
    for (int i = 0; i < 100 && (rc_c != 1 || rc_s != 1); i++) {
        if (rc_c != 1)
            rc_c = SSL_do_handshake(client);
        if (rc_s != 1)
            rc_s = SSL_do_handshake(server);
        if ((rc_c <= 0 && SSL_get_error(client, rc_c) == SSL_ERROR_SSL) ||
            (rc_s <= 0 && SSL_get_error(server, rc_s) == SSL_ERROR_SSL))
            break;
    }
    bool ok = rc_c == 1 && rc_s == 1;
    SSL_free(client);
    SSL_free(server);
    ERR_clear_error();
    return ok;
}

START_TEST(self_signed_verifies_for_its_names)
{
    struct mc_buf err = {0};
    SSL_CTX *server = mc_tls_server_ctx(cert, key, &err);
    ck_assert_msg(server != NULL, "%s", err.data ? err.data : "");
    SSL_CTX *client = mc_tls_client_ctx(cert, true, &err); /* the cert is its own CA */
    ck_assert_ptr_nonnull(client);
    ck_assert(handshake(server, client, "localhost"));
    ck_assert(handshake(server, client, "127.0.0.1"));
    ck_assert(!handshake(server, client, "mail.example.com")); /* the name check bites */
    SSL_CTX_free(client);
    client = mc_tls_client_ctx(NULL, false, &err); /* system store, not enforced */
    ck_assert(handshake(server, client, "mail.example.com"));
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    mc_buf_free(&err);
}
END_TEST

START_TEST(server_ctx_errors)
{
    struct mc_buf err = {0};
    ck_assert_ptr_null(mc_tls_server_ctx("/nonexistent/cert.pem", key, &err));
    ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/cert.pem"));
    mc_buf_reset(&err);
    ck_assert_int_eq(mc_tls_make_self_signed("/nonexistent/c.pem", "/nonexistent/k.pem", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/"));
    mc_buf_free(&err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("tls");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, self_signed_verifies_for_its_names);
    tcase_add_test(tc, server_ctx_errors);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
