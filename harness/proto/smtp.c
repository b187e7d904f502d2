/*
 * smtp — the SMTP framer (and LMTP, which shares it): when a reply is complete, what it says.
 *
 * An SMTP reply is one or more lines each starting with the same three-digit code; "ddd-text"
 * says more lines follow, "ddd text" or "ddd" ends the reply (RFC 5321 4.2). The code is the
 * status; the text of the last line may start with an enhanced status code "x.y.z"
 * (RFC 2034, RFC 3463). A 3xx reply asks for more: a 334 SASL challenge (RFC 4954 4) or 354
 * before the message. `begin(DATA)` puts the message on the wire dot-stuffed and terminated
 * (RFC 5321 4.5.2). The framer also knows SMTP's short dialogues: EHLO/LHLO capabilities,
 * STARTTLS (RFC 3207), AUTH (RFC 4954), QUIT. LMTP (RFC 2033) differs only in its hello verb
 * and port; its per-recipient replies after DATA are separate replies the engine reads in turn.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/sasl.h"
#include "proto/protocol.h"
#include "proto/syntax.h"

#define SMTP_PORT 25            /* RFC 5321 (IANA "smtp") */
#define SMTP_TLS_PORT 465       /* RFC 8314 3.3 (implicit TLS submission, IANA "submissions") */
#define LMTP_PORT 24            /* RFC 2033 4 forbids 25; IANA "any private mail system" */
#define SMTP_REPLY_LINE_MAX 512 /* RFC 5321 4.5.3.1.5, reply code and CRLF included */
/* Hard cap the engine applies to any line, a harness safety limit: longer than any RFC reply
   line so that an over-long one is reported as the RFC 5321 violation it is. */
#define SMTP_LINE_MAX (64u * 1024u)
#define SMTP_CODE_LEN 3 /* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
#define SMTP_CLIENT_NAME "mailconform.invalid" /* RFC 2606 2: a name that never resolves */

enum smtp_phase {
    SMTP_WAIT_REPLY, /* reply lines until one without "-" */
    SMTP_COMPLETE,   /* the reply is complete; nothing more belongs to it */
};

struct mc_proto_state {
    enum smtp_phase phase;
    int code; /* code of the reply's first line, 0 before it */
    struct mc_syn_budget budget;
};

static struct mc_proto_state *smtp_state_new(void)
{
    struct mc_proto_state *st = mc_xcalloc(1, sizeof *st);
    st->phase = SMTP_WAIT_REPLY; /* as if begin(GREETING) */
    return st;
}

static void smtp_state_free(struct mc_proto_state *st)
{
    free(st);
}

/* The message with its line ends made CRLF, every line starting with "." given another
   (RFC 5321 4.5.2), a final CRLF ensured, then the end-of-data line "." (RFC 5321 4.1.1.4). */
static void smtp_write_data(const char *msg, size_t len, struct mc_buf *wire)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(msg + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - msg) : len;
        size_t next = nl ? end + 1 : len;
        if (nl && end > pos && msg[end - 1] == '\r')
            end--;
        if (msg[pos] == '.')
            mc_buf_append_char(wire, '.');
        mc_buf_append(wire, msg + pos, end - pos);
        mc_buf_append(wire, "\r\n", 2);
        pos = next;
    }
    mc_buf_append(wire, ".\r\n", 3);
}

static void smtp_begin(struct mc_proto_state *st, enum mc_exchange ex, const char *line, size_t len,
                       const struct mc_exchange_opts *opts, struct mc_buf *wire)
{
    st->phase = SMTP_WAIT_REPLY;
    st->code = 0;
    st->budget = (struct mc_syn_budget){0};
    switch (ex) {
    case MC_EX_GREETING:
        return;
    case MC_EX_COMMAND:
    case MC_EX_CONTINUE:
        mc_syn_write_command(wire, line, len, opts && opts->raw);
        return;
    case MC_EX_DATA:
        smtp_write_data(line ? line : "", line ? len : 0, wire);
        return;
    }
}

/* "c.sss.ddd" at the start of the text, class matching the reply code (RFC 3463 2,
   RFC 2034 4); "" otherwise. */
static void smtp_enhanced_code(const char *text, size_t len, char code_class, char *out,
                               size_t out_size)
{
    out[0] = '\0';
    if (len < 5 || text[0] != code_class || text[1] != '.')
        return;
    if (code_class != '2' && code_class != '4' && code_class != '5')
        return; /* RFC 3463 2: class = "2" / "4" / "5" (no 3xx enhanced codes) */
    size_t pos = 2;
    for (int part = 0; part < 2; part++) {
        size_t digits = 0;
        while (pos < len && text[pos] >= '0' && text[pos] <= '9' && digits < 4) {
            pos++;
            digits++;
        }
        if (digits == 0 || digits > 3)
            return;
        if (part == 0) {
            if (pos >= len || text[pos] != '.')
                return;
            pos++;
        }
    }
    if (pos < len && text[pos] != ' ' && text[pos] != '\t')
        return;
    if (pos < out_size) {
        memcpy(out, text, pos);
        out[pos] = '\0';
    }
}

static bool smtp_valid_code(const char *line, size_t len)
{
    return len >= SMTP_CODE_LEN && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
           line[1] <= '5' && line[2] >= '0' && line[2] <= '9';
}

static enum mc_frame smtp_feed_line(struct mc_proto_state *st, const char *line, size_t len,
                                    struct mc_reply *r, size_t *literal_len)
{
    (void)literal_len;
    if (!line) {
        line = "";
        len = 0;
    }
    if (st->phase == SMTP_COMPLETE) {
        mc_syn_violation(r, "line received after the reply was complete (RFC 5321 4.2)");
        return MC_FRAME_ERROR;
    }
    if (!mc_syn_budget_take(&st->budget, 1, len, r))
        return MC_FRAME_ERROR;
    if (len + 2 > SMTP_REPLY_LINE_MAX) {
        mc_syn_violation(r, "reply line of %zu octets exceeds %d (RFC 5321 4.5.3.1.5)", len + 2,
                         SMTP_REPLY_LINE_MAX);
        return MC_FRAME_ERROR;
    }
    if (!smtp_valid_code(line, len) ||
        (len > SMTP_CODE_LEN && line[SMTP_CODE_LEN] != '-' && line[SMTP_CODE_LEN] != ' ')) {
        char *ex = mc_syn_excerpt_dup(line, len);
        mc_syn_violation(r,
                         "reply line %s is not \"ddd-text\", \"ddd text\" or \"ddd\" with a "
                         "reply code 200-559 (RFC 5321 4.2)",
                         ex);
        free(ex);
        return MC_FRAME_ERROR;
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (st->code && code != st->code) {
        mc_syn_violation(r,
                         "multi-line reply mixes codes %d and %d (RFC 5321 4.2.1: the reply "
                         "code on each line MUST be the same)",
                         st->code, code);
        return MC_FRAME_ERROR;
    }
    st->code = code;
    size_t text_off = len > SMTP_CODE_LEN ? SMTP_CODE_LEN + 1 : SMTP_CODE_LEN;
    mc_strv_push(&r->lines, line, len);
    /* data is a view of the line just stored, from its text on: no second copy */
    mc_strv_push_ref(&r->data, r->lines.items[r->lines.count - 1].ptr + text_off, len - text_off);
    if (len > SMTP_CODE_LEN && line[SMTP_CODE_LEN] == '-')
        return MC_FRAME_MORE;

    char status[SMTP_CODE_LEN + 1] = {line[0], line[1], line[2], '\0'};
    mc_syn_finish(r, line[0] == '3' ? MC_REPLY_CONTINUATION : MC_REPLY_FINAL, status, line, len,
                  text_off, line[0] == '2' || line[0] == '3');
    r->code = code;
    smtp_enhanced_code(line + text_off, len - text_off, line[0], r->enhanced, sizeof r->enhanced);
    st->phase = SMTP_COMPLETE;
    return MC_FRAME_DONE;
}

static enum mc_frame smtp_feed_literal(struct mc_proto_state *st, const char *data, size_t len,
                                       struct mc_reply *r)
{
    (void)st;
    (void)data;
    (void)len;
    mc_syn_violation(r, "SMTP has no literals; none was announced");
    return MC_FRAME_ERROR;
}

static const char *smtp_current_tag(const struct mc_proto_state *st)
{
    (void)st;
    return NULL;
}

/* EHLO keywords (RFC 5321 4.1.1.1): lines 2..n, first word each; "AUTH PLAIN LOGIN" also
   yields "AUTH=PLAIN" and "AUTH=LOGIN" (RFC 4954 3). */
static void smtp_capabilities(const struct mc_reply *r, struct mc_strv *out)
{
    mc_syn_keyword_lines(&r->data, 1, "AUTH", out);
}

/* Hello, then AUTH PLAIN with the initial response base64("\0user\0password") (RFC 4616 2). */
static void smtp_login_with(const char *hello, const char *user, const char *password,
                            struct mc_strv *out)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "%s %s", hello, SMTP_CLIENT_NAME);
    mc_strv_push(out, b.data, b.len);

    struct mc_sasl *plain = mc_sasl_new("PLAIN", user, password);
    struct mc_buf initial = {0}, b64 = {0};
    mc_sasl_initial(plain, &initial);
    mc_base64_encode(initial.data ? initial.data : "", initial.len, &b64);
    mc_buf_reset(&b);
    mc_syn_auth_command(&b, "AUTH", "PLAIN", b64.data ? b64.data : "");
    mc_strv_push(out, b.data, b.len);
    mc_sasl_free(plain);
    mc_buf_free(&initial);
    mc_buf_free(&b64);
    mc_buf_free(&b);
}

static void smtp_login_commands(const char *user, const char *password, struct mc_strv *out)
{
    smtp_login_with("EHLO", user, password, out);
}

static void lmtp_login_commands(const char *user, const char *password, struct mc_strv *out)
{
    smtp_login_with("LHLO", user, password, out);
}

/* The mail transaction up to the content (RFC 5321 3.3; RFC 2033 4 for LHLO): hello, MAIL
   FROM:<from> ("" gives the null reverse-path <>), RCPT TO:<to>, DATA. */
static void smtp_delivery_with(const char *hello, const char *helo_name, const char *from,
                               const char *to, struct mc_strv *out)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "%s %s", hello, helo_name ? helo_name : SMTP_CLIENT_NAME);
    mc_strv_push(out, b.data, b.len);
    mc_buf_reset(&b);
    mc_buf_printf(&b, "MAIL FROM:<%s>", from ? from : "");
    mc_strv_push(out, b.data, b.len);
    mc_buf_reset(&b);
    mc_buf_printf(&b, "RCPT TO:<%s>", to ? to : "");
    mc_strv_push(out, b.data, b.len);
    mc_strv_push_str(out, "DATA");
    mc_buf_free(&b);
}

static void smtp_delivery_commands(const char *helo_name, const char *from, const char *to,
                                   struct mc_strv *out)
{
    smtp_delivery_with("EHLO", helo_name, from, to, out);
}

static void lmtp_delivery_commands(const char *helo_name, const char *from, const char *to,
                                   struct mc_strv *out)
{
    smtp_delivery_with("LHLO", helo_name, from, to, out);
}

/* RFC 4954 4: "AUTH mechanism [initial-response]", "=" for an empty initial response. */
static void smtp_auth_command(const char *mech, const char *initial, struct mc_buf *out)
{
    mc_syn_auth_command(out, "AUTH", mech, initial);
}

const struct mc_protocol mc_proto_smtp = {
    .name = "smtp",
    .port = SMTP_PORT,
    .tls_port = SMTP_TLS_PORT,
    .capability_command = "EHLO " SMTP_CLIENT_NAME,
    .login_commands = smtp_login_commands,
    .hello_verb = "EHLO",
    .delivery_commands = smtp_delivery_commands,
    .line_max = SMTP_LINE_MAX,
    .lines_key = "lines",
    .status_words = NULL, /* SMTP replies are matched by code and class */
    .state_new = smtp_state_new,
    .state_free = smtp_state_free,
    .begin = smtp_begin,
    .feed_line = smtp_feed_line,
    .feed_literal = smtp_feed_literal,
    .current_tag = smtp_current_tag,
    .capabilities = smtp_capabilities,
    .greeting_capabilities = NULL,
    .starttls_command = "STARTTLS",
    .quit_command = "QUIT",
    .auth_command = smtp_auth_command,
    .auth_initial_response = true,
    .auth_ir_capability = NULL, /* RFC 4954 4: always allowed within the line length */
    .auth_cancel = "*",
};

/* LMTP (RFC 2033): the same framer; LHLO instead of EHLO, no implicit-TLS port. */
const struct mc_protocol mc_proto_lmtp = {
    .name = "lmtp",
    .port = LMTP_PORT,
    .tls_port = 0,
    .capability_command = "LHLO " SMTP_CLIENT_NAME,
    .login_commands = lmtp_login_commands,
    .hello_verb = "LHLO",
    .delivery_commands = lmtp_delivery_commands,
    .line_max = SMTP_LINE_MAX,
    .lines_key = "lines",
    .status_words = NULL, /* SMTP replies are matched by code and class */
    .state_new = smtp_state_new,
    .state_free = smtp_state_free,
    .begin = smtp_begin,
    .feed_line = smtp_feed_line,
    .feed_literal = smtp_feed_literal,
    .current_tag = smtp_current_tag,
    .capabilities = smtp_capabilities,
    .greeting_capabilities = NULL,
    .starttls_command = "STARTTLS",
    .quit_command = "QUIT",
    .auth_command = smtp_auth_command,
    .auth_initial_response = true,
    .auth_ir_capability = NULL, /* RFC 4954 4: always allowed within the line length */
    .auth_cancel = "*",
};
