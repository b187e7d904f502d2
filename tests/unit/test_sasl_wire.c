/*
 * test_sasl_wire — mc_sasl_server_wire, the AUTH wire rules POP3, SMTP and IMAP share: "*"
 * cancels, "=" is an empty initial response, base64 both ways, SCRAM's final message as one
 * more challenge. Driven against the harness's own SASL client.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/sasl.h"
#include "lib/sasl_server.h"
#include "support_check.h"

static bool lookup(void *ctx, const char *user, struct mc_buf *password)
{
    (void)ctx;
    if (strcmp(user, "alice") != 0)
        return false;
    mc_buf_append_str(password, "wonder land");
    return true;
}

static struct mc_sasl_server *server(const char *mech)
{
    struct mc_sasl_server *s = mc_sasl_server_new(mech, "localhost", lookup, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(cancel_and_bad_base64)
{
    struct mc_buf b64 = {0};
    struct mc_sasl_server *s = server("LOGIN");
    ck_assert_int_eq(mc_sasl_server_wire(s, NULL, 0, true, &b64), MC_SASL_WIRE_CHALLENGE);
    ck_assert_str_eq(b64.data, "VXNlcm5hbWU6"); /* "Username:" */
    ck_assert_int_eq(mc_sasl_server_wire(s, "*", 1, false, &b64), MC_SASL_WIRE_CANCELLED);
    mc_sasl_server_free(s);
    s = server("PLAIN");
    ck_assert_int_eq(mc_sasl_server_wire(s, "not base64!", 11, true, &b64),
                     MC_SASL_WIRE_BAD_BASE64);
    mc_sasl_server_free(s);
    /* "=" is an empty initial response (PLAIN then refuses it as malformed), "*" as an initial
       response is just bad base64, not a cancel */
    s = server("PLAIN");
    ck_assert_int_eq(mc_sasl_server_wire(s, "=", 1, true, &b64), MC_SASL_WIRE_FAIL);
    ck_assert_int_eq(mc_sasl_server_failure(s), MC_SASL_SERVER_MALFORMED);
    mc_sasl_server_free(s);
    s = server("PLAIN");
    ck_assert_int_eq(mc_sasl_server_wire(s, "*", 1, true, &b64), MC_SASL_WIRE_BAD_BASE64);
    mc_sasl_server_free(s);
    mc_buf_free(&b64);
}
END_TEST

/* Runs a whole exchange through the wire driver; returns the last outcome. */
static enum mc_sasl_wire exchange(const char *mech, const char *password, int *challenges)
{
    struct mc_sasl *c = mc_sasl_new(mech, "alice", password);
    struct mc_sasl_server *s = server(mech);
    struct mc_buf ir = {0}, line = {0}, b64 = {0}, raw = {0}, resp = {0};
    bool has_ir = mc_sasl_initial(c, &ir);
    if (has_ir)
        mc_base64_encode(ir.data ? ir.data : "", ir.len, &line);
    enum mc_sasl_wire w = mc_sasl_server_wire(s, has_ir ? (line.len ? line.data : "=") : NULL,
                                              has_ir ? (line.len ? line.len : 1) : 0, true, &b64);
    *challenges = 0;
    while (w == MC_SASL_WIRE_CHALLENGE && *challenges < 10) {
        (*challenges)++;
        mc_buf_reset(&raw);
        mc_buf_reset(&resp);
        mc_buf_reset(&line);
        ck_assert_int_ge(mc_base64_decode(b64.data, b64.len, &raw), 0);
        mc_sasl_step(c, raw.data ? raw.data : "", raw.len, &resp);
        mc_base64_encode(resp.data ? resp.data : "", resp.len, &line);
        w = mc_sasl_server_wire(s, line.data ? line.data : "", line.len, false, &b64);
    }
    if (w == MC_SASL_WIRE_SUCCESS) {
        ck_assert_str_eq(mc_sasl_server_user(s), "alice");
        ck_assert(mc_sasl_complete(c)); /* SCRAM: the client saw the server's signature */
    }
    mc_sasl_free(c);
    mc_sasl_server_free(s);
    mc_buf_free(&ir);
    mc_buf_free(&line);
    mc_buf_free(&b64);
    mc_buf_free(&raw);
    mc_buf_free(&resp);
    return w;
}

START_TEST(whole_exchanges)
{
    int n;
    ck_assert_int_eq(exchange("PLAIN", "wonder land", &n), MC_SASL_WIRE_SUCCESS);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(exchange("LOGIN", "wonder land", &n), MC_SASL_WIRE_SUCCESS);
    ck_assert_int_eq(exchange("CRAM-MD5", "wonder land", &n), MC_SASL_WIRE_SUCCESS);
    /* SCRAM: server-first, then the server-final message as one more challenge */
    ck_assert_int_eq(exchange("SCRAM-SHA-256", "wonder land", &n), MC_SASL_WIRE_SUCCESS);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(exchange("SCRAM-SHA-1", "wrong", &n), MC_SASL_WIRE_FAIL);
    ck_assert_int_eq(exchange("PLAIN", "wrong", &n), MC_SASL_WIRE_FAIL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sasl_wire");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, cancel_and_bad_base64);
    tcase_add_test(tc, whole_exchanges);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
