/*
 * pop3 — the POP3 server (see pop3.h).
 *
 * A session moves through the states of RFC 1939: AUTHORIZATION (USER/PASS, APOP, STLS, CAPA,
 * QUIT), TRANSACTION (the maildrop is locked and seen through a mailstore view that is never
 * synced: the snapshot of the login for the whole session) and UPDATE, entered only by QUIT,
 * where exactly the messages marked with DELE are removed. A session that ends any other way
 * removes nothing (RFC 1939 6). A second POP3 session on the same maildrop is refused with
 * [IN-USE] (RFC 2449 8.1.2); a refusal of the credentials with [AUTH], announced as
 * AUTH-RESP-CODE (RFC 3206). AUTH runs any SASL mechanism of harness/lib/sasl_server (RFC
 * 5034), challenge by challenge, base64 on the wire. Every reply follows RFC 1939 3: "+OK" or
 * "-ERR", one line, or a multi-line body byte-stuffed and ended by ".".
 */
#include "pop3.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/sasl.h"
#include "lib/sasl_server.h"
#include "reference/mailstore.h"

#define POP3_COMMAND_LINE_MAX 255 /* RFC 2449 4: a command line, CRLF included */
#define POP3_IDLE_TIMEOUT_S 600   /* RFC 1939 3: an autologout timer of at least 10 minutes */
#define POP3_USER_MAX 128         /* longer than any user name the mailstore accepts */

enum pop3_state { POP3_AUTHORIZATION, POP3_TRANSACTION, POP3_UPDATE };

struct pop3 {
    enum pop3_state state;
    char user[POP3_USER_MAX + 1]; /* from USER, waiting for PASS */
    char banner[96];              /* the greeting's timestamp, for APOP */
    struct ms_user *owner;
    struct ms_mailbox *inbox;
    struct ms_view *view;
    bool *deleted;               /* per sequence number (1-based index - 1) */
    struct mc_sasl_server *sasl; /* an AUTH exchange in progress */
};

/* ---- replies ---- */

static void ok(struct rs_session *s, const char *text)
{
    rs_session_send(s, "+OK %s", text);
}

static void err(struct rs_session *s, const char *text)
{
    rs_session_send(s, "-ERR %s", text);
}

/* The body of a multi-line reply, byte-stuffed (RFC 1939 3), then the terminating ".". */
static void send_stuffed(struct rs_session *s, const char *data, size_t len, long max_body_lines)
{
    struct mc_buf out = {0};
    bool in_body = false;
    long body_lines = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *lf = memchr(data + pos, '\n', len - pos);
        size_t end = lf ? (size_t)(lf - data) + 1 : len;
        size_t n = end - pos;
        size_t text = n - (lf ? 1 : 0) - (lf && n >= 2 && data[end - 2] == '\r' ? 1 : 0);
        if (in_body && max_body_lines >= 0 && body_lines++ >= max_body_lines)
            break;
        if (data[pos] == '.')
            mc_buf_append_char(&out, '.');
        mc_buf_append(&out, data + pos, text);
        mc_buf_append(&out, "\r\n", 2);
        if (!in_body && text == 0)
            in_body = true; /* the blank line that ends the headers (for TOP) */
        pos = end;
    }
    mc_buf_append(&out, ".\r\n", 3);
    rs_session_send_raw(s, out.data, out.len);
    mc_buf_free(&out);
}

/* ---- arguments ---- */

/* A message number argument (RFC 1939 5: "msg"), valid and not deleted; 0 after replying
   -ERR. */
static uint32_t message_arg(struct rs_session *s, struct pop3 *p, const char *arg)
{
    char *end;
    unsigned long n = arg && *arg ? strtoul(arg, &end, 10) : 0;
    if (!arg || !*arg || *end || arg[0] == '-' || arg[0] == '+') {
        err(s, "a message number is required");
        return 0;
    }
    if (n == 0 || n > ms_view_count(p->view)) {
        err(s, "no such message");
        return 0;
    }
    if (p->deleted[n - 1]) {
        err(s, "message is deleted");
        return 0;
    }
    return (uint32_t)n;
}

static size_t maildrop_size(const struct pop3 *p, uint32_t *count)
{
    size_t total = 0;
    *count = 0;
    for (uint32_t i = 1; i <= ms_view_count(p->view); i++) {
        if (p->deleted[i - 1])
            continue;
        total += ms_message_size(ms_view_message(p->view, i));
        (*count)++;
    }
    return total;
}

/* ---- AUTHORIZATION ---- */

static void capa(struct rs_session *s, struct pop3 *p)
{
    struct mc_buf b = {0};
    /* AUTH-RESP-CODE: every refusal of the user's credentials carries [AUTH] (RFC 3206 6) */
    mc_buf_append_str(&b, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
    mc_buf_append_str(&b, "EXPIRE NEVER\r\n");
    if (p->state == POP3_AUTHORIZATION) {
        mc_buf_append_str(&b, "USER\r\n");
        mc_buf_printf(&b, "SASL %s\r\n", mc_sasl_server_mechanisms());
        if (rs_session_tls_available(s) && !rs_session_tls_active(s))
            mc_buf_append_str(&b, "STLS\r\n");
    }
    mc_buf_append_str(&b, "IMPLEMENTATION mailconform-reference\r\n");
    ok(s, "capability list follows");
    send_stuffed(s, b.data, b.len, -1);
    mc_buf_free(&b);
}

static void enter_transaction(struct rs_session *s, struct pop3 *p, struct ms_user *u)
{
    struct ms_mailbox *inbox = ms_user_inbox(u);
    if (ms_mailbox_lock_pop3(inbox) != MS_OK) {
        err(s, "[IN-USE] the maildrop is already open in another POP3 session");
        return;
    }
    if (ms_view_open(inbox, 0, &p->view) != MS_OK) {
        ms_mailbox_unlock_pop3(inbox);
        err(s, "[SYS/TEMP] cannot open the maildrop");
        return;
    }
    p->owner = u;
    p->inbox = inbox;
    p->state = POP3_TRANSACTION;
    p->deleted = mc_xcalloc(ms_view_count(p->view) + 1, sizeof *p->deleted);
    uint32_t count;
    size_t size = maildrop_size(p, &count);
    rs_session_send(s, "+OK maildrop has %u message(s) (%zu octets)", count, size);
}

static void pass(struct rs_session *s, struct pop3 *p, const char *arg)
{
    if (!p->user[0]) {
        err(s, "USER first");
        return;
    }
    struct ms_user *u = ms_store_find_user(rs_session_store(s), p->user);
    p->user[0] = '\0';
    if (!u || !arg || !ms_user_check_password(u, arg)) {
        err(s, "[AUTH] invalid user name or password");
        return;
    }
    enter_transaction(s, p, u);
}

/* APOP name digest (RFC 1939 7): MD5 of the greeting's timestamp and the password. */
static void apop(struct rs_session *s, struct pop3 *p, const char *arg)
{
    const char *space = arg ? strchr(arg, ' ') : NULL;
    if (!space || (size_t)(space - arg) > POP3_USER_MAX) {
        err(s, "APOP name digest");
        return;
    }
    char name[POP3_USER_MAX + 1];
    memcpy(name, arg, (size_t)(space - arg));
    name[space - arg] = '\0';
    struct ms_user *u = ms_store_find_user(rs_session_store(s), name);
    struct mc_buf want = {0};
    if (u) {
        struct mc_buf in = {0};
        mc_buf_printf(&in, "%s%s", p->banner, ms_user_password(u));
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        EVP_Digest(in.data, in.len, md, &md_len, EVP_md5(), NULL);
        mc_buf_append_hex(&want, md, md_len);
        mc_buf_free(&in);
    }
    bool ok = u && want.len == 32 && strcasecmp(space + 1, want.data) == 0;
    mc_buf_free(&want);
    if (!ok) {
        err(s, "[AUTH] invalid user name or digest");
        return;
    }
    enter_transaction(s, p, u);
}

/* ---- AUTH (RFC 5034) ---- */

static void sasl_end(struct pop3 *p)
{
    mc_sasl_server_free(p->sasl);
    p->sasl = NULL;
}

/* One line of the exchange: the initial response of AUTH (`initial`, NULL if none) or an
   answer to a challenge. */
static void sasl_line(struct rs_session *s, struct pop3 *p, const char *line, size_t len,
                      bool initial)
{
    struct mc_buf b64 = {0};
    enum mc_sasl_wire w = mc_sasl_server_wire(p->sasl, line, len, initial, &b64);
    bool temporary = mc_sasl_server_failure(p->sasl) == MC_SASL_SERVER_TEMPORARY;
    struct ms_user *u = w == MC_SASL_WIRE_SUCCESS
                            ? ms_store_find_user(rs_session_store(s), mc_sasl_server_user(p->sasl))
                            : NULL;
    if (w == MC_SASL_WIRE_CHALLENGE) {
        rs_session_send(s, "+ %s", b64.data);
    } else {
        sasl_end(p);
        if (u)
            enter_transaction(s, p, u);
        else if (w == MC_SASL_WIRE_CANCELLED)
            err(s, "AUTH cancelled");
        else if (w == MC_SASL_WIRE_BAD_BASE64)
            err(s, "a SASL response must be base64 (RFC 5034 4)");
        else
            err(s, temporary ? "[SYS/TEMP] authentication is not possible now"
                             : "[AUTH] authentication failed");
    }
    mc_buf_free(&b64);
}

static void auth(struct rs_session *s, struct pop3 *p, const char *arg)
{
    char mech[32];
    const char *space = arg ? strchr(arg, ' ') : NULL;
    size_t n = arg ? (space ? (size_t)(space - arg) : strlen(arg)) : 0;
    if (!arg || n == 0 || n >= sizeof mech) {
        err(s, "AUTH mechanism [initial-response]");
        return;
    }
    memcpy(mech, arg, n);
    mech[n] = '\0';
    p->sasl =
        mc_sasl_server_new(mech, rs_session_hostname(s), ms_store_sasl_lookup, rs_session_store(s));
    if (!p->sasl) {
        err(s, "unknown SASL mechanism");
        return;
    }
    sasl_line(s, p, space ? space + 1 : NULL, space ? strlen(space + 1) : 0, true);
}

static void authorization(struct rs_session *s, struct pop3 *p, const char *cmd, const char *arg)
{
    if (strcasecmp(cmd, "USER") == 0) {
        if (!arg || !*arg || strlen(arg) > POP3_USER_MAX) {
            err(s, "USER name");
            return;
        }
        snprintf(p->user, sizeof p->user, "%s", arg);
        ok(s, "send PASS");
    } else if (strcasecmp(cmd, "PASS") == 0) {
        pass(s, p, arg);
    } else if (strcasecmp(cmd, "AUTH") == 0) {
        auth(s, p, arg);
    } else if (strcasecmp(cmd, "APOP") == 0) {
        apop(s, p, arg);
    } else if (strcasecmp(cmd, "STLS") == 0) {
        if (!rs_session_tls_available(s) || rs_session_tls_active(s)) {
            err(s, rs_session_tls_active(s) ? "TLS is already active" : "TLS is not available");
            return;
        }
        ok(s, "begin TLS negotiation");
        if (rs_session_start_tls(s) != 0)
            rs_session_close(s);
    } else {
        err(s, "not in the AUTHORIZATION state: log in first");
    }
}

/* ---- TRANSACTION ---- */

static void list_or_uidl(struct rs_session *s, struct pop3 *p, const char *arg, bool uidl)
{
    uint32_t validity = ms_mailbox_uidvalidity(p->inbox);
    if (arg) {
        uint32_t n = message_arg(s, p, arg);
        const struct ms_message *m = n ? ms_view_message(p->view, n) : NULL;
        if (m && uidl)
            rs_session_send(s, "+OK %u %u.%u", n, validity, ms_message_uid(m));
        else if (m)
            rs_session_send(s, "+OK %u %zu", n, ms_message_size(m));
        return;
    }
    struct mc_buf b = {0};
    for (uint32_t i = 1; i <= ms_view_count(p->view); i++) {
        const struct ms_message *m = ms_view_message(p->view, i);
        if (p->deleted[i - 1])
            continue;
        if (uidl)
            mc_buf_printf(&b, "%u %u.%u\r\n", i, validity, ms_message_uid(m));
        else
            mc_buf_printf(&b, "%u %zu\r\n", i, ms_message_size(m));
    }
    ok(s, uidl ? "unique-id listing follows" : "scan listing follows");
    send_stuffed(s, b.data ? b.data : "", b.len, -1);
    mc_buf_free(&b);
}

static void retr_or_top(struct rs_session *s, struct pop3 *p, const char *arg, bool top)
{
    long lines = -1;
    char num[32] = "";
    if (top) {
        const char *space = arg ? strchr(arg, ' ') : NULL;
        char *end;
        if (!space || (size_t)(space - arg) >= sizeof num || !*(space + 1) ||
            (lines = strtol(space + 1, &end, 10)) < 0 || *end) {
            err(s, "TOP msg n");
            return;
        }
        memcpy(num, arg, (size_t)(space - arg));
        arg = num;
    }
    uint32_t n = message_arg(s, p, arg);
    if (!n)
        return;
    const struct ms_message *m = ms_view_message(p->view, n);
    rs_session_send(s, "+OK %zu octets", ms_message_size(m));
    send_stuffed(s, ms_message_data(m), ms_message_size(m), lines);
}

static void quit_update(struct rs_session *s, struct pop3 *p)
{
    struct ms_uidlist marked = {0};
    for (uint32_t i = 1; i <= ms_view_count(p->view); i++)
        if (p->deleted[i - 1])
            ms_uidlist_push(&marked, ms_message_uid(ms_view_message(p->view, i)));
    p->state = POP3_UPDATE;
    enum ms_status st = ms_mailbox_delete_uids(p->inbox, marked.uids, marked.count);
    if (st == MS_OK)
        rs_session_send(s, "+OK %zu message(s) deleted, signing off", marked.count);
    else
        err(s, "[SYS/TEMP] some deleted messages could not be removed");
    ms_uidlist_free(&marked);
    rs_session_close(s);
}

static void transaction(struct rs_session *s, struct pop3 *p, const char *cmd, const char *arg)
{
    if (strcasecmp(cmd, "STAT") == 0 && !arg) {
        uint32_t count;
        size_t size = maildrop_size(p, &count);
        rs_session_send(s, "+OK %u %zu", count, size);
    } else if (strcasecmp(cmd, "LIST") == 0) {
        list_or_uidl(s, p, arg, false);
    } else if (strcasecmp(cmd, "UIDL") == 0) {
        list_or_uidl(s, p, arg, true);
    } else if (strcasecmp(cmd, "RETR") == 0) {
        retr_or_top(s, p, arg, false);
    } else if (strcasecmp(cmd, "TOP") == 0) {
        retr_or_top(s, p, arg, true);
    } else if (strcasecmp(cmd, "DELE") == 0) {
        uint32_t n = message_arg(s, p, arg);
        if (n) {
            p->deleted[n - 1] = true;
            rs_session_send(s, "+OK message %u deleted", n);
        }
    } else if (strcasecmp(cmd, "RSET") == 0 && !arg) {
        memset(p->deleted, 0, ms_view_count(p->view) * sizeof *p->deleted);
        ok(s, "deletion marks removed");
    } else if (strcasecmp(cmd, "NOOP") == 0 && !arg) {
        ok(s, "");
    } else {
        err(s, "unknown command or wrong arguments in the TRANSACTION state");
    }
}

/* ---- the module ---- */

static void *pop3_open(struct rs_session *s)
{
    struct pop3 *p = mc_xcalloc(1, sizeof *p);
    snprintf(p->banner, sizeof p->banner, "<%ld.%ld@%s>", (long)getpid(), (long)time(NULL),
             rs_session_hostname(s));
    rs_session_send(s, "+OK mailconform reference POP3 server ready %s", p->banner);
    return p;
}

/* RFC 1939 3 has commands end in CRLF; a bare LF is accepted as a line end all the same
   (lenient, as Dovecot and most POP3 servers are): unlike SMTP's DATA, no POP3 command carries
   text whose end another server could see elsewhere, so nothing can be smuggled. */
static void pop3_line(struct rs_session *s, void *st, const char *line, size_t len, bool bare_lf)
{
    (void)bare_lf;
    struct pop3 *p = st;
    if (p->sasl) {
        sasl_line(s, p, line, len, false);
        return;
    }
    if (memchr(line, '\0', len)) {
        err(s, "a command must not contain NUL");
        return;
    }
    char buf[POP3_COMMAND_LINE_MAX + 1];
    snprintf(buf, sizeof buf, "%.*s", (int)len, line);
    char *arg = strchr(buf, ' ');
    if (arg)
        *arg++ = '\0';
    if (strcasecmp(buf, "QUIT") == 0 && !arg) {
        if (p->state == POP3_TRANSACTION) {
            quit_update(s, p);
        } else {
            ok(s, "signing off");
            rs_session_close(s);
        }
    } else if (strcasecmp(buf, "CAPA") == 0 && !arg) {
        capa(s, p);
    } else if (p->state == POP3_AUTHORIZATION) {
        authorization(s, p, buf, arg);
    } else {
        transaction(s, p, buf, arg);
    }
}

static bool pop3_too_long(struct rs_session *s, void *st, const char *head, size_t len)
{
    (void)st, (void)head, (void)len;
    err(s, "command line too long (RFC 2449 section 4: 255 octets)");
    return false;
}

static void pop3_tls_done(struct rs_session *s, void *st)
{
    (void)s;
    struct pop3 *p = st;
    p->user[0] = '\0'; /* nothing learnt before TLS survives it */
}

static void pop3_close(struct rs_session *s, void *st)
{
    (void)s;
    struct pop3 *p = st;
    if (!p)
        return;
    if (p->view)
        ms_view_close(p->view); /* no QUIT: nothing is removed (RFC 1939 6) */
    if (p->inbox)
        ms_mailbox_unlock_pop3(p->inbox);
    free(p->deleted);
    sasl_end(p);
    free(p);
}

const struct rs_protocol rs_pop3 = {
    .name = "pop3",
    .line_max = POP3_COMMAND_LINE_MAX,
    .idle_timeout_s = POP3_IDLE_TIMEOUT_S,
    .open = pop3_open,
    .line = pop3_line,
    .too_long = pop3_too_long,
    .tls_done = pop3_tls_done,
    .close = pop3_close,
};
