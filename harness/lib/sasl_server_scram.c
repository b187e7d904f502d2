/*
 * sasl_server_scram — the server side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) for
 * sasl_server.c, which owns the exchange rules and calls mc_sasl_srv_scram_step for each
 * response (stage 0: client-first-message, stage 1: client-final-message).
 *
 * No channel binding: gs2 flags "n" and "y" are accepted, "p=" is refused, as is the
 * mandatory-extension marker "m="; SASLprep is reduced to the "=2C"/"=3D" escapes (see the
 * decisions in sasl_server.c). Salts are derived per process, HMAC-SHA-256(secret, user), from a
 * random secret made once (pthread_once), unless a test injects salt, nonce or iteration count
 * with mc_sasl_server_set_scram_params. Every key is wiped with OPENSSL_cleanse after use, and
 * an unknown user costs the same work as a known one.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lib/base64.h"
#include "lib/sasl_server.h"
#include "lib/sasl_server_int.h"
#include "lib/scram.h"

/* SCRAM server nonce: 24 random bytes, 32 base64 characters (192 bits; RFC 5802 section 5.1
   leaves the length open). Base64 never produces the "," a nonce may not contain. */
#define SCRAM_NONCE_BYTES 24
#define SCRAM_NONCE_MAX 256 /* an injected server nonce */
/* SCRAM salts: 16 bytes, the length RFC 7677 section 3 shows; an injected one up to 64. */
#define SCRAM_SALT_BYTES 16
#define SCRAM_SALT_MAX 64
#define SCRAM_SECRET_BYTES 32
/* An injected iteration count; the bound keeps PBKDF2 under a second (see sasl.c). */
#define SCRAM_ITER_MAX 1000000

static pthread_once_t scram_secret_once = PTHREAD_ONCE_INIT;
static unsigned char scram_secret[SCRAM_SECRET_BYTES];
static bool scram_secret_ok;

static void scram_secret_init(void)
{
    scram_secret_ok = RAND_bytes(scram_secret, sizeof scram_secret) == 1;
}

/* The rest of a message is optional extensions: attr-val *("," attr-val), attr-val = ALPHA "="
   value (RFC 5802 section 7). Their meaning is ignored; their syntax is not. */
static bool scram_extensions_valid(const char *p, const char *end, bool after_comma)
{
    if (p == end)
        return !after_comma; /* "...," with nothing after it */
    while (p < end) {
        if (end - p < 2 || !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')) ||
            p[1] != '=')
            return false;
        const char *comma = memchr(p, ',', (size_t)(end - p));
        if (!comma)
            return true;
        p = comma + 1;
        if (p == end)
            return false;
    }
    return true;
}

/* saslname = 1*(value-safe-char / "=2C" / "=3D") (RFC 5802 section 7); NULL if invalid. */
static char *scram_unescape(const char *p, size_t n)
{
    if (n == 0 || n > SASL_NAME_MAX)
        return NULL;
    struct mc_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\0') {
            mc_buf_free(&b);
            return NULL;
        }
        if (p[i] != '=') {
            mc_buf_append_char(&b, p[i]);
        } else if (n - i >= 3 && (memcmp(p + i, "=2C", 3) == 0 || memcmp(p + i, "=3D", 3) == 0)) {
            mc_buf_append_char(&b, p[i + 1] == '2' ? ',' : '=');
            i += 2;
        } else {
            mc_buf_free(&b); /* RFC 5802 section 5.1: the server MUST fail */
            return NULL;
        }
    }
    return mc_buf_steal(&b);
}

/* gs2-header = gs2-cbind-flag "," [authzid] "," (RFC 5802 section 7); sets *p past it. */
static enum mc_sasl_server_status scram_parse_gs2(struct mc_sasl_server *s, const char **p,
                                                  const char *end)
{
    const char *q = *p;
    if (end - q >= 2 && q[0] == 'p' && q[1] == '=')
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: the client requires channel binding (gs2 flag \"p=\") but this "
            "server offers no %s-PLUS (RFC 5802 section 6, "
            "e=channel-bindings-not-supported)",
            s->mech->name, s->mech->name);
    if (end - q < 2 || (q[0] != 'n' && q[0] != 'y') || q[1] != ',')
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: the client-first-message \"%s\" does not start with the gs2 flag "
            "\"n,\", \"y,\" or \"p=\" (RFC 5802 section 7)",
            s->mech->name, mc_sasl_srv_quote(s, q, (size_t)(end - q)));
    q += 2;
    const char *v;
    size_t vn;
    if (mc_scram_attr(&q, end, 'a', &v, &vn)) {
        /* scram_attr stops after a "," or at the end, so q[-1] is "," only if one followed */
        if (q[-1] != ',' || !(s->authzid = scram_unescape(v, vn)))
            return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                    "%s: the gs2 authzid \"a=%s\" is not a valid saslname followed "
                                    "by \",\" (RFC 5802 section 7)",
                                    s->mech->name, mc_sasl_srv_quote(s, v, vn));
    } else if (q == end || *q != ',') {
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the gs2 header has neither \"a=\" nor an empty authzid before "
                                "the second \",\" (RFC 5802 section 7)",
                                s->mech->name);
    } else {
        q++;
    }
    mc_buf_append(&s->gs2_header, *p, (size_t)(q - *p));
    *p = q;
    return MC_SASL_SERVER_CONTINUE;
}

/* A stable per-process salt for `user` (see the header: HMAC-SHA-256(secret, user)). */
static bool scram_derive_salt(struct mc_sasl_server *s)
{
    if (s->salt.len > 0)
        return true; /* injected */
    pthread_once(&scram_secret_once, scram_secret_init);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!scram_secret_ok || !HMAC(EVP_sha256(), scram_secret, sizeof scram_secret,
                                  (const unsigned char *)s->user, strlen(s->user), mac, &mac_len))
        return false;
    mc_buf_append(&s->salt, mac, SCRAM_SALT_BYTES);
    return true;
}

static bool scram_make_nonce(struct mc_sasl_server *s)
{
    if (s->server_nonce)
        return true;
    unsigned char raw[SCRAM_NONCE_BYTES];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return false;
    struct mc_buf b = {0};
    mc_base64_encode(raw, sizeof raw, &b);
    s->server_nonce = mc_buf_steal(&b);
    return true;
}

static enum mc_sasl_server_status scram_server_first(struct mc_sasl_server *s, const char *in,
                                                     size_t len, struct mc_buf *out)
{
    const char *p = in, *end = in + len;
    const char *v, *cnonce;
    size_t vn, cnonce_len;
    if (scram_parse_gs2(s, &p, end) == MC_SASL_SERVER_FAIL)
        return MC_SASL_SERVER_FAIL;
    const char *bare = p;
    if (end - p >= 2 && p[0] == 'm' && p[1] == '=')
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: the client demands a mandatory extension (m=), which this server "
            "does not support (RFC 5802 section 5.1, e=extensions-not-supported)",
            s->mech->name);
    if (!mc_scram_attr(&p, end, 'n', &v, &vn))
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: the client-first-message has no \"n=\" user name after the gs2 "
            "header (RFC 5802 section 7)",
            s->mech->name);
    char *user = scram_unescape(v, vn);
    if (!user)
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: the user name \"%s\" is empty, too long, or has \"=\" not followed "
            "by 2C or 3D (RFC 5802 section 5.1, e=invalid-username-encoding)",
            s->mech->name, mc_sasl_srv_quote(s, v, vn));
    free(s->user);
    s->user = user;
    if (!mc_scram_attr(&p, end, 'r', &cnonce, &cnonce_len) ||
        !mc_scram_nonce_valid(cnonce, cnonce_len))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the client-first-message has no \"r=\" nonce of printable "
                                "characters after the user name (RFC 5802 section 7)",
                                s->mech->name);
    if (!scram_extensions_valid(p, end, p > in && p[-1] == ','))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the client-first-message has malformed extensions after the "
                                "nonce: \"%s\" (RFC 5802 section 7)",
                                s->mech->name, mc_sasl_srv_quote(s, p, (size_t)(end - p)));
    if (!scram_derive_salt(s) || !scram_make_nonce(s))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_TEMPORARY,
                                "%s: cannot generate a random salt secret or server nonce "
                                "(RFC 5802 section 5.1)",
                                s->mech->name);
    struct mc_buf nonce = {0};
    mc_buf_append(&nonce, cnonce, cnonce_len);
    mc_buf_append_str(&nonce, s->server_nonce);
    s->nonce = mc_buf_steal(&nonce);
    mc_buf_append(&s->client_first_bare, bare, (size_t)(end - bare));
    /* server-first-message = nonce "," salt "," iteration-count (RFC 5802 section 7) */
    mc_buf_printf(&s->server_first, "r=%s,s=", s->nonce);
    mc_base64_encode(s->salt.data, s->salt.len, &s->server_first);
    mc_buf_printf(&s->server_first, ",i=%d", s->iterations);
    mc_buf_append(out, s->server_first.data, s->server_first.len);
    s->stage = 1;
    return MC_SASL_SERVER_CONTINUE;
}

/* True when `proof` is the client's proof for `password` (RFC 5802 section 3), checked in
   constant time; `server_signature` receives ServerSignature. */
static bool scram_verify(struct mc_sasl_server *s, const EVP_MD *md, const struct mc_buf *password,
                         const struct mc_buf *auth_message, const unsigned char *proof,
                         unsigned char *server_signature, bool *computed)
{
    size_t h = (size_t)EVP_MD_get_size(md);
    unsigned char salted[EVP_MAX_MD_SIZE], client_key[EVP_MAX_MD_SIZE];
    unsigned char stored_key[EVP_MAX_MD_SIZE], client_sig[EVP_MAX_MD_SIZE];
    unsigned char server_key[EVP_MAX_MD_SIZE], recovered[EVP_MAX_MD_SIZE];
    unsigned char recovered_stored[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    *computed =
        PKCS5_PBKDF2_HMAC(password->data, (int)password->len, (const unsigned char *)s->salt.data,
                          (int)s->salt.len, s->iterations, md, (int)h, salted) == 1 &&
        HMAC(md, salted, (int)h, (const unsigned char *)"Client Key", 10, client_key, &n) &&
        EVP_Digest(client_key, h, stored_key, &n, md, NULL) == 1 &&
        HMAC(md, stored_key, (int)h, (const unsigned char *)auth_message->data, auth_message->len,
             client_sig, &n) &&
        HMAC(md, salted, (int)h, (const unsigned char *)"Server Key", 10, server_key, &n) &&
        HMAC(md, server_key, (int)h, (const unsigned char *)auth_message->data, auth_message->len,
             server_signature, &n);
    bool match = false;
    if (*computed) {
        /* ClientKey = ClientProof XOR ClientSignature; it is right when H(ClientKey) is
           StoredKey (RFC 5802 section 5.1, the server's check). */
        for (size_t i = 0; i < h; i++)
            recovered[i] = proof[i] ^ client_sig[i];
        match = EVP_Digest(recovered, h, recovered_stored, &n, md, NULL) == 1 &&
                CRYPTO_memcmp(recovered_stored, stored_key, h) == 0;
    }
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    OPENSSL_cleanse(stored_key, sizeof stored_key);
    OPENSSL_cleanse(client_sig, sizeof client_sig);
    OPENSSL_cleanse(server_key, sizeof server_key);
    OPENSSL_cleanse(recovered, sizeof recovered);
    OPENSSL_cleanse(recovered_stored, sizeof recovered_stored);
    return match;
}

/* Splits client-final-message = without-proof "," "p=" base64 (RFC 5802 section 7) and checks
   the channel binding and nonce of without-proof. */
static enum mc_sasl_server_status scram_parse_client_final(struct mc_sasl_server *s, const char *in,
                                                           size_t len, size_t *without_proof_len,
                                                           struct mc_buf *proof)
{
    const char *name = s->mech->name;
    const char *end = in + len, *p = in, *v;
    size_t vn;
    if (!mc_scram_attr(&p, end, 'c', &v, &vn))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the client-final-message \"%s\" does not start with \"c=\" "
                                "(RFC 5802 section 7)",
                                name, mc_sasl_srv_quote(s, in, len));
    struct mc_buf cbind = {0};
    bool cbind_ok = mc_base64_decode(v, vn, &cbind) >= 0 && cbind.len == s->gs2_header.len &&
                    memcmp(cbind.data, s->gs2_header.data, cbind.len) == 0;
    mc_buf_free(&cbind);
    if (!cbind_ok)
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: the channel binding \"c=%s\" is not the base64 of the gs2 header "
            "\"%s\" (RFC 5802 section 7, e=channel-bindings-dont-match)",
            name, mc_sasl_srv_quote(s, v, vn), s->gs2_header.data);
    if (!mc_scram_attr(&p, end, 'r', &v, &vn))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the client-final-message has no \"r=\" after \"c=\" "
                                "(RFC 5802 section 7)",
                                name);
    if (vn != strlen(s->nonce) || memcmp(v, s->nonce, vn) != 0)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the nonce \"%s\" is not the one the server sent (RFC 5802 "
                                "section 5.1)",
                                name, mc_sasl_srv_quote(s, v, vn));
    /* The proof is the last attribute; extensions may sit between nonce and proof. */
    const char *last = end;
    while (last > p && last[-1] != ',')
        last--;
    if (!(last > p || (p > in && p[-1] == ',')) || end - last < 2 || last[0] != 'p' ||
        last[1] != '=')
        return mc_sasl_srv_fail(
            s, MC_SASL_SERVER_MALFORMED,
            "%s: the client-final-message does not end with \",p=\" and a proof "
            "(RFC 5802 section 7)",
            name);
    if (last > p && !scram_extensions_valid(p, last - 1, false))
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the client-final-message has malformed extensions before the "
                                "proof (RFC 5802 section 7)",
                                name);
    size_t h = (size_t)EVP_MD_get_size(s->mech->md());
    if (mc_base64_decode(last + 2, (size_t)(end - last - 2), proof) < 0 || proof->len != h)
        return mc_sasl_srv_fail(s, MC_SASL_SERVER_MALFORMED,
                                "%s: the proof \"%s\" is not the base64 of %zu bytes (RFC 5802 "
                                "section 7, e=invalid-encoding)",
                                name, mc_sasl_srv_quote(s, last + 2, (size_t)(end - last - 2)), h);
    *without_proof_len = (size_t)(last - 1 - in);
    return MC_SASL_SERVER_CONTINUE;
}

static enum mc_sasl_server_status scram_server_final(struct mc_sasl_server *s, const char *in,
                                                     size_t len, struct mc_buf *out)
{
    size_t without_proof_len = 0;
    struct mc_buf proof = {0};
    if (scram_parse_client_final(s, in, len, &without_proof_len, &proof) == MC_SASL_SERVER_FAIL) {
        mc_buf_free(&proof);
        return MC_SASL_SERVER_FAIL;
    }
    /* AuthMessage = client-first-message-bare "," server-first-message ","
       client-final-message-without-proof (RFC 5802 section 3) */
    struct mc_buf auth_message = {0}, password = {0};
    mc_buf_append(&auth_message, s->client_first_bare.data, s->client_first_bare.len);
    mc_buf_append_char(&auth_message, ',');
    mc_buf_append(&auth_message, s->server_first.data, s->server_first.len);
    mc_buf_append_char(&auth_message, ',');
    mc_buf_append(&auth_message, in, without_proof_len);
    bool known = mc_sasl_srv_lookup(s, s->user, &password);
    unsigned char server_signature[EVP_MAX_MD_SIZE];
    bool computed = false;
    bool match = scram_verify(s, s->mech->md(), &password, &auth_message,
                              (const unsigned char *)proof.data, server_signature, &computed);
    mc_sasl_srv_secret_free(&password);
    mc_buf_free(&auth_message);
    mc_buf_free(&proof);
    enum mc_sasl_server_status st = MC_SASL_SERVER_SUCCESS;
    const char *user = mc_sasl_srv_quote_user(s);
    if (!computed)
        st = mc_sasl_srv_fail(s, MC_SASL_SERVER_TEMPORARY,
                              "%s: computing the proof failed in OpenSSL (RFC 5802 section 3)",
                              s->mech->name);
    else if (!known)
        st = mc_sasl_srv_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS,
                              "%s: unknown user \"%s\" (RFC 5802 section 7, e=unknown-user)",
                              s->mech->name, user);
    else if (!match)
        st = mc_sasl_srv_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS,
                              "%s: wrong proof for \"%s\" (RFC 5802 section 7, e=invalid-proof)",
                              s->mech->name, user);
    else if (s->authzid && strcmp(s->authzid, s->user) != 0)
        st = mc_sasl_srv_fail(s, MC_SASL_SERVER_AUTHZ_REFUSED,
                              "%s: \"%s\" may not act as authzid \"%s\" (RFC 5802 section 5.1, "
                              "e=invalid-authzid)",
                              s->mech->name, user,
                              mc_sasl_srv_quote(s, s->authzid, strlen(s->authzid)));
    if (st == MC_SASL_SERVER_SUCCESS) {
        /* server-final-message = "v=" base64(ServerSignature) (RFC 5802 section 7) */
        mc_buf_append_str(out, "v=");
        mc_base64_encode(server_signature, (size_t)EVP_MD_get_size(s->mech->md()), out);
    }
    OPENSSL_cleanse(server_signature, sizeof server_signature);
    return st;
}

enum mc_sasl_server_status mc_sasl_srv_scram_step(struct mc_sasl_server *s, const char *in,
                                                  size_t len, struct mc_buf *out)
{
    if (s->stage == 0)
        return scram_server_first(s, in, len, out);
    return scram_server_final(s, in, len, out);
}

bool mc_sasl_server_set_scram_params(struct mc_sasl_server *s, const char *salt_base64,
                                     const char *server_nonce, int iterations)
{
    if (!s->mech->md || s->state != STATE_START)
        return false;
    struct mc_buf salt = {0};
    bool ok = (!salt_base64 || (mc_base64_decode(salt_base64, strlen(salt_base64), &salt) > 0 &&
                                salt.len <= SCRAM_SALT_MAX)) &&
              (!server_nonce || (strlen(server_nonce) <= SCRAM_NONCE_MAX &&
                                 mc_scram_nonce_valid(server_nonce, strlen(server_nonce)))) &&
              iterations >= 0 && iterations <= SCRAM_ITER_MAX;
    if (ok) {
        if (salt_base64) {
            mc_buf_free(&s->salt);
            s->salt = salt;
            salt = (struct mc_buf){0};
        }
        if (server_nonce) {
            free(s->server_nonce);
            s->server_nonce = mc_xstrdup(server_nonce);
        }
        if (iterations > 0)
            s->iterations = iterations;
    }
    mc_buf_free(&salt);
    return ok;
}
