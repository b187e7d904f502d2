/*
 * select — which scenarios a run takes (see select.h).
 */
#include "cli/select.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/protocol.h"

int mc_selection_add_level(struct mc_selection *s, const char *arg, struct mc_buf *err)
{
    for (int l = MC_LEVEL_MUST; l <= MC_LEVEL_MAY; l++) {
        if (strcasecmp(arg, mc_level_name((enum mc_level)l)) == 0) {
            s->levels |= 1u << l;
            return 0;
        }
    }
    mc_buf_printf(err, "--level takes MUST, SHOULD or MAY, not '%s'", arg);
    return -1;
}

int mc_selection_add_rfc(struct mc_selection *s, const char *arg, struct mc_buf *err)
{
    char *end;
    errno = 0;
    long n = strtol(arg, &end, 10);
    if (strncasecmp(arg, "RFC", 3) == 0) /* "RFC3501" reads as 3501 */
        n = strtol(arg + 3, &end, 10);
    if (errno || *end || n < 1 || n > 99999) {
        mc_buf_printf(err, "--rfc takes an RFC number (3501), not '%s'", arg);
        return -1;
    }
    s->rfcs = mc_xrealloc(s->rfcs, (s->rfc_count + 1) * sizeof *s->rfcs);
    s->rfcs[s->rfc_count++] = (int)n;
    return 0;
}

int mc_selection_add_protocol(struct mc_selection *s, const char *arg, struct mc_buf *err)
{
    const struct mc_protocol *p = mc_protocol_find(arg);
    if (!p) {
        mc_buf_printf(err, "--protocol takes one of");
        for (const char *const *n = mc_protocol_names(); *n; n++)
            mc_buf_printf(err, " %s", *n);
        mc_buf_printf(err, ", not '%s'", arg);
        return -1;
    }
    mc_strv_push_str(&s->protocols, p->name);
    return 0;
}

static bool rerun_counts(const char *outcome)
{
    return strcmp(outcome, "fail") == 0 || strcmp(outcome, "error") == 0;
}

int mc_selection_rerun_failed(struct mc_selection *s, const char *report, struct mc_buf *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(report, 0, &jerr);
    json_t *scenarios = root ? json_object_get(root, "scenarios") : NULL;
    if (!root || !json_is_array(scenarios) || !json_is_string(json_object_get(root, "format"))) {
        if (!root)
            mc_buf_printf(err, "--rerun-failed %s: %s (line %d)", report, jerr.text, jerr.line);
        else
            mc_buf_printf(err, "--rerun-failed %s: not a mailconform report", report);
        json_decref(root);
        return -1;
    }
    s->rerun = true;
    size_t i;
    json_t *sc;
    json_array_foreach(scenarios, i, sc)
    {
        const char *id = json_string_value(json_object_get(sc, "id"));
        const char *outcome = json_string_value(json_object_get(sc, "outcome"));
        if (id && outcome && rerun_counts(outcome))
            mc_strv_push_str(&s->failed, id);
    }
    json_decref(root);
    return 0;
}

static bool any_glob(const struct mc_strv *globs, const char *id)
{
    for (size_t i = 0; i < globs->count; i++)
        if (fnmatch(globs->items[i].ptr, id, 0) == 0)
            return true;
    return false;
}

static bool has_tag(const struct mc_selection *s, const struct mc_scenario *sc)
{
    for (size_t i = 0; i < sc->tag_count; i++)
        if (mc_strv_contains_nocase(&s->tags, sc->tags[i]))
            return true;
    return false;
}

static bool cites(const struct mc_rfc_refs *refs, int rfc)
{
    for (size_t i = 0; i < refs->count; i++)
        if (refs->items[i].rfc == rfc)
            return true;
    return false;
}

/* The scenario or one of its steps cites one of the RFCs asked for. */
static bool has_rfc(const struct mc_selection *s, const struct mc_scenario *sc)
{
    for (size_t k = 0; k < s->rfc_count; k++) {
        if (cites(&sc->rfc, s->rfcs[k]))
            return true;
        for (size_t i = 0; i < sc->step_count; i++)
            if (cites(&sc->steps[i].rfc, s->rfcs[k]))
                return true;
    }
    return false;
}

static bool has_protocol(const struct mc_selection *s, const struct mc_scenario *sc)
{
    for (size_t i = 0; i < sc->session_count; i++)
        if (mc_strv_contains_nocase(&s->protocols, sc->sessions[i].proto->name))
            return true;
    return false;
}

bool mc_selection_match(const struct mc_selection *s, const struct mc_scenario *sc,
                        const char **why)
{
    const char *no = NULL;
    if (s->ids.count && !any_glob(&s->ids, sc->id))
        no = "its id matches no --filter";
    else if (any_glob(&s->excludes, sc->id))
        no = "--exclude";
    else if (s->tags.count && !has_tag(s, sc))
        no = "it has none of the --tag tags";
    else if (s->levels && !(s->levels & (1u << sc->level)))
        no = "its level is not a --level asked for";
    else if (s->rfc_count && !has_rfc(s, sc))
        no = "it cites none of the --rfc numbers";
    else if (s->protocols.count && !has_protocol(s, sc))
        no = "it uses none of the --protocol protocols";
    else if (s->rerun && !mc_strv_contains_nocase(&s->failed, sc->id))
        no = "it did not fail in the --rerun-failed report";
    if (why)
        *why = no;
    return no == NULL;
}

bool mc_selection_narrows(const struct mc_selection *s)
{
    return s->ids.count || s->excludes.count || s->tags.count || s->levels || s->rfc_count ||
           s->protocols.count || s->rerun;
}

void mc_selection_free(struct mc_selection *s)
{
    mc_strv_free(&s->ids);
    mc_strv_free(&s->excludes);
    mc_strv_free(&s->tags);
    mc_strv_free(&s->protocols);
    mc_strv_free(&s->failed);
    free(s->rfcs);
    memset(s, 0, sizeof *s);
}
