/*
 * reset_account — empties a disposable test account over the protocol, when the target has no
 * reset command but says its users hold nothing of value (docs/target-format.md,
 * `disposable_users`). Never by default: a tool must not delete a real user's mail.
 *
 * It picks an endpoint that can do it (IMAP before POP3, so that folders go too; implicit TLS
 * before STARTTLS; only endpoints the probe found usable), logs in as the user, upgrading
 * first when the endpoint offers STARTTLS, and lets the protocol table's emptying dialogue
 * (protocol.h, empty_step) say what to send, reply after reply. It then says goodbye and waits
 * for the server's answer, so that deletions made at the end (POP3 UPDATE) are done before the
 * scenario starts. Every reply has the step deadline; the owner hears of the end from a fresh
 * event, never from inside a session callback.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/run_internal.h"

enum acct_phase { AR_GREETING, AR_STARTTLS, AR_TLS, AR_LOGIN, AR_EMPTY, AR_QUIT, AR_OVER };

struct mc_account_reset {
    struct mc_runner *rn;
    const struct mc_user *user;
    const struct mc_endpoint *ep;
    struct mc_session *s;
    struct mc_account_emptier *emptier;
    enum acct_phase phase;
    struct mc_strv queue; /* commands to send (login, then the emptying dialogue) */
    size_t sent;
    struct event *deadline, *report;
    void (*done)(void *arg, bool ok, enum mc_cause cause, const char *why);
    void *arg;
    bool check_only; /* look whether the account is empty; delete nothing */
    bool found;      /* check_only: it is not */
    bool ok;
    enum mc_cause cause;
    char *why;
};

/* How much an endpoint is preferred for emptying accounts: one that empties every folder
   (IMAP) over one that empties the maildrop only (POP3), implicit TLS over STARTTLS; -1 when
   it cannot be used. */
static int acct_rank(const struct mc_runner *rn, const struct mc_endpoint *e)
{
    const struct mc_capability_probe *p = mc_probe_of(rn, e);
    if (!e->proto->empty_step || !p || p->unusable.cause != MC_CAUSE_NONE)
        return -1;
    return (e->proto->empty_all_folders ? 2 : 0) + (e->tls == MC_TLS_IMPLICIT ? 1 : 0);
}

/* The endpoint to empty accounts through, or NULL. */
static const struct mc_endpoint *acct_endpoint(const struct mc_runner *rn)
{
    const struct mc_target *t = rn->target;
    const struct mc_endpoint *best = NULL;
    int best_rank = -1;
    for (size_t i = 0; i < t->endpoint_count; i++) {
        int rank = acct_rank(rn, &t->endpoints[i]);
        if (rank > best_rank) {
            best = &t->endpoints[i];
            best_rank = rank;
        }
    }
    return best;
}

bool mc_account_reset_possible(const struct mc_runner *rn)
{
    return acct_endpoint(rn) != NULL;
}

static void acct_report(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_account_reset *a = arg;
    a->done(a->arg, a->ok, a->cause, a->why); /* may free a */
}

static void acct_end(struct mc_account_reset *a, bool ok, enum mc_cause cause, const char *why)
{
    if (a->phase == AR_OVER)
        return;
    if (a->check_only && !ok && !a->found) {
        /* Looking failed for another reason than finding mail (the server misbehaves, or the
           login is refused): that is for the scenario to judge, not for this look. Looking is
           given up for the rest of the run: it would cost every scenario the same. */
        a->rn->clean_checks_off = true;
        ok = true;
    }
    a->phase = AR_OVER;
    evtimer_del(a->deadline);
    mc_session_stop_reading(a->s);
    a->ok = ok;
    a->cause = cause;
    if (!ok) {
        struct mc_buf b = {0};
        if (a->found)
            mc_buf_printf(&b,
                          "user %s is not empty and the target has no way to empty it "
                          "(%s, seen over endpoint '%s')",
                          a->user->name, why ? why : "", a->ep->name);
        else
            mc_buf_printf(&b, "%s the mailboxes of user %s over %s (endpoint '%s') failed: %s",
                          a->check_only ? "looking into" : "emptying", a->user->name,
                          a->ep->proto->name, a->ep->name, why ? why : "");
        a->why = mc_buf_steal(&b);
    }
    struct timeval now = {0, 0};
    evtimer_add(a->report, &now);
}

static void acct_send(struct mc_account_reset *a, const char *line)
{
    struct mc_exchange_opts opts = {.multiline = -1};
    int ms = a->rn->opts->step_timeout_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(a->deadline, &tv);
    mc_session_exchange(a->s, MC_EX_COMMAND, line, strlen(line), &opts);
}

static void acct_send_next(struct mc_account_reset *a)
{
    if (a->sent < a->queue.count) {
        acct_send(a, a->queue.items[a->sent++].ptr);
        return;
    }
    a->phase = AR_QUIT;
    acct_send(a, a->s->proto->quit_command);
}

static void acct_login(struct mc_account_reset *a)
{
    a->phase = AR_LOGIN;
    mc_strv_free(&a->queue);
    a->sent = 0;
    a->s->proto->login_commands(a->user->name, a->user->password, &a->queue);
    acct_send_next(a);
}

static void acct_reply_login(struct mc_account_reset *a, const struct mc_reply *r)
{
    if (!r->positive || r->kind != MC_REPLY_FINAL) {
        bool creds = r->kind == MC_REPLY_FINAL && a->s->proto->credentials_refused(r);
        struct mc_buf why = {0};
        mc_buf_printf(&why, "the login was refused: '%s'", r->status_line ? r->status_line : "");
        acct_end(a, false, creds ? MC_CAUSE_CREDENTIALS : MC_CAUSE_RESET, why.data);
        mc_buf_free(&why);
        return;
    }
    if (a->sent < a->queue.count) {
        acct_send_next(a);
        return;
    }
    /* logged in with the profile's password: a later refusal is the server's doing */
    a->rn->user_verified[a->user - a->rn->target->users] = true;
    a->phase = AR_EMPTY;
    mc_strv_free(&a->queue);
    a->sent = 0;
    a->emptier = a->s->proto->empty_begin(a->check_only);
    struct mc_buf why = {0};
    if (a->s->proto->empty_step(a->emptier, NULL, &a->queue, &why) == MC_EMPTY_FAILED)
        acct_end(a, false, MC_CAUSE_RESET, why.data);
    else
        acct_send_next(a);
    mc_buf_free(&why);
}

static void acct_reply(struct mc_account_reset *a)
{
    const struct mc_reply *r = &a->s->reply;
    const struct mc_protocol *pr = a->s->proto;
    const struct mc_capability_probe *p = mc_probe_of(a->rn, a->ep);
    struct mc_buf why = {0};
    switch (a->phase) {
    case AR_GREETING:
        if (!r->positive) {
            mc_buf_printf(&why, "the greeting was '%s'", r->status_line ? r->status_line : "");
            acct_end(a, false, MC_CAUSE_RESET, why.data);
        } else if (a->ep->tls != MC_TLS_IMPLICIT && pr->starttls_command && p &&
                   p->starttls.cause == MC_CAUSE_NONE &&
                   mc_strv_contains_nocase(&p->plain, pr->starttls_command)) {
            a->phase = AR_STARTTLS;
            acct_send(a, pr->starttls_command);
        } else {
            acct_login(a);
        }
        break;
    case AR_STARTTLS:
        a->phase = AR_TLS;
        if (!r->positive || mc_session_start_tls(a->s, &why) != 0) {
            if (!why.len)
                mc_buf_printf(&why, "STARTTLS was refused: '%s'",
                              r->status_line ? r->status_line : "");
            acct_end(a, false, MC_CAUSE_RESET, why.data);
        }
        break;
    case AR_LOGIN:
        acct_reply_login(a, r);
        break;
    case AR_EMPTY:
        switch (pr->empty_step(a->emptier, r, &a->queue, &why)) {
        case MC_EMPTY_NOT_EMPTY:
            a->found = true;
            acct_end(a, false, MC_CAUSE_RESET, why.data);
            break;
        case MC_EMPTY_FAILED:
            acct_end(a, false, MC_CAUSE_RESET, why.data);
            break;
        case MC_EMPTY_DONE:
            a->sent = a->queue.count; /* anything still queued is not needed */
            acct_send_next(a);
            break;
        case MC_EMPTY_MORE:
            if (a->sent < a->queue.count)
                acct_send_next(a);
            break;
        }
        break;
    case AR_QUIT: /* POP3 says here whether its UPDATE removed the messages (RFC 1939 6) */
        if (r->positive || a->check_only || !pr->empty_at_quit) {
            acct_end(a, true, MC_CAUSE_NONE, NULL);
        } else {
            mc_buf_printf(&why, "'%s' was answered '%s'", pr->quit_command,
                          r->status_line ? r->status_line : "");
            acct_end(a, false, MC_CAUSE_RESET, why.data);
        }
        break;
    case AR_TLS:
    case AR_OVER:
        break;
    }
    mc_buf_free(&why);
}

static void acct_event(void *arg, struct mc_session *s, enum mc_session_event ev, const char *why)
{
    (void)s;
    struct mc_account_reset *a = arg;
    if (a->phase == AR_OVER)
        return;
    switch (ev) {
    case MC_SEV_CONNECTED:
        break;
    case MC_SEV_REPLY:
        acct_reply(a);
        break;
    case MC_SEV_TLS_DONE:
        acct_login(a);
        break;
    case MC_SEV_CLOSED:
    case MC_SEV_FAILED:
        if (a->phase == AR_QUIT && (a->check_only || !a->ep->proto->empty_at_quit))
            acct_end(a, true, MC_CAUSE_NONE, NULL); /* nothing left to confirm */
        else if (a->phase == AR_QUIT) /* the goodbye's answer (POP3: the UPDATE) never came */
            acct_end(a, false, MC_CAUSE_RESET, "the connection closed before the reply to quit");
        else
            acct_end(a, false, MC_CAUSE_RESET, why);
        break;
    }
}

static void acct_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_account_reset *a = arg;
    struct mc_buf why = {0};
    mc_buf_printf(&why, "no reply within %d ms", a->rn->opts->step_timeout_ms);
    acct_end(a, false, MC_CAUSE_RESET, why.data);
    mc_buf_free(&why);
}

struct mc_account_reset *
mc_account_reset_start(struct mc_runner *rn, const struct mc_user *u, bool check_only,
                       void (*done)(void *arg, bool ok, enum mc_cause cause, const char *why),
                       void *arg)
{
    struct mc_account_reset *a = mc_xcalloc(1, sizeof *a);
    a->check_only = check_only;
    const struct mc_target *t = rn->target;
    a->rn = rn;
    a->user = u;
    a->ep = acct_endpoint(rn);
    a->done = done;
    a->arg = arg;
    a->deadline = evtimer_new(rn->base, acct_timeout, a);
    a->report = evtimer_new(rn->base, acct_report, a);
    a->s = mc_session_new(-1, "reset", a->ep->proto, a->ep, u, t->domain);
    a->s->cb = acct_event;
    a->s->cb_arg = a;
    a->phase = AR_GREETING;
    int ms = rn->opts->step_timeout_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(a->deadline, &tv);
    struct mc_buf err = {0};
    if (mc_session_open(a->s, rn->base, rn->tls_ctx, t->tls_server_name, &err) != 0)
        acct_end(a, false, MC_CAUSE_RESET, err.data);
    mc_buf_free(&err);
    return a;
}

void mc_account_reset_free(struct mc_account_reset *a)
{
    if (!a)
        return;
    mc_session_free(a->s);
    if (a->emptier)
        a->ep->proto->empty_end(a->emptier);
    mc_strv_free(&a->queue);
    if (a->deadline)
        event_free(a->deadline);
    if (a->report)
        event_free(a->report);
    free(a->why);
    free(a);
}
