/*
 * session — framing replies out of a connection (see session.h).
 */
#include "engine/session.h"

#include <stdlib.h>
#include <string.h>

#include "engine/matcher.h"
#include "lib/escape.h"

static void session_pump(struct mc_session *s);

static void session_on_connected(void *arg)
{
    struct mc_session *s = arg;
    s->open = true;
    s->cb(s->cb_arg, s, MC_SEV_CONNECTED, NULL);
}

static void session_on_tls_done(void *arg)
{
    struct mc_session *s = arg;
    s->cb(s->cb_arg, s, MC_SEV_TLS_DONE, NULL);
}

static void session_on_readable(void *arg)
{
    session_pump(arg);
}

/* Keeps the server's last words before the close (see last_words in session.h). */
static void session_note_last_words(struct mc_session *s)
{
    const struct mc_reply *r = &s->reply;
    free(s->last_words);
    s->last_words = NULL;
    if (s->reading && r->lines.count) {
        const struct mc_str *last = &r->lines.items[r->lines.count - 1];
        s->last_words = mc_escape_dup(last->ptr, last->len, MC_ESCAPE_KEEP_UTF8);
    } else if (s->last_negative) {
        s->last_words = mc_xstrdup(s->last_negative);
    }
}

/* The close completed the reply (an IMAP BYE was its last line): the owner judges it. The
   transcript says the server closed, as it does when a close follows a complete reply. */
static bool session_closing_reply(struct mc_session *s, const char *why)
{
    if (!s->proto->closing_reply || !s->proto->closing_reply(&s->reply))
        return false;
    s->reading = s->awaiting = false;
    if (s->record)
        s->record(s->cb_arg, s, MC_DIR_EVENT, why, strlen(why));
    s->cb(s->cb_arg, s, MC_SEV_REPLY, NULL);
    return true;
}

static void session_on_closed(void *arg, bool error, const char *why)
{
    struct mc_session *s = arg;
    bool was_reading = s->reading;
    if (error && s->conn)
        s->failure = mc_conn_failure(s->conn);
    if (!s->open && !s->closed) { /* the connection never came up */
        struct mc_buf b = {0};
        mc_buf_printf(&b, "cannot connect to %s port %d%s: %s", s->endpoint->host,
                      s->endpoint->port,
                      s->endpoint->tls == MC_TLS_IMPLICIT ? " with implicit TLS" : "", why);
        s->closed = true;
        s->reading = false;
        free(s->closed_why);
        s->closed_why = mc_xstrdup(b.data);
        s->cb(s->cb_arg, s, MC_SEV_FAILED, b.data);
        mc_buf_free(&b);
        return;
    }
    /* Lines that arrived just before the close may complete the reply. */
    session_pump(s);
    s->open = false;
    s->closed = true;
    session_note_last_words(s);
    free(s->closed_why);
    struct mc_buf said = {0};
    mc_buf_append_str(&said, why);
    if (s->last_words)
        mc_buf_printf(&said, " after it said '%s'", s->last_words);
    s->closed_why = mc_buf_steal(&said);
    if (s->reading && session_closing_reply(s, why))
        return;
    if (s->reading || was_reading) {
        if (s->reading) {
            s->reading = false;
            struct mc_buf b = {0};
            mc_buf_printf(&b, "%s before the reply was complete", why);
            if (s->last_words)
                mc_buf_printf(&b, "; the last thing it said was '%s'%s", s->last_words,
                              s->reply.lines.count ? "" : ", its reply to the command before");
            s->cb(s->cb_arg, s, MC_SEV_FAILED, b.data);
            mc_buf_free(&b);
        } else if (s->record) {
            /* The close came with the last reply, which completed it: the owner hears no
               event, but the transcript says the server closed (a replay closes there too). */
            s->record(s->cb_arg, s, MC_DIR_EVENT, why, strlen(why));
        }
        return;
    }
    s->cb(s->cb_arg, s, error ? MC_SEV_FAILED : MC_SEV_CLOSED, why);
}

static void session_on_record(void *arg, enum mc_conn_dir dir, const char *data, size_t len)
{
    struct mc_session *s = arg;
    enum mc_transcript_dir t = dir == MC_CONN_SENT       ? MC_DIR_CLIENT
                               : dir == MC_CONN_RECEIVED ? MC_DIR_SERVER
                                                         : MC_DIR_EVENT;
    if (t == MC_DIR_SERVER)
        s->greeted = true;
    if (s->record)
        s->record(s->cb_arg, s, t, data, len);
}

static const struct mc_conn_handlers session_handlers = {
    .connected = session_on_connected,
    .tls_done = session_on_tls_done,
    .readable = session_on_readable,
    .closed = session_on_closed,
    .record = session_on_record,
};

struct mc_session *mc_session_new(int index, const char *name, const struct mc_protocol *proto,
                                  const struct mc_endpoint *ep, const struct mc_user *user,
                                  const char *domain)
{
    struct mc_session *s = mc_xcalloc(1, sizeof *s);
    s->index = index;
    s->name = name;
    s->proto = proto;
    s->endpoint = ep;
    s->user = user;
    s->pst = proto->state_new();
    s->local = mc_vars_new();
    if (user) {
        mc_vars_set(s->local, "user", user->name, strlen(user->name));
        mc_vars_set(s->local, "password", user->password, strlen(user->password));
        struct mc_buf addr = {0};
        mc_user_address(user, domain, &addr);
        mc_vars_set(s->local, "address", addr.data, addr.len);
        mc_buf_free(&addr);
    }
    return s;
}

void mc_session_free(struct mc_session *s)
{
    if (!s)
        return;
    mc_conn_free(s->conn);
    s->proto->state_free(s->pst);
    mc_reply_reset(&s->reply);
    mc_vars_free(s->local);
    free(s->closed_why);
    free(s->last_words);
    free(s->last_negative);
    free(s);
}

int mc_session_open(struct mc_session *s, struct event_base *base, SSL_CTX *tls_ctx,
                    const char *tls_name, struct mc_buf *err)
{
    s->conn =
        mc_conn_new(base, tls_ctx, tls_name ? tls_name : s->endpoint->host, &session_handlers, s);
    mc_conn_set_read_limit(s->conn, s->proto->line_max);
    struct mc_buf wire = {0};
    struct mc_exchange_opts opts = {.multiline = -1};
    mc_reply_reset(&s->reply);
    s->proto->begin(s->pst, MC_EX_GREETING, NULL, 0, &opts, &wire);
    mc_buf_free(&wire);
    s->reading = true;
    s->literal_need = 0;
    s->failure = MC_CONN_FAIL_NONE;
    s->greeted = false;
    int rc = mc_conn_connect(s->conn, s->endpoint->host, s->endpoint->port,
                             s->endpoint->tls == MC_TLS_IMPLICIT, err);
    if (rc != 0)
        s->failure = mc_conn_failure(s->conn);
    return rc;
}

enum mc_cause mc_session_failure_cause(const struct mc_session *s)
{
    switch (s->failure) {
    case MC_CONN_FAIL_CONNECT:
        return MC_CAUSE_UNREACHABLE;
    case MC_CONN_FAIL_DNS:
        return MC_CAUSE_DNS;
    case MC_CONN_FAIL_TLS_VERIFY:
        return MC_CAUSE_TLS;
    case MC_CONN_FAIL_TLS_NOT_TLS:
        return MC_CAUSE_PROTOCOL_MISMATCH;
    default:
        return MC_CAUSE_NONE; /* the server's doing: a reset, a broken handshake, ... */
    }
}

void mc_session_failure_hint(const struct mc_session *s, struct mc_buf *hint)
{
    const struct mc_endpoint *e = s->endpoint;
    switch (s->failure) {
    case MC_CONN_FAIL_CONNECT:
        mc_buf_printf(hint,
                      "nothing accepts connections on %s port %d: is the server running, and "
                      "are the host and port of endpoint '%s' right?",
                      e->host, e->port, e->name);
        break;
    case MC_CONN_FAIL_DNS:
        mc_buf_printf(hint, "check the host name '%s' of endpoint '%s'", e->host, e->name);
        break;
    case MC_CONN_FAIL_TLS_VERIFY:
        mc_buf_append_str(hint, "give the CA that signed the server's certificate (--ca-file "
                                "PEM, or ca_file in the profile), or accept an unverified "
                                "certificate with --insecure");
        break;
    case MC_CONN_FAIL_TLS_NOT_TLS: {
        const struct mc_scheme *plain = mc_protocol_scheme(e->proto, false);
        mc_buf_printf(hint,
                      "port %d speaks plain text: describe endpoint '%s' without implicit TLS "
                      "(%s%s://, or \"tls\": \"none\" in the profile)",
                      e->port, e->name, plain ? "e.g. " : "", plain ? plain->name : "");
        break;
    }
    default:
        break;
    }
}

static void session_begin_read(struct mc_session *s)
{
    s->reading = true;
    s->awaiting = false;
    s->literal_need = 0;
    mc_conn_set_read_limit(s->conn, s->proto->line_max);
}

void mc_session_exchange(struct mc_session *s, enum mc_exchange ex, const char *line, size_t len,
                         const struct mc_exchange_opts *opts)
{
    struct mc_buf wire = {0};
    mc_reply_reset(&s->reply);
    s->proto->begin(s->pst, ex, line, len, opts, &wire);
    session_begin_read(s);
    mc_conn_write(s->conn, wire.data, wire.len);
    mc_buf_free(&wire);
    session_pump(s); /* a reply may already be buffered (pipelining, early replies) */
}

void mc_session_send_raw(struct mc_session *s, enum mc_exchange ex, const char *data, size_t len,
                         bool read_reply)
{
    if (!read_reply) {
        mc_conn_write(s->conn, data, len);
        return;
    }
    struct mc_exchange_opts opts = {.multiline = -1, .raw = true};
    mc_session_exchange(s, ex, data, len, &opts);
}

void mc_session_await(struct mc_session *s, const struct mc_expect *e, const struct mc_vars *v)
{
    struct mc_buf none = {0};
    struct mc_exchange_opts opts = {.multiline = -1};
    mc_reply_reset(&s->reply);
    s->proto->begin(s->pst, MC_EX_CONTINUE, NULL, 0, &opts, &none);
    mc_buf_free(&none);
    session_begin_read(s);
    s->awaiting = true;
    s->await_expect = e;
    s->await_vars = v;
    session_pump(s);
}

int mc_session_start_tls(struct mc_session *s, struct mc_buf *err)
{
    return mc_conn_start_tls(s->conn, err);
}

void mc_session_stop_reading(struct mc_session *s)
{
    s->reading = false;
    s->awaiting = false;
}

void mc_session_abort(struct mc_session *s)
{
    mc_conn_drop(s->conn); /* not even the TLS goodbye: the client vanishes */
    s->conn = NULL;
    s->open = false;
    s->closed = true;
    s->reading = false;
}

/* Ends the read with a failure the owner reports. */
static void session_fail(struct mc_session *s, const char *why)
{
    s->reading = false;
    s->awaiting = false;
    s->cb(s->cb_arg, s, MC_SEV_FAILED, why);
}

/* The part of the announced literal that has arrived, read in place: a literal streams through
   the input (which never holds more than a line's worth) into the framer. False when nothing
   of it is buffered. */
static bool session_feed_literal(struct mc_session *s, enum mc_frame *fr)
{
    size_t n = mc_conn_input_length(s->conn);
    if (n == 0)
        return false;
    if (n > s->literal_need)
        n = s->literal_need;
    s->literal_need -= n;
    *fr = s->proto->feed_literal(s->pst, mc_conn_input(s->conn), n, &s->reply);
    mc_conn_consume(s->conn, n);
    return true;
}

/* The next line, read in place; false when none is complete (or reading failed). */
static bool session_feed_line(struct mc_session *s, enum mc_frame *fr, size_t *literal)
{
    size_t total;
    bool bare_lf;
    long n = mc_conn_find_line(s->conn, &total, &bare_lf);
    if (n < 0) {
        if (mc_conn_input_length(s->conn) >= s->proto->line_max) {
            struct mc_buf why = {0};
            mc_buf_printf(&why, "a reply line exceeds %zu octets without a line end",
                          s->proto->line_max);
            session_fail(s, why.data);
            mc_buf_free(&why);
        }
        return false;
    }
    if (bare_lf) {
        mc_conn_consume(s->conn, total);
        session_fail(s, "a reply line ended in a bare LF; mail protocols end every line "
                        "with CRLF (RFC 5321 section 2.3.8, RFC 1939 section 3, RFC 3501 "
                        "section 2.2)");
        return false;
    }
    *fr = s->proto->feed_line(s->pst, mc_conn_input(s->conn), (size_t)n, &s->reply, literal);
    mc_conn_consume(s->conn, total);
    return true;
}

/* One framing step; returns false when reading must stop for now. The framer bounds the reply
   (MC_SYN_REPLY_MEMORY_MAX, proto/syntax.h) before anything is stored, and the read limit
   bounds the input to line_max. */
static bool session_frame_one(struct mc_session *s)
{
    enum mc_frame fr;
    size_t literal = 0;
    if (s->literal_need) {
        if (!session_feed_literal(s, &fr))
            return false;
        if (fr == MC_FRAME_LITERAL)
            return true; /* the rest of it is still to come */
    } else if (!session_feed_line(s, &fr, &literal)) {
        return false;
    }
    switch (fr) {
    case MC_FRAME_MORE:
        if (s->awaiting &&
            mc_expect_lines_arrived(s->await_expect, &s->reply, s->await_vars, s->local)) {
            s->reading = s->awaiting = false;
            s->cb(s->cb_arg, s, MC_SEV_REPLY, NULL);
            return false;
        }
        return true;
    case MC_FRAME_LITERAL:
        s->literal_need = literal;
        if (literal == 0)
            return s->proto->feed_literal(s->pst, "", 0, &s->reply) != MC_FRAME_ERROR;
        return true;
    case MC_FRAME_DONE:
        s->reading = s->awaiting = false;
        free(s->last_negative);
        s->last_negative = s->reply.positive || !s->reply.status_line
                               ? NULL
                               : mc_escape_dup(s->reply.status_line, s->reply.status_line_len,
                                               MC_ESCAPE_KEEP_UTF8);
        s->cb(s->cb_arg, s, MC_SEV_REPLY, NULL);
        return false;
    case MC_FRAME_ERROR:
    default:
        session_fail(s, s->reply.violation ? s->reply.violation : "the reply broke the protocol");
        return false;
    }
}

static void session_pump(struct mc_session *s)
{
    while (s->reading && s->conn && session_frame_one(s))
        ;
}
