/*
 * regex — the matcher's PCRE2 layer: ${var} substitution, compilation, bounded matching, named
 * captures held back until a whole check passes, and the quoting of reply bytes in
 * explanations. Internal to the matcher (matcher.c, regex.c); the rest of the harness uses
 * matcher.h.
 */
#ifndef MC_ENGINE_REGEX_H
#define MC_ENGINE_REGEX_H

#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/vars.h"
#include "lib/buf.h"

/* One pattern of an expectation, compiled after substitution. */
struct mc_rx {
    const char *source; /* as written in the scenario (not owned) */
    char *expanded;     /* after ${var} substitution */
    pcre2_code *code;
    pcre2_match_data *md;
};

/* What every pattern of one check shares. */
struct mc_rx_ctx {
    const struct mc_vars *vars;  /* substituted into patterns */
    const struct mc_vars *local; /* looked up first (the session's own user ...) */
    pcre2_match_context *mctx;   /* the match limits */
    struct mc_buf *why;          /* where failures are explained; never NULL */
    bool capture;                /* collect named groups (mc_rx_queue_captures) */
    bool broken; /* a pattern did not compile or hit a limit: more lines will not help */
    struct mc_strv cap_name; /* captures waiting for mc_rx_ctx_commit, in order */
    struct mc_strv cap_value;
};

void mc_rx_ctx_init(struct mc_rx_ctx *c, const struct mc_vars *vars, const struct mc_vars *local,
                    struct mc_buf *why, bool capture);
/* Stores the queued captures into `vars` (a later capture of a name wins). */
void mc_rx_ctx_commit(struct mc_rx_ctx *c, struct mc_vars *vars);
void mc_rx_ctx_done(struct mc_rx_ctx *c);

/* Substitutes (values quoted) and compiles `source`; on failure explains it in c->why, naming
   the expect field ("match", "untagged[2]"), and leaves `x` empty. */
bool mc_rx_compile(struct mc_rx_ctx *c, const char *source, const char *field, struct mc_rx *x);
void mc_rx_free(struct mc_rx *x);
/* 1 on a match, 0 on none, -1 when PCRE2 gave up (a limit): c->why says so. */
int mc_rx_match(struct mc_rx_ctx *c, struct mc_rx *x, const char *s, size_t len);
/* Queues the named groups of the last successful mc_rx_match of `x` on `s`. */
void mc_rx_queue_captures(struct mc_rx_ctx *c, const struct mc_rx *x, const char *s);

/* Explanations: `s` in single quotes, control and 8-bit bytes escaped (\r, \x00), cut after
   the first MC_WHY_LINE_MAX bytes. The result is printable ASCII, safe in JSON or XML. */
#define MC_WHY_LINE_MAX 200
void mc_why_quote(struct mc_buf *b, const char *s, size_t len);
void mc_why_quote_str(struct mc_buf *b, const char *s);
/* A pattern as written, and as compiled when substitution changed it. */
void mc_why_pattern(struct mc_buf *b, const struct mc_rx *x);

#endif
