/*
 * replay — the server side of a recorded report, played back to a client.
 *
 * `mailconform serve --replay REPORT.json` loads a JSON report (docs/report-format.md), opens
 * one listener per endpoint the recording had (same name, protocol and TLS mode, on free
 * loopback ports) and, for each dialogue the report holds — the probe of each endpoint
 * (endpoints[].transcript), then every scenario in report order — answers a client with what
 * the recorded server said: the greeting, every reply in order, TLS where the recording had
 * it, as long as the client sends what the transcript holds (matched loosely where values
 * differ per run: masked passwords and SASL responses, the scenario's run_id, IMAP tags and
 * literal sizes, message bodies). A client that deviates gets the protocol's own goodbye
 * (POP3 -ERR, IMAP * BYE, SMTP/LMTP 421) and the log names the scenario, the session, the
 * transcript index, what was expected and what came. docs/decisions.md says how a connection
 * finds its recorded session.
 *
 * It builds on harness/lib and the reference server's listeners (server.h) only, never on
 * the engine: it reads the report with jansson as any reader would.
 */
#ifndef RS_REPLAY_H
#define RS_REPLAY_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/buf.h"

struct rp_replay;

/* One endpoint of the recording, as the replay serves it. */
struct rp_endpoint_info {
    const char *name;     /* "imaps" */
    const char *protocol; /* "imap" */
    bool implicit_tls;
    bool auth_required;
    const struct mc_strv *promised;
    int port; /* where it listens (after rp_replay_listen) */
};

/* Reads and checks the report; NULL with "FILE: where: what is wrong" in err. */
struct rp_replay *rp_replay_load(const char *path, struct mc_buf *err);
void rp_replay_free(struct rp_replay *rp);
/* Where deviations and progress are logged (default stderr). */
void rp_replay_set_log(struct rp_replay *rp, FILE *log);

/* What the recording tells about its target, for the profile the replay writes. */
const char *rp_replay_target_name(const struct rp_replay *rp); /* may be NULL */
const char *rp_replay_domain(const struct rp_replay *rp);      /* "localhost" if unknown */
size_t rp_replay_endpoint_count(const struct rp_replay *rp);
void rp_replay_endpoint(const struct rp_replay *rp, size_t i, struct rp_endpoint_info *out);
/* The test users the recording used (login names, in the order the profile listed them as far
   as the report shows). */
const struct mc_strv *rp_replay_users(const struct rp_replay *rp);
/* The password the replay gives `user` (appended to out): "replay-USER". A report masks the
   real ones; the replay accepts any text where it masked a password, and checks a SCRAM
   client's proof against this one (the profile serve --replay writes carries it). */
void rp_replay_password(const char *user, struct mc_buf *out);
/* The endpoint the recording delivered fixtures through (SMTP or LMTP), or NULL. */
const char *rp_replay_deliver_endpoint(const struct rp_replay *rp);
/* The known deviations of the recorded profile (the report's deviations[]). */
size_t rp_replay_deviation_count(const struct rp_replay *rp);
void rp_replay_deviation(const struct rp_replay *rp, size_t i, const char **scenario,
                         const char **reason);
/* How many dialogues it plays (probes and scenarios), and how many were refused at load. */
size_t rp_replay_play_count(const struct rp_replay *rp);

/* Opens one listener per endpoint on host (port 0: free ports), TLS with `tls`. */
int rp_replay_listen(struct rp_replay *rp, struct event_base *base, SSL_CTX *tls, const char *host,
                     struct mc_buf *err);

#endif
