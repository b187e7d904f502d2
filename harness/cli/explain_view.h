/*
 * explain_view — the layout of `mailconform explain`: a scenario told to a learner.
 *
 * First the scenario itself: id, title, file, level, the RFC sections it cites (with links),
 * its sessions, what it requires of the server and its description. Then the dialogue step by
 * step, implicit steps included (a session opening, the fixtures): what the step does, the
 * lines the client sends, the reply it expects in words, the ${variables} it uses, the RFC
 * clause and level that require it, and the scenario's `why`. Without a run that is all
 * (explain_words.c gives the words). After a live run each step also shows the lines that
 * crossed the wire (render/render_transcript.c, from the scenario's report object) and a verdict
 * line: pass, or what was expected, what came and why it does not do.
 */
#ifndef MC_CLI_EXPLAIN_VIEW_H
#define MC_CLI_EXPLAIN_VIEW_H

#include <stdio.h>

#include "engine/result.h"
#include "engine/scenario.h"

/* The scenario told without running it. */
void mc_explain_print(FILE *out, const struct mc_scenario *sc);
/* The scenario told with what a live run of it did (its transcript still held). */
void mc_explain_print_result(FILE *out, const struct mc_scenario_result *r);

#endif
