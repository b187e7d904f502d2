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
 */
#include "lib/sasl_server.h"

#include <pthread.h>
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

#include "lib/sasl.h"

/* User names and authorization identities: RFC 4616 section 2 has servers accept at least 255
   octets; 1024 is generous for any account and keeps log lines short. */
#define SASL_NAME_MAX 1024
/* A host name in text form is at most 253 characters (RFC 1035 section 2.3.4). */
#define SASL_HOSTNAME_MAX 253
/* How much of a peer-supplied value an error message quotes. */
#define SASL_QUOTE_MAX 64
/* CRAM-MD5: HMAC-MD5 is 16 bytes, sent as 32 lowercase hex digits (RFC 2195 section 2). */
#define CRAM_DIGEST_HEX 32
/* A challenge injected by the test hook is bounded like anything else we send. */
#define CRAM_CHALLENGE_MAX 512
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

enum server_state {
    STATE_START,        /* no step yet */
    STATE_EXCHANGE,     /* challenges and responses */
    STATE_SUCCESS_DATA, /* SUCCESS with data returned: one empty response may follow */
    STATE_DONE,         /* SUCCESS, nothing more to say */
    STATE_FAILED,
};

struct mc_sasl_server;

struct server_mech {
    const char *name;
    const EVP_MD *(*md)(void); /* SCRAM hash; NULL for the others */
    bool initial_ok;           /* may start with an initial response (RFC 4422 section 3.3) */
    /* The first challenge when the client sent no initial response. */
    enum mc_sasl_server_status (*start)(struct mc_sasl_server *s, struct mc_buf *challenge);
    /* Judges one response (at most MC_SASL_SERVER_RESPONSE_MAX bytes). */
    enum mc_sasl_server_status (*step)(struct mc_sasl_server *s, const char *in, size_t len,
                                       struct mc_buf *challenge);
};

struct mc_sasl_server {
    const struct server_mech *mech;
    char *hostname;
    mc_sasl_password_lookup lookup;
    void *ctx;
    enum server_state state;
    int stage;  /* LOGIN: 0 user, 1 password; SCRAM: 0 client-first, 1 client-final */
    char *user; /* authcid, once the mechanism has read it */
    enum mc_sasl_server_failure failure;
    struct mc_buf error;
    struct mc_buf quoted;      /* scratch for quoting peer bytes into the error */
    struct mc_buf quoted_user; /* the same for the user name */
    /* CRAM-MD5 */
    char *challenge;
    /* SCRAM */
    char *authzid;
    char *server_nonce; /* injected; else random */
    struct mc_buf salt; /* injected; else derived from the user name */
    int iterations;
    char *nonce; /* client nonce + server nonce */
    struct mc_buf gs2_header;
    struct mc_buf client_first_bare;
    struct mc_buf server_first;
};

static enum mc_sasl_server_status server_fail(struct mc_sasl_server *s,
                                              enum mc_sasl_server_failure kind, const char *fmt,
                                              ...) __attribute__((format(printf, 3, 4)));

static enum mc_sasl_server_status
server_fail(struct mc_sasl_server *s, enum mc_sasl_server_failure kind, const char *fmt, ...)
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
static const char *server_quote(struct mc_sasl_server *s, const char *p, size_t n)
{
    return quote_into(&s->quoted, p, n);
}

/* The user name, quoted into a second scratch buffer so both can appear in one message. */
static const char *server_quote_user(struct mc_sasl_server *s)
{
    return quote_into(&s->quoted_user, s->user, strlen(s->user));
}

static void secret_free(struct mc_buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    mc_buf_free(b);
}

/* Fetches the password; for an unknown user a stand-in, so the caller does the same work. */
static bool server_lookup(struct mc_sasl_server *s, const char *user, struct mc_buf *password)
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
    bool known = server_lookup(s, s->user, &password);
    bool equal = secret_equal(password.data, password.len, given, given_len);
    secret_free(&password);
    if (!known)
        return server_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS, "%s: unknown user \"%s\"",
                           s->mech->name, server_quote_user(s));
    if (!equal)
        return server_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS, "%s: wrong password for \"%s\"",
                           s->mech->name, server_quote_user(s));
    return MC_SASL_SERVER_SUCCESS;
}

/* A user name from the wire: non-empty, bounded, no NUL (the lookup takes a C string). */
static bool server_take_user(struct mc_sasl_server *s, const char *p, size_t n, const char *what)
{
    if (n == 0) {
        server_fail(s, MC_SASL_SERVER_MALFORMED, "%s: the %s is empty", s->mech->name, what);
        return false;
    }
    if (n > SASL_NAME_MAX) {
        server_fail(s, MC_SASL_SERVER_MALFORMED, "%s: the %zu-byte %s exceeds %d bytes",
                    s->mech->name, n, what, SASL_NAME_MAX);
        return false;
    }
    if (memchr(p, '\0', n)) {
        server_fail(s, MC_SASL_SERVER_MALFORMED, "%s: the %s \"%s\" contains a NUL byte",
                    s->mech->name, what, server_quote(s, p, n));
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
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "PLAIN: the message \"%s\" lacks the two NUL separators of "
                           "[authzid] NUL authcid NUL passwd (RFC 4616 section 2)",
                           server_quote(s, in, len));
    const char *authzid = in, *authcid = nul1 + 1, *passwd = nul2 + 1;
    size_t authzid_len = (size_t)(nul1 - in), authcid_len = (size_t)(nul2 - authcid);
    size_t passwd_len = (size_t)(end - passwd);
    if (memchr(passwd, '\0', passwd_len))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "PLAIN: the message has more than two NUL separators "
                           "(RFC 4616 section 2)");
    if (passwd_len == 0)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "PLAIN: the password is empty (RFC 4616 section 2: passwd = 1*SAFE)");
    if (authzid_len > SASL_NAME_MAX)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "PLAIN: the %zu-byte authzid exceeds %d bytes", authzid_len,
                           SASL_NAME_MAX);
    if (!server_take_user(s, authcid, authcid_len, "authcid (RFC 4616 section 2)"))
        return MC_SASL_SERVER_FAIL;
    if (server_check_password(s, passwd, passwd_len) == MC_SASL_SERVER_FAIL)
        return MC_SASL_SERVER_FAIL;
    if (authzid_len > 0 && (authzid_len != authcid_len || memcmp(authzid, authcid, authcid_len)))
        return server_fail(s, MC_SASL_SERVER_AUTHZ_REFUSED,
                           "PLAIN: \"%s\" may not act as authzid \"%s\"; only an empty authzid "
                           "or one equal to the authcid is allowed (RFC 4616 section 2)",
                           server_quote_user(s), server_quote(s, authzid, authzid_len));
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

static void append_hex(struct mc_buf *out, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        mc_buf_append_char(out, digits[p[i] >> 4]);
        mc_buf_append_char(out, digits[p[i] & 0x0f]);
    }
}

static enum mc_sasl_server_status cram_start(struct mc_sasl_server *s, struct mc_buf *out)
{
    if (!s->challenge) {
        /* challenge = "<" random "." timestamp "@" hostname ">", an RFC 5322 msg-id whose
           uniqueness defeats replay (RFC 2195 section 2) */
        uint64_t random = 0;
        if (RAND_bytes((unsigned char *)&random, sizeof random) != 1)
            return server_fail(s, MC_SASL_SERVER_TEMPORARY,
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
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "CRAM-MD5: the response \"%s\" is not \"user SP digest\" "
                           "(RFC 2195 section 2)",
                           server_quote(s, in, len));
    const char *digest = in + sp;
    size_t digest_len = len - sp;
    if (digest_len != CRAM_DIGEST_HEX || !lower_hex(digest, digest_len))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "CRAM-MD5: the digest \"%s\" is not %d lowercase hex digits "
                           "(RFC 2195 section 2)",
                           server_quote(s, digest, digest_len), CRAM_DIGEST_HEX);
    if (!server_take_user(s, in, sp - 1, "user name (RFC 2195 section 2)"))
        return MC_SASL_SERVER_FAIL;

    struct mc_buf password = {0}, expected = {0};
    bool known = server_lookup(s, s->user, &password);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    bool ok = HMAC(EVP_md5(), password.data, (int)password.len, (const unsigned char *)s->challenge,
                   strlen(s->challenge), mac, &mac_len);
    secret_free(&password);
    if (!ok)
        return server_fail(s, MC_SASL_SERVER_TEMPORARY,
                           "CRAM-MD5: HMAC-MD5 is not available in this OpenSSL (RFC 2195 "
                           "section 2)");
    append_hex(&expected, mac, mac_len);
    bool equal = expected.len == CRAM_DIGEST_HEX &&
                 CRYPTO_memcmp(expected.data, digest, CRAM_DIGEST_HEX) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    secret_free(&expected);
    if (!known)
        return server_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS, "CRAM-MD5: unknown user \"%s\"",
                           server_quote_user(s));
    if (!equal)
        return server_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS,
                           "CRAM-MD5: wrong digest for \"%s\" (RFC 2195 section 2)",
                           server_quote_user(s));
    return MC_SASL_SERVER_SUCCESS;
}

/* ---- SCRAM (RFC 5802, RFC 7677) ------------------------------------------------------------ */

static pthread_once_t scram_secret_once = PTHREAD_ONCE_INIT;
static unsigned char scram_secret[SCRAM_SECRET_BYTES];
static bool scram_secret_ok;

static void scram_secret_init(void)
{
    scram_secret_ok = RAND_bytes(scram_secret, sizeof scram_secret) == 1;
}

/* Splits the next "x=value" attribute off [*p, end); false if the name is not `name`. */
static bool scram_attr(const char **p, const char *end, char name, const char **val,
                       size_t *val_len)
{
    const char *q = *p;
    if (end - q < 2 || q[0] != name || q[1] != '=')
        return false;
    q += 2;
    const char *comma = memchr(q, ',', (size_t)(end - q));
    const char *stop = comma ? comma : end;
    *val = q;
    *val_len = (size_t)(stop - q);
    *p = comma ? comma + 1 : end;
    return true;
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

/* A nonce is printable ASCII without "," (RFC 5802 section 7, "printable"). */
static bool scram_nonce_valid(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
            return false;
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
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client requires channel binding (gs2 flag \"p=\") but this "
                           "server offers no %s-PLUS (RFC 5802 section 6, "
                           "e=channel-bindings-not-supported)",
                           s->mech->name, s->mech->name);
    if (end - q < 2 || (q[0] != 'n' && q[0] != 'y') || q[1] != ',')
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-first-message \"%s\" does not start with the gs2 flag "
                           "\"n,\", \"y,\" or \"p=\" (RFC 5802 section 7)",
                           s->mech->name, server_quote(s, q, (size_t)(end - q)));
    q += 2;
    const char *v;
    size_t vn;
    if (scram_attr(&q, end, 'a', &v, &vn)) {
        /* scram_attr stops after a "," or at the end, so q[-1] is "," only if one followed */
        if (q[-1] != ',' || !(s->authzid = scram_unescape(v, vn)))
            return server_fail(s, MC_SASL_SERVER_MALFORMED,
                               "%s: the gs2 authzid \"a=%s\" is not a valid saslname followed "
                               "by \",\" (RFC 5802 section 7)",
                               s->mech->name, server_quote(s, v, vn));
    } else if (q == end || *q != ',') {
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
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
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client demands a mandatory extension (m=), which this server "
                           "does not support (RFC 5802 section 5.1, e=extensions-not-supported)",
                           s->mech->name);
    if (!scram_attr(&p, end, 'n', &v, &vn))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-first-message has no \"n=\" user name after the gs2 "
                           "header (RFC 5802 section 7)",
                           s->mech->name);
    char *user = scram_unescape(v, vn);
    if (!user)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the user name \"%s\" is empty, too long, or has \"=\" not followed "
                           "by 2C or 3D (RFC 5802 section 5.1, e=invalid-username-encoding)",
                           s->mech->name, server_quote(s, v, vn));
    free(s->user);
    s->user = user;
    if (!scram_attr(&p, end, 'r', &cnonce, &cnonce_len) || !scram_nonce_valid(cnonce, cnonce_len))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-first-message has no \"r=\" nonce of printable "
                           "characters after the user name (RFC 5802 section 7)",
                           s->mech->name);
    if (!scram_extensions_valid(p, end, p > in && p[-1] == ','))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-first-message has malformed extensions after the "
                           "nonce: \"%s\" (RFC 5802 section 7)",
                           s->mech->name, server_quote(s, p, (size_t)(end - p)));
    if (!scram_derive_salt(s) || !scram_make_nonce(s))
        return server_fail(s, MC_SASL_SERVER_TEMPORARY,
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
    if (!scram_attr(&p, end, 'c', &v, &vn))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-final-message \"%s\" does not start with \"c=\" "
                           "(RFC 5802 section 7)",
                           name, server_quote(s, in, len));
    struct mc_buf cbind = {0};
    bool cbind_ok = mc_base64_decode(v, vn, &cbind) >= 0 && cbind.len == s->gs2_header.len &&
                    memcmp(cbind.data, s->gs2_header.data, cbind.len) == 0;
    mc_buf_free(&cbind);
    if (!cbind_ok)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the channel binding \"c=%s\" is not the base64 of the gs2 header "
                           "\"%s\" (RFC 5802 section 7, e=channel-bindings-dont-match)",
                           name, server_quote(s, v, vn), s->gs2_header.data);
    if (!scram_attr(&p, end, 'r', &v, &vn))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-final-message has no \"r=\" after \"c=\" "
                           "(RFC 5802 section 7)",
                           name);
    if (vn != strlen(s->nonce) || memcmp(v, s->nonce, vn) != 0)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the nonce \"%s\" is not the one the server sent (RFC 5802 "
                           "section 5.1)",
                           name, server_quote(s, v, vn));
    /* The proof is the last attribute; extensions may sit between nonce and proof. */
    const char *last = end;
    while (last > p && last[-1] != ',')
        last--;
    if (!(last > p || (p > in && p[-1] == ',')) || end - last < 2 || last[0] != 'p' ||
        last[1] != '=')
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-final-message does not end with \",p=\" and a proof "
                           "(RFC 5802 section 7)",
                           name);
    if (last > p && !scram_extensions_valid(p, last - 1, false))
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the client-final-message has malformed extensions before the "
                           "proof (RFC 5802 section 7)",
                           name);
    size_t h = (size_t)EVP_MD_get_size(s->mech->md());
    if (mc_base64_decode(last + 2, (size_t)(end - last - 2), proof) < 0 || proof->len != h)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the proof \"%s\" is not the base64 of %zu bytes (RFC 5802 "
                           "section 7, e=invalid-encoding)",
                           name, server_quote(s, last + 2, (size_t)(end - last - 2)), h);
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
    bool known = server_lookup(s, s->user, &password);
    unsigned char server_signature[EVP_MAX_MD_SIZE];
    bool computed = false;
    bool match = scram_verify(s, s->mech->md(), &password, &auth_message,
                              (const unsigned char *)proof.data, server_signature, &computed);
    secret_free(&password);
    mc_buf_free(&auth_message);
    mc_buf_free(&proof);
    enum mc_sasl_server_status st = MC_SASL_SERVER_SUCCESS;
    const char *user = server_quote_user(s);
    if (!computed)
        st = server_fail(s, MC_SASL_SERVER_TEMPORARY,
                         "%s: computing the proof failed in OpenSSL (RFC 5802 section 3)",
                         s->mech->name);
    else if (!known)
        st = server_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS,
                         "%s: unknown user \"%s\" (RFC 5802 section 7, e=unknown-user)",
                         s->mech->name, user);
    else if (!match)
        st = server_fail(s, MC_SASL_SERVER_BAD_CREDENTIALS,
                         "%s: wrong proof for \"%s\" (RFC 5802 section 7, e=invalid-proof)",
                         s->mech->name, user);
    else if (s->authzid && strcmp(s->authzid, s->user) != 0)
        st = server_fail(s, MC_SASL_SERVER_AUTHZ_REFUSED,
                         "%s: \"%s\" may not act as authzid \"%s\" (RFC 5802 section 5.1, "
                         "e=invalid-authzid)",
                         s->mech->name, user, server_quote(s, s->authzid, strlen(s->authzid)));
    if (st == MC_SASL_SERVER_SUCCESS) {
        /* server-final-message = "v=" base64(ServerSignature) (RFC 5802 section 7) */
        mc_buf_append_str(out, "v=");
        mc_base64_encode(server_signature, (size_t)EVP_MD_get_size(s->mech->md()), out);
    }
    OPENSSL_cleanse(server_signature, sizeof server_signature);
    return st;
}

static enum mc_sasl_server_status scram_step(struct mc_sasl_server *s, const char *in, size_t len,
                                             struct mc_buf *out)
{
    if (s->stage == 0)
        return scram_server_first(s, in, len, out);
    return scram_server_final(s, in, len, out);
}

/* ---- the mechanism table and the shared exchange rules ------------------------------------- */

static const struct server_mech server_mechs[] = {
    {"PLAIN", NULL, true, empty_challenge, plain_step},
    {"LOGIN", NULL, true, login_start, login_step},
    {"CRAM-MD5", NULL, false, cram_start, cram_step},
    {"SCRAM-SHA-1", EVP_sha1, true, empty_challenge, scram_step},
    {"SCRAM-SHA-256", EVP_sha256, true, empty_challenge, scram_step},
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

bool mc_sasl_server_set_scram_params(struct mc_sasl_server *s, const char *salt_base64,
                                     const char *server_nonce, int iterations)
{
    if (!s->mech->md || s->state != STATE_START)
        return false;
    struct mc_buf salt = {0};
    bool ok = (!salt_base64 || (mc_base64_decode(salt_base64, strlen(salt_base64), &salt) > 0 &&
                                salt.len <= SCRAM_SALT_MAX)) &&
              (!server_nonce || (strlen(server_nonce) <= SCRAM_NONCE_MAX &&
                                 scram_nonce_valid(server_nonce, strlen(server_nonce)))) &&
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
        return server_fail(s, MC_SASL_SERVER_MALFORMED, "%s: a NULL response of %zu bytes", name,
                           len);
    if (!response)
        response = "";
    if (len > MC_SASL_SERVER_RESPONSE_MAX)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: the %zu-byte response exceeds %d bytes (RFC 4954 section 4)", name,
                           len, MC_SASL_SERVER_RESPONSE_MAX);
    if (initial && s->state != STATE_START)
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: an initial response after the exchange began (RFC 4422 "
                           "section 3.3)",
                           name);
    switch (s->state) {
    case STATE_START:
        s->state = STATE_EXCHANGE;
        if (!initial && len > 0)
            return server_fail(s, MC_SASL_SERVER_MALFORMED,
                               "%s: a %zu-byte response before the first challenge; an initial "
                               "response needs initial = true",
                               name, len);
        if (!initial)
            return server_finish(s, s->mech->start(s, challenge), challenge);
        if (!s->mech->initial_ok)
            return server_fail(s, MC_SASL_SERVER_MALFORMED,
                               "%s is server-first: the client may not send an initial "
                               "response (RFC 4422 section 3.3, RFC 4954 section 4)",
                               name);
        break;
    case STATE_EXCHANGE:
        break;
    case STATE_SUCCESS_DATA:
        if (len != 0)
            return server_fail(s, MC_SASL_SERVER_MALFORMED,
                               "%s: the response to the server's final message must be empty "
                               "(RFC 4422 section 5, item 2b; RFC 5802 section 5)",
                               name);
        s->state = STATE_DONE;
        return MC_SASL_SERVER_SUCCESS;
    case STATE_DONE:
    case STATE_FAILED:
        return server_fail(s, MC_SASL_SERVER_MALFORMED,
                           "%s: a response after the exchange succeeded (RFC 4422 section 3.6)",
                           name);
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
