/*
 * sasl — client side of PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-1/-256 (see sasl.h).
 *
 * Each mechanism is one row of `sasl_mechs`: its name, whether it is client-first, the function
 * that builds the client's first message and the function that answers a challenge. The shared
 * rules of RFC 4422 live in mc_sasl_step, once:
 *
 *  - A client-first mechanism (PLAIN, SCRAM) that was not given the chance to send an initial
 *    response answers an EMPTY first challenge with it; a non-empty one fails (RFC 4422 section
 *    5, item 2a). mc_sasl_initial returns false when called twice or when the nonce cannot be
 *    generated; the latter leaves the error set so the next step fails.
 *  - SCRAM's server-final-message ("v=..." or "e=...") is accepted whether the server sends it as
 *    a last challenge or as additional data with success (RFC 4422 section 5, item 2b; RFC 5802
 *    section 5). Either way mc_sasl_step verifies it and returns MC_SASL_CONTINUE with an EMPTY
 *    `out`: that is the empty response the client owes a challenge, and a caller that got the
 *    data with the success reply simply does not send it. mc_sasl_complete then says whether
 *    the server signature was verified. A server that never sends "v=" leaves SCRAM incomplete,
 *    so the caller fails the step even if the server said OK.
 *  - For PLAIN, LOGIN and CRAM-MD5 mc_sasl_complete is true once every step has been answered.
 *  - Once the mechanism is complete, an empty challenge is answered with MC_SASL_DONE (nothing
 *    more to send) and a non-empty one fails: the server is talking past the end of the
 *    exchange (RFC 4422 section 3.4). After a failure every step fails with the first error.
 *
 * Simplifications, on purpose: SASLprep (RFC 4013) is reduced to SCRAM's "=" and "," escapes,
 * which is exact for the ASCII credentials test accounts use; there is no channel binding
 * (gs2 header "n,,") and no authorization identity. CRAM-MD5 does not insist that the challenge
 * be an RFC 5322 msg-id: judging servers is the scenarios' job, this module only logs in.
 *
 * Secrets (password, salted password, keys) are wiped with OPENSSL_cleanse when no longer used.
 */
#include "lib/sasl.h"
#include "lib/base64.h"
#include "lib/scram.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* RFC 5802 section 5.1 leaves the nonce length open; 24 random bytes (32 base64 characters)
   give 192 bits, well beyond guessing, and base64 never produces the forbidden ",". */
#define SCRAM_NONCE_BYTES 24
/* RFC 5802 section 5.1 requires a positive iteration count. The upper bound is ours: PBKDF2 runs
   `i` HMACs on the client, so a broken or hostile server could stall a test run for minutes.
   RFC 7677 section 4 asks for at least 4096; servers use 4096..600000 (OWASP 2023 advises 600000
   for SHA-256), and 1,000,000 still costs well under a second. */
#define SCRAM_ITER_MIN 1
#define SCRAM_ITER_MAX 1000000
/* The iteration count is parsed as at most this many digits before the range check, so the
   parse itself cannot overflow (SCRAM_ITER_MAX has 7 digits). */
#define SCRAM_ITER_DIGITS_MAX 9

struct mc_sasl;

struct sasl_mech {
    const char *name;
    const char *digest; /* SCRAM hash as OpenSSL names it; NULL for the others */
    bool client_first;  /* has an initial response (RFC 4422 section 5, item 2a) */
    /* Builds the client's first message; false (error set) if it cannot. */
    bool (*first)(struct mc_sasl *s, struct mc_buf *out);
    /* Answers one challenge once the exchange has started. */
    enum mc_sasl_status (*step)(struct mc_sasl *s, const char *in, size_t len, struct mc_buf *out);
};

struct mc_sasl {
    const struct sasl_mech *mech;
    char *user;
    char *password;
    bool started;  /* the client's first message has been produced */
    bool complete; /* every step answered; for SCRAM the server signature verified */
    bool failed;
    struct mc_buf error;
    /* LOGIN */
    bool login_user_sent;
    bool login_password_sent;
    /* SCRAM */
    int scram_stage; /* 0: client-first sent, 1: client-final sent */
    char *nonce;     /* client nonce, from mc_sasl_set_nonce or RAND_bytes */
    struct mc_buf client_first_bare;
    unsigned char server_signature[EVP_MAX_MD_SIZE];
    size_t server_signature_len;
};

static enum mc_sasl_status sasl_fail(struct mc_sasl *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum mc_sasl_status sasl_fail(struct mc_sasl *s, const char *fmt, ...)
{
    if (!s->failed) {
        va_list ap;
        va_start(ap, fmt);
        mc_buf_reset(&s->error);
        mc_buf_vprintf(&s->error, fmt, ap);
        va_end(ap);
    }
    s->failed = true;
    return MC_SASL_FAIL;
}

/* ---- PLAIN (RFC 4616) ---------------------------------------------------------------------- */

static bool plain_first(struct mc_sasl *s, struct mc_buf *out)
{
    /* message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 section 2) */
    mc_buf_append_char(out, '\0');
    mc_buf_append_str(out, s->user);
    mc_buf_append_char(out, '\0');
    mc_buf_append_str(out, s->password);
    s->complete = true;
    return true;
}

static enum mc_sasl_status plain_step(struct mc_sasl *s, const char *in, size_t len,
                                      struct mc_buf *out)
{
    (void)in, (void)len, (void)out;
    /* Unreachable: PLAIN is complete after its first message, handled in mc_sasl_step. */
    return sasl_fail(s, "PLAIN has a single message and no further challenge (RFC 4616 "
                        "section 2)");
}

/* ---- LOGIN (draft-murchison-sasl-login) ---------------------------------------------------- */

static bool login_prompt_is(const char *in, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && strncasecmp(in, word, n) == 0;
}

static enum mc_sasl_status login_step(struct mc_sasl *s, const char *in, size_t len,
                                      struct mc_buf *out)
{
    /* The prompts are only advisory in the draft ("Username:", "Password:", but servers say
       "User Name" or localise them), so the text decides when it is recognisable and the order
       (user, then password) otherwise. */
    bool want_password;
    if (login_prompt_is(in, len, "user"))
        want_password = false;
    else if (login_prompt_is(in, len, "pass"))
        want_password = true;
    else
        want_password = s->login_user_sent;
    if (want_password && s->login_password_sent)
        return sasl_fail(s, "the server asked for the LOGIN password twice "
                            "(draft-murchison-sasl-login section 2.1)");
    if (!want_password && s->login_user_sent)
        return sasl_fail(s, "the server asked for the LOGIN user name twice "
                            "(draft-murchison-sasl-login section 2.1)");
    if (want_password) {
        mc_buf_append_str(out, s->password);
        s->login_password_sent = true;
    } else {
        mc_buf_append_str(out, s->user);
        s->login_user_sent = true;
    }
    s->complete = s->login_user_sent && s->login_password_sent;
    return MC_SASL_CONTINUE;
}

/* ---- CRAM-MD5 (RFC 2195) ------------------------------------------------------------------- */

static enum mc_sasl_status cram_step(struct mc_sasl *s, const char *in, size_t len,
                                     struct mc_buf *out)
{
    if (len == 0)
        return sasl_fail(s, "the CRAM-MD5 challenge is empty (RFC 2195 section 2)");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_md5(), s->password, (int)strlen(s->password), (const unsigned char *)in, len, mac,
              &mac_len))
        return sasl_fail(s, "HMAC-MD5 is not available in this OpenSSL (RFC 2195 section 2)");
    /* response = user SP lowercase-hex digest (RFC 2195 section 2) */
    mc_buf_append_str(out, s->user);
    mc_buf_append_char(out, ' ');
    mc_buf_append_hex(out, mac, mac_len);
    s->complete = true;
    return MC_SASL_CONTINUE;
}

/* ---- SCRAM (RFC 5802, RFC 7677) ------------------------------------------------------------ */

static bool scram_make_nonce(struct mc_sasl *s)
{
    if (s->nonce)
        return true;
    unsigned char raw[SCRAM_NONCE_BYTES];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        sasl_fail(s, "cannot generate a random SCRAM client nonce (RFC 5802 section 5.1)");
        return false;
    }
    struct mc_buf b = {0};
    mc_base64_encode(raw, sizeof raw, &b);
    s->nonce = mc_buf_steal(&b);
    return true;
}

static bool scram_first(struct mc_sasl *s, struct mc_buf *out)
{
    if (!scram_make_nonce(s))
        return false;
    /* client-first-message-bare = "n=" saslname ",r=" c-nonce; saslname escapes "=" and ","
       (RFC 5802 section 5.1). */
    struct mc_buf *bare = &s->client_first_bare;
    mc_buf_reset(bare);
    mc_buf_append_str(bare, "n=");
    for (const char *p = s->user; *p; p++) {
        if (*p == '=')
            mc_buf_append_str(bare, "=3D");
        else if (*p == ',')
            mc_buf_append_str(bare, "=2C");
        else
            mc_buf_append_char(bare, *p);
    }
    mc_buf_append_str(bare, ",r=");
    mc_buf_append_str(bare, s->nonce);
    mc_buf_append_str(out, "n,,"); /* gs2-header: no channel binding, no authzid */
    mc_buf_append(out, bare->data, bare->len);
    s->scram_stage = 0;
    return true;
}

struct scram_server_first {
    const char *nonce;
    size_t nonce_len;
    struct mc_buf salt;
    int iterations;
};

static enum mc_sasl_status scram_parse_server_first(struct mc_sasl *s, const char *in, size_t len,
                                                    struct scram_server_first *sf)
{
    const char *p = in, *end = in + len;
    const char *v;
    size_t vn;
    if (len > 0 && in[len - 1] == ',')
        return sasl_fail(s, "the SCRAM server-first-message ends with \",\" (RFC 5802 section 7)");
    if (len >= 2 && in[0] == 'm' && in[1] == '=')
        return sasl_fail(s, "the server demands an unsupported mandatory SCRAM extension (m=) "
                            "(RFC 5802 section 5.1)");
    if (!mc_scram_attr(&p, end, 'r', &sf->nonce, &sf->nonce_len))
        return sasl_fail(s, "the SCRAM server-first-message does not start with \"r=\" "
                            "(RFC 5802 section 7)");
    if (!mc_scram_nonce_valid(sf->nonce, sf->nonce_len))
        return sasl_fail(s, "the SCRAM server nonce is empty or not printable ASCII "
                            "(RFC 5802 section 7)");
    size_t cn = strlen(s->nonce);
    if (sf->nonce_len <= cn || memcmp(sf->nonce, s->nonce, cn) != 0)
        return sasl_fail(s, "the SCRAM server nonce does not extend the client nonce "
                            "(RFC 5802 section 5.1)");
    if (!mc_scram_attr(&p, end, 's', &v, &vn))
        return sasl_fail(s, "the SCRAM server-first-message has no \"s=\" after the nonce "
                            "(RFC 5802 section 7)");
    if (vn == 0 || mc_base64_decode(v, vn, &sf->salt) <= 0)
        return sasl_fail(s, "the SCRAM salt is empty or not valid base64 (RFC 5802 section 5.1)");
    if (!mc_scram_attr(&p, end, 'i', &v, &vn))
        return sasl_fail(s, "the SCRAM server-first-message has no \"i=\" after the salt "
                            "(RFC 5802 section 7)");
    long iter = 0;
    bool digits = vn > 0 && vn <= SCRAM_ITER_DIGITS_MAX && v[0] != '0';
    for (size_t i = 0; digits && i < vn; i++) {
        if (v[i] < '0' || v[i] > '9')
            digits = false;
        else
            iter = iter * 10 + (v[i] - '0');
    }
    if (!digits || iter < SCRAM_ITER_MIN || iter > SCRAM_ITER_MAX)
        return sasl_fail(s,
                         "the SCRAM iteration count \"%.*s\" is not a number in %d..%d "
                         "(RFC 5802 section 5.1)",
                         (int)(vn > 32 ? 32 : vn), v, SCRAM_ITER_MIN, SCRAM_ITER_MAX);
    sf->iterations = (int)iter;
    /* Anything after is extensions, which a client ignores (RFC 5802 section 7); p != end here
       means a "," followed something, which must itself be an attribute. */
    if (p != end && (end - p < 2 || p[1] != '='))
        return sasl_fail(s, "the SCRAM server-first-message has a malformed extension "
                            "(RFC 5802 section 7)");
    return MC_SASL_CONTINUE;
}

static bool scram_hmac(const EVP_MD *md, const unsigned char *key, size_t key_len, const void *data,
                       size_t len, unsigned char *mac)
{
    unsigned int n = 0;
    return HMAC(md, key, (int)key_len, data, len, mac, &n) != NULL;
}

/* Computes ClientProof (returned in `proof`) and stores ServerSignature (RFC 5802 section 3). */
static bool scram_compute(struct mc_sasl *s, const EVP_MD *md, const struct scram_server_first *sf,
                          const struct mc_buf *auth_message, unsigned char *proof)
{
    size_t h = (size_t)EVP_MD_get_size(md);
    unsigned char salted[EVP_MAX_MD_SIZE], client_key[EVP_MAX_MD_SIZE];
    unsigned char stored_key[EVP_MAX_MD_SIZE], client_sig[EVP_MAX_MD_SIZE];
    unsigned char server_key[EVP_MAX_MD_SIZE];
    unsigned int stored_len = 0;
    bool ok =
        PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password),
                          (const unsigned char *)sf->salt.data, (int)sf->salt.len, sf->iterations,
                          md, (int)h, salted) == 1 &&
        scram_hmac(md, salted, h, "Client Key", strlen("Client Key"), client_key) &&
        EVP_Digest(client_key, h, stored_key, &stored_len, md, NULL) == 1 &&
        scram_hmac(md, stored_key, h, auth_message->data, auth_message->len, client_sig) &&
        scram_hmac(md, salted, h, "Server Key", strlen("Server Key"), server_key) &&
        scram_hmac(md, server_key, h, auth_message->data, auth_message->len, s->server_signature);
    if (ok) {
        for (size_t i = 0; i < h; i++)
            proof[i] = client_key[i] ^ client_sig[i];
        s->server_signature_len = h;
    }
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    OPENSSL_cleanse(stored_key, sizeof stored_key);
    OPENSSL_cleanse(client_sig, sizeof client_sig);
    OPENSSL_cleanse(server_key, sizeof server_key);
    return ok;
}

static enum mc_sasl_status scram_client_final(struct mc_sasl *s, const char *in, size_t len,
                                              struct mc_buf *out)
{
    struct scram_server_first sf = {0};
    enum mc_sasl_status st = scram_parse_server_first(s, in, len, &sf);
    const EVP_MD *md = EVP_get_digestbyname(s->mech->digest);
    if (st == MC_SASL_CONTINUE && !md)
        st = sasl_fail(s, "%s is not available in this OpenSSL (RFC 5802 section 4)",
                       s->mech->digest);
    if (st != MC_SASL_CONTINUE) {
        mc_buf_free(&sf.salt);
        return st;
    }
    /* client-final-message-without-proof = "c=" base64(gs2-header) ",r=" nonce; "biws" is
       base64("n,,") (RFC 5802 section 7). */
    struct mc_buf without_proof = {0}, auth_message = {0};
    mc_buf_append_str(&without_proof, "c=biws,r=");
    mc_buf_append(&without_proof, sf.nonce, sf.nonce_len);
    mc_buf_append(&auth_message, s->client_first_bare.data, s->client_first_bare.len);
    mc_buf_append_char(&auth_message, ',');
    mc_buf_append(&auth_message, in, len);
    mc_buf_append_char(&auth_message, ',');
    mc_buf_append(&auth_message, without_proof.data, without_proof.len);

    unsigned char proof[EVP_MAX_MD_SIZE];
    if (scram_compute(s, md, &sf, &auth_message, proof)) {
        mc_buf_append(out, without_proof.data, without_proof.len);
        mc_buf_append_str(out, ",p=");
        mc_base64_encode(proof, s->server_signature_len, out);
        s->scram_stage = 1;
    } else {
        st = sasl_fail(s, "computing the SCRAM proof with %s failed (RFC 5802 section 3)",
                       s->mech->digest);
    }
    OPENSSL_cleanse(proof, sizeof proof);
    mc_buf_free(&without_proof);
    mc_buf_free(&auth_message);
    mc_buf_free(&sf.salt);
    return st;
}

static enum mc_sasl_status scram_verify_server_final(struct mc_sasl *s, const char *in, size_t len)
{
    const char *p = in, *end = in + len;
    const char *v;
    size_t vn;
    if (mc_scram_attr(&p, end, 'e', &v, &vn))
        return sasl_fail(s, "the server reported SCRAM error \"%.*s\" (RFC 5802 section 5.1)",
                         (int)(vn > 200 ? 200 : vn), v);
    if (!mc_scram_attr(&p, end, 'v', &v, &vn))
        return sasl_fail(s, "the SCRAM server-final-message has neither \"v=\" nor \"e=\" "
                            "(RFC 5802 section 7)");
    struct mc_buf sig = {0};
    bool match = mc_base64_decode(v, vn, &sig) >= 0 && sig.len == s->server_signature_len &&
                 CRYPTO_memcmp(sig.data, s->server_signature, sig.len) == 0;
    mc_buf_free(&sig);
    if (!match)
        return sasl_fail(s, "the SCRAM server signature is wrong, so the server does not know "
                            "the password (RFC 5802 section 3)");
    s->complete = true;
    return MC_SASL_CONTINUE; /* with an empty response (RFC 4422 section 5, item 2b) */
}

static enum mc_sasl_status scram_step(struct mc_sasl *s, const char *in, size_t len,
                                      struct mc_buf *out)
{
    if (s->scram_stage == 0)
        return scram_client_final(s, in, len, out);
    return scram_verify_server_final(s, in, len);
}

/* ---- the mechanism table and the shared exchange rules ------------------------------------- */

static const struct sasl_mech sasl_mechs[] = {
    {"PLAIN", NULL, true, plain_first, plain_step},
    {"LOGIN", NULL, false, NULL, login_step},
    {"CRAM-MD5", NULL, false, NULL, cram_step},
    {"SCRAM-SHA-1", "SHA1", true, scram_first, scram_step},
    {"SCRAM-SHA-256", "SHA256", true, scram_first, scram_step},
};

static const struct sasl_mech *sasl_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof sasl_mechs / sizeof sasl_mechs[0]; i++)
        if (strcasecmp(sasl_mechs[i].name, name) == 0)
            return &sasl_mechs[i];
    return NULL;
}

const char *const *mc_sasl_mechanisms(void)
{
    static const char *names[sizeof sasl_mechs / sizeof sasl_mechs[0] + 1];
    for (size_t i = 0; i < sizeof sasl_mechs / sizeof sasl_mechs[0]; i++)
        names[i] = sasl_mechs[i].name;
    return names;
}

bool mc_sasl_known(const char *mech)
{
    return sasl_find(mech) != NULL;
}

struct mc_sasl *mc_sasl_new(const char *mech, const char *user, const char *password)
{
    const struct sasl_mech *m = sasl_find(mech);
    if (!m)
        return NULL;
    struct mc_sasl *s = mc_xcalloc(1, sizeof *s);
    s->mech = m;
    s->user = mc_xstrdup(user ? user : "");
    s->password = mc_xstrdup(password ? password : "");
    return s;
}

void mc_sasl_free(struct mc_sasl *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s->password, strlen(s->password));
    OPENSSL_cleanse(s->server_signature, sizeof s->server_signature);
    free(s->user);
    free(s->password);
    free(s->nonce);
    mc_buf_free(&s->error);
    mc_buf_free(&s->client_first_bare);
    free(s);
}

void mc_sasl_set_nonce(struct mc_sasl *s, const char *nonce)
{
    if (!nonce || !mc_scram_nonce_valid(nonce, strlen(nonce))) {
        sasl_fail(s, "the client nonce must be printable ASCII without \",\" "
                     "(RFC 5802 section 7)");
        return;
    }
    free(s->nonce);
    s->nonce = mc_xstrdup(nonce);
}

bool mc_sasl_initial(struct mc_sasl *s, struct mc_buf *out)
{
    if (!s->mech->client_first || s->started || s->failed)
        return false;
    if (!s->mech->first(s, out))
        return false;
    s->started = true;
    return true;
}

enum mc_sasl_status mc_sasl_step(struct mc_sasl *s, const char *challenge, size_t len,
                                 struct mc_buf *out)
{
    if (s->failed)
        return MC_SASL_FAIL;
    if (s->complete) {
        if (len == 0)
            return MC_SASL_DONE;
        return sasl_fail(s,
                         "the server sent a %s challenge after the exchange was complete "
                         "(RFC 4422 section 3.4)",
                         s->mech->name);
    }
    if (s->mech->client_first && !s->started) {
        if (len != 0)
            return sasl_fail(s,
                             "%s is client-first, so its first challenge must be empty "
                             "(RFC 4422 section 5)",
                             s->mech->name);
        if (!s->mech->first(s, out))
            return MC_SASL_FAIL;
        s->started = true;
        return MC_SASL_CONTINUE;
    }
    s->started = true;
    return s->mech->step(s, challenge, len, out);
}

bool mc_sasl_complete(struct mc_sasl *s)
{
    return s->complete && !s->failed;
}

const char *mc_sasl_error(const struct mc_sasl *s)
{
    return s->error.data ? s->error.data : "";
}
