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
/* NULL when unset. A list reads as its values joined by commas. */
const char *mc_vars_get(const struct mc_vars *v, const char *name, size_t *len);
/* A list of values (the named group of a lines_each pattern, one value per line it matched):
   replaces whatever `name` held. mc_vars_set replaces a list by a single value. */
void mc_vars_set_list(struct mc_vars *v, const char *name, const struct mc_strv *values);
/* The values of a list, or NULL when `name` is unset or holds a single value. */
const struct mc_strv *mc_vars_get_list(const struct mc_vars *v, const char *name);

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

/* ${function:argument} forms (vars_func.c) may nest this deep: deeper is surely a mistake. */
#define MC_VARS_CALL_DEPTH_MAX 4

/* One ${function:argument} form as it was expanded, for mc_expand_hooks. */
struct mc_vars_call {
    const char *name; /* "base64", "literal" (not NUL-terminated: name_len) */
    size_t name_len;
    const char *arg; /* the argument after expansion (binary: arg_len) */
    size_t arg_len;
    const char *result; /* the result as written (quoted, in regex mode): `len` bytes */
    size_t at, len;     /* depth 0: where the result stands in the caller's `out` */
    unsigned depth;     /* 0: written straight into `out`; more: inside another function */
};

/* Told of every function expanded: the engine keeps encoded secrets out of reports and sends
   IMAP literals in pieces. */
struct mc_expand_hooks {
    void (*call)(const struct mc_vars_call *c, void *ctx);
    void *ctx;
};

int mc_vars_expand_hooked(const struct mc_vars *v, const struct mc_vars *local, const char *in,
                          size_t len, enum mc_expand_mode mode, struct mc_buf *out,
                          struct mc_buf *err, const struct mc_expand_hooks *hooks);

/* Calls fn for each ${name} in `in`, those inside function arguments too (used by the loader to
   check names before running). */
void mc_vars_each_reference(const char *in, void (*fn)(const char *name, size_t len, void *ctx),
                            void *ctx);
/* Calls fn for the name of each ${function:...} in `in`. */
void mc_vars_each_function(const char *in, void (*fn)(const char *name, size_t len, void *ctx),
                           void *ctx);

/* vars_func.c: the functions. */
#define MC_VARS_FUNC_NAMES "base64 and literal"
bool mc_vars_func_known(const char *name, size_t len);
/* Appends the function's result for `arg` to `out` (the name must be known). */
void mc_vars_func_apply(const char *name, size_t name_len, const char *arg, size_t len,
                        struct mc_buf *out);

#endif
