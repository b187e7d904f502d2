/*
 * conn — a session's connection on libevent (see conn.h).
 */
#include "lib/conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/inbuf.h"
#include "lib/tls.h"

/* How long a server-side close waits for the peer to stop sending once the last reply is out
   and our side is shut down for writing. Closing a socket whose receive queue still holds
   unread bytes makes the kernel send RST instead of FIN, and an RST makes the peer's kernel
   throw away what it had not yet handed to the client: the final reply ("500 Line too long",
   "552") would be lost. Reading and discarding until the peer's EOF avoids that (a "lingering
   close"); 2 s is ample for a client that has already received the reply and is only sending
   what it had pipelined, and bounds how long a client that never stops can hold the session. */
#define CONN_LINGER_S 2
/* Harness tuning: how much libevent reads from the socket before handing it over (its
   default, 16 KiB, makes a 60 MiB IMAP literal cost almost 4000 callbacks). Never more than
   the read limit, so what waits in libevent's buffer while `in` is full is bounded by it too. */
#define CONN_READ_CHUNK (256u * 1024u)

struct mc_conn {
    struct event_base *base;
    SSL_CTX *tls_ctx;
    char *tls_name;
    struct bufferevent *bev;
    SSL *ssl;         /* owned by bev once attached */
    bool tls_pending; /* a TLS handshake is under way */
    bool upgraded;    /* STARTTLS was started: CONNECTED means the handshake, never a connect */
    bool server;      /* accepted: TLS in server mode, pending plaintext discarded */
    bool close_when_flushed;
    struct event *flush_wait; /* re-checks the plain socket's buffer under a TLS filter */
    bool lingering;           /* server side: shut down for writing, input read and discarded */
    struct event *linger;     /* ends the lingering close after CONN_LINGER_S */
    bool closed;
    bool connected; /* the connection (and an implicit TLS handshake) came up */
    enum mc_conn_failure failure;
    struct mc_inbuf in; /* what was read and not yet consumed, moved out of the bufferevent */
    size_t recorded;    /* octets at the start of `in` already handed to `record` */
    size_t read_limit;  /* `in` never holds more (0: no limit) */
    bool paused;        /* reading is off because `in` is full */
    struct event *kick; /* tells the owner of input that came in outside a read callback */
    bool said_goodbye;  /* close_notify was sent */
    bool implicit_tls;  /* TLS from the first byte (a filter over the socket, see conn_up) */
    bool dropping;      /* mc_conn_drop: no goodbye at all */
    struct mc_conn_handlers h;
    void *arg;
};

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_tls_goodbye(struct mc_conn *c);
static struct bufferevent *conn_socket_bev(const struct mc_conn *c);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

struct mc_conn *mc_conn_new(struct event_base *base, SSL_CTX *tls_ctx, const char *tls_name,
                            const struct mc_conn_handlers *h, void *arg)
{
    struct mc_conn *c = mc_xcalloc(1, sizeof *c);
    c->base = base;
    c->tls_ctx = tls_ctx;
    c->tls_name = mc_xstrdup(tls_name);
    c->h = *h;
    c->arg = arg;
    return c;
}

void mc_conn_drop(struct mc_conn *c)
{
    if (c)
        c->dropping = true;
    mc_conn_free(c);
}

void mc_conn_free(struct mc_conn *c)
{
    if (!c)
        return;
    if (c->flush_wait)
        event_free(c->flush_wait);
    if (c->linger)
        event_free(c->linger);
    if (c->kick)
        event_free(c->kick);
    if (c->bev && !c->closed && !c->dropping)
        conn_tls_goodbye(c);
    if (c->bev)
        bufferevent_free(c->bev); /* frees the SSL and the socket with it */
    mc_inbuf_free(&c->in);
    free(c->tls_name);
    free(c);
}

static void conn_set_read_chunk(struct mc_conn *c)
{
    size_t chunk =
        c->read_limit && c->read_limit < CONN_READ_CHUNK ? c->read_limit : CONN_READ_CHUNK;
    bufferevent_set_max_single_read(c->bev, chunk);
}

static void conn_attach(struct mc_conn *c)
{
    bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
    conn_set_read_chunk(c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->paused = false;
}

static SSL *conn_new_ssl(struct mc_conn *c, struct mc_buf *err)
{
    if (!c->tls_ctx) {
        mc_buf_append_str(err, "no TLS context");
        return NULL;
    }
    SSL *ssl = c->server ? SSL_new(c->tls_ctx) : mc_tls_client_ssl(c->tls_ctx, c->tls_name);
    if (!ssl)
        mc_buf_append_str(err, "cannot create a TLS session");
    return ssl;
}

/* The socket's own bufferevent: under a TLS filter, the one below it. */
static struct bufferevent *conn_socket_bev(const struct mc_conn *c)
{
    struct bufferevent *under = c->bev ? bufferevent_get_underlying(c->bev) : NULL;
    return under ? under : c->bev;
}

/* Implicit TLS is a filter over the socket's bufferevent, as STARTTLS is, not libevent's
   socket-based TLS bufferevent: libevent 2.1 re-enables reading on the latter without looking
   at records OpenSSL already decrypted, so a connection paused at its read limit (a long line
   being thrown away) would stall on bytes it already has. The filter is fed from the socket's
   bufferevent and checks what it holds whenever reading is enabled again. */
static struct bufferevent *conn_tls_filter(struct mc_conn *c, struct bufferevent *plain,
                                           enum bufferevent_ssl_state state)
{
    struct bufferevent *tls =
        bufferevent_openssl_filter_new(c->base, plain, c->ssl, state, BEV_OPT_CLOSE_ON_FREE);
    if (tls)
        bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
    return tls;
}

int mc_conn_connect(struct mc_conn *c, const char *host, int port, bool implicit_tls,
                    struct mc_buf *err)
{
    struct bufferevent *plain = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (plain && implicit_tls) {
        if (!(c->ssl = conn_new_ssl(c, err))) {
            bufferevent_free(plain);
            return -1;
        }
        c->bev = conn_tls_filter(c, plain, BUFFEREVENT_SSL_CONNECTING);
        c->implicit_tls = true;
        if (!c->bev) {
            SSL_free(c->ssl);
            c->ssl = NULL;
            bufferevent_free(plain);
            plain = NULL;
        }
        c->tls_pending = false; /* CONNECTED is only reported after the handshake */
    } else {
        c->bev = plain;
    }
    if (!c->bev) {
        mc_buf_append_str(err, "cannot create a socket");
        return -1;
    }
    conn_attach(c);
    if (bufferevent_socket_connect_hostname(plain, NULL, AF_UNSPEC, host, port) != 0) {
        int dns = bufferevent_socket_get_dns_error(plain);
        c->failure = dns ? MC_CONN_FAIL_DNS : MC_CONN_FAIL_CONNECT;
        mc_buf_printf(err, "cannot connect to %s port %d: %s", host, port,
                      dns ? evutil_gai_strerror(dns) : strerror(errno));
        return -1;
    }
    return 0;
}

struct mc_conn *mc_conn_accept(struct event_base *base, int fd, SSL_CTX *tls_ctx, bool implicit_tls,
                               const struct mc_conn_handlers *h, void *arg)
{
    struct mc_conn *c = mc_conn_new(base, tls_ctx, NULL, h, arg);
    c->server = true;
    struct bufferevent *plain = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (plain && implicit_tls) {
        struct mc_buf err = {0};
        c->ssl = conn_new_ssl(c, &err);
        mc_buf_free(&err);
        c->bev = c->ssl ? conn_tls_filter(c, plain, BUFFEREVENT_SSL_ACCEPTING) : NULL;
        c->implicit_tls = true;
    } else {
        c->bev = plain;
    }
    if (!c->bev) {
        if (c->ssl)
            SSL_free(c->ssl);
        if (plain)
            bufferevent_free(plain); /* closes fd */
        else
            evutil_closesocket(fd);
        c->ssl = NULL;
        mc_conn_free(c);
        return NULL;
    }
    conn_attach(c);
    return c;
}

void mc_conn_close_after_flush(struct mc_conn *c)
{
    if (!c->bev || c->closed)
        return;
    c->close_when_flushed = true;
    bufferevent_disable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        conn_write_cb(c->bev, c);
}

/* Input still waiting in libevent's buffer (reading stopped at the read limit). */
static size_t conn_unread(struct mc_conn *c)
{
    return evbuffer_get_length(bufferevent_get_input(c->bev));
}

/* Octets `in` may still take before the read limit. */
static size_t conn_room(const struct mc_conn *c)
{
    size_t have = mc_inbuf_length(&c->in);
    if (!c->read_limit)
        return SIZE_MAX;
    return have < c->read_limit ? c->read_limit - have : 0;
}

/* Reading is off while `in` is full, and on again once there is room: libevent 2.1 keeps
   calling the read callback while a high-water mark holds (libevent issue 891), so a peer that
   floods us while nobody consumes would cost a busy loop; switching EV_READ off costs nothing.
   A closing connection decides about reading itself. */
static void conn_update_reading(struct mc_conn *c)
{
    bool full = conn_room(c) == 0;
    if (full && !c->paused) {
        bufferevent_disable(c->bev, EV_READ);
        c->paused = true;
    } else if (!full && c->paused && !c->close_when_flushed && !c->lingering) {
        bufferevent_enable(c->bev, EV_READ);
        c->paused = false;
    }
}

/* Hands every line completed by the octets from offset `from` of the input on to `record`,
   straight out of the buffer. Octets before `from` hold no line end not yet recorded. */
static void conn_record_lines(struct mc_conn *c, size_t from)
{
    const char *in = mc_inbuf_data(&c->in);
    size_t len = mc_inbuf_length(&c->in);
    while (from < len) {
        const char *lf = memchr(in + from, '\n', len - from);
        if (!lf)
            return;
        from = (size_t)(lf - in) + 1;
        if (c->h.record)
            c->h.record(c->arg, MC_CONN_RECEIVED, in + c->recorded, from - c->recorded);
        c->recorded = from;
    }
}

/* Records the input up to offset `upto` that is not yet recorded: part of a line that is
   consumed before its line end came (an IMAP literal), or the rest at close. */
static void conn_record_upto(struct mc_conn *c, size_t upto)
{
    if (upto <= c->recorded)
        return;
    if (c->h.record)
        c->h.record(c->arg, MC_CONN_RECEIVED, mc_inbuf_data(&c->in) + c->recorded,
                    upto - c->recorded);
    c->recorded = upto;
}

/* Moves what libevent has read into `in`, as far as the read limit allows, and records the
   lines it completes. How many octets came. */
static size_t conn_pull(struct mc_conn *c)
{
    size_t n = conn_unread(c), room = conn_room(c);
    if (n > room)
        n = room;
    if (n > 0) {
        size_t from = mc_inbuf_length(&c->in);
        evbuffer_remove(bufferevent_get_input(c->bev), mc_inbuf_space(&c->in, n), n);
        mc_inbuf_added(&c->in, n);
        conn_record_lines(c, from);
    }
    conn_update_reading(c);
    return n;
}

static void conn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_conn *c = arg;
    if (c->bev && !c->closed && !c->lingering && c->h.readable)
        c->h.readable(c->arg); /* may free c */
}

/* Octets moved into `in` outside a read callback (the owner made room) may be all there is:
   libevent will not call again for octets it already handed over (a TLS filter decrypts a
   whole burst at once), so the owner hears of them from a fresh event. */
static void conn_kick(struct mc_conn *c)
{
    if (!c->kick)
        c->kick = event_new(c->base, -1, 0, conn_kick_cb, c);
    event_active(c->kick, EV_TIMEOUT, 0);
}

/* Drops all input, read or still in libevent's buffer; how many octets that was. */
static size_t conn_drop_input(struct mc_conn *c)
{
    size_t n = mc_inbuf_length(&c->in) + conn_unread(c);
    evbuffer_drain(bufferevent_get_input(c->bev), conn_unread(c));
    mc_inbuf_clear(&c->in);
    c->recorded = 0;
    return n;
}

static void conn_discard_pending(struct mc_conn *c)
{
    size_t pending = conn_drop_input(c);
    if (pending == 0 || !c->h.record)
        return;
    char note[160];
    int n = snprintf(note, sizeof note,
                     "discarded %zu byte(s) sent behind STARTTLS before the handshake "
                     "(RFC 3207 section 4, CVE-2011-0411)",
                     pending);
    c->h.record(c->arg, MC_CONN_EVENT, note, (size_t)n);
}

int mc_conn_start_tls(struct mc_conn *c, struct mc_buf *err)
{
    if (c->server)
        conn_discard_pending(c);
    if (mc_inbuf_length(&c->in) + conn_unread(c) > 0) {
        mc_buf_append_str(err, "the server sent data after its STARTTLS reply and before the "
                               "TLS handshake; a client must not read it as part of the TLS "
                               "session (RFC 3207 section 4, RFC 2595 section 3.1, "
                               "CVE-2011-0411)");
        return -1;
    }
    SSL *ssl = conn_new_ssl(c, err);
    if (!ssl)
        return -1;
    struct bufferevent *tls = bufferevent_openssl_filter_new(
        c->base, c->bev, ssl, c->server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
        BEV_OPT_CLOSE_ON_FREE);
    if (!tls) {
        SSL_free(ssl);
        mc_buf_append_str(err, "cannot start TLS on the connection");
        return -1;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
    c->bev = tls;
    c->ssl = ssl;
    c->tls_pending = true;
    c->upgraded = true;
    c->recorded = 0;
    conn_attach(c);
    return 0;
}

bool mc_conn_is_tls(const struct mc_conn *c)
{
    return c->ssl != NULL && !c->tls_pending;
}

bool mc_conn_tcp_established(const struct mc_conn *c)
{
    if (!c->bev)
        return false;
    if (c->connected)
        return true;
    evutil_socket_t fd = bufferevent_getfd(conn_socket_bev(c));
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    return fd >= 0 && getpeername(fd, (struct sockaddr *)&peer, &len) == 0;
}

enum mc_conn_failure mc_conn_failure(const struct mc_conn *c)
{
    return c->failure;
}

void mc_conn_tls_facts(const struct mc_conn *c, struct mc_tls_facts *out)
{
    mc_tls_peer_facts(c->ssl, out);
}

void mc_conn_tls_description(const struct mc_conn *c, struct mc_buf *out)
{
    if (c->ssl)
        mc_tls_describe(c->ssl, out);
}

void mc_conn_write(struct mc_conn *c, const void *data, size_t len)
{
    if (!c->bev || c->closed || c->lingering)
        return;
    if (c->h.record)
        c->h.record(c->arg, MC_CONN_SENT, data, len);
    bufferevent_write(c->bev, data, len);
}

size_t mc_conn_input_length(const struct mc_conn *c)
{
    return mc_inbuf_length(&c->in);
}

const char *mc_conn_input(const struct mc_conn *c)
{
    return mc_inbuf_data(&c->in);
}

long mc_conn_find_line(struct mc_conn *c, size_t *total, bool *bare_lf)
{
    return mc_inbuf_find_line(&c->in, total, bare_lf);
}

void mc_conn_consume(struct mc_conn *c, size_t len)
{
    if (len > mc_inbuf_length(&c->in))
        len = mc_inbuf_length(&c->in);
    conn_record_upto(c, len);
    mc_inbuf_consume(&c->in, len);
    c->recorded -= len;
    if (c->bev && !c->closed && !c->lingering && conn_pull(c) > 0)
        conn_kick(c); /* there was room again for what libevent holds */
}

void mc_conn_take(struct mc_conn *c, size_t len, struct mc_buf *out)
{
    mc_buf_reset(out);
    if (len > mc_inbuf_length(&c->in))
        len = mc_inbuf_length(&c->in);
    if (len)
        mc_buf_append(out, mc_inbuf_data(&c->in), len);
    mc_conn_consume(c, len);
}

void mc_conn_set_read_limit(struct mc_conn *c, size_t limit)
{
    c->read_limit = limit;
    if (!c->bev)
        return;
    conn_set_read_chunk(c);
    if (!c->closed && !c->lingering && conn_pull(c) > 0)
        conn_kick(c);
}

/* libevent 2.1 re-enables reading when a filter's handshake completes and only then reports
   BEV_EVENT_CONNECTED, so bytes sent right after the handshake can be read first: whichever
   comes first ends the pending state. */
static void conn_tls_finished(struct mc_conn *c)
{
    if (!c->tls_pending || !c->ssl || !SSL_is_init_finished(c->ssl))
        return;
    c->tls_pending = false;
    if (c->h.tls_done)
        c->h.tls_done(c->arg);
}

/* The connection is up: TCP, or with implicit TLS the handshake. With implicit TLS being a
   filter too, the same race as for STARTTLS: bytes right after the handshake may be read
   before CONNECTED is reported; whichever comes first reports the connection up, once. */
static void conn_up(struct mc_conn *c)
{
    if (c->connected)
        return;
    c->connected = true;
    if (c->h.connected)
        c->h.connected(c->arg);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct mc_conn *c = arg;
    if (c->lingering) {
        conn_drop_input(c);
        return;
    }
    conn_tls_finished(c);
    if (c->implicit_tls && !c->connected && SSL_is_init_finished(c->ssl))
        conn_up(c);
    conn_pull(c);
    if (c->h.readable)
        c->h.readable(c->arg); /* may free c: nothing after this touches it */
}

/* Bytes still waiting to reach the socket: under a STARTTLS filter the encrypted bytes sit in the
   plain bufferevent below it after the filter's own buffer is empty. */
static size_t conn_unsent(struct mc_conn *c)
{
    size_t n = evbuffer_get_length(bufferevent_get_output(c->bev));
    struct bufferevent *sock = conn_socket_bev(c);
    return n + (sock != c->bev ? evbuffer_get_length(bufferevent_get_output(sock)) : 0);
}

#define CONN_FLUSH_POLL_MS 10 /* how often a closing TLS-filtered connection looks again */

static void conn_flush_wait_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_conn *c = arg;
    conn_write_cb(c->bev, c);
}

/* A TLS session ends with close_notify (RFC 8446 6.1), so the peer can tell the end from a
   truncation. The alert is written to the socket at once: the connection is about to be shut
   down or freed, and nothing else will flush it. Best effort: a peer that is gone is gone. */
static void conn_tls_goodbye(struct mc_conn *c)
{
    if (!c->ssl || !c->bev || c->tls_pending || c->said_goodbye || !SSL_is_init_finished(c->ssl))
        return;
    c->said_goodbye = true;
    SSL_shutdown(c->ssl); /* 0: ours is sent; the peer's is not awaited */
    ERR_clear_error();
    struct bufferevent *sock = conn_socket_bev(c);
    evutil_socket_t fd = bufferevent_getfd(sock);
    if (fd < 0 || sock == c->bev)
        return;
    /* A bufferevent's output is frozen at its front for anyone but the bufferevent itself,
       which will not run again: write the alert out of it here. */
    struct evbuffer *out = bufferevent_get_output(sock);
    evbuffer_unfreeze(out, 1);
    evbuffer_write(out, fd);
    evbuffer_freeze(out, 1);
}

/* The end of a close: `closed` is called once, and may free c. */
static void conn_finish_close(struct mc_conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    if (c->h.closed)
        c->h.closed(c->arg, false, "closed by this side"); /* may free c */
}

static void conn_linger_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_finish_close(arg);
}

/* Server side, everything sent: FIN to the peer, then read and drop its input until its EOF
   or CONN_LINGER_S (see there). Under a TLS filter the socket is the plain bufferevent's. */
static void conn_linger_start(struct mc_conn *c)
{
    evutil_socket_t fd = bufferevent_getfd(conn_socket_bev(c));
    conn_tls_goodbye(c);
    if (fd < 0 || shutdown(fd, SHUT_WR) != 0) {
        conn_finish_close(c);
        return;
    }
    c->lingering = true;
    conn_drop_input(c);
    bufferevent_enable(c->bev, EV_READ);
    c->linger = evtimer_new(c->base, conn_linger_done, c);
    struct timeval tv = {CONN_LINGER_S, 0};
    evtimer_add(c->linger, &tv);
}

size_t mc_conn_output_length(const struct mc_conn *c)
{
    return c->bev ? conn_unsent((struct mc_conn *)c) : 0;
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    struct mc_conn *c = arg;
    if (!c->close_when_flushed && !c->closed && c->h.drained &&
        evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        c->h.drained(c->arg);
        return;
    }
    if (!c->close_when_flushed || c->closed || c->lingering ||
        evbuffer_get_length(bufferevent_get_output(bev)))
        return;
    if (conn_unsent(c) > 0) {
        if (!c->flush_wait)
            c->flush_wait = evtimer_new(c->base, conn_flush_wait_cb, c);
        struct timeval tv = {0, CONN_FLUSH_POLL_MS * 1000};
        evtimer_add(c->flush_wait, &tv);
        return;
    }
    if (c->server)
        conn_linger_start(c); /* may free c */
    else
        conn_finish_close(c); /* may free c */
}

/* Socket errors that mean no connection was ever made: nothing listens, or no way there. */
static bool conn_error_is_connect(int err)
{
    return err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH || err == ETIMEDOUT ||
           err == EADDRNOTAVAIL || err == ENETDOWN || err == EHOSTDOWN;
}

static void conn_describe_error(struct mc_conn *c, short what, struct mc_buf *why)
{
    int dns = c->connected ? 0 : bufferevent_socket_get_dns_error(conn_socket_bev(c));
    unsigned long ssl_err = c->ssl ? bufferevent_get_openssl_error(c->bev) : 0;
    int sock_err = EVUTIL_SOCKET_ERROR();
    if (dns) {
        c->failure = MC_CONN_FAIL_DNS;
        mc_buf_printf(why, "the name does not resolve: %s", evutil_gai_strerror(dns));
    } else if (!c->connected && !ssl_err && conn_error_is_connect(sock_err)) {
        c->failure = MC_CONN_FAIL_CONNECT;
        mc_buf_append_str(why, evutil_socket_error_to_string(sock_err));
    } else if (ssl_err || (c->ssl && (c->tls_pending || !(what & BEV_EVENT_EOF)) && !sock_err)) {
        mc_buf_append_str(why, "TLS failed: ");
        enum mc_tls_failure_kind k = mc_tls_failure(c->ssl, ssl_err, why);
        /* Plain text where implicit TLS was declared is the set-up's mistake; after STARTTLS
           it is the server breaking the go-ahead it gave (RFC 3207 4, RFC 2595 4). */
        c->failure = k == MC_TLS_FAIL_VERIFY                       ? MC_CONN_FAIL_TLS_VERIFY
                     : k == MC_TLS_FAIL_NOT_TLS && c->implicit_tls ? MC_CONN_FAIL_TLS_NOT_TLS
                                                                   : MC_CONN_FAIL_TLS;
    } else if (sock_err) {
        c->failure = c->connected || !conn_error_is_connect(sock_err) ? MC_CONN_FAIL_IO
                                                                      : MC_CONN_FAIL_CONNECT;
        mc_buf_append_str(why, evutil_socket_error_to_string(sock_err));
    } else {
        c->failure = MC_CONN_FAIL_IO;
        mc_buf_append_str(why, "connection error");
    }
}

/* At the peer's close: everything it sent goes to `record`, the rest of a line without its
   line end too, and so do octets left in libevent's buffer beyond the read limit, which the
   owner never sees but the transcript must keep. */
static void conn_record_rest(struct mc_conn *c)
{
    conn_pull(c);
    conn_record_upto(c, mc_inbuf_length(&c->in));
    size_t rest = conn_unread(c);
    if (rest && c->h.record)
        c->h.record(c->arg, MC_CONN_RECEIVED,
                    (const char *)evbuffer_pullup(bufferevent_get_input(c->bev), -1), rest);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct mc_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        if (c->upgraded)
            conn_tls_finished(c); /* nothing if a read already reported it */
        else
            conn_up(c); /* nothing if a read already reported an implicit handshake */
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (c->lingering) {
            conn_finish_close(c); /* the peer's EOF (or reset) ends a lingering close */
            return;
        }
        if (c->closed)
            return;
        conn_record_rest(c);
        c->closed = true;
        struct mc_buf why = {0};
        bool error = (what & BEV_EVENT_ERROR) != 0 || c->tls_pending;
        if (error)
            conn_describe_error(c, what, &why);
        else
            mc_buf_append_str(&why, "the server closed the connection");
        if (c->h.closed)
            c->h.closed(c->arg, error, why.data);
        mc_buf_free(&why);
    }
}
