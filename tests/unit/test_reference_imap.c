/*
 * test_reference_imap — the reference server's IMAP side (servers-under-test/reference/imap*.c)
 * over real sockets, each test asserting what an RFC requires: a forked child runs the server
 * (a plain IMAP listener offering STARTTLS, one that disables LOGIN until STARTTLS, implicit-TLS
 * IMAPS, an IMAP listener with a one-second idle timeout, and LMTP for deliveries, all on
 * ephemeral ports over one in-memory store), and the test talks to it with blocking sockets.
 * Covered: greeting, CAPABILITY, LOGOUT, LOGINDISABLED and STARTTLS (with CVE-2011-0411
 * command injection), AUTHENTICATE with and without SASL-IR, literal limits (TOOBIG, LITERAL+,
 * the line limit), APPEND/FETCH round trips, what one session learns of another's changes
 * (RFC 3501 7.4.1: no EXPUNGE during FETCH), IDLE, SELECT/EXAMINE and \Recent, ENABLE
 * IMAP4rev2 and ESEARCH, modified UTF-7 mailbox names, COPY/MOVE/UID EXPUNGE/CLOSE/UNSELECT,
 * RENAME INBOX and DELETE with inferiors, BODYSTRUCTURE and body sections, and SEARCH CHARSET.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "lib/base64.h"
#include "lib/tls.h"
#include "reference/imap.h"
#include "reference/mailstore.h"
#include "reference/server.h"
#include "reference/smtp.h"
#include "support_check.h"
#include "support_refserver.h"

enum { L_IMAP, L_IMAP_TLS_LOGIN, L_IMAPS, L_IMAP_IMPATIENT, L_LMTP, L_COUNT };

static struct refserver srv;

static void setup(void)
{
    static struct rs_protocol impatient; /* IMAP with a 1 s idle timeout */
    impatient = rs_imap;
    impatient.idle_timeout_s = 1;
    const struct rs_listener_config cfg[L_COUNT] = {
        {.name = "imap", .proto = &rs_imap},
        {.name = "imap-tls-login", .proto = &rs_imap, .login_requires_tls = true},
        {.name = "imaps", .proto = &rs_imap, .implicit_tls = true},
        {.name = "imap-impatient", .proto = &impatient},
        {.name = "lmtp", .proto = &rs_lmtp},
    };
    refserver_start(&srv, "test_reference_imap", cfg, L_COUNT);
}

static void teardown(void)
{
    refserver_stop(&srv);
}

/* A field of the server's /proc/PID/status in KiB ("VmPeak": its largest address space). */
static long child_status_kib(const char *field)
{
    return refserver_status_kib(&srv, field);
}

/* ---- a blocking client ---- */

struct client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char in[1 << 16];
    size_t len;
    bool timed_out; /* the last read failed for the receive timeout, not the end of the stream */
    unsigned tagno;
    char tag[16];       /* the tag of the last command */
    struct mc_buf resp; /* what answered it: every response as sent, CRLFs and literals kept */
    size_t tagged;      /* where the tagged response starts in resp */
};

static void client_tls(struct client *c)
{
    ck_assert_uint_eq(c->len, 0); /* nothing may be pending from before the handshake */
    c->ssl = refserver_tls(c->fd, &c->ctx);
}

static struct client *client_new(int which)
{
    struct client *c = calloc(1, sizeof *c);
    c->fd = refserver_connect(srv.ports[which]);
    if (which == L_IMAPS)
        client_tls(c);
    return c;
}

static void client_free(struct client *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    close(c->fd);
    mc_buf_free(&c->resp);
    free(c);
}

static void client_write(struct client *c, const void *data, size_t len)
{
    int n = c->ssl ? SSL_write(c->ssl, data, (int)len) : (int)write(c->fd, data, len);
    ck_assert_int_eq(n, (int)len);
}

static void client_send(struct client *c, const char *text)
{
    client_write(c, text, strlen(text));
}

/* Reads more into c->in; false at the end of the stream (or a timeout: c->timed_out). */
static bool client_fill(struct client *c)
{
    ck_assert_uint_lt(c->len, sizeof c->in);
    errno = 0;
    int r = c->ssl ? SSL_read(c->ssl, c->in + c->len, (int)(sizeof c->in - c->len))
                   : (int)read(c->fd, c->in + c->len, sizeof c->in - c->len);
    c->timed_out = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (r <= 0)
        return false;
    c->len += (size_t)r;
    return true;
}

static void client_consume(struct client *c, size_t n, struct mc_buf *out)
{
    mc_buf_append(out, c->in, n);
    memmove(c->in, c->in + n, c->len - n);
    c->len -= n;
}

/* One line, its CRLF removed, appended to out; false at the end of the stream. */
static bool client_line(struct client *c, struct mc_buf *out)
{
    for (;;) {
        char *lf = memchr(c->in, '\n', c->len);
        if (lf) {
            size_t n = (size_t)(lf - c->in);
            mc_buf_append(out, c->in, n > 0 && lf[-1] == '\r' ? n - 1 : n);
            memmove(c->in, lf + 1, c->len - n - 1);
            c->len -= n + 1;
            return true;
        }
        if (!client_fill(c))
            return false;
    }
}

/* Does the line end with a literal announcement "{n}" ("~{n}" for literal8)? */
static bool literal_at_end(const char *line, size_t len, size_t *n)
{
    if (len < 3 || line[len - 1] != '}')
        return false;
    size_t start = len - 1;
    while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9')
        start--;
    if (start == len - 1 || start == 0 || line[start - 1] != '{')
        return false;
    *n = (size_t)strtoull(line + start, NULL, 10);
    return true;
}

/* One response (a line, with the octets of every literal it announces), appended to out as
   sent, the final CRLF removed; false at the end of the stream. */
static bool client_response(struct client *c, struct mc_buf *out)
{
    for (;;) {
        size_t start = out->len, n;
        if (!client_line(c, out))
            return false;
        if (!literal_at_end(out->data + start, out->len - start, &n))
            return true;
        mc_buf_append(out, "\r\n", 2);
        while (c->len < n) {
            n -= c->len;
            client_consume(c, c->len, out);
            if (!client_fill(c))
                return false;
        }
        client_consume(c, n, out);
    }
}

/* The first response in text (at a line start) that begins with prefix, or NULL. */
static const char *find_response(const char *text, const char *prefix)
{
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

static int count_responses(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = find_response(text, prefix); p; p = find_response(p + 1, prefix))
        n++;
    return n;
}

/* Reads responses until the tagged one for c->tag; checks its status word unless status is
   NULL. Returns everything read (c->resp). */
static const char *imap_wait(struct client *c, const char *status, const char *what)
{
    size_t taglen = strlen(c->tag);
    mc_buf_reset(&c->resp);
    mc_buf_append(&c->resp, "", 0);
    for (;;) {
        size_t start = c->resp.len;
        ck_assert_msg(client_response(c, &c->resp), "%s: the connection ended after:\n%s", what,
                      c->resp.data);
        mc_buf_append(&c->resp, "\r\n", 2);
        if (strncmp(c->resp.data + start, c->tag, taglen) == 0 &&
            c->resp.data[start + taglen] == ' ') {
            c->tagged = start;
            break;
        }
    }
    if (status) {
        const char *st = c->resp.data + c->tagged + taglen + 1;
        ck_assert_msg(strncmp(st, status, strlen(status)) == 0 && st[strlen(status)] == ' ',
                      "%s: expected %s, got:\n%s", what, status, c->resp.data);
    }
    return c->resp.data;
}

/* The tagged response of the last command ("t3 OK ..."). */
static const char *tagged(const struct client *c)
{
    return c->resp.data + c->tagged;
}

/* The status word of the last tagged response: "OK", "NO" or "BAD". */
static bool tagged_is(const struct client *c, const char *status)
{
    const char *st = tagged(c) + strlen(c->tag) + 1;
    return strncmp(st, status, strlen(status)) == 0 && st[strlen(status)] == ' ';
}

static void next_tag(struct client *c)
{
    snprintf(c->tag, sizeof c->tag, "t%u", ++c->tagno);
}

/* Sends "tag command" and waits for its completion, which must have status (unless NULL). */
static const char *imap(struct client *c, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *imap(struct client *c, const char *status, const char *fmt, ...)
{
    struct mc_buf line = {0};
    va_list ap;
    va_start(ap, fmt);
    next_tag(c);
    mc_buf_printf(&line, "%s ", c->tag);
    mc_buf_vprintf(&line, fmt, ap);
    va_end(ap);
    char what[200];
    snprintf(what, sizeof what, "%.199s", line.data);
    mc_buf_append_str(&line, "\r\n");
    client_send(c, line.data);
    mc_buf_free(&line);
    return imap_wait(c, status, what);
}

/* Sends "tag head {n}", and after the server's "+" the n octets of lit and CRLF. When the server
   answers with a tagged response instead, the literal is not sent. */
static const char *imap_literal(struct client *c, const char *status, const char *head,
                                const char *lit, size_t n)
{
    char line[1024];
    next_tag(c);
    snprintf(line, sizeof line, "%s %s {%zu}\r\n", c->tag, head, n);
    client_send(c, line);
    struct mc_buf r = {0};
    for (;;) {
        mc_buf_reset(&r);
        ck_assert_msg(client_response(c, &r), "%s: the connection ended", head);
        if (r.data[0] == '+')
            break;
        if (strncmp(r.data, c->tag, strlen(c->tag)) == 0) {
            mc_buf_reset(&c->resp);
            mc_buf_printf(&c->resp, "%s\r\n", r.data);
            c->tagged = 0;
            mc_buf_free(&r);
            ck_assert_msg(!status || tagged_is(c, status), "%s: expected %s, got %s", head, status,
                          c->resp.data);
            return c->resp.data;
        }
    }
    mc_buf_free(&r);
    client_write(c, lit, n);
    client_send(c, "\r\n");
    return imap_wait(c, status, head);
}

static struct client *imap_connect(int which)
{
    struct client *c = client_new(which);
    mc_buf_append(&c->resp, "", 0);
    ck_assert(client_response(c, &c->resp));
    ck_assert_msg(strncmp(c->resp.data, "* OK ", 5) == 0, "greeting: %s", c->resp.data);
    return c;
}

static struct client *imap_login(const char *user, const char *password)
{
    struct client *c = imap_connect(L_IMAP);
    imap(c, "OK", "LOGIN %s %s", user, password);
    return c;
}

/* Is word one of the space-separated words of the response line at text (up to its CRLF)? */
static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word), end = strcspn(text, "\r\n");
    for (const char *p = text; p < text + end; p++) {
        bool starts = p == text || strchr(" ([", p[-1]);
        if (starts && strncasecmp(p, word, n) == 0 && (p + n == text + end || strchr(" )]", p[n])))
            return true;
    }
    return false;
}

/* ---- reading FETCH, LIST, STATUS and response codes ---- */

/* The end of the value (atom, number, NIL, quoted string, literal, list) at p, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"') {
        for (p++; p < end && *p != '"'; p++)
            if (*p == '\\')
                p++;
        return p < end ? p + 1 : NULL;
    }
    if (*p == '{' || (*p == '~' && p + 1 < end && p[1] == '{')) {
        p += *p == '~';
        char *e;
        size_t n = (size_t)strtoull(p + 1, &e, 10);
        if (end - e < 3 || memcmp(e, "}\r\n", 3) != 0 || (size_t)(end - (e + 3)) < n)
            return NULL;
        return e + 3 + n;
    }
    if (*p == '(') {
        for (p++; p && p < end && *p != ')';)
            p = *p == ' ' ? p + 1 : skip_value(p, end);
        return p && p < end ? p + 1 : NULL;
    }
    const char *s = p;
    while (p < end && !strchr(" ()\r\n", *p))
        p++;
    return p > s ? p : NULL;
}

/* A value's content: a quoted string unquoted, a literal's octets, anything else as it is. */
static void value_content(const char *v, const char *end, struct mc_buf *out)
{
    if (*v == '"') {
        for (v++; v < end - 1; v++) {
            if (*v == '\\')
                v++;
            mc_buf_append_char(out, *v);
        }
    } else if (*v == '{' || *v == '~') {
        const char *crlf = strstr(v, "}\r\n") + 3;
        mc_buf_append(out, crlf, (size_t)(end - crlf));
    } else {
        mc_buf_append(out, v, (size_t)(end - v));
    }
}

/* The value of data item `name` ("FLAGS", "BODY[1.MIME]") in a FETCH response for message
   seq in text, into out; false when no such response has it. */
static bool fetch_item(const char *text, unsigned seq, const char *name, struct mc_buf *out)
{
    char head[40];
    snprintf(head, sizeof head, "* %u FETCH (", seq);
    const char *end = text + strlen(text);
    for (const char *r = find_response(text, head); r; r = find_response(r + 1, head)) {
        const char *p = r + strlen(head);
        while (p && p < end && *p != ')') {
            const char *n = p;
            for (int depth = 0; p < end && (depth > 0 || *p != ' '); p++)
                depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
            size_t nlen = (size_t)(p - n);
            const char *v = p + 1, *ve = skip_value(v, end);
            ck_assert_msg(ve != NULL, "a FETCH response cannot be read: %s", r);
            if (nlen == strlen(name) && strncasecmp(n, name, nlen) == 0) {
                mc_buf_reset(out);
                mc_buf_append(out, "", 0);
                value_content(v, ve, out);
                return true;
            }
            p = ve + (*ve == ' ');
        }
    }
    return false;
}

/* The flags of message seq as a FETCH response in text gives them ("" when none does). */
static void fetch_flags(const char *text, unsigned seq, struct mc_buf *out)
{
    if (!fetch_item(text, seq, "FLAGS", out)) {
        mc_buf_reset(out);
        mc_buf_append(out, "", 0);
    }
}

/* Does the parenthesised flag list hold exactly the flags in want (space separated)? */
static bool flags_are(const char *list, const char *want)
{
    int have = 0, wanted = 0;
    for (const char *p = list; *p; p++)
        have += *p != ' ' && *p != '(' && *p != ')' && (p == list || strchr(" (", p[-1]));
    char copy[256];
    snprintf(copy, sizeof copy, "%s", want);
    for (char *save, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        wanted++;
        if (!has_word(list, w))
            return false;
    }
    return have == wanted;
}

/* The attributes of mailbox `name` ("\HasNoChildren") in the LIST responses in text, into out;
   false when it is not listed. */
static bool list_attrs(const char *text, const char *name, struct mc_buf *out)
{
    const char *end = text + strlen(text);
    for (const char *r = find_response(text, "* LIST ("); r; r = find_response(r + 1, "* LIST (")) {
        const char *attrs = r + 8, *close = strchr(attrs, ')');
        const char *delim = close + 2, *mbox = skip_value(delim, end);
        ck_assert_msg(mbox && *mbox == ' ', "a LIST response cannot be read: %s", r);
        const char *mend = skip_value(mbox + 1, end);
        ck_assert_ptr_nonnull(mend);
        struct mc_buf got = {0};
        mc_buf_append(&got, "", 0);
        value_content(mbox + 1, mend, &got);
        bool match = strcmp(got.data, name) == 0;
        mc_buf_free(&got);
        if (match) {
            mc_buf_reset(out);
            mc_buf_append(out, attrs, (size_t)(close - attrs));
            return true;
        }
    }
    return false;
}

static bool listed(struct client *c, const char *name, struct mc_buf *attrs)
{
    imap(c, "OK", "LIST \"\" \"*\"");
    return list_attrs(c->resp.data, name, attrs);
}

/* The number STATUS mailbox (item) answers for item. */
static long status_item(struct client *c, const char *mailbox, const char *item)
{
    imap(c, "OK", "STATUS %s (%s)", mailbox, item);
    const char *r = find_response(c->resp.data, "* STATUS ");
    ck_assert_msg(r != NULL, "STATUS: %s", c->resp.data);
    char key[40];
    snprintf(key, sizeof key, "%s ", item);
    for (const char *p = strstr(r, key); p; p = strstr(p + 1, key))
        if (strchr(" (", p[-1]))
            return atol(p + strlen(key));
    ck_abort_msg("STATUS has no %s: %s", item, r);
    return -1;
}

/* An "* OK [CODE n]" or tagged "[CODE n]" number in text, -1 when there is none. */
static long code_number(const char *text, const char *code)
{
    char key[40];
    snprintf(key, sizeof key, "[%s ", code);
    const char *p = strstr(text, key);
    return p ? atol(p + strlen(key)) : -1;
}

/* APPENDs message to mailbox (opts: flags and date before the literal, may be ""); returns
   the UID from APPENDUID (RFC 4315). */
static uint32_t append(struct client *c, const char *mailbox, const char *opts, const char *message)
{
    char head[512];
    snprintf(head, sizeof head, "APPEND %s%s%s", mailbox, *opts ? " " : "", opts);
    imap_literal(c, "OK", head, message, strlen(message));
    unsigned validity = 0, uid = 0;
    const char *code = strstr(tagged(c), "[APPENDUID ");
    ck_assert_msg(code && sscanf(code, "[APPENDUID %u %u]", &validity, &uid) == 2, "APPEND: %s",
                  tagged(c));
    ck_assert_uint_gt(validity, 0);
    ck_assert_uint_gt(uid, 0);
    return uid;
}

/* "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 3501 date-time, quotes included) as a time; -1 if bad. */
static time_t parse_date_time(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm = {0};
    char mon[4];
    int zone;
    if (sscanf(s, "\"%2d-%3s-%4d %2d:%2d:%2d %5d\"", &tm.tm_mday, mon, &tm.tm_year, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &zone) != 7)
        return -1;
    const char *m = strstr(months, mon);
    if (!m || strlen(mon) != 3 || (m - months) % 3)
        return -1;
    tm.tm_mon = (int)(m - months) / 3;
    tm.tm_year -= 1900;
    int sign = zone < 0 ? -1 : 1;
    zone *= sign;
    return timegm(&tm) - sign * ((zone / 100) * 3600 + (zone % 100) * 60);
}

/* Delivers text (dot-stuffed, ending in CRLF) to rcpt over LMTP. */
static void lmtp_deliver(const char *rcpt, const char *text)
{
    static const char *const steps[][2] = {
        {NULL, "220"},
        {"LHLO client.example\r\n", "250"},
        {"MAIL FROM:<a@remote.example>\r\n", "250"},
        {"RCPT TO:<%s>\r\n", "250"},
        {"DATA\r\n", "354"},
        {"%s.\r\n", "250"},
        {"QUIT\r\n", "221"},
    };
    struct client *c = client_new(L_LMTP);
    struct mc_buf line = {0};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i][0]) {
            char buf[2048];
            snprintf(buf, sizeof buf, steps[i][0], i == 3 ? rcpt : text);
            client_send(c, buf);
        }
        do {
            mc_buf_reset(&line);
            ck_assert(client_line(c, &line));
        } while (line.len > 3 && line.data[3] == '-');
        ck_assert_msg(strncmp(line.data, steps[i][1], 3) == 0, "LMTP: %s", line.data);
    }
    mc_buf_free(&line);
    client_free(c);
}

static const char MSG1[] = "From: Ann <ann@example.org>\r\nTo: alice@localhost\r\n"
                           "Subject: first\r\nMessage-ID: <1@example.org>\r\n\r\nOne.\r\n";
static const char MSG2[] = "From: bea@example.org\r\nSubject: second\r\n\r\nTwo.\r\n";
static const char MSG3[] = "From: cid@example.org\r\nSubject: third\r\n\r\nThree.\r\n";

/* ---- greeting, CAPABILITY, LOGIN, LOGOUT ---- */

START_TEST(test_greeting_capability_logout)
{
    struct client *c = imap_connect(L_IMAP);
    /* RFC 9051 7.1: the greeting may carry CAPABILITY; this server does. */
    ck_assert_msg(strncmp(c->resp.data, "* OK [CAPABILITY ", 17) == 0, "%s", c->resp.data);
    ck_assert(has_word(c->resp.data, "IMAP4rev1"));
    imap(c, "OK", "CAPABILITY");
    const char *caps = find_response(c->resp.data, "* CAPABILITY ");
    ck_assert_ptr_nonnull(caps);
    ck_assert(has_word(caps, "IMAP4rev1"));
    ck_assert(has_word(caps, "STARTTLS"));
    ck_assert(has_word(caps, "AUTH=PLAIN"));
    ck_assert(!has_word(caps, "LOGINDISABLED"));
    imap(c, "BAD", "SELECT INBOX"); /* not in the not-authenticated state (RFC 3501 3) */
    imap(c, "NO", "LOGIN alice wrong");
    ck_assert_ptr_nonnull(strstr(tagged(c), "[AUTHENTICATIONFAILED]")); /* RFC 5530 3 */
    imap(c, "NO", "LOGIN nobody secret");
    ck_assert_ptr_nonnull(strstr(tagged(c), "[AUTHENTICATIONFAILED]"));
    imap(c, "OK", "LOGIN \"alice\" {6+}\r\nsecret"); /* astrings: quoted and literal */
    imap(c, "OK", "CAPABILITY");
    caps = find_response(c->resp.data, "* CAPABILITY ");
    ck_assert_ptr_nonnull(caps);
    ck_assert(has_word(caps, "IMAP4rev1"));
    ck_assert(!has_word(caps, "LOGINDISABLED"));
    ck_assert(!has_word(caps, "STARTTLS")); /* only valid before authentication */
    /* LOGOUT (RFC 3501 6.1.3): untagged BYE, then the tagged OK, then the server closes. */
    imap(c, "OK", "LOGOUT");
    ck_assert_ptr_nonnull(find_response(c->resp.data, "* BYE "));
    ck_assert_ptr_eq(find_response(c->resp.data, "* BYE "), c->resp.data);
    struct mc_buf rest = {0};
    ck_assert(!client_response(c, &rest));
    ck_assert(!c->timed_out);
    mc_buf_free(&rest);
    client_free(c);
}
END_TEST

START_TEST(test_imaps_implicit_tls)
{
    struct client *c = imap_connect(L_IMAPS);
    ck_assert(has_word(c->resp.data, "IMAP4rev1"));
    ck_assert(!has_word(c->resp.data, "STARTTLS")); /* already protected */
    imap(c, "BAD", "STARTTLS");
    imap(c, "OK", "LOGIN alice secret");
    imap(c, "OK", "SELECT INBOX");
    client_free(c);
}
END_TEST

/* ---- LOGINDISABLED and STARTTLS ---- */

START_TEST(test_logindisabled_until_starttls)
{
    struct client *c = imap_connect(L_IMAP_TLS_LOGIN);
    ck_assert(has_word(c->resp.data, "LOGINDISABLED"));
    imap(c, "OK", "CAPABILITY");
    const char *caps = find_response(c->resp.data, "* CAPABILITY ");
    ck_assert(has_word(caps, "LOGINDISABLED")); /* RFC 3501 6.2.3 */
    ck_assert(has_word(caps, "STARTTLS"));
    ck_assert_ptr_null(strstr(caps, "AUTH="));
    imap(c, "NO", "LOGIN alice secret");
    ck_assert_ptr_nonnull(strstr(tagged(c), "[PRIVACYREQUIRED]")); /* RFC 5530 3 */
    imap(c, "NO", "AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==");
    imap(c, "OK", "STARTTLS");
    client_tls(c);
    imap(c, "OK", "CAPABILITY");
    caps = find_response(c->resp.data, "* CAPABILITY ");
    ck_assert(!has_word(caps, "LOGINDISABLED"));
    ck_assert(!has_word(caps, "STARTTLS"));
    ck_assert(has_word(caps, "AUTH=PLAIN"));
    imap(c, "BAD", "STARTTLS");
    imap(c, "OK", "LOGIN alice secret");
    imap(c, "OK", "SELECT INBOX");
    client_free(c);
}
END_TEST

/* CVE-2011-0411: a command sent in the same packet as STARTTLS must not run inside the TLS
   session (RFC 9051 6.2.1: the client must wait for the tagged OK before sending more). */
START_TEST(test_starttls_discards_injection)
{
    struct client *c = imap_connect(L_IMAP);
    client_send(c, "a STARTTLS\r\nb NOOP\r\n");
    snprintf(c->tag, sizeof c->tag, "a");
    imap_wait(c, "OK", "STARTTLS");
    ck_assert_ptr_eq(tagged(c), c->resp.data); /* nothing else came */
    client_tls(c);
    client_send(c, "c NOOP\r\n");
    snprintf(c->tag, sizeof c->tag, "c");
    imap_wait(c, "OK", "NOOP");
    ck_assert_msg(find_response(c->resp.data, "b ") == NULL, "the injected NOOP ran: %s",
                  c->resp.data);
    ck_assert_ptr_eq(tagged(c), c->resp.data);
    client_free(c);
}
END_TEST

/* ---- AUTHENTICATE (RFC 9051 6.2.2, SASL-IR RFC 4959) ---- */

static void plain_response(const char *user, const char *password, struct mc_buf *out)
{
    struct mc_buf raw = {0};
    mc_buf_append_char(&raw, '\0');
    mc_buf_append_str(&raw, user);
    mc_buf_append_char(&raw, '\0');
    mc_buf_append_str(&raw, password);
    mc_base64_encode(raw.data, raw.len, out);
    mc_buf_free(&raw);
}

START_TEST(test_authenticate_plain)
{
    struct mc_buf good = {0}, bad = {0}, line = {0};
    plain_response("alice", "secret", &good);
    plain_response("alice", "wrong", &bad);
    struct client *c = imap_connect(L_IMAP);
    ck_assert(has_word(c->resp.data, "SASL-IR"));
    /* Cancelled: "*" gets BAD. */
    next_tag(c);
    mc_buf_printf(&line, "%s AUTHENTICATE PLAIN\r\n", c->tag);
    client_send(c, line.data);
    mc_buf_reset(&line);
    ck_assert(client_response(c, &line));
    ck_assert_msg(strcmp(line.data, "+ ") == 0 || strcmp(line.data, "+") == 0, "%s", line.data);
    client_send(c, "*\r\n");
    imap_wait(c, "BAD", "AUTHENTICATE cancelled");
    /* Wrong password with an initial response. */
    imap(c, "NO", "AUTHENTICATE PLAIN %s", bad.data);
    ck_assert_ptr_nonnull(strstr(tagged(c), "[AUTHENTICATIONFAILED]"));
    imap(c, "BAD", "SELECT INBOX"); /* still not authenticated */
    /* Without an initial response: "+ ", then the response on its own line. */
    next_tag(c);
    mc_buf_reset(&line);
    mc_buf_printf(&line, "%s AUTHENTICATE PLAIN\r\n", c->tag);
    client_send(c, line.data);
    mc_buf_reset(&line);
    ck_assert(client_response(c, &line));
    ck_assert_msg(line.data[0] == '+', "%s", line.data);
    mc_buf_reset(&line);
    mc_buf_printf(&line, "%s\r\n", good.data);
    client_send(c, line.data);
    imap_wait(c, "OK", "AUTHENTICATE without SASL-IR");
    imap(c, "OK", "SELECT INBOX");
    client_free(c);
    /* SASL-IR: the response on the command line, no continuation. */
    c = imap_connect(L_IMAP);
    imap(c, "OK", "AUTHENTICATE PLAIN %s", good.data);
    ck_assert_ptr_eq(tagged(c), c->resp.data); /* no "+" came first */
    imap(c, "OK", "SELECT INBOX");
    client_free(c);
    mc_buf_free(&good);
    mc_buf_free(&bad);
    mc_buf_free(&line);
}
END_TEST

/* ---- literal and line limits ---- */

/* APPENDLIMIT=n (RFC 7889) from CAPABILITY, asserted present. */
static long appendlimit(struct client *c)
{
    imap(c, "OK", "CAPABILITY");
    const char *caps = find_response(c->resp.data, "* CAPABILITY ");
    const char *p = caps ? strstr(caps, " APPENDLIMIT=") : NULL;
    ck_assert_msg(p != NULL, "no APPENDLIMIT: %s", c->resp.data);
    long limit = atol(p + 13);
    ck_assert_int_gt(limit, 0);
    return limit;
}

/* RFC 7888 4 / RFC 9051 4.3: a synchronizing literal the server will not take is refused
   before the client sends it; the session goes on. The server must not allocate for it. */
START_TEST(test_sync_literal_too_big)
{
    struct client *c = imap_login("alice", "secret");
    char over[32];
    snprintf(over, sizeof over, "%ld", appendlimit(c) + 1);
    long peak = child_status_kib("VmPeak");
    const char *const sizes[] = {"4294967296", "40000000", over, "99999999999999999999"};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        next_tag(c);
        char line[128];
        snprintf(line, sizeof line, "%s APPEND INBOX {%s}\r\n", c->tag, sizes[i]);
        client_send(c, line);
        imap_wait(c, "NO", sizes[i]);
        ck_assert_msg(c->resp.data[0] != '+', "{%s}: a continuation came: %s", sizes[i],
                      c->resp.data);
        ck_assert_msg(strstr(tagged(c), "[TOOBIG]") != NULL, "{%s}: %s", sizes[i], tagged(c));
        imap(c, "OK", "NOOP"); /* still usable: nothing of the literal is awaited */
    }
    imap(c, "OK", "STATUS INBOX (MESSAGES)");
    ck_assert_ptr_nonnull(strstr(c->resp.data, "(MESSAGES 0)"));
    long grown = child_status_kib("VmPeak") - peak;
    ck_assert_msg(grown < 16 * 1024, "the server's address space grew by %ld KiB", grown);
    client_free(c);
}
END_TEST

/* Before login, literals are limited to what LOGIN could need (IMAP_PREAUTH_LITERAL_MAX, 8192
   octets): a client that has not authenticated cannot make the server hold 32 MiB. */
START_TEST(test_preauth_literal_limited)
{
    struct client *c = imap_connect(L_IMAP);
    snprintf(c->tag, sizeof c->tag, "p1");
    client_send(c, "p1 LOGIN {8193}\r\n");
    imap_wait(c, "NO", "an 8193-octet literal before login");
    ck_assert_msg(c->resp.data[0] != '+', "a continuation came: %s", c->resp.data);
    ck_assert_msg(strstr(tagged(c), "[TOOBIG]") != NULL, "%s", tagged(c));
    snprintf(c->tag, sizeof c->tag, "p2");
    client_send(c, "p2 LOGIN {5}\r\n");
    struct mc_buf line = {0};
    ck_assert(client_line(c, &line));
    ck_assert_msg(line.data[0] == '+', "a small literal before login is taken: %s", line.data);
    client_send(c, "alice {6}\r\n");
    mc_buf_reset(&line);
    ck_assert(client_line(c, &line));
    ck_assert_msg(line.data[0] == '+', "%s", line.data);
    mc_buf_free(&line);
    client_send(c, "secret\r\n");
    imap_wait(c, "OK", "LOGIN with literals");
    client_free(c);
}
END_TEST

/* A client that pipelines big FETCHes and never reads the replies: the server stops taking
   its commands while RS_OUTPUT_HIGH_WATER of replies wait, so it holds about one reply, not
   thirty. */
START_TEST(test_unread_replies_bounded)
{
    struct client *c = imap_login("bob", "builder");
    enum { MSG_SIZE = 1024 * 1024, MSGS = 4, FETCHES = 30 };
    char *big = malloc(MSG_SIZE + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'y', MSG_SIZE);
    memcpy(big, "Subject: big\r\n\r\n", 16);
    for (size_t i = 100; i < MSG_SIZE; i += 100)
        memcpy(big + i - 2, "\r\n", 2);
    big[MSG_SIZE] = '\0';
    for (int i = 0; i < MSGS; i++)
        imap_literal(c, "OK", "APPEND INBOX", big, MSG_SIZE);
    free(big);
    imap(c, "OK", "SELECT INBOX");
    long before = child_status_kib("VmRSS");
    struct mc_buf cmds = {0};
    for (int i = 0; i < FETCHES; i++)
        mc_buf_printf(&cmds, "f%d FETCH 1:* (BODY.PEEK[])\r\n", i);
    client_send(c, cmds.data);
    mc_buf_free(&cmds);
    refserver_wait_quiet(&srv, c->fd); /* the server does what it will; we read nothing */
    long grown = child_status_kib("VmRSS") - before;
    ck_assert_msg(grown < 48 * 1024, "the server holds %ld KiB of unread replies", grown);
    client_free(c);
}
END_TEST

/* APPENDLIMIT (RFC 7889 2): a message of exactly that size is accepted. */
START_TEST(test_appendlimit_exact)
{
    struct client *c = imap_login("alice", "secret");
    size_t limit = (size_t)appendlimit(c);
    char *big = malloc(limit + 1);
    ck_assert_ptr_nonnull(big);
    static const char head[] = "Subject: big\r\n\r\n";
    memcpy(big, head, strlen(head));
    for (size_t i = strlen(head); i < limit; i++) /* 78 octets and CRLF a line */
        big[i] = (i - strlen(head)) % 80 == 78 ? '\r' : (i - strlen(head)) % 80 == 79 ? '\n' : 'x';
    memcpy(big + limit - 2, "\r\n", 2);
    big[limit] = '\0';
    imap_literal(c, "OK", "APPEND INBOX", big, limit);
    free(big);
    imap(c, "OK", "EXAMINE INBOX");
    imap(c, "OK", "FETCH 1 RFC822.SIZE");
    struct mc_buf item = {0};
    ck_assert(fetch_item(c->resp.data, 1, "RFC822.SIZE", &item));
    ck_assert_uint_eq(strtoul(item.data, NULL, 10), limit);
    mc_buf_free(&item);
    client_free(c);
}
END_TEST

/* A non-synchronizing literal that is too big cannot be skipped: BYE and close (RFC 7888 4). */
START_TEST(test_nonsync_literal_too_big_closes)
{
    struct client *c = imap_login("alice", "secret");
    long peak = child_status_kib("VmPeak");
    client_send(c, "x APPEND INBOX {4294967296+}\r\n");
    struct mc_buf all = {0};
    mc_buf_append(&all, "", 0);
    while (client_response(c, &all))
        mc_buf_append(&all, "\r\n", 2);
    ck_assert_msg(!c->timed_out, "no close: %s", all.data);
    ck_assert_msg(find_response(all.data, "* BYE ") != NULL, "no BYE: %s", all.data);
    ck_assert_ptr_null(find_response(all.data, "x OK"));
    long grown = child_status_kib("VmPeak") - peak;
    ck_assert_msg(grown < 16 * 1024, "the server's address space grew by %ld KiB", grown);
    mc_buf_free(&all);
    client_free(c);
    c = imap_login("alice", "secret"); /* the server is fine */
    client_free(c);
}
END_TEST

/* A command line longer than the server takes (8192 octets, RFC 7162 4): that command gets
   BAD [TOOBIG] at once, before its line ends; the rest of the line is thrown away as it comes
   (however long), and the session goes on; other clients are served meanwhile. */
START_TEST(test_long_line_refused)
{
    struct client *bystander = imap_login("bob", "builder");
    struct client *c = imap_connect(L_IMAP);
    /* 8192 octets with the CRLF: taken (RFC 7162 4 asks for at least 8192). */
    char ok_line[8192 + 1];
    int n = snprintf(ok_line, sizeof ok_line, "t0 LOGIN bob \"");
    memset(ok_line + n, 'p', sizeof ok_line - 1 - (size_t)n - 3);
    memcpy(ok_line + sizeof ok_line - 4, "\"\r\n", 4);
    ck_assert_uint_eq(strlen(ok_line), 8192);
    client_send(c, ok_line);
    snprintf(c->tag, sizeof c->tag, "t0");
    imap_wait(c, "NO", "an 8192-octet LOGIN");
    static char line[100001];
    memcpy(line, "a LOGIN ", 8);
    memset(line + 8, 'x', sizeof line - 9);
    line[sizeof line - 1] = '\0';
    client_send(c, line); /* no CRLF yet */
    snprintf(c->tag, sizeof c->tag, "a");
    imap_wait(c, "BAD", "a 100000-octet line");
    ck_assert_msg(strstr(c->resp.data, "[TOOBIG]") != NULL, "%s", c->resp.data);
    client_send(c, line + 8); /* more of the same line, then its end */
    client_send(c, "\r\n");
    imap(c, "OK", "NOOP"); /* the rest was thrown away, the session goes on */
    /* An over-long line ending in a non-synchronizing literal: the literal's octets belong to
       the refused command and must never run as commands (they are skipped). */
    imap(c, "OK", "LOGIN alice secret");
    memcpy(line, "l1 APPEND INBOX ", 16);
    memcpy(line + sizeof line - 8, "{21+}\r\n", 8);
    client_send(c, line);
    client_send(c, "x1 CREATE injected\r\n");   /* the 21 literal octets */
    client_send(c, " x2 CREATE injected2\r\n"); /* the rest of the refused command */
    snprintf(c->tag, sizeof c->tag, "l1");
    imap_wait(c, "BAD", "an over-long APPEND line");
    const char *r = imap(c, "OK", "LIST \"\" injected*");
    ck_assert_msg(!find_response(r, "* LIST"), "literal octets ran as a command: %s", r);
    /* ... and with a synchronizing literal: no "+" comes, so the client sends no octets. */
    memcpy(line + sizeof line - 7, "{21}\r\n", 7);
    client_send(c, line);
    snprintf(c->tag, sizeof c->tag, "l1");
    imap_wait(c, "BAD", "an over-long APPEND line with a synchronizing literal");
    imap(c, "OK", "NOOP");
    imap(bystander, "OK", "NOOP");
    imap(bystander, "OK", "SELECT INBOX");
    client_free(bystander);
    client_free(c);
}
END_TEST

/* ---- APPEND and FETCH ---- */

START_TEST(test_append_fetch_roundtrip)
{
    struct client *c = imap_login("alice", "secret");
    long validity = status_item(c, "INBOX", "UIDVALIDITY");
    uint32_t uid = append(c, "INBOX", "(\\Flagged $Label) \"14-Jul-2023 10:11:12 +0200\"", MSG1);
    unsigned v = 0;
    sscanf(strstr(tagged(c), "[APPENDUID "), "[APPENDUID %u", &v);
    ck_assert_uint_eq(v, (unsigned long)validity);
    imap(c, "OK", "SELECT INBOX");
    imap(c, "OK", "FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])");
    struct mc_buf item = {0};
    ck_assert(fetch_item(c->resp.data, 1, "UID", &item));
    ck_assert_uint_eq(strtoul(item.data, NULL, 10), uid);
    ck_assert(fetch_item(c->resp.data, 1, "FLAGS", &item));
    ck_assert_msg(flags_are(item.data, "\\Flagged $Label \\Recent"), "FLAGS %s", item.data);
    ck_assert(fetch_item(c->resp.data, 1, "INTERNALDATE", &item));
    /* item holds the date without quotes: put them back for the parser. */
    char date[64];
    snprintf(date, sizeof date, "\"%s\"", item.data);
    ck_assert_msg(parse_date_time(date) == parse_date_time("\"14-Jul-2023 10:11:12 +0200\""),
                  "INTERNALDATE %s", item.data);
    ck_assert(fetch_item(c->resp.data, 1, "RFC822.SIZE", &item));
    ck_assert_uint_eq(strtoul(item.data, NULL, 10), strlen(MSG1));
    ck_assert(fetch_item(c->resp.data, 1, "BODY[]", &item));
    ck_assert_uint_eq(item.len, strlen(MSG1));
    ck_assert_mem_eq(item.data, MSG1, item.len);
    /* BODY[] (no PEEK) sets \Seen and says so with FLAGS. */
    imap(c, "OK", "FETCH 1 BODY[]");
    ck_assert(fetch_item(c->resp.data, 1, "BODY[]", &item));
    ck_assert_mem_eq(item.data, MSG1, strlen(MSG1));
    ck_assert(fetch_item(c->resp.data, 1, "FLAGS", &item));
    ck_assert_msg(flags_are(item.data, "\\Flagged $Label \\Recent \\Seen"), "%s", item.data);
    /* A missing mailbox: NO [TRYCREATE] (RFC 3501 6.3.11). */
    imap_literal(c, "NO", "APPEND Nowhere", MSG2, strlen(MSG2));
    ck_assert_msg(strstr(tagged(c), "[TRYCREATE]") != NULL, "%s", tagged(c));
    /* LITERAL+ (RFC 7888): no continuation; the messages arrive in the selected mailbox. */
    next_tag(c);
    char line[256];
    snprintf(line, sizeof line,
             "%s APPEND INBOX (\\Seen) \" 4-Jul-2023 00:00:00 -0700\" {%zu+}\r\n", c->tag,
             strlen(MSG2));
    client_send(c, line);
    client_send(c, MSG2);
    client_send(c, "\r\n");
    imap_wait(c, "OK", "APPEND LITERAL+");
    ck_assert_msg(c->resp.data[0] != '+', "LITERAL+ got a continuation: %s", c->resp.data);
    ck_assert_ptr_nonnull(strstr(tagged(c), "[APPENDUID "));
    ck_assert_msg(find_response(c->resp.data, "* 2 EXISTS\r\n") != NULL, "%s", c->resp.data);
    imap(c, "OK", "FETCH 2 (FLAGS INTERNALDATE BODY.PEEK[])");
    ck_assert(fetch_item(c->resp.data, 2, "BODY[]", &item));
    ck_assert_str_eq(item.data, MSG2);
    ck_assert(fetch_item(c->resp.data, 2, "INTERNALDATE", &item));
    snprintf(date, sizeof date, "\"%s\"", item.data);
    ck_assert_msg(parse_date_time(date) == parse_date_time("\"04-Jul-2023 07:00:00 +0000\""),
                  "INTERNALDATE %s", item.data);
    ck_assert(fetch_item(c->resp.data, 2, "FLAGS", &item));
    ck_assert_msg(has_word(item.data, "\\Seen"), "%s", item.data);
    mc_buf_free(&item);
    client_free(c);
}
END_TEST

/* ---- two sessions on one mailbox (RFC 3501 5.2, 7.4.1) ---- */

START_TEST(test_other_session_changes)
{
    struct client *a = imap_login("alice", "secret"), *b = imap_login("alice", "secret");
    append(a, "INBOX", "", MSG1);
    append(a, "INBOX", "", MSG2);
    uint32_t uid3 = append(a, "INBOX", "", MSG3);
    imap(a, "OK", "SELECT INBOX");
    imap(b, "OK", "SELECT INBOX");
    struct mc_buf flags = {0};
    /* A flag change by B reaches A at A's next command. */
    imap(b, "OK", "STORE 1 +FLAGS (\\Flagged)");
    fetch_flags(b->resp.data, 1, &flags);
    ck_assert_msg(has_word(flags.data, "\\Flagged"), "B's own STORE: %s", b->resp.data);
    imap(a, "OK", "NOOP");
    fetch_flags(a->resp.data, 1, &flags);
    ck_assert_msg(has_word(flags.data, "\\Flagged"), "A's NOOP: %s", a->resp.data);
    ck_assert_msg(has_word(flags.data, "\\Recent"), "A claimed \\Recent: %s", flags.data);
    /* B expunges message 2. */
    imap(b, "OK", "STORE 2 +FLAGS.SILENT (\\Deleted)");
    imap(b, "OK", "EXPUNGE");
    ck_assert_ptr_nonnull(find_response(b->resp.data, "* 2 EXPUNGE\r\n"));
    /* A's FETCH must not announce it (sequence numbers must not shift under FETCH): message 3
       is still message 3. */
    imap(a, "OK", "FETCH 3 (UID FLAGS)");
    ck_assert_msg(strstr(a->resp.data, "EXPUNGE") == NULL, "EXPUNGE during FETCH: %s",
                  a->resp.data);
    struct mc_buf item = {0};
    ck_assert_msg(fetch_item(a->resp.data, 3, "UID", &item), "%s", a->resp.data);
    ck_assert_uint_eq(strtoul(item.data, NULL, 10), uid3);
    imap(a, "OK", "STORE 3 +FLAGS (\\Answered)"); /* nor during STORE */
    ck_assert_msg(strstr(a->resp.data, "EXPUNGE") == NULL, "EXPUNGE during STORE: %s",
                  a->resp.data);
    fetch_flags(a->resp.data, 3, &flags);
    ck_assert_msg(has_word(flags.data, "\\Answered"), "%s", a->resp.data);
    imap(a, "OK", "SEARCH ALL"); /* nor during SEARCH */
    ck_assert_ptr_null(strstr(a->resp.data, "EXPUNGE"));
    ck_assert_ptr_nonnull(find_response(a->resp.data, "* SEARCH 1 2 3\r\n"));
    /* UID FETCH may report it; NOOP must have by its end: exactly once in all. */
    imap(a, "OK", "UID FETCH 1:* FLAGS");
    int expunges = count_responses(a->resp.data, "* 2 EXPUNGE\r\n");
    imap(a, "OK", "NOOP");
    expunges += count_responses(a->resp.data, "* 2 EXPUNGE\r\n");
    ck_assert_int_eq(expunges, 1);
    ck_assert_ptr_null(strstr(a->resp.data, "* 3 EXPUNGE"));
    imap(a, "OK", "FETCH 2 UID");
    ck_assert(fetch_item(a->resp.data, 2, "UID", &item));
    ck_assert_uint_eq(strtoul(item.data, NULL, 10), uid3);
    imap(a, "BAD", "FETCH 3 UID"); /* there is no message 3 any more */
    mc_buf_free(&item);
    mc_buf_free(&flags);
    client_free(a);
    client_free(b);
}
END_TEST

/* ---- IDLE (RFC 2177) ---- */

/* Reads responses until one begins with prefix, which it returns (in buf). */
static const char *await_untagged(struct client *c, struct mc_buf *buf, const char *prefix)
{
    for (;;) {
        mc_buf_reset(buf);
        ck_assert_msg(client_response(c, buf), "waiting for \"%s\": %s", prefix,
                      c->timed_out ? "timed out" : "the connection ended");
        if (strncmp(buf->data, prefix, strlen(prefix)) == 0)
            return buf->data;
    }
}

START_TEST(test_idle_reports_delivery)
{
    struct client *a = imap_login("alice", "secret");
    imap(a, "OK", "SELECT INBOX");
    ck_assert_ptr_nonnull(find_response(a->resp.data, "* 0 EXISTS\r\n"));
    next_tag(a);
    char line[64];
    snprintf(line, sizeof line, "%s IDLE\r\n", a->tag);
    client_send(a, line);
    struct mc_buf r = {0};
    ck_assert(client_response(a, &r));
    ck_assert_msg(r.data[0] == '+', "IDLE: %s", r.data);
    lmtp_deliver("alice@localhost", "Subject: delivered\r\n\r\nhello\r\n");
    await_untagged(a, &r, "* 1 EXISTS");
    struct client *b = imap_login("alice", "secret");
    append(b, "INBOX", "", MSG2);
    await_untagged(a, &r, "* 2 EXISTS");
    imap(b, "OK", "SELECT INBOX");
    imap(b, "OK", "STORE 2 +FLAGS (\\Flagged)");
    await_untagged(a, &r, "* 2 FETCH (");
    ck_assert_msg(strstr(r.data, "\\Flagged") != NULL, "%s", r.data);
    imap(b, "OK", "STORE 1 +FLAGS.SILENT (\\Deleted)");
    await_untagged(a, &r, "* 1 FETCH (");
    imap(b, "OK", "EXPUNGE");
    await_untagged(a, &r, "* 1 EXPUNGE"); /* allowed during IDLE (RFC 2177 3) */
    client_send(a, "DONE\r\n");
    imap_wait(a, "OK", "IDLE");
    imap(a, "OK", "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    ck_assert(fetch_item(a->resp.data, 1, "BODY[HEADER.FIELDS (SUBJECT)]", &r));
    ck_assert_str_eq(r.data, "Subject: second\r\n\r\n");
    ck_assert(!fetch_item(a->resp.data, 2, "BODY[HEADER.FIELDS (SUBJECT)]", &r));
    mc_buf_free(&r);
    client_free(a);
    client_free(b);
}
END_TEST

/* RFC 9051 5.4 / 7.1.5: a session the server times out gets BYE before the close. */
START_TEST(test_autologout_bye)
{
    struct client *c = imap_connect(L_IMAP_IMPATIENT);
    struct mc_buf r = {0};
    ck_assert(client_response(c, &r));
    ck_assert_msg(strncmp(r.data, "* BYE ", 6) == 0, "%s", r.data);
    ck_assert(!client_response(c, &r));
    ck_assert(!c->timed_out);
    mc_buf_free(&r);
    client_free(c);
}
END_TEST

/* ---- SELECT, EXAMINE, \Recent (RFC 3501 6.3.1, 6.3.2) ---- */

START_TEST(test_select_examine_recent)
{
    struct client *a = imap_login("alice", "secret"), *b = imap_login("alice", "secret"),
                  *c = imap_login("alice", "secret");
    append(a, "INBOX", "(\\Seen)", MSG1);
    uint32_t last = append(a, "INBOX", "", MSG2);
    /* EXAMINE: read-only, and it must not take \Recent or set \Seen. */
    imap(b, "OK", "EXAMINE INBOX");
    ck_assert_msg(strncmp(tagged(b) + strlen(b->tag), " OK [READ-ONLY]", 15) == 0, "%s", tagged(b));
    imap(b, "NO", "STORE 1 +FLAGS (\\Flagged)");
    imap(b, "NO", "EXPUNGE");
    imap(b, "OK", "FETCH 2 BODY[]");
    /* SELECT: every required response (RFC 3501 6.3.1). */
    const char *r = imap(a, "OK", "SELECT INBOX");
    const char *flags = find_response(r, "* FLAGS (");
    ck_assert_msg(flags != NULL, "%s", r);
    ck_assert(has_word(flags, "\\Seen") && has_word(flags, "\\Answered"));
    ck_assert(has_word(flags, "\\Flagged"));
    ck_assert(has_word(flags, "\\Deleted") && has_word(flags, "\\Draft"));
    ck_assert_msg(find_response(r, "* 2 EXISTS\r\n") != NULL, "%s", r);
    ck_assert_msg(find_response(r, "* 2 RECENT\r\n") != NULL, "EXAMINE took \\Recent: %s", r);
    ck_assert_msg(find_response(r, "* OK [UNSEEN 2]") != NULL, "%s", r);
    ck_assert_msg(find_response(r, "* OK [PERMANENTFLAGS (") != NULL, "%s", r);
    ck_assert_msg(code_number(r, "UIDVALIDITY") > 0, "%s", r);
    ck_assert_msg(find_response(r, "* OK [UIDVALIDITY ") != NULL, "%s", r);
    ck_assert_msg(find_response(r, "* OK [UIDNEXT ") != NULL, "%s", r);
    ck_assert_int_gt(code_number(r, "UIDNEXT"), (long)last);
    ck_assert_msg(strncmp(tagged(a) + strlen(a->tag), " OK [READ-WRITE]", 16) == 0, "%s",
                  tagged(a));
    struct mc_buf f2 = {0};
    imap(a, "OK", "FETCH 1:2 FLAGS");
    fetch_flags(a->resp.data, 2, &f2);
    ck_assert_msg(flags_are(f2.data, "\\Recent"), "after EXAMINE's FETCH BODY[]: %s", f2.data);
    fetch_flags(a->resp.data, 1, &f2);
    ck_assert_msg(flags_are(f2.data, "\\Recent \\Seen"), "%s", f2.data);
    /* A second SELECT gets no \Recent: the first session claimed them. */
    r = imap(c, "OK", "SELECT INBOX");
    ck_assert_msg(find_response(r, "* 0 RECENT\r\n") != NULL, "%s", r);
    imap(c, "OK", "FETCH 2 FLAGS");
    fetch_flags(c->resp.data, 2, &f2);
    ck_assert_msg(flags_are(f2.data, ""), "%s", f2.data);
    imap(c, "OK", "STORE 2 +FLAGS (\\Answered)"); /* read-write */
    imap(c, "NO", "SELECT Nowhere"); /* a failed SELECT leaves no mailbox selected (6.3.1) */
    imap(c, "BAD", "FETCH 1 FLAGS");
    r = imap(c, "OK", "SELECT inbox"); /* INBOX in any case (RFC 3501 5.1) */
    ck_assert_msg(find_response(r, "* 2 EXISTS\r\n") != NULL, "%s", r);
    mc_buf_free(&f2);
    client_free(a);
    client_free(b);
    client_free(c);
}
END_TEST

/* ---- ENABLE IMAP4rev2 (RFC 9051), ESEARCH (RFC 4731) ---- */

/* The value after `key` in an ESEARCH response line ("MIN 1", "ALL 1,3:4"), into out. */
static bool esearch_value(const char *line, const char *key, char *out, size_t size)
{
    char want[64];
    snprintf(want, sizeof want, " %s ", key);
    size_t end = strcspn(line, "\r\n");
    const char *p = strstr(line, want);
    if (!p || p >= line + end)
        return false;
    p += strlen(want);
    snprintf(out, size, "%.*s", (int)strcspn(p, " \r\n"), p);
    return true;
}

static bool esearch_has(const char *line, const char *key, const char *value)
{
    char got[256];
    return esearch_value(line, key, got, sizeof got) && strcmp(got, value) == 0;
}

/* Does the sequence set (numbers and ranges, below 64) name exactly the numbers in want? */
static bool seqset_is(const char *set, const char *want)
{
    bool in[64] = {false}, wanted[64] = {false};
    for (const char *p = set; *p;) {
        char *e;
        unsigned long lo = strtoul(p, &e, 10), hi = lo;
        if (*e == ':')
            hi = strtoul(e + 1, &e, 10);
        if (lo > hi) { /* "4:3" is "3:4" (RFC 9051 9) */
            unsigned long t = lo;
            lo = hi;
            hi = t;
        }
        if (e == p || (*e && *e != ',') || hi >= 64)
            return false;
        for (unsigned long i = lo; i <= hi; i++)
            in[i] = true;
        p = *e ? e + 1 : e;
    }
    for (const char *p = want; *p;) {
        char *e;
        wanted[strtoul(p, &e, 10)] = true;
        p = *e ? e + 1 : e;
    }
    return memcmp(in, wanted, sizeof in) == 0;
}

START_TEST(test_enable_rev2_and_esearch)
{
    struct client *c = imap_login("alice", "secret");
    append(c, "INBOX", "", MSG1);
    append(c, "INBOX", "(\\Seen)", MSG2);
    append(c, "INBOX", "", MSG3);
    /* IMAP4rev1 with ESEARCH's RETURN options. */
    imap(c, "OK", "SELECT INBOX");
    imap(c, "OK", "SEARCH RETURN (MIN MAX COUNT) UNSEEN");
    char head[64];
    snprintf(head, sizeof head, "* ESEARCH (TAG \"%s\")", c->tag);
    const char *es = find_response(c->resp.data, head);
    ck_assert_msg(es != NULL, "%s", c->resp.data);
    ck_assert(esearch_has(es, "MIN", "1") && esearch_has(es, "MAX", "3"));
    ck_assert(esearch_has(es, "COUNT", "2"));
    ck_assert_ptr_null(find_response(c->resp.data, "* SEARCH"));
    imap(c, "OK", "SEARCH UNSEEN");
    ck_assert_ptr_nonnull(find_response(c->resp.data, "* SEARCH 1 3\r\n"));
    /* SEARCHRES (RFC 5182): SAVE alone answers nothing; "$" then names those messages in
       FETCH, in UID SEARCH and as a search key; SAVE with MAX keeps only the last one. */
    imap(c, "OK", "SEARCH RETURN (SAVE) UNSEEN");
    ck_assert_msg(!find_response(c->resp.data, "* SEARCH") &&
                      !find_response(c->resp.data, "* ESEARCH"),
                  "SAVE alone: %s", c->resp.data);
    imap(c, "OK", "FETCH $ (FLAGS)");
    ck_assert_msg(find_response(c->resp.data, "* 1 FETCH") &&
                      find_response(c->resp.data, "* 3 FETCH") &&
                      !find_response(c->resp.data, "* 2 FETCH"),
                  "%s", c->resp.data);
    imap(c, "OK", "SEARCH $ NOT 3");
    ck_assert_ptr_nonnull(find_response(c->resp.data, "* SEARCH 1\r\n"));
    imap(c, "OK", "SEARCH RETURN (SAVE MAX) UNSEEN");
    imap(c, "OK", "SEARCH $");
    ck_assert_ptr_nonnull(find_response(c->resp.data, "* SEARCH 3\r\n"));
    imap(c, "BAD", "FETCH 1,$ (FLAGS)");
    imap(c, "BAD", "SEARCH RETURN (SAVE) NOSUCHKEY"); /* a failed SAVE empties "$" */
    imap(c, "OK", "SEARCH $");
    ck_assert_ptr_nonnull(find_response(c->resp.data, "* SEARCH\r\n"));
    imap(c, "OK", "LOGOUT");
    client_free(c);
    /* IMAP4rev2. */
    c = imap_login("alice", "secret");
    imap(c, "OK", "ENABLE IMAP4rev2");
    ck_assert_msg(find_response(c->resp.data, "* ENABLED IMAP4rev2\r\n") != NULL, "%s",
                  c->resp.data);
    const char *r = imap(c, "OK", "SELECT INBOX");
    ck_assert_msg(find_response(r, "* 3 EXISTS\r\n") != NULL, "%s", r);
    ck_assert_msg(strstr(r, "RECENT") == NULL, "RECENT in IMAP4rev2 (RFC 9051 6.3.2): %s", r);
    ck_assert_msg(find_response(r, "* LIST ") != NULL, "RFC 9051 6.3.2 wants LIST: %s", r);
    ck_assert_msg(find_response(r, "* OK [UIDVALIDITY ") != NULL, "%s", r);
    ck_assert_msg(find_response(r, "* OK [UIDNEXT ") != NULL, "%s", r);
    append(c, "INBOX", "", MSG3); /* a new message while selected: EXISTS, never RECENT */
    ck_assert_msg(find_response(c->resp.data, "* 4 EXISTS\r\n") != NULL, "%s", c->resp.data);
    ck_assert_msg(strstr(c->resp.data, "RECENT") == NULL, "%s", c->resp.data);
    imap(c, "OK", "SEARCH UNSEEN");
    snprintf(head, sizeof head, "* ESEARCH (TAG \"%s\")", c->tag);
    es = find_response(c->resp.data, head);
    ck_assert_msg(es != NULL, "rev2 SEARCH answers ESEARCH (RFC 9051 6.4.4): %s", c->resp.data);
    char all[256];
    ck_assert_msg(esearch_value(es, "ALL", all, sizeof all) && seqset_is(all, "1 3 4"), "%s", es);
    ck_assert_ptr_null(find_response(c->resp.data, "* SEARCH"));
    imap(c, "OK", "UID SEARCH SUBJECT nothing-matches");
    snprintf(head, sizeof head, "* ESEARCH (TAG \"%s\") UID\r\n", c->tag);
    ck_assert_msg(find_response(c->resp.data, head) != NULL, "%s", c->resp.data);
    struct mc_buf f = {0};
    imap(c, "OK", "FETCH 1 FLAGS");
    fetch_flags(c->resp.data, 1, &f);
    ck_assert_msg(!has_word(f.data, "\\Recent"), "\\Recent in IMAP4rev2: %s", f.data);
    /* Selecting again closes the mailbox first: OK [CLOSED] before the new responses. */
    r = imap(c, "OK", "EXAMINE INBOX");
    const char *closed = find_response(r, "* OK [CLOSED]");
    ck_assert_msg(closed && closed < find_response(r, "* 4 EXISTS"), "RFC 9051 6.3.2: %s", r);
    mc_buf_free(&f);
    client_free(c);
}
END_TEST

/* ---- mailbox names (RFC 3501 5.1.3, RFC 9051 5.1) ---- */

START_TEST(test_mailbox_names)
{
    struct client *c = imap_login("alice", "secret");
    struct mc_buf attrs = {0};
    const char *r = imap(c, "OK", "LIST \"\" \"\""); /* the separator (RFC 3501 6.3.8) */
    ck_assert_msg(find_response(r, "* LIST (\\Noselect) \"/\" \"\"\r\n") != NULL, "%s", r);
    imap(c, "OK", "CREATE \"Entw&APw-rfe\"");
    ck_assert(listed(c, "Entw&APw-rfe", &attrs));
    imap(c, "OK", "SELECT \"Entw&APw-rfe\"");
    imap(c, NULL, "CREATE \"&AGE-\""); /* "a" written as base64: not canonical */
    ck_assert_msg(!tagged_is(c, "OK"), "%s", tagged(c));
    imap(c, NULL, "CREATE \"&Jjo\""); /* unterminated */
    ck_assert_msg(!tagged_is(c, "OK"), "%s", tagged(c));
    ck_assert(!listed(c, "a", &attrs));
    ck_assert(!listed(c, "&AGE-", &attrs));
    /* IMAP4rev2: UTF-8 names both ways. */
    struct client *u = imap_login("alice", "secret");
    imap(u, "OK", "ENABLE IMAP4rev2");
    ck_assert_msg(listed(u, "Entw\303\274rfe", &attrs), "%s", u->resp.data);
    ck_assert(!listed(u, "Entw&APw-rfe", &attrs));
    imap(u, "OK", "CREATE \"Gr\303\266\303\237e\""); /* Größe */
    ck_assert_msg(listed(c, "Gr&APYA3w-e", &attrs), "%s", c->resp.data);
    imap(u, "OK", "SELECT \"Entw\303\274rfe\"");
    mc_buf_free(&attrs);
    client_free(c);
    client_free(u);
}
END_TEST

/* ---- COPY, MOVE, UID EXPUNGE, CLOSE, UNSELECT ---- */

START_TEST(test_copy_move_expunge)
{
    struct client *c = imap_login("alice", "secret");
    for (int i = 0; i < 5; i++)
        append(c, "INBOX", i == 0 ? "(\\Flagged $Work)" : "", i % 2 ? MSG2 : MSG1);
    imap(c, "OK", "CREATE Dest");
    long dest_validity = status_item(c, "Dest", "UIDVALIDITY");
    imap(c, "OK", "SELECT INBOX");
    imap(c, "NO", "COPY 1 Nowhere");
    ck_assert_msg(strstr(tagged(c), "[TRYCREATE]") != NULL, "%s", tagged(c));
    /* COPY (UIDPLUS, RFC 4315 3): [COPYUID validity source-uids dest-uids]. */
    imap(c, "OK", "COPY 1 Dest");
    char want[64];
    snprintf(want, sizeof want, "[COPYUID %ld 1 1]", dest_validity);
    ck_assert_msg(strstr(tagged(c), want) != NULL, "%s", tagged(c));
    /* MOVE (RFC 6851 4.3): untagged OK [COPYUID], then EXPUNGE, then the tagged OK. */
    const char *r = imap(c, "OK", "MOVE 2 Dest");
    snprintf(want, sizeof want, "* OK [COPYUID %ld 2 2]", dest_validity);
    const char *copyuid = find_response(r, want), *expunge = find_response(r, "* 2 EXPUNGE\r\n");
    ck_assert_msg(copyuid && expunge && copyuid < expunge, "%s", r);
    ck_assert_int_eq(count_responses(r, "* 2 EXPUNGE"), 1);
    /* INBOX holds UIDs 1 3 4 5. UID EXPUNGE removes only the UIDs named. */
    imap(c, "OK", "STORE 2:3 +FLAGS.SILENT (\\Deleted)");
    r = imap(c, "OK", "UID EXPUNGE 3");
    ck_assert_msg(find_response(r, "* 2 EXPUNGE\r\n") != NULL, "%s", r);
    ck_assert_msg(strstr(strstr(r, " EXPUNGE\r\n") + 1, " EXPUNGE\r\n") == NULL, "%s", r);
    r = imap(c, "OK", "UID FETCH 4 FLAGS");
    struct mc_buf f = {0};
    fetch_flags(r, 2, &f);
    ck_assert_msg(has_word(f.data, "\\Deleted"), "%s", r);
    ck_assert_msg(fetch_item(r, 2, "UID", &f) && strcmp(f.data, "4") == 0,
                  "UID FETCH must include UID (RFC 3501 6.4.8): %s", r);
    /* CLOSE of a mailbox opened with EXAMINE removes nothing (RFC 3501 6.4.2). */
    imap(c, "OK", "EXAMINE INBOX");
    imap(c, "OK", "CLOSE");
    ck_assert_int_eq(status_item(c, "INBOX", "MESSAGES"), 3);
    imap(c, "OK", "SELECT INBOX");
    /* CLOSE expunges \Deleted messages without telling (RFC 3501 6.4.2). */
    r = imap(c, "OK", "CLOSE");
    ck_assert_msg(strstr(r, "EXPUNGE") == NULL, "%s", r);
    ck_assert_int_eq(status_item(c, "INBOX", "MESSAGES"), 2);
    imap(c, "BAD", "FETCH 1 FLAGS"); /* no longer selected */
    /* UNSELECT does not expunge (RFC 3691). */
    imap(c, "OK", "SELECT INBOX");
    imap(c, "OK", "STORE 1 +FLAGS.SILENT (\\Deleted)");
    r = imap(c, "OK", "UNSELECT");
    ck_assert_ptr_null(strstr(r, "EXPUNGE"));
    ck_assert_int_eq(status_item(c, "INBOX", "MESSAGES"), 2);
    /* The copies kept their flags (RFC 3501 6.4.7). */
    imap(c, "OK", "SELECT Dest");
    r = imap(c, "OK", "FETCH 1:* (UID FLAGS)");
    ck_assert_int_eq(count_responses(r, "* 1 FETCH"), 1);
    ck_assert_int_eq(count_responses(r, "* 2 FETCH"), 1);
    fetch_flags(r, 1, &f);
    ck_assert_msg(has_word(f.data, "\\Flagged") && has_word(f.data, "$Work"), "%s", f.data);
    mc_buf_free(&f);
    client_free(c);
}
END_TEST

/* Several messages expunged at once: applying the EXPUNGE responses in the order they came
   must leave exactly the messages the server still has (RFC 3501 7.4.1: each number is
   decremented at once), for the session that expunged and for another one. */
START_TEST(test_expunge_sequence_numbers)
{
    struct client *a = imap_login("alice", "secret"), *b = imap_login("alice", "secret");
    enum { N = 8 };
    uint32_t uids[N];
    for (size_t i = 0; i < N; i++)
        uids[i] = append(a, "INBOX", i % 3 == 1 || i == N - 1 ? "(\\Deleted)" : "", MSG1);
    imap(a, "OK", "SELECT INBOX");
    imap(b, "OK", "SELECT INBOX");
    imap(a, "OK", "EXPUNGE");
    imap(b, "OK", "NOOP");
    struct mc_buf item = {0};
    struct client *const sessions[2] = {a, b};
    for (int w = 0; w < 2; w++) {
        struct client *c = sessions[w];
        uint32_t model[N];
        size_t m = N;
        memcpy(model, uids, sizeof model);
        const char *r = c->resp.data;
        for (const char *p = find_response(r, "* "); p; p = find_response(p + 1, "* ")) {
            unsigned seq;
            char word[16];
            if (sscanf(p, "* %u %15s", &seq, word) == 2 && strcmp(word, "EXPUNGE") == 0) {
                ck_assert_msg(seq >= 1 && seq <= m, "EXPUNGE of a number not in use: %s", r);
                memmove(model + seq - 1, model + seq, (m - seq) * sizeof model[0]);
                m--;
            }
        }
        ck_assert_msg(m == 5, "%s", r);
        r = imap(c, "OK", "FETCH 1:* UID");
        for (size_t i = 0; i < m; i++) {
            ck_assert(fetch_item(r, (unsigned)i + 1, "UID", &item));
            ck_assert_msg(strtoul(item.data, NULL, 10) == model[i], "message %zu: %s", i + 1, r);
        }
        ck_assert(!fetch_item(r, (unsigned)m + 1, "UID", &item));
    }
    mc_buf_free(&item);
    client_free(a);
    client_free(b);
}
END_TEST

/* ---- RENAME INBOX and DELETE with inferiors (RFC 3501 6.3.4, 6.3.5) ---- */

START_TEST(test_rename_inbox_delete_inferiors)
{
    struct client *c = imap_login("alice", "secret");
    append(c, "INBOX", "", MSG1);
    uint32_t last = append(c, "INBOX", "", MSG2);
    long validity = status_item(c, "INBOX", "UIDVALIDITY");
    imap(c, "OK", "RENAME INBOX Old");
    ck_assert_int_eq(status_item(c, "INBOX", "MESSAGES"), 0);
    ck_assert_int_eq(status_item(c, "Old", "MESSAGES"), 2);
    /* INBOX's UIDs must never be reused under the same UIDVALIDITY (RFC 3501 2.3.1.1). */
    long next = status_item(c, "INBOX", "UIDNEXT");
    ck_assert(next > (long)last || status_item(c, "INBOX", "UIDVALIDITY") != validity);
    struct mc_buf attrs = {0};
    ck_assert(listed(c, "INBOX", &attrs));
    imap(c, "OK", "CREATE Parent/Child");
    ck_assert(listed(c, "Parent", &attrs));
    ck_assert(!has_word(attrs.data, "\\Noselect"));
    imap(c, "OK", "DELETE Parent");
    ck_assert(listed(c, "Parent", &attrs));
    ck_assert_msg(has_word(attrs.data, "\\Noselect"), "%s", attrs.data);
    ck_assert(listed(c, "Parent/Child", &attrs));
    imap(c, "NO", "SELECT Parent");
    imap(c, "NO", "DELETE INBOX"); /* RFC 3501 6.3.4 */
    mc_buf_free(&attrs);
    client_free(c);
}
END_TEST

/* ---- BODYSTRUCTURE and sections (RFC 3501 6.4.5, 7.4.2) ---- */

static const char MIXED[] = "From: a@example.org\r\n"
                            "Subject: outer\r\n"
                            "MIME-Version: 1.0\r\n"
                            "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
                            "\r\n"
                            "preamble\r\n"
                            "--XX\r\n"
                            "Content-Type: text/plain; charset=us-ascii\r\n"
                            "\r\n"
                            "Hello\r\n"
                            "\r\n"
                            "--XX\r\n"
                            "Content-Type: message/rfc822\r\n"
                            "\r\n"
                            "From: c@example.org\r\n"
                            "Subject: inner\r\n"
                            "\r\n"
                            "Inner body\r\n"
                            "\r\n"
                            "--XX--\r\n";

START_TEST(test_fetch_mime_structure)
{
    struct client *c = imap_login("alice", "secret");
    append(c, "INBOX", "", MIXED);
    imap(c, "OK", "SELECT INBOX");
    const char *r = imap(c, "OK", "FETCH 1 BODYSTRUCTURE");
    struct mc_buf item = {0}, want = {0};
    ck_assert(fetch_item(r, 1, "BODYSTRUCTURE", &item));
    static const char inner[] = "From: c@example.org\r\nSubject: inner\r\n\r\nInner body\r\n";
    mc_buf_printf(&want,
                  "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 7 1 NIL NIL "
                  "NIL NIL)"
                  "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" %zu "
                  "(NIL \"inner\" ((NIL NIL \"c\" \"example.org\")) ((NIL NIL \"c\" "
                  "\"example.org\")) ((NIL NIL \"c\" \"example.org\")) NIL NIL NIL NIL NIL) "
                  "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1 NIL NIL "
                  "NIL NIL) 4 NIL NIL NIL NIL) "
                  "\"MIXED\" (\"BOUNDARY\" \"XX\") NIL NIL NIL)",
                  strlen(inner));
    ck_assert_msg(strcasecmp(item.data, want.data) == 0, "BODYSTRUCTURE\n got %s\nwant %s",
                  item.data, want.data);
    /* BODY.PEEK sets nothing (RFC 3501 6.4.5). */
    r = imap(c, "OK",
             "FETCH 1 (BODY.PEEK[2.1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[2.HEADER])");
    ck_assert(fetch_item(r, 1, "BODY[2.1]", &item));
    ck_assert_str_eq(item.data, "Inner body\r\n");
    ck_assert(fetch_item(r, 1, "BODY[1.MIME]", &item));
    ck_assert_str_eq(item.data, "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    ck_assert(fetch_item(r, 1, "BODY[2]", &item));
    ck_assert_str_eq(item.data, inner);
    ck_assert(fetch_item(r, 1, "BODY[2.HEADER]", &item));
    ck_assert_str_eq(item.data, "From: c@example.org\r\nSubject: inner\r\n\r\n");
    ck_assert_msg(!fetch_item(r, 1, "FLAGS", &item), "PEEK changed flags: %s", r);
    r = imap(c, "OK", "FETCH 1 FLAGS");
    fetch_flags(r, 1, &item);
    ck_assert_msg(!has_word(item.data, "\\Seen"), "%s", item.data);
    /* BODY[1] sets \Seen, and the response says so. */
    r = imap(c, "OK", "FETCH 1 BODY[1]<0.3>");
    ck_assert(fetch_item(r, 1, "BODY[1]<0>", &item));
    ck_assert_str_eq(item.data, "Hel");
    ck_assert_msg(fetch_item(r, 1, "FLAGS", &item) && has_word(item.data, "\\Seen"), "%s", r);
    mc_buf_free(&item);
    mc_buf_free(&want);
    client_free(c);
}
END_TEST

/* ---- SEARCH CHARSET (RFC 3501 6.4.4) ---- */

START_TEST(test_search_charset)
{
    struct client *c = imap_login("alice", "secret");
    append(c, "INBOX", "", MSG1);
    append(c, "INBOX", "",
           "From: d@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_Z=C3=BCrich?=\r\n\r\n"
           "x\r\n");
    imap(c, "OK", "SELECT INBOX");
    static const char needle[] = "Gr\303\274\303\237e"; /* Grüße */
    const char *r = imap_literal(c, "OK", "SEARCH CHARSET UTF-8 SUBJECT", needle, strlen(needle));
    ck_assert_msg(find_response(r, "* SEARCH 2\r\n") != NULL, "%s", r);
    r = imap(c, "OK", "SEARCH CHARSET UTF-8 SUBJECT \"aus z\"");
    ck_assert_msg(find_response(r, "* SEARCH 2\r\n") != NULL, "%s", r);
    r = imap(c, "OK", "SEARCH SUBJECT first");
    ck_assert_msg(find_response(r, "* SEARCH 1\r\n") != NULL, "%s", r);
    imap(c, "NO", "SEARCH CHARSET KOI8-R SUBJECT x");
    ck_assert_msg(strstr(tagged(c), "[BADCHARSET") != NULL, "%s", tagged(c));
    client_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reference_imap");
    TCase *tc = tcase_create("imap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_greeting_capability_logout);
    tcase_add_test(tc, test_imaps_implicit_tls);
    tcase_add_test(tc, test_logindisabled_until_starttls);
    tcase_add_test(tc, test_starttls_discards_injection);
    tcase_add_test(tc, test_authenticate_plain);
    tcase_add_test(tc, test_sync_literal_too_big);
    tcase_add_test(tc, test_appendlimit_exact);
    tcase_add_test(tc, test_nonsync_literal_too_big_closes);
    tcase_add_test(tc, test_long_line_refused);
    tcase_add_test(tc, test_preauth_literal_limited);
    tcase_add_test(tc, test_unread_replies_bounded);
    tcase_add_test(tc, test_append_fetch_roundtrip);
    tcase_add_test(tc, test_other_session_changes);
    tcase_add_test(tc, test_idle_reports_delivery);
    tcase_add_test(tc, test_autologout_bye);
    tcase_add_test(tc, test_select_examine_recent);
    tcase_add_test(tc, test_enable_rev2_and_esearch);
    tcase_add_test(tc, test_mailbox_names);
    tcase_add_test(tc, test_copy_move_expunge);
    tcase_add_test(tc, test_expunge_sequence_numbers);
    tcase_add_test(tc, test_rename_inbox_delete_inferiors);
    tcase_add_test(tc, test_fetch_mime_structure);
    tcase_add_test(tc, test_search_charset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return mc_check_run(suite());
}
