/*
 * explain_words — a scenario's steps in words a student of the protocols understands, for
 * `mailconform explain`.
 *
 * Everything here is derived from the loaded scenario (engine/scenario.h) and the protocol
 * tables, never from a run: what each step does and the lines the client sends, written the
 * way the protocol puts them on the wire (the protocol's own `begin`, so an IMAP command gets
 * the tag a run would give it) with values known only at run time left as ${name}; what reply
 * the step expects (from its `expect`, or the action's default), clause by clause, in the
 * protocol's own terms ("+OK", "a tagged OK", "a 250 reply", the untagged lines that must or
 * must not come, what a pattern captures); where each ${variable} gets its value; and what the
 * engine does without being asked (opening a session, delivering fixtures). The sessions and
 * actions are told by explain_words.c, expectations and variables by explain_expect.c.
 */
#ifndef MC_CLI_EXPLAIN_WORDS_H
#define MC_CLI_EXPLAIN_WORDS_H

#include <stdbool.h>

#include "engine/scenario.h"
#include "lib/buf.h"

/* Follows the scenario's sessions as a run would (which are open, their protocol state for
   tags), so that each step can be told in order. */
struct mc_explainer;

struct mc_explainer *mc_explainer_new(const struct mc_scenario *sc);
void mc_explainer_free(struct mc_explainer *x);

/* What opening session `session` does before a step uses it (connect, greeting, STARTTLS for
   "tls": "starttls"), and the lines it sends. */
void mc_explain_open(struct mc_explainer *x, size_t session, struct mc_buf *what,
                     struct mc_strv *sends);
/* Whether step `i` opens its session first (its first use, and not a connect step). Call
   once per step, in order: it moves the sessions' state on. */
bool mc_explain_opens(struct mc_explainer *x, size_t i);
/* What step `i` does, in one sentence, and the lines the client sends (`C:` lines, CRLF
   left out). Call after mc_explain_opens for the same step. */
void mc_explain_action(struct mc_explainer *x, size_t i, struct mc_buf *what,
                       struct mc_strv *sends);
/* What the fixtures (the messages delivered before the first step) are. */
void mc_explain_fixtures(const struct mc_scenario *sc, struct mc_buf *what);

/* The reply step `i` expects, one clause per line; a line may start with spaces (the patterns
   of a list, the alternatives of any_of). */
void mc_explain_expect(const struct mc_scenario *sc, size_t i, struct mc_strv *lines);
/* The greeting a session's opening expects. */
void mc_explain_greeting(const struct mc_protocol *p, struct mc_buf *out);

/* Each ${variable} step `i` uses, with where its value comes from: "${n}: captured by step 2". */
void mc_explain_vars(const struct mc_scenario *sc, size_t i, struct mc_strv *lines);

/* Whether the protocol tags its commands and says "untagged" for its data lines (IMAP): its
   replies are "a tagged OK" (the loader's `tagged` key goes by the same test). */
bool mc_explain_has_tags(const struct mc_protocol *p);

/* The requirement level in words (RFC 2119). */
const char *mc_explain_level(enum mc_level level);

#endif
