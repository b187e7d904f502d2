/*
 * target — the server (or stack of servers) a run is aimed at.
 *
 * A target comes from a profile file (docs/target-format.md; written by
 * servers-under-test/NAME/start as DIR/target.json) or from one or more URLs
 * (SCHEME://user:pass@host:port, SCHEME one of the schemes of the protocol tables: imap,
 * imaps, submission, ...; see mc_scheme_find). It lists endpoints (protocol, host, port, TLS
 * mode), a pool of test users, how fixture messages reach a mailbox, how a user's mailbox is
 * emptied between scenarios, and the deviations from the RFCs that are known and accepted for
 * this server.
 */
#ifndef MC_ENGINE_TARGET_H
#define MC_ENGINE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/scenario.h"
#include "lib/buf.h"

struct mc_endpoint {
    char *name; /* "imap", "imaps", "submission", "lmtp" */
    const struct mc_protocol *proto;
    char *host; /* "127.0.0.1" */
    int port;
    enum mc_tls_mode tls;    /* NONE (STARTTLS is negotiated on it), or IMPLICIT */
    bool auth_required;      /* submission: mail only after AUTH */
    struct mc_strv promised; /* capabilities the server promises here ("STARTTLS", "IDLE",
                                "SASL=PLAIN"): a scenario that requires one the server does
                                not announce fails instead of being skipped */
};

struct mc_user {
    char *name; /* login name */
    char *password;
    char *address; /* mail address; default name@domain */
};

struct mc_deviation {
    char *scenario; /* scenario id, or a glob ("imap.idle.*") */
    char *reason;   /* what the server does and why it is tolerated, with the RFC */
};

struct mc_target {
    char *name;            /* "dovecot-2.3.19" */
    char *source;          /* the profile path or the URL(s), for the report */
    char *domain;          /* mail domain of the users: "localhost" */
    char *ca_file;         /* PEM to verify TLS with; NULL: do not verify (reported) */
    char *tls_server_name; /* SNI / name to verify; default the endpoint host */
    struct mc_endpoint *endpoints;
    size_t endpoint_count;
    struct mc_user *users;
    size_t user_count;
    char *deliver_endpoint; /* endpoint for fixtures (smtp/lmtp), NULL: fixtures unavailable */
    char **reset_command;   /* argv run before a scenario for each user it gets ("${user}"
                               substituted), NULL-terminated; NULL: no reset */
    bool disposable_users;  /* the users hold nothing of value: without a reset command, the
                               harness may empty their mailboxes over the protocol */
    struct mc_deviation *deviations;
    size_t deviation_count;
};

/* Reads a profile file; NULL with an error line ("file:line:col: field: why") on failure. */
struct mc_target *mc_target_load_profile(const char *path, struct mc_buf *errors);
/* Adds the endpoint (and user) of a URL to `t` (creating it when *t is NULL); -1 on error. */
int mc_target_add_url(struct mc_target **t, const char *url, struct mc_buf *errors);
void mc_target_free(struct mc_target *t);
/* A new, zeroed endpoint / user at the end of the target's list, for the caller to fill (its
   strings are then owned by the target). */
struct mc_endpoint *mc_target_add_endpoint(struct mc_target *t);
struct mc_user *mc_target_add_user(struct mc_target *t);
/* Writes `t` as a profile (the format mc_target_load_profile reads), atomically. 0 or -1. */
int mc_target_write_profile(const struct mc_target *t, const char *path, struct mc_buf *err);

/* The endpoint a session spec should connect to, or NULL (then the scenario is skipped and
   `why` says what the target lacks). */
const struct mc_endpoint *mc_target_endpoint_for(const struct mc_target *t,
                                                 const struct mc_session_spec *spec,
                                                 struct mc_buf *why);
const struct mc_endpoint *mc_target_endpoint_named(const struct mc_target *t, const char *name);
/* Appends the user's mail address: its own, or user@domain. */
void mc_user_address(const struct mc_user *u, const char *domain, struct mc_buf *out);
/* The deviation recorded for a scenario id, or NULL. */
const struct mc_deviation *mc_target_deviation_for(const struct mc_target *t, const char *id);

#endif
