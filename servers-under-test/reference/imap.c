/*
 * imap — the IMAP session (see imap.h; the files and their concerns are listed in imap_int.h).
 *
 * A command reaches the server as lines and literals. A line ending in "{n}" announces a
 * synchronizing literal: the server answers "+" and reads exactly n octets, then the command
 * goes on with the next line; "{n+}" is the non-synchronizing form of LITERAL+ (RFC 7888),
 * read without the "+". The pieces are kept as they came (imap_parse.h) until a line without a
 * literal announcement ends the command; only then is it parsed and run. A literal above
 * IMAP_LITERAL_MAX is refused before any of it is read: NO [TOOBIG] for a synchronizing one
 * (the client sends nothing), BYE for a non-synchronizing one (its octets are on their way and
 * cannot be told apart from commands).
 *
 * The command table says which states allow a command (RFC 3501 3) and whether it forbids
 * EXPUNGE responses while it runs (FETCH, STORE and SEARCH, RFC 3501 7.4.1 — not their UID
 * forms). Every OK or NO completion first syncs the selected mailbox (imap_sync): what other
 * sessions, SMTP deliveries or POP3 changed is reported as untagged EXPUNGE, EXISTS, RECENT and
 * FETCH FLAGS right before the tagged response (RFC 3501 5.2, 7.4.1). During IDLE (RFC 2177)
 * the mailstore wakes the session, which syncs at once.
 */
#include "imap.h"

#include <ctype.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/sasl_server.h"
#include "reference/imap_int.h"

/* A literal announcement's size needs at most this many digits (IMAP's number is 32-bit; a
   longer run is "too big", never parsed into an overflowing integer). */
#define IMAP_LITERAL_DIGITS_MAX 10

enum imap_command_flags {
    IMAP_CMD_HAS_UID = 1u << 0,     /* "UID name" exists */
    IMAP_CMD_NO_EXPUNGE = 1u << 1,  /* no EXPUNGE responses during it (RFC 3501 7.4.1) */
    IMAP_CMD_NEEDS_WRITE = 1u << 2, /* refused on a mailbox opened with EXAMINE */
};

static imap_handler imap_cmd_idle;

static const struct imap_command {
    const char *name;
    unsigned states;
    unsigned flags;
    imap_handler *run;
} imap_commands[] = {
    {"CAPABILITY", IMAP_ANY_STATE, 0, imap_cmd_capability},
    {"NOOP", IMAP_ANY_STATE, 0, imap_cmd_noop},
    {"LOGOUT", IMAP_ANY_STATE, 0, imap_cmd_logout},
    {"ID", IMAP_ANY_STATE, 0, imap_cmd_id},
    {"STARTTLS", IMAP_NOT_AUTHENTICATED, 0, imap_cmd_starttls},
    {"LOGIN", IMAP_NOT_AUTHENTICATED, 0, imap_cmd_login},
    {"AUTHENTICATE", IMAP_NOT_AUTHENTICATED, 0, imap_cmd_authenticate},
    {"ENABLE", IMAP_AUTHENTICATED, 0, imap_cmd_enable},
    {"NAMESPACE", IMAP_AUTHED_STATE, 0, imap_cmd_namespace},
    {"SELECT", IMAP_AUTHED_STATE, 0, imap_cmd_select},
    {"EXAMINE", IMAP_AUTHED_STATE, 0, imap_cmd_examine},
    {"CREATE", IMAP_AUTHED_STATE, 0, imap_cmd_create},
    {"DELETE", IMAP_AUTHED_STATE, 0, imap_cmd_delete},
    {"RENAME", IMAP_AUTHED_STATE, 0, imap_cmd_rename},
    {"SUBSCRIBE", IMAP_AUTHED_STATE, 0, imap_cmd_subscribe},
    {"UNSUBSCRIBE", IMAP_AUTHED_STATE, 0, imap_cmd_unsubscribe},
    {"LIST", IMAP_AUTHED_STATE, 0, imap_cmd_list},
    {"LSUB", IMAP_AUTHED_STATE, 0, imap_cmd_lsub},
    {"STATUS", IMAP_AUTHED_STATE, 0, imap_cmd_status},
    {"APPEND", IMAP_AUTHED_STATE, 0, imap_cmd_append},
    {"IDLE", IMAP_AUTHED_STATE, 0, imap_cmd_idle},
    {"CHECK", IMAP_SELECTED, 0, imap_cmd_check},
    {"CLOSE", IMAP_SELECTED, 0, imap_cmd_close},
    {"UNSELECT", IMAP_SELECTED, 0, imap_cmd_unselect},
    {"EXPUNGE", IMAP_SELECTED, IMAP_CMD_HAS_UID | IMAP_CMD_NEEDS_WRITE, imap_cmd_expunge},
    {"SEARCH", IMAP_SELECTED, IMAP_CMD_HAS_UID | IMAP_CMD_NO_EXPUNGE, imap_cmd_search},
    {"FETCH", IMAP_SELECTED, IMAP_CMD_HAS_UID | IMAP_CMD_NO_EXPUNGE, imap_cmd_fetch},
    {"STORE", IMAP_SELECTED, IMAP_CMD_HAS_UID | IMAP_CMD_NO_EXPUNGE | IMAP_CMD_NEEDS_WRITE,
     imap_cmd_store},
    {"COPY", IMAP_SELECTED, IMAP_CMD_HAS_UID, imap_cmd_copy},
    {"MOVE", IMAP_SELECTED, IMAP_CMD_HAS_UID | IMAP_CMD_NEEDS_WRITE, imap_cmd_move},
};

static const struct imap_command *imap_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof imap_commands / sizeof imap_commands[0]; i++)
        if (strcmp(imap_commands[i].name, name) == 0)
            return &imap_commands[i];
    return NULL;
}

/* ---- responses ---- */

static void imap_vsend(struct imap *im, const char *prefix, const char *fmt, va_list ap)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, prefix);
    mc_buf_vprintf(&b, fmt, ap);
    mc_buf_append(&b, "\r\n", 2);
    rs_session_send_raw(im->s, b.data, b.len);
    mc_buf_free(&b);
}

void imap_send(struct imap *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    imap_vsend(im, "", fmt, ap);
    va_end(ap);
}

void imap_send_raw(struct imap *im, const void *data, size_t len)
{
    rs_session_send_raw(im->s, data, len);
}

static void imap_tagged(struct imap *im, const char *tag, const char *status, bool sync,
                        const char *fmt, va_list ap)
{
    if (sync)
        imap_sync(im);
    struct mc_buf prefix = {0};
    mc_buf_printf(&prefix, "%s %s ", tag, status);
    imap_vsend(im, prefix.data, fmt, ap);
    mc_buf_free(&prefix);
}

void imap_ok(struct imap *im, const struct imap_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    imap_tagged(im, c->tag, "OK", true, fmt, ap);
    va_end(ap);
}

void imap_no(struct imap *im, const struct imap_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    imap_tagged(im, c->tag, "NO", true, fmt, ap);
    va_end(ap);
}

void imap_bad(struct imap *im, const struct imap_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    imap_tagged(im, c->tag, "BAD", false, fmt, ap);
    va_end(ap);
}

void imap_bad_syntax(struct imap *im, const struct imap_cmd *c)
{
    imap_bad(im, c, "%s: %s", c->name, c->ps->error ? c->ps->error : "syntax error");
}

bool imap_expect_end(struct imap *im, const struct imap_cmd *c)
{
    if (imap_parse_at_end(c->ps))
        return true;
    imap_parse_fail(c->ps, "unexpected text after the arguments");
    imap_bad_syntax(im, c);
    return false;
}

void imap_no_status(struct imap *im, const struct imap_cmd *c, enum ms_status st, const char *what)
{
    static const struct {
        enum ms_status st;
        const char *code, *text; /* response codes of RFC 5530 / RFC 9051 7.1 */
    } answers[] = {
        {MS_ERR_NOT_FOUND, "NONEXISTENT", "no such mailbox"},
        {MS_ERR_EXISTS, "ALREADYEXISTS", "the mailbox already exists"},
        {MS_ERR_BAD_NAME, "CANNOT", "the mailbox name is not allowed"},
        {MS_ERR_INBOX, "CANNOT", "INBOX cannot be deleted"},
        {MS_ERR_HAS_CHILDREN, "INUSE", "the mailbox has inferior mailboxes"},
        {MS_ERR_NOSELECT, "CANNOT", "the mailbox holds no messages (\\Noselect)"},
        {MS_ERR_TOO_BIG, "TOOBIG", "the message is too big"},
        {MS_ERR_LIMIT, "LIMIT", "a limit of the server was reached"},
        {MS_ERR_BAD_FLAG, "CANNOT", "invalid flag or keyword"},
        {MS_ERR_IN_USE, "INUSE", "the mailbox is in use"},
        {MS_ERR_IO, "SERVERBUG", "the server could not store the change"},
    };
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        if (answers[i].st == st) {
            imap_no(im, c, "[%s] %s: %s", answers[i].code, what, answers[i].text);
            return;
        }
    imap_no(im, c, "%s: %s", what, ms_status_str(st));
}

/* ---- IDLE (RFC 2177) ---- */

static void imap_idle_notify(void *ctx)
{
    struct imap *im = ctx;
    if (im->idle_wake)
        event_active(im->idle_wake, EV_TIMEOUT, 0); /* sync from the loop, not from the store */
}

static void imap_idle_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct imap *im = arg;
    if (im->mode == IMAP_MODE_IDLE)
        imap_sync(im);
}

static void imap_idle_stop(struct imap *im)
{
    if (im->view)
        ms_view_set_notify(im->view, NULL, NULL);
    im->mode = IMAP_MODE_COMMAND;
}

static void imap_cmd_idle(struct imap *im, struct imap_cmd *c)
{
    if (!imap_expect_end(im, c))
        return;
    snprintf(im->pending_tag, sizeof im->pending_tag, "%s", c->tag);
    im->mode = IMAP_MODE_IDLE;
    imap_send(im, "+ idling");
    if (!im->view)
        return;
    if (!im->idle_wake)
        im->idle_wake = event_new(rs_session_base(im->s), -1, 0, imap_idle_wake, im);
    ms_view_set_notify(im->view, imap_idle_notify, im);
    imap_sync(im); /* what happened before IDLE began */
}

static void imap_idle_line(struct imap *im, const char *line, size_t len)
{
    imap_idle_stop(im);
    struct imap_parser ps;
    imap_parser_init(&ps, line, len);
    struct imap_cmd c = {.tag = im->pending_tag, .name = "IDLE", .ps = &ps};
    if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
        imap_ok(im, &c, "IDLE terminated");
    else
        imap_bad(im, &c, "IDLE: expected DONE (RFC 2177 3)");
}

/* ---- running a command ---- */

static void imap_upcase(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

/* Reads "[UID] name" after the tag; *cmd_out is NULL (after answering BAD) when unknown. */
static const struct imap_command *imap_read_name(struct imap *im, struct imap_cmd *c,
                                                 struct mc_buf *name)
{
    if (!imap_parse_sp(c->ps) || !imap_parse_atom(c->ps, name)) {
        imap_bad(im, c, "a command name is expected after the tag");
        return NULL;
    }
    imap_upcase(name->data);
    if (strcmp(name->data, "UID") == 0) {
        c->uid = true;
        mc_buf_reset(name);
        if (!imap_parse_sp(c->ps) || !imap_parse_atom(c->ps, name)) {
            imap_bad(im, c, "UID: a command name is expected");
            return NULL;
        }
        imap_upcase(name->data);
    }
    c->name = name->data;
    const struct imap_command *cmd = imap_command_find(name->data);
    if (!cmd || (c->uid && !(cmd->flags & IMAP_CMD_HAS_UID))) {
        imap_bad(im, c, "unknown command %s%.40s", c->uid ? "UID " : "", name->data);
        return NULL;
    }
    return cmd;
}

static bool imap_state_allows(struct imap *im, struct imap_cmd *c, const struct imap_command *cmd)
{
    if (cmd->states & im->state) {
        if (!(cmd->flags & IMAP_CMD_NEEDS_WRITE) || !im->read_only)
            return true;
        imap_no(im, c, "[READ-ONLY] the mailbox was opened with EXAMINE");
        return false;
    }
    if (im->state == IMAP_NOT_AUTHENTICATED)
        imap_bad(im, c, "%s: log in first (RFC 3501 6.3)", c->name);
    else if (cmd->states == IMAP_NOT_AUTHENTICATED)
        imap_bad(im, c, "%s: already authenticated", c->name);
    else if (cmd->states == IMAP_AUTHENTICATED)
        imap_bad(im, c, "%s: only valid before a mailbox is selected (RFC 5161 3.1)", c->name);
    else
        imap_bad(im, c, "%s: no mailbox is selected (RFC 3501 6.4)", c->name);
    return false;
}

static void imap_execute(struct imap *im, const char *text, size_t len)
{
    struct imap_parser ps;
    imap_parser_init(&ps, text, len);
    struct mc_buf tag = {0}, name = {0};
    if (!imap_parse_tag(&ps, &tag)) {
        imap_send(im, "* BAD a command starts with a tag (RFC 3501 2.2.1)");
        mc_buf_free(&tag);
        return;
    }
    struct imap_cmd c = {.tag = tag.data, .name = "", .ps = &ps};
    const struct imap_command *cmd = imap_read_name(im, &c, &name);
    if (cmd && imap_state_allows(im, &c, cmd)) {
        im->defer_expunge = (cmd->flags & IMAP_CMD_NO_EXPUNGE) && !c.uid;
        cmd->run(im, &c);
        im->defer_expunge = false;
    }
    mc_buf_free(&tag);
    mc_buf_free(&name);
}

/* ---- assembling a command from lines and literals ---- */

/* Does the line end with a literal announcement "{n}", "{n+}" (or "~{n}")? Sets *size (up to
   UINT64_MAX for "too many digits") and *sync. */
static bool imap_literal_announced(const char *line, size_t len, uint64_t *size, bool *sync)
{
    if (len < 3 || line[len - 1] != '}')
        return false;
    size_t end = len - 1;
    *sync = line[end - 1] != '+';
    if (!*sync)
        end--;
    size_t start = end;
    while (start > 0 && isdigit((unsigned char)line[start - 1]))
        start--;
    if (start == end || start == 0 || line[start - 1] != '{')
        return false;
    if (end - start > IMAP_LITERAL_DIGITS_MAX) {
        *size = UINT64_MAX;
        return true;
    }
    *size = 0;
    for (size_t i = start; i < end; i++)
        *size = *size * 10 + (uint64_t)(line[i] - '0');
    return true;
}

static void imap_command_reset(struct imap *im)
{
    mc_buf_reset(&im->cmd);
    im->literals = 0;
    im->cmd_discarding = false;
    im->cmd_answered = false;
}

/* The tag of the command being assembled, for refusing it before it is complete. */
static void imap_assembled_tag(const struct imap *im, char tag[IMAP_TAG_MAX + 1])
{
    struct imap_parser ps;
    struct mc_buf b = {0};
    imap_parser_init(&ps, im->cmd.data, im->cmd.len);
    snprintf(tag, IMAP_TAG_MAX + 1, "%s", imap_parse_tag(&ps, &b) ? b.data : "*");
    mc_buf_free(&b);
}

static uint32_t imap_literal_limit(const struct imap *im)
{
    return im->state == IMAP_NOT_AUTHENTICATED ? IMAP_PREAUTH_LITERAL_MAX : IMAP_LITERAL_MAX;
}

/* Refuses a literal: too big, or one too many for the command (`count`). */
static void imap_refuse_literal(struct imap *im, bool sync, bool count)
{
    char code[96];
    if (count)
        snprintf(code, sizeof code, "[LIMIT] at most %u literals in one command",
                 (unsigned)IMAP_LITERALS_MAX);
    else
        snprintf(code, sizeof code, "[TOOBIG] literals are limited to %u octets%s",
                 (unsigned)imap_literal_limit(im),
                 im->state == IMAP_NOT_AUTHENTICATED ? " before login" : " (APPENDLIMIT)");
    char tag[IMAP_TAG_MAX + 1];
    imap_assembled_tag(im, tag);
    bool answered = im->cmd_answered;
    imap_command_reset(im);
    if (answered && sync)
        return; /* refused already; the client sends nothing without "+" */
    if (sync) {
        imap_send(im, "%s NO %s", tag, code);
        return;
    }
    if (!answered)
        imap_send(im, "%s BAD %s", tag, code);
    imap_send(im, "* BYE the octets of a refused non-synchronizing literal cannot be skipped "
                  "(RFC 7888 4)");
    im->state = IMAP_LOGOUT;
    rs_session_close(im->s);
}

static void imap_command_line(struct imap *im, const char *line, size_t len)
{
    if (!im->cmd_discarding && im->cmd.len + len > IMAP_COMMAND_MAX)
        im->cmd_discarding = true;
    if (!im->cmd_discarding)
        mc_buf_append(&im->cmd, line, len);
    uint64_t size;
    bool sync;
    if (imap_literal_announced(line, len, &size, &sync)) {
        bool too_many = ++im->literals > IMAP_LITERALS_MAX;
        if (size > imap_literal_limit(im) || too_many) {
            imap_refuse_literal(im, sync, too_many && size <= imap_literal_limit(im));
            return;
        }
        if (!im->cmd_discarding)
            mc_buf_append(&im->cmd, "\r\n", 2);
        if (sync && im->cmd_answered) {
            imap_command_reset(im); /* refused: no "+", so no octets come (RFC 9051 4.3) */
            return;
        }
        if (sync)
            imap_send(im, "+ ready for %u octets", (unsigned)size);
        if (size > 0) {
            im->mode = IMAP_MODE_LITERAL;
            rs_session_read_octets(im->s, (size_t)size);
        }
        return;
    }
    if (im->cmd_discarding) {
        if (!im->cmd_answered)
            imap_send(im, "* BAD the command is longer than %u octets", (unsigned)IMAP_COMMAND_MAX);
    } else {
        mc_buf_append_char(&im->cmd, '\0'); /* parsers never read it; the tag may end there */
        im->cmd.len--;
        imap_execute(im, im->cmd.data, im->cmd.len);
    }
    imap_command_reset(im);
}

/* ---- the protocol table ---- */

static void *imap_open(struct rs_session *s)
{
    struct imap *im = mc_xcalloc(1, sizeof *im);
    im->s = s;
    im->state = IMAP_NOT_AUTHENTICATED;
    struct mc_buf caps = {0};
    imap_capabilities(im, &caps);
    rs_session_send(s, "* OK [CAPABILITY %s] mailconform reference IMAP server ready", caps.data);
    mc_buf_free(&caps);
    return im;
}

static void imap_line(struct rs_session *s, void *st, const char *line, size_t len, bool bare_lf)
{
    (void)s, (void)bare_lf; /* RFC 9051 2.2: CRLF; a bare LF is taken as a line end too */
    struct imap *im = st;
    if (im->state == IMAP_LOGOUT)
        return;
    switch (im->mode) {
    case IMAP_MODE_AUTH:
        imap_auth_line(im, line, len);
        break;
    case IMAP_MODE_IDLE:
        imap_idle_line(im, line, len);
        break;
    case IMAP_MODE_COMMAND:
    case IMAP_MODE_LITERAL:
        imap_command_line(im, line, len);
        break;
    }
}

static void imap_octets(struct rs_session *s, void *st, const char *data, size_t len, bool last)
{
    (void)s;
    struct imap *im = st;
    if (!im->cmd_discarding && im->cmd.len + len > IMAP_COMMAND_MAX)
        im->cmd_discarding = true;
    if (!im->cmd_discarding)
        mc_buf_append(&im->cmd, data, len);
    if (last)
        im->mode = IMAP_MODE_COMMAND;
}

/* An over-long line (RFC 7162 4): the command it belongs to is refused with BAD [TOOBIG] and
   the rest of the line thrown away, so the session goes on. Inside AUTHENTICATE or IDLE the
   line cannot be a valid answer: the session ends. */
static bool imap_too_long(struct rs_session *s, void *st, const char *head, size_t len)
{
    struct imap *im = st;
    if (im->mode != IMAP_MODE_COMMAND) {
        rs_session_send(s, "* BYE line longer than %u octets (RFC 7162 4)",
                        (unsigned)IMAP_LINE_MAX);
        return false;
    }
    if (im->cmd.len == 0)
        mc_buf_append(&im->cmd, head, len); /* the tag is at its start */
    char tag[IMAP_TAG_MAX + 1];
    imap_assembled_tag(im, tag);
    imap_command_reset(im);
    rs_session_send(s, "%s BAD [TOOBIG] command line longer than %u octets (RFC 7162 4)", tag,
                    (unsigned)IMAP_LINE_MAX);
    /* The rest of the command is read and dropped: its line may end in a literal whose
       octets are on their way and must not be taken for commands (imap_too_long_end). */
    im->cmd_discarding = im->cmd_answered = true;
    return true;
}

/* The over-long line ended: its end may announce a literal, which is honoured (skipped, or
   BYE when too big) like any other piece of the refused command. */
static void imap_too_long_end(struct rs_session *s, void *st, const char *tail, size_t len)
{
    (void)s;
    imap_command_line(st, tail, len);
}

static void imap_idle_timeout(struct rs_session *s, void *st)
{
    (void)st;
    rs_session_send(s, "* BYE autologout: idle for too long (RFC 9051 5.4)");
}

static void imap_tls_done(struct rs_session *s, void *st)
{
    (void)s;
    struct imap *im = st;
    imap_command_reset(im); /* nothing sent before the handshake counts (RFC 9051 6.2.1) */
    im->mode = IMAP_MODE_COMMAND;
}

static void imap_close(struct rs_session *s, void *st)
{
    (void)s;
    struct imap *im = st;
    if (im->view)
        ms_view_set_notify(im->view, NULL, NULL);
    imap_deselect(im);
    if (im->idle_wake)
        event_free(im->idle_wake);
    mc_sasl_server_free(im->sasl);
    mc_buf_free(&im->cmd);
    free(im);
}

const struct rs_protocol rs_imap = {
    .name = "imap",
    .line_max = IMAP_LINE_MAX,
    .idle_timeout_s = IMAP_IDLE_TIMEOUT_S,
    .open = imap_open,
    .line = imap_line,
    .octets = imap_octets,
    .too_long = imap_too_long,
    .too_long_end = imap_too_long_end,
    .idle = imap_idle_timeout,
    .tls_done = imap_tls_done,
    .close = imap_close,
};
