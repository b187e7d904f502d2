/*
 * run_ops — a step as a short list of operations on sessions, and their execution.
 *
 * Every scenario step becomes a few ops: "send STAT" on a session not yet open is
 * CONNECT (greeting) + EXCHANGE; "login" is the protocol's login commands; "starttls" is the
 * command and, if it was accepted, the TLS handshake; a fixture delivery is a whole SMTP/LMTP
 * transaction on an internal connection. Ops run one after the other; the first that fails
 * fails the step with an explanation that names it. Only the op that carries the step's own
 * command (marked MC_CHECK_STEP) is judged by the step's expectation; the ops the engine adds
 * around it (connecting, upgrading, the USER before PASS) must simply succeed.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/matcher.h"
#include "engine/run_internal.h"
#include "engine/transport.h"
#include "lib/message.h"

#define MC_HELO_NAME "mailconform.invalid" /* RFC 2606: a name that can never be real */

static struct mc_op *op_add(struct mc_srun *r, enum mc_op_kind kind, struct mc_session *s)
{
    if (r->op_count == MC_OPS_MAX)
        return NULL;
    struct mc_op *op = &r->ops[r->op_count++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->s = s;
    op->check = MC_CHECK_POSITIVE;
    op->fallback = MC_CHECK_POSITIVE;
    return op;
}

static void op_add_exchange(struct mc_srun *r, struct mc_session *s, enum mc_exchange ex,
                            const char *text, size_t len, enum mc_op_check check)
{
    struct mc_op *op = op_add(r, MC_OP_EXCHANGE, s);
    if (!op)
        return;
    op->ex = ex;
    op->check = check;
    mc_buf_append(&op->text, text, len);
}

void mc_srun_ops_clear(struct mc_srun *r)
{
    for (size_t i = 0; i < r->op_count; i++) {
        mc_buf_free(&r->ops[i].text);
        free(r->ops[i].label);
    }
    r->op_count = r->op_index = 0;
}

/* The ops that open a session: connect, read the greeting, and for tls "starttls" upgrade. */
static void ops_open_session(struct mc_srun *r, struct mc_session *s, enum mc_tls_mode tls,
                             enum mc_op_check greeting_check)
{
    struct mc_op *op = op_add(r, MC_OP_CONNECT, s);
    if (op)
        op->check = greeting_check;
    if (tls != MC_TLS_STARTTLS || !s->proto->starttls_command)
        return;
    if (s->proto->hello_verb) { /* RFC 3207 4: STARTTLS is an extension learnt from EHLO */
        struct mc_buf hello = {0};
        mc_buf_printf(&hello, "%s %s", s->proto->hello_verb, MC_HELO_NAME);
        op_add_exchange(r, s, MC_EX_COMMAND, hello.data, hello.len, MC_CHECK_POSITIVE);
        mc_buf_free(&hello);
    }
    const char *cmd = s->proto->starttls_command;
    op_add_exchange(r, s, MC_EX_COMMAND, cmd, strlen(cmd), MC_CHECK_POSITIVE);
    op_add(r, MC_OP_TLS, s);
}

bool mc_srun_needs_open(const struct mc_srun *r, const struct mc_step *st)
{
    const struct mc_session *s = st->session >= 0 ? r->sessions[st->session] : NULL;
    bool opens = st->kind != MC_STEP_CONNECT && st->kind != MC_STEP_CLOSE &&
                 st->kind != MC_STEP_EXPECT_CLOSE && st->kind != MC_STEP_AWAIT;
    return s && opens && !s->open && !s->closed;
}

void mc_srun_build_open_ops(struct mc_srun *r, const struct mc_step *st)
{
    struct mc_session *s = r->sessions[st->session];
    const char *adapted = r->res->session_adapted[st->session];
    if (adapted && s->record) {
        struct mc_buf note = {0};
        mc_buf_printf(&note, "session '%s' runs %s", s->name, adapted);
        s->record(r, s, MC_DIR_EVENT, note.data, note.len);
        mc_buf_free(&note);
    }
    ops_open_session(r, s, r->res->session_tls[st->session], MC_CHECK_POSITIVE);
}

/* What an expansion heard of its ${function:...} forms. */
struct expand_calls {
    struct mc_srun *r;
    size_t *literal_ends; /* depth 0 ${literal:...}: where each "{n}" ends in the output */
    size_t literal_count;
};

/* A function whose argument holds a secret (a password in ${base64:...}) gives an encoded
   secret: it is masked in the transcript like the secret itself (engine/redact.h). */
static void expand_heard(const struct mc_vars_call *c, void *ctx)
{
    struct expand_calls *e = ctx;
    if (e->r->redact && c->len && mc_redactor_hits(e->r->redact, c->arg, c->arg_len) &&
        !(c->name_len == 7 && memcmp(c->name, "literal", 7) == 0))
        mc_redactor_add(e->r->redact, c->result, c->len, "[redacted: encodes a password]");
    if (c->depth == 0 && c->name_len == 7 && memcmp(c->name, "literal", 7) == 0) {
        const char *crlf = memchr(c->result, '\r', c->len);
        e->literal_ends = mc_xrealloc(e->literal_ends, (e->literal_count + 1) * sizeof(size_t));
        e->literal_ends[e->literal_count++] = c->at + (size_t)(crlf ? crlf - c->result : 0);
    }
}

/* Expands ${vars} of a step's text; on error the step fails before anything is sent. `calls`
   (may be NULL) hears of the ${function:...} forms. */
static bool expand_calls(struct mc_srun *r, struct mc_session *s, const char *in, size_t len,
                         struct mc_buf *out, struct expand_calls *calls)
{
    struct mc_buf err = {0};
    struct expand_calls own = {.r = r};
    struct expand_calls *c = calls ? calls : &own;
    struct mc_expand_hooks hooks = {expand_heard, c};
    int rc = mc_vars_expand_hooked(r->vars, s ? s->local : NULL, in, len, MC_EXPAND_TEXT, out, &err,
                                   &hooks);
    free(own.literal_ends);
    if (rc != 0) {
        struct mc_op *op = op_add(r, MC_OP_SLEEP, s);
        if (op) { /* an op that fails at once with the reason */
            op->sleep_ms = -1;
            op->label = mc_buf_steal(&err);
        }
    }
    mc_buf_free(&err);
    return rc == 0;
}

static bool expand(struct mc_srun *r, struct mc_session *s, const char *in, size_t len,
                   struct mc_buf *out)
{
    return expand_calls(r, s, in, len, out, NULL);
}

/* ${tag}: the tag of the step's IMAP command; for a new command, the one it is about to get. */
static void set_tag_var(struct mc_session *s, bool next)
{
    if (!s || !s->proto->current_tag)
        return;
    struct mc_buf tag = {0};
    if (next && s->proto->next_tag) {
        s->proto->next_tag(s->pst, &tag);
    } else {
        const char *t = s->proto->current_tag(s->pst);
        mc_buf_append_str(&tag, t ? t : "");
    }
    mc_vars_set(s->local, "tag", tag.data ? tag.data : "", tag.len);
    mc_buf_free(&tag);
}

static void ops_login(struct mc_srun *r, struct mc_session *s)
{
    struct mc_strv cmds = {0};
    s->proto->login_commands(s->user->name, s->user->password, &cmds);
    for (size_t i = 0; i < cmds.count; i++) {
        bool last = i + 1 == cmds.count;
        op_add_exchange(r, s, MC_EX_COMMAND, cmds.items[i].ptr, cmds.items[i].len,
                        last ? MC_CHECK_STEP : MC_CHECK_POSITIVE);
        if (r->op_count)
            r->ops[r->op_count - 1].login = true;
    }
    mc_strv_free(&cmds);
}

static void message_for(struct mc_srun *r, struct mc_session *s, const struct mc_message_spec *m,
                        const char *to_default, int number, struct mc_buf *out)
{
    struct mc_buf subject = {0}, from = {0}, to = {0}, body = {0}, dflt = {0};
    if (m->subject)
        expand(r, s, m->subject, strlen(m->subject), &subject);
    else
        mc_buf_printf(&subject, "mailconform %s #%d", mc_vars_get(r->vars, "run_id", NULL), number);
    if (m->from)
        expand(r, s, m->from, strlen(m->from), &from);
    else
        mc_buf_printf(&from, "mailconform@%s", r->runner->target->domain);
    if (m->to)
        expand(r, s, m->to, strlen(m->to), &to);
    else
        mc_buf_append_str(&to, to_default);
    if (m->body)
        expand(r, s, m->body, strlen(m->body), &body);
    mc_buf_printf(&dflt, "<%s.%d@mailconform.invalid>", mc_vars_get(r->vars, "run_id", NULL),
                  number);
    struct mc_message_params p = {
        .from = from.data,
        .to = to.data,
        .subject = subject.data,
        .body = m->body ? body.data : NULL,
        .body_lines = m->body_lines,
        .message_id = dflt.data,
        .date = (long long)r->res->started,
    };
    mc_message_generate(&p, out);
    mc_buf_free(&subject);
    mc_buf_free(&from);
    mc_buf_free(&to);
    mc_buf_free(&body);
    mc_buf_free(&dflt);
}

/* One SMTP/LMTP transaction on the fixture connection. */
static void ops_delivery(struct mc_srun *r, struct mc_session *f, const struct mc_message_spec *m,
                         int user, int number)
{
    const struct mc_user *u = r->users[user - 1];
    struct mc_buf to = {0}, from = {0}, msg = {0};
    mc_user_address(u, r->runner->target->domain, &to);
    mc_buf_printf(&from, "mailconform@%s", r->runner->target->domain);
    struct mc_strv cmds = {0};
    f->proto->delivery_commands(MC_HELO_NAME, from.data, to.data, &cmds);
    for (size_t i = 0; i < cmds.count; i++) {
        bool last = i + 1 == cmds.count;
        op_add_exchange(r, f, MC_EX_COMMAND, cmds.items[i].ptr, cmds.items[i].len,
                        last ? MC_CHECK_CONTINUATION : MC_CHECK_POSITIVE);
    }
    message_for(r, NULL, m, to.data, number, &msg);
    op_add_exchange(r, f, MC_EX_DATA, msg.data, msg.len, MC_CHECK_POSITIVE);
    mc_strv_free(&cmds);
    mc_buf_free(&to);
    mc_buf_free(&from);
    mc_buf_free(&msg);
}

/* A message stored straight into the logged-in user's mailbox (IMAP APPEND): for targets that
   have no SMTP/LMTP endpoint to deliver through. */
static void ops_store(struct mc_srun *r, struct mc_session *f, const struct mc_message_spec *m,
                      int user, int number)
{
    const struct mc_user *u = r->users[user - 1];
    struct mc_buf to = {0}, cmd = {0}, msg = {0};
    mc_user_address(u, r->runner->target->domain, &to);
    message_for(r, NULL, m, to.data, number, &msg);
    f->proto->store_command(msg.len, &cmd);
    op_add_exchange(r, f, MC_EX_COMMAND, cmd.data, cmd.len, MC_CHECK_CONTINUATION);
    op_add_exchange(r, f, MC_EX_CONTINUE, msg.data, msg.len, MC_CHECK_POSITIVE);
    mc_buf_free(&to);
    mc_buf_free(&cmd);
    mc_buf_free(&msg);
}

/* The connection fixtures go through: the profile's delivery endpoint, or one that stores
   messages as the recipient (transport.c decides which and how). */
static struct mc_session *fixture_session(struct mc_srun *r, int user, enum mc_tls_mode *tls)
{
    const struct mc_target *t = r->runner->target;
    const struct mc_endpoint *ep = mc_transport_fixtures(r->runner, tls);
    bool store = !t->deliver_endpoint;
    mc_session_free(r->fixture);
    r->fixture =
        mc_session_new(-1, "fixture", ep->proto, ep, store ? r->users[user - 1] : NULL, t->domain);
    r->fixture->cb = mc_srun_session_event;
    r->fixture->cb_arg = r;
    r->fixture->record = mc_srun_record;
    return r->fixture;
}

static void ops_deliver(struct mc_srun *r, const struct mc_message_spec *m, int user, int count)
{
    enum mc_tls_mode tls;
    size_t first = r->op_count;
    struct mc_session *f = fixture_session(r, user, &tls);
    ops_open_session(r, f, tls, MC_CHECK_POSITIVE);
    if (f->user) { /* storing as the recipient: log in first */
        struct mc_strv cmds = {0};
        f->proto->login_commands(f->user->name, f->user->password, &cmds);
        for (size_t i = 0; i < cmds.count; i++)
            op_add_exchange(r, f, MC_EX_COMMAND, cmds.items[i].ptr, cmds.items[i].len,
                            MC_CHECK_POSITIVE);
        mc_strv_free(&cmds);
    }
    for (int i = 1; i <= count; i++) {
        if (f->user)
            ops_store(r, f, m, user, i);
        else
            ops_delivery(r, f, m, user, i);
    }
    const char *quit = f->proto->quit_command;
    op_add_exchange(r, f, MC_EX_COMMAND, quit, strlen(quit), MC_CHECK_ANY);
    op_add(r, MC_OP_ABORT, f);
    for (size_t i = first; i < r->op_count; i++)
        r->ops[i].fixture = true;
}

void mc_srun_build_fixture_ops(struct mc_srun *r)
{
    struct mc_message_spec m = {.body_lines = 3};
    ops_deliver(r, &m, 1, r->sc->fixture_messages);
}

static void ops_raw(struct mc_srun *r, struct mc_session *s, const struct mc_step *st)
{
    set_tag_var(s, false); /* the raw bytes write their own tag: ${tag} is the last one */
    struct mc_op *op = op_add(r, MC_OP_RAW, s);
    if (!op)
        return;
    op->check = MC_CHECK_STEP;
    op->fallback = MC_CHECK_ANY;
    op->read_reply = st->has_expect;
    op->ex = st->new_command ? MC_EX_COMMAND : MC_EX_CONTINUE;
    for (size_t i = 0; i < st->raw_count; i++) {
        struct mc_buf piece = {0};
        if (!expand(r, s, st->raw[i].text, st->raw[i].len, &piece))
            return;
        for (size_t k = 0; k < st->raw[i].repeat; k++)
            mc_buf_append(&op->text, piece.data, piece.len);
        mc_buf_free(&piece);
    }
}

static void ops_close(struct mc_srun *r, struct mc_session *s, const struct mc_step *st)
{
    if (strcmp(st->text, "abort") == 0) {
        op_add(r, MC_OP_ABORT, s);
        return;
    }
    if (!s->open)
        return; /* never opened or already closed: nothing to say goodbye to */
    const char *quit = s->proto->quit_command;
    op_add_exchange(r, s, MC_EX_COMMAND, quit, strlen(quit), MC_CHECK_STEP);
    op_add(r, MC_OP_EXPECT_CLOSE, s);
}

/* A line with ${literal:...} goes in pieces, as an IMAP client sends a synchronizing literal
   (RFC 9051 4.3, 7.5): up to "{n}", then, after the server's "+", the octets and the rest of
   the line. A final reply instead of the "+" ends the step and is judged by its expect. */
static void ops_send(struct mc_srun *r, struct mc_session *s, const struct mc_step *st)
{
    struct mc_buf line = {0};
    struct expand_calls calls = {.r = r};
    set_tag_var(s, st->new_command);
    if (expand_calls(r, s, st->text, strlen(st->text), &line, &calls)) {
        enum mc_exchange ex = st->new_command ? MC_EX_COMMAND : MC_EX_CONTINUE;
        size_t from = 0;
        for (size_t i = 0; i < calls.literal_count; i++) {
            size_t end = calls.literal_ends[i];
            op_add_exchange(r, s, ex, line.data + from, end - from, MC_CHECK_LITERAL);
            ex = MC_EX_CONTINUE;
            from = end + 2; /* after the CRLF */
        }
        op_add_exchange(r, s, ex, line.data + from, line.len - from, MC_CHECK_STEP);
    }
    if (r->op_count)
        r->ops[r->op_count - 1].fallback = MC_CHECK_ANY;
    free(calls.literal_ends);
    mc_buf_free(&line);
}

static void ops_auth(struct mc_srun *r, struct mc_session *s, const struct mc_step *st)
{
    struct mc_op *op = op_add(r, MC_OP_AUTH, s);
    if (!op)
        return;
    op->check = MC_CHECK_STEP;
    op->login = true;
    mc_buf_append_str(&op->text, st->text);
}

static void ops_message(struct mc_srun *r, struct mc_session *s, const struct mc_step *st)
{
    struct mc_buf msg = {0};
    message_for(r, s, &st->message, mc_vars_get(s->local, "address", NULL), 1, &msg);
    op_add_exchange(r, s, MC_EX_DATA, msg.data, msg.len, MC_CHECK_STEP);
    mc_buf_free(&msg);
}

void mc_srun_build_ops(struct mc_srun *r, const struct mc_step *st)
{
    struct mc_session *s = st->session >= 0 ? r->sessions[st->session] : NULL;
    switch (st->kind) {
    case MC_STEP_CONNECT:
        if (s->open)
            mc_session_abort(s); /* connect again: a fresh connection */
        s->closed = false;
        ops_open_session(r, s, r->res->session_tls[st->session], MC_CHECK_STEP);
        break;
    case MC_STEP_SEND:
        ops_send(r, s, st);
        break;
    case MC_STEP_SEND_RAW:
        ops_raw(r, s, st);
        break;
    case MC_STEP_AWAIT: {
        struct mc_op *op = op_add(r, MC_OP_AWAIT, s);
        if (op)
            op->check = MC_CHECK_STEP;
        break;
    }
    case MC_STEP_LOGIN:
        ops_login(r, s);
        break;
    case MC_STEP_AUTH:
        ops_auth(r, s, st);
        break;
    case MC_STEP_STARTTLS: {
        const char *cmd = s->proto->starttls_command;
        op_add_exchange(r, s, MC_EX_COMMAND, cmd, strlen(cmd), MC_CHECK_STEP);
        op_add(r, MC_OP_TLS, s);
        break;
    }
    case MC_STEP_SEND_MESSAGE:
        ops_message(r, s, st);
        break;
    case MC_STEP_DELIVER:
        ops_deliver(r, &st->message, st->deliver_user, 1);
        break;
    case MC_STEP_CLOSE:
        ops_close(r, s, st);
        break;
    case MC_STEP_EXPECT_CLOSE:
        op_add(r, MC_OP_EXPECT_CLOSE, s);
        break;
    case MC_STEP_WAIT: {
        struct mc_op *op = op_add(r, MC_OP_SLEEP, NULL);
        if (op)
            op->sleep_ms = st->wait_ms;
        break;
    }
    }
}
