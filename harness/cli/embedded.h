/*
 * embedded — the reference server inside the mailconform process, the default target.
 *
 * `mailconform run` without --target starts it on the run's own event loop: a fresh in-memory
 * mailstore with as many test users as the parallel run needs, a self-signed certificate made
 * for this run, and every listener the reference server has (one per scheme of the protocol
 * tables it speaks: "imap", "imaps", "submission", ...) on ephemeral loopback ports. The
 * target it returns names those endpoints; users are emptied between scenarios directly in the
 * store. This file is the only place where the harness and the reference server meet: the
 * engine talks to it over sockets like to any other server.
 */
#ifndef MC_CLI_EMBEDDED_H
#define MC_CLI_EMBEDDED_H

#include <event2/event.h>

#include "engine/target.h"
#include "lib/buf.h"

struct mc_embedded;

struct mc_embedded_config {
    int users;                   /* test users mc01..mcNN to make (when no users_file) */
    const char *users_file;      /* "name:password" lines instead, or NULL */
    const char *dir;             /* keeps the certificate and key; NULL: a temporary folder */
    const char *maildir;         /* persist the mailstore there (Maildir++), or NULL: in memory */
    const char *cert, *key;      /* PEM certificate (chain) and key; NULL: a self-signed one */
    const char *host;            /* IPv4 address to listen on; NULL: 127.0.0.1 */
    const struct mc_strv *ports; /* "NAME=PORT" entries, NAME a listener (below); a listener
                                    not named gets a free port */
};

/* The listeners' names, separated by `sep`: every scheme of the protocol tables ("imaps",
   "submission", ...) whose protocol the reference server speaks. */
void mc_embedded_listener_names(struct mc_buf *out, const char *sep);
/* Checks one "NAME=PORT" entry of mc_embedded_config.ports; 0, or -1 with a message. */
int mc_embedded_check_port(const char *spec, struct mc_buf *err);

/* Starts the server on `base`; *target receives the profile. */
struct mc_embedded *mc_embedded_start(struct event_base *base, const struct mc_embedded_config *cfg,
                                      struct mc_target **target, struct mc_buf *err);
/* mc_run_options.reset_user */
int mc_embedded_reset_user(void *arg, const char *user, struct mc_buf *why);
void mc_embedded_stop(struct mc_embedded *e);

#endif
