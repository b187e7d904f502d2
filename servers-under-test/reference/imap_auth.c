/*
 * imap_auth — getting into the authenticated state (STARTTLS, LOGIN, AUTHENTICATE with SASL and
 * SASL-IR) and the commands valid in any state (CAPABILITY, NOOP, LOGOUT, ID, ENABLE,
 * NAMESPACE); see imap_int.h.
 *
 * A listener with login_requires_tls announces LOGINDISABLED and no AUTH= mechanisms until
 * STARTTLS, and refuses LOGIN and AUTHENTICATE with NO [PRIVACYREQUIRED] (RFC 9051 6.2.3,
 * RFC 5530 3). Failed logins never say whether the user exists ([AUTHENTICATIONFAILED]).
 * AUTHENTICATE uses the SASL wire rules shared with POP3 and SMTP (mc_sasl_server_wire): "+ "
 * and base64 challenges, "*" cancels with BAD (RFC 9051 6.2.2), an initial response may follow
 * the mechanism name (SASL-IR, RFC 4959; "=" for an empty one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/sasl.h"
#include "lib/sasl_server.h"
#include "reference/imap_int.h"

#define IMAP_MECHANISM_MAX 32 /* a SASL mechanism name is at most 20 characters (RFC 4422 3.1) */

static bool imap_plaintext_refused(const struct imap *im)
{
    return rs_session_listener(im->s)->login_requires_tls && !rs_session_tls_active(im->s);
}

static void imap_append_mechanisms(struct mc_buf *out)
{
    const char *mechs = mc_sasl_server_mechanisms();
    while (*mechs) {
        size_t n = strcspn(mechs, " ");
        mc_buf_printf(out, " AUTH=%.*s", (int)n, mechs);
        mechs += n;
        mechs += strspn(mechs, " ");
    }
}

void imap_capabilities(struct imap *im, struct mc_buf *out)
{
    mc_buf_append_str(out, "IMAP4rev1 IMAP4rev2 LITERAL+ ID ENABLE IDLE");
    if (im->state == IMAP_NOT_AUTHENTICATED) {
        mc_buf_append_str(out, " SASL-IR");
        if (rs_session_tls_available(im->s) && !rs_session_tls_active(im->s))
            mc_buf_append_str(out, " STARTTLS");
        if (imap_plaintext_refused(im))
            mc_buf_append_str(out, " LOGINDISABLED");
        else
            imap_append_mechanisms(out);
        return;
    }
    mc_buf_printf(out,
                  " NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS "
                  "ESEARCH SEARCHRES CONDSTORE "
                  "APPENDLIMIT=%u",
                  (unsigned)IMAP_LITERAL_MAX);
}

void imap_cmd_capability(struct imap *im, struct imap_cmd *c)
{
    if (!imap_expect_end(im, c))
        return;
    struct mc_buf caps = {0};
    imap_capabilities(im, &caps);
    imap_send(im, "* CAPABILITY %s", caps.data);
    mc_buf_free(&caps);
    imap_ok(im, c, "CAPABILITY completed");
}

void imap_cmd_noop(struct imap *im, struct imap_cmd *c)
{
    if (imap_expect_end(im, c))
        imap_ok(im, c, "NOOP completed");
}

void imap_cmd_logout(struct imap *im, struct imap_cmd *c)
{
    if (!imap_expect_end(im, c))
        return;
    imap_deselect(im);
    imap_send(im, "* BYE logging out");
    imap_send(im, "%s OK LOGOUT completed", c->tag);
    im->state = IMAP_LOGOUT;
    rs_session_close(im->s);
}

/* ID (RFC 2971): NIL or a list of field/value pairs, answered with our own. */
void imap_cmd_id(struct imap *im, struct imap_cmd *c)
{
    struct imap_parser *ps = c->ps;
    struct mc_buf atom = {0}, field = {0};
    bool ok = imap_parse_sp(ps);
    if (ok && imap_peek_char(ps, '(')) {
        ok = imap_parse_char(ps, '(');
        for (bool first = true; ok && !imap_parse_char(ps, ')'); first = false) {
            ps->error = NULL;
            ok = (first || imap_parse_sp(ps)) && imap_parse_string(ps, &field, NULL) &&
                 imap_parse_sp(ps) &&
                 (imap_parse_string(ps, &field, NULL) || imap_parse_atom(ps, &atom));
        }
    } else if (ok) {
        ok = imap_parse_atom(ps, &atom) && strcasecmp(atom.data, "NIL") == 0;
    }
    mc_buf_free(&atom);
    mc_buf_free(&field);
    if (!ok) {
        imap_parse_fail(ps, "ID takes NIL or a list of field/value pairs (RFC 2971 3.1)");
        imap_bad_syntax(im, c);
        return;
    }
    if (!imap_expect_end(im, c))
        return;
    imap_send(im, "* ID (\"name\" \"mailconform-reference\" \"version\" \"%s\")", MC_VERSION);
    imap_ok(im, c, "ID completed");
}

/* ENABLE (RFC 5161): IMAP4rev2 (RFC 9051) and CONDSTORE (RFC 7162 3.1) can be enabled;
   other names are ignored, as RFC 5161 3.1 asks. */
void imap_cmd_enable(struct imap *im, struct imap_cmd *c)
{
    struct mc_buf atom = {0}, enabled = {0};
    bool any = false;
    while (imap_parse_sp(c->ps) && imap_parse_atom(c->ps, &atom)) {
        any = true;
        if (strcasecmp(atom.data, "IMAP4rev2") == 0 && !im->rev2) {
            im->rev2 = im->utf8_accept = true;
            mc_buf_append_str(&enabled, " IMAP4rev2");
        } else if (strcasecmp(atom.data, "CONDSTORE") == 0 && !im->condstore) {
            im->condstore = true;
            mc_buf_append_str(&enabled, " CONDSTORE");
        }
        mc_buf_reset(&atom);
    }
    if (!any || !imap_parse_at_end(c->ps)) {
        imap_parse_fail(c->ps, "ENABLE takes one or more capability names");
        imap_bad_syntax(im, c);
    } else {
        if (enabled.len)
            imap_send(im, "* ENABLED%s", enabled.data);
        imap_ok(im, c, "ENABLE completed");
    }
    mc_buf_free(&atom);
    mc_buf_free(&enabled);
}

/* NAMESPACE (RFC 2342, RFC 9051 6.3.10): one personal namespace, "/" as the separator. */
void imap_cmd_namespace(struct imap *im, struct imap_cmd *c)
{
    if (!imap_expect_end(im, c))
        return;
    imap_send(im, "* NAMESPACE ((\"\" \"%c\")) NIL NIL", MS_HIERARCHY_SEP);
    imap_ok(im, c, "NAMESPACE completed");
}

void imap_cmd_starttls(struct imap *im, struct imap_cmd *c)
{
    if (!imap_expect_end(im, c))
        return;
    if (!rs_session_tls_available(im->s) || rs_session_tls_active(im->s)) {
        imap_bad(im, c, "%s",
                 rs_session_tls_active(im->s) ? "TLS is already active" : "TLS is not available");
        return;
    }
    imap_ok(im, c, "begin TLS negotiation now");
    if (rs_session_start_tls(im->s) != 0)
        rs_session_close(im->s);
}

static void imap_logged_in(struct imap *im, const struct imap_cmd *c, struct ms_user *u,
                           const char *how)
{
    im->user = u;
    im->state = IMAP_AUTHENTICATED;
    struct mc_buf caps = {0};
    imap_capabilities(im, &caps);
    imap_ok(im, c, "[CAPABILITY %s] %s", caps.data, how);
    mc_buf_free(&caps);
}

void imap_cmd_login(struct imap *im, struct imap_cmd *c)
{
    struct mc_buf user = {0}, pass = {0};
    bool parsed = imap_parse_sp(c->ps) && imap_parse_astring(c->ps, &user) &&
                  imap_parse_sp(c->ps) && imap_parse_astring(c->ps, &pass);
    if (!parsed) {
        imap_bad_syntax(im, c);
    } else if (imap_expect_end(im, c)) {
        struct ms_user *u = ms_store_find_user(rs_session_store(im->s), user.data);
        if (imap_plaintext_refused(im))
            imap_no(im, c, "[PRIVACYREQUIRED] LOGIN is disabled until STARTTLS");
        else if (!u || !ms_user_check_password(u, pass.data))
            imap_no(im, c, "[AUTHENTICATIONFAILED] invalid user name or password");
        else
            imap_logged_in(im, c, u, "LOGIN completed");
    }
    mc_buf_free(&user);
    mc_buf_free(&pass);
}

static void imap_auth_end(struct imap *im)
{
    mc_sasl_server_free(im->sasl);
    im->sasl = NULL;
    im->mode = IMAP_MODE_COMMAND;
}

/* One step: the initial response (initial; line NULL when none) or a line the client sent. */
static void imap_auth_step(struct imap *im, const char *line, size_t len, bool initial)
{
    struct imap_parser ps;
    imap_parser_init(&ps, "", 0);
    struct imap_cmd c = {.tag = im->pending_tag, .name = "AUTHENTICATE", .ps = &ps};
    struct mc_buf b64 = {0};
    enum mc_sasl_wire w = mc_sasl_server_wire(im->sasl, line, len, initial, &b64);
    enum mc_sasl_server_failure why = mc_sasl_server_failure(im->sasl);
    struct ms_user *u =
        w == MC_SASL_WIRE_SUCCESS
            ? ms_store_find_user(rs_session_store(im->s), mc_sasl_server_user(im->sasl))
            : NULL;
    if (w == MC_SASL_WIRE_CHALLENGE) {
        im->mode = IMAP_MODE_AUTH;
        imap_send(im, "+ %s", b64.data ? b64.data : "");
        mc_buf_free(&b64);
        return;
    }
    imap_auth_end(im);
    if (u)
        imap_logged_in(im, &c, u, "AUTHENTICATE completed");
    else if (w == MC_SASL_WIRE_CANCELLED)
        imap_bad(im, &c, "AUTHENTICATE cancelled by the client");
    else if (w == MC_SASL_WIRE_BAD_BASE64)
        imap_bad(im, &c, "a SASL response must be base64 (RFC 9051 6.2.2)");
    else if (why == MC_SASL_SERVER_TEMPORARY)
        imap_no(im, &c, "[UNAVAILABLE] authentication is not possible now");
    else
        imap_no(im, &c, "[AUTHENTICATIONFAILED] authentication failed");
    mc_buf_free(&b64);
}

void imap_auth_line(struct imap *im, const char *line, size_t len)
{
    imap_auth_step(im, line, len, false);
}

void imap_cmd_authenticate(struct imap *im, struct imap_cmd *c)
{
    struct mc_buf mech = {0}, initial = {0};
    bool has_initial = false;
    bool ok = imap_parse_sp(c->ps) && imap_parse_atom(c->ps, &mech);
    if (ok && imap_parse_sp(c->ps)) {
        has_initial = true;
        ok = imap_parse_atom(c->ps, &initial); /* base64 and "=" are atom characters */
    }
    if (!ok) {
        imap_bad_syntax(im, c);
    } else if (!imap_expect_end(im, c)) {
        /* answered */
    } else if (imap_plaintext_refused(im)) {
        imap_no(im, c, "[PRIVACYREQUIRED] AUTHENTICATE is disabled until STARTTLS");
    } else if (mech.len >= IMAP_MECHANISM_MAX ||
               !(im->sasl = mc_sasl_server_new(mech.data, rs_session_hostname(im->s),
                                               ms_store_sasl_lookup, rs_session_store(im->s)))) {
        imap_no(im, c, "[CANNOT] unknown SASL mechanism");
    } else {
        snprintf(im->pending_tag, sizeof im->pending_tag, "%s", c->tag);
        imap_auth_step(im, has_initial ? (initial.data ? initial.data : "") : NULL, initial.len,
                       true);
    }
    mc_buf_free(&mech);
    mc_buf_free(&initial);
}
