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
 * A session's first reply is judged as a greeting: 220, or 554 to refuse the session, or 421 when
 * the service is shutting down (RFC 5321 3.1, 4.3.2, 3.8); any other code is a violation, so
 * every scenario's implicit connect checks it.
 * The framer refuses octets the reply grammar never allows: anything but HTAB and printable
 * text, where 8-bit text must be well-formed UTF-8; only the free text after the domain on the
 * first line of a positive EHLO/LHLO reply may also carry controls and NUL (docs/decisions.md).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/sasl.h"
#include "proto/protocol.h"
#include "proto/syntax.h"

#define SMTP_PORT 25 /* RFC 5321 (IANA "smtp") */
/* RFC 8314 3.3: message submission over implicit TLS (IANA "submissions"); its URL scheme and
   endpoint name here is the customary "smtps". Like submission, it takes mail only after AUTH. */
#define SMTP_TLS_PORT 465
#define SUBMISSION_PORT 587     /* RFC 6409 3.1; AUTH before mail: RFC 6409 4.3 */
#define LMTP_PORT 24            /* RFC 2033 4 forbids 25; IANA "any private mail system" */
#define SMTP_REPLY_LINE_MAX 512 /* RFC 5321 4.5.3.1.5, reply code and CRLF included */
/* Hard cap the engine applies to any line, a harness safety limit: longer than any RFC reply
   line so that an over-long one is reported as the RFC 5321 violation it is. */
#define SMTP_LINE_MAX (64u * 1024u)
#define SMTP_CODE_LEN 3 /* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
#define SMTP_CLIENT_NAME "mailconform.invalid" /* RFC 2606 2: a name that never resolves */
#define SMTP_STARTTLS_READY 220 /* RFC 3207 4: "220 Ready to start TLS", the only go-ahead */

/* RFC 5321 4.2: reply text is textstring = 1*(%d09 / %d32-126). RFC 6531 lets UTF-8 addresses
   into a session, and servers echo them in reply text; the framer does not track SMTPUTF8, so
   8-bit octets pass only as well-formed UTF-8 (docs/decisions.md). */
static const struct mc_syn_charset smtp_text_octets = {
    MC_OCT_HTAB | MC_OCT_UTF8,
    "RFC 5321 4.2: textstring = 1*(%d09 / %d32-126); 8-bit only as UTF-8 (RFC 6531)"};
/* RFC 5321 4.1.1.1: after the domain on the first line of a 250 reply to EHLO (LHLO: RFC 2033
   4.1) comes ehlo-greet = 1*(%d0-9 / %d11-12 / %d14-127): any octet but CR and LF, NUL too. */
static const struct mc_syn_charset smtp_greet_octets = {
    MC_OCT_HTAB | MC_OCT_CTL | MC_OCT_NUL | MC_OCT_UTF8,
    "RFC 5321 4.1.1.1: ehlo-greet = 1*(%d0-9 / %d11-12 / %d14-127); 8-bit only as UTF-8 "
    "(RFC 6531)"};
#define SMTP_HELLO_OK 250 /* RFC 5321 4.1.1.1: ehlo-ok-rsp */
/* The greetings a server may open with: RFC 5321 4.3.2 "CONNECTION ESTABLISHMENT S: 220 E: 554"
   (3.1: 554 refuses the session), and 421 (3.8: sent asynchronously when the service must shut
   down, before any command). LMTP greets the same way (RFC 2033 4). */
#define SMTP_GREETING_READY 220
#define SMTP_GREETING_REFUSED 554
#define SMTP_GREETING_CLOSING 421

enum smtp_phase {
    SMTP_WAIT_REPLY, /* reply lines until one without "-" */
    SMTP_COMPLETE,   /* the reply is complete; nothing more belongs to it */
};

struct mc_proto_state {
    enum smtp_phase phase;
    int code;      /* code of the reply's first line, 0 before it */
    bool hello;    /* the command was EHLO or LHLO: its 250 reply starts with ehlo-greet */
    bool greeting; /* the reply is the greeting the server opens the session with */
    struct mc_syn_budget budget;
};

static struct mc_proto_state *smtp_state_new(void)
{
    struct mc_proto_state *st = mc_xcalloc(1, sizeof *st);
    st->phase = SMTP_WAIT_REPLY; /* as if begin(GREETING) */
    st->greeting = true;
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
    st->hello = false;
    st->greeting = ex == MC_EX_GREETING;
    switch (ex) {
    case MC_EX_GREETING:
        return;
    case MC_EX_COMMAND: {
        /* a raw send is judged by its first line, the command the server answers first */
        size_t first = line ? mc_syn_first_line_len(line, len) : 0;
        size_t verb = mc_syn_token_len(line ? line : "", first);
        st->hello =
            line && (mc_syn_token_eq(line, verb, "EHLO") || mc_syn_token_eq(line, verb, "LHLO"));
        mc_syn_write_command(wire, line, len, opts && opts->raw);
        return;
    }
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

/* Where ehlo-greet starts: after "250-domain " or "250 domain " on the first line of the reply
   to EHLO/LHLO (RFC 5321 4.1.1.1); len on every other line, which is all textstring. */
static size_t smtp_greet_offset(const struct mc_proto_state *st, const char *line, size_t len,
                                int code)
{
    if (!st->hello || st->code != 0 || code != SMTP_HELLO_OK || len <= SMTP_CODE_LEN + 1)
        return len;
    size_t pos = SMTP_CODE_LEN + 1;
    pos += mc_syn_token_len(line + pos, len - pos);
    return pos < len && line[pos] == ' ' ? pos + 1 : len;
}

/* The first line of a greeting must carry one of the greeting codes. */
static bool smtp_greeting_ok(const struct mc_proto_state *st, const char *line, size_t len,
                             int code, struct mc_reply *r)
{
    if (!st->greeting || st->code != 0 || code == SMTP_GREETING_READY ||
        code == SMTP_GREETING_REFUSED || code == SMTP_GREETING_CLOSING)
        return true;
    char *ex = mc_syn_excerpt_dup(line, len);
    mc_syn_violation(r,
                     "greeting %s has code %d: a server opens the session with 220, or 554 to "
                     "refuse it, or 421 when it must shut down (RFC 5321 3.1, 4.3.2, 3.8; "
                     "RFC 2033 4 for LMTP)",
                     ex, code);
    free(ex);
    mc_syn_blame_line(r, line, len);
    return false;
}

/* The octets of a reply line whose code is valid: textstring, ehlo-greet where it applies. */
static bool smtp_octets_ok(const struct mc_proto_state *st, const char *line, size_t len, int code,
                           struct mc_reply *r)
{
    size_t greet = smtp_greet_offset(st, line, len, code);
    return mc_syn_check_line(r, line, len, 0, greet, &smtp_text_octets) &&
           mc_syn_check_line(r, line, len, greet, len, &smtp_greet_octets);
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
    if (!smtp_greeting_ok(st, line, len, code, r) || !smtp_octets_ok(st, line, len, code, r))
        return MC_FRAME_ERROR;
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
/* The AUTH PLAIN initial response: base64("\0user\0password") (RFC 4616 2, RFC 4954 4). */
static void smtp_plain_response(const char *user, const char *password, struct mc_buf *b64)
{
    struct mc_sasl *plain = mc_sasl_new("PLAIN", user, password);
    struct mc_buf initial = {0};
    mc_sasl_initial(plain, &initial);
    mc_base64_encode(initial.data ? initial.data : "", initial.len, b64);
    mc_sasl_free(plain);
    mc_buf_free(&initial);
}

/* Hello, then AUTH PLAIN with its initial response. */
static void smtp_login_with(const char *hello, const char *user, const char *password,
                            struct mc_strv *out)
{
    struct mc_buf b = {0}, b64 = {0};
    mc_buf_printf(&b, "%s %s", hello, SMTP_CLIENT_NAME);
    mc_strv_push(out, b.data, b.len);
    smtp_plain_response(user, password, &b64);
    mc_buf_reset(&b);
    mc_syn_auth_command(&b, "AUTH", "PLAIN", b64.data ? b64.data : "");
    mc_strv_push(out, b.data, b.len);
    mc_buf_free(&b64);
    mc_buf_free(&b);
}

static void smtp_secret_forms(const char *user, const char *password, struct mc_strv *as_password,
                              struct mc_strv *encoded)
{
    (void)as_password;
    struct mc_buf b64 = {0};
    smtp_plain_response(user, password, &b64);
    mc_strv_push(encoded, b64.data ? b64.data : "", b64.len);
    mc_buf_free(&b64);
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

/* RFC 3207 4: TLS starts after 220 and nothing else; a 250 to STARTTLS is no go-ahead. */
static bool smtp_starttls_ready(const struct mc_reply *r, struct mc_buf *why)
{
    if (r->kind == MC_REPLY_FINAL && r->code == SMTP_STARTTLS_READY)
        return true;
    return mc_syn_starttls_not_ready(r, "STARTTLS", "only 220 does (RFC 3207 section 4)", why);
}

/* RFC 4954 4: "AUTH mechanism [initial-response]", "=" for an empty initial response. */
static void smtp_auth_command(const char *mech, const char *initial, struct mc_buf *out)
{
    mc_syn_auth_command(out, "AUTH", mech, initial);
}

/* RFC 5321 3.1 / 4.2: three digits, then SP, "-" or the end; a greeting is 220, or 554 (and
   421) for a server that refuses service. */
static bool smtp_greeting_is_mine(const char *line, size_t len)
{
    if (len < 3 || (line[0] != '2' && line[0] != '4' && line[0] != '5'))
        return false;
    if (line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
        return false;
    return len == 3 || line[3] == ' ' || line[3] == '-';
}

/* RFC 4954 6: 535 5.7.8 "Authentication credentials invalid"; 534 (mechanism too weak), 538
   (encryption required) and 454 (temporary) are about something else. */
static bool smtp_credentials_refused(const struct mc_reply *r)
{
    return r->kind == MC_REPLY_FINAL && r->code == 535;
}

static const struct mc_scheme smtp_schemes[] = {
    {"smtp", SMTP_PORT, false, false},
    {"submission", SUBMISSION_PORT, false, true},
    {"smtps", SMTP_TLS_PORT, true, true},
    {NULL, 0, false, false},
};

/* RFC 4954 4 with RFC 3207 4.2: AUTH announced only in the EHLO after STARTTLS. */
static bool smtp_login_needs_tls(const struct mc_strv *plain, const struct mc_strv *after_tls)
{
    return plain->count && !mc_strv_contains_nocase(plain, "AUTH") &&
           mc_strv_contains_nocase(after_tls, "AUTH");
}

const struct mc_protocol mc_proto_smtp = {
    .name = "smtp",
    .schemes = smtp_schemes,
    .capability_command = "EHLO " SMTP_CLIENT_NAME,
    .login_commands = smtp_login_commands,
    .secret_forms = smtp_secret_forms,
    .hello_verb = "EHLO",
    .delivery_commands = smtp_delivery_commands,
    .line_max = SMTP_LINE_MAX,
    .lines_key = "lines",
    .status_words = NULL, /* SMTP replies are matched by code and class */
    .reply_codes = true,
    .state_new = smtp_state_new,
    .state_free = smtp_state_free,
    .begin = smtp_begin,
    .feed_line = smtp_feed_line,
    .feed_literal = smtp_feed_literal,
    .current_tag = smtp_current_tag,
    .capabilities = smtp_capabilities,
    .greeting_capabilities = NULL,
    .starttls_command = "STARTTLS",
    .starttls_ready = smtp_starttls_ready,
    .quit_command = "QUIT",
    .auth_command = smtp_auth_command,
    .auth_initial_response = true,
    .auth_ir_capability = NULL, /* RFC 4954 4: always allowed within the line length */
    .auth_cancel = "*",
    .greeting_rule = {5321, "4.2"},
    .starttls_rule = {3207, "4"},
    .greeting_is_mine = smtp_greeting_is_mine,
    .credentials_refused = smtp_credentials_refused,
    .login_needs_tls = smtp_login_needs_tls,
};

static const struct mc_scheme lmtp_schemes[] = {
    {"lmtp", LMTP_PORT, false, false},
    {NULL, 0, false, false},
};

/* LMTP (RFC 2033): the same framer; LHLO instead of EHLO, no implicit-TLS port. */
const struct mc_protocol mc_proto_lmtp = {
    .name = "lmtp",
    .schemes = lmtp_schemes,
    .capability_command = "LHLO " SMTP_CLIENT_NAME,
    .login_commands = lmtp_login_commands,
    .secret_forms = smtp_secret_forms,
    .hello_verb = "LHLO",
    .delivery_commands = lmtp_delivery_commands,
    .line_max = SMTP_LINE_MAX,
    .lines_key = "lines",
    .status_words = NULL, /* SMTP replies are matched by code and class */
    .reply_codes = true,
    .state_new = smtp_state_new,
    .state_free = smtp_state_free,
    .begin = smtp_begin,
    .feed_line = smtp_feed_line,
    .feed_literal = smtp_feed_literal,
    .current_tag = smtp_current_tag,
    .capabilities = smtp_capabilities,
    .greeting_capabilities = NULL,
    .starttls_command = "STARTTLS",
    .starttls_ready = smtp_starttls_ready,
    .quit_command = "QUIT",
    .auth_command = smtp_auth_command,
    .auth_initial_response = true,
    .auth_ir_capability = NULL, /* RFC 4954 4: always allowed within the line length */
    .auth_cancel = "*",
    .greeting_rule = {5321, "4.2"},
    .starttls_rule = {3207, "4"},
    .greeting_is_mine = smtp_greeting_is_mine,
    .credentials_refused = smtp_credentials_refused,
    .login_needs_tls = smtp_login_needs_tls,
};
