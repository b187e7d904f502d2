/*
 * smtp_auth — AUTH (RFC 4954) for the reference SMTP server (see smtp_int.h), driving the
 * server side of SASL (lib/sasl_server.h). Challenges go out as "334 base64"; a response of "*"
 * cancels (501 5.0.0); SCRAM's server-final message, which a 235 cannot carry, is one more 334
 * that the client answers with an empty line (RFC 4954 4). Failures never say why (no user
 * enumeration): 535 5.7.8 for credentials, 501 5.5.2 for malformed exchanges, 454 4.7.0 for
 * the server's own trouble. Offered over TLS only; see smtp.c for the rules around it.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/sasl.h"
#include "lib/sasl_server.h"
#include "reference/smtp_int.h"

static void auth_leave(struct rs_session *s, struct smtp *m)
{
    mc_sasl_server_free(m->sasl);
    m->sasl = NULL;
    m->mode = SMTP_MODE_COMMAND;
    rs_session_set_line_max(s, SMTP_COMMAND_LINE_MAX);
}

static void auth_failed(struct rs_session *s, struct smtp *m)
{
    switch (mc_sasl_server_failure(m->sasl)) {
    case MC_SASL_SERVER_MALFORMED:
        rs_session_send(s, "501 5.5.2 Malformed authentication exchange");
        break;
    case MC_SASL_SERVER_TEMPORARY:
        rs_session_send(s, "454 4.7.0 Temporary authentication failure");
        break;
    default:
        rs_session_send(s, "535 5.7.8 Authentication credentials invalid");
        break;
    }
    auth_leave(s, m);
}

/* One line of the exchange (the initial response of AUTH when `initial`, NULL if none, or an
   answer to a 334); replies 334, 235 or the failure. */
static void auth_line(struct rs_session *s, struct smtp *m, const char *line, size_t len,
                      bool initial)
{
    struct mc_buf b64 = {0};
    switch (mc_sasl_server_wire(m->sasl, line, len, initial, &b64)) {
    case MC_SASL_WIRE_CHALLENGE:
        rs_session_send(s, "334 %s", b64.data);
        m->mode = SMTP_MODE_AUTH;
        rs_session_set_line_max(s, SMTP_AUTH_LINE_MAX);
        break;
    case MC_SASL_WIRE_SUCCESS:
        m->authed = mc_xstrdup(mc_sasl_server_user(m->sasl));
        rs_session_send(s, "235 2.7.0 Authentication successful");
        auth_leave(s, m);
        break;
    case MC_SASL_WIRE_CANCELLED:
        rs_session_send(s, "501 5.0.0 Authentication cancelled");
        auth_leave(s, m);
        break;
    case MC_SASL_WIRE_BAD_BASE64:
        rs_session_send(s, "501 5.5.2 Cannot decode %s", initial ? "initial response" : "response");
        auth_leave(s, m);
        break;
    case MC_SASL_WIRE_FAIL:
        auth_failed(s, m);
        break;
    }
    mc_buf_free(&b64);
}

/* A line in SMTP_MODE_AUTH: the client's response to a 334. */
void smtp_auth_response(struct rs_session *s, struct smtp *m, const char *line, size_t len)
{
    auth_line(s, m, line, len, false);
}

void smtp_auth_command(struct rs_session *s, struct smtp *m, const char *arg)
{
    char mech[32] = "";
    const char *ir = arg ? strchr(arg, ' ') : NULL;
    size_t ml = arg ? (ir ? (size_t)(ir - arg) : strlen(arg)) : 0;
    if (ml < sizeof mech)
        snprintf(mech, sizeof mech, "%.*s", (int)ml, arg ? arg : "");
    if (!smtp_auth_offered(s, m)) {
        rs_session_send(s, "538 5.7.11 Encryption required for requested authentication mechanism");
    } else if (!m->helo || !m->esmtp) {
        rs_session_send(s, "503 5.5.1 Send EHLO first");
    } else if (m->authed) {
        rs_session_send(s, "503 5.5.1 Already authenticated");
    } else if (m->in_mail) {
        rs_session_send(s, "503 5.5.1 AUTH not permitted during a mail transaction");
    } else if (!mech[0]) {
        rs_session_send(s, "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
    } else if (!(m->sasl = mc_sasl_server_new(mech, rs_session_hostname(s), ms_store_sasl_lookup,
                                              rs_session_store(s)))) {
        rs_session_send(s, "504 5.5.4 Unrecognized authentication type");
    } else {
        auth_line(s, m, ir ? ir + 1 : NULL, ir ? strlen(ir + 1) : 0, true);
    }
}
