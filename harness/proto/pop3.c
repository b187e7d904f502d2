/*
 * pop3 — the POP3 framer: when a POP3 reply is complete and what it says.
 *
 * A POP3 reply is one status line, "+OK ..." or "-ERR ..." (RFC 1939 3), followed for some
 * commands by a body of dot-stuffed lines ended by a line holding a single "." (multi-line
 * responses, RFC 1939 3). Whether a body follows is not written in the reply: the client knows
 * it from the command it sent (RETR, TOP, CAPA, LIST and UIDL without argument, AUTH without
 * argument), so `begin` decides it, and a scenario may override the guess. During SASL
 * (RFC 5034 4) the server may instead answer with a challenge "+ base64". The framer also
 * knows POP3's short dialogues: CAPA (RFC 2449 5), STLS (RFC 2595 4), USER/PASS, AUTH.
 * It never touches the socket: the engine cuts lines and feeds them here.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/protocol.h"
#include "proto/syntax.h"

#define POP3_PORT 110     /* RFC 1939 3 */
#define POP3_TLS_PORT 995 /* RFC 8314 3 (implicit TLS), IANA "pop3s" */
/* A status line ("+OK"/"-ERR" line), CRLF included (RFC 2449 4). SASL challenges are not held
   to it: GSSAPI tokens routinely exceed it, so they are bounded by POP3_LINE_MAX only. */
#define POP3_STATUS_LINE_MAX 512
/* Hard cap the engine applies to any line. RFC 1939 sets no limit on the data lines of a
   multi-line response; this is a harness safety limit, generous for real message lines. */
#define POP3_LINE_MAX (64u * 1024u)

enum pop3_phase {
    POP3_WAIT_STATUS, /* the first line of the reply comes next */
    POP3_WAIT_BODY,   /* +OK to a multi-line command: body lines until "." */
    POP3_COMPLETE,    /* the reply is complete; nothing more belongs to it */
};

struct mc_proto_state {
    enum pop3_phase phase;
    bool multiline; /* a +OK status line is followed by a body */
    bool sasl;      /* a "+ challenge" line is a valid reply (AUTH in progress) */
    struct mc_syn_budget budget;
};

static const char *const pop3_status_words[] = {"+OK", "-ERR", NULL};

static struct mc_proto_state *pop3_state_new(void)
{
    struct mc_proto_state *st = mc_xcalloc(1, sizeof *st);
    st->phase = POP3_WAIT_STATUS; /* as if begin(GREETING) */
    return st;
}

static void pop3_state_free(struct mc_proto_state *st)
{
    free(st);
}

/* Does the command have an argument after its verb? */
static bool pop3_has_argument(const char *line, size_t len, size_t verb_len)
{
    return verb_len + mc_syn_skip_space(line + verb_len, len - verb_len) < len;
}

/* The commands whose +OK carries a body (RFC 1939 5-7, RFC 2449 5, RFC 5034 4 for bare AUTH
   listing mechanisms, a widespread pre-RFC 5034 form). */
static bool pop3_infer_multiline(const char *line, size_t len)
{
    size_t verb_len = mc_syn_token_len(line, len);
    bool arg = pop3_has_argument(line, len, verb_len);
    if (mc_syn_token_eq(line, verb_len, "RETR") || mc_syn_token_eq(line, verb_len, "TOP") ||
        mc_syn_token_eq(line, verb_len, "CAPA"))
        return true;
    if (mc_syn_token_eq(line, verb_len, "LIST") || mc_syn_token_eq(line, verb_len, "UIDL") ||
        mc_syn_token_eq(line, verb_len, "AUTH"))
        return !arg;
    return false;
}

static void pop3_begin(struct mc_proto_state *st, enum mc_exchange ex, const char *line, size_t len,
                       const struct mc_exchange_opts *opts, struct mc_buf *wire)
{
    bool raw = opts && opts->raw && (ex == MC_EX_COMMAND || ex == MC_EX_CONTINUE);
    st->phase = POP3_WAIT_STATUS;
    st->budget = (struct mc_syn_budget){0};
    st->multiline = false;
    switch (ex) {
    case MC_EX_GREETING:
        st->sasl = false;
        return;
    case MC_EX_COMMAND: {
        /* a raw send is judged by its first line, the command the server answers first */
        size_t cmd_len = line ? (raw ? mc_syn_first_line_len(line, len) : len) : 0;
        const char *cmd = line ? line : "";
        size_t verb_len = mc_syn_token_len(cmd, cmd_len);
        st->sasl =
            mc_syn_token_eq(cmd, verb_len, "AUTH") && pop3_has_argument(cmd, cmd_len, verb_len);
        st->multiline = pop3_infer_multiline(cmd, cmd_len);
        break;
    }
    case MC_EX_CONTINUE:
    case MC_EX_DATA:
        st->sasl = true; /* a SASL response: the server answers "+ ..." or +OK/-ERR */
        break;
    }
    if (opts && opts->multiline >= 0)
        st->multiline = opts->multiline != 0;
    mc_syn_write_command(wire, line, len, raw);
}

/* The status line: "+OK", "-ERR", each alone or followed by SP and text (RFC 1939 3). */
static enum mc_frame pop3_status_line(struct mc_proto_state *st, const char *line, size_t len,
                                      struct mc_reply *r)
{
    if (st->sasl && len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
        /* RFC 5034 4: a server challenge is "+" SP base64 */
        mc_strv_push(&r->lines, line, len);
        mc_syn_finish(r, MC_REPLY_CONTINUATION, "+", line, len, len > 1 ? 2 : 1, true);
        st->phase = POP3_COMPLETE;
        return MC_FRAME_DONE;
    }
    if (len + 2 > POP3_STATUS_LINE_MAX) {
        mc_syn_violation(r, "response line of %zu octets exceeds %d (RFC 2449 4)", len + 2,
                         POP3_STATUS_LINE_MAX);
        return MC_FRAME_ERROR;
    }
    bool ok = len >= 3 && memcmp(line, "+OK", 3) == 0 && (len == 3 || line[3] == ' ');
    bool err = len >= 4 && memcmp(line, "-ERR", 4) == 0 && (len == 4 || line[4] == ' ');
    if (!ok && !err) {
        char *ex = mc_syn_excerpt_dup(line, len);
        mc_syn_violation(r,
                         "status line %s starts with neither \"+OK\" nor \"-ERR\" in upper "
                         "case (RFC 1939 3)",
                         ex);
        free(ex);
        return MC_FRAME_ERROR;
    }
    size_t word = ok ? 3 : 4;
    mc_strv_push(&r->lines, line, len);
    mc_syn_finish(r, MC_REPLY_FINAL, ok ? "+OK" : "-ERR", line, len, len > word ? word + 1 : word,
                  ok);
    if (ok && st->multiline) {
        st->phase = POP3_WAIT_BODY;
        return MC_FRAME_MORE;
    }
    st->phase = POP3_COMPLETE;
    return MC_FRAME_DONE;
}

/* A body line: "." alone ends the body; a leading "." is stuffing and is removed (RFC 1939 3). */
static enum mc_frame pop3_body_line(struct mc_proto_state *st, const char *line, size_t len,
                                    struct mc_reply *r)
{
    mc_strv_push(&r->lines, line, len);
    if (len == 1 && line[0] == '.') {
        st->phase = POP3_COMPLETE;
        return MC_FRAME_DONE;
    }
    /* data is a view of the line just stored, without the stuffed dot: no second copy */
    const struct mc_str *stored = &r->lines.items[r->lines.count - 1];
    size_t dot = len >= 1 && line[0] == '.';
    mc_strv_push_ref(&r->data, stored->ptr + dot, len - dot);
    return MC_FRAME_MORE;
}

static enum mc_frame pop3_feed_line(struct mc_proto_state *st, const char *line, size_t len,
                                    struct mc_reply *r, size_t *literal_len)
{
    (void)literal_len;
    if (!line) {
        line = "";
        len = 0;
    }
    if (st->phase == POP3_COMPLETE) {
        mc_syn_violation(r, "line received after the reply was complete (RFC 1939 3)");
        return MC_FRAME_ERROR;
    }
    if (!mc_syn_budget_take(&st->budget, 1, len, r))
        return MC_FRAME_ERROR;
    if (st->phase == POP3_WAIT_STATUS)
        return pop3_status_line(st, line, len, r);
    return pop3_body_line(st, line, len, r);
}

static enum mc_frame pop3_feed_literal(struct mc_proto_state *st, const char *data, size_t len,
                                       struct mc_reply *r)
{
    (void)st;
    (void)data;
    (void)len;
    mc_syn_violation(r, "POP3 has no literals; none was announced");
    return MC_FRAME_ERROR;
}

static const char *pop3_current_tag(const struct mc_proto_state *st)
{
    (void)st;
    return NULL;
}

/* CAPA body (RFC 2449 5): one capability a line, its name the first word; "SASL PLAIN LOGIN"
   also yields "SASL=PLAIN" and "SASL=LOGIN" (RFC 2449 6.3). */
static void pop3_capabilities(const struct mc_reply *r, struct mc_strv *out)
{
    mc_syn_keyword_lines(&r->data, 0, "SASL", out);
}

static void pop3_login_commands(const char *user, const char *password, struct mc_strv *out)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "USER %s", user);
    mc_strv_push(out, b.data, b.len);
    mc_buf_reset(&b);
    mc_buf_printf(&b, "PASS %s", password);
    mc_strv_push(out, b.data, b.len);
    mc_buf_free(&b);
}

/* RFC 5034 4: "AUTH mechanism [initial-response]", "=" for an empty initial response. */
static void pop3_auth_command(const char *mech, const char *initial, struct mc_buf *out)
{
    mc_syn_auth_command(out, "AUTH", mech, initial);
}

const struct mc_protocol mc_proto_pop3 = {
    .name = "pop3",
    .port = POP3_PORT,
    .tls_port = POP3_TLS_PORT,
    .line_max = POP3_LINE_MAX,
    .lines_key = "lines",
    .multiline_by_command = true,
    .status_words = pop3_status_words,
    .state_new = pop3_state_new,
    .state_free = pop3_state_free,
    .begin = pop3_begin,
    .feed_line = pop3_feed_line,
    .feed_literal = pop3_feed_literal,
    .current_tag = pop3_current_tag,
    .capability_command = "CAPA",
    .capabilities = pop3_capabilities,
    .greeting_capabilities = NULL,
    .starttls_command = "STLS",
    .quit_command = "QUIT",
    .login_commands = pop3_login_commands,
    .auth_command = pop3_auth_command,
    .auth_initial_response = true,
    .auth_ir_capability = NULL, /* RFC 5034 4: the initial response is always allowed */
    .auth_cancel = "*",
    .hello_verb = NULL,
    .delivery_commands = NULL,
};
