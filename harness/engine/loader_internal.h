/*
 * loader_internal — what the loader's files share (loader.c: files, top level, sessions;
 * loader_step.c: steps; loader_expect.c: expectations; loader_check.c: errors and the checks
 * every field uses). Not part of the engine's API.
 *
 * Every check reports through mc_ld_error*, which finds the line and column of the path in the
 * position index and appends "FILE:LINE:COL: PATH: message\n" to the caller's error buffer. A
 * check that fails leaves the model field at its default and the loader carries on, so one run
 * reports every mistake in a file (up to LD_MAX_ERRORS).
 */
#ifndef MC_ENGINE_LOADER_INTERNAL_H
#define MC_ENGINE_LOADER_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/jsonpos.h"
#include "engine/scenario.h"
#include "lib/buf.h"

/* Beyond this many errors in one file the rest would be noise caused by the first ones. */
#define LD_MAX_ERRORS 100
/* Longest field path an error names; longer ones (absurd keys) are cut. */
#define LD_PATH_MAX 512
/* Longest error message (path included): quoted values are the only long part. */
#define LD_MESSAGE_MAX 1000

/* Limits of format v1 (docs/scenario-format.md). A scenario is a few kilobytes of hand-written
   JSON; a bigger file is a mistake (or generated data that belongs in send_raw's "repeat"). */
#define MC_SCENARIO_FILE_MAX (1024 * 1024)
#define LD_USERS_MAX 8
#define LD_FIXTURE_MESSAGES_MAX 100
#define LD_TIMEOUT_MS_MAX 600000
#define LD_WAIT_MS_MAX 600000
#define LD_BODY_LINES_MAX 100000
#define LD_BODY_LINES_DEFAULT 3
#define LD_RAW_REPEAT_MAX 10000000
/* A raw send is generated in memory by the engine: a sanity bound on its total size. */
#define LD_RAW_TOTAL_MAX (1024UL * 1024 * 1024)
#define LD_RFC_MAX 99999

/* An error waiting to be written: they are sorted by place before they go out, so a reader
   meets them in file order whatever order the checks ran in. */
struct ld_error {
    int line, col;
    size_t seq;
    char *text; /* "FILE:LINE:COL: PATH: message\n" */
};

struct ld {
    const char *file;
    const struct mc_jsonpos *pos;
    struct mc_buf *errors;
    int error_count;
    struct ld_error *pending;
    size_t pending_count;
    struct mc_scenario *s;
    struct mc_strv builtins;       /* user, password, ..., user1, password1, address1, ... */
    struct mc_strv captures;       /* named groups of the patterns of the steps checked so far */
    struct mc_strv maybe_captures; /* groups only some alternatives of an any_of capture: they
                                      may be unset, so only "captured" checks may name them */
    bool sessionless;              /* checking a deliver step: no session, so no ${user} & co */
    int step_session;              /* the session of the step being checked, -1: none */
    struct ld_tracked *tracked;    /* names of "track" so far (loader_track.c) */
    size_t tracked_count;
    struct mc_strv lists;      /* captures that hold lists (lines_each) after the steps so far */
    struct mc_strv step_lists; /* the lists the step being checked collects */
};

/* A message a step named with "track": its ${name} is a number in that session only. */
struct ld_tracked {
    char *name;
    int session;
};

/* "FILE:LINE:COL: PATH: message" at the value `path` (or the nearest enclosing one that
   exists). */
void mc_ld_error(struct ld *ld, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, at the key of the member `path` (for keys that are wrong in themselves). */
void mc_ld_error_key(struct ld *ld, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends the errors found so far to ld->errors, in file order. */
void mc_ld_flush_errors(struct ld *ld);

/* Paths: "parent.key" ("key" at the root) and "parent[i]". */
void mc_ld_path_copy(char out[LD_PATH_MAX], const char *path);
void mc_ld_path_key(char out[LD_PATH_MAX], const char *parent, const char *key);
void mc_ld_path_index(char out[LD_PATH_MAX], const char *parent, size_t i);

/* Reports every key of `obj` not in the NULL-terminated `allowed`, with a suggestion. */
void mc_ld_check_keys(struct ld *ld, json_t *obj, const char *path, const char *const *allowed);
/* The closest of `candidates` to `word` when close enough to be a typo, else NULL. */
const char *mc_ld_suggest(const char *word, const char *const *candidates);

/* `obj[key]`, or NULL with "is required" reported at parent.key. */
json_t *mc_ld_required(struct ld *ld, json_t *obj, const char *path, const char *key);

/* Typed getters: false (and an error at `path`) when the value does not fit. */
enum {
    LD_STR_NONEMPTY = 1, /* "" is an error */
    LD_STR_ONE_LINE = 2, /* CR or LF is an error */
};
bool mc_ld_string(struct ld *ld, json_t *v, const char *path, unsigned flags, char **out);
bool mc_ld_int(struct ld *ld, json_t *v, const char *path, long long min, long long max, int *out);
bool mc_ld_bool(struct ld *ld, json_t *v, const char *path, bool *out);
/* For keys whose only meaningful value is true ("login": true). */
bool mc_ld_true(struct ld *ld, json_t *v, const char *path);
/* One of the NULL-terminated `words` (exactly, or ignoring case when `nocase`); its index. */
bool mc_ld_word(struct ld *ld, json_t *v, const char *path, const char *const *words, bool nocase,
                int *index);
/* "MUST" | "SHOULD" | "MAY" */
bool mc_ld_level(struct ld *ld, json_t *v, const char *path, int *out);
/* [{"rfc": 3501, "section": "6.4.2"}, ...]; non-empty. */
void mc_ld_rfc_refs(struct ld *ld, json_t *v, const char *path, struct mc_rfc_refs *out);

/* Every ${name} in `text` must be well-formed and a built-in or a capture of an earlier step.
   False when the ${...} syntax itself is wrong. */
bool mc_ld_check_vars(struct ld *ld, const char *path, const char *text, size_t len);
/* A regular expression: it must compile and its ${names} be known. Its named groups are
   returned in `groups` (may be NULL) so the caller can add them as captures after the step. */
bool mc_ld_check_regex(struct ld *ld, const char *path, const char *pattern,
                       struct mc_strv *groups);
bool mc_ld_is_builtin(const struct ld *ld, const char *name);
/* Whether an earlier step captures `name`: always, only in some alternatives, or never. */
enum ld_capture { LD_NOT_CAPTURED, LD_CAPTURED, LD_MAYBE_CAPTURED };
enum ld_capture mc_ld_capture_of(const struct ld *ld, const char *name);

/* "track" of a step (loader_track.c): its names go to `groups` (or `maybe` for a soft step).
   mc_ld_track_groups refuses named groups that would overwrite a tracked name;
   mc_ld_track_session is the session whose message ${name} numbers, or -1 if none does. */
void mc_ld_track(struct ld *ld, json_t *v, const char *path, struct mc_step *st,
                 struct mc_strv *groups);
void mc_ld_track_groups(struct ld *ld, const char *path, const struct mc_strv *groups);
int mc_ld_track_session(const struct ld *ld, const char *name);
void mc_ld_track_free(struct ld *ld);

/* Steps (loader_step.c) and expectations (loader_expect.c). */
void mc_ld_steps(struct ld *ld, json_t *steps);
/* `ss` (the step's session) is NULL, or has a NULL proto, when the session is unknown: protocol
   checks are then skipped. The named groups the expectation surely captures (outside any_of, or
   in every alternative) are appended to `groups`, those only some alternatives capture to
   `maybe`. */
void mc_ld_expect(struct ld *ld, json_t *v, const char *path, const struct mc_session_spec *ss,
                  struct mc_expect *out, struct mc_strv *groups, struct mc_strv *maybe);
/* loader_relate.c: "check" relations, the lists of lines_each, and the ${tag} and
   ${literal:...} forms, which only some steps can use. */
void mc_ld_checks(struct ld *ld, json_t *v, const char *path, struct mc_expect *e,
                  const struct mc_strv *groups);
/* After a step: its lists join ld->lists, and names it captured as single values leave it. */
void mc_ld_lists_after_step(struct ld *ld, const struct mc_strv *groups);
/* Errors for ${tag} outside an IMAP step (called by mc_ld_check_vars for each name). */
bool mc_ld_tag_misused(struct ld *ld, const char *path, const char *name);
/* Whether `text` uses the function ${name:...}. */
bool mc_ld_uses_function(const char *text, const char *name);
bool mc_ld_session_is_imap(const struct mc_session_spec *ss);
/* Sets the defaults of an expectation nobody wrote (ok -1, multiline -1, ...). */
void mc_ld_expect_defaults(struct mc_expect *e);

#endif
