/*
 * sasl_server — the server side of the SASL mechanisms the reference server offers (RFC 4422):
 * PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195), SCRAM-SHA-1 and
 * SCRAM-SHA-256 (RFC 5802, RFC 7677; no channel binding, so no -PLUS variants).
 *
 * One `struct mc_sasl_server` is one authentication exchange. It sees raw bytes only: the
 * protocol layer (SMTP AUTH, POP3 AUTH, IMAP AUTHENTICATE) owns the wire, which means
 *  - a response of "*" is the client cancelling (RFC 4422 section 3.4): the protocol checks for
 *    it BEFORE decoding, answers with its cancel reply (SMTP 501, POP3 -ERR, IMAP BAD) and frees
 *    the exchange; it never reaches this module;
 *  - base64 (mc_base64_decode in lib/sasl.h) is decoded by the protocol, which answers invalid
 *    base64 itself (SMTP 501 5.5.2, RFC 4954 section 4);
 *  - an initial response of "=" is an EMPTY initial response, not an absent one (RFC 4422
 *    section 5, item 2a): pass len 0 with initial = true. No initial response at all is
 *    initial = false on the first call.
 *
 * Driving an exchange (the challenge buffer is reset by every step, then filled):
 *
 *     st = mc_sasl_server_step(s, ir, ir_len, has_ir, &chal);    first call, with or without IR
 *     while (st == MC_SASL_SERVER_CONTINUE
 *            || (st == MC_SASL_SERVER_SUCCESS && chal.len > 0 && !protocol_has_success_data)) {
 *         send chal base64-encoded as a challenge (SMTP "334 ", POP3/IMAP "+ ");
 *         read the response; "*" → cancel; invalid base64 → malformed reply;
 *         st = mc_sasl_server_step(s, resp, resp_len, false, &chal);
 *     }
 *     SUCCESS → authenticated as mc_sasl_server_user(s); FAIL → see mc_sasl_server_failure().
 *
 * SUCCESS with a non-empty challenge is "additional data with success" (RFC 4422 section 3.6):
 * SCRAM's server-final-message "v=...". SMTP (RFC 4954), POP3 (RFC 5034) and IMAP4rev1 (RFC 3501)
 * cannot carry it in the success reply, so they send it as one more challenge; the client owes
 * an EMPTY response, and the next step returns SUCCESS again with an empty challenge (anything
 * else fails). A protocol whose profile can carry success data (RFC 4422 section 5, item 2b)
 * puts it in the success reply and stops there. mc_sasl_server_user is set from the first
 * SUCCESS.
 *
 * A FAIL is final: every later step fails too and mc_sasl_server_user returns NULL. The error
 * text is for the server's log and reports; it says "unknown user" where that is the reason, so
 * a server must not send it to the client verbatim (user enumeration). Suggested replies by kind:
 *   BAD_CREDENTIALS  SMTP 535 5.7.8, POP3 -ERR [AUTH], IMAP NO [AUTHENTICATIONFAILED]
 *   AUTHZ_REFUSED    SMTP 535 5.7.8, POP3 -ERR [AUTH], IMAP NO [AUTHORIZATIONFAILED] (RFC 5530)
 *   MALFORMED        SMTP 501 5.5.2, POP3 -ERR, IMAP BAD — a client or harness bug, not a login
 *   TEMPORARY        SMTP 454 4.7.0, POP3 -ERR [SYS/TEMP], IMAP NO [UNAVAILABLE] (no RNG, ...)
 *
 * Passwords are known in plaintext through the lookup callback (the reference server's user
 * table), which appends the user's password to `password` and returns true, or returns false
 * for an unknown user. Unknown users go through the same steps as known ones (SCRAM answers
 * with a salt and fails at the proof) so the exchange does not reveal who exists.
 *
 * SCRAM salts are derived, not stored: HMAC-SHA-256(process secret, user name), 16 bytes. The
 * process secret is random, made once per process, so a user sees the same salt on every login
 * of one server run (as with a real server's stored salt, and clients may cache SaltedPassword,
 * RFC 5802 section 5.1), unknown users get a plausible stable salt too, and no salt is
 * predictable from outside. A restart changes every salt, which is harmless: the server keeps
 * the plaintext password and derives the keys at each login.
 */
#ifndef MC_LIB_SASL_SERVER_H
#define MC_LIB_SASL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* The largest decoded response accepted: RFC 4954 section 4 has servers accept 12288-octet
   AUTH lines, and 12288 base64 characters carry 9216 bytes. Protocols may reject longer lines
   before decoding; this module fails anything longer as MALFORMED. */
#define MC_SASL_SERVER_RESPONSE_MAX 9216
/* The SCRAM iteration count the server announces: RFC 7677 section 4 asks for at least 4096. */
#define MC_SASL_SERVER_SCRAM_ITERATIONS 4096

struct mc_sasl_server;

/* Appends `user`'s password to `password` and returns true; false for an unknown user. */
typedef bool (*mc_sasl_password_lookup)(void *ctx, const char *user, struct mc_buf *password);

enum mc_sasl_server_status {
    MC_SASL_SERVER_CONTINUE, /* send `challenge` (possibly empty) and step with the response */
    MC_SASL_SERVER_SUCCESS,  /* authenticated; a non-empty `challenge` is success data */
    MC_SASL_SERVER_FAIL,     /* final; see mc_sasl_server_error and mc_sasl_server_failure */
};

enum mc_sasl_server_failure {
    MC_SASL_SERVER_NOT_FAILED,
    MC_SASL_SERVER_BAD_CREDENTIALS, /* unknown user or wrong password / proof / digest */
    MC_SASL_SERVER_AUTHZ_REFUSED,   /* authenticated, but may not act as the authzid asked for */
    MC_SASL_SERVER_MALFORMED,       /* a message breaks the mechanism's syntax or sequence */
    MC_SASL_SERVER_TEMPORARY,       /* the server could not do its part (RNG, digest missing) */
};

/* NULL for an unknown mechanism name (case-insensitive). `hostname` goes into CRAM-MD5's
   challenge (NULL, empty or not a plain host name: "localhost"); `lookup` must not be NULL. */
struct mc_sasl_server *mc_sasl_server_new(const char *mech, const char *hostname,
                                          mc_sasl_password_lookup lookup, void *ctx);
void mc_sasl_server_free(struct mc_sasl_server *s);
bool mc_sasl_server_known(const char *mech);
/* The mechanisms, space-separated as in an EHLO AUTH line or a CAPA SASL line. */
const char *mc_sasl_server_mechanisms(void);
/* One step of the exchange; see the top comment. `response` holds `len` decoded bytes (NULL is
   fine when len is 0); `initial` is true only on the first call, when the client sent an
   initial response. */
enum mc_sasl_server_status mc_sasl_server_step(struct mc_sasl_server *s, const char *response,
                                               size_t len, bool initial, struct mc_buf *challenge);
/* What a protocol has to do after one line of an AUTH exchange (see mc_sasl_server_wire). */
enum mc_sasl_wire {
    MC_SASL_WIRE_CHALLENGE,  /* send `b64` as a challenge ("+ ", "334 ") and read the next line */
    MC_SASL_WIRE_SUCCESS,    /* authenticated as mc_sasl_server_user() */
    MC_SASL_WIRE_FAIL,       /* see mc_sasl_server_failure() for the reply to choose */
    MC_SASL_WIRE_CANCELLED,  /* the client sent "*" (RFC 4422 3.5) */
    MC_SASL_WIRE_BAD_BASE64, /* the line was not base64 */
};

/* The wire rules POP3 AUTH (RFC 5034), SMTP AUTH (RFC 4954) and IMAP AUTHENTICATE share: `line`
   is one client line in base64, or the initial response of the command when `initial` ("="
   standing for an empty one), or NULL for a command without one; "*" cancels; the challenge
   comes back base64-encoded in `b64`. None of these protocols carries data with its success
   reply, so SCRAM's server-final message goes out as one more challenge, answered by an
   empty line. After anything but CHALLENGE the exchange is over. */
enum mc_sasl_wire mc_sasl_server_wire(struct mc_sasl_server *s, const char *line, size_t len,
                                      bool initial, struct mc_buf *b64);

/* The authenticated user (authcid) once a step returned SUCCESS, else NULL. */
const char *mc_sasl_server_user(const struct mc_sasl_server *s);
const char *mc_sasl_server_error(const struct mc_sasl_server *s); /* "" unless failed */
enum mc_sasl_server_failure mc_sasl_server_failure(const struct mc_sasl_server *s);

/* Test hooks, to reproduce RFC test vectors; call before the first step. Each returns false,
   changing nothing, when the value is invalid or the mechanism does not use it.
   SCRAM: a base64 salt, the server's part of the nonce, an iteration count; NULL / 0 keeps the
   default (derived salt, random nonce, MC_SASL_SERVER_SCRAM_ITERATIONS). */
bool mc_sasl_server_set_scram_params(struct mc_sasl_server *s, const char *salt_base64,
                                     const char *server_nonce, int iterations);
/* CRAM-MD5: the challenge to send instead of a fresh "<random.timestamp@hostname>". */
bool mc_sasl_server_set_challenge(struct mc_sasl_server *s, const char *challenge);

#endif
