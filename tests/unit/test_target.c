/*
 * test_target — target URLs, profiles (with file:line:col errors), endpoint choice, deviations.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/target.h"

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

START_TEST(profile_errors_have_positions)
{
    struct mc_buf err = {0};
    struct mc_target *t = profile("{\"endpoints\": {\"imap\": {\"protocol\": \"imapx\",\n"
                                  "  \"port\": 0, \"tsl\": \"none\"}},\n"
                                  " \"users\": [{\"user\": \"a\"}], \"extra\": 1}\n",
                                  &err);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err.data, ":1:37: endpoints.imap.protocol: must be one of"));
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
    tcase_add_test(tc, profile_and_endpoint_choice);
    tcase_add_test(tc, profile_errors_have_positions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
