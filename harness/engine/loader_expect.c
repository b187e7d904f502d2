/*
 * loader_expect — the "expect" object of a step: which keys suit the session's protocol, and
 * what each may hold (see loader_internal.h, docs/scenario-format.md "How replies are matched").
 *
 * The loader knows protocols only through their table: a protocol with status_words takes
 * "status", one that has untagged lines (lines_key "untagged") takes "tagged", one whose
 * replies carry codes (reply_codes) takes "code", "class" and "enhanced", one that guesses
 * multi-line replies from the command (multiline_by_command) takes "multiline".
 *
 * "any_of" holds alternatives, each an expectation of its own (checked by the same code, one
 * level deep: no any_of, no multiline inside). A named group every alternative captures is a
 * capture like any other; one that only some capture may be unset after the step, so later
 * steps may only test it with "captured", never use it as ${name}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/loader_internal.h"

static const char *const ld_generic_keys[] = {"ok",     "continuation", "match", "not_match",
                                              "any_of", "captured",     "check", NULL};
/* Fewer would not be a choice: one alternative is just an expectation. */
#define LD_ANY_OF_MIN 2
static const char *const ld_line_prefixes[] = {"lines", "untagged", NULL};
/* In the order of `sets` in ld_expect_object. */
static const char *const ld_line_suffixes[] = {"",        "_in_order", "_may", "_none",
                                               "_shared", "_each",     NULL};
#define LD_SUFFIX_NONE 3
#define LD_SUFFIX_EACH 5
/* The statuses of an IMAP tagged reply (RFC 9051 7.1). */
static const char *const ld_tagged_words[] = {"OK", "NO", "BAD", NULL};

static bool ld_fits_status(const struct mc_protocol *p)
{
    return p->status_words && p->status_words[0]; /* SMTP has none (NULL or empty) */
}

static bool ld_fits_tagged(const struct mc_protocol *p)
{
    return p->lines_key && strcmp(p->lines_key, "untagged") == 0;
}

static bool ld_fits_code(const struct mc_protocol *p)
{
    return p->reply_codes;
}

static bool ld_fits_multiline(const struct mc_protocol *p)
{
    return p->multiline_by_command;
}

static const struct {
    const char *key;
    bool (*fits)(const struct mc_protocol *p);
} ld_fitted[] = {
    {"status", ld_fits_status}, {"tagged", ld_fits_tagged}, {"code", ld_fits_code},
    {"class", ld_fits_code},    {"enhanced", ld_fits_code}, {"multiline", ld_fits_multiline},
};
#define LD_FITTED_COUNT (sizeof ld_fitted / sizeof ld_fitted[0])

void mc_ld_expect_defaults(struct mc_expect *e)
{
    memset(e, 0, sizeof *e);
    e->ok = -1;
    e->multiline = -1;
}

/* "lines_may" -> prefix "lines", suffix index 2; false if `key` is no line-set key. */
static bool ld_split_line_key(const char *key, const char **prefix, int *suffix)
{
    for (size_t i = 0; ld_line_prefixes[i]; i++) {
        size_t n = strlen(ld_line_prefixes[i]);
        if (strncmp(key, ld_line_prefixes[i], n) != 0)
            continue;
        for (int k = 0; ld_line_suffixes[k]; k++) {
            if (strcmp(key + n, ld_line_suffixes[k]) == 0) {
                *prefix = ld_line_prefixes[i];
                *suffix = k;
                return true;
            }
        }
    }
    return false;
}

/* Every key an expectation for `proto` may have (all of them when proto is NULL). */
static void ld_expect_keys(const struct mc_protocol *proto, struct mc_strv *out)
{
    for (size_t i = 0; ld_generic_keys[i]; i++)
        mc_strv_push_str(out, ld_generic_keys[i]);
    for (size_t i = 0; i < LD_FITTED_COUNT; i++)
        if (!proto || ld_fitted[i].fits(proto))
            mc_strv_push_str(out, ld_fitted[i].key);
    for (size_t i = 0; ld_line_prefixes[i]; i++) {
        if (proto && strcmp(proto->lines_key, ld_line_prefixes[i]) != 0)
            continue;
        for (size_t k = 0; ld_line_suffixes[k]; k++) {
            char key[32];
            snprintf(key, sizeof key, "%s%s", ld_line_prefixes[i], ld_line_suffixes[k]);
            mc_strv_push_str(out, key);
        }
    }
}

/* Reports keys that are unknown or that do not suit `proto`. */
static void ld_expect_check_keys(struct ld *ld, json_t *obj, const char *path,
                                 const struct mc_session_spec *ss)
{
    const struct mc_protocol *proto = ss ? ss->proto : NULL;
    struct mc_strv allowed = {0};
    ld_expect_keys(proto, &allowed);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char p[LD_PATH_MAX];
        mc_ld_path_key(p, path, key);
        bool ok = false;
        for (size_t i = 0; i < allowed.count && !ok; i++)
            ok = strcmp(key, allowed.items[i].ptr) == 0;
        if (ok)
            continue;
        const char *prefix;
        int suffix;
        if (proto && ld_split_line_key(key, &prefix, &suffix)) {
            mc_ld_error_key(
                ld, p, "'%s' does not suit session '%s' (%s): use '%s%s' for %s sessions", key,
                ss->name, proto->name, proto->lines_key, ld_line_suffixes[suffix], proto->name);
            continue;
        }
        for (size_t i = 0; i < LD_FITTED_COUNT; i++) {
            if (proto && strcmp(key, ld_fitted[i].key) == 0) {
                struct mc_buf fit = {0};
                mc_protocol_list(&fit, ld_fitted[i].fits, ", ", " and ");
                mc_ld_error_key(ld, p,
                                "'%s' does not suit session '%s' (%s): it is for %s sessions", key,
                                ss->name, proto->name, fit.data ? fit.data : "other");
                mc_buf_free(&fit);
                ok = true;
            }
        }
        if (ok)
            continue;
        const char **cands = mc_xcalloc(allowed.count + 1, sizeof *cands);
        for (size_t i = 0; i < allowed.count; i++)
            cands[i] = allowed.items[i].ptr;
        const char *hint = mc_ld_suggest(key, cands);
        if (hint)
            mc_ld_error_key(ld, p, "unknown key '%s' (did you mean '%s'?)", key, hint);
        else
            mc_ld_error_key(ld, p, "unknown key '%s'", key);
        free(cands);
    }
    mc_strv_free(&allowed);
}

/* A regular expression; `groups` NULL for patterns that must not match (they capture
   nothing). */
static bool ld_pattern(struct ld *ld, json_t *v, const char *path, char **out,
                       struct mc_strv *groups)
{
    if (!mc_ld_string(ld, v, path, LD_STR_NONEMPTY, out))
        return false;
    return mc_ld_check_regex(ld, path, *out, groups);
}

static void ld_patterns(struct ld *ld, json_t *v, const char *path, struct mc_patterns *out,
                        struct mc_strv *groups)
{
    if (!json_is_array(v)) {
        mc_ld_error(ld, path, "must be an array of regular expressions");
        return;
    }
    out->items = mc_xcalloc(json_array_size(v), sizeof *out->items);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char p[LD_PATH_MAX];
        char *pat = NULL;
        mc_ld_path_index(p, path, i);
        if (ld_pattern(ld, item, p, &pat, groups))
            out->items[out->count++] = pat;
        else
            free(pat);
    }
}

/* ^[245]\.\d{1,3}\.\d{1,3}$ (RFC 3463 2) */
static bool ld_enhanced_valid(const char *s)
{
    if (!(s[0] == '2' || s[0] == '4' || s[0] == '5') || s[1] != '.')
        return false;
    s += 2;
    for (int part = 0; part < 2; part++) {
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits <= 3) {
            s++;
            digits++;
        }
        if (digits < 1 || digits > 3)
            return false;
        if (part == 0 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}

/* ok, code, class and enhanced must not contradict one another. */
static void ld_expect_consistent(struct ld *ld, const char *path, const struct mc_expect *e)
{
    char p[LD_PATH_MAX];
    int cls = e->code ? e->code / 100 : e->code_class;
    if (e->code && e->code_class && e->code / 100 != e->code_class) {
        mc_ld_path_key(p, path, "class");
        mc_ld_error(ld, p, "class %d contradicts code %d", e->code_class, e->code);
    }
    if (cls && e->ok >= 0 && (cls <= 3) != (e->ok == 1)) {
        mc_ld_path_key(p, path, "ok");
        mc_ld_error(ld, p, "\"ok\": %s contradicts a %dxx reply (2xx and 3xx are positive)",
                    e->ok ? "true" : "false", cls);
    }
    if (cls && cls != 3 && e->enhanced && e->enhanced[0] - '0' != cls) {
        mc_ld_path_key(p, path, "enhanced");
        mc_ld_error(ld, p, "enhanced code %s is not of the class of a %dxx reply", e->enhanced,
                    cls);
    }
}

/* "captured": {"name": "regex", ...}: variables earlier steps captured (perhaps only in some
   alternatives), each with the pattern its value must match. */
static void ld_captured(struct ld *ld, json_t *v, const char *path, struct mc_expect *e)
{
    if (!json_is_object(v) || json_object_size(v) == 0) {
        mc_ld_error(ld, path,
                    "must be an object like {\"name\": \"^regex$\"}: a variable an earlier step "
                    "captured, and the pattern its value must match");
        return;
    }
    e->captured = mc_xcalloc(json_object_size(v), sizeof *e->captured);
    const char *name;
    json_t *item;
    json_object_foreach(v, name, item)
    {
        char p[LD_PATH_MAX];
        char *pattern = NULL;
        mc_ld_path_key(p, path, name);
        if (mc_ld_is_builtin(ld, name)) {
            mc_ld_error_key(ld, p,
                            "${%s} is a built-in, set before the first step: \"captured\" tests "
                            "what earlier steps captured",
                            name);
        } else if (mc_ld_capture_of(ld, name) == LD_NOT_CAPTURED) {
            mc_ld_error_key(ld, p,
                            "no earlier step captures '%s': capture it with a named group "
                            "(?<%s>...) in a pattern of an earlier step",
                            name, name);
        } else if (ld_pattern(ld, item, p, &pattern, NULL)) {
            struct mc_captured_check *c = &e->captured[e->captured_count++];
            c->name = mc_xstrdup(name);
            c->pattern = pattern;
            continue;
        }
        free(pattern);
    }
}

static void ld_expect_object(struct ld *ld, json_t *v, const char *path,
                             const struct mc_session_spec *ss, struct mc_expect *e,
                             struct mc_strv *groups, bool alternative);

static bool ld_strv_has(const struct mc_strv *v, const char *s)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].ptr, s) == 0)
            return true;
    return false;
}

/* "any_of": the alternatives. Groups in every alternative go to `groups`, the others to
   `maybe`. */
static void ld_any_of(struct ld *ld, json_t *v, const char *path, const struct mc_session_spec *ss,
                      struct mc_expect *e, struct mc_strv *groups, struct mc_strv *maybe)
{
    if (!json_is_array(v) || json_array_size(v) < LD_ANY_OF_MIN) {
        mc_ld_error(ld, path,
                    "must be an array of two or more alternatives, each an expectation like "
                    "{\"code\": 250}: the step passes when one of them matches");
        return;
    }
    e->any_of = mc_xcalloc(json_array_size(v), sizeof *e->any_of);
    struct mc_strv every = {0}, some = {0};
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char p[LD_PATH_MAX];
        struct mc_strv g = {0}, kept = {0};
        mc_ld_path_index(p, path, i);
        mc_ld_expect_defaults(&e->any_of[i]);
        ld_expect_object(ld, item, p, ss, &e->any_of[i], &g, true);
        e->any_of_count++;
        for (size_t k = 0; k < g.count; k++) {
            if (i == 0 || ld_strv_has(&every, g.items[k].ptr))
                mc_strv_push_str(&kept, g.items[k].ptr);
            if (!ld_strv_has(&some, g.items[k].ptr))
                mc_strv_push_str(&some, g.items[k].ptr);
        }
        mc_strv_free(&every);
        every = kept;
        mc_strv_free(&g);
    }
    for (size_t k = 0; k < some.count; k++)
        mc_strv_push_str(ld_strv_has(&every, some.items[k].ptr) ? groups : maybe,
                         some.items[k].ptr);
    mc_strv_free(&every);
    mc_strv_free(&some);
}

/* Keys an alternative may not hold, though its protocol would take them. */
static void ld_alternative_keys(struct ld *ld, json_t *v, const char *path,
                                const struct mc_protocol *proto)
{
    char p[LD_PATH_MAX];
    if (json_object_get(v, "any_of")) {
        mc_ld_path_key(p, path, "any_of");
        mc_ld_error_key(ld, p,
                        "an alternative cannot hold alternatives of its own: list them all in "
                        "the outer any_of");
    }
    if (json_object_get(v, "check")) {
        mc_ld_path_key(p, path, "check");
        mc_ld_error_key(ld, p,
                        "'check' relates the values of the whole step: put it beside any_of, "
                        "not in an alternative");
    }
    if (json_object_get(v, "multiline") && (!proto || ld_fits_multiline(proto))) {
        mc_ld_path_key(p, path, "multiline");
        mc_ld_error_key(ld, p,
                        "'multiline' says how to read the reply, which happens before any "
                        "alternative is matched: put it beside any_of");
    }
}

void mc_ld_expect(struct ld *ld, json_t *v, const char *path, const struct mc_session_spec *ss,
                  struct mc_expect *e, struct mc_strv *groups, struct mc_strv *maybe)
{
    ld_expect_object(ld, v, path, ss, e, groups, false);
    json_t *f = json_is_object(v) ? json_object_get(v, "any_of") : NULL;
    if (f) {
        char p[LD_PATH_MAX];
        mc_ld_path_key(p, path, "any_of");
        ld_any_of(ld, f, p, ss, e, groups, maybe);
    }
    f = json_is_object(v) ? json_object_get(v, "check") : NULL;
    if (f) {
        char p[LD_PATH_MAX];
        mc_ld_path_key(p, path, "check");
        mc_ld_checks(ld, f, p, e, groups);
    }
}

/* One expectation object: the whole "expect", or one alternative of its any_of. */
static void ld_expect_object(struct ld *ld, json_t *v, const char *path,
                             const struct mc_session_spec *ss, struct mc_expect *e,
                             struct mc_strv *groups, bool alternative)
{
    const struct mc_protocol *proto = ss ? ss->proto : NULL;
    char p[LD_PATH_MAX];
    json_t *f;
    bool b;
    if (!json_is_object(v)) {
        mc_ld_error(ld, path, "must be an object like {\"ok\": true}");
        return;
    }
    ld_expect_check_keys(ld, v, path, ss);
    if (alternative)
        ld_alternative_keys(ld, v, path, proto);
#define LD_FIELD(name) (mc_ld_path_key(p, path, name), json_object_get(v, name))
    if ((f = LD_FIELD("ok")) && mc_ld_bool(ld, f, p, &b))
        e->ok = b;
    if ((f = LD_FIELD("status")) &&
        (!proto || ld_fits_status(proto))) { /* a misfit was reported above */
        int i;
        if (!proto)
            mc_ld_string(ld, f, p, LD_STR_NONEMPTY, &e->status);
        else if (mc_ld_word(ld, f, p, proto->status_words, false, &i))
            e->status = mc_xstrdup(proto->status_words[i]);
    }
    if ((f = LD_FIELD("tagged")) && (!proto || ld_fits_tagged(proto))) {
        int i;
        if (e->status)
            mc_ld_error_key(ld, p, "give 'tagged' or 'status', not both");
        else if (mc_ld_word(ld, f, p, ld_tagged_words, false, &i))
            e->status = mc_xstrdup(ld_tagged_words[i]);
    }
    if ((f = LD_FIELD("continuation")))
        e->continuation = mc_ld_true(ld, f, p);
    bool codes = !proto || ld_fits_code(proto);
    if ((f = LD_FIELD("code")) && codes)
        mc_ld_int(ld, f, p, 200, 599, &e->code);
    if ((f = LD_FIELD("class")) && codes)
        mc_ld_int(ld, f, p, 2, 5, &e->code_class);
    if ((f = LD_FIELD("enhanced")) && codes && mc_ld_string(ld, f, p, 0, &e->enhanced) &&
        !ld_enhanced_valid(e->enhanced)) {
        mc_ld_error(ld, p, "'%s' is not an enhanced status code like \"2.1.0\" (RFC 3463)",
                    e->enhanced);
        free(e->enhanced);
        e->enhanced = NULL;
    }
    if ((f = LD_FIELD("match")))
        ld_pattern(ld, f, p, &e->match, groups);
    if ((f = LD_FIELD("not_match")))
        ld_pattern(ld, f, p, &e->not_match, NULL);
    if ((f = LD_FIELD("multiline")) && !alternative && (!proto || ld_fits_multiline(proto)) &&
        mc_ld_bool(ld, f, p, &b))
        e->multiline = b;
    if ((f = LD_FIELD("captured")))
        ld_captured(ld, f, p, e);
#undef LD_FIELD

    /* The line sets, under the protocol's own prefix (both when the session is unknown). */
    for (size_t i = 0; ld_line_prefixes[i]; i++) {
        const char *prefix = ld_line_prefixes[i];
        if (proto && strcmp(proto->lines_key, prefix) != 0)
            continue;
        struct mc_patterns *sets[] = {&e->lines,      &e->lines_in_order, &e->lines_may,
                                      &e->lines_none, &e->lines_shared,   &e->lines_each};
        for (size_t k = 0; ld_line_suffixes[k]; k++) {
            char key[32];
            snprintf(key, sizeof key, "%s%s", prefix, ld_line_suffixes[k]);
            mc_ld_path_key(p, path, key);
            if (!(f = json_object_get(v, key)) || sets[k]->items)
                continue;
            if (k == LD_SUFFIX_EACH && alternative) {
                mc_ld_error_key(ld, p,
                                "'%s' collects lists for the whole step: put it beside any_of, "
                                "not in an alternative",
                                key);
                continue;
            }
            struct mc_strv *into = k == LD_SUFFIX_EACH ? &ld->step_lists : groups;
            ld_patterns(ld, f, p, sets[k], k == LD_SUFFIX_NONE ? NULL : into);
            if (k == 2)
                e->lines_may_given = true;
        }
    }
    ld_expect_consistent(ld, path, e);
}
