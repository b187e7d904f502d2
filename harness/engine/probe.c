/*
 * probe — asks each endpoint of the target what it supports, before any scenario runs.
 *
 * For every endpoint: connect, read the greeting (IMAP may list capabilities in it), send the
 * protocol's capability command (CAPA, CAPABILITY, EHLO/LHLO), and where the server offers
 * STARTTLS/STLS upgrade and ask again, because servers announce more after TLS (AUTH on
 * submission, LOGINDISABLED gone from IMAP). Then it logs in as the target's first test user
 * and asks once more, because IMAP servers announce most extensions (UIDPLUS, MOVE ...) only
 * to an authenticated client. What is seen goes into the report and decides which
 * scenarios' "requires" are met.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/run_internal.h"
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
};

enum { PH_GREETING, PH_CAPS, PH_STARTTLS, PH_TLS, PH_CAPS_TLS, PH_LOGIN, PH_CAPS_LOGIN, PH_QUIT };

static void probe_finish(struct mc_probe *p, const char *error)
{
    if (p->finished)
        return;
    p->finished = true;
    if (error && !p->out->error)
        p->out->error = mc_xstrdup(error);
    evtimer_del(p->deadline);
    if (--p->rn->probes_pending == 0)
        p->rn->probes_done(p->rn);
}

static void probe_send(struct mc_probe *p, const char *line, int phase)
{
    struct mc_exchange_opts opts = {.multiline = -1};
    p->phase = phase;
    mc_session_exchange(p->s, MC_EX_COMMAND, line, strlen(line), &opts);
}

static void probe_quit(struct mc_probe *p)
{
    probe_send(p, p->s->proto->quit_command, PH_QUIT);
}

/* After the capabilities (and TLS): log in, if the target has users, else say goodbye. */
static void probe_login_or_quit(struct mc_probe *p)
{
    const struct mc_target *t = p->rn->target;
    if (p->login.count == 0 && p->login_next == 0 && t->user_count > 0)
        p->s->proto->login_commands(t->users[0].name, t->users[0].password, &p->login);
    if (p->login_next < p->login.count)
        probe_send(p, p->login.items[p->login_next++].ptr, PH_LOGIN);
    else
        probe_quit(p);
}

static void probe_reply(struct mc_probe *p)
{
    const struct mc_reply *r = &p->s->reply;
    const struct mc_protocol *pr = p->s->proto;
    switch (p->phase) {
    case PH_GREETING:
        p->out->greeting =
            mc_escape_dup(r->status_line ? r->status_line : "",
                          r->status_line ? r->status_line_len : 0, MC_ESCAPE_KEEP_UTF8);
        if (!r->positive) {
            probe_finish(p, "the greeting was negative");
            return;
        }
        if (pr->greeting_capabilities)
            pr->greeting_capabilities(r, &p->out->plain);
        probe_send(p, pr->capability_command, PH_CAPS);
        return;
    case PH_CAPS:
    case PH_CAPS_TLS:
        if (r->positive)
            pr->capabilities(r, p->phase == PH_CAPS ? &p->out->plain : &p->out->after_tls);
        if (p->phase == PH_CAPS && pr->starttls_command && p->s->endpoint->tls != MC_TLS_IMPLICIT &&
            mc_strv_contains_nocase(&p->out->plain, pr->starttls_command))
            probe_send(p, pr->starttls_command, PH_STARTTLS);
        else
            probe_login_or_quit(p);
        return;
    case PH_LOGIN:
        if (!r->positive || r->kind != MC_REPLY_FINAL)
            probe_quit(p); /* not every endpoint takes a login (plain SMTP relay): no matter */
        else if (p->login_next < p->login.count)
            probe_login_or_quit(p);
        else
            probe_send(p, pr->capability_command, PH_CAPS_LOGIN);
        return;
    case PH_CAPS_LOGIN:
        if (r->positive)
            pr->capabilities(r, &p->out->after_login);
        probe_quit(p);
        return;
    case PH_STARTTLS: {
        struct mc_buf err = {0};
        p->phase = PH_TLS;
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
        break;
    case MC_SEV_REPLY:
        probe_reply(p);
        break;
    case MC_SEV_TLS_DONE:
        probe_send(p, p->s->proto->capability_command, PH_CAPS_TLS);
        break;
    case MC_SEV_CLOSED:
    case MC_SEV_FAILED:
        probe_finish(p, p->phase == PH_QUIT ? NULL : why);
        break;
    }
}

static void probe_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_probe *p = arg;
    mc_session_stop_reading(p->s);
    probe_finish(p, p->phase == PH_QUIT ? NULL : "no reply within the deadline");
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
        p->s = mc_session_new(-1, ep->name, ep->proto, ep, NULL, t->domain);
        p->s->cb = probe_event;
        p->s->cb_arg = p;
        p->deadline = evtimer_new(rn->base, probe_timeout, p);
        int ms = rn->opts->step_timeout_ms * 3;
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(p->deadline, &tv);
        struct mc_buf err = {0};
        if (mc_session_open(p->s, rn->base, rn->tls_ctx, t->tls_server_name, &err) != 0)
            probe_finish(p, err.data);
        mc_buf_free(&err);
    }
    if (--rn->probes_pending == 0)
        rn->probes_done(rn);
}

void mc_probe_free_all(struct mc_runner *rn)
{
    for (size_t i = 0; i < rn->probe_count; i++) {
        mc_strv_free(&rn->probes[i].login);
        mc_session_free(rn->probes[i].s);
        if (rn->probes[i].deadline)
            event_free(rn->probes[i].deadline);
    }
    free(rn->probes);
    rn->probes = NULL;
    rn->probe_count = 0;
}
