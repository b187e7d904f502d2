/*
 * probe — asks each endpoint of the target what it supports, and whether it can be used at all,
 * before any scenario runs.
 *
 * For every endpoint: connect, read the greeting (IMAP may list capabilities in it), send the
 * protocol's capability command (CAPA, CAPABILITY, EHLO/LHLO), and where the server offers
 * STARTTLS/STLS upgrade and ask again, because servers announce more after TLS (AUTH on
 * submission, LOGINDISABLED gone from IMAP). Then it logs in as the target's first test user
 * and asks once more, because IMAP servers announce most extensions (UIDPLUS, MOVE ...) only
 * to an authenticated client. What is seen goes into the report and decides which
 * scenarios' "requires" are met.
 *
 * The probe is also where problems of the set-up show first, and it names them once instead
 * of letting every scenario time out on them: nothing listening (`unreachable`), a name that
 * does not resolve (`dns`), a certificate the tester does not trust (`tls`), another protocol
 * or plain text where TLS was expected on the port (`protocol-mismatch`), a server that never
 * says a word (`no-greeting`) or refuses this client in its greeting (`refused`), and a login
 * with the profile's first user that the server refuses as wrong credentials (`credentials`).
 * A broken greeting that is still recognisably this protocol is not a set-up problem: the
 * scenarios run and fail on it, citing the RFC. Every phase has its own deadline.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/run_internal.h"
#include "engine/transcript.h"
#include "lib/escape.h"

struct mc_probe {
    struct mc_runner *rn;
    struct mc_capability_probe *out;
    struct mc_session *s;
    struct event *deadline;
    int phase;
    bool finished;
    struct mc_strv login; /* the login commands still to send */
    size_t login_next;
    size_t login_user;        /* the test user it logs in as */
    int login_tries;          /* users refused so far */
    struct mc_buf first_line; /* the server's first line, as it came (for mismatch checks) */
    bool have_first_line;
    bool no_starttls;      /* STARTTLS failed the tester's checks: probe on without it */
    struct event *reopen;  /* connects again from a fresh event (never inside a callback) */
    struct event *release; /* closes the connection once the probe is over, from a fresh event */
    /* The dialogue (out->dialogue), recorded like a scenario's transcript, secrets masked. */
    struct mc_transcript_budget budget;
    struct mc_redactor *redact; /* NULL: --keep-secrets */
    double t0;
};

/* Test users the probe tries on one endpoint before it calls the login broken: one wrong
   password retires its user, several mean the profile is wrong. */
#define PROBE_LOGIN_TRIES 3

enum { PH_GREETING, PH_CAPS, PH_STARTTLS, PH_TLS, PH_CAPS_TLS, PH_LOGIN, PH_CAPS_LOGIN, PH_QUIT };

static void probe_finish(struct mc_probe *p, const char *error)
{
    if (p->finished)
        return;
    p->finished = true;
    if (error && !p->out->error)
        p->out->error = mc_xstrdup(error);
    evtimer_del(p->deadline);
    struct timeval now = {0, 0};
    evtimer_add(p->release, &now); /* not held for the whole run */
    if (--p->rn->probes_pending == 0)
        p->rn->probes_done(p->rn);
}

/* Each phase gets the step deadline: a silent server costs one deadline, not a run's worth. */
static void probe_arm(struct mc_probe *p)
{
    int ms = p->rn->opts->step_timeout_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(p->deadline, &tv);
}

static void probe_send(struct mc_probe *p, const char *line, int phase)
{
    struct mc_exchange_opts opts = {.multiline = -1};
    p->phase = phase;
    probe_arm(p);
    mc_session_exchange(p->s, MC_EX_COMMAND, line, strlen(line), &opts);
}

static void probe_quit(struct mc_probe *p)
{
    probe_send(p, p->s->proto->quit_command, PH_QUIT);
}

static void probe_tls_facts(struct mc_probe *p)
{
    struct mc_tls_facts f;
    struct mc_capability_probe *o = p->out;
    if (!p->s->conn || o->tls_checked)
        return;
    mc_conn_tls_facts(p->s->conn, &f);
    o->tls_checked = true;
    o->tls_verified = f.verified;
    o->tls_version = f.version[0] ? mc_xstrdup(f.version) : NULL;
    o->tls_subject = f.subject[0] ? mc_xstrdup(f.subject) : NULL;
    o->tls_expires = f.expires[0] ? mc_xstrdup(f.expires) : NULL;
    o->tls_verify_error = f.verify_error[0] ? mc_xstrdup(f.verify_error) : NULL;
}

/* Appends one entry to the probe's dialogue (client bytes with the secrets masked). */
static void probe_note(struct mc_probe *p, enum mc_transcript_dir dir, const char *data, size_t len)
{
    struct mc_scenario_result *d = &p->out->dialogue;
    double t = d->transcript_truncated ? 0 : mc_now_monotonic() - p->t0;
    if (dir == MC_DIR_CLIENT && p->redact && mc_redactor_hits(p->redact, data, len)) {
        struct mc_buf masked = {0};
        mc_redact(p->redact, data, len, &masked);
        mc_transcript_add(d, &p->budget, t, -1, dir, masked.data, masked.len);
        mc_buf_free(&masked);
        return;
    }
    mc_transcript_add(d, &p->budget, t, -1, dir, data, len);
}

static void probe_note_text(struct mc_probe *p, const char *text)
{
    probe_note(p, MC_DIR_EVENT, text, strlen(text));
}

/* "TLS established: ...", worded as a scenario's transcript words it. */
static void probe_note_tls(struct mc_probe *p)
{
    struct mc_buf d = {0};
    mc_buf_append_str(&d, "TLS established: ");
    if (p->s->conn)
        mc_conn_tls_description(p->s->conn, &d);
    probe_note_text(p, d.data);
    mc_buf_free(&d);
}

/* --- what the probe learns about the set-up --- */

/* The first line is not this protocol's greeting but another's: the wrong port. */
static bool probe_mismatch(struct mc_probe *p)
{
    const struct mc_endpoint *e = p->s->endpoint;
    const char *line = p->first_line.data ? p->first_line.data : "";
    size_t len = p->first_line.len;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (!p->have_first_line || e->proto->greeting_is_mine(line, len))
        return false;
    const struct mc_protocol *other = mc_protocol_guess_greeting(line, len);
    if (!other)
        return false;
    struct mc_buf why = {0}, hint = {0};
    mc_buf_printf(&why, "endpoint '%s' (%s port %d) greets like %s, not %s: '%.*s'", e->name,
                  e->host, e->port, other->name, e->proto->name, (int)(len > 120 ? 120 : len),
                  line);
    mc_buf_printf(&hint, "point endpoint '%s' at the %s port of the server (or declare it as %s)",
                  e->name, e->proto->name, other->name);
    mc_problem_set(&p->out->unusable, MC_CAUSE_PROTOCOL_MISMATCH, why.data, hint.data);
    mc_buf_free(&why);
    mc_buf_free(&hint);
    return true;
}

static void probe_open(struct mc_probe *p);

/* A connection that failed before the greeting, or a handshake that failed. */
static void probe_connection_failed(struct mc_probe *p, const char *why)
{
    struct mc_buf hint = {0}, text = {0};
    enum mc_cause cause = mc_session_failure_cause(p->s);
    mc_session_failure_hint(p->s, &hint);
    const struct mc_endpoint *e = p->s->endpoint;
    mc_buf_printf(&text, "endpoint '%s' (%s port %d): %s", e->name, e->host, e->port, why);
    if (p->phase == PH_TLS) {
        if (cause == MC_CAUSE_TLS) {
            /* The tester does not trust the certificate: the rest (logging in, what is
               announced then) can still be learnt without TLS. */
            mc_problem_set(&p->out->starttls, cause, text.data, hint.data);
            p->no_starttls = true;
        }
    } else if (p->phase == PH_GREETING && cause != MC_CAUSE_NONE) {
        mc_problem_set(&p->out->unusable, cause, text.data, hint.data);
    } else if (p->phase == PH_GREETING && !p->s->greeted) {
        mc_problem_set(&p->out->unusable, MC_CAUSE_REFUSED, text.data,
                       "the server drops connections from this client before greeting it: check "
                       "its access rules for the tester's address");
    } else if (p->phase == PH_GREETING) {
        probe_mismatch(p);
    }
    mc_buf_free(&hint);
    mc_buf_free(&text);
}

static void probe_greeting(struct mc_probe *p)
{
    const struct mc_reply *r = &p->s->reply;
    const struct mc_protocol *pr = p->s->proto;
    p->out->greeting = mc_escape_dup(r->status_line ? r->status_line : "",
                                     r->status_line ? r->status_line_len : 0, MC_ESCAPE_KEEP_UTF8);
    if (probe_mismatch(p)) {
        probe_finish(p, p->out->unusable.why);
        return;
    }
    if (!r->positive) {
        const struct mc_endpoint *e = p->s->endpoint;
        struct mc_buf why = {0};
        mc_buf_printf(&why, "endpoint '%s' (%s port %d) refuses service in its greeting: '%s'",
                      e->name, e->host, e->port, r->status_line ? r->status_line : "");
        mc_problem_set(&p->out->unusable, MC_CAUSE_REFUSED, why.data,
                       "the server will not serve this client: check its access rules for the "
                       "tester's address, or whether it is shutting down");
        probe_finish(p, why.data);
        mc_buf_free(&why);
        return;
    }
    if (pr->greeting_capabilities)
        pr->greeting_capabilities(r, &p->out->plain);
    probe_send(p, pr->capability_command, PH_CAPS);
}

/* The next test user the probe may log in as (not retired), from `from` on; -1 when none. */
static long probe_next_user(const struct mc_probe *p, size_t from)
{
    for (size_t i = from; i < p->rn->target->user_count; i++)
        if (!p->rn->user_retired[i])
            return (long)i;
    return -1;
}

/* After the capabilities (and TLS): log in, if the target has users, else say goodbye. */
static void probe_login_or_quit(struct mc_probe *p)
{
    const struct mc_target *t = p->rn->target;
    if (p->login.count == 0 && p->login_next == 0) {
        long u = probe_next_user(p, p->login_user);
        if (u >= 0) {
            p->login_user = (size_t)u;
            p->s->proto->login_commands(t->users[u].name, t->users[u].password, &p->login);
        }
    }
    if (p->login_next < p->login.count)
        probe_send(p, p->login.items[p->login_next++].ptr, PH_LOGIN);
    else
        probe_quit(p);
}

/* A refused login: wrong credentials retire that user, and the next one is tried (a few at
   most); only when none gets in is logging in there a problem of the set-up. */
static void probe_login_refused(struct mc_probe *p)
{
    const struct mc_reply *r = &p->s->reply;
    const struct mc_endpoint *e = p->s->endpoint;
    const struct mc_user *u = &p->rn->target->users[p->login_user];
    if (r->kind != MC_REPLY_FINAL || !p->s->proto->credentials_refused(r)) {
        probe_quit(p); /* not every endpoint takes a login (plain SMTP relay): no matter */
        return;
    }
    struct mc_buf why = {0}, hint = {0};
    mc_buf_printf(&why, "endpoint '%s' refuses the login of test user '%s': '%s'", e->name, u->name,
                  r->status_line ? r->status_line : "");
    mc_runner_retire_user(p->rn, p->login_user, MC_CAUSE_CREDENTIALS, why.data);
    if (++p->login_tries < PROBE_LOGIN_TRIES && probe_next_user(p, p->login_user + 1) >= 0) {
        p->login_user++;
        mc_strv_free(&p->login);
        p->login_next = 0;
        probe_login_or_quit(p);
    } else {
        mc_buf_printf(&hint,
                      "check the passwords of the test users in the target profile (or the "
                      "USER:PASSWORD of the URL), and that the accounts exist on the server");
        mc_problem_set(&p->out->login, MC_CAUSE_CREDENTIALS, why.data, hint.data);
        probe_quit(p);
    }
    mc_buf_free(&why);
    mc_buf_free(&hint);
}

static void probe_reply(struct mc_probe *p)
{
    const struct mc_reply *r = &p->s->reply;
    const struct mc_protocol *pr = p->s->proto;
    switch (p->phase) {
    case PH_GREETING:
        probe_greeting(p);
        return;
    case PH_CAPS:
    case PH_CAPS_TLS:
        if (r->positive)
            pr->capabilities(r, p->phase == PH_CAPS ? &p->out->plain : &p->out->after_tls);
        if (p->phase == PH_CAPS && pr->starttls_command && p->s->endpoint->tls != MC_TLS_IMPLICIT &&
            !p->no_starttls && mc_strv_contains_nocase(&p->out->plain, pr->starttls_command))
            probe_send(p, pr->starttls_command, PH_STARTTLS);
        else
            probe_login_or_quit(p);
        return;
    case PH_LOGIN:
        if (!r->positive || r->kind != MC_REPLY_FINAL) {
            probe_login_refused(p);
        } else if (p->login_next < p->login.count) {
            probe_login_or_quit(p);
        } else {
            p->rn->user_verified[p->login_user] = true;
            probe_send(p, pr->capability_command, PH_CAPS_LOGIN);
        }
        return;
    case PH_CAPS_LOGIN:
        if (r->positive)
            pr->capabilities(r, &p->out->after_login);
        probe_quit(p);
        return;
    case PH_STARTTLS: {
        struct mc_buf err = {0};
        p->phase = PH_TLS;
        probe_arm(p);
        if (!r->positive || !pr->starttls_ready(r, &err) || mc_session_start_tls(p->s, &err) != 0)
            probe_finish(p, err.len ? err.data : "STARTTLS was refused");
        mc_buf_free(&err);
        return;
    }
    case PH_QUIT:
    default:
        probe_finish(p, NULL);
        return;
    }
}

static void probe_event(void *arg, struct mc_session *s, enum mc_session_event ev, const char *why)
{
    (void)s;
    struct mc_probe *p = arg;
    if (p->finished)
        return;
    switch (ev) {
    case MC_SEV_CONNECTED:
        if (p->s->endpoint->tls == MC_TLS_IMPLICIT) {
            probe_note_tls(p);
            probe_tls_facts(p);
        }
        break;
    case MC_SEV_REPLY:
        probe_reply(p);
        break;
    case MC_SEV_TLS_DONE:
        probe_note_tls(p);
        probe_tls_facts(p);
        probe_send(p, p->s->proto->capability_command, PH_CAPS_TLS);
        break;
    case MC_SEV_CLOSED:
    case MC_SEV_FAILED:
        probe_note_text(p, why);
        if (p->phase != PH_QUIT)
            probe_connection_failed(p, why);
        if (p->phase == PH_TLS && p->no_starttls && !p->out->error) {
            p->out->error = mc_xstrdup(why);
            struct timeval now = {0, 0};
            evtimer_add(p->reopen, &now); /* again, in plain text */
            break;
        }
        probe_finish(p, p->phase == PH_QUIT ? NULL : why);
        break;
    }
}

/* Records the dialogue, and keeps the server's first line: the greeting, or whatever came
   instead of it. */
static void probe_record(void *arg, struct mc_session *s, enum mc_transcript_dir dir,
                         const char *data, size_t len)
{
    (void)s;
    struct mc_probe *p = arg;
    if (!p->finished)
        probe_note(p, dir, data, len);
    if (dir != MC_DIR_SERVER || p->have_first_line)
        return;
    mc_buf_append(&p->first_line, data, len > 512 ? 512 : len);
    p->have_first_line = true;
}

static void probe_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_probe *p = arg;
    const struct mc_endpoint *e = p->s->endpoint;
    int ms = p->rn->opts->step_timeout_ms;
    struct mc_buf why = {0};
    mc_session_stop_reading(p->s);
    if (p->phase == PH_GREETING && !p->s->open && e->tls == MC_TLS_IMPLICIT && p->s->conn &&
        mc_conn_tcp_established(p->s->conn)) {
        mc_buf_printf(&why,
                      "endpoint '%s' (%s port %d) accepted the connection but did not complete "
                      "the TLS handshake within %d ms",
                      e->name, e->host, e->port, ms);
        mc_problem_set(&p->out->unusable, MC_CAUSE_NO_GREETING, why.data,
                       "is this port really implicit TLS (993, 995, 465)? A plain-text port "
                       "would have greeted: check the server's TLS set-up");
    } else if (p->phase == PH_GREETING && !p->s->open) {
        mc_buf_printf(&why, "endpoint '%s': could not connect to %s port %d within %d ms", e->name,
                      e->host, e->port, ms);
        mc_problem_set(&p->out->unusable, MC_CAUSE_UNREACHABLE, why.data,
                       "nothing answers there (a firewall dropping packets?): check the host, "
                       "the port and the network path");
    } else if (p->phase == PH_GREETING && !p->s->greeted &&
               !(p->s->conn && mc_conn_input_length(p->s->conn))) {
        mc_buf_printf(&why,
                      "endpoint '%s' (%s port %d) accepted the connection but sent no "
                      "greeting within %d ms",
                      e->name, e->host, e->port, ms);
        mc_problem_set(&p->out->unusable, MC_CAUSE_NO_GREETING, why.data,
                       e->tls == MC_TLS_IMPLICIT
                           ? "is the server overloaded, or is this not a mail port?"
                           : "if this port expects TLS from the first byte (993, 995, 465), "
                             "declare it with implicit TLS (imaps://, pop3s://, smtps://)");
    } else if (p->phase == PH_GREETING && probe_mismatch(p)) {
        mc_buf_append_str(&why, p->out->unusable.why);
    } else if (p->phase == PH_TLS) {
        mc_buf_printf(&why,
                      "endpoint '%s': the TLS handshake after %s did not complete within "
                      "%d ms",
                      e->name, p->s->proto->starttls_command, ms);
    } else {
        mc_buf_printf(&why, "endpoint '%s': no reply within %d ms", e->name, ms);
    }
    probe_finish(p, p->phase == PH_QUIT ? NULL : why.data);
    mc_buf_free(&why);
}

static void probe_release(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_probe *p = arg;
    mc_session_free(p->s);
    p->s = NULL;
}

static void probe_reopen(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    probe_open(arg);
}

/* Connects (again) and waits for the greeting. */
static void probe_open(struct mc_probe *p)
{
    const struct mc_target *t = p->rn->target;
    const struct mc_endpoint *ep = p->s->endpoint;
    mc_session_free(p->s);
    mc_buf_reset(&p->first_line);
    p->have_first_line = false;
    free(p->out->greeting);
    p->out->greeting = NULL;
    p->s = mc_session_new(-1, ep->name, ep->proto, ep, NULL, t->domain);
    p->s->cb = probe_event;
    p->s->cb_arg = p;
    p->s->record = probe_record;
    p->phase = PH_GREETING;
    probe_arm(p);
    struct mc_buf err = {0};
    mc_buf_printf(&err, "connect %s:%d (%s%s)", ep->host, ep->port, ep->name,
                  ep->tls == MC_TLS_IMPLICIT ? ", implicit TLS" : "");
    probe_note_text(p, err.data);
    mc_buf_reset(&err);
    if (mc_session_open(p->s, p->rn->base, p->rn->tls_ctx, t->tls_server_name, &err) != 0) {
        probe_connection_failed(p, err.data);
        probe_finish(p, err.data);
    }
    mc_buf_free(&err);
}

void mc_probe_start(struct mc_runner *rn, void (*done)(struct mc_runner *rn))
{
    const struct mc_target *t = rn->target;
    struct mc_run_result *res = rn->result;
    res->probes = mc_xcalloc(t->endpoint_count + 1, sizeof *res->probes);
    res->probe_count = t->endpoint_count;
    rn->probes = mc_xcalloc(t->endpoint_count + 1, sizeof *rn->probes);
    rn->probe_count = t->endpoint_count;
    rn->probes_pending = t->endpoint_count + 1; /* +1: released below, once all have started */
    rn->probes_done = done;
    for (size_t i = 0; i < t->endpoint_count; i++) {
        const struct mc_endpoint *ep = &t->endpoints[i];
        struct mc_probe *p = &rn->probes[i];
        p->rn = rn;
        p->out = &res->probes[i];
        p->out->endpoint = mc_xstrdup(ep->name);
        p->out->protocol = ep->proto->name;
        p->out->host = mc_xstrdup(ep->host);
        p->out->port = ep->port;
        p->out->implicit_tls = ep->tls == MC_TLS_IMPLICIT;
        p->out->auth_required = ep->auth_required;
        for (size_t k = 0; k < ep->promised.count; k++)
            mc_strv_push_str(&p->out->promised, ep->promised.items[k].ptr);
        p->s = mc_session_new(-1, ep->name, ep->proto, ep, NULL, t->domain);
        p->t0 = mc_now_monotonic();
        if (!rn->opts->keep_secrets) { /* the probe may log in as any of the first users */
            p->redact = mc_redactor_new();
            for (size_t u = 0; u < t->user_count; u++)
                mc_redactor_add_user(p->redact, t->users[u].name, t->users[u].password,
                                     "${password}");
        }
        p->deadline = evtimer_new(rn->base, probe_timeout, p);
        p->reopen = evtimer_new(rn->base, probe_reopen, p);
        p->release = evtimer_new(rn->base, probe_release, p);
        probe_open(p);
    }
    if (--rn->probes_pending == 0)
        rn->probes_done(rn);
}

/* Probes are made in the order of the target's endpoints: an endpoint's index is its
   probe's. */
const struct mc_capability_probe *mc_probe_of(const struct mc_runner *rn,
                                              const struct mc_endpoint *ep)
{
    const struct mc_target *t = rn->target;
    if (!ep || ep < t->endpoints || ep >= t->endpoints + rn->result->probe_count)
        return NULL;
    return &rn->result->probes[ep - t->endpoints];
}

void mc_probe_free_all(struct mc_runner *rn)
{
    for (size_t i = 0; i < rn->probe_count; i++) {
        if (rn->probes[i].out)
            mc_transcript_close(&rn->probes[i].out->dialogue, &rn->probes[i].budget);
        mc_redactor_free(rn->probes[i].redact);
        mc_strv_free(&rn->probes[i].login);
        mc_buf_free(&rn->probes[i].first_line);
        mc_session_free(rn->probes[i].s);
        if (rn->probes[i].deadline)
            event_free(rn->probes[i].deadline);
        if (rn->probes[i].reopen)
            event_free(rn->probes[i].reopen);
        if (rn->probes[i].release)
            event_free(rn->probes[i].release);
    }
    free(rn->probes);
    rn->probes = NULL;
    rn->probe_count = 0;
}
