/*
 * smtp — the SMTP and LMTP servers (see smtp.h): the command dialogue and STARTTLS; AUTH is in
 * smtp_auth.c, the DATA text and delivery in smtp_data.c.
 *
 * A session reads commands (SMTP_MODE_COMMAND) except after a 354, when lines are message text
 * up to the final dot (SMTP_MODE_DATA), and after a 334, when the next line is a SASL response
 * (SMTP_MODE_AUTH). The server core hands lines over one by one, so PIPELINING needs nothing
 * more: a line pipelined behind DATA is read as text only if DATA was accepted (RFC 2920 3.1).
 *
 * Decisions:
 * - Local domains are "localhost" and the server's host name (case-insensitive); every user of
 *   the store has an address in each. <postmaster> (RFC 5321 4.5.1) is the user "postmaster",
 *   or the store's first user when there is none.
 * - Mail for other domains is refused at RCPT (554 5.7.1) unless the session authenticated;
 *   then it is accepted and discarded: the reference server has no queue and never relays.
 * - AUTH is offered and accepted over TLS only (RFC 4954 4 and 14); on a plain connection it
 *   gets 538 5.7.11. A listener with auth_required (submission) refuses MAIL before TLS with
 *   530 5.7.0 and before AUTH with 530 5.7.0 too (RFC 4954 6).
 * - HELO/EHLO must come before MAIL and AUTH (503 5.5.1), as RFC 5321 4.1.4 has clients do.
 * - STARTTLS forgets HELO, the transaction and AUTH state (RFC 3207 4.2); the core drops what
 *   was pipelined behind it.
 * - CHUNKING (BDAT, RFC 3030) is offered, in SMTP and LMTP; the core reads a chunk as raw
 *   octets (rs_session_read_octets). BINARYMIME is not announced: BODY=BINARYMIME is refused,
 *   though a BDAT chunk may hold any octet (it is neither dot-stuffed nor checked for bare LF).
 * - DSN parameters are checked and accepted; no DSN is generated.
 */
#include "smtp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/sasl_server.h"
#include "reference/smtp_int.h"

#define SMTP_ENVID_MAX 100 /* RFC 3461 4.4 */

/* ---- session state ---- */

void smtp_transaction_reset(struct smtp *m)
{
    for (size_t i = 0; i < m->rcpt_count; i++)
        free(m->rcpts[i].address);
    free(m->rcpts);
    m->rcpts = NULL;
    m->rcpt_count = 0;
    free(m->reverse_path);
    m->reverse_path = NULL;
    m->in_mail = false;
    m->smtputf8 = false;
    mc_buf_free(&m->text);
    m->text_octets = 0;
    m->bdat_started = false;
}

static void auth_reset(struct smtp *m)
{
    mc_sasl_server_free(m->sasl);
    m->sasl = NULL;
    free(m->authed);
    m->authed = NULL;
}

/* Everything learnt so far: after STARTTLS (RFC 3207 4.2) and at the end. */
static void session_reset(struct smtp *m)
{
    smtp_transaction_reset(m);
    auth_reset(m);
    free(m->helo);
    m->helo = NULL;
    m->esmtp = false;
    m->mode = SMTP_MODE_COMMAND;
}

bool smtp_auth_offered(struct rs_session *s, const struct smtp *m)
{
    return !m->lmtp && rs_session_tls_active(s);
}

static bool starttls_offered(struct rs_session *s, const struct smtp *m)
{
    return !m->lmtp && rs_session_tls_available(s) && !rs_session_tls_active(s);
}

/* ---- addresses and parameters ---- */

static bool is_local_domain(struct rs_session *s, const char *domain)
{
    return strcasecmp(domain, "localhost") == 0 || strcasecmp(domain, rs_session_hostname(s)) == 0;
}

static bool has_8bit(const char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p >= 0x80)
            return true;
    return false;
}

/* Checks an address (the inside of "<>") against the limits and the gross syntax of RFC 5321
   4.1.2: printable, spaces only when quoted, local-part "@" domain. */
static bool address_valid(const char *a, bool domain_required)
{
    const char *at = strrchr(a, '@');
    bool quoted = false;
    for (const char *p = a; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || (c == ' ' && !quoted))
            return false;
        if (c == '"')
            quoted = !quoted;
        else if (c == '\\' && quoted && p[1])
            p++;
    }
    if (quoted)
        return false;
    if (!at)
        return !domain_required && *a && strlen(a) <= SMTP_LOCAL_PART_MAX;
    size_t local = (size_t)(at - a), domain = strlen(at + 1);
    return local > 0 && local <= SMTP_LOCAL_PART_MAX && domain > 0 && domain <= SMTP_DOMAIN_MAX;
}

/* "FROM:<path> params" / "TO:<path> params": copies the address (source route dropped, RFC
   5321 4.1.1.3 and C.6) into out and returns the parameters, or NULL on a syntax error. A space
   after the colon is tolerated, as most servers do. */
static const char *parse_path(const char *arg, const char *keyword, char out[SMTP_PATH_MAX])
{
    size_t kl = strlen(keyword);
    if (!arg || strncasecmp(arg, keyword, kl) != 0)
        return NULL;
    const char *p = arg + kl;
    while (*p == ' ')
        p++;
    if (*p++ != '<')
        return NULL;
    const char *start = p;
    bool quoted = false;
    for (; *p && (quoted || *p != '>'); p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\\' && quoted && p[1])
            p++;
    }
    if (*p != '>' || (size_t)(p - start) + 2 > SMTP_PATH_MAX)
        return NULL;
    if (*start == '@') { /* a source route: "@a,@b:" */
        const char *colon = memchr(start, ':', (size_t)(p - start));
        if (!colon)
            return NULL;
        start = colon + 1;
    }
    snprintf(out, SMTP_PATH_MAX, "%.*s", (int)(p - start), start);
    p++;
    if (*p && *p != ' ')
        return NULL;
    while (*p == ' ')
        p++;
    return p;
}

/* The next "KEYWORD[=value]" of a parameter list; false at the end. */
static bool next_param(const char **list, char *kw, size_t kw_size, char *val, size_t val_size)
{
    const char *p = *list;
    while (*p == ' ')
        p++;
    if (!*p)
        return false;
    size_t n = strcspn(p, " ");
    const char *eq = memchr(p, '=', n);
    size_t kn = eq ? (size_t)(eq - p) : n;
    snprintf(kw, kw_size, "%.*s", (int)kn, p);
    snprintf(val, val_size, "%.*s", eq ? (int)(n - kn - 1) : 0, eq ? eq + 1 : "");
    if (kn >= kw_size || (eq && n - kn - 1 >= val_size))
        kw[0] = '\0'; /* too long: unknown */
    *list = p + n;
    return true;
}

/* xtext (RFC 3461 4): printable ASCII but "+" and "=", or "+" and two upper-case hex digits. */
static bool xtext_valid(const char *v)
{
    for (; *v; v++) {
        if (*v == '+') {
            if (!isxdigit((unsigned char)v[1]) || !isxdigit((unsigned char)v[2]))
                return false;
            v += 2;
        } else if (*v < '!' || *v > '~' || *v == '=') {
            return false;
        }
    }
    return true;
}

static bool notify_valid(const char *v)
{
    if (strcasecmp(v, "NEVER") == 0)
        return true;
    char copy[64];
    size_t n_v = strlen(v);
    if (n_v >= sizeof copy)
        return false;
    memcpy(copy, v, n_v + 1);
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save), n++)
        if (strcasecmp(t, "SUCCESS") != 0 && strcasecmp(t, "FAILURE") != 0 &&
            strcasecmp(t, "DELAY") != 0)
            return false;
    return n > 0;
}

/* One MAIL parameter; NULL when fine, else the reply. */
static const char *mail_param(struct smtp *m, const char *kw, const char *val)
{
    if (strcasecmp(kw, "SIZE") == 0) {
        char *end;
        unsigned long long n = strtoull(val, &end, 10);
        if (!*val || *end || !isdigit((unsigned char)*val))
            return "501 5.5.4 Syntax: SIZE=<octets>";
        if (n > SMTP_MESSAGE_MAX)
            return "552 5.3.4 Message size exceeds fixed maximum message size";
    } else if (strcasecmp(kw, "BODY") == 0) {
        if (strcasecmp(val, "7BIT") != 0 && strcasecmp(val, "8BITMIME") != 0)
            return "501 5.5.4 Syntax: BODY=7BIT|8BITMIME";
    } else if (strcasecmp(kw, "SMTPUTF8") == 0 && !*val) {
        m->smtputf8 = true;
    } else if (strcasecmp(kw, "RET") == 0) {
        if (strcasecmp(val, "FULL") != 0 && strcasecmp(val, "HDRS") != 0)
            return "501 5.5.4 Syntax: RET=FULL|HDRS";
    } else if (strcasecmp(kw, "ENVID") == 0) {
        if (!*val || strlen(val) > SMTP_ENVID_MAX || !xtext_valid(val))
            return "501 5.5.4 Syntax: ENVID=<xtext>";
    } else if (strcasecmp(kw, "AUTH") == 0) {
        if (strcmp(val, "<>") != 0 && !xtext_valid(val))
            return "501 5.5.4 Syntax: AUTH=<xtext>"; /* RFC 4954 5: accepted, not trusted */
    } else {
        return "555 5.5.4 Unsupported MAIL parameter";
    }
    return NULL;
}

static const char *rcpt_param(const char *kw, const char *val)
{
    if (strcasecmp(kw, "NOTIFY") == 0) {
        if (!notify_valid(val))
            return "501 5.5.4 Syntax: NOTIFY=NEVER|SUCCESS,FAILURE,DELAY";
    } else if (strcasecmp(kw, "ORCPT") == 0) {
        const char *semi = strchr(val, ';');
        if (!semi || semi == val || !semi[1] || !xtext_valid(semi + 1))
            return "501 5.5.4 Syntax: ORCPT=<addr-type>;<xtext>";
    } else {
        return "555 5.5.4 Unsupported RCPT parameter";
    }
    return NULL;
}

/* Runs every parameter through check (mail or rcpt); false after replying. */
static bool params_check(struct rs_session *s, struct smtp *m, const char *list, bool mail)
{
    char kw[32], val[SMTP_PATH_MAX], seen[SMTP_COMMAND_LINE_MAX] = " ";
    while (next_param(&list, kw, sizeof kw, val, sizeof val)) {
        const char *reply = m->esmtp ? NULL : "555 5.5.4 No parameters after HELO";
        char tag[40];
        snprintf(tag, sizeof tag, " %s ", kw);
        for (char *c = tag; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        if (!reply && kw[0] && strstr(seen, tag))
            reply = "501 5.5.4 Duplicate parameter";
        if (!reply)
            reply = mail ? mail_param(m, kw, val) : rcpt_param(kw, val);
        if (reply) {
            rs_session_send(s, "%s", reply);
            return false;
        }
        if (strlen(seen) + strlen(tag) < sizeof seen)
            strcat(seen, tag + 1);
    }
    return true;
}

/* ---- HELO, EHLO, LHLO ---- */

static bool hello_arg_valid(const char *arg)
{
    if (!arg || !*arg || strlen(arg) > SMTP_DOMAIN_MAX + 2)
        return false;
    for (const char *p = arg; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

static void cmd_hello(struct rs_session *s, struct smtp *m, const char *arg, bool esmtp)
{
    if (!hello_arg_valid(arg)) {
        rs_session_send(s, "501 5.5.4 Syntax: %s <domain>",
                        m->lmtp ? "LHLO"
                        : esmtp ? "EHLO"
                                : "HELO");
        return;
    }
    smtp_transaction_reset(m); /* RFC 5321 4.1.4: like RSET */
    free(m->helo);
    m->helo = mc_xstrdup(arg);
    m->esmtp = esmtp;
    if (!esmtp) {
        rs_session_send(s, "250 %s", rs_session_hostname(s));
        return;
    }
    struct mc_strv ext = {0};
    mc_strv_push_str(&ext, "PIPELINING");
    char size[32];
    snprintf(size, sizeof size, "SIZE %u", SMTP_MESSAGE_MAX);
    mc_strv_push_str(&ext, size);
    mc_strv_push_str(&ext, "8BITMIME");
    mc_strv_push_str(&ext, "ENHANCEDSTATUSCODES");
    mc_strv_push_str(&ext, "CHUNKING");
    if (starttls_offered(s, m))
        mc_strv_push_str(&ext, "STARTTLS");
    if (smtp_auth_offered(s, m)) {
        char auth[128];
        snprintf(auth, sizeof auth, "AUTH %s", mc_sasl_server_mechanisms());
        mc_strv_push_str(&ext, auth);
    }
    mc_strv_push_str(&ext, "DSN");
    mc_strv_push_str(&ext, "SMTPUTF8");
    rs_session_send(s, "250-%s greets %s", rs_session_hostname(s), arg);
    for (size_t i = 0; i < ext.count; i++)
        rs_session_send(s, "250%c%s", i + 1 < ext.count ? '-' : ' ', ext.items[i].ptr);
    mc_strv_free(&ext);
}

/* ---- the transaction ---- */

static void cmd_mail(struct rs_session *s, struct smtp *m, const char *arg)
{
    char path[SMTP_PATH_MAX];
    const struct rs_listener_config *l = rs_session_listener(s);
    if (!m->helo) {
        rs_session_send(s, "503 5.5.1 Send %s first", m->lmtp ? "LHLO" : "HELO/EHLO");
        return;
    }
    if (m->in_mail) {
        rs_session_send(s, "503 5.5.1 Nested MAIL command");
        return;
    }
    if (!m->lmtp && l->auth_required && !rs_session_tls_active(s)) {
        rs_session_send(s, "530 5.7.0 Must issue a STARTTLS command first");
        return;
    }
    if (!m->lmtp && l->auth_required && !m->authed) {
        rs_session_send(s, "530 5.7.0 Authentication required");
        return;
    }
    const char *params = parse_path(arg, "FROM:", path);
    if (!params || (*path && !address_valid(path, true))) {
        rs_session_send(s, "501 5.1.7 Syntax: MAIL FROM:<address>");
        return;
    }
    if (!params_check(s, m, params, true)) {
        m->smtputf8 = false;
        return;
    }
    if (has_8bit(path) && !m->smtputf8) {
        rs_session_send(s, "553 5.6.7 Non-ASCII address requires SMTPUTF8 (RFC 6531)");
        return;
    }
    m->in_mail = true;
    m->reverse_path = mc_xstrdup(path);
    rs_session_send(s, "250 2.1.0 Ok");
}

/* The local user for an address in a local domain, NULL when unknown. */
static struct ms_user *local_user(struct rs_session *s, const char *address)
{
    struct ms_store *st = rs_session_store(s);
    const char *at = strrchr(address, '@');
    size_t local = at ? (size_t)(at - address) : strlen(address);
    struct ms_user *u = ms_store_find_user_by_address(st, address);
    if (!u && local == 10 && strncasecmp(address, "postmaster", 10) == 0 &&
        ms_store_user_count(st) > 0)
        u = ms_store_user_at(st, 0); /* RFC 5321 4.5.1: postmaster must exist */
    return u;
}

static void rcpt_add(struct smtp *m, const char *address, struct ms_user *u)
{
    m->rcpts = mc_xrealloc(m->rcpts, (m->rcpt_count + 1) * sizeof *m->rcpts);
    m->rcpts[m->rcpt_count].address = mc_xstrdup(address);
    m->rcpts[m->rcpt_count++].user = u;
}

static void cmd_rcpt(struct rs_session *s, struct smtp *m, const char *arg)
{
    char path[SMTP_PATH_MAX] = ""; /* parse_path leaves it alone when the syntax is wrong */
    if (!m->in_mail) {
        rs_session_send(s, "503 5.5.1 Need MAIL before RCPT");
        return;
    }
    if (m->rcpt_count >= SMTP_RECIPIENTS_MAX) {
        rs_session_send(s, "452 4.5.3 Too many recipients");
        return;
    }
    const char *params = parse_path(arg, "TO:", path);
    const char *at = strrchr(path, '@');
    bool postmaster = params && !at && strcasecmp(path, "postmaster") == 0;
    if (!params || !address_valid(path, !postmaster)) {
        rs_session_send(s, "501 5.1.3 Syntax: RCPT TO:<address>");
        return;
    }
    if (has_8bit(path) && !m->smtputf8) {
        rs_session_send(s, "553 5.6.7 Non-ASCII address requires SMTPUTF8 (RFC 6531)");
        return;
    }
    if (!params_check(s, m, params, false))
        return;
    if (postmaster || is_local_domain(s, at + 1)) {
        struct ms_user *u = local_user(s, path);
        if (!u) {
            rs_session_send(s, "550 5.1.1 <%s>: Recipient address rejected: User unknown", path);
            return;
        }
        rcpt_add(m, path, u);
    } else if (m->authed) {
        rcpt_add(m, path, NULL); /* accepted and discarded: no relaying */
    } else {
        rs_session_send(s, "554 5.7.1 <%s>: Relay access denied", path);
        return;
    }
    rs_session_send(s, "250 2.1.5 Ok");
}

static void cmd_data(struct rs_session *s, struct smtp *m, const char *arg)
{
    if (arg)
        rs_session_send(s, "501 5.5.4 Syntax: DATA");
    else if (!m->in_mail)
        rs_session_send(s, "503 5.5.1 Need MAIL command");
    else if (m->rcpt_count == 0)
        rs_session_send(s, "503 5.5.1 Need RCPT command (no valid recipients)");
    else if (m->bdat_started) /* RFC 3030 2: no DATA in a transaction using BDAT */
        rs_session_send(s, "503 5.5.1 DATA after BDAT in the same transaction");
    else
        smtp_data_begin(s, m);
}

/* ---- STARTTLS (RFC 3207) ---- */

static void cmd_starttls(struct rs_session *s, struct smtp *m, const char *arg)
{
    if (arg) {
        rs_session_send(s, "501 5.5.4 Syntax: STARTTLS");
    } else if (rs_session_tls_active(s)) {
        rs_session_send(s, "503 5.5.1 TLS already active");
    } else if (!starttls_offered(s, m)) {
        rs_session_send(s, "454 4.7.0 TLS not available");
    } else if (m->in_mail) {
        rs_session_send(s, "503 5.5.1 Mail transaction in progress");
    } else {
        rs_session_send(s, "220 2.0.0 Ready to start TLS");
        if (rs_session_start_tls(s) != 0)
            rs_session_close(s);
    }
}

/* ---- the simple commands ---- */

static void cmd_rset(struct rs_session *s, struct smtp *m, const char *arg)
{
    if (arg) {
        rs_session_send(s, "501 5.5.4 Syntax: RSET");
        return;
    }
    smtp_transaction_reset(m);
    rs_session_send(s, "250 2.0.0 Ok");
}

static void cmd_noop(struct rs_session *s, struct smtp *m, const char *arg)
{
    (void)m;
    (void)arg; /* NOOP [SP String] (RFC 5321 4.1.1.9) */
    rs_session_send(s, "250 2.0.0 Ok");
}

static void cmd_vrfy(struct rs_session *s, struct smtp *m, const char *arg)
{
    (void)m;
    if (!arg)
        rs_session_send(s, "501 5.5.4 Syntax: VRFY <address>");
    else /* RFC 5321 3.5.3: do not disclose who exists */
        rs_session_send(s, "252 2.5.0 Cannot VRFY user, but will accept message and attempt "
                           "delivery");
}

static void cmd_help(struct rs_session *s, struct smtp *m, const char *arg)
{
    (void)arg;
    rs_session_send(s, "214 2.0.0 Commands: %s MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT%s",
                    m->lmtp ? "LHLO" : "HELO EHLO", m->lmtp ? "" : " STARTTLS AUTH");
}

static void cmd_quit(struct rs_session *s, struct smtp *m, const char *arg)
{
    (void)m;
    (void)arg;
    rs_session_send(s, "221 2.0.0 Bye");
    rs_session_close(s);
}

static void cmd_helo(struct rs_session *s, struct smtp *m, const char *arg)
{
    cmd_hello(s, m, arg, false);
}

static void cmd_ehlo(struct rs_session *s, struct smtp *m, const char *arg)
{
    cmd_hello(s, m, arg, true);
}

enum { FOR_SMTP = 1, FOR_LMTP = 2, FOR_BOTH = 3 };

static const struct smtp_command {
    const char *verb;
    void (*run)(struct rs_session *s, struct smtp *m, const char *arg);
    unsigned where;
} commands[] = {
    {"HELO", cmd_helo, FOR_SMTP},          {"EHLO", cmd_ehlo, FOR_SMTP},
    {"LHLO", cmd_ehlo, FOR_LMTP},          {"MAIL", cmd_mail, FOR_BOTH},
    {"RCPT", cmd_rcpt, FOR_BOTH},          {"DATA", cmd_data, FOR_BOTH},
    {"BDAT", smtp_bdat_command, FOR_BOTH}, {"RSET", cmd_rset, FOR_BOTH},
    {"NOOP", cmd_noop, FOR_BOTH},          {"VRFY", cmd_vrfy, FOR_BOTH},
    {"HELP", cmd_help, FOR_BOTH},          {"QUIT", cmd_quit, FOR_BOTH},
    {"STARTTLS", cmd_starttls, FOR_SMTP},  {"AUTH", smtp_auth_command, FOR_SMTP},
};

static void command(struct rs_session *s, struct smtp *m, const char *line, size_t len)
{
    if (memchr(line, '\0', len)) {
        rs_session_send(s, "500 5.5.2 NUL in command");
        return;
    }
    char buf[SMTP_COMMAND_LINE_MAX + 1];
    snprintf(buf, sizeof buf, "%.*s", (int)len, line);
    char *arg = strchr(buf, ' ');
    if (arg) {
        *arg++ = '\0';
        if (!*arg)
            arg = NULL;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcasecmp(buf, commands[i].verb) == 0 &&
            (commands[i].where & (m->lmtp ? FOR_LMTP : FOR_SMTP))) {
            commands[i].run(s, m, arg);
            return;
        }
    }
    rs_session_send(s, "500 5.5.2 Command not recognized");
}

/* ---- the module ---- */

static void *session_open(struct rs_session *s, bool lmtp)
{
    struct smtp *m = mc_xcalloc(1, sizeof *m);
    m->lmtp = lmtp;
    rs_session_send(s, "220 %s %s mailconform reference", rs_session_hostname(s),
                    lmtp ? "LMTP" : "ESMTP");
    return m;
}

static void *smtp_open(struct rs_session *s)
{
    return session_open(s, false);
}

static void *lmtp_open(struct rs_session *s)
{
    return session_open(s, true);
}

static void smtp_line(struct rs_session *s, void *st, const char *line, size_t len, bool bare_lf)
{
    struct smtp *m = st;
    switch (m->mode) {
    case SMTP_MODE_DATA:
        smtp_data_line(s, m, line, len, bare_lf);
        break;
    case SMTP_MODE_AUTH:
        smtp_auth_response(s, m, line, len);
        break;
    case SMTP_MODE_COMMAND:
        command(s, m, line, len);
        break;
    }
}

static void smtp_octets(struct rs_session *s, void *st, const char *data, size_t len, bool last)
{
    smtp_bdat_octets(s, st, data, len, last);
}

static bool smtp_too_long(struct rs_session *s, void *st, const char *head, size_t len)
{
    (void)head, (void)len;
    struct smtp *m = st;
    if (m->mode == SMTP_MODE_DATA)
        rs_session_send(s, "500 5.5.6 Text line too long, closing connection");
    else
        rs_session_send(s, "500 5.5.2 Line too long");
    return false;
}

/* RFC 5321 4.5.3.2.7 and 3.8: a server that gives up on a silent client says so with 421. */
static void smtp_idle(struct rs_session *s, void *st)
{
    (void)st;
    rs_session_send(s, "421 4.4.2 %s Error: timeout exceeded, closing connection",
                    rs_session_hostname(s));
}

static void smtp_tls_done(struct rs_session *s, void *st)
{
    session_reset(st); /* RFC 3207 4.2: nothing learnt before TLS survives it */
    rs_session_set_line_max(s, SMTP_COMMAND_LINE_MAX);
}

static void smtp_close(struct rs_session *s, void *st)
{
    (void)s;
    if (!st)
        return;
    session_reset(st);
    free(st);
}

const struct rs_protocol rs_smtp = {
    .name = "smtp",
    .line_max = SMTP_COMMAND_LINE_MAX,
    .idle_timeout_s = SMTP_IDLE_TIMEOUT_S,
    .open = smtp_open,
    .line = smtp_line,
    .octets = smtp_octets,
    .too_long = smtp_too_long,
    .idle = smtp_idle,
    .tls_done = smtp_tls_done,
    .close = smtp_close,
};

const struct rs_protocol rs_lmtp = {
    .name = "lmtp",
    .line_max = SMTP_COMMAND_LINE_MAX,
    .idle_timeout_s = SMTP_IDLE_TIMEOUT_S,
    .open = lmtp_open,
    .line = smtp_line,
    .octets = smtp_octets,
    .too_long = smtp_too_long,
    .idle = smtp_idle,
    .tls_done = smtp_tls_done,
    .close = smtp_close,
};
