/*
 * run_exec — executes the ops of a step (see run_ops.c) and judges what comes back.
 *
 * Sessions report through mc_srun_session_event; the op in progress decides what the event
 * means (a greeting, a reply, a finished handshake, a close). Replies are judged here: by the
 * step's expectation through the matcher, or by the op's own need (a positive reply, a
 * continuation). SASL exchanges run here too, challenge by challenge.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/matcher.h"
#include "engine/run_internal.h"
#include "lib/escape.h"

static const struct mc_step *current_step(struct mc_srun *r)
{
    return r->step >= 0 ? &r->sc->steps[r->step] : NULL;
}

static struct mc_op *current_op(struct mc_srun *r)
{
    return r->op_index < r->op_count ? &r->ops[r->op_index] : NULL;
}

#define QUOTE_LINE_MAX 200 /* octets of a line quoted in an explanation */

/* A line for an explanation: every byte accounted for (lib/escape.h), cut with a mark. */
static void quote_line(struct mc_buf *out, const char *s, size_t len)
{
    if (!s || !len) {
        mc_buf_append_str(out, "nothing");
        return;
    }
    mc_buf_append_char(out, '\'');
    mc_escape_append(out, s, len > QUOTE_LINE_MAX ? QUOTE_LINE_MAX : len, MC_ESCAPE_KEEP_UTF8);
    mc_buf_append_str(out, len > QUOTE_LINE_MAX ? "...'" : "'");
}

static bool check_default(enum mc_op_check check, const struct mc_reply *rep, struct mc_buf *why)
{
    switch (check) {
    case MC_CHECK_POSITIVE:
        if (rep->positive && rep->kind == MC_REPLY_FINAL)
            return true;
        mc_buf_append_str(why, "expected a positive reply, got ");
        break;
    case MC_CHECK_CONTINUATION:
        if (rep->kind == MC_REPLY_CONTINUATION)
            return true;
        mc_buf_append_str(why, "expected a continuation request, got ");
        break;
    case MC_CHECK_ANY:
    case MC_CHECK_STEP:
    default:
        return true;
    }
    quote_line(why, rep->status_line, rep->status_line ? rep->status_line_len : 0);
    return false;
}

/* Judges the reply of the current op; true when it passes. */
static bool check_reply(struct mc_srun *r, struct mc_op *op, struct mc_buf *why)
{
    const struct mc_reply *rep = &op->s->reply;
    const struct mc_step *st = current_step(r);
    if (op->check == MC_CHECK_STEP && st && st->has_expect) {
        if (op->s->proto->current_tag) { /* ${tag}: the command this reply answers */
            const char *tag = op->s->proto->current_tag(op->s->pst);
            mc_vars_set(op->s->local, "tag", tag ? tag : "", tag ? strlen(tag) : 0);
        }
        return mc_expect_check(&st->expect, op->s->proto, rep, r->vars, op->s->local, why);
    }
    return check_default(op->check == MC_CHECK_STEP ? op->fallback : op->check, rep, why);
}

static void op_fail_with_label(struct mc_srun *r, struct mc_op *op, const char *why)
{
    bool last = r->op_index + 1 == r->op_count;
    struct mc_buf b = {0};
    if (!last && op->kind == MC_OP_EXCHANGE) {
        mc_buf_append_str(&b, "while sending ");
        struct mc_buf masked = {0}; /* a failed PASS must not put the password in `why` */
        mc_redact(r->redact, op->text.data, op->text.len, &masked);
        if (masked.len < 300)
            quote_line(&b, masked.data, masked.len);
        else
            mc_buf_append_str(&b, "(message)");
        mc_buf_free(&masked);
        mc_buf_append_str(&b, ": ");
    }
    if (r->in_open && r->cur && op->s) /* cite the protocol's own rule, not the scenario's */
        r->cur->rule =
            op->kind == MC_OP_CONNECT ? &op->s->proto->greeting_rule : &op->s->proto->starttls_rule;
    mc_buf_append_str(&b, why);
    mc_srun_op_done(r, false, b.data);
    mc_buf_free(&b);
}

static void event_note(struct mc_srun *r, struct mc_session *s, const char *text)
{
    if (s->record)
        s->record(r, s, MC_DIR_EVENT, text, strlen(text));
}

/* --- telling the tester's problems from the server's --- */

static size_t user_index(const struct mc_srun *r, const struct mc_session *s)
{
    return (size_t)(s->user - r->runner->target->users);
}

/* A connection failure that is the set-up's (nothing listens, no such name, an untrusted
   certificate, plain text where TLS was expected) ends the scenario as an error. */
static bool conn_problem(struct mc_srun *r, struct mc_session *s, const char *why)
{
    enum mc_cause cause = mc_session_failure_cause(s);
    if (cause == MC_CAUSE_NONE)
        return false;
    struct mc_buf hint = {0}, text = {0};
    mc_session_failure_hint(s, &hint);
    mc_buf_printf(&text, "session '%s' (endpoint '%s'): %s", s->name, s->endpoint->name, why);
    const struct mc_capability_probe *p = mc_probe_of(r->runner, s->endpoint);
    if (p && !p->unusable.cause && cause == MC_CAUSE_UNREACHABLE)
        mc_buf_append_str(&hint, " (it accepted connections when the run began: did the "
                                 "server stop or crash during an earlier scenario?)");
    mc_srun_op_error(r, cause, text.data, hint.data);
    mc_buf_free(&hint);
    mc_buf_free(&text);
    return true;
}

/* A login with the profile's credentials refused as wrong credentials: unless this user has
   logged in before in this run (then the server is to blame), the profile is. */
static bool credentials_problem(struct mc_srun *r, struct mc_op *op)
{
    struct mc_session *s = op->s;
    const struct mc_reply *rep = &s->reply;
    if (!op->login || !s->user || rep->kind != MC_REPLY_FINAL ||
        !s->proto->credentials_refused(rep) || r->runner->user_verified[user_index(r, s)])
        return false;
    struct mc_buf why = {0}, hint = {0};
    mc_buf_printf(&why, "the server refused test user '%s' on endpoint '%s': '%s'", s->user->name,
                  s->endpoint->name, rep->status_line ? rep->status_line : "");
    mc_buf_printf(&hint,
                  "check the password of user '%s' in the target profile (or the URL); the user "
                  "is not used again in this run",
                  s->user->name);
    mc_runner_retire_user(r->runner, user_index(r, s), MC_CAUSE_CREDENTIALS, why.data);
    mc_srun_op_error(r, MC_CAUSE_CREDENTIALS, why.data, hint.data);
    mc_buf_free(&why);
    mc_buf_free(&hint);
    return true;
}

static void login_succeeded(struct mc_srun *r, struct mc_op *op)
{
    const struct mc_reply *rep = &op->s->reply;
    bool last = r->op_index + 1 == r->op_count || !r->ops[r->op_index + 1].login;
    if (op->login && last && op->s->user && rep->positive && rep->kind == MC_REPLY_FINAL)
        r->runner->user_verified[user_index(r, op->s)] = true;
}

/* --- SASL --- */

static bool auth_may_send_initial(struct mc_srun *r, struct mc_session *s)
{
    const char *cap = s->proto->auth_ir_capability;
    if (!s->proto->auth_initial_response)
        return false;
    if (!cap)
        return true;
    for (size_t i = 0; i < r->runner->result->probe_count; i++) {
        const struct mc_capability_probe *p = &r->runner->result->probes[i];
        if (strcmp(p->endpoint, s->endpoint->name) == 0)
            return mc_probe_announces(p, cap);
    }
    return false;
}

static void auth_start(struct mc_srun *r, struct mc_op *op)
{
    struct mc_session *s = op->s;
    mc_sasl_free(r->sasl);
    r->sasl = mc_sasl_new(op->text.data, s->user->name, s->user->password);
    if (!r->sasl) {
        mc_srun_op_done(r, false, "unknown SASL mechanism");
        return;
    }
    struct mc_buf initial = {0}, b64 = {0}, cmd = {0};
    bool has_initial = auth_may_send_initial(r, s) && mc_sasl_initial(r->sasl, &initial);
    if (has_initial)
        mc_base64_encode(initial.data, initial.len, &b64);
    s->proto->auth_command(op->text.data, has_initial ? (b64.data ? b64.data : "") : NULL, &cmd);
    struct mc_exchange_opts opts = {.multiline = 0};
    size_t mark = r->redact ? mc_redactor_mark(r->redact) : 0;
    if (r->redact && has_initial && b64.len)
        mc_redactor_add(r->redact, b64.data, b64.len, "[redacted SASL response]");
    mc_session_exchange(s, MC_EX_COMMAND, cmd.data, cmd.len, &opts);
    if (r->redact)
        mc_redactor_drop(r->redact, mark);
    mc_buf_free(&initial);
    mc_buf_free(&b64);
    mc_buf_free(&cmd);
}

static void auth_continue(struct mc_srun *r, struct mc_op *op)
{
    struct mc_session *s = op->s;
    const char *text = s->reply.text ? s->reply.text : "";
    struct mc_buf challenge = {0}, response = {0}, b64 = {0};
    struct mc_exchange_opts opts = {.multiline = 0};
    if (mc_base64_decode(text, strlen(text), &challenge) < 0) {
        mc_buf_free(&challenge);
        mc_srun_op_done(r, false,
                        "the server's SASL challenge is not valid base64 "
                        "(RFC 4422 section 5, RFC 4648)");
        return;
    }
    enum mc_sasl_status st =
        mc_sasl_step(r->sasl, challenge.data ? challenge.data : "", challenge.len, &response);
    if (st == MC_SASL_FAIL) {
        /* Cancel the exchange as the protocol says, then fail with the mechanism's reason. */
        const char *cancel = s->proto->auth_cancel;
        mc_session_exchange(s, MC_EX_CONTINUE, cancel, strlen(cancel), &opts);
        mc_srun_op_done(r, false, mc_sasl_error(r->sasl));
    } else {
        mc_base64_encode(response.data ? response.data : "", response.len, &b64);
        size_t mark = r->redact ? mc_redactor_mark(r->redact) : 0;
        if (r->redact && b64.len)
            mc_redactor_add(r->redact, b64.data, b64.len, "[redacted SASL response]");
        mc_session_exchange(s, MC_EX_CONTINUE, b64.data ? b64.data : "", b64.len, &opts);
        if (r->redact)
            mc_redactor_drop(r->redact, mark);
    }
    mc_buf_free(&challenge);
    mc_buf_free(&response);
    mc_buf_free(&b64);
}

static void auth_reply(struct mc_srun *r, struct mc_op *op)
{
    const struct mc_reply *rep = &op->s->reply;
    const struct mc_step *st = current_step(r);
    bool expects_continuation = st && st->has_expect && mc_expect_wants_continuation(&st->expect);
    if (rep->kind == MC_REPLY_CONTINUATION && !expects_continuation) {
        auth_continue(r, op);
        return;
    }
    struct mc_buf why = {0};
    bool ok = check_reply(r, op, &why);
    if (ok && rep->positive && rep->kind == MC_REPLY_FINAL && !mc_sasl_complete(r->sasl)) {
        ok = false;
        mc_buf_printf(&why, "the server accepted the authentication, but %s",
                      mc_sasl_error(r->sasl) ? mc_sasl_error(r->sasl)
                                             : "the exchange was not complete");
    }
    r->last_positive = rep->positive;
    if (ok)
        login_succeeded(r, op);
    else if (credentials_problem(r, op)) {
        mc_buf_free(&why);
        return;
    }
    mc_srun_op_done(r, ok, why.data);
    mc_buf_free(&why);
}

/* --- ops --- */

static void sleep_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mc_srun_op_done(arg, true, NULL);
}

static void op_start_connect(struct mc_srun *r, struct mc_op *op)
{
    struct mc_buf err = {0};
    const struct mc_target *t = r->runner->target;
    struct mc_session *s = op->s;
    mc_conn_free(s->conn);
    s->conn = NULL;
    s->closed = false;
    mc_buf_printf(&err, "connect %s:%d (%s%s)", s->endpoint->host, s->endpoint->port,
                  s->endpoint->name, s->endpoint->tls == MC_TLS_IMPLICIT ? ", implicit TLS" : "");
    event_note(r, s, err.data);
    mc_buf_reset(&err);
    if (mc_session_open(s, r->runner->base, r->runner->tls_ctx, t->tls_server_name, &err) != 0)
        mc_srun_op_done(r, false, err.data);
    mc_buf_free(&err);
}

void mc_srun_op_start(struct mc_srun *r)
{
    struct mc_op *op = current_op(r);
    if (!op) {
        mc_srun_op_done(r, true, NULL);
        return;
    }
    struct mc_session *s = op->s;
    if (s && op->kind != MC_OP_CONNECT && op->kind != MC_OP_ABORT &&
        op->kind != MC_OP_EXPECT_CLOSE && !s->open) {
        struct mc_buf why = {0};
        mc_buf_printf(&why, "session '%s' is not connected (%s)", s->name,
                      s->closed_why ? s->closed_why : "closed earlier");
        mc_srun_op_done(r, false, why.data);
        mc_buf_free(&why);
        return;
    }
    struct mc_exchange_opts opts = {.multiline = -1};
    const struct mc_step *st = current_step(r);
    if (st && st->has_expect && op->check == MC_CHECK_STEP) /* only the step's own command */
        opts.multiline = st->expect.multiline;
    switch (op->kind) {
    case MC_OP_CONNECT:
        op_start_connect(r, op);
        break;
    case MC_OP_EXCHANGE:
        mc_session_exchange(s, op->ex, op->text.data, op->text.len, &opts);
        break;
    case MC_OP_RAW:
        mc_session_send_raw(s, op->ex, op->text.data, op->text.len, op->read_reply);
        if (!op->read_reply)
            mc_srun_op_done(r, true, NULL);
        break;
    case MC_OP_TLS: {
        if (!r->last_positive) { /* STARTTLS refused as expected: no handshake */
            mc_srun_op_done(r, true, NULL);
            break;
        }
        struct mc_buf err = {0};
        if (!s->proto->starttls_ready(&s->reply, &err)) { /* "250 ok" is no go-ahead */
            mc_buf_append_str(&err, "; no TLS handshake was attempted");
            mc_srun_op_done(r, false, err.data);
        } else if (mc_session_start_tls(s, &err) != 0) {
            mc_srun_op_done(r, false, err.data);
        }
        mc_buf_free(&err);
        break;
    }
    case MC_OP_AUTH:
        auth_start(r, op);
        break;
    case MC_OP_AWAIT:
        mc_session_await(s, &st->expect, r->vars);
        break;
    case MC_OP_EXPECT_CLOSE:
        if (s->closed || !s->conn)
            mc_srun_op_done(r, true, NULL);
        break; /* else: MC_SEV_CLOSED or the deadline */
    case MC_OP_ABORT:
        if (s->conn) {
            event_note(r, s, "the client drops the connection");
            mc_session_abort(s);
        }
        mc_srun_op_done(r, true, NULL);
        break;
    case MC_OP_SLEEP:
        if (op->sleep_ms < 0) { /* a step that could not even be built */
            mc_srun_op_error(r, MC_CAUSE_SCENARIO, op->label,
                             "the scenario uses a value it never got: fix the scenario file "
                             "(mailconform lint checks the names of variables)");
            break;
        }
        struct timeval tv = {op->sleep_ms / 1000, (op->sleep_ms % 1000) * 1000};
        if (r->sleep)
            event_free(r->sleep);
        r->sleep = evtimer_new(r->runner->base, sleep_done, r);
        evtimer_add(r->sleep, &tv);
        break;
    }
}

static void on_reply(struct mc_srun *r, struct mc_op *op)
{
    if (op->kind == MC_OP_AUTH) {
        auth_reply(r, op);
        return;
    }
    if (op->check == MC_CHECK_LITERAL && op->s->reply.kind == MC_REPLY_CONTINUATION) {
        mc_srun_op_done(r, true, NULL); /* "+": the octets go next */
        return;
    }
    if (op->check == MC_CHECK_LITERAL) {
        /* A final reply instead of "+": the octets and the rest of the line are not sent, and
           the reply is the step's to judge (a server may refuse a command before its literal,
           RFC 9051 7.5). The ops left are the line's other pieces. */
        op->check = MC_CHECK_STEP;
        op->fallback = MC_CHECK_ANY;
        r->op_index = r->op_count - 1;
    }
    struct mc_buf why = {0};
    bool ok = check_reply(r, op, &why);
    if (!ok && op->s->closed) /* the close came with the reply: an IMAP BYE, say */
        mc_buf_append_str(&why, ", and then closed the connection");
    r->last_positive = op->s->reply.positive;
    if (ok) {
        login_succeeded(r, op);
        mc_srun_op_done(r, true, NULL);
    } else if (!credentials_problem(r, op)) {
        r->mismatch = true;
        op_fail_with_label(r, op, why.data);
    }
    mc_buf_free(&why);
}

void mc_srun_track_reply(struct mc_srun *r, struct mc_session *s)
{
    struct mc_strv notes = {0};
    mc_tracker_reply(r->tracker, r->vars, s->index, s->proto, &s->reply.data, &notes);
    for (size_t i = 0; i < notes.count; i++)
        event_note(r, s, notes.items[i].ptr);
    mc_strv_free(&notes);
}

void mc_srun_session_event(void *arg, struct mc_session *s, enum mc_session_event ev,
                           const char *why)
{
    struct mc_srun *r = arg;
    struct mc_op *op = current_op(r);
    bool mine = op && op->s == s && !r->finished;
    switch (ev) {
    case MC_SEV_CONNECTED:
        if (s->endpoint->tls == MC_TLS_IMPLICIT && s->conn) {
            struct mc_buf d = {0};
            mc_buf_append_str(&d, "TLS established: ");
            mc_conn_tls_description(s->conn, &d);
            event_note(r, s, d.data);
            mc_buf_free(&d);
        }
        break;
    case MC_SEV_REPLY:
        if (mine)
            on_reply(r, op);
        if (!r->finished)
            mc_srun_track_reply(r, s);
        break;
    case MC_SEV_TLS_DONE: {
        struct mc_buf d = {0};
        mc_buf_append_str(&d, "TLS established: ");
        mc_conn_tls_description(s->conn, &d);
        event_note(r, s, d.data);
        mc_buf_free(&d);
        if (mine && op->kind == MC_OP_TLS)
            mc_srun_op_done(r, true, NULL);
        break;
    }
    case MC_SEV_CLOSED:
        event_note(r, s, why);
        if (mine && op->kind == MC_OP_EXPECT_CLOSE)
            mc_srun_op_done(r, true, NULL);
        else if (mine && op->kind != MC_OP_SLEEP)
            op_fail_with_label(r, op, why);
        break;
    case MC_SEV_FAILED:
        event_note(r, s, why);
        if (mine && op->kind == MC_OP_EXPECT_CLOSE && s->closed)
            mc_srun_op_done(r, true, NULL); /* closed by a reset: closed all the same */
        else if (mine && !conn_problem(r, s, why))
            op_fail_with_label(r, op, why);
        break;
    }
}
