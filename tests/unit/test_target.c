/*
 * test_target — target URLs, profiles (with file:line:col errors), endpoint choice, deviations.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/target.h"
#include "support_check.h"

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/mc-target-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static struct mc_target *profile(const char *text, struct mc_buf *err)
{
    char *path = write_temp(text);
    struct mc_target *t = mc_target_load_profile(path, err);
    unlink(path);
    free(path);
    return t;
}

START_TEST(url_defaults_and_credentials)
{
    struct mc_target *t = NULL;
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_target_add_url(&t, "imaps://al%40ice:p%3Ass@mail.example:1993", &err), 0);
    ck_assert_int_eq(mc_target_add_url(&t, "pop3://al%40ice:p%3Ass@mail.example", &err), 0);
    ck_assert_int_eq(mc_target_add_url(&t, "submission://[::1]", &err), 0);
    ck_assert_uint_eq(t->endpoint_count, 3);
    ck_assert_str_eq(t->endpoints[0].name, "imaps");
    ck_assert_int_eq(t->endpoints[0].port, 1993);
    ck_assert_int_eq(t->endpoints[0].tls, MC_TLS_IMPLICIT);
    ck_assert_int_eq(t->endpoints[1].port, 110);
    ck_assert_str_eq(t->endpoints[2].host, "::1");
    ck_assert_int_eq(t->endpoints[2].port, 587);
    ck_assert(t->endpoints[2].auth_required);
    /* the same user twice is one user; percent-decoding applies */
    ck_assert_uint_eq(t->user_count, 1);
    ck_assert_str_eq(t->users[0].name, "al@ice");
    ck_assert_str_eq(t->users[0].password, "p:ss");
    /* the password never reaches the source shown in reports */
    ck_assert_ptr_null(strstr(t->source, "p%3Ass"));
    mc_target_free(t);
    mc_buf_free(&err);
}
END_TEST

START_TEST(url_errors)
{
    const char *bad[] = {"ftp://h", "imap://h:0",  "imap://h:70000", "imap://h:12x",
                         "imap://", "imap://[::1", "nonsense"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mc_target *t = NULL;
        struct mc_buf err = {0};
        ck_assert_msg(mc_target_add_url(&t, bad[i], &err) == -1, "%s accepted", bad[i]);
        ck_assert_ptr_nonnull(strstr(err.data, bad[i]));
        mc_target_free(t);
        mc_buf_free(&err);
    }
}
END_TEST

/* Every URL scheme (docs/target-format.md "URLs"): endpoint name, protocol, TLS, default port. */
static const struct {
    const char *scheme, *protocol;
    enum mc_tls_mode tls;
    int port;
    bool auth_required;
} url_schemes[] = {
    {"imap", "imap", MC_TLS_NONE, 143, false},     {"imaps", "imap", MC_TLS_IMPLICIT, 993, false},
    {"pop3", "pop3", MC_TLS_NONE, 110, false},     {"pop3s", "pop3", MC_TLS_IMPLICIT, 995, false},
    {"smtp", "smtp", MC_TLS_NONE, 25, false},      {"submission", "smtp", MC_TLS_NONE, 587, true},
    {"smtps", "smtp", MC_TLS_IMPLICIT, 465, true}, {"lmtp", "lmtp", MC_TLS_NONE, 24, false},
};
#define URL_SCHEME_COUNT (sizeof url_schemes / sizeof url_schemes[0])

START_TEST(url_every_scheme)
{
    struct mc_target *t = NULL;
    struct mc_buf err = {0};
    for (size_t i = 0; i < URL_SCHEME_COUNT; i++) {
        char url[64];
        snprintf(url, sizeof url, "%s://u:p@host.example", url_schemes[i].scheme);
        ck_assert_msg(mc_target_add_url(&t, url, &err) == 0, "%s: %s", url, err.data);
        const struct mc_endpoint *e = &t->endpoints[i];
        ck_assert_str_eq(e->name, url_schemes[i].scheme);
        ck_assert_ptr_eq(e->proto, mc_protocol_find(url_schemes[i].protocol));
        ck_assert_int_eq(e->tls, url_schemes[i].tls);
        ck_assert_int_eq(e->port, url_schemes[i].port);
        ck_assert_int_eq(e->auth_required, url_schemes[i].auth_required);
    }
    /* A scheme added to a protocol table needs a row above. */
    ck_assert_ptr_null(mc_scheme_at(URL_SCHEME_COUNT, NULL));
    ck_assert_ptr_nonnull(strstr(t->source, "lmtp://host.example"));
    mc_target_free(t);
    mc_buf_free(&err);
}
END_TEST

START_TEST(url_error_lists_every_scheme)
{
    struct mc_target *t = NULL;
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_target_add_url(&t, "IMAP://h", &err), -1); /* schemes are lower case */
    ck_assert_ptr_nonnull(strstr(err.data, "IMAP://h: not a target URL: expected "));
    for (size_t i = 0; i < URL_SCHEME_COUNT; i++) {
        char want[32];
        snprintf(want, sizeof want, " %s://", url_schemes[i].scheme);
        ck_assert_msg(strstr(err.data, want) != NULL, "%s not in: %s", want, err.data);
    }
    ck_assert_ptr_nonnull(strstr(err.data, ", smtps:// or lmtp://\n"));
    ck_assert_ptr_null(t);
    mc_buf_free(&err);
}
END_TEST

static const char good_profile[] =
    "{\n"
    "  \"name\": \"x\", \"domain\": \"example.test\",\n"
    "  \"endpoints\": {\n"
    "    \"submission\": {\"protocol\": \"smtp\", \"port\": 2587, \"auth_required\": true},\n"
    "    \"smtp\": {\"protocol\": \"smtp\", \"port\": 2525},\n"
    "    \"smtps\": {\"protocol\": \"smtp\", \"port\": 2465, \"tls\": \"implicit\"},\n"
    "    \"lmtp\": {\"protocol\": \"lmtp\", \"port\": 2424}\n"
    "  },\n"
    "  \"users\": [{\"user\": \"a\", \"password\": \"b\"}],\n"
    "  \"fixtures\": {\"deliver\": \"lmtp\"},\n"
    "  \"reset\": [\"/bin/true\", \"${user}\"],\n"
    "  \"deviations\": [{\"scenario\": \"smtp.auth.*\", \"reason\": \"because\"}]\n"
    "}\n";

START_TEST(profile_and_endpoint_choice)
{
    struct mc_buf err = {0};
    struct mc_target *t = profile(good_profile, &err);
    ck_assert_msg(t != NULL, "%s", err.data ? err.data : "");
    ck_assert_str_eq(t->domain, "example.test");
    ck_assert_str_eq(t->deliver_endpoint, "lmtp");
    ck_assert_str_eq(t->reset_command[1], "${user}");
    ck_assert_ptr_null(t->reset_command[2]);
    struct mc_session_spec plain = {.proto = &mc_proto_smtp, .tls = MC_TLS_NONE, .user = 1};
    struct mc_session_spec tls = {.proto = &mc_proto_smtp, .tls = MC_TLS_IMPLICIT, .user = 1};
    struct mc_session_spec named = {.proto = &mc_proto_smtp, .endpoint = "submission"};
    struct mc_session_spec pop = {.proto = &mc_proto_pop3};
    struct mc_buf why = {0};
    /* "smtp" wins over "submission" though it comes later */
    ck_assert_str_eq(mc_target_endpoint_for(t, &plain, &why)->name, "smtp");
    ck_assert_str_eq(mc_target_endpoint_for(t, &tls, &why)->name, "smtps");
    ck_assert_str_eq(mc_target_endpoint_for(t, &named, &why)->name, "submission");
    ck_assert_ptr_null(mc_target_endpoint_for(t, &pop, &why));
    ck_assert_ptr_nonnull(strstr(why.data, "no pop3 endpoint"));
    ck_assert_ptr_nonnull(mc_target_deviation_for(t, "smtp.auth.plain"));
    ck_assert_ptr_null(mc_target_deviation_for(t, "smtp.session.happy"));
    mc_target_free(t);
    mc_buf_free(&err);
    mc_buf_free(&why);
}
END_TEST

/* Without an endpoint name, the endpoint named after the protocol or its own scheme in the
   TLS mode asked for wins over earlier ones; with none of those, the first that fits. */
START_TEST(endpoint_choice_prefers_the_protocols_own_scheme)
{
    struct mc_buf err = {0}, why = {0};
    struct mc_target *t =
        profile("{\"name\": \"x\", \"domain\": \"d\", \"endpoints\": {\n"
                "  \"imap-alt\": {\"protocol\": \"imap\", \"port\": 1, \"tls\": \"implicit\"},\n"
                "  \"imaps\": {\"protocol\": \"imap\", \"port\": 2, \"tls\": \"implicit\"},\n"
                "  \"pop-alt\": {\"protocol\": \"pop3\", \"port\": 3, \"tls\": \"implicit\"},\n"
                "  \"pop-x\": {\"protocol\": \"pop3\", \"port\": 4, \"tls\": \"implicit\"},\n"
                "  \"pop3\": {\"protocol\": \"pop3\", \"port\": 5, \"tls\": \"implicit\"},\n"
                "  \"lmtp-b\": {\"protocol\": \"lmtp\", \"port\": 6}}}\n",
                &err);
    ck_assert_msg(t != NULL, "%s", err.data ? err.data : "");
    struct mc_session_spec imaps = {.proto = &mc_proto_imap, .tls = MC_TLS_IMPLICIT};
    struct mc_session_spec pop3s = {.proto = &mc_proto_pop3, .tls = MC_TLS_IMPLICIT};
    struct mc_session_spec lmtp = {.proto = &mc_proto_lmtp, .tls = MC_TLS_NONE};
    struct mc_session_spec imap = {.proto = &mc_proto_imap, .tls = MC_TLS_NONE};
    ck_assert_int_eq(mc_target_endpoint_for(t, &imaps, &why)->port, 2);
    /* an endpoint named like the protocol counts in either TLS mode */
    ck_assert_int_eq(mc_target_endpoint_for(t, &pop3s, &why)->port, 5);
    ck_assert_int_eq(mc_target_endpoint_for(t, &lmtp, &why)->port, 6);
    ck_assert_ptr_null(mc_target_endpoint_for(t, &imap, &why));
    ck_assert_str_eq(why.data, "the target has no imap endpoint");
    mc_target_free(t);
    mc_buf_free(&err);
    mc_buf_free(&why);
}
END_TEST

START_TEST(profile_errors_have_positions)
{
    struct mc_buf err = {0};
    struct mc_target *t = profile("{\"endpoints\": {\"imap\": {\"protocol\": \"imapx\",\n"
                                  "  \"port\": 0, \"tsl\": \"none\"}},\n"
                                  " \"users\": [{\"user\": \"a\"}], \"extra\": 1}\n",
                                  &err);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(
        err.data, ":1:37: endpoints.imap.protocol: must be one of pop3, imap, smtp, lmtp\n"));
    ck_assert_ptr_nonnull(strstr(err.data, ":2:11: endpoints.imap.port: must be an integer"));
    ck_assert_ptr_nonnull(strstr(err.data, ":2:21: endpoints.imap.tsl: unknown key"));
    ck_assert_ptr_nonnull(strstr(err.data, ":3:12: users[0].password: is required"));
    ck_assert_ptr_nonnull(strstr(err.data, "extra: unknown key"));
    mc_buf_free(&err);

    t = profile("{\"endpoints\": {}", &err); /* a JSON syntax error */
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err.data, ":1:"));
    mc_buf_free(&err);

    t = mc_target_load_profile("/nonexistent/target.json", &err);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err.data, "cannot read"));
    mc_buf_free(&err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("target");
    TCase *tc = tcase_create("target");
    tcase_add_test(tc, url_defaults_and_credentials);
    tcase_add_test(tc, url_errors);
    tcase_add_test(tc, url_every_scheme);
    tcase_add_test(tc, url_error_lists_every_scheme);
    tcase_add_test(tc, endpoint_choice_prefers_the_protocols_own_scheme);
    tcase_add_test(tc, profile_and_endpoint_choice);
    tcase_add_test(tc, profile_errors_have_positions);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
