/*
 * transport — the endpoint and TLS mode of each session (see transport.h).
 */
#include "engine/transport.h"

#include <string.h>

#include "engine/run_internal.h"

/* A scenario is about the transport of a session when it says so: a TLS mode, an endpoint,
   or a STARTTLS step of its own. */
static bool about_transport(const struct mc_scenario *sc, size_t i)
{
    const struct mc_session_spec *spec = &sc->sessions[i];
    return spec->tls_given || spec->endpoint || mc_scenario_session_has(sc, i, MC_STEP_STARTTLS);
}

static bool logs_in(const struct mc_scenario *sc, size_t i)
{
    return mc_scenario_session_has(sc, i, MC_STEP_LOGIN) ||
           mc_scenario_session_has(sc, i, MC_STEP_AUTH);
}

/* The server takes logins on `ep` only after STARTTLS, and STARTTLS works there. */
static bool login_needs_starttls(const struct mc_runner *rn, const struct mc_endpoint *ep)
{
    const struct mc_capability_probe *p = mc_probe_of(rn, ep);
    const struct mc_protocol *pr = ep->proto;
    return p && ep->tls != MC_TLS_IMPLICIT && pr->login_needs_tls && pr->starttls_command &&
           p->starttls.cause == MC_CAUSE_NONE && pr->login_needs_tls(&p->plain, &p->after_tls);
}

bool mc_transport_for(const struct mc_runner *rn, const struct mc_scenario *sc, size_t i,
                      struct mc_transport *out, struct mc_buf *why)
{
    const struct mc_session_spec *spec = &sc->sessions[i];
    memset(out, 0, sizeof *out);
    out->tls = spec->tls;
    out->ep = mc_target_endpoint_for(rn->target, spec, why);
    if (about_transport(sc, i))
        return out->ep != NULL;
    if (!out->ep) { /* no plain endpoint: implicit TLS, if that is what the target has */
        struct mc_session_spec tls = *spec;
        tls.tls = MC_TLS_IMPLICIT;
        struct mc_buf ignored = {0};
        out->ep = mc_target_endpoint_for(rn->target, &tls, &ignored);
        mc_buf_free(&ignored);
        if (!out->ep)
            return false;
        mc_buf_reset(why);
        out->tls = MC_TLS_IMPLICIT;
        out->adapted = "over implicit TLS: the target offers no plain endpoint for it";
        return true;
    }
    if (logs_in(sc, i) && login_needs_starttls(rn, out->ep)) {
        out->tls = MC_TLS_STARTTLS;
        out->adapted = "upgraded with STARTTLS: the server takes logins only over TLS";
    }
    return true;
}

const struct mc_endpoint *mc_transport_fixtures(const struct mc_runner *rn, enum mc_tls_mode *tls)
{
    const struct mc_target *t = rn->target;
    *tls = MC_TLS_NONE;
    if (t->deliver_endpoint)
        return mc_target_endpoint_named(t, t->deliver_endpoint);
    const struct mc_endpoint *best = NULL;
    for (size_t i = 0; i < t->endpoint_count; i++) {
        const struct mc_endpoint *e = &t->endpoints[i];
        const struct mc_capability_probe *p = mc_probe_of(rn, e);
        if (!e->proto->store_command || !p || p->unusable.cause || p->login.cause)
            continue;
        if (!best || (e->tls == MC_TLS_IMPLICIT && best->tls != MC_TLS_IMPLICIT))
            best = e;
    }
    if (best && login_needs_starttls(rn, best))
        *tls = MC_TLS_STARTTLS;
    return best;
}
