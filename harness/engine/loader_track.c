/*
 * loader_track — the "track" key of a step: {"name": N} names message number N of the step's
 * session (after its reply), whose number the engine then follows (engine/track.h). See
 * docs/scenario-format.md, "Naming a message: track".
 *
 * A tracked name is a variable like a capture, with three differences the loader enforces: it
 * is a message number of one session, so only that session's steps may use ${name}; no
 * pattern may capture into it (the engine keeps it up to date); and only a protocol whose
 * numbers shift (its `expunged` slot: IMAP) can track.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/loader_internal.h"

/* A scenario names a handful of messages; more is a mistake. */
#define LD_TRACK_MAX 32

int mc_ld_track_session(const struct ld *ld, const char *name)
{
    for (size_t i = 0; i < ld->tracked_count; i++)
        if (strcmp(ld->tracked[i].name, name) == 0)
            return ld->tracked[i].session;
    return -1;
}

void mc_ld_track_free(struct ld *ld)
{
    for (size_t i = 0; i < ld->tracked_count; i++)
        free(ld->tracked[i].name);
    free(ld->tracked);
    ld->tracked = NULL;
    ld->tracked_count = 0;
}

static bool ld_track_name_ok(const char *name)
{
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
          name[0] == '_'))
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_'))
            return false;
    return true;
}

/* Which steps can name a message: those that read a reply on a session and change nothing
   else (a login, TLS or a close would end or restart the numbering). */
static bool ld_track_kind_ok(const struct mc_step *st)
{
    return st->kind == MC_STEP_SEND || st->kind == MC_STEP_SEND_RAW || st->kind == MC_STEP_AWAIT;
}

/* One "name": N; true when it is a new or re-tracked name of this session. */
static bool ld_track_one(struct ld *ld, const char *name, json_t *v, const char *path,
                         const struct mc_step *st, unsigned long *number)
{
    int other = mc_ld_track_session(ld, name);
    if (!ld_track_name_ok(name)) {
        mc_ld_error_key(ld, path,
                        "'%s' is not a variable name: letters, digits and _, not starting with "
                        "a digit",
                        name);
        return false;
    }
    if (mc_ld_is_builtin(ld, name)) {
        mc_ld_error_key(ld, path, "'%s' would hide the built-in variable ${%s}: choose another",
                        name, name);
        return false;
    }
    if (other >= 0 && other != st->session) {
        mc_ld_error_key(ld, path,
                        "'%s' already names a message of session '%s': message numbers are per "
                        "session, choose another name",
                        name, ld->s->sessions[other].name);
        return false;
    }
    if (other < 0 && mc_ld_capture_of(ld, name) != LD_NOT_CAPTURED) {
        mc_ld_error_key(ld, path,
                        "'%s' is captured by an earlier step: a tracked message needs a name of "
                        "its own",
                        name);
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        (unsigned long long)json_integer_value(v) > MC_TRACK_NUMBER_MAX) {
        mc_ld_error(ld, path,
                    "must be a message number from 1 to %lu (the number the message has once "
                    "this step's reply is in)",
                    MC_TRACK_NUMBER_MAX);
        return false;
    }
    *number = (unsigned long)json_integer_value(v);
    return true;
}

void mc_ld_track(struct ld *ld, json_t *v, const char *path, struct mc_step *st,
                 struct mc_strv *groups)
{
    const struct mc_session_spec *ss = st->session >= 0 ? &ld->s->sessions[st->session] : NULL;
    if (!ld_track_kind_ok(st)) {
        mc_ld_error_key(ld, path,
                        "'track' goes with send, send_raw and await: a %s step does not read "
                        "a reply in a selected mailbox",
                        mc_step_kind_name(st->kind));
        return;
    }
    if (ss && ss->proto && !ss->proto->expunged) {
        mc_ld_error_key(ld, path,
                        "session '%s' is %s, whose message numbers never shift within a "
                        "session: use the number itself",
                        ss->name, ss->proto->name);
        return;
    }
    if (!json_is_object(v) || json_object_size(v) == 0 || json_object_size(v) > LD_TRACK_MAX) {
        mc_ld_error(ld, path,
                    "must be an object like {\"third\": 3} (at most %d names): each name "
                    "becomes ${name}, the message's number as it shifts",
                    LD_TRACK_MAX);
        return;
    }
    st->track = mc_xcalloc(json_object_size(v), sizeof *st->track);
    const char *name;
    json_t *item;
    json_object_foreach(v, name, item)
    {
        char p[LD_PATH_MAX];
        unsigned long number;
        mc_ld_path_key(p, path, name);
        if (!ld_track_one(ld, name, item, p, st, &number) || st->session < 0)
            continue;
        bool taken = false;
        for (size_t i = 0; i < groups->count && !taken; i++)
            taken = strcmp(groups->items[i].ptr, name) == 0;
        if (taken) {
            mc_ld_error_key(ld, p,
                            "'%s' is also captured by this step's expect: a tracked message "
                            "needs a name of its own",
                            name);
            continue;
        }
        st->track[st->track_count++] = (struct mc_track){mc_xstrdup(name), number};
        mc_strv_push_str(groups, name);
        if (mc_ld_track_session(ld, name) >= 0)
            continue;
        ld->tracked = mc_xrealloc(ld->tracked, (ld->tracked_count + 1) * sizeof *ld->tracked);
        ld->tracked[ld->tracked_count++] = (struct ld_tracked){mc_xstrdup(name), st->session};
    }
}

void mc_ld_track_groups(struct ld *ld, const char *path, const struct mc_strv *groups)
{
    for (size_t i = 0; i < groups->count; i++) {
        const char *n = groups->items[i].ptr;
        if (mc_ld_track_session(ld, n) >= 0)
            mc_ld_error(ld, path,
                        "named group '%s' would overwrite ${%s}, a message named with \"track\" "
                        "whose number the engine keeps: choose another name",
                        n, n);
    }
}
