/*
 * loader_relate — what the loader checks of values in relation and of encoded values (see
 * loader_internal.h, docs/scenario-format.md "Values in relation" and "Encoded values").
 *
 * "check" holds expressions (engine/relation.h) over variables: each must parse, and each
 * variable must exist by then (a built-in, a capture of an earlier step or of this step, a list
 * collected by lines_each) and be used as what it is: count(), sum(), min(), max() and
 * distinct() take lists, everything else single values. A list is a list for the steps after
 * the one that collected it, until a step captures the name as a single value again.
 *
 * ${tag} is the tag of the step's IMAP command, so it exists only on IMAP steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/loader_internal.h"
#include "engine/relation.h"
#include "engine/vars.h"

static bool strv_has(const struct mc_strv *v, const char *s)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].ptr, s) == 0)
            return true;
    return false;
}

static void strv_remove(struct mc_strv *v, const char *s)
{
    struct mc_strv kept = {0};
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].ptr, s) != 0)
            mc_strv_push(&kept, v->items[i].ptr, v->items[i].len);
    mc_strv_free(v);
    *v = kept;
}

bool mc_ld_session_is_imap(const struct mc_session_spec *ss)
{
    return ss && ss->proto && ss->proto->lines_key && strcmp(ss->proto->lines_key, "untagged") == 0;
}

bool mc_ld_tag_misused(struct ld *ld, const char *path, const char *name)
{
    if (strcmp(name, "tag") != 0)
        return false;
    const struct mc_session_spec *ss =
        ld->sessionless || ld->step_session < 0 ? NULL : &ld->s->sessions[ld->step_session];
    if (mc_ld_session_is_imap(ss) || (ss && !ss->proto))
        return false;
    if (ss)
        mc_ld_error(ld, path,
                    "${tag} is the tag of the step's IMAP command: session '%s' is %s, whose "
                    "commands carry no tag",
                    ss->name, ss->proto->name);
    else
        mc_ld_error(ld, path,
                    "${tag} is the tag of the step's IMAP command: this step has no "
                    "session");
    return true;
}

struct uses_ctx {
    const char *name;
    bool found;
};

static void uses_seen(const char *name, size_t len, void *arg)
{
    struct uses_ctx *c = arg;
    if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
        c->found = true;
}

bool mc_ld_uses_function(const char *text, const char *name)
{
    struct uses_ctx c = {name, false};
    mc_vars_each_function(text, uses_seen, &c);
    return c.found;
}

/* One check's variables, as relation.c reports them. */
struct check_ctx {
    struct ld *ld;
    const char *path;
    const struct mc_strv *groups; /* this step's own single-value captures */
    struct mc_strv reported;
};

static bool check_is_list(const struct check_ctx *c, const char *name)
{
    if (strv_has(&c->ld->step_lists, name))
        return true;
    return !strv_has(c->groups, name) && strv_has(&c->ld->lists, name);
}

static void check_use(const char *name, bool as_list, void *arg)
{
    struct check_ctx *c = arg;
    struct ld *ld = c->ld;
    if (strv_has(&c->reported, name))
        return;
    bool reply_value = strcmp(name, "reply_lines") == 0 || strcmp(name, "reply_octets") == 0;
    bool known = reply_value || mc_ld_is_builtin(ld, name) || strv_has(c->groups, name) ||
                 strv_has(&ld->step_lists, name) || mc_ld_capture_of(ld, name) == LD_CAPTURED;
    bool list = check_is_list(c, name);
    if (!known && mc_ld_capture_of(ld, name) == LD_MAYBE_CAPTURED)
        mc_ld_error(ld, c->path,
                    "${%s} is captured by only some alternatives of an earlier any_of, so it may "
                    "be unset here",
                    name);
    else if (!known)
        mc_ld_error(ld, c->path,
                    "unknown variable ${%s}: not a built-in and not captured by this step or an "
                    "earlier one",
                    name);
    else if (as_list && !list)
        mc_ld_error(ld, c->path,
                    "${%s} is a single value; count(), sum(), min(), max() and distinct() take a "
                    "list: collect one value per line with a named group in lines_each "
                    "(untagged_each)",
                    name);
    else if (!as_list && list)
        mc_ld_error(ld, c->path,
                    "${%s} is a list (collected by lines_each, one value per line): use "
                    "count(), sum(), min(), max() or distinct() on it",
                    name);
    else
        return;
    mc_strv_push_str(&c->reported, name);
}

void mc_ld_checks(struct ld *ld, json_t *v, const char *path, struct mc_expect *e,
                  const struct mc_strv *groups)
{
    if (!json_is_array(v) || json_array_size(v) == 0) {
        mc_ld_error(ld, path,
                    "must be a non-empty array of checks like \"${uid} < ${uidnext}\" or "
                    "\"sum(${size}) == ${total}\"");
        return;
    }
    e->checks.items = mc_xcalloc(json_array_size(v), sizeof *e->checks.items);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char p[LD_PATH_MAX];
        char *text = NULL;
        mc_ld_path_index(p, path, i);
        if (!mc_ld_string(ld, item, p, LD_STR_NONEMPTY | LD_STR_ONE_LINE, &text))
            continue;
        struct check_ctx c = {ld, p, groups, {0}};
        struct mc_buf err = {0};
        if (mc_relation_parse(text, check_use, &c, &err) != 0) {
            mc_ld_error(ld, p, "%s", err.data ? err.data : "not a check");
            free(text);
        } else {
            e->checks.items[e->checks.count++] = text;
        }
        mc_buf_free(&err);
        mc_strv_free(&c.reported);
    }
}

void mc_ld_lists_after_step(struct ld *ld, const struct mc_strv *groups)
{
    for (size_t i = 0; i < groups->count; i++)
        strv_remove(&ld->lists, groups->items[i].ptr);
    for (size_t i = 0; i < ld->step_lists.count; i++) {
        const char *n = ld->step_lists.items[i].ptr;
        if (!strv_has(&ld->lists, n))
            mc_strv_push_str(&ld->lists, n);
        if (!strv_has(&ld->captures, n))
            mc_strv_push_str(&ld->captures,
                             n); /* known to ${name} in text: values joined by commas */
    }
    mc_strv_clear(&ld->step_lists);
}
