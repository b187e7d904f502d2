/*
 * conn — one TCP connection of a session, plain or TLS, on the libevent loop.
 *
 * It connects (to an IP literal or a name), optionally wraps the socket in TLS at once
 * (implicit TLS, RFC 8314) or later (STARTTLS/STLS: a TLS filter over the plain bufferevent),
 * writes bytes and lets its owner read complete lines and exact-length blocks out of the input.
 * It records every byte in both directions, in order of arrival, through the `record`
 * callback (the transcript): incoming bytes are recorded line by line as soon as they arrive,
 * not when a framer consumes them, so the transcript keeps the true order of both sides.
 *
 * It knows no protocol, and serves both sides: the harness's sessions connect, the reference
 * server's connections are accepted (mc_conn_accept) and upgraded with mc_conn_start_tls in
 * server mode.
 *
 * Reading costs time linear in what arrives, whatever the peer sends: incoming bytes move out
 * of libevent's buffer into the connection's own contiguous input (lib/inbuf.c), where line
 * ends are looked for only in bytes not yet examined and framers read lines and literals in
 * place; `record` gets its bytes straight from that buffer. Limits: the input never holds more
 * than the read limit the owner sets; once full, reading stops until the owner consumes, so a
 * peer that never sends a line end (or floods us while nobody reads) cannot exhaust memory.
 */
#ifndef MC_LIB_CONN_H
#define MC_LIB_CONN_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/tls.h"

struct mc_conn;

/* Which way bytes went, for the `record` callback. */
enum mc_conn_dir {
    MC_CONN_SENT,     /* written by this side */
    MC_CONN_RECEIVED, /* read from the peer: one line with its line end; the part of a line
                         the owner consumed before its line end came (an IMAP literal); or
                         the rest at close */
    MC_CONN_EVENT,    /* not bytes: a description of what happened */
};

/* How a connection failed, so that its owner can tell a problem of the set-up (nothing
   listens there, a name that does not resolve, a certificate the tester does not trust, a
   plain-text port used for TLS) from a peer that broke the protocol. */
enum mc_conn_failure {
    MC_CONN_FAIL_NONE,
    MC_CONN_FAIL_CONNECT,     /* the TCP connection was never established */
    MC_CONN_FAIL_DNS,         /* the host name did not resolve */
    MC_CONN_FAIL_TLS_VERIFY,  /* the peer's certificate did not verify */
    MC_CONN_FAIL_TLS_NOT_TLS, /* TLS was expected and plain text came */
    MC_CONN_FAIL_TLS,         /* another TLS failure */
    MC_CONN_FAIL_IO,          /* reset or error on an established connection */
};

struct mc_conn_handlers {
    void (*connected)(void *arg); /* TCP up (and implicit TLS handshake done) */
    void (*tls_done)(void *arg);  /* STARTTLS handshake done */
    void (*readable)(void *arg);  /* more input is there */
    void (*closed)(void *arg, bool error, const char *why); /* EOF, reset, TLS failure */
    void (*record)(void *arg, enum mc_conn_dir dir, const char *data, size_t len);
    void (*drained)(void *arg); /* optional: everything written has left the output buffer */
};

struct mc_conn *mc_conn_new(struct event_base *base, SSL_CTX *tls_ctx, const char *tls_name,
                            const struct mc_conn_handlers *h, void *arg);
/* Closes at once, nothing more of the protocol said; a TLS session still ends with
   close_notify (RFC 8446 6.1) unless the peer already closed. */
void mc_conn_free(struct mc_conn *c);
/* Closes at once without even the TLS goodbye: a client that vanishes (a scenario's "abort"). */
void mc_conn_drop(struct mc_conn *c);

int mc_conn_connect(struct mc_conn *c, const char *host, int port, bool implicit_tls,
                    struct mc_buf *err);
/* Server side: takes over an accepted socket. With implicit TLS the handshake runs first and
   `connected` is called once it succeeded; a plain connection is usable at once. `tls_ctx` is
   a server context. NULL (socket closed) on failure. */
struct mc_conn *mc_conn_accept(struct event_base *base, int fd, SSL_CTX *tls_ctx, bool implicit_tls,
                               const struct mc_conn_handlers *h, void *arg);
/* Closes once everything written so far has gone out; `closed` is then called with
   "closed by this side". An accepted (server) connection closes gracefully, so that the peer
   reads the last reply even when it had pipelined more: once flushed, its socket is shut down
   for writing and its input read and discarded until the peer's EOF or a short linger timeout;
   only then is `closed` called. A client connection calls `closed` as soon as it is flushed. */
void mc_conn_close_after_flush(struct mc_conn *c);
/* Begins a TLS handshake over the open plain connection. Bytes the peer sent before the
   handshake must never be read as if they came over TLS (RFC 3207 section 4, RFC 2595 section
   3.1; CVE-2011-0411): a client fails (-1 with err) when the server sent any; a server
   discards what the client pipelined behind STARTTLS (recorded as an event). */
int mc_conn_start_tls(struct mc_conn *c, struct mc_buf *err);
bool mc_conn_is_tls(const struct mc_conn *c);
/* Whether the TCP connection is up (with implicit TLS, `connected` comes only after the
   handshake: this tells a stalled handshake from a connect that never completed). */
bool mc_conn_tcp_established(const struct mc_conn *c);
/* Why the connection failed (meaningful once `closed` reported an error). */
enum mc_conn_failure mc_conn_failure(const struct mc_conn *c);
/* What the client learnt of the server's certificate (all empty without TLS). */
void mc_conn_tls_facts(const struct mc_conn *c, struct mc_tls_facts *out);
void mc_conn_tls_description(const struct mc_conn *c, struct mc_buf *out);

void mc_conn_write(struct mc_conn *c, const void *data, size_t len);
/* Bytes written and not yet handed to the socket (a server stops taking commands above a
   limit until `drained`, so that a client that never reads cannot make it hold its replies). */
size_t mc_conn_output_length(const struct mc_conn *c);

/* Input access for framers: the bytes read and not yet consumed, contiguous. */
size_t mc_conn_input_length(const struct mc_conn *c);
/* The input itself, mc_conn_input_length octets; valid until the next call on c. */
const char *mc_conn_input(const struct mc_conn *c);
/* Finds the next line end ("\n"); returns the line length without "\r\n"/"\n" and sets
   *total to the bytes including the line end and *bare_lf when there was no CR; -1 when no
   complete line is buffered. Resumes where the last search stopped. */
long mc_conn_find_line(struct mc_conn *c, size_t *total, bool *bare_lf);
/* Consumes the first `len` bytes of the input (once the owner has used them in place). */
void mc_conn_consume(struct mc_conn *c, size_t len);
/* Removes `len` bytes from the input into `out` (replacing its content). */
void mc_conn_take(struct mc_conn *c, size_t len, struct mc_buf *out);
/* The input never holds more than this (0: no limit); reading stops while it is full and goes
   on by itself once the owner consumes, or the limit is raised. */
void mc_conn_set_read_limit(struct mc_conn *c, size_t limit);

#endif
