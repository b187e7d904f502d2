/*
 * test_replay_scram — SCRAM answered for real by the replay (servers-under-test/reference/
 * replay_scram.c). Playing: with the RFC 7677 exchange as the "recording", the replay's
 * server-first keeps the recorded salt, iteration count and server nonce part behind the live
 * client's nonce, and its server-final is the RFC's signature; a round trip with the harness's
 * own client and the replay's password verifies; a wrong proof, an unknown user and a cancel
 * earn no challenge, and say why. Loading: a recorded exchange's steps are marked (command,
 * responses, computed challenges; a recorded refusal stays as recorded), and what cannot be
 * replayed (unmasked messages, -PLUS, parameters beyond the SCRAM server's bounds) is refused
 * with where and why.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/base64.h"
#include "lib/sasl.h"
#include "reference/replay_int.h"
#include "support_check.h"

/* RFC 7677 section 3: user "user", password "pencil". */
#define S256_NONCE "rOprNGfwEbeRWgbNEkqO"
#define S256_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define S256_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define S256_CLIENT_FIRST "n,,n=user,r=" S256_NONCE
#define S256_SERVER_FIRST "r=" S256_NONCE S256_SNONCE ",s=" S256_SALT ",i=4096"
#define S256_CLIENT_FINAL                                                                          \
    "c=biws,r=" S256_NONCE S256_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define S256_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* Another run's server nonce part and salt, as a recording holds them. */
#define REC_CLIENT_NONCE "WuzWf08geF5zCCYtpZ20AjyMf95RwaOA"
#define REC_SERVER_NONCE "<`9t0@$\"o*%?&NAfp*l@P5>S{Kf3~Xc"
#define REC_SALT "9mdHrWGVXzWl3fe6mB3L6A=="

/* A live client's nonce as long as the recorded client's (the same client, another run). */
#define LIVE_NONCE "LiveClientNonceOfThisRun01234567"

/* The RFC's password for "user"; the replay's own for the recorded "mc01". */
static bool lookup(void *ctx, const char *user, struct mc_buf *password)
{
    (void)ctx;
    if (strcmp(user, "user") == 0) {
        mc_buf_append_str(password, "pencil");
        return true;
    }
    if (strcmp(user, "mc01") == 0) {
        rp_replay_password(user, password);
        return true;
    }
    return false;
}

static char *b64(const char *raw, size_t len)
{
    struct mc_buf out = {0};
    mc_base64_encode(raw, len, &out);
    mc_buf_append(&out, "", 0);
    return mc_buf_steal(&out);
}

static char *b64s(const char *raw)
{
    return b64(raw, strlen(raw));
}

/* The challenge due now, decoded; fails the test when there is none. */
static char *challenge(struct rp_scram_live *x)
{
    struct mc_buf enc = {0}, why = {0}, raw = {0};
    ck_assert_msg(rp_scram_challenge(x, &enc, &why), "no challenge: %s", why.data);
    ck_assert_int_ge(mc_base64_decode(enc.data, enc.len, &raw), 0);
    mc_buf_append(&raw, "", 0);
    mc_buf_free(&enc);
    mc_buf_free(&why);
    return mc_buf_steal(&raw);
}

/* None is due; returns why. */
static char *no_challenge(struct rp_scram_live *x)
{
    struct mc_buf enc = {0}, why = {0};
    ck_assert(!rp_scram_challenge(x, &enc, &why));
    mc_buf_free(&enc);
    return mc_buf_steal(&why);
}

static struct rp_scram_rec rec_of(const char *mech, const char *nonce, const char *salt)
{
    return (struct rp_scram_rec){
        .mech = (char *)mech, .nonce = (char *)nonce, .salt_b64 = (char *)salt, .iterations = 4096};
}

START_TEST(test_rfc7677_exchange_reproduced)
{
    /* The recording is the RFC's exchange; the live client sends the RFC's messages: the
       replay's answers are the RFC's, byte for byte. */
    struct rp_scram_rec rec = rec_of("SCRAM-SHA-256", S256_NONCE S256_SNONCE, S256_SALT);
    struct rp_scram_live x = {0};
    char *ir = b64s(S256_CLIENT_FIRST), *final = b64s(S256_CLIENT_FINAL);
    rp_scram_begin(&x, &rec, ir, strlen(ir), lookup, NULL);
    char *first = challenge(&x);
    ck_assert_str_eq(first, S256_SERVER_FIRST);
    rp_scram_response(&x, final, strlen(final));
    char *signature = challenge(&x);
    ck_assert_str_eq(signature, S256_SERVER_FINAL);
    /* each challenge goes out once */
    free(no_challenge(&x));
    rp_scram_end(&x);
    free(ir), free(final), free(first), free(signature);
}
END_TEST

/* A full exchange with the harness's client as user/password, the command carrying the
   client-first-message or not; returns the SCRAM client's state at the end. */
static bool round_trip(const char *mech, const char *user, const char *password, bool with_ir,
                       char **why)
{
    struct rp_scram_rec rec = rec_of(mech, REC_CLIENT_NONCE REC_SERVER_NONCE, REC_SALT);
    struct rp_scram_live x = {0};
    struct mc_sasl *client = mc_sasl_new(mech, user, password);
    struct mc_buf msg = {0};
    ck_assert_ptr_nonnull(client);
    mc_sasl_set_nonce(client, LIVE_NONCE);
    ck_assert(mc_sasl_initial(client, &msg));
    char *enc = b64(msg.data, msg.len);
    if (with_ir) {
        rp_scram_begin(&x, &rec, enc, strlen(enc), lookup, NULL);
    } else {
        rp_scram_begin(&x, &rec, NULL, 0, lookup, NULL);
        free(no_challenge(&x)); /* the command's empty challenge is the recorded one */
        rp_scram_response(&x, enc, strlen(enc));
    }
    free(enc);
    char *first = challenge(&x);
    /* the live client's nonce, then the recorded server part; the recorded salt and count */
    ck_assert_str_eq(first, "r=" LIVE_NONCE REC_SERVER_NONCE ",s=" REC_SALT ",i=4096");
    mc_buf_reset(&msg);
    ck_assert_int_eq(mc_sasl_step(client, first, strlen(first), &msg), MC_SASL_CONTINUE);
    enc = b64(msg.data, msg.len);
    rp_scram_response(&x, enc, strlen(enc));
    free(enc);
    struct mc_buf got = {0};
    bool ok = rp_scram_challenge(&x, &got, &msg);
    *why = ok ? NULL : mc_xstrdup(msg.data);
    if (ok) {
        struct mc_buf raw = {0}, reply = {0};
        ck_assert_int_ge(mc_base64_decode(got.data, got.len, &raw), 0);
        ck_assert_int_ne(mc_sasl_step(client, raw.data, raw.len, &reply), MC_SASL_FAIL);
        ck_assert_msg(mc_sasl_complete(client), "the client rejects the signature: %s",
                      mc_sasl_error(client));
        mc_buf_free(&raw);
        mc_buf_free(&reply);
    }
    mc_buf_free(&got);
    mc_buf_free(&msg);
    mc_sasl_free(client);
    free(first);
    rp_scram_end(&x);
    return ok;
}

START_TEST(test_round_trip_with_the_replay_password)
{
    struct mc_buf pw = {0};
    char *why;
    rp_replay_password("mc01", &pw);
    ck_assert_str_eq(pw.data, "replay-mc01");
    ck_assert(round_trip("SCRAM-SHA-256", "mc01", pw.data, true, &why));
    ck_assert(round_trip("SCRAM-SHA-1", "mc01", pw.data, true, &why));
    ck_assert(round_trip("SCRAM-SHA-256", "mc01", pw.data, false, &why));
    mc_buf_free(&pw);
}
END_TEST

START_TEST(test_server_part_with_another_client_nonce_length)
{
    /* The recorded client's nonce is masked: the replay takes the recorded server part to
       start after as many octets as the live client's nonce has; the whole recorded nonce
       when the live one is not shorter. Either way a valid nonce that extends the client's. */
    struct rp_scram_rec rec = rec_of("SCRAM-SHA-256", REC_CLIENT_NONCE REC_SERVER_NONCE, REC_SALT);
    struct rp_scram_live x = {0};
    char *ir = b64s("n,,n=mc01,r=" LIVE_NONCE "xy"), *first;
    rp_scram_begin(&x, &rec, ir, strlen(ir), lookup, NULL);
    first = challenge(&x);
    ck_assert_str_eq(first, "r=" LIVE_NONCE "xy"
                            "9t0@$\"o*%?&NAfp*l@P5>S{Kf3~Xc,s=" REC_SALT ",i=4096");
    free(ir), free(first);
    ir = b64s("n,,n=mc01,r=" REC_CLIENT_NONCE REC_SERVER_NONCE "z");
    rp_scram_begin(&x, &rec, ir, strlen(ir), lookup, NULL);
    first = challenge(&x);
    ck_assert_str_eq(first, "r=" REC_CLIENT_NONCE REC_SERVER_NONCE
                            "z" REC_CLIENT_NONCE REC_SERVER_NONCE ",s=" REC_SALT ",i=4096");
    free(ir), free(first);
    rp_scram_end(&x);
}
END_TEST

START_TEST(test_wrong_proof_earns_no_signature)
{
    char *why = NULL;
    ck_assert(!round_trip("SCRAM-SHA-256", "mc01", "the-recorded-password", true, &why));
    ck_assert_ptr_nonnull(strstr(why, "wrong proof for \"mc01\""));
    free(why);
    ck_assert(!round_trip("SCRAM-SHA-1", "mc01", "", false, &why));
    ck_assert_ptr_nonnull(strstr(why, "wrong proof"));
    free(why);
    ck_assert(!round_trip("SCRAM-SHA-256", "nobody", "replay-nobody", true, &why));
    ck_assert_ptr_nonnull(strstr(why, "unknown user"));
    free(why);
}
END_TEST

START_TEST(test_cancel_and_garbage_say_why)
{
    struct rp_scram_rec rec = rec_of("SCRAM-SHA-256", S256_NONCE S256_SNONCE, S256_SALT);
    struct rp_scram_live x = {0};
    char *ir = b64s(S256_CLIENT_FIRST), *why;
    rp_scram_begin(&x, &rec, ir, strlen(ir), lookup, NULL);
    free(challenge(&x));
    rp_scram_response(&x, "*", 1);
    why = no_challenge(&x);
    ck_assert_ptr_nonnull(strstr(why, "cancelled"));
    free(why);

    rp_scram_begin(&x, &rec, ir, strlen(ir), lookup, NULL); /* a new exchange */
    free(challenge(&x));
    rp_scram_response(&x, "not base64!", 11);
    why = no_challenge(&x);
    ck_assert_ptr_nonnull(strstr(why, "not base64"));
    free(why);

    rp_scram_begin(&x, &rec, "=", 1, lookup, NULL); /* an empty client-first-message */
    why = no_challenge(&x);
    ck_assert_ptr_nonnull(strstr(why, "gs2"));
    free(why);
    rp_scram_end(&x);
    free(ir);
}
END_TEST

/* --- loading --- */

static char report_path[64];

/* A report with one POP3 scenario whose transcript is `entries` (session "a"); loaded. */
static struct rp_replay *load(json_t *entries, struct mc_buf *err)
{
    json_t *transcript = json_array();
    json_array_append_new(transcript, json_pack("{s:s,s:s,s:s}", "dir", "event", "session", "a",
                                                "text", "connect 127.0.0.1:1 (pop3)"));
    json_array_append_new(transcript, json_pack("{s:s,s:s,s:s}", "dir", "server", "session", "a",
                                                "text", "+OK ready\r\n"));
    json_array_extend(transcript, entries);
    json_decref(entries);
    json_t *report =
        json_pack("{s:s,s:i,s:{s:s},s:[{s:s,s:s,s:s,s:[]}],s:[{s:s,s:s,s:[s],s:[{s:s}],s:o}]}",
                  "format", "mailconform-report", "format_version", 1, "target", "name", "recorded",
                  "endpoints", "name", "pop3", "protocol", "pop3", "tls", "none", "transcript",
                  "scenarios", "id", "pop3.auth.sasl-scram-sha-256", "run_id", "5f69fef176e8",
                  "users", "mc01", "sessions", "name", "a", "transcript", transcript);
    ck_assert_ptr_nonnull(report);
    strcpy(report_path, "/tmp/mc-test-replay-scram-XXXXXX");
    int fd = mkstemp(report_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(json_dump_file(report, report_path, 0), 0);
    json_decref(report);
    struct rp_replay *rp = rp_replay_load(report_path, err);
    unlink(report_path);
    return rp;
}

static json_t *entry(const char *dir, const char *text)
{
    return json_pack("{s:s,s:s,s:s}", "dir", dir, "session", "a", "text", text);
}

/* "+ " and the base64 of `raw`, as POP3 frames a challenge. */
static json_t *challenge_entry(const char *raw)
{
    char *enc = b64s(raw), line[512];
    snprintf(line, sizeof line, "+ %s\r\n", enc);
    free(enc);
    return entry("server", line);
}

/* The POP3 exchange as a recording holds it: `command`, the server-first, the masked
   client-final, then `after` (the server-final and what follows, or a refusal). */
static json_t *exchange(const char *command, const char *server_first, json_t *after)
{
    json_t *e = json_array();
    json_array_append_new(e, entry("client", command));
    json_array_append_new(e, challenge_entry(server_first));
    json_array_append_new(e, entry("client", "[redacted SASL response]\r\n"));
    json_array_extend(e, after);
    json_decref(after);
    return e;
}

static json_t *accepted(void)
{
    return json_pack("[o,o,o]",
                     challenge_entry("v="
                                     "8QAW8APLqi2PAgs1rTbvmmUdQPPQg6wK/b/8ueGF5Qs="),
                     entry("client", "\r\n"), entry("server", "+OK Logged in.\r\n"));
}

#define RECORDED_FIRST "r=" REC_CLIENT_NONCE REC_SERVER_NONCE ",s=" REC_SALT ",i=4096"

static const struct rp_play *scenario_play(const struct rp_replay *rp)
{
    ck_assert_uint_eq(rp->play_count, 2); /* the (empty) probe, the scenario */
    return &rp->plays[1];
}

START_TEST(test_load_marks_the_exchange)
{
    struct mc_buf err = {0};
    struct rp_replay *rp = load(
        exchange("AUTH SCRAM-SHA-256 [redacted SASL response]\r\n", RECORDED_FIRST, accepted()),
        &err);
    ck_assert_msg(rp != NULL, "%s", err.data);
    const struct rp_play *pl = scenario_play(rp);
    /* connect, greeting, AUTH, server-first, client-final, server-final, "", +OK */
    ck_assert_uint_eq(pl->step_count, 8);
    static const enum rp_sasl_part want[] = {RP_SASL_NONE,     RP_SASL_NONE,     RP_SASL_START,
                                             RP_SASL_COMPUTED, RP_SASL_RESPONSE, RP_SASL_COMPUTED,
                                             RP_SASL_RESPONSE, RP_SASL_NONE};
    for (size_t i = 0; i < pl->step_count; i++)
        ck_assert_msg(pl->steps[i].sasl == want[i], "step %zu is %d, not %d", i, pl->steps[i].sasl,
                      want[i]);
    const struct rp_scram_rec *rec = pl->steps[2].scram;
    ck_assert_ptr_nonnull(rec);
    ck_assert_str_eq(rec->mech, "SCRAM-SHA-256");
    ck_assert_str_eq(rec->nonce, REC_CLIENT_NONCE REC_SERVER_NONCE);
    ck_assert_str_eq(rec->salt_b64, REC_SALT);
    ck_assert_int_eq(rec->iterations, 4096);
    rp_replay_free(rp);
    mc_buf_free(&err);
}
END_TEST

START_TEST(test_load_keeps_a_recorded_refusal)
{
    /* The recorded server refused the proof: the server-first is computed, the refusal is
       played as recorded. */
    struct mc_buf err = {0};
    struct rp_replay *rp =
        load(exchange("AUTH SCRAM-SHA-1 [redacted SASL response]\r\n", RECORDED_FIRST,
                      json_pack("[o]", entry("server", "-ERR [AUTH] Authentication failed.\r\n"))),
             &err);
    ck_assert_msg(rp != NULL, "%s", err.data);
    const struct rp_play *pl = scenario_play(rp);
    ck_assert_uint_eq(pl->step_count, 6);
    ck_assert_int_eq(pl->steps[2].sasl, RP_SASL_START);
    ck_assert_int_eq(pl->steps[3].sasl, RP_SASL_COMPUTED);
    ck_assert_int_eq(pl->steps[4].sasl, RP_SASL_RESPONSE);
    ck_assert_int_eq(pl->steps[5].sasl, RP_SASL_NONE);
    rp_replay_free(rp);
    mc_buf_free(&err);
}
END_TEST

START_TEST(test_load_leaves_other_exchanges_alone)
{
    struct mc_buf err = {0};
    /* refused before any server-first: played as recorded */
    struct rp_replay *rp = load(json_pack("[o,o]", entry("client", "AUTH SCRAM-SHA-256-PLUS =\r\n"),
                                          entry("server", "-ERR Unsupported mechanism\r\n")),
                                &err);
    ck_assert_msg(rp != NULL, "%s", err.data);
    const struct rp_play *pl = scenario_play(rp);
    for (size_t i = 0; i < pl->step_count; i++)
        ck_assert_int_eq(pl->steps[i].sasl, RP_SASL_NONE);
    rp_replay_free(rp);
    /* not SCRAM */
    rp = load(json_pack("[o,o]", entry("client", "AUTH PLAIN [redacted SASL PLAIN response]\r\n"),
                        entry("server", "+OK Logged in.\r\n")),
              &err);
    ck_assert_msg(rp != NULL, "%s", err.data);
    pl = scenario_play(rp);
    for (size_t i = 0; i < pl->step_count; i++)
        ck_assert_int_eq(pl->steps[i].sasl, RP_SASL_NONE);
    rp_replay_free(rp);
    mc_buf_free(&err);
}
END_TEST

/* Loading refuses, saying `what`, with the file and where. */
static void refused(json_t *entries, const char *what)
{
    struct mc_buf err = {0};
    struct rp_replay *rp = load(entries, &err);
    ck_assert_ptr_null(rp);
    ck_assert_msg(strstr(err.data, "scenarios[0] (pop3.auth.sasl-scram-sha-256): transcript[2]: "),
                  "%s", err.data);
    ck_assert_msg(strstr(err.data, what), "%s", err.data);
    ck_assert_msg(strncmp(err.data, "/tmp/mc-test-replay-scram-", 26) == 0, "%s", err.data);
    mc_buf_free(&err);
}

START_TEST(test_load_refuses_what_cannot_be_replayed)
{
    /* --keep-secrets: the client-first-message as sent */
    char *ir = b64s("n,,n=mc01,r=" REC_CLIENT_NONCE), line[256];
    snprintf(line, sizeof line, "AUTH SCRAM-SHA-256 %s\r\n", ir);
    refused(exchange(line, RECORDED_FIRST, accepted()), "recorded unmasked (run --keep-secrets)");
    free(ir);
    /* channel binding */
    refused(exchange("AUTH SCRAM-SHA-256-PLUS [redacted SASL response]\r\n", RECORDED_FIRST,
                     accepted()),
            "no -PLUS");
    /* beyond lib/sasl_server.h's bounds: an iteration count, a salt of 100 octets */
    refused(exchange("AUTH SCRAM-SHA-256 [redacted SASL response]\r\n",
                     "r=" REC_CLIENT_NONCE REC_SERVER_NONCE ",s=" REC_SALT ",i=2000000",
                     accepted()),
            "cannot take");
    refused(exchange("AUTH SCRAM-SHA-256 [redacted SASL response]\r\n",
                     "r=abc,s="
                     "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
                     "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB,i=4096",
                     accepted()),
            "cannot take");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("replay_scram");
    TCase *play = tcase_create("play");
    tcase_add_test(play, test_rfc7677_exchange_reproduced);
    tcase_add_test(play, test_round_trip_with_the_replay_password);
    tcase_add_test(play, test_server_part_with_another_client_nonce_length);
    tcase_add_test(play, test_wrong_proof_earns_no_signature);
    tcase_add_test(play, test_cancel_and_garbage_say_why);
    suite_add_tcase(s, play);
    TCase *loading = tcase_create("load");
    tcase_add_test(loading, test_load_marks_the_exchange);
    tcase_add_test(loading, test_load_keeps_a_recorded_refusal);
    tcase_add_test(loading, test_load_leaves_other_exchanges_alone);
    tcase_add_test(loading, test_load_refuses_what_cannot_be_replayed);
    suite_add_tcase(s, loading);
    return s;
}

int main(void)
{
    return mc_check_run(suite());
}
