/*
 * provenance — what a report needs to say about where a run came from, so that a QA team can
 * hand it over and someone can tell later exactly what was run: the options (as JSON) and the
 * scenario set (how many, a SHA-256 over the files' ids and contents, and the git revision of
 * the checkout they came from, "+dirty" when they differ from it).
 */
#ifndef MC_CLI_PROVENANCE_H
#define MC_CLI_PROVENANCE_H

#include <stddef.h>

#include "engine/scenario.h"

/* A JSON object {"count", "sha256", "git_revision"} (git_revision null outside a checkout or
   without git), for mc_run_result.scenario_set_json. The caller frees it. */
char *mc_provenance_scenario_set(struct mc_scenario *const *scenarios, size_t count,
                                 const char *first_path);

#endif
