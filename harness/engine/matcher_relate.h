/*
 * matcher_relate — the matcher's part for values in relation: lines_each patterns that collect
 * one value per matching line into list variables, and the expect.check expressions
 * (relation.h) evaluated over this step's captures, its lists and earlier steps' variables.
 * Internal to the matcher (matcher.c, matcher_relate.c).
 */
#ifndef MC_ENGINE_MATCHER_RELATE_H
#define MC_ENGINE_MATCHER_RELATE_H

#include <stdbool.h>

#include "engine/regex.h"
#include "engine/scenario.h"
#include "proto/protocol.h"

/* The lists a step collected, by name, waiting to be stored like its captures. */
struct mc_collected {
    struct mc_strv names;
    struct mc_strv *lists; /* one per name */
};

/* Runs every lines_each pattern of `e` on every data line; false (rx->why says why) when a
   pattern does not compile or hits a limit. `key` names the fields ("untagged"). */
bool mc_relate_collect(struct mc_rx_ctx *rx, const char *key, const struct mc_expect *e,
                       const struct mc_strv *data, struct mc_collected *out);
/* Every check of `e` holds; else false with the explanation in rx->why. */
bool mc_relate_checks(struct mc_rx_ctx *rx, const struct mc_expect *e, const struct mc_collected *c,
                      const struct mc_reply *r);
void mc_collected_commit(const struct mc_collected *c, struct mc_vars *vars);
void mc_collected_free(struct mc_collected *c);

/* Whether a line matches one of e's lines_each patterns (for the closed set): 1, 0, or -1 on
   a limit or compile error. */
int mc_relate_line_collected(struct mc_rx_ctx *rx, const char *key, const struct mc_expect *e,
                             const char *line, size_t len);

#endif
