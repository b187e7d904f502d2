/*
 * vars — the ${name} variables of a running scenario.
 *
 * Built-ins are set by the engine before the first step (user, password, address for the
 * session's user; user1, password1, address1, user2 ... for each user of the scenario; domain;
 * host; run_id, unique per scenario run so parallel runs never see each other's mail). Captures
 * (named groups of any matched regex) are added as steps pass, and are visible to every session
 * of the scenario. Values are binary-safe.
 */
#ifndef MC_ENGINE_VARS_H
#define MC_ENGINE_VARS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct mc_vars;

struct mc_vars *mc_vars_new(void);
void mc_vars_free(struct mc_vars *v);
void mc_vars_set(struct mc_vars *v, const char *name, const char *value, size_t len);
/* NULL when unset. */
const char *mc_vars_get(const struct mc_vars *v, const char *name, size_t *len);

/* How substituted values are written. */
enum mc_expand_mode {
    MC_EXPAND_TEXT,  /* as they are */
    MC_EXPAND_REGEX, /* quoted so that they match literally inside a regular expression */
};

/*
 * Replaces every ${name} in `in` (length `len`) and appends the result to `out`. `$$` stands
 * for a literal `$`. `local` (may be NULL) is looked up before `v`: the engine uses it for the
 * session's own user/password/address. Returns 0, or -1 with a message in `err` naming the
 * unknown variable.
 */
int mc_vars_expand(const struct mc_vars *v, const struct mc_vars *local, const char *in, size_t len,
                   enum mc_expand_mode mode, struct mc_buf *out, struct mc_buf *err);

/* Calls fn for each ${name} in `in` (used by the loader to check names before running). */
void mc_vars_each_reference(const char *in, void (*fn)(const char *name, size_t len, void *ctx),
                            void *ctx);

#endif
