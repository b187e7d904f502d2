/*
 * browser_guard — the report browser's listener and connection bounds (browser_guard.h).
 */
#include "cli/browser_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/buf.h"

/* Connections open at once. A browser opens up to 6 per host; 64 lets about ten people browse
   at the same time and stays far below the usual limit of 1024 descriptors. */
#define BROWSER_CONNECTIONS_MAX 64
/* Time for a request to arrive whole, from the connection's opening or its previous answer. */
#define BROWSER_REQUEST_DEADLINE_S 30
/* Pause after accept() fails (out of descriptors, of memory) before trying again. */
#define BROWSER_ACCEPT_BACKOFF_MS 1000
/* An accept error is said at most this often (the first at once): out of descriptors, the
   retries fail again and again, and sometimes one gets through. */
#define BROWSER_ACCEPT_LOG_S 60
/* How often the connections are looked at: deadlines, and which ones evhttp has closed. */
#define BROWSER_SWEEP_MS 1000
/* Connections the kernel completes and queues while the browser does not accept (listen(2)). */
#define BROWSER_BACKLOG 128

struct mc_browser_guard;

/* A connection, from its bufferevent's making (evhttp_set_bevcb) to evhttp's freeing it
   (the close callback of its evhttp_connection, set as soon as it is known: on_sweep). */
struct browser_conn {
    struct mc_browser_guard *g;
    struct bufferevent *bev;         /* one reference is ours until evhttp frees it */
    struct evhttp_connection *evcon; /* NULL until adopted */
    struct timespec since;           /* opened, or its last answer was sent */
    bool answering;                  /* a request arrived whole; its answer is not sent yet */
    bool cut;                        /* shut down at its deadline; evhttp has yet to close it */
    struct browser_conn *next;
};

struct mc_browser_guard {
    struct evhttp *http;
    struct evconnlistener *listener; /* owned by evhttp once bound */
    struct mc_browser_guard *next;   /* in `guards` */
    struct event *sweep, *backoff;
    struct browser_conn *conns;
    size_t count;
    bool paused; /* after an accept error, until the back-off ends */
    bool logged; /* an accept error was said, at logged_at */
    struct timespec logged_at;
    unsigned long unsaid; /* accept errors since, not said */
};

/* The guards by their listener: a listener's callbacks share one argument, which is evhttp's
   (evhttp_bind_listener), so the error callback finds its guard here. */
static struct mc_browser_guard *guards;

static struct mc_browser_guard *guard_of(const struct evconnlistener *listener)
{
    struct mc_browser_guard *g = guards;
    while (g && g->listener != listener)
        g = g->next;
    return g;
}

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static struct timeval ms(long n)
{
    return (struct timeval){n / 1000, (n % 1000) * 1000};
}

/* Accepts when not paused and under the cap; otherwise new clients wait in the backlog. */
static void update_accepting(struct mc_browser_guard *g)
{
    if (!g->paused && g->count < BROWSER_CONNECTIONS_MAX)
        evconnlistener_enable(g->listener);
    else
        evconnlistener_disable(g->listener);
}

static void on_accept_error(struct evconnlistener *listener, void *evhttp)
{
    struct mc_browser_guard *g = guard_of(listener);
    int e = EVUTIL_SOCKET_ERROR();
    (void)evhttp;
    if (!g) { /* not ours: never happens, but never spin either */
        evconnlistener_disable(listener);
        return;
    }
    if (!g->logged || seconds_since(&g->logged_at) >= BROWSER_ACCEPT_LOG_S) {
        fprintf(stderr,
                "mailconform serve: report browser: cannot accept connections (%s); trying "
                "again every %d ms, said at most once in %d s",
                strerror(e), BROWSER_ACCEPT_BACKOFF_MS, BROWSER_ACCEPT_LOG_S);
        if (g->unsaid)
            fprintf(stderr, " (%lu more since it was last said)", g->unsaid);
        fputc('\n', stderr);
        g->logged = true;
        g->unsaid = 0;
        clock_gettime(CLOCK_MONOTONIC, &g->logged_at);
    } else {
        g->unsaid++;
    }
    g->paused = true;
    update_accepting(g);
    struct timeval tv = ms(BROWSER_ACCEPT_BACKOFF_MS);
    evtimer_add(g->backoff, &tv);
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
    struct mc_browser_guard *g = arg;
    (void)fd;
    (void)what;
    g->paused = false;
    update_accepting(g);
}

/* evhttp's bevcb: a new connection was accepted; its bufferevent is made here, with a
   reference of ours so that it stays valid until the connection is adopted. */
static struct bufferevent *on_new_connection(struct event_base *base, void *arg)
{
    struct mc_browser_guard *g = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    struct browser_conn *c = mc_xcalloc(1, sizeof *c);
    bufferevent_incref(bev);
    *c = (struct browser_conn){.g = g, .bev = bev, .next = g->conns};
    clock_gettime(CLOCK_MONOTONIC, &c->since);
    g->conns = c;
    g->count++;
    update_accepting(g);
    event_active(g->sweep, EV_TIMEOUT, 0); /* adopts it once evhttp has set it up */
    return bev;
}

static void forget(struct browser_conn *c)
{
    struct mc_browser_guard *g = c->g;
    for (struct browser_conn **p = &g->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    g->count--;
    bufferevent_decref(c->bev);
    free(c);
}

/* evhttp frees the connection: it is forgotten at once, and its place is free. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct browser_conn *c = arg;
    struct mc_browser_guard *g = c->g;
    (void)evcon;
    forget(c);
    update_accepting(g);
}

/* The evhttp connection of c: its bufferevent's callback argument while evhttp holds it
   (evhttp always sets its error callback); NULL once evhttp has freed it. */
static struct evhttp_connection *connection_of(const struct browser_conn *c)
{
    bufferevent_event_cb on_event = NULL;
    void *arg = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, &on_event, &arg);
    return on_event ? arg : NULL;
}

static void adopt(struct browser_conn *c, struct evhttp_connection *evcon)
{
    c->evcon = evcon;
    evhttp_connection_set_closecb(evcon, on_close, c);
}

/* Adopts the new connections, forgets any evhttp freed before it was adopted, and shuts down
   those past their deadline (evhttp then sees the end and frees them). */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct mc_browser_guard *g = arg;
    (void)fd;
    (void)what;
    for (struct browser_conn *c = g->conns, *next; c; c = next) {
        next = c->next;
        if (!c->evcon) {
            struct evhttp_connection *evcon = connection_of(c);
            if (!evcon) {
                forget(c);
                continue;
            }
            adopt(c, evcon);
        }
        if (!c->answering && !c->cut && seconds_since(&c->since) >= BROWSER_REQUEST_DEADLINE_S) {
            shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
            c->cut = true;
        }
    }
    update_accepting(g);
}

static void on_answered(struct evhttp_request *req, void *arg)
{
    struct browser_conn *c = arg;
    (void)req;
    c->answering = false;
    clock_gettime(CLOCK_MONOTONIC, &c->since);
}

void mc_browser_guard_request(struct mc_browser_guard *g, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    struct browser_conn *c = g->conns;
    while (c && (!bev || c->bev != bev))
        c = c->next;
    if (!c)
        return;
    if (!c->evcon)
        adopt(c, evcon);
    c->answering = true;
    evhttp_request_set_on_complete_cb(req, on_answered, c);
}

static int make_address(const char *host, unsigned port, struct sockaddr_storage *ss,
                        socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
    } else {
        return -1;
    }
    return 0;
}

static unsigned listener_port(struct evconnlistener *listener)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct mc_browser_guard *mc_browser_guard_new(struct event_base *base, struct evhttp *http,
                                              const char *host, unsigned port, unsigned *bound_port,
                                              struct mc_buf *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (make_address(host, port, &ss, &len) != 0) {
        mc_buf_printf(err, "'%s' is not a numeric address", host);
        return NULL;
    }
    struct mc_browser_guard *g = mc_xcalloc(1, sizeof *g);
    g->http = http;
    g->listener = evconnlistener_new_bind(
        base, NULL, NULL, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_CLOSE_ON_FREE,
        BROWSER_BACKLOG, (struct sockaddr *)&ss, (int)len);
    if (!g->listener) {
        mc_buf_printf(err, "%s", strerror(errno));
        free(g);
        return NULL;
    }
    if (!evhttp_bind_listener(http, g->listener)) {
        mc_buf_printf(err, "out of memory");
        evconnlistener_free(g->listener);
        free(g);
        return NULL;
    }
    g->next = guards;
    guards = g;
    evconnlistener_set_error_cb(g->listener, on_accept_error);
    evhttp_set_bevcb(http, on_new_connection, g);
    g->sweep = event_new(base, -1, EV_PERSIST, on_sweep, g);
    g->backoff = evtimer_new(base, on_backoff, g);
    struct timeval tv = ms(BROWSER_SWEEP_MS);
    event_add(g->sweep, &tv);
    *bound_port = listener_port(g->listener);
    return g;
}

void mc_browser_guard_free(struct mc_browser_guard *g)
{
    if (!g)
        return;
    for (struct mc_browser_guard **p = &guards; *p; p = &(*p)->next)
        if (*p == g) {
            *p = g->next;
            break;
        }
    while (g->conns) { /* evhttp keeps them, without our callbacks, until evhttp_free */
        struct browser_conn *c = g->conns;
        if (c->evcon && connection_of(c))
            evhttp_connection_set_closecb(c->evcon, NULL, NULL);
        forget(c);
    }
    evconnlistener_set_error_cb(g->listener, NULL);
    evhttp_set_bevcb(g->http, NULL, NULL);
    event_free(g->sweep);
    event_free(g->backoff);
    free(g);
}
