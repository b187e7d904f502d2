/*
 * sasl_server — server side of PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-1/-256 (see sasl_server.h).
 *
 * Each mechanism is one row of `server_mechs`: its name, its SCRAM hash, whether it takes an
 * initial response, the function that makes the first challenge when there was none, and the
 * function that judges one response. The rules every mechanism shares (initial response or not,
 * the bound on a response, success data and its empty acknowledgement, a failure being final)
 * live once, in mc_sasl_server_step.
 *
 * Decisions, on purpose:
 *  - PLAIN and SCRAM accept an authorization identity only when it names the authenticated user
 *    (RFC 4616 section 2, RFC 5802 section 5.1): the reference server has no administrators who
 *    may act for others. Credentials are checked first, so only a user who knows the password
 *    learns that the authzid was refused.
 *  - LOGIN takes the user name as an initial response ("AUTH LOGIN dXNlcg=="), as Postfix,
 *    Dovecot and Exim do and clients rely on; the prompts are "Username:" and "Password:".
 *  - CRAM-MD5 wants the digest in lowercase hex, as RFC 2195 section 2 writes it; the user name
 *    is everything before the LAST space, so names with spaces work.
 *  - SCRAM has no channel binding: gs2 flag "n" and "y" (the client could bind but believes the
 *    server cannot, which is true here, RFC 5802 section 6) are accepted, "p=" is refused. The
 *    mandatory-extension marker "m=" is refused (RFC 5802 section 5.1); optional extensions are
 *    ignored. SASLprep (RFC 4013) is reduced to the "=2C"/"=3D" escapes, which is exact for the
 *    ASCII credentials of test accounts (the client side makes the same choice).
 *  - Every password comparison is constant-time (digests of both sides, or CRYPTO_memcmp of
 *    equal-length MACs), and unknown users cost the same work as known ones.
 * Secrets (passwords, salted passwords, keys) are wiped with OPENSSL_cleanse after use.
 *
 * This file holds the exchange rules, the helpers every mechanism uses, PLAIN, LOGIN and
 * CRAM-MD5; SCRAM lives in sasl_server_scram.c, and what both share in sasl_server_int.h.
 */
#include "lib/sasl_server.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lib/base64.h"
#include "lib/sasl_server_int.h"

/* A host name in text form is at most 253 characters (RFC 1035 section 2.3.4). */
#define SASL_HOSTNAME_MAX 253
/* How much of a peer-supplied value an error message quotes. */
#define SASL_QUOTE_MAX 64
/* CRAM-MD5: HMAC-MD5 is 16 bytes, sent as 32 lowercase hex digits (RFC 2195 section 2). */
#define CRAM_DIGEST_HEX 32
/* A challenge injected by the test hook is bounded like anything else we send. */
#define CRAM_CHALLENGE_MAX 512

enum mc_sasl_server_status mc_sasl_srv_fail(struct mc_sasl_server *s,
                                            enum mc_sasl_server_failure kind, const char *fmt, ...)
{
    if (s->state != STATE_FAILED) {
        va_list ap;
        va_start(ap, fmt);
        mc_buf_reset(&s->error);
        mc_buf_vprintf(&s->error, fmt, ap);
        va_end(ap);
        s->failure = kind;
    }
    s->state = STATE_FAILED;
    return MC_SASL_SERVER_FAIL;
}

/* Peer bytes made safe for an error message: bounded, non-printables as \xHH, into `b`. */
static const char *quote_into(struct mc_buf *b, const char *p, size_t n)
{
    mc_buf_reset(b);
    for (size_t i = 0; i < n && i < SASL_QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            mc_buf_printf(b, "\\x%02x", c);
        else
            mc_buf_append_char(b, (char)c);
    }
    if (n > SASL_QUOTE_MAX)
        mc_buf_append_str(b, "...");
    mc_buf_append(b, "", 0);
    return b->data;
}

/* The same into the object's scratch buffer: valid until the next call. */
const char *mc_sasl_srv_quote(struct mc_sasl_server *s, const char *p, size_t n)
{
    return quote_into(&s->quoted, p, n);
}

/* The user name, quoted into a second scratch buffer so both can appear in one message. */
const char *mc_sasl_srv_quote_user(struct mc_sasl_server *s)
{
    return quote_into(&s->quoted_user, s->user, strlen(s->user));
}

void mc_sasl_srv_secret_free(struct mc_buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    mc_buf_free(b);
}

/* Fetches the password; for an unknown user a stand-in, so the caller does the same work. */
bool mc_sasl_srv_lookup(struct mc_sasl_server *s, const char *user, struct mc_buf *password)
{
    mc_buf_reset(password);
    bool known = s->lookup(s->ctx, user, password);
    if (!known) {
        mc_buf_reset(password);
        mc_buf_append_str(password, "no such user: stand-in password");
    }
    mc_buf_append(password, "", 0); /* data is never NULL, even for an empty password */
    return known;
}

/* Constant-time for any lengths: compares digests of both sides. */
static bool secret_equal(const void *a, size_t an, const void *b, size_t bn)
{
    unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
    unsigned int la = 0, lb = 0;
    bool ok = EVP_Digest(a, an, da, &la, EVP_sha256(), NULL) == 1 &&
              EVP_Digest(b, bn, db, &lb, EVP_sha256(), NULL) == 1 && la == lb &&
              CRYPTO_memcmp(da, db, la) == 0;
    return ok;
}

/* Checks a user's plaintext password: NOT_FAILED, or the failure already recorded. */
static enum mc_sasl_server_status server_check_password(struct mc_sasl_server *s, const char *given,
                                                        size_t given_len)
{
    struct mc_buf password = {0};
    bool known = mc_sasl_srv_lookup(s, s->user, &password);
    bool equal = secret_equal(password.data, password.len, given, given_len);
    mc_sasl_srv_secret_free(&password);
    if (!known)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS, "%s: unknown user \"%s\"",
                                s->mech->name, mc_sasl_srv_quote_user(s));
    if (!equal)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS, "%s: wrong password for \"%s\"",
                                s->mech->name, mc_sasl_srv_quote_user(s));
    return MC_SASL_SERVER_SUCCESS;
}

/* A user name from the wire: non-empty, bounded, no NUL (the lookup takes a C string). */
static bool server_take_user(struct mc_sasl_server *s, const char *p, size_t n, const char *what)
{
    if (n == 0) {
        mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED, "%s: the %s is empty", s->mech->name, what);
        return false;
    }
    if (n > SASL_NAME_MAX) {
        mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED, "%s: the %zu-byte %s exceeds %d bytes",
                         s->mech->name, n, what, SASL_NAME_MAX);
        return false;
    }
    if (memchr(p, '\0', n)) {
        mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED, "%s: the %s \"%s\" contains a NUL byte",
                         s->mech->name, what, mc_sasl_srv_quote(s, p, n));
        return false;
    }
    free(s->user);
    s->user = mc_xstrndup(p, n);
    return true;
}

static enum mc_sasl_server_status empty_challenge(struct mc_sasl_server *s, struct mc_buf *out)
{
    /* A client-first mechanism without an initial response gets an empty challenge (RFC 4422
       section 5, item 2a). */
    (void)s, (void)out;
    return MC_SASL_SERVER_CONTINUE;
}

/* ---- PLAIN (RFC 4616) ---------------------------------------------------------------------- */

static enum mc_sasl_server_status plain_step(struct mc_sasl_server *s, const char *in, size_t len,
                                             struct mc_buf *out)
{
    (void)out;
    /* message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 section 2) */
    const char *end = in + len;
    const char *nul1 = memchr(in, '\0', len);
    const char *nul2 = nul1 ? memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1)) : NULL;
    if (!nul2)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "PLAIN: the message \"%s\" lacks the two NUL separators of "
                                "[authzid] NUL authcid NUL passwd (RFC 4616 section 2)",
                                mc_sasl_srv_quote(s, in, len));
    const char *authzid = in, *authcid = nul1 + 1, *passwd = nul2 + 1;
    size_t authzid_len = (size_t)(nul1 - in), authcid_len = (size_t)(nul2 - authcid);
    size_t passwd_len = (size_t)(end - passwd);
    if (memchr(passwd, '\0', passwd_len))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "PLAIN: the message has more than two NUL separators "
                                "(RFC 4616 section 2)");
    if (passwd_len == 0)
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "PLAIN: the password is empty (RFC 4616 section 2: passwd = 1*SAFE)");
    if (authzid_len > SASL_NAME_MAX)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "PLAIN: the %zu-byte authzid exceeds %d bytes", authzid_len,
                                SASL_NAME_MAX);
    if (!server_take_user(s, authcid, authcid_len, "authcid (RFC 4616 section 2)"))
        return MC_SASL_SERVER_FAIL;
    if (server_check_password(s, passwd, passwd_len) == MC_SASL_SERVER_FAIL)
        return MC_SASL_SERVER_FAIL;
    if (authzid_len > 0 && (authzid_len != authcid_len || memcmp(authzid, authcid, authcid_len)))
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_AUTHZ_REFUSED,
            "PLAIN: \"%s\" may not act as authzid \"%s\"; only an empty authzid "
            "or one equal to the authcid is allowed (RFC 4616 section 2)",
            mc_sasl_srv_quote_user(s), mc_sasl_srv_quote(s, authzid, authzid_len));
    return MC_SASL_SERVER_SUCCESS;
}

/* ---- LOGIN (draft-murchison-sasl-login) ---------------------------------------------------- */

static enum mc_sasl_server_status login_start(struct mc_sasl_server *s, struct mc_buf *out)
{
    (void)s;
    mc_buf_append_str(out, "Username:");
    return MC_SASL_SERVER_CONTINUE;
}

static enum mc_sasl_server_status login_step(struct mc_sasl_server *s, const char *in, size_t len,
                                             struct mc_buf *out)
{
    if (s->stage == 0) {
        if (!server_take_user(s, in, len, "user name (draft-murchison-sasl-login section 2.1)"))
            return MC_SASL_SERVER_FAIL;
        s->stage = 1;
        mc_buf_append_str(out, "Password:");
        return MC_SASL_SERVER_CONTINUE;
    }
    return server_check_password(s, in, len);
}

/* ---- CRAM-MD5 (RFC 2195) ------------------------------------------------------------------- */

static enum mc_sasl_server_status cram_start(struct mc_sasl_server *s, struct mc_buf *out)
{
    if (!s->challenge) {
        /* challenge = "<" random "." timestamp "@" hostname ">", an RFC 5322 msg-id whose
           uniqueness defeats replay (RFC 2195 section 2) */
        uint64_t random = 0;
        if (RAND_bytes((unsigned char *)&random, sizeof random) != 1)
            return mc_sasl_srv_fail(s, MC_SASL_SERVER_TEMPORARY,
                                    "CRAM-MD5: cannot generate a random challenge (RFC 2195 "
                                    "section 2)");
        struct mc_buf b = {0};
        mc_buf_printf(&b, "<%llu.%lld@%s>", (unsigned long long)random, (long long)time(NULL),
                      s->hostname);
        s->challenge = mc_buf_steal(&b);
    }
    mc_buf_append_str(out, s->challenge);
    return MC_SASL_SERVER_CONTINUE;
}

static bool lower_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return false;
    return true;
}

static enum mc_sasl_server_status cram_step(struct mc_sasl_server *s, const char *in, size_t len,
                                            struct mc_buf *out)
{
    (void)out;
    /* response = user SP digest (RFC 2195 section 2); the digest has no space, so the last
       space separates them. */
    size_t sp = len;
    while (sp > 0 && in[sp - 1] != ' ')
        sp--;
    if (sp == 0)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "CRAM-MD5: the response \"%s\" is not \"user SP digest\" "
                                "(RFC 2195 section 2)",
                                mc_sasl_srv_quote(s, in, len));
    const char *digest = in + sp;
    size_t digest_len = len - sp;
    if (digest_len != CRAM_DIGEST_HEX || !lower_hex(digest, digest_len))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "CRAM-MD5: the digest \"%s\" is not %d lowercase hex digits "
                                "(RFC 2195 section 2)",
                                mc_sasl_srv_quote(s, digest, digest_len), CRAM_DIGEST_HEX);
    if (!server_take_user(s, in, sp - 1, "user name (RFC 2195 section 2)"))
        return MC_SASL_SERVER_FAIL;

    struct mc_buf password = {0}, expected = {0};
    bool known = mc_sasl_srv_lookup(s, s->user, &password);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    bool ok = HMAC(EVP_md5(), password.data, (int)password.len, (const unsigned char *)s->challenge,
                   strlen(s->challenge), mac, &mac_len);
    mc_sasl_srv_secret_free(&password);
    if (!ok)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_TEMPORARY,
                                "CRAM-MD5: HMAC-MD5 is not available in this OpenSSL (RFC 2195 "
                                "section 2)");
    mc_buf_append_hex(&expected, mac, mac_len);
    bool equal = expected.len == CRAM_DIGEST_HEX &&
                 CRYPTO_memcmp(expected.data, digest, CRAM_DIGEST_HEX) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    mc_sasl_srv_secret_free(&expected);
    if (!known)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS, "CRAM-MD5: unknown user \"%s\"",
                                mc_sasl_srv_quote_user(s));
    if (!equal)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS,
                                "CRAM-MD5: wrong digest for \"%s\" (RFC 2195 section 2)",
                                mc_sasl_srv_quote_user(s));
    return MC_SASL_SERVER_SUCCESS;
}

/* ---- the mechanism table and the shared exchange rules ------------------------------------- */

static const struct server_mech server_mechs[] = {
    {"PLAIN", NULL, true, empty_challenge, plain_step},
    {"LOGIN", NULL, true, login_start, login_step},
    {"CRAM-MD5", NULL, false, cram_start, cram_step},
    {"SCRAM-SHA-1", EVP_sha1, true, empty_challenge, mc_sasl_srv_scram_step},
    {"SCRAM-SHA-256", EVP_sha256, true, empty_challenge, mc_sasl_srv_scram_step},
};

static const struct server_mech *server_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof server_mechs / sizeof server_mechs[0]; i++)
        if (strcasecmp(server_mechs[i].name, name) == 0)
            return &server_mechs[i];
    return NULL;
}

bool mc_sasl_server_known(const char *mech)
{
    return server_find(mech) != NULL;
}

const char *mc_sasl_server_mechanisms(void)
{
    return "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256";
}

/* A plain host name: letters, digits, "-" and "." (it goes inside a msg-id). */
static bool hostname_valid(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > SASL_HOSTNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
              (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '.'))
            return false;
    return true;
}

struct mc_sasl_server *mc_sasl_server_new(const char *mech, const char *hostname,
                                          mc_sasl_password_lookup lookup, void *ctx)
{
    const struct server_mech *m = server_find(mech);
    if (!m || !lookup)
        return NULL;
    struct mc_sasl_server *s = mc_xcalloc(1, sizeof *s);
    s->mech = m;
    s->hostname = mc_xstrdup(hostname_valid(hostname) ? hostname : "localhost");
    s->lookup = lookup;
    s->ctx = ctx;
    s->state = STATE_START;
    s->iterations = MC_SASL_SERVER_SCRAM_ITERATIONS;
    return s;
}

void mc_sasl_server_free(struct mc_sasl_server *s)
{
    if (!s)
        return;
    free(s->hostname);
    free(s->user);
    free(s->challenge);
    free(s->authzid);
    free(s->server_nonce);
    free(s->nonce);
    mc_buf_free(&s->error);
    mc_buf_free(&s->quoted);
    mc_buf_free(&s->quoted_user);
    mc_buf_free(&s->salt);
    mc_buf_free(&s->gs2_header);
    mc_buf_free(&s->client_first_bare);
    mc_buf_free(&s->server_first);
    free(s);
}

bool mc_sasl_server_set_challenge(struct mc_sasl_server *s, const char *challenge)
{
    if (s->mech->start != cram_start || s->state != STATE_START || !challenge || !*challenge ||
        strlen(challenge) > CRAM_CHALLENGE_MAX)
        return false;
    free(s->challenge);
    s->challenge = mc_xstrdup(challenge);
    return true;
}

static enum mc_sasl_server_status
server_finish(struct mc_sasl_server *s, enum mc_sasl_server_status st, struct mc_buf *challenge)
{
    if (st == MC_SASL_SERVER_SUCCESS)
        s->state = challenge->len > 0 ? STATE_SUCCESS_DATA : STATE_DONE;
    else if (st == MC_SASL_SERVER_FAIL)
        mc_buf_reset(challenge);
    return st;
}

enum mc_sasl_server_status mc_sasl_server_step(struct mc_sasl_server *s, const char *response,
                                               size_t len, bool initial, struct mc_buf *challenge)
{
    mc_buf_reset(challenge);
    const char *name = s->mech->name;
    if (s->state == STATE_FAILED)
        return MC_SASL_SERVER_FAIL;
    if (!response && len > 0)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED, "%s: a NULL response of %zu bytes",
                                name, len);
    if (!response)
        response = "";
    if (len > MC_SASL_SERVER_RESPONSE_MAX)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the %zu-byte response exceeds %d bytes (RFC 4954 section 4)",
                                name, len, MC_SASL_SERVER_RESPONSE_MAX);
    if (initial && s->state != STATE_START)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: an initial response after the exchange began (RFC 4422 "
                                "section 3.3)",
                                name);
    switch (s->state) {
    case STATE_START:
        s->state = STATE_EXCHANGE;
        if (!initial && len > 0)
            return mc_sasl_srv_fail(
                s, MC_SASL_SERVER_MALFORMED,
                "%s: a %zu-byte response before the first challenge; an initial "
                "response needs initial = true",
                name, len);
        if (!initial)
            return server_finish(s, s->mech->start(s, challenge), challenge);
        if (!s->mech->initial_ok)
            return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                    "%s is server-first: the client may not send an initial "
                                    "response (RFC 4422 section 3.3, RFC 4954 section 4)",
                                    name);
        break;
    case STATE_EXCHANGE:
        break;
    case STATE_SUCCESS_DATA:
        if (len != 0)
            return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                    "%s: the response to the server's final message must be empty "
                                    "(RFC 4422 section 5, item 2b; RFC 5802 section 5)",
                                    name);
        s->state = STATE_DONE;
        return MC_SASL_SERVER_SUCCESS;
    case STATE_DONE:
    case STATE_FAILED:
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: a response after the exchange succeeded (RFC 4422 section 3.6)", name);
    }
    return server_finish(s, s->mech->step(s, response, len, challenge), challenge);
}

const char *mc_sasl_server_user(const struct mc_sasl_server *s)
{
    if (s->state == STATE_SUCCESS_DATA || s->state == STATE_DONE)
        return s->user;
    return NULL;
}

const char *mc_sasl_server_error(const struct mc_sasl_server *s)
{
    return s->state == STATE_FAILED && s->error.data ? s->error.data : "";
}

enum mc_sasl_server_failure mc_sasl_server_failure(const struct mc_sasl_server *s)
{
    return s->state == STATE_FAILED ? s->failure : MC_SASL_SERVER_NOT_FAILED;
}

enum mc_sasl_wire mc_sasl_server_wire(struct mc_sasl_server *s, const char *line, size_t len,
                                      bool initial, struct mc_buf *b64)
{
    struct mc_buf raw = {0}, challenge = {0};
    enum mc_sasl_wire out;
    mc_buf_reset(b64);
    if (line && !initial && len == 1 && line[0] == '*') {
        out = MC_SASL_WIRE_CANCELLED;
    } else if (line && !(initial && len == 1 && line[0] == '=') &&
               mc_base64_decode(line, len, &raw) < 0) {
        out = MC_SASL_WIRE_BAD_BASE64;
    } else {
        enum mc_sasl_server_status st =
            mc_sasl_server_step(s, raw.data ? raw.data : "", raw.len, line && initial, &challenge);
        if (st == MC_SASL_SERVER_CONTINUE || (st == MC_SASL_SERVER_SUCCESS && challenge.len)) {
            mc_base64_encode(challenge.data ? challenge.data : "", challenge.len, b64);
            if (!b64->data)
                mc_buf_append(b64, "", 0);
            out = MC_SASL_WIRE_CHALLENGE;
        } else {
            out = st == MC_SASL_SERVER_SUCCESS ? MC_SASL_WIRE_SUCCESS : MC_SASL_WIRE_FAIL;
        }
    }
    mc_buf_free(&raw);
    mc_buf_free(&challenge);
    return out;
}
