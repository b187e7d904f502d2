/*
 * track — messages a scenario names by their number at one moment ("track": {"third": 3}),
 * followed while their numbers shift.
 *
 * IMAP numbers messages 1..n in each session; an EXPUNGE response removes one and moves every
 * later message down by one (RFC 9051 7.5.1, RFC 3501 7.4.1). A scenario that wants "the
 * message that was number 3" after an expunge cannot predict the order of the server's
 * EXPUNGE responses, but it can follow them: the tracker reads every reply of the session that
 * named the message, as a client keeping its view of the mailbox would, and keeps ${name} at
 * the message's current number. If the message itself is expunged, ${name} becomes 0, which no
 * message has: a command naming it is refused and a pattern expecting a number fails, and the
 * transcript says when it happened. The protocol says which lines expunge (its `expunged`
 * slot), so this module names none.
 */
#ifndef MC_ENGINE_TRACK_H
#define MC_ENGINE_TRACK_H

#include <stddef.h>

#include "engine/vars.h"
#include "lib/buf.h"
#include "proto/protocol.h"

struct mc_tracker;

struct mc_tracker *mc_tracker_new(void);
void mc_tracker_free(struct mc_tracker *t);

/* Names message `number` of session `session` `name` (again, if it was named before), and
   sets ${name}. */
void mc_tracker_declare(struct mc_tracker *t, struct mc_vars *vars, int session, const char *name,
                        unsigned long number);

/* Follows the data lines of one reply of session `session`, in order, through `proto`'s
   `expunged`. Each tracked message of that session that is expunged adds a sentence to
   `notes` (for the transcript). */
void mc_tracker_reply(struct mc_tracker *t, struct mc_vars *vars, int session,
                      const struct mc_protocol *proto, const struct mc_strv *data,
                      struct mc_strv *notes);

#endif
