/*
 * transport — which endpoint, and over what, each session of a scenario talks to on this
 * target.
 *
 * A session names a protocol and, when the scenario is about the transport, a TLS mode or an
 * endpoint; those are kept exactly as written. A session that says nothing about TLS (most
 * scenarios test commands, not transports) runs over what the target offers: over implicit TLS
 * when the target has no plain endpoint for the protocol (imaps:// only), and upgraded with
 * STARTTLS when it logs in and the probe saw that the server takes logins only over TLS
 * (LOGINDISABLED, AUTH announced only after STARTTLS). The adaptation is noted in the
 * transcript and in the report's sessions, so a reader knows what ran.
 */
#ifndef MC_ENGINE_TRANSPORT_H
#define MC_ENGINE_TRANSPORT_H

#include <stdbool.h>

#include "engine/result.h"
#include "engine/scenario.h"
#include "engine/target.h"

struct mc_runner;

struct mc_transport {
    const struct mc_endpoint *ep;
    enum mc_tls_mode tls; /* how the session runs: NONE, IMPLICIT (the endpoint's), STARTTLS */
    const char *adapted;  /* NULL, or why it differs from what the scenario wrote */
};

/* The transport of session `i`; false (with `why`: what the target lacks) when there is none. */
bool mc_transport_for(const struct mc_runner *rn, const struct mc_scenario *sc, size_t i,
                      struct mc_transport *out, struct mc_buf *why);

/* The endpoint fixture messages go through, and over what: the profile's delivery endpoint
   (SMTP/LMTP, plain), else one whose protocol can store a message as the recipient (IMAP
   APPEND), usable by the probe's account, implicit TLS preferred, STARTTLS when it takes
   logins only over TLS. NULL when there is none. */
const struct mc_endpoint *mc_transport_fixtures(const struct mc_runner *rn, enum mc_tls_mode *tls);

#endif
