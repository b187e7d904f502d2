/*
 * session — one named session of a running scenario: a connection plus the protocol's framer.
 *
 * The session turns the byte stream into complete replies with the protocol table's framer,
 * enforcing the limits (line length, literal size, the reply's memory) before anything is
 * buffered: lines and literals are read in place from the connection's input, a literal in
 * pieces as it arrives, so the input never holds more than a line's worth. It tells its
 * owner what happened through one callback. It sends what the owner asks, waits for what the
 * owner asks (a reply, a set of lines, the close of the connection) and never decides whether
 * a reply is right: that is the matcher's job.
 */
#ifndef MC_ENGINE_SESSION_H
#define MC_ENGINE_SESSION_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>

#include "engine/result.h"
#include "engine/scenario.h"
#include "engine/target.h"
#include "engine/vars.h"
#include "lib/conn.h"
#include "proto/protocol.h"

enum mc_session_event {
    MC_SEV_CONNECTED, /* TCP (and implicit TLS) up; the greeting is being read */
    MC_SEV_REPLY,     /* s->reply is complete (or, when awaiting, the lines arrived) */
    MC_SEV_TLS_DONE,  /* the STARTTLS handshake completed */
    MC_SEV_CLOSED,    /* the server closed the connection (why: how) */
    MC_SEV_FAILED,    /* the reply broke the protocol, or I/O or TLS failed (why: how) */
};

struct mc_session;
typedef void (*mc_session_cb)(void *arg, struct mc_session *s, enum mc_session_event ev,
                              const char *why);

struct mc_session {
    int index; /* in the scenario's sessions; -1 internal (fixtures) */
    const char *name;
    const struct mc_protocol *proto;
    const struct mc_endpoint *endpoint;
    const struct mc_user *user;
    struct mc_vars *local; /* user, password, address of this session */
    struct mc_proto_state *pst;
    struct mc_conn *conn;
    bool open;     /* connected and not closed */
    bool closed;   /* the server closed (or we aborted) */
    bool reading;  /* a reply is being assembled */
    bool awaiting; /* reading until await_expect's lines arrived */
    const struct mc_expect *await_expect;
    const struct mc_vars *await_vars;
    struct mc_reply reply;
    size_t literal_need; /* bytes of an announced literal still to read */
    char *closed_why;
    /* What the server said last before it closed, escaped (lib/escape.h), for the failure to
       show it rather than a bare "connection reset": the last line of a reply the close cut
       short, or the status line of the reply before it when that was negative (an SMTP 421,
       a POP3 -ERR); NULL when it said nothing of note. */
    char *last_words;
    char *last_negative;          /* the status line of the last complete reply, if negative */
    enum mc_conn_failure failure; /* why the connection failed (set before MC_SEV_FAILED) */
    bool greeted;                 /* a first line came from the server */
    mc_session_cb cb;
    void *cb_arg;
    void (*record)(void *arg, struct mc_session *s, enum mc_transcript_dir dir, const char *data,
                   size_t len);
};

struct mc_session *mc_session_new(int index, const char *name, const struct mc_protocol *proto,
                                  const struct mc_endpoint *ep, const struct mc_user *user,
                                  const char *domain);
void mc_session_free(struct mc_session *s);

/* Connect; MC_SEV_CONNECTED then MC_SEV_REPLY with the greeting (or FAILED). */
int mc_session_open(struct mc_session *s, struct event_base *base, SSL_CTX *tls_ctx,
                    const char *tls_name, struct mc_buf *err);
/* Send (COMMAND/CONTINUE: a line; DATA: a message) and read the reply: MC_SEV_REPLY. */
void mc_session_exchange(struct mc_session *s, enum mc_exchange ex, const char *line, size_t len,
                         const struct mc_exchange_opts *opts);
/* Send raw bytes, as a new command (COMMAND) or inside the one in progress (CONTINUE); read a
   reply only if read_reply. */
void mc_session_send_raw(struct mc_session *s, enum mc_exchange ex, const char *data, size_t len,
                         bool read_reply);
/* Read (without sending) until e's lines have arrived: MC_SEV_REPLY. */
void mc_session_await(struct mc_session *s, const struct mc_expect *e, const struct mc_vars *v);
/* Begin TLS over the open connection: MC_SEV_TLS_DONE or FAILED; -1 now if it cannot start. */
int mc_session_start_tls(struct mc_session *s, struct mc_buf *err);
/* Stop reading the current reply (deadline passed); what arrived stays in s->reply. */
void mc_session_stop_reading(struct mc_session *s);
/* Whether the connection's failure is a problem of the set-up (nothing listens, a name that
   does not resolve, an untrusted certificate, plain text where TLS was expected): its cause,
   and a hint naming what to fix. MC_CAUSE_NONE when the server is to blame. */
enum mc_cause mc_session_failure_cause(const struct mc_session *s);
void mc_session_failure_hint(const struct mc_session *s, struct mc_buf *hint);
/* Drop the connection without any goodbye. */
void mc_session_abort(struct mc_session *s);

#endif
