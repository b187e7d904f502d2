/*
 * sasl — the client side of the SASL mechanisms scenarios use (RFC 4422).
 *
 * A mechanism is a small state machine: it may produce an initial response, then answers each
 * server challenge until the server's final verdict. Challenges and responses here are raw
 * bytes; the protocols carry them base64-encoded (lib/base64.h). SCRAM also checks the
 * server's final message (its signature proves it knew the password): a server that fails that
 * check fails the step even if it says OK.
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195),
 * SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677).
 */
#ifndef MC_LIB_SASL_H
#define MC_LIB_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct mc_sasl;

enum mc_sasl_status {
    MC_SASL_CONTINUE, /* `out` holds the response to send */
    MC_SASL_DONE,     /* nothing more to send; for SCRAM the server signature was verified */
    MC_SASL_FAIL,     /* the challenge was malformed or the server's proof wrong: see error */
};

/* NULL for an unknown mechanism name (case-insensitive). */
struct mc_sasl *mc_sasl_new(const char *mech, const char *user, const char *password);
void mc_sasl_free(struct mc_sasl *s);
bool mc_sasl_known(const char *mech);
/* The mechanisms' names, upper case, NULL-terminated. */
const char *const *mc_sasl_mechanisms(void);
/* The initial response, if the mechanism has one (PLAIN, SCRAM client-first); false if not. */
bool mc_sasl_initial(struct mc_sasl *s, struct mc_buf *out);
/* Answer one server challenge (decoded bytes). */
enum mc_sasl_status mc_sasl_step(struct mc_sasl *s, const char *challenge, size_t len,
                                 struct mc_buf *out);
/* After the server's final success: true when the mechanism is satisfied (SCRAM: the server
   signature, which may arrive in the success reply's additional data, was verified). */
bool mc_sasl_complete(struct mc_sasl *s);
const char *mc_sasl_error(const struct mc_sasl *s);
/* Test hook: fix the client nonce (SCRAM) so RFC test vectors can be reproduced. */
void mc_sasl_set_nonce(struct mc_sasl *s, const char *nonce);

#endif
