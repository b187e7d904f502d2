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
 * It refuses octets the grammar never allows: NUL in any line, ill-formed 8-bit text in a
 * status line (docs/decisions.md). It never touches the socket: the engine cuts lines and
 * feeds them here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* RFC 2449 3 builds a status line (and a SASL challenge) of CHAR = %x01-7F: never NUL. RFC 6856
   2 lets a server answer in UTF-8 once a client asked for it, which the framer does not track,
   so 8-bit octets pass only as well-formed UTF-8 (docs/decisions.md). */
static const struct mc_syn_charset pop3_status_octets = {
    MC_OCT_HTAB | MC_OCT_CTL | MC_OCT_CR | MC_OCT_UTF8,
    "RFC 2449 3: a status line is built of CHAR, %x01-7F; 8-bit only as UTF-8 (RFC 6856 2)"};
/* A body line is dot-stuffed = *CHAR CRLF (RFC 2449 3): never NUL. Its 8-bit octets are message
   content (8BITMIME mail is served as stored) and are not judged (docs/decisions.md). */
static const struct mc_syn_charset pop3_body_octets = {
    MC_OCT_HTAB | MC_OCT_CTL | MC_OCT_CR | MC_OCT_8BIT,
    "RFC 2449 3: dot-stuffed = *CHAR CRLF with CHAR = %x01-7F, never NUL"};

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
    bool status = st->phase == POP3_WAIT_STATUS;
    if (!mc_syn_check_line(r, line, len, 0, len, status ? &pop3_status_octets : &pop3_body_octets))
        return MC_FRAME_ERROR;
    return status ? pop3_status_line(st, line, len, r) : pop3_body_line(st, line, len, r);
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

/* RFC 2595 4: TLS negotiation begins after the +OK to STLS. */
static bool pop3_starttls_ready(const struct mc_reply *r, struct mc_buf *why)
{
    if (r->kind == MC_REPLY_FINAL && strcmp(r->status, "+OK") == 0)
        return true;
    return mc_syn_starttls_not_ready(r, "STLS", "only +OK does (RFC 2595 section 4)", why);
}

/* RFC 5034 4: "AUTH mechanism [initial-response]", "=" for an empty initial response. */
static void pop3_auth_command(const char *mech, const char *initial, struct mc_buf *out)
{
    mc_syn_auth_command(out, "AUTH", mech, initial);
}

/* RFC 1939 4: the greeting is a positive response; "-ERR" is how a server refuses service. */
static bool pop3_greeting_is_mine(const char *line, size_t len)
{
    size_t n = mc_syn_token_len(line, len);
    return mc_syn_token_eq(line, n, "+OK") || mc_syn_token_eq(line, n, "-ERR");
}

/* RFC 3206 4: [AUTH] says the credentials were wrong; [SYS/...] and [IN-USE] (RFC 2449 8.1)
   say something else is the matter. A refusal without a code is taken as wrong credentials,
   the usual meaning of -ERR to PASS (RFC 1939 7). */
static bool pop3_credentials_refused(const struct mc_reply *r)
{
    if (r->positive || r->kind != MC_REPLY_FINAL)
        return false;
    const char *t = r->text ? r->text : "";
    t += strspn(t, " ");
    return t[0] != '[' || strncasecmp(t, "[AUTH]", 6) == 0;
}

/* Emptying a disposable account (protocol.h): STAT, then DELE of every message; the engine's
   QUIT then enters the UPDATE state, which removes them (RFC 1939 6). */
#define POP3_EMPTY_MESSAGES_MAX 1000000u /* messages of one test maildrop worth deleting */

struct mc_account_emptier {
    bool check_only; /* look, delete nothing: fail when the maildrop is not empty */
    size_t awaited;
};

static struct mc_account_emptier *pop3_empty_begin(bool check_only)
{
    struct mc_account_emptier *st = mc_xcalloc(1, sizeof(struct mc_account_emptier));
    st->check_only = check_only;
    return st;
}

static enum mc_empty pop3_empty_step(struct mc_account_emptier *st, const struct mc_reply *r,
                                     struct mc_strv *next, struct mc_buf *why)
{
    if (!r) {
        mc_strv_push_str(next, "STAT");
        return MC_EMPTY_MORE;
    }
    if (!r->positive) {
        mc_buf_printf(why, "'%s' was refused: '%s'", st->awaited ? "DELE" : "STAT",
                      r->status_line ? r->status_line : "");
        return MC_EMPTY_FAILED;
    }
    if (st->awaited) /* the replies to DELE */
        return --st->awaited ? MC_EMPTY_MORE : MC_EMPTY_DONE;
    unsigned long n = strtoul(r->text ? r->text : "", NULL, 10); /* "+OK nn mm" (RFC 1939 5) */
    if (st->check_only && n > 0) {
        mc_buf_printf(why, "the maildrop holds %lu message(s)", n);
        return MC_EMPTY_NOT_EMPTY;
    }
    if (n > POP3_EMPTY_MESSAGES_MAX) {
        mc_buf_printf(why, "STAT says %lu messages: not a test account", n);
        return MC_EMPTY_FAILED;
    }
    for (unsigned long i = 1; i <= n; i++) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "DELE %lu", i);
        mc_strv_push_str(next, cmd);
    }
    st->awaited = (size_t)n;
    return n ? MC_EMPTY_MORE : MC_EMPTY_DONE;
}

static void pop3_empty_end(struct mc_account_emptier *st)
{
    free(st);
}

static const struct mc_scheme pop3_schemes[] = {
    {"pop3", POP3_PORT, false, false},
    {"pop3s", POP3_TLS_PORT, true, false},
    {NULL, 0, false, false},
};

/* RFC 2449 6.8 and 6.3: USER and SASL announced only after STLS (RFC 2595 4). */
static bool pop3_login_needs_tls(const struct mc_strv *plain, const struct mc_strv *after_tls)
{
    bool plain_login =
        mc_strv_contains_nocase(plain, "USER") || mc_strv_contains_nocase(plain, "SASL");
    bool tls_login =
        mc_strv_contains_nocase(after_tls, "USER") || mc_strv_contains_nocase(after_tls, "SASL");
    return plain->count && !plain_login && tls_login;
}

const struct mc_protocol mc_proto_pop3 = {
    .name = "pop3",
    .schemes = pop3_schemes,
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
    .starttls_ready = pop3_starttls_ready,
    .quit_command = "QUIT",
    .login_commands = pop3_login_commands,
    .auth_command = pop3_auth_command,
    .auth_initial_response = true,
    .auth_ir_capability = NULL, /* RFC 5034 4: the initial response is always allowed */
    .auth_cancel = "*",
    .hello_verb = NULL,
    .delivery_commands = NULL,
    .greeting_rule = {1939, "4"},
    .starttls_rule = {2595, "4"},
    .greeting_is_mine = pop3_greeting_is_mine,
    .credentials_refused = pop3_credentials_refused,
    .login_needs_tls = pop3_login_needs_tls,
    .empty_begin = pop3_empty_begin,
    .empty_step = pop3_empty_step,
    .empty_end = pop3_empty_end,
    .empty_at_quit = true, /* RFC 1939 6: the UPDATE state, answered by QUIT's reply */
};
