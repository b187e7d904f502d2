/*
 * loader — reads scenario files into struct mc_scenario, or says precisely what is wrong.
 *
 * Every error names the file, the line and column of the offending value, the field as a path
 * ("steps[3].expect.code") and why it is wrong, in the form editors understand:
 *     scenarios/pop3/x.json:12:17: steps[3].expect.code: must be an integer from 200 to 599
 * Checks go beyond JSON types: unknown keys are errors (typos must not silently disable a
 * check), sessions named by steps must exist, expect keys must suit the session's protocol,
 * regular expressions must compile, ${variables} must be known or captured earlier.
 */
#ifndef MC_ENGINE_LOADER_H
#define MC_ENGINE_LOADER_H

#include "engine/scenario.h"
#include "lib/buf.h"

/* Loads one file. On failure returns NULL and appends one or more error lines (each ending in
   '\n') to `errors`. */
struct mc_scenario *mc_scenario_load(const char *path, struct mc_buf *errors);

/* Expands files and folders (recursively, *.json, sorted) into a list of scenario files. Folders
   named "schema" are skipped. Returns 0, or -1 with an error line for a path that does not
   exist. */
int mc_scenario_collect(const char *const *paths, size_t count, struct mc_strv *files,
                        struct mc_buf *errors);

/* Collects and loads every scenario under `paths` and checks that no two share an id. All
   scenarios that loaded are returned in *out (free each with mc_scenario_free, then *out);
   -1 when any path, file or id had an error (appended to `errors`). */
int mc_scenario_load_all(const char *const *paths, size_t count, struct mc_scenario ***out,
                         size_t *loaded, size_t *files_seen, struct mc_buf *errors);

#endif
