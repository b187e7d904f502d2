/*
 * browser_guard — the report browser's listener and the bounds on its connections.
 *
 * libevent 2.1's evhttp accepts without limit, and when accept() fails (no descriptor left:
 * EMFILE) its listener logs the error and tries again at once, for ever: a busy loop. The guard
 * binds the listener itself and hands it to evhttp, so that:
 *   - an accept error pauses accepting for BROWSER_ACCEPT_BACKOFF_MS (1 s) and is said on
 *     standard error, at most once in BROWSER_ACCEPT_LOG_S (a minute) with the count of
 *     those not said;
 *   - at most BROWSER_CONNECTIONS_MAX connections are open at once: at the cap the listener
 *     stops accepting, and new clients wait in the kernel's listen queue (the backlog) until a
 *     connection ends; they are neither answered nor dropped by the browser;
 *   - a connection must deliver each request whole within BROWSER_REQUEST_DEADLINE_S of its
 *     opening or of its previous answer being sent, or it is shut down: evhttp's own timeout
 *     counts silence only, so a client dripping a byte every 20 s would otherwise hold its
 *     connection for ever.
 * Each connection's bufferevent is made here (evhttp_set_bevcb, with a reference of the
 * guard's until the connection is known), and the connection's close callback tells the
 * guard when evhttp frees it.
 */
#ifndef MC_CLI_BROWSER_GUARD_H
#define MC_CLI_BROWSER_GUARD_H

#include <event2/event.h>
#include <event2/http.h>

#include "lib/buf.h"

struct mc_browser_guard;

/* Listens on the numeric address `host`, `port` (0: a free one) for `http`; the port listened
   on goes to *bound_port. NULL with a message in err. */
struct mc_browser_guard *mc_browser_guard_new(struct event_base *base, struct evhttp *http,
                                              const char *host, unsigned port, unsigned *bound_port,
                                              struct mc_buf *err);
/* A request arrived whole on its connection: the deadline waits until it is answered. Call it
   before answering. */
void mc_browser_guard_request(struct mc_browser_guard *g, struct evhttp_request *req);
/* Before evhttp_free (which frees the listener and the connections): the guard lets go of
   them. NULL is a no-op. */
void mc_browser_guard_free(struct mc_browser_guard *g);

#endif
