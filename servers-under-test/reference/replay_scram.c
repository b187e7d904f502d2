/*
 * replay_scram — SCRAM exchanges (RFC 5802, RFC 7677) answered for real by the replay. A SCRAM
 * server's messages depend on what only one run of the client knows: the server-first-message
 * repeats the client's nonce, the server-final-message is a signature over the whole exchange
 * with the salted password. So the replay cannot send the recorded ones; it acts as a SCRAM
 * server instead, with lib/sasl_server.c (the reference server's own SCRAM), set up with what
 * the recording shows: the recorded salt and iteration count, and the recorded server part of
 * the nonce appended to the live client's nonce. The password is the one the replay gives the
 * user in its target profile (rp_replay_password), so a client of the replay proves it knows
 * it, and the signature it gets back verifies.
 *
 * When loading (rp_scram_mark), an exchange whose recording reached a server-first-message
 * gets its steps marked: its command (RP_SASL_START), the client's responses (RP_SASL_RESPONSE,
 * matched as recorded, masked, then fed to the SCRAM server) and the challenges carrying the
 * server-first and server-final messages (RP_SASL_COMPUTED). Everything else of the exchange
 * is played as recorded: an empty first challenge, a recorded "e=" error, the verdict — so a
 * recorded refusal is replayed as a refusal. When the recording holds a server-final-message
 * but the live client's proof is wrong, there is no recorded answer to give: that client left
 * the recorded dialogue, and the player treats it as a deviation (docs/decisions.md).
 *
 * What cannot be replayed is refused when loading, with where and why: SCRAM messages
 * recorded unmasked (`run --keep-secrets`: such a replay is run with the recorded passwords,
 * which the replay does not know), a mechanism lib/sasl_server.c does not speak (-PLUS, that
 * is channel binding, or another hash), or recorded parameters beyond its bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/base64.h"
#include "lib/scram.h"
#include "reference/replay_int.h"

/* The prefix every SCRAM mechanism's name has (RFC 5802 section 4). */
#define SCRAM_PREFIX "SCRAM-"

void rp_scram_rec_free(struct rp_scram_rec *rec)
{
    if (!rec)
        return;
    free(rec->mech);
    free(rec->nonce);
    free(rec->salt_b64);
    free(rec);
}

/* --- loading --- */

/* A recorded exchange being looked at. */
struct exchange {
    struct rp_play *pl;
    size_t start; /* the command's step */
    int session;
    struct rp_sasl_start cmd;
    size_t *responses, response_count;
    size_t *computed, computed_count;
    size_t first; /* the server-first-message's step, or SIZE_MAX */
    struct mc_buf server_first;
};

static void push(size_t **v, size_t *n, size_t value)
{
    *v = mc_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = value;
}

/* Decoded bytes of a recorded challenge step, or false when the step is not one. */
static bool challenge_bytes(const struct rp_proto *proto, const struct rp_step *st,
                            struct mc_buf *out)
{
    const char *b64;
    size_t n;
    mc_buf_reset(out);
    return rp_proto_challenge(proto, st->data, st->len, &b64, &n) &&
           mc_base64_decode(b64, n, out) >= 0;
}

/* Collects the exchange's steps of its session, up to the server's verdict (a server line
   that is no challenge) or anything else that ends it. */
static void collect(struct exchange *x, const struct rp_proto *proto)
{
    struct mc_buf msg = {0};
    for (size_t j = x->start + 1; j < x->pl->step_count; j++) {
        const struct rp_step *st = &x->pl->steps[j];
        if (st->session != x->session)
            continue;
        if (st->kind == RP_EXPECT_LINE) {
            push(&x->responses, &x->response_count, j);
            continue;
        }
        if (st->kind != RP_SEND || !challenge_bytes(proto, st, &msg))
            break;
        bool server_first = x->first == SIZE_MAX && msg.len > 2 && memcmp(msg.data, "r=", 2) == 0;
        bool server_final = x->first != SIZE_MAX && msg.len > 2 && memcmp(msg.data, "v=", 2) == 0;
        if (server_first) {
            x->first = j;
            mc_buf_append(&x->server_first, msg.data, msg.len);
        }
        if (server_first || server_final)
            push(&x->computed, &x->computed_count, j);
    }
    mc_buf_free(&msg);
}

/* server-first-message = "r=" nonce "," "s=" salt "," "i=" count ["," extensions]
   (RFC 5802 section 7); NULL when the recorded one is not that. */
static struct rp_scram_rec *parse_server_first(const struct exchange *x)
{
    const char *p = x->server_first.data, *end = p + x->server_first.len;
    const char *nonce, *salt, *count;
    size_t nonce_len, salt_len, count_len;
    if (!mc_scram_attr(&p, end, 'r', &nonce, &nonce_len) ||
        !mc_scram_attr(&p, end, 's', &salt, &salt_len) ||
        !mc_scram_attr(&p, end, 'i', &count, &count_len) || count_len == 0 || count_len > 9)
        return NULL;
    int iterations = 0;
    for (size_t i = 0; i < count_len; i++) {
        if (count[i] < '0' || count[i] > '9')
            return NULL;
        iterations = iterations * 10 + (count[i] - '0');
    }
    struct rp_scram_rec *rec = mc_xcalloc(1, sizeof *rec);
    rec->mech = mc_xstrndup(x->cmd.mech, x->cmd.mech_len);
    rec->nonce = mc_xstrndup(nonce, nonce_len);
    rec->salt_b64 = mc_xstrndup(salt, salt_len);
    rec->iterations = iterations;
    return rec;
}

static bool never_known(void *ctx, const char *user, struct mc_buf *password)
{
    (void)ctx, (void)user, (void)password;
    return false;
}

/* Whether lib/sasl_server.c takes the recorded parameters (its bounds, the nonce's syntax). */
static bool params_usable(const struct rp_scram_rec *rec)
{
    struct mc_sasl_server *s = mc_sasl_server_new(rec->mech, NULL, never_known, NULL);
    bool ok = s && rec->iterations > 0 &&
              mc_sasl_server_set_scram_params(s, rec->salt_b64, rec->nonce, rec->iterations);
    mc_sasl_server_free(s);
    return ok;
}

/* A client message the report masked: the mask, an empty response, or "*" (a cancel). */
static bool masked(const char *p, size_t n)
{
    return n == 0 || (n == 1 && (p[0] == '*' || p[0] == '=')) ||
           (n >= strlen(RP_MASK_SASL) && memcmp(p, RP_MASK_SASL, strlen(RP_MASK_SASL)) == 0);
}

static int refuse(const struct exchange *x, const char *where, struct mc_buf *err, const char *why)
{
    mc_buf_printf(err, "%s (%s): transcript[%zu]: %s", where, x->pl->id,
                  x->pl->steps[x->start].entry, why);
    return -1;
}

/* Checks one exchange found at its command and marks its steps; 0 when there is nothing to
   mark (no server-first-message recorded: it is played as recorded). */
static int mark_exchange(struct exchange *x, const struct rp_proto *proto, const char *where,
                         struct mc_buf *err)
{
    collect(x, proto);
    if (x->first == SIZE_MAX)
        return 0;
    char *mech = mc_xstrndup(x->cmd.mech, x->cmd.mech_len);
    bool known = mc_sasl_server_known(mech);
    free(mech);
    if (!known)
        return refuse(x, where, err,
                      "its SASL exchange reached a SCRAM server-first-message, but the replay "
                      "answers SCRAM only as SCRAM-SHA-1 and SCRAM-SHA-256 without channel "
                      "binding (no -PLUS): it cannot answer this one");
    bool unmasked = x->cmd.ir && !masked(x->cmd.ir, x->cmd.ir_len);
    for (size_t k = 0; k < x->response_count; k++) {
        const struct rp_step *st = &x->pl->steps[x->responses[k]];
        unmasked = unmasked || !masked(st->data, st->len);
    }
    if (unmasked)
        return refuse(x, where, err,
                      "its SCRAM messages were recorded unmasked (run --keep-secrets): such a "
                      "replay is run with the recorded passwords, which the replay does not "
                      "know, so it cannot check the client's proof nor sign its answer; record "
                      "again without --keep-secrets, or without this scenario (-x ID)");
    struct rp_scram_rec *rec = parse_server_first(x);
    if (!rec)
        return 0; /* not a server-first-message after all: the recorded bytes go out as such */
    if (!params_usable(rec)) {
        rp_scram_rec_free(rec);
        return refuse(x, where, err,
                      "the recorded SCRAM server-first-message has a nonce, salt or iteration "
                      "count the replay's SCRAM server cannot take (lib/sasl_server.h bounds)");
    }
    struct rp_step *start = &x->pl->steps[x->start];
    start->sasl = RP_SASL_START;
    start->scram = rec;
    for (size_t k = 0; k < x->response_count; k++)
        x->pl->steps[x->responses[k]].sasl = RP_SASL_RESPONSE;
    for (size_t k = 0; k < x->computed_count; k++)
        x->pl->steps[x->computed[k]].sasl = RP_SASL_COMPUTED;
    return 0;
}

int rp_scram_mark(struct rp_play *pl, const struct rp_endpoint *endpoints, const char *where,
                  struct mc_buf *err)
{
    int rc = 0;
    int *endpoint_of = mc_xcalloc(pl->session_count, sizeof *endpoint_of);
    for (size_t i = 0; rc == 0 && i < pl->step_count; i++) {
        const struct rp_step *st = &pl->steps[i];
        if (st->kind == RP_CONNECT)
            endpoint_of[st->session] = st->endpoint + 1;
        int ep = endpoint_of[st->session] - 1;
        struct exchange x = {.pl = pl, .start = i, .session = st->session, .first = SIZE_MAX};
        if (st->kind != RP_EXPECT_LINE || ep < 0 ||
            !rp_proto_sasl_start(endpoints[ep].proto, st->data, st->len, &x.cmd) ||
            x.cmd.mech_len < strlen(SCRAM_PREFIX) ||
            strncasecmp(x.cmd.mech, SCRAM_PREFIX, strlen(SCRAM_PREFIX)) != 0)
            continue;
        rc = mark_exchange(&x, endpoints[ep].proto, where, err);
        free(x.responses);
        free(x.computed);
        mc_buf_free(&x.server_first);
    }
    free(endpoint_of);
    return rc;
}

/* --- playing --- */

/* The length of the client's nonce in a client-first-message (RFC 5802 section 7: gs2-header,
   then "n=" user, "r=" nonce), or 0 when it is not one (the SCRAM server then says why). */
static size_t client_nonce_len(const char *b64, size_t len, bool initial)
{
    struct mc_buf msg = {0};
    size_t n = 0;
    if (!(initial && len == 1 && b64[0] == '=') && mc_base64_decode(b64, len, &msg) > 0) {
        const char *p = msg.data, *end = p + msg.len, *v;
        const char *comma = memchr(p, ',', msg.len);
        comma = comma ? memchr(comma + 1, ',', (size_t)(end - comma - 1)) : NULL;
        p = comma ? comma + 1 : end;
        size_t vn;
        if (comma && mc_scram_attr(&p, end, 'n', &v, &vn) && mc_scram_attr(&p, end, 'r', &v, &vn))
            n = vn;
    }
    mc_buf_free(&msg);
    return n;
}

/* The SCRAM server, made at the client's first message: the recorded salt and iteration
   count, and the recorded nonce without as many leading octets as the live client's nonce has
   (the recorded client's part, when the same client recorded it); the whole recorded nonce
   when it is not longer than that. */
static void make_server(struct rp_scram_live *x, const char *b64, size_t len, bool initial)
{
    const struct rp_scram_rec *rec = x->rec;
    size_t client = client_nonce_len(b64, len, initial), recorded = strlen(rec->nonce);
    const char *server_part = client < recorded ? rec->nonce + client : rec->nonce;
    x->server = mc_sasl_server_new(rec->mech, NULL, x->lookup, x->ctx);
    if (x->server)
        mc_sasl_server_set_scram_params(x->server, rec->salt_b64, server_part, rec->iterations);
    if (x->server && !initial) { /* the command had no initial response: its empty challenge */
        struct mc_buf ignored = {0};
        mc_sasl_server_wire(x->server, NULL, 0, false, &ignored);
        mc_buf_free(&ignored);
    }
}

/* One client message of the exchange (base64; the initial response when `initial`). */
static void feed(struct rp_scram_live *x, const char *b64, size_t len, bool initial)
{
    if (!x->server)
        make_server(x, b64, len, initial);
    x->ready = false;
    mc_buf_reset(&x->why);
    mc_buf_reset(&x->challenge);
    switch (x->server ? mc_sasl_server_wire(x->server, b64, len, initial, &x->challenge)
                      : MC_SASL_WIRE_FAIL) {
    case MC_SASL_WIRE_CHALLENGE:
        x->ready = true;
        break;
    case MC_SASL_WIRE_SUCCESS:
        mc_buf_append_str(&x->why, "the exchange had already succeeded");
        break;
    case MC_SASL_WIRE_FAIL:
        mc_buf_append_str(&x->why, x->server ? mc_sasl_server_error(x->server)
                                             : "the replay has no SCRAM server for it");
        break;
    case MC_SASL_WIRE_CANCELLED:
        mc_buf_append_str(&x->why, "the client cancelled the exchange (\"*\")");
        break;
    case MC_SASL_WIRE_BAD_BASE64:
        mc_buf_append_str(&x->why, "the client's response is not base64");
        break;
    }
}

void rp_scram_begin(struct rp_scram_live *x, const struct rp_scram_rec *rec, const char *ir,
                    size_t ir_len, mc_sasl_password_lookup lookup, void *ctx)
{
    rp_scram_end(x);
    x->rec = rec;
    x->lookup = lookup;
    x->ctx = ctx;
    mc_buf_append_str(&x->why, "the client has not sent its client-first-message");
    if (ir)
        feed(x, ir, ir_len, true);
}

void rp_scram_response(struct rp_scram_live *x, const char *line, size_t len)
{
    if (x->rec)
        feed(x, line, len, false);
}

bool rp_scram_challenge(struct rp_scram_live *x, struct mc_buf *b64, struct mc_buf *why)
{
    mc_buf_reset(b64);
    mc_buf_reset(why);
    if (!x->rec || !x->ready) {
        mc_buf_append_str(why,
                          x->rec && x->why.len ? x->why.data : "no SCRAM exchange is going on");
        return false;
    }
    mc_buf_append(b64, x->challenge.data ? x->challenge.data : "", x->challenge.len);
    x->ready = false;
    return true;
}

void rp_scram_end(struct rp_scram_live *x)
{
    mc_sasl_server_free(x->server);
    mc_buf_free(&x->challenge);
    mc_buf_free(&x->why);
    *x = (struct rp_scram_live){0};
}
