/*
 * redact — keeps the test accounts' secrets out of transcripts and reports.
 *
 * A report is meant to be handed over (to a customer, a bug tracker), so by default the
 * bytes the harness sent are recorded with each secret replaced by a mask: a user's password
 * by `${password}` (or `${passwordN}` for the scenario's other users, the names a scenario
 * file uses), the base64 of a SASL PLAIN initial response (which holds the password) and every
 * SASL response of an AUTH exchange by `[redacted]`. `--keep-secrets` turns it off (a report
 * meant for replay, say). Passwords shorter than REDACT_SECRET_MIN are not masked: masking
 * every "ab" in a transcript would garble it, and such a password protects nothing.
 */
#ifndef MC_ENGINE_REDACT_H
#define MC_ENGINE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

#define REDACT_SECRET_MIN 4 /* octets; shorter secrets are left as they are (see above) */

struct mc_redactor;

struct mc_redactor *mc_redactor_new(void);
void mc_redactor_free(struct mc_redactor *r);
/* Adds a secret and the text that stands for it. */
void mc_redactor_add(struct mc_redactor *r, const char *secret, size_t len, const char *mask);
/* Adds a test user's password as itself and as every protocol's login commands may write it
   (protocol.h, secret_forms), masked by `mask`; its SASL PLAIN forms by
   "[redacted SASL PLAIN response]". */
void mc_redactor_add_user(struct mc_redactor *r, const char *user, const char *password,
                          const char *mask);
/* Removes the secrets added since `mark` (mc_redactor_mark), e.g. an exchange's responses. */
size_t mc_redactor_mark(const struct mc_redactor *r);
void mc_redactor_drop(struct mc_redactor *r, size_t mark);
/* Whether `data` holds a secret. */
bool mc_redactor_hits(const struct mc_redactor *r, const char *data, size_t len);
/* out = data with every secret replaced by its mask (the longest secret first at each place);
   with r NULL (secrets kept), a plain copy. */
void mc_redact(const struct mc_redactor *r, const char *data, size_t len, struct mc_buf *out);

#endif
