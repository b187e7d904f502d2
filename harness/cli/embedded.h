/*
 * embedded — the reference server inside the mailconform process, the default target.
 *
 * `mailconform run` without --target starts it on the run's own event loop: a fresh in-memory
 * mailstore with as many test users as the parallel run needs, a self-signed certificate made
 * for this run, and every listener the reference server has, on ephemeral loopback ports. The
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

/* Starts the server on `base` with `users` test users; *target receives the profile. `dir`
   holds the certificate and key (kept); NULL: a temporary folder removed at stop. */
struct mc_embedded *mc_embedded_start(struct event_base *base, int users, const char *dir,
                                      struct mc_target **target, struct mc_buf *err);
/* mc_run_options.reset_user */
int mc_embedded_reset_user(void *arg, const char *user, struct mc_buf *why);
void mc_embedded_stop(struct mc_embedded *e);

#endif
