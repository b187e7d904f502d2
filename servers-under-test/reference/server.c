/*
 * server — listeners and sessions on one libevent loop (see server.h).
 */
#include "server.h"

#include <arpa/inet.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/conn.h"

struct rs_listener {
    struct rs_listener_config cfg;
    struct evconnlistener *ev;
    struct rs_server *srv;
};

struct rs_session {
    struct rs_server *srv;
    const struct rs_listener *listener;
    struct mc_conn *conn;
    void *st; /* the protocol module's state */
    size_t line_max;
    size_t octets_left; /* raw octets still due to the protocol's `octets` (not lines) */
    bool discarding;    /* the rest of an over-long line is being thrown away */
    bool output_full;   /* above RS_OUTPUT_HIGH_WATER: commands wait until `drained` */
    char tail[RS_DISCARD_TAIL_MAX + 2]; /* the last octets discarded (and a line end) */
    size_t tail_len;
    struct event *idle; /* closes a silent session */
    bool opened;        /* the protocol module's open() ran */
    bool closing;       /* no more lines are delivered */
    bool gone;          /* the connection is closed; freed from the loop */
    struct rs_session *next;
};

struct rs_server {
    struct event_base *base;
    struct ms_store *store;
    SSL_CTX *tls;
    char *hostname;
    struct rs_listener **listeners;
    size_t listener_count;
    struct rs_session *sessions;
    struct rs_session *graveyard; /* closed sessions, freed by `reaper` from a fresh loop turn */
    struct event *reaper;
};

struct ms_store *rs_session_store(const struct rs_session *s)
{
    return s->srv->store;
}

const struct rs_listener_config *rs_session_listener(const struct rs_session *s)
{
    return &s->listener->cfg;
}

const char *rs_session_hostname(const struct rs_session *s)
{
    return s->srv->hostname;
}

struct event_base *rs_session_base(const struct rs_session *s)
{
    return s->srv->base;
}

bool rs_session_tls_active(const struct rs_session *s)
{
    return s->conn && mc_conn_is_tls(s->conn);
}

bool rs_session_tls_available(const struct rs_session *s)
{
    return s->srv->tls != NULL;
}

void rs_session_send_raw(struct rs_session *s, const void *data, size_t len)
{
    if (s->conn && !s->gone)
        mc_conn_write(s->conn, data, len);
}

void rs_session_send(struct rs_session *s, const char *fmt, ...)
{
    struct mc_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    mc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    mc_buf_append(&b, "\r\n", 2);
    rs_session_send_raw(s, b.data, b.len);
    mc_buf_free(&b);
}

int rs_session_start_tls(struct rs_session *s)
{
    struct mc_buf err = {0};
    int rc = s->srv->tls && s->conn ? mc_conn_start_tls(s->conn, &err) : -1;
    mc_buf_free(&err);
    return rc;
}

void rs_session_set_line_max(struct rs_session *s, size_t line_max)
{
    s->line_max = line_max;
    if (s->conn && s->octets_left == 0)
        mc_conn_set_read_limit(s->conn, line_max);
}

void rs_session_read_octets(struct rs_session *s, size_t n)
{
    s->octets_left = n;
    if (s->conn && n > 0)
        mc_conn_set_read_limit(s->conn, RS_OCTETS_PIECE_MAX);
}

static void session_unlink(struct rs_session **list, struct rs_session *s)
{
    while (*list && *list != s)
        list = &(*list)->next;
    if (*list)
        *list = s->next;
    s->next = NULL;
}

/* A closing session's conversation is over once its last reply is queued, though its
   connection may linger a while (mc_conn_close_after_flush): the protocol module lets go of
   its state now, so that what it holds (a POP3 maildrop lock) is free for the client's next
   session at once. */
static void session_release(struct rs_session *s)
{
    if (s->opened && s->listener->cfg.proto->close)
        s->listener->cfg.proto->close(s, s->st);
    s->opened = false;
    s->st = NULL;
}

static void session_free(struct rs_session *s)
{
    session_release(s);
    if (s->idle)
        event_free(s->idle);
    mc_conn_free(s->conn);
    free(s);
}

static void reap(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rs_server *srv = arg;
    for (struct rs_session *s = srv->sessions; s; s = s->next)
        if (s->closing)
            session_release(s);
    while (srv->graveyard) {
        struct rs_session *s = srv->graveyard;
        srv->graveyard = s->next;
        session_free(s);
    }
}

/* Ends the session from inside a callback: it is freed from a fresh turn of the loop, never
   under the feet of the callback that noticed the end. */
static void session_gone(struct rs_session *s)
{
    if (s->gone)
        return;
    s->gone = true;
    s->closing = true;
    session_unlink(&s->srv->sessions, s);
    s->next = s->srv->graveyard;
    s->srv->graveyard = s;
    event_active(s->srv->reaper, 0, 0);
}

void rs_session_close(struct rs_session *s)
{
    if (s->closing)
        return;
    s->closing = true;
    if (s->conn)
        mc_conn_close_after_flush(s->conn);
    event_active(s->srv->reaper, 0, 0); /* session_release, from a fresh turn of the loop */
}

static void session_touch(struct rs_session *s)
{
    struct timeval tv = {s->listener->cfg.proto->idle_timeout_s, 0};
    evtimer_add(s->idle, &tv);
}

static void session_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rs_session *s = arg;
    const struct rs_protocol *p = s->listener->cfg.proto;
    if (p->idle && s->opened && !s->closing)
        p->idle(s, s->st);
    rs_session_close(s); /* RFC 1939 3 / RFC 5321 4.5.3.2.7: an idle client is logged out */
}

static void session_open(struct rs_session *s)
{
    s->opened = true;
    session_touch(s);
    s->st = s->listener->cfg.proto->open(s);
}

static void on_connected(void *arg)
{
    session_open(arg); /* implicit TLS: the handshake is done */
}

static void on_tls_done(void *arg)
{
    struct rs_session *s = arg;
    if (s->listener->cfg.proto->tls_done && !s->closing)
        s->listener->cfg.proto->tls_done(s, s->st);
}

/* Hands the next piece of raw octets to the protocol; false when none is buffered. */
static bool session_deliver_octets(struct rs_session *s, struct mc_buf *piece)
{
    const struct rs_protocol *p = s->listener->cfg.proto;
    size_t n = mc_conn_input_length(s->conn);
    if (n == 0)
        return false;
    if (n > s->octets_left)
        n = s->octets_left;
    if (n > RS_OCTETS_PIECE_MAX)
        n = RS_OCTETS_PIECE_MAX;
    mc_conn_take(s->conn, n, piece);
    s->octets_left -= n;
    bool last = s->octets_left == 0;
    if (last)
        mc_conn_set_read_limit(s->conn, s->line_max); /* lines again */
    session_touch(s);
    if (p->octets)
        p->octets(s, s->st, piece->data, n, last);
    return true;
}

/* Keeps the last octets of what is discarded, for too_long_end. */
static void session_keep_tail(struct rs_session *s, const char *data, size_t len)
{
    size_t room = sizeof s->tail;
    if (len >= room) {
        memcpy(s->tail, data + len - room, room);
        s->tail_len = room;
        return;
    }
    size_t keep = s->tail_len + len > room ? room - len : s->tail_len;
    memmove(s->tail, s->tail + s->tail_len - keep, keep);
    memcpy(s->tail + keep, data, len);
    s->tail_len = keep + len;
}

/* The discarded line has ended: the protocol hears its tail (line end removed). */
static void session_discarded_line_end(struct rs_session *s)
{
    const struct rs_protocol *p = s->listener->cfg.proto;
    size_t len = s->tail_len;
    if (len > 0 && s->tail[len - 1] == '\n')
        len--;
    if (len > 0 && s->tail[len - 1] == '\r')
        len--;
    size_t skip = len > RS_DISCARD_TAIL_MAX ? len - RS_DISCARD_TAIL_MAX : 0;
    s->tail_len = 0;
    if (p->too_long_end)
        p->too_long_end(s, s->st, s->tail + skip, len - skip);
}

/* Throws away input up to and including the next line end; false when there is none yet. */
static bool session_discard_line(struct rs_session *s, struct mc_buf *scratch)
{
    size_t total;
    bool bare_lf;
    bool found = mc_conn_find_line(s->conn, &total, &bare_lf) >= 0;
    size_t n = found ? total : mc_conn_input_length(s->conn);
    if (n > 0) {
        mc_conn_take(s->conn, n, scratch);
        session_keep_tail(s, scratch->data, scratch->len);
    }
    mc_buf_reset(scratch);
    s->discarding = !found;
    if (found)
        session_discarded_line_end(s);
    return found;
}

/* A line over the limit: the protocol answers and says whether the session goes on. */
static void session_line_too_long(struct rs_session *s, long n, size_t total, struct mc_buf *line)
{
    const struct rs_protocol *p = s->listener->cfg.proto;
    size_t input = mc_conn_input_length(s->conn);
    size_t take = n >= 0 ? total : input;
    mc_conn_take(s->conn, take, line);
    bool go_on = p->too_long && p->too_long(s, s->st, line->data,
                                            line->len < s->line_max ? line->len : s->line_max);
    s->tail_len = 0;
    if (go_on)
        session_keep_tail(s, line->data, line->len);
    mc_buf_reset(line);
    if (!go_on)
        rs_session_close(s);
    else if (n >= 0)
        session_discarded_line_end(s); /* the whole line was there */
    else
        s->discarding = true; /* the line end has not come yet */
}

static void on_readable(void *arg)
{
    struct rs_session *s = arg;
    const struct rs_protocol *p = s->listener->cfg.proto;
    struct mc_buf line = {0};
    while (!s->closing && s->conn) {
        if (s->octets_left > 0) {
            if (!session_deliver_octets(s, &line))
                break;
            continue;
        }
        if (s->discarding) {
            if (!session_discard_line(s, &line))
                break;
            continue;
        }
        if (mc_conn_output_length(s->conn) > RS_OUTPUT_HIGH_WATER) {
            s->output_full = true; /* on_drained takes up the input again */
            break;
        }
        size_t total;
        bool bare_lf;
        long n = mc_conn_find_line(s->conn, &total, &bare_lf);
        if (n < 0 || total > s->line_max) {
            if ((n >= 0 && total > s->line_max) || mc_conn_input_length(s->conn) >= s->line_max) {
                session_line_too_long(s, n, total, &line);
                continue;
            }
            break;
        }
        mc_conn_take(s->conn, total, &line);
        session_touch(s);
        p->line(s, s->st, line.data, (size_t)n, bare_lf);
    }
    mc_buf_free(&line);
}

static void on_closed(void *arg, bool error, const char *why)
{
    (void)error;
    (void)why;
    session_gone(arg);
}

/* The client has read its replies: buffered commands may run again. */
static void on_drained(void *arg)
{
    struct rs_session *s = arg;
    if (!s->output_full)
        return;
    s->output_full = false;
    on_readable(s);
}

static const struct mc_conn_handlers session_handlers = {
    .drained = on_drained,
    .connected = on_connected,
    .tls_done = on_tls_done,
    .readable = on_readable,
    .closed = on_closed,
};

static void on_accept(struct evconnlistener *ev, evutil_socket_t fd, struct sockaddr *addr, int len,
                      void *arg)
{
    (void)ev;
    (void)addr;
    (void)len;
    struct rs_listener *l = arg;
    struct rs_server *srv = l->srv;
    struct rs_session *s = mc_xcalloc(1, sizeof *s);
    s->srv = srv;
    s->listener = l;
    s->line_max = l->cfg.proto->line_max;
    s->idle = evtimer_new(srv->base, session_idle, s);
    bool tls = l->cfg.implicit_tls && srv->tls;
    s->conn = mc_conn_accept(srv->base, fd, srv->tls, tls, &session_handlers, s);
    if (!s->conn) {
        event_free(s->idle);
        free(s);
        return;
    }
    mc_conn_set_read_limit(s->conn, s->line_max);
    s->next = srv->sessions;
    srv->sessions = s;
    if (!tls)
        session_open(s); /* plain: greet at once; implicit TLS: after the handshake */
    else
        session_touch(s);
}

struct rs_server *rs_server_new(struct event_base *base, struct ms_store *store, SSL_CTX *tls,
                                const char *hostname)
{
    struct rs_server *srv = mc_xcalloc(1, sizeof *srv);
    srv->base = base;
    srv->store = store;
    srv->tls = tls;
    srv->hostname = mc_xstrdup(hostname ? hostname : "localhost");
    srv->reaper = event_new(base, -1, 0, reap, srv);
    return srv;
}

int rs_server_listen(struct rs_server *srv, const struct rs_listener_config *cfg, const char *host,
                     int port, int *bound, struct mc_buf *err)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        mc_buf_printf(err, "%s: not an IPv4 address", host);
        return -1;
    }
    if (cfg->implicit_tls && !srv->tls) {
        mc_buf_printf(err, "%s: implicit TLS needs a certificate", cfg->name);
        return -1;
    }
    struct rs_listener *l = mc_xcalloc(1, sizeof *l);
    l->cfg = *cfg;
    l->srv = srv;
    l->ev =
        evconnlistener_new_bind(srv->base, on_accept, l, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                -1, (struct sockaddr *)&sin, sizeof sin);
    if (!l->ev) {
        mc_buf_printf(err, "%s: cannot listen on %s port %d", cfg->name, host, port);
        free(l);
        return -1;
    }
    struct sockaddr_in got;
    socklen_t got_len = sizeof got;
    getsockname(evconnlistener_get_fd(l->ev), (struct sockaddr *)&got, &got_len);
    *bound = ntohs(got.sin_port);
    srv->listeners =
        mc_xrealloc(srv->listeners, (srv->listener_count + 1) * sizeof *srv->listeners);
    srv->listeners[srv->listener_count++] = l;
    return 0;
}

size_t rs_server_session_count(const struct rs_server *srv)
{
    size_t n = 0;
    for (const struct rs_session *s = srv->sessions; s; s = s->next)
        n++;
    return n;
}

void rs_server_free(struct rs_server *srv)
{
    if (!srv)
        return;
    while (srv->sessions) {
        struct rs_session *s = srv->sessions;
        srv->sessions = s->next;
        session_free(s);
    }
    reap(-1, 0, srv);
    event_free(srv->reaper);
    for (size_t i = 0; i < srv->listener_count; i++) {
        evconnlistener_free(srv->listeners[i]->ev);
        free(srv->listeners[i]);
    }
    free(srv->listeners);
    free(srv->hostname);
    free(srv);
}
