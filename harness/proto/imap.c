/*
 * imap — the IMAP framer: when an IMAP response to a command is complete and what it says.
 *
 * The client tags each command ("A0001 NOOP"); the server may send any number of untagged
 * lines ("* 3 EXISTS") and ends with the line carrying the same tag and OK, NO or BAD
 * (RFC 3501 / RFC 9051 2.2.1, 7.1), or asks for more with a continuation request "+ ...".
 * Untagged data may carry literals: a line ending in "{n}" is followed by exactly n raw octets
 * and then the rest of the same logical line (RFC 9051 4.3; "{n+}" of LITERAL+, RFC 7888, is
 * tolerated). The framer reassembles such a logical line across literals, however the engine
 * received the bytes, and keeps every size bounded before anything is allocated. It refuses
 * octets the grammar never allows: NUL or a lone CR in a line, ill-formed 8-bit text, NUL in a
 * literal other than a literal8 "~{n}" (docs/decisions.md). It also knows
 * IMAP's short dialogues: CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE (with SASL-IR, RFC 4959),
 * LOGOUT. It never touches the socket.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/account.h"
#include "proto/protocol.h"
#include "proto/syntax.h"

#define IMAP_PORT 143     /* RFC 9051 (IANA "imap") */
#define IMAP_TLS_PORT 993 /* RFC 8314 3 (implicit TLS), IANA "imaps" */
/* Hard cap the engine applies to any line. RFC 9051 sets no limit on the length of a response
   line; 1 MiB is a harness safety limit (literals are counted apart, below). */
#define IMAP_LINE_MAX (1024u * 1024u)
/* Largest literal accepted. RFC 9051 4.3 allows up to 2^63-1 octets (number64); this is a
   harness safety limit, checked before a single octet is stored. */
#define IMAP_LITERAL_MAX (64u * 1024u * 1024u)
/* Tags of the commands the harness sends: "A0001", "A0002", ... (RFC 9051 2.2.1: any string of
   ASTRING-CHARs but "+", unique per command). */
#define IMAP_TAG_FORMAT "A%04u"
/* Digits of a literal length worth reading: number64 has at most 19 (RFC 9051 9). */
#define IMAP_LITERAL_DIGITS_MAX 19

/* RFC 3501 9 / RFC 9051 9: response lines are built of TEXT-CHAR (any CHAR = %x01-7F but CR and
   LF); RFC 9051 adds UTF8-2/3/4 to text and quoted strings. So never NUL nor a lone CR; 8-bit
   octets only as well-formed UTF-8, even from an IMAP4rev1 session (docs/decisions.md). */
static const struct mc_syn_charset imap_line_octets = {
    MC_OCT_HTAB | MC_OCT_CTL | MC_OCT_UTF8,
    "RFC 3501 9 / RFC 9051 9: a response line is TEXT-CHAR, any CHAR (%x01-7F) but CR and LF; "
    "8-bit only as UTF-8 (UTF8-2 / UTF8-3 / UTF8-4, RFC 9051 9)"};
/* literal = "{" number "}" CRLF *CHAR8 with CHAR8 = %x01-ff: any octet but NUL, which only a
   literal8 "~{n}" may carry (RFC 3516 7 for BINARY, RFC 9051 9). */
static const struct mc_syn_charset imap_literal_octets = {
    MC_OCT_HTAB | MC_OCT_CTL | MC_OCT_CR | MC_OCT_LF | MC_OCT_8BIT,
    "RFC 3501 9 / RFC 9051 9: literal = \"{\" number \"}\" CRLF *CHAR8, CHAR8 = %x01-ff; NUL only "
    "in a literal8 \"~{n}\" (RFC 3516 7, RFC 9051 9)"};

enum imap_phase {
    IMAP_WAIT_GREETING, /* the first untagged line is the whole reply */
    IMAP_WAIT_RESPONSE, /* untagged lines until the tagged line or a continuation request */
    IMAP_IN_LITERAL,    /* raw literal octets come next through feed_literal */
    IMAP_COMPLETE,      /* the reply is complete; nothing more belongs to it */
};

struct mc_proto_state {
    enum imap_phase phase;
    unsigned tag_counter;
    struct mc_buf tag;     /* tag of the command in progress, empty before the first */
    struct mc_buf logical; /* the untagged line being reassembled across literals */
    bool continued;        /* `logical` was cut by a literal: the next line continues it */
    size_t literal_off;    /* where the literal in progress starts in `logical` */
    size_t literal_left;   /* octets of it still to come */
    bool literal8;         /* it was announced "~{n}": *OCTET, NUL allowed (RFC 3516 7) */
    size_t *spans;         /* offset and length of each literal in `logical`, in pairs */
    size_t span_count, span_cap;
    struct mc_syn_budget budget;
};

static const char *const imap_status_words[] = {"OK", "NO", "BAD", "PREAUTH", "BYE", NULL};

static struct mc_proto_state *imap_state_new(void)
{
    struct mc_proto_state *st = mc_xcalloc(1, sizeof *st);
    st->phase = IMAP_WAIT_GREETING; /* as if begin(GREETING) */
    return st;
}

static void imap_state_free(struct mc_proto_state *st)
{
    if (!st)
        return;
    mc_buf_free(&st->logical);
    mc_buf_free(&st->tag);
    free(st->spans);
    free(st);
}

static void imap_begin(struct mc_proto_state *st, enum mc_exchange ex, const char *line, size_t len,
                       const struct mc_exchange_opts *opts, struct mc_buf *wire)
{
    bool raw = opts && opts->raw && (ex == MC_EX_COMMAND || ex == MC_EX_CONTINUE);
    mc_buf_free(&st->logical); /* a line cut short by an error may have grown it a lot */
    st->span_count = 0;
    st->continued = false;
    st->literal_left = 0;
    st->budget = (struct mc_syn_budget){0};
    st->phase = IMAP_WAIT_RESPONSE;
    switch (ex) {
    case MC_EX_GREETING:
        st->phase = IMAP_WAIT_GREETING;
        mc_buf_reset(&st->tag);
        return;
    case MC_EX_COMMAND:
        mc_buf_reset(&st->tag);
        if (raw) { /* the scenario wrote its own tag: the first word of the first line */
            size_t first = line ? mc_syn_first_line_len(line, len) : 0;
            mc_buf_append(&st->tag, line ? line : "", mc_syn_token_len(line ? line : "", first));
        } else {
            mc_buf_printf(&st->tag, IMAP_TAG_FORMAT, ++st->tag_counter);
            mc_buf_printf(wire, "%s ", st->tag.data);
        }
        break;
    case MC_EX_CONTINUE: /* literal data, SASL response, DONE: same tag still awaited */
    case MC_EX_DATA:
        break;
    }
    mc_syn_write_command(wire, line, len, raw);
}

enum imap_literal_mark { IMAP_NO_LITERAL, IMAP_LITERAL, IMAP_LITERAL_TOO_BIG };

/* Does the line end in a literal announcement "{n}" or "{n+}" (RFC 9051 4.3, RFC 7888), or a
   literal8 "~{n}" (*binary set, RFC 3516 7)? */
static enum imap_literal_mark imap_literal_marker(const char *s, size_t len, size_t *n,
                                                  bool *binary)
{
    if (len < 3 || s[len - 1] != '}')
        return IMAP_NO_LITERAL;
    size_t end = len - 1;
    if (s[end - 1] == '+')
        end--;
    size_t start = end;
    while (start > 0 && s[start - 1] >= '0' && s[start - 1] <= '9')
        start--;
    if (start == end || start == 0 || s[start - 1] != '{')
        return IMAP_NO_LITERAL;
    *binary = start >= 2 && s[start - 2] == '~';
    if (end - start > IMAP_LITERAL_DIGITS_MAX)
        return IMAP_LITERAL_TOO_BIG;
    unsigned long long v = 0;
    for (size_t i = start; i < end; i++)
        v = v * 10 + (unsigned long long)(s[i] - '0'); /* 19 digits fit in 64 bits */
    if (v > IMAP_LITERAL_MAX)
        return IMAP_LITERAL_TOO_BIG;
    *n = (size_t)v;
    return IMAP_LITERAL;
}

/* A literal of `len` octets starts at `off` in the logical line. */
static void imap_span_add(struct mc_proto_state *st, size_t off, size_t len)
{
    if (st->span_count == st->span_cap) {
        st->span_cap = st->span_cap ? st->span_cap * 2 : 4;
        st->spans = mc_xrealloc(st->spans, st->span_cap * 2 * sizeof *st->spans);
    }
    st->spans[2 * st->span_count] = off;
    st->spans[2 * st->span_count + 1] = len;
    st->span_count++;
}

/* The logical untagged line in `logical` is complete: it is data. The reply keeps it once:
   `lines` owns it (a line that carried literals is handed over, not copied), `data` and
   `literals` are views into it, so a literal costs its size and no more. */
static void imap_untagged_done(struct mc_proto_state *st, struct mc_reply *r)
{
    size_t len = st->logical.len;
    char *line;
    if (st->continued) {
        line = mc_xrealloc(mc_buf_steal(&st->logical), len + 1);
    } else {
        line = mc_xstrndup(st->logical.data, len);
        mc_buf_reset(&st->logical);
    }
    mc_strv_push_owned(&r->lines, line, len);
    mc_strv_push_ref(&r->data, line, len);
    for (size_t i = 0; i < st->span_count; i++)
        mc_strv_push_ref(&r->literals, line + st->spans[2 * i], st->spans[2 * i + 1]);
    st->span_count = 0;
    st->continued = false;
}

/* An untagged line, or the rest of one after a literal: it may announce a literal. */
static enum mc_frame imap_untagged_segment(struct mc_proto_state *st, const char *line, size_t len,
                                           struct mc_reply *r, size_t *literal_len)
{
    size_t n = 0;
    bool binary = false;
    enum imap_literal_mark mark = imap_literal_marker(line, len, &n, &binary);
    if (mark == IMAP_LITERAL_TOO_BIG) {
        char *ex = mc_syn_excerpt_dup(line + (len > 24 ? len - 24 : 0), len > 24 ? 24 : len);
        mc_syn_violation(r,
                         "literal announced at the end of ...%s exceeds %u octets (harness "
                         "safety limit; RFC 9051 4.3)",
                         ex, IMAP_LITERAL_MAX);
        free(ex);
        return MC_FRAME_ERROR;
    }
    if (mark == IMAP_LITERAL && !mc_syn_budget_take(&st->budget, 1, n + 2, r))
        return MC_FRAME_ERROR; /* refused before a single literal octet is stored */
    mc_buf_append(&st->logical, line, len);
    if (mark == IMAP_NO_LITERAL) {
        imap_untagged_done(st, r);
        return MC_FRAME_MORE;
    }
    mc_buf_append(&st->logical, "\r\n", 2);
    st->literal_off = st->logical.len;
    st->literal8 = binary;
    st->continued = true;
    if (n == 0) { /* "{0}": nothing to read, the line goes on with the next one */
        imap_span_add(st, st->literal_off, 0);
        return MC_FRAME_MORE;
    }
    st->literal_left = n;
    st->phase = IMAP_IN_LITERAL;
    *literal_len = n;
    return MC_FRAME_LITERAL;
}

/* "TAG SP STATUS [SP text]" or "* SP STATUS [SP text]": the status word (upper-cased into
   `word`) and where the text starts. False when the status is missing. */
static bool imap_status_word(const char *line, size_t len, size_t after_tag, char *word,
                             size_t word_size, size_t *text_off)
{
    if (after_tag >= len || line[after_tag] != ' ')
        return false;
    size_t pos = after_tag + 1;
    size_t wlen = mc_syn_token_len(line + pos, len - pos);
    if (wlen == 0 || wlen >= word_size)
        return false;
    for (size_t i = 0; i < wlen; i++) {
        char c = line[pos + i];
        word[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    word[wlen] = '\0';
    pos += wlen;
    *text_off = pos < len && line[pos] == ' ' ? pos + 1 : pos;
    return true;
}

/* The greeting: "* OK", "* PREAUTH" or "* BYE" (RFC 9051 7.1, rule "greeting" in 9). */
static enum mc_frame imap_greeting(struct mc_proto_state *st, const char *line, size_t len,
                                   struct mc_reply *r)
{
    char word[16];
    size_t text_off = 0;
    if (len >= 1 && line[0] == '*' &&
        imap_status_word(line, len, 1, word, sizeof word, &text_off) &&
        (!strcmp(word, "OK") || !strcmp(word, "PREAUTH") || !strcmp(word, "BYE"))) {
        mc_strv_push(&r->lines, line, len);
        mc_strv_push(&r->data, line, len);
        mc_syn_finish(r, MC_REPLY_FINAL, word, line, len, text_off, strcmp(word, "BYE") != 0);
        st->phase = IMAP_COMPLETE;
        return MC_FRAME_DONE;
    }
    char *ex = mc_syn_excerpt_dup(line, len);
    mc_syn_violation(r,
                     "greeting %s is not \"* OK\", \"* PREAUTH\" or \"* BYE\" (RFC 3501 7.1 / "
                     "RFC 9051 7.1, rule greeting)",
                     ex);
    free(ex);
    return MC_FRAME_ERROR;
}

/* A line that is neither untagged nor a continuation request must carry our tag. */
static enum mc_frame imap_tagged(struct mc_proto_state *st, const char *line, size_t len,
                                 struct mc_reply *r)
{
    size_t tag_len = mc_syn_token_len(line, len);
    if (st->tag.len == 0 || tag_len != st->tag.len || memcmp(line, st->tag.data, tag_len)) {
        char *ex = mc_syn_excerpt_dup(line, len);
        char *tag = st->tag.len ? mc_syn_excerpt_dup(st->tag.data, st->tag.len) : NULL;
        mc_syn_violation(r,
                         "response line %s is neither untagged (\"* \"), a continuation "
                         "request (\"+ \") nor tagged with the command's tag %s (RFC 3501 "
                         "2.2.1 / RFC 9051 2.2.1)",
                         ex, tag ? tag : "(none)");
        free(ex);
        free(tag);
        return MC_FRAME_ERROR;
    }
    char word[16];
    size_t text_off = 0;
    if (!imap_status_word(line, len, tag_len, word, sizeof word, &text_off) ||
        (strcmp(word, "OK") && strcmp(word, "NO") && strcmp(word, "BAD"))) {
        char *ex = mc_syn_excerpt_dup(line, len);
        mc_syn_violation(r,
                         "tagged response %s has no status OK, NO or BAD (RFC 3501 7.1 / "
                         "RFC 9051 7.1)",
                         ex);
        free(ex);
        return MC_FRAME_ERROR;
    }
    mc_strv_push(&r->lines, line, len);
    mc_syn_finish(r, MC_REPLY_FINAL, word, line, len, text_off, strcmp(word, "OK") == 0);
    st->phase = IMAP_COMPLETE;
    return MC_FRAME_DONE;
}

static enum mc_frame imap_feed_line(struct mc_proto_state *st, const char *line, size_t len,
                                    struct mc_reply *r, size_t *literal_len)
{
    if (!line) {
        line = "";
        len = 0;
    }
    if (st->phase == IMAP_COMPLETE || st->phase == IMAP_IN_LITERAL) {
        mc_syn_violation(r, st->phase == IMAP_COMPLETE
                                ? "line received after the reply was complete"
                                : "line received while literal octets were expected");
        return MC_FRAME_ERROR;
    }
    if (!mc_syn_budget_take(&st->budget, 1, len, r) ||
        !mc_syn_check_line(r, line, len, 0, len, &imap_line_octets))
        return MC_FRAME_ERROR;
    if (st->continued) /* the rest of an untagged line after a literal */
        return imap_untagged_segment(st, line, len, r, literal_len);
    if (st->phase == IMAP_WAIT_GREETING)
        return imap_greeting(st, line, len, r);
    if (len >= 2 && line[0] == '*' && line[1] == ' ')
        return imap_untagged_segment(st, line, len, r, literal_len);
    if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
        /* continuation request: "+" SP (resp-text / base64) (RFC 9051 7.5) */
        mc_strv_push(&r->lines, line, len);
        mc_syn_finish(r, MC_REPLY_CONTINUATION, "+", line, len, len > 1 ? 2 : 1, true);
        st->phase = IMAP_COMPLETE;
        return MC_FRAME_DONE;
    }
    return imap_tagged(st, line, len, r);
}

static enum mc_frame imap_feed_literal(struct mc_proto_state *st, const char *data, size_t len,
                                       struct mc_reply *r)
{
    if (st->phase != IMAP_IN_LITERAL) {
        mc_syn_violation(r, "literal octets received but no literal was announced");
        return MC_FRAME_ERROR;
    }
    if (len > st->literal_left) {
        mc_syn_violation(r, "%zu literal octets fed, only %zu announced", len, st->literal_left);
        return MC_FRAME_ERROR;
    }
    if (!st->literal8 && !mc_syn_check_literal(r, data, len, st->logical.len - st->literal_off,
                                               &imap_literal_octets))
        return MC_FRAME_ERROR;
    if (len)
        mc_buf_append(&st->logical, data, len);
    st->literal_left -= len;
    if (st->literal_left > 0)
        return MC_FRAME_LITERAL; /* the rest of the same literal comes next */
    imap_span_add(st, st->literal_off, st->logical.len - st->literal_off);
    st->phase = IMAP_WAIT_RESPONSE;
    return MC_FRAME_MORE; /* the rest of the logical line comes next */
}

static const char *imap_current_tag(const struct mc_proto_state *st)
{
    return st && st->tag.len ? st->tag.data : NULL;
}

static void imap_next_tag(const struct mc_proto_state *st, struct mc_buf *out)
{
    mc_buf_printf(out, IMAP_TAG_FORMAT, (st ? st->tag_counter : 0) + 1);
}

/* Atoms from s[pos..len) up to `stop` (or the end), upper-cased into out. */
static void imap_push_atoms(const char *s, size_t len, size_t pos, char stop, struct mc_strv *out)
{
    while (pos < len && s[pos] != stop) {
        pos += mc_syn_skip_space(s + pos, len - pos);
        size_t a = pos;
        while (a < len && s[a] != ' ' && s[a] != '\t' && s[a] != stop)
            a++;
        if (a > pos)
            mc_syn_push_upper(out, s + pos, a - pos);
        pos = a;
    }
}

/* A resp-text starting with "[CAPABILITY a b c]" (RFC 9051 7.1, resp-text-code). */
static void imap_code_capabilities(const char *text, size_t len, struct mc_strv *out)
{
    static const char code[] = "[CAPABILITY ";
    size_t n = sizeof code - 1;
    if (text && len > n && mc_syn_token_eq(text, n, code))
        imap_push_atoms(text, len, n, ']', out);
}

/* "* CAPABILITY ..." untagged lines (RFC 9051 7.2.2) and a CAPABILITY response code on the
   final line. */
static void imap_capabilities(const struct mc_reply *r, struct mc_strv *out)
{
    static const char prefix[] = "* CAPABILITY ";
    size_t n = sizeof prefix - 1;
    for (size_t i = 0; i < r->data.count; i++) {
        const struct mc_str *l = &r->data.items[i];
        if (l->len >= n && mc_syn_token_eq(l->ptr, n, prefix))
            imap_push_atoms(l->ptr, l->len, n, '\0', out);
    }
    if (r->text)
        imap_code_capabilities(r->text, strlen(r->text), out);
}

/* "* OK [CAPABILITY ...] ready" (RFC 9051 7.1.1). */
static void imap_greeting_capabilities(const struct mc_reply *r, struct mc_strv *out)
{
    if (r->text)
        imap_code_capabilities(r->text, strlen(r->text), out);
}

/* A quoted string (RFC 9051 4.3, rule quoted): \ and " escaped. */
static void imap_append_quoted(struct mc_buf *b, const char *s)
{
    mc_buf_append_char(b, '"');
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            mc_buf_append_char(b, '\\');
        mc_buf_append_char(b, *s);
    }
    mc_buf_append_char(b, '"');
}

/* The password inside LOGIN's quoted string, when quoting changes it. */
static void imap_secret_forms(const char *user, const char *password, struct mc_strv *as_password,
                              struct mc_strv *encoded)
{
    (void)user;
    (void)encoded;
    struct mc_buf q = {0};
    imap_append_quoted(&q, password);
    if (q.len - 2 != strlen(password))
        mc_strv_push(as_password, q.data + 1, q.len - 2); /* without the quotes */
    mc_buf_free(&q);
}

static void imap_login_commands(const char *user, const char *password, struct mc_strv *out)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "LOGIN ");
    imap_append_quoted(&b, user);
    mc_buf_append_char(&b, ' ');
    imap_append_quoted(&b, password);
    mc_strv_push(out, b.data, b.len);
    mc_buf_free(&b);
}

/* RFC 3501 6.2.1: TLS negotiation begins after the tagged OK to STARTTLS (a continuation
   request "+" is positive too, but asks for more instead). */
static bool imap_starttls_ready(const struct mc_reply *r, struct mc_buf *why)
{
    if (r->kind == MC_REPLY_FINAL && strcmp(r->status, "OK") == 0)
        return true;
    return mc_syn_starttls_not_ready(r, "STARTTLS",
                                     "only a tagged OK does (RFC 3501 section 6.2.1)", why);
}

/* RFC 9051 6.2.2 and SASL-IR (RFC 4959 3): "=" stands for an empty initial response. */
static void imap_auth_command(const char *mech, const char *initial, struct mc_buf *out)
{
    mc_syn_auth_command(out, "AUTHENTICATE", mech, initial);
}

/* RFC 9051 7.1: the greeting is an untagged OK, PREAUTH or BYE. */
static bool imap_greeting_is_mine(const char *line, size_t len)
{
    if (len < 2 || line[0] != '*' || line[1] != ' ')
        return false;
    size_t n = mc_syn_token_len(line + 2, len - 2);
    return mc_syn_token_eq(line + 2, n, "OK") || mc_syn_token_eq(line + 2, n, "PREAUTH") ||
           mc_syn_token_eq(line + 2, n, "BYE");
}

/* RFC 9051 7.1.5: an untagged BYE says the server is about to close. When it is the last line
   before the close, it is the answer to the command in progress: the reply ends with it. */
static bool imap_closing_reply(struct mc_reply *r)
{
    if (r->lines.count == 0)
        return false;
    const struct mc_str *last = &r->lines.items[r->lines.count - 1];
    char word[sizeof r->status];
    size_t text_off;
    if (last->len < 1 || last->ptr[0] != '*' ||
        !imap_status_word(last->ptr, last->len, 1, word, sizeof word, &text_off) ||
        strcmp(word, "BYE") != 0)
        return false;
    mc_syn_finish(r, MC_REPLY_FINAL, "BYE", last->ptr, last->len, text_off, false);
    return true;
}

/* RFC 5530 3: AUTHENTICATIONFAILED, AUTHORIZATIONFAILED, EXPIRED and CONTACTADMIN are about
   the account; UNAVAILABLE, PRIVACYREQUIRED, INUSE, LIMIT about something else. NO without a
   code to LOGIN/AUTHENTICATE is the usual "wrong user name or password" (RFC 9051 6.2.3). */
static bool imap_credentials_refused(const struct mc_reply *r)
{
    static const char *const account_codes[] = {"[AUTHENTICATIONFAILED]", "[AUTHORIZATIONFAILED]",
                                                "[EXPIRED]", "[CONTACTADMIN]", NULL};
    if (r->kind != MC_REPLY_FINAL || strcmp(r->status, "NO") != 0)
        return false;
    const char *t = r->text ? r->text : "";
    t += strspn(t, " ");
    if (t[0] != '[')
        return true;
    for (const char *const *c = account_codes; *c; c++)
        if (strncasecmp(t, *c, strlen(*c)) == 0)
            return true;
    return false;
}

static const struct mc_scheme imap_schemes[] = {
    {"imap", IMAP_PORT, false, false},
    {"imaps", IMAP_TLS_PORT, true, false},
    {NULL, 0, false, false},
};

/* RFC 9051 6.2.3 (RFC 3501 6.2.3): LOGINDISABLED before STARTTLS. */
static bool imap_login_needs_tls(const struct mc_strv *plain, const struct mc_strv *after_tls)
{
    (void)after_tls;
    return mc_strv_contains_nocase(plain, "LOGINDISABLED");
}

/* "* nz-number EXPUNGE" (RFC 9051 7.5.1, RFC 3501 7.4.1): message `number` is gone and every
   later message's number is one less. The number is checked against nz-number (RFC 9051 9). */
static bool imap_expunged(const char *line, size_t len, unsigned long *number)
{
    static const char word[] = " EXPUNGE";
    const size_t word_len = sizeof word - 1;
    if (len < 2 + 1 + word_len || line[0] != '*' || line[1] != ' ' || line[2] == '0')
        return false;
    unsigned long n = 0;
    size_t i = 2;
    for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
        n = n * 10 + (unsigned long)(line[i] - '0');
        if (n > 4294967295UL)
            return false;
    }
    if (i == 2 || len - i != word_len || strncasecmp(line + i, word, word_len) != 0)
        return false;
    *number = n;
    return true;
}

/* RFC 9051 6.3.12: APPEND with a synchronizing literal. */
static void imap_store_command(size_t size, struct mc_buf *out)
{
    mc_buf_printf(out, "APPEND INBOX {%zu}", size);
}

const struct mc_protocol mc_proto_imap = {
    .name = "imap",
    .schemes = imap_schemes,
    .line_max = IMAP_LINE_MAX,
    .lines_key = "untagged",
    .status_words = imap_status_words,
    .expunged = imap_expunged,
    .state_new = imap_state_new,
    .state_free = imap_state_free,
    .begin = imap_begin,
    .feed_line = imap_feed_line,
    .feed_literal = imap_feed_literal,
    .current_tag = imap_current_tag,
    .next_tag = imap_next_tag,
    .capability_command = "CAPABILITY",
    .capabilities = imap_capabilities,
    .greeting_capabilities = imap_greeting_capabilities,
    .starttls_command = "STARTTLS",
    .starttls_ready = imap_starttls_ready,
    .quit_command = "LOGOUT",
    .login_commands = imap_login_commands,
    .secret_forms = imap_secret_forms,
    .auth_command = imap_auth_command,
    .auth_initial_response = true,
    .auth_ir_capability = "SASL-IR", /* RFC 4959 3 */
    .auth_cancel = "*",
    .hello_verb = NULL,
    .delivery_commands = NULL,
    .greeting_rule = {9051, "7.1"},
    .starttls_rule = {9051, "6.2.1"},
    .greeting_is_mine = imap_greeting_is_mine,
    .closing_reply = imap_closing_reply,
    .credentials_refused = imap_credentials_refused,
    .login_needs_tls = imap_login_needs_tls,
    .store_command = imap_store_command,
    .empty_begin = mc_imap_empty_begin,
    .empty_step = mc_imap_empty_step,
    .empty_end = mc_imap_empty_end,
    .empty_all_folders = true,
};
