/*
 * server — the reference server's listeners and connections, protocol-neutral.
 *
 * One libevent loop serves every listener. A listener accepts connections (plain, or implicit
 * TLS), and each connection becomes a session: the server cuts what the client sends into
 * lines, refuses lines longer than the protocol's limit before buffering them, resets an idle
 * timer on every line, and hands each line to the protocol module of the listener (pop3.c,
 * smtp.c, imap.c), which answers through rs_session_send and may upgrade with STARTTLS
 * or close. A module may also ask for a counted run of raw octets (rs_session_read_octets: SMTP
 * BDAT), handed over in bounded pieces before lines resume. The server knows no protocol; the
 * protocol modules know no sockets. It builds on harness/lib and the mailstore only — never on the
 * harness engine, so it can never learn what a scenario expects.
 */
#ifndef RS_SERVER_H
#define RS_SERVER_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* The largest piece of raw octets (rs_session_read_octets) handed over at once: what the core
   buffers of a chunk, however large the chunk is. */
#define RS_OCTETS_PIECE_MAX (64u * 1024)
/* What the core keeps of the end of an over-long line it discards (too_long_end): enough for
   anything a protocol may announce there, such as an IMAP literal "{4294967295+}". */
#define RS_DISCARD_TAIL_MAX 32u
/* Replies a session may have waiting for a client that does not read them: above this, no
   further command is taken until they have gone out (harness limit; one reply may exceed it,
   pipelined commands cannot pile replies up beyond it). */
#define RS_OUTPUT_HIGH_WATER (1024u * 1024)

struct ms_store;
struct rs_server;
struct rs_session;

/* What a protocol module plugs into the server. */
struct rs_protocol {
    const char *name;   /* "pop3" */
    size_t line_max;    /* longest command line accepted, CRLF included (with its RFC) */
    int idle_timeout_s; /* close a session silent this long (with its RFC) */
    /* A connection is ready (after implicit TLS): greet. Returns the module's session state. */
    void *(*open)(struct rs_session *s);
    /* One line from the client, line end removed. `bare_lf`: it ended in a lone LF, not CRLF
       (RFC 5321 2.3.8 and RFC 1939 3 want CRLF; each protocol decides what a bare LF means).
       `line` is only valid during the call and is not NUL-terminated. */
    void (*line)(struct rs_session *s, void *st, const char *line, size_t len, bool bare_lf);
    /* Optional: raw octets asked for with rs_session_read_octets, in pieces of at most
       RS_OCTETS_PIECE_MAX, whatever they contain (CR, LF, NUL); `last` on the piece that
       completes the count, after which lines are delivered again. */
    void (*octets)(struct rs_session *s, void *st, const char *data, size_t len, bool last);
    /* The client sent more than line_max octets without a line end; `head` holds the first
       octets of that line (at most line_max). Answer, then return true to go on (the server
       discards the rest of the line as it arrives, buffering none of it) or false to have the
       connection closed. */
    bool (*too_long)(struct rs_session *s, void *st, const char *head, size_t head_len);
    /* Optional: the over-long line a too_long returning true let go on has ended; `tail` holds
       its last octets (at most RS_DISCARD_TAIL_MAX, line end removed) — what the line announced
       at its end (an IMAP literal whose octets follow) still has to be honoured. */
    void (*too_long_end)(struct rs_session *s, void *st, const char *tail, size_t tail_len);
    /* Optional: the session was silent for idle_timeout_s; say goodbye (SMTP's 421); the
       server closes the connection afterwards. */
    void (*idle)(struct rs_session *s, void *st);
    /* The STARTTLS handshake completed: forget what was learnt before it (RFC 3207 4.2). */
    void (*tls_done)(struct rs_session *s, void *st);
    /* The connection is gone (QUIT, error, timeout): release the state. */
    void (*close)(struct rs_session *s, void *st);
};

struct rs_listener_config {
    const char *name; /* "pop3", "pop3s", "submission" */
    const struct rs_protocol *proto;
    bool implicit_tls;
    bool auth_required; /* submission: no mail before AUTH (RFC 6409 4.3) */
    /* IMAP: no plaintext LOGIN/AUTHENTICATE before STARTTLS; announced as LOGINDISABLED
       (RFC 3501 6.2.3, RFC 9051 6.2.3). */
    bool login_requires_tls;
    void *arg; /* the protocol module's own data for this listener (the replay's), or NULL */
};

struct rs_server *rs_server_new(struct event_base *base, struct ms_store *store, SSL_CTX *tls,
                                const char *hostname);
void rs_server_free(struct rs_server *srv); /* closes listeners and sessions */
/* Listens on host:port (port 0: any free one); *bound gets the port. 0, or -1 with err. */
int rs_server_listen(struct rs_server *srv, const struct rs_listener_config *cfg, const char *host,
                     int port, int *bound, struct mc_buf *err);
size_t rs_server_session_count(const struct rs_server *srv);

/* For protocol modules. */
struct ms_store *rs_session_store(const struct rs_session *s);
const struct rs_listener_config *rs_session_listener(const struct rs_session *s);
const char *rs_session_hostname(const struct rs_session *s);
/* The server's event loop, for a module's own timers and wake-ups (IMAP IDLE). */
struct event_base *rs_session_base(const struct rs_session *s);
bool rs_session_tls_active(const struct rs_session *s);
bool rs_session_tls_available(const struct rs_session *s); /* a certificate is loaded */
/* Sends one line; CRLF is added. */
void rs_session_send(struct rs_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rs_session_send_raw(struct rs_session *s, const void *data, size_t len);
/* Starts the TLS handshake once what was sent so far (the positive STARTTLS reply) is on its
   way; plaintext the client pipelined behind STARTTLS is discarded (CVE-2011-0411). */
int rs_session_start_tls(struct rs_session *s);
/* Closes after what was sent has gone out. No more lines are delivered. */
void rs_session_close(struct rs_session *s);
/* The next n octets the client sends are not lines: they go to the protocol's `octets`
   callback (SMTP BDAT, RFC 3030). Nothing happens for n == 0. */
void rs_session_read_octets(struct rs_session *s, size_t n);
/* Changes the line limit (SMTP's text lines in DATA are longer than its command lines). */
void rs_session_set_line_max(struct rs_session *s, size_t line_max);

#endif
