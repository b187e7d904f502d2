/*
 * matcher — decides whether a reply is what a step expected, and says why not.
 *
 * Regular expressions are PCRE2 (Perl syntax, named groups `(?<name>...)` capture into
 * variables). Patterns are compiled after ${variable} substitution (values quoted to match
 * literally). Line sets follow docs/scenario-format.md: `lines` (each pattern matches a distinct
 * line, any order), `lines_in_order`, `lines_may` (closes the set), `lines_none`; IMAP calls them
 * `untagged...`. An expectation may hold alternatives ("any_of": one must match) and checks of
 * variables earlier steps captured ("captured"). The explanation written on a mismatch names
 * what was expected and what came, in one or two lines a learner can read.
 */
#ifndef MC_ENGINE_MATCHER_H
#define MC_ENGINE_MATCHER_H

#include <stdbool.h>

#include "engine/scenario.h"
#include "engine/vars.h"
#include "lib/buf.h"
#include "proto/protocol.h"

/* True when `r` meets `e`. On success, named captures are stored in `vars`; on failure `why`
   gets the explanation and `vars` is unchanged. A pattern that does not compile after
   substitution is a failure with the PCRE2 message. */
bool mc_expect_check(const struct mc_expect *e, const struct mc_protocol *proto,
                     const struct mc_reply *r, struct mc_vars *vars, const struct mc_vars *local,
                     struct mc_buf *why);

/* Whether a continuation request is a reply the step itself judges ("continuation": true in
   the expectation or in one of its alternatives), not one the engine answers (SASL). */
bool mc_expect_wants_continuation(const struct mc_expect *e);

/* For steps that wait without sending (IDLE): true as soon as the reply's data lines already
   satisfy every `lines`/`lines_in_order` pattern (the engine then stops waiting and runs
   mc_expect_check for the rest). */
bool mc_expect_lines_arrived(const struct mc_expect *e, const struct mc_reply *r,
                             const struct mc_vars *vars, const struct mc_vars *local);

/* For the loader: 0 if `pattern` compiles (with every ${var} replaced by a placeholder), else -1
   with PCRE2's message and offset in `err`. */
int mc_regex_check(const char *pattern, struct mc_buf *err);
/* For the loader: the names of the pattern's named groups. */
void mc_regex_group_names(const char *pattern, struct mc_strv *names);

#endif
