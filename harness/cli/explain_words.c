/*
 * explain_words — a scenario's steps in words (see explain_words.h).
 *
 * The protocol's vocabulary comes from its table: a protocol with reply codes (SMTP, LMTP)
 * speaks of codes, one with untagged lines (IMAP) of tagged replies, the others (POP3) of the
 * status words it lists ("+OK", "-ERR"); the loader draws the same lines (loader_expect.c).
 */
#include "cli/explain_words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"

/* Placeholders for the session's user in the commands shown: a run fills them in. */
#define EXPLAIN_USER "${user}"
#define EXPLAIN_PASSWORD "${password}"
/* The client name the engine gives EHLO/LHLO when it opens a session with STARTTLS
   (run_ops.c, MC_HELO_NAME). */
#define EXPLAIN_HELO_NAME "mailconform.invalid"

enum session_state { SESSION_NEW, SESSION_OPEN, SESSION_CLOSED };

struct mc_explainer {
    const struct mc_scenario *sc;
    enum session_state *state;
    struct mc_proto_state **proto; /* per session, as a run's: tags count up the same way */
};

struct mc_explainer *mc_explainer_new(const struct mc_scenario *sc)
{
    struct mc_explainer *x = mc_xcalloc(1, sizeof *x);
    x->sc = sc;
    x->state = mc_xcalloc(sc->session_count + 1, sizeof *x->state);
    x->proto = mc_xcalloc(sc->session_count + 1, sizeof *x->proto);
    return x;
}

static void reset_proto(struct mc_explainer *x, size_t s)
{
    const struct mc_protocol *p = x->sc->sessions[s].proto;
    if (x->proto[s])
        p->state_free(x->proto[s]);
    x->proto[s] = p->state_new();
}

void mc_explainer_free(struct mc_explainer *x)
{
    if (!x)
        return;
    for (size_t s = 0; s < x->sc->session_count; s++)
        if (x->proto[s])
            x->sc->sessions[s].proto->state_free(x->proto[s]);
    free(x->proto);
    free(x->state);
    free(x);
}

/* --- what the client sends --- */

/* One line as the protocol writes it on the wire (an IMAP command gets its tag), CRLF left
   out; a password the protocol encodes (AUTH PLAIN) is named instead of shown. */
static void wire_line(struct mc_explainer *x, size_t s, enum mc_exchange ex, const char *line,
                      bool raw, struct mc_strv *sends)
{
    const struct mc_protocol *p = x->sc->sessions[s].proto;
    if (!x->proto[s])
        reset_proto(x, s);
    struct mc_buf wire = {0};
    struct mc_exchange_opts opts = {.multiline = -1, .raw = raw};
    p->begin(x->proto[s], ex, line, strlen(line), &opts, &wire);
    while (wire.len && (wire.data[wire.len - 1] == '\n' || wire.data[wire.len - 1] == '\r'))
        wire.len--;
    struct mc_strv plain = {0}, encoded = {0};
    if (p->secret_forms)
        p->secret_forms(EXPLAIN_USER, EXPLAIN_PASSWORD, &plain, &encoded);
    struct mc_buf shown = {0};
    mc_buf_append(&shown, wire.data ? wire.data : "", wire.len);
    for (size_t k = 0; k < encoded.count; k++) {
        char *at = shown.data ? strstr(shown.data, encoded.items[k].ptr) : NULL;
        if (!at)
            continue;
        struct mc_buf b = {0};
        mc_buf_append(&b, shown.data, (size_t)(at - shown.data));
        mc_buf_append_str(&b, "[" EXPLAIN_USER " and " EXPLAIN_PASSWORD ", encoded]");
        mc_buf_append_str(&b, at + encoded.items[k].len);
        mc_buf_free(&shown);
        shown = b;
    }
    mc_strv_push(sends, shown.data ? shown.data : "", shown.len);
    mc_buf_free(&shown);
    mc_buf_free(&wire);
    mc_strv_free(&plain);
    mc_strv_free(&encoded);
}

static void wire_command(struct mc_explainer *x, size_t s, const char *line, struct mc_strv *sends)
{
    wire_line(x, s, MC_EX_COMMAND, line, false, sends);
}

void mc_explain_open(struct mc_explainer *x, size_t session, struct mc_buf *what,
                     struct mc_strv *sends)
{
    const struct mc_session_spec *spec = &x->sc->sessions[session];
    const struct mc_protocol *p = spec->proto;
    reset_proto(x, session);
    mc_buf_printf(what, "session %s opens: mailconform connects to the target's %s endpoint%s",
                  spec->name, spec->endpoint ? spec->endpoint : p->name,
                  spec->tls == MC_TLS_IMPLICIT ? " over TLS from the first byte (implicit TLS)"
                                               : "");
    mc_buf_append_str(what, "; ");
    mc_explain_greeting(p, what);
    if (spec->tls == MC_TLS_STARTTLS && p->starttls_command) {
        mc_buf_printf(what,
                      "; then it asks for TLS with %s, and only the go-ahead reply starts the "
                      "TLS handshake (RFC %d section %s)",
                      p->starttls_command, p->starttls_rule.rfc, p->starttls_rule.section);
        if (p->hello_verb) { /* RFC 3207 4: STARTTLS is an extension learnt from EHLO */
            struct mc_buf hello = {0};
            mc_buf_printf(&hello, "%s %s", p->hello_verb, EXPLAIN_HELO_NAME);
            wire_command(x, session, hello.data, sends);
            mc_buf_free(&hello);
        }
        wire_command(x, session, p->starttls_command, sends);
    }
    x->state[session] = SESSION_OPEN;
}

bool mc_explain_opens(struct mc_explainer *x, size_t i)
{
    const struct mc_step *st = &x->sc->steps[i];
    if (st->session < 0)
        return false;
    bool opens = st->kind != MC_STEP_CONNECT && st->kind != MC_STEP_CLOSE &&
                 st->kind != MC_STEP_EXPECT_CLOSE && st->kind != MC_STEP_AWAIT;
    return opens && x->state[st->session] == SESSION_NEW; /* as mc_srun_needs_open */
}

/* send_raw's pieces as text: "\r\n" written so, a repeated piece as "A" x 2000. */
static void raw_pieces(const struct mc_step *st, struct mc_buf *out)
{
    for (size_t i = 0; i < st->raw_count; i++) {
        const struct mc_raw_piece *rp = &st->raw[i];
        if (i)
            mc_buf_append_str(out, " + ");
        mc_buf_append_char(out, '"');
        for (size_t k = 0; k < rp->len; k++) {
            char ch = rp->text[k];
            if (ch == '\r')
                mc_buf_append_str(out, "\\r");
            else if (ch == '\n')
                mc_buf_append_str(out, "\\n");
            else
                mc_escape_append(out, &ch, 1, MC_ESCAPE_QUOTE);
        }
        mc_buf_append_char(out, '"');
        if (rp->repeat > 1)
            mc_buf_printf(out, " x %zu", rp->repeat);
    }
}

static void message_words(const struct mc_message_spec *m, struct mc_buf *what)
{
    mc_buf_printf(what, "a generated message (Subject: %s; From: %s; To: %s; ",
                  m->subject ? m->subject : "mailconform ${run_id} #1",
                  m->from ? m->from : "mailconform@${domain}", m->to ? m->to : "the recipient");
    if (m->body)
        mc_buf_append_str(what, "the body the scenario gives)");
    else
        mc_buf_printf(what, "%d generated body line%s)", m->body_lines,
                      m->body_lines == 1 ? "" : "s");
}

static void action_send(struct mc_explainer *x, const struct mc_step *st, struct mc_buf *what,
                        struct mc_strv *sends)
{
    const struct mc_protocol *p = x->sc->sessions[st->session].proto;
    if (st->new_command) {
        mc_buf_printf(what, "sends a command%s",
                      mc_explain_has_tags(p) ? " (with a fresh tag)" : "");
        wire_command(x, (size_t)st->session, st->text, sends);
    } else {
        mc_buf_append_str(what, "sends a line that continues the command in progress (no new "
                                "command, no tag)");
        wire_line(x, (size_t)st->session, MC_EX_CONTINUE, st->text, false, sends);
    }
}

static void action_raw(struct mc_explainer *x, const struct mc_step *st, struct mc_buf *what,
                       struct mc_strv *sends)
{
    (void)x;
    mc_buf_append_str(what, "sends these bytes exactly as written (no line end added, no tag)");
    mc_buf_append_str(what, st->has_expect
                                ? (st->new_command ? ", as a new command, and reads its reply"
                                                   : ", continuing the command in progress, and "
                                                     "reads that command's reply")
                                : ", and reads nothing");
    struct mc_buf b = {0};
    raw_pieces(st, &b);
    mc_strv_push(sends, b.data ? b.data : "", b.len);
    mc_buf_free(&b);
}

static void action_login(struct mc_explainer *x, const struct mc_step *st, struct mc_buf *what,
                         struct mc_strv *sends)
{
    const struct mc_session_spec *spec = &x->sc->sessions[st->session];
    mc_buf_printf(what,
                  "logs in as the session's user (test user %d) with the protocol's plain login%s",
                  spec->user, st->has_expect ? "; the expectation applies to the last reply" : "");
    struct mc_strv cmds = {0};
    spec->proto->login_commands(EXPLAIN_USER, EXPLAIN_PASSWORD, &cmds);
    for (size_t k = 0; k < cmds.count; k++)
        wire_command(x, (size_t)st->session, cmds.items[k].ptr, sends);
    mc_strv_free(&cmds);
}

static void action_auth(struct mc_explainer *x, const struct mc_step *st, struct mc_buf *what,
                        struct mc_strv *sends)
{
    const struct mc_protocol *p = x->sc->sessions[st->session].proto;
    mc_buf_printf(what,
                  "authenticates the session's user with SASL %s; mailconform answers each "
                  "challenge of the mechanism itself, and the expectation applies to the final "
                  "reply",
                  st->text);
    if (p->auth_command) {
        struct mc_buf cmd = {0};
        p->auth_command(st->text, NULL, &cmd);
        wire_command(x, (size_t)st->session, cmd.data ? cmd.data : "", sends);
        mc_buf_free(&cmd);
    }
}

static void action_starttls(struct mc_explainer *x, const struct mc_step *st, struct mc_buf *what,
                            struct mc_strv *sends)
{
    const struct mc_protocol *p = x->sc->sessions[st->session].proto;
    mc_buf_printf(what,
                  "asks to start TLS; only the go-ahead reply starts the TLS handshake (RFC %d "
                  "section %s), and the handshake must then complete",
                  p->starttls_rule.rfc, p->starttls_rule.section);
    if (p->starttls_command)
        wire_command(x, (size_t)st->session, p->starttls_command, sends);
}

static void action_close(struct mc_explainer *x, const struct mc_step *st, struct mc_buf *what,
                         struct mc_strv *sends)
{
    const struct mc_protocol *p = x->sc->sessions[st->session].proto;
    if (strcmp(st->text, "abort") == 0) {
        mc_buf_append_str(what, "drops the connection at once, without a word");
    } else {
        mc_buf_append_str(what, "says goodbye; the server must answer and then close the "
                                "connection itself");
        if (x->state[st->session] == SESSION_OPEN)
            wire_command(x, (size_t)st->session, p->quit_command, sends);
    }
    x->state[st->session] = SESSION_CLOSED;
}

void mc_explain_action(struct mc_explainer *x, size_t i, struct mc_buf *what, struct mc_strv *sends)
{
    const struct mc_step *st = &x->sc->steps[i];
    if (st->session >= 0 && st->kind != MC_STEP_CLOSE && st->kind != MC_STEP_EXPECT_CLOSE)
        x->state[st->session] = SESSION_OPEN;
    switch (st->kind) {
    case MC_STEP_CONNECT:
        reset_proto(x, (size_t)st->session);
        mc_buf_append_str(what, "connects (again, on a fresh connection if the session was open) "
                                "and reads the greeting");
        break;
    case MC_STEP_SEND:
        action_send(x, st, what, sends);
        break;
    case MC_STEP_SEND_RAW:
        action_raw(x, st, what, sends);
        break;
    case MC_STEP_AWAIT:
        mc_buf_append_str(what, "sends nothing, and waits until the expected lines have come");
        break;
    case MC_STEP_LOGIN:
        action_login(x, st, what, sends);
        break;
    case MC_STEP_AUTH:
        action_auth(x, st, what, sends);
        break;
    case MC_STEP_STARTTLS:
        action_starttls(x, st, what, sends);
        break;
    case MC_STEP_SEND_MESSAGE:
        mc_buf_append_str(what, "sends the message content after the server's go-ahead to DATA: ");
        message_words(&st->message, what);
        mc_buf_append_str(what, ", ended by a line holding a single \".\"");
        break;
    case MC_STEP_DELIVER:
        mc_buf_append_str(what, "outside every session, puts ");
        message_words(&st->message, what);
        mc_buf_printf(what,
                      " into the mailbox of test user %d, through the target's delivery "
                      "endpoint (or stored there directly when it has none)",
                      st->deliver_user);
        break;
    case MC_STEP_CLOSE:
        action_close(x, st, what, sends);
        break;
    case MC_STEP_EXPECT_CLOSE:
        mc_buf_append_str(what, "sends nothing; the server must close the connection by itself "
                                "before the step's deadline");
        x->state[st->session] = SESSION_CLOSED;
        break;
    case MC_STEP_WAIT:
        mc_buf_printf(what, "waits %d ms, outside every session", st->wait_ms);
        break;
    }
}

void mc_explain_fixtures(const struct mc_scenario *sc, struct mc_buf *what)
{
    mc_buf_printf(what,
                  "before the first step, %d message%s %s delivered to test user 1 (fixtures), "
                  "each with the subject \"mailconform ${run_id} #N\" and 3 body lines, through "
                  "the target's delivery endpoint (or stored directly when it has none). "
                  "This is set-up: if it fails, the scenario is an error, not the server's "
                  "failure",
                  sc->fixture_messages, sc->fixture_messages == 1 ? "" : "s",
                  sc->fixture_messages == 1 ? "is" : "are");
}
