/*
 * loader_check — how the loader reports an error, and the checks every field uses: types and
 * ranges, unknown keys with a "did you mean", RFC citations, ${variables} and regular
 * expressions (see loader_internal.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/loader_internal.h"
#include "engine/matcher.h"
#include "engine/vars.h"

/* Finds `path`, or failing that its nearest enclosing value; the root always exists. */
static void ld_locate(const struct ld *ld, const char *path, bool at_key, int *line, int *col)
{
    char p[LD_PATH_MAX];
    mc_ld_path_copy(p, path);
    for (;;) {
        int rc = at_key ? mc_jsonpos_find_key(ld->pos, p, line, col)
                        : mc_jsonpos_find(ld->pos, p, line, col);
        if (rc == 0)
            return;
        if (!p[0])
            break;
        char *dot = strrchr(p, '.'), *bracket = strrchr(p, '[');
        char *cut = !dot ? bracket : !bracket ? dot : dot > bracket ? dot : bracket;
        *(cut ? cut : p) = '\0'; /* "a.b[2]" -> "a.b" -> "a" -> "" */
        at_key = false;          /* an enclosing value is shown where it starts */
    }
    *line = 1;
    *col = 1;
}

/* Writes a message so that it stays one line of reasonable length whatever values it quotes:
   control characters are escaped, and a message longer than LD_MESSAGE_MAX is cut (at a UTF-8
   character boundary). */
static void ld_put_message(struct mc_buf *out, const char *msg, size_t len)
{
    size_t full = len;
    if (len > LD_MESSAGE_MAX) {
        len = LD_MESSAGE_MAX;
        while (len > 0 && ((unsigned char)msg[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c == '\n')
            mc_buf_append_str(out, "\\n");
        else if (c == '\r')
            mc_buf_append_str(out, "\\r");
        else if (c < 0x20 || c == 0x7f)
            mc_buf_printf(out, "\\x%02x", c);
        else
            mc_buf_append_char(out, (char)c);
    }
    if (len < full)
        mc_buf_append_str(out, "...");
}

static void ld_verror(struct ld *ld, const char *path, bool at_key, const char *fmt, va_list ap)
{
    ld->error_count++;
    if (ld->error_count > LD_MAX_ERRORS)
        return;
    struct ld_error e = {.seq = ld->pending_count};
    struct mc_buf text = {0};
    ld_locate(ld, path, at_key, &e.line, &e.col);
    struct mc_buf msg = {0};
    mc_buf_printf(&msg, "%s: ", path[0] ? path : "(root)");
    mc_buf_vprintf(&msg, fmt, ap);
    mc_buf_printf(&text, "%s:%d:%d: ", ld->file, e.line, e.col);
    ld_put_message(&text, msg.data, msg.len);
    mc_buf_append_char(&text, '\n');
    mc_buf_free(&msg);
    e.text = mc_buf_steal(&text);
    ld->pending = mc_xrealloc(ld->pending, (ld->pending_count + 1) * sizeof *ld->pending);
    ld->pending[ld->pending_count++] = e;
}

static int ld_error_cmp(const void *a, const void *b)
{
    const struct ld_error *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void mc_ld_flush_errors(struct ld *ld)
{
    if (ld->pending_count > 1)
        qsort(ld->pending, ld->pending_count, sizeof *ld->pending, ld_error_cmp);
    for (size_t i = 0; i < ld->pending_count; i++) {
        mc_buf_append_str(ld->errors, ld->pending[i].text);
        free(ld->pending[i].text);
    }
    if (ld->error_count > LD_MAX_ERRORS)
        mc_buf_printf(ld->errors, "%s:1:1: (file): %d more errors not shown\n", ld->file,
                      ld->error_count - LD_MAX_ERRORS);
    free(ld->pending);
    ld->pending = NULL;
    ld->pending_count = 0;
}

void mc_ld_error(struct ld *ld, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ld_verror(ld, path, false, fmt, ap);
    va_end(ap);
}

void mc_ld_error_key(struct ld *ld, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ld_verror(ld, path, true, fmt, ap);
    va_end(ap);
}

/* Appends `s` to the path in `out` (holding `*len` bytes), cutting what does not fit: a cut
   path still names the field well enough, and its lookup falls back to an enclosing value. */
static void ld_path_append(char out[LD_PATH_MAX], size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (n > LD_PATH_MAX - 1 - *len)
        n = LD_PATH_MAX - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

void mc_ld_path_copy(char out[LD_PATH_MAX], const char *path)
{
    size_t len = 0;
    ld_path_append(out, &len, path);
}

void mc_ld_path_key(char out[LD_PATH_MAX], const char *parent, const char *key)
{
    size_t len = 0;
    ld_path_append(out, &len, parent);
    if (parent[0])
        ld_path_append(out, &len, ".");
    ld_path_append(out, &len, key);
}

void mc_ld_path_index(char out[LD_PATH_MAX], const char *parent, size_t i)
{
    char index[32];
    size_t len = 0;
    snprintf(index, sizeof index, "[%zu]", i);
    ld_path_append(out, &len, parent);
    ld_path_append(out, &len, index);
}

/* Optimal string alignment distance (a transposition costs 1), ignoring case. */
#define LD_SUGGEST_LEN_MAX 64
static size_t ld_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n >= LD_SUGGEST_LEN_MAX || m >= LD_SUGGEST_LEN_MAX)
        return (size_t)-1;
    size_t d[LD_SUGGEST_LEN_MAX + 1][LD_SUGGEST_LEN_MAX + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

const char *mc_ld_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; candidates[i]; i++) {
        size_t d = ld_distance(word, candidates[i]);
        /* short words only forgive one slip, or every short word resembles every other */
        size_t limit = strlen(candidates[i]) <= 4 ? 1 : 2;
        if (d <= limit && d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

void mc_ld_check_keys(struct ld *ld, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (known)
            continue;
        char p[LD_PATH_MAX];
        mc_ld_path_key(p, path, key);
        const char *hint = mc_ld_suggest(key, allowed);
        if (hint)
            mc_ld_error_key(ld, p, "unknown key '%s' (did you mean '%s'?)", key, hint);
        else
            mc_ld_error_key(ld, p, "unknown key '%s'", key);
    }
}

json_t *mc_ld_required(struct ld *ld, json_t *obj, const char *path, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        char p[LD_PATH_MAX];
        mc_ld_path_key(p, path, key);
        mc_ld_error(ld, p, "is required");
    }
    return v;
}

static const char *ld_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

bool mc_ld_string(struct ld *ld, json_t *v, const char *path, unsigned flags, char **out)
{
    if (!json_is_string(v)) {
        mc_ld_error(ld, path, "must be a string, not %s", ld_kind(v));
        return false;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) {
        mc_ld_error(ld, path, "must not contain a NUL character (\\u0000)");
        return false;
    }
    if ((flags & LD_STR_NONEMPTY) && len == 0) {
        mc_ld_error(ld, path, "must not be empty");
        return false;
    }
    if ((flags & LD_STR_ONE_LINE) && strpbrk(s, "\r\n")) {
        mc_ld_error(ld, path, "must be one line (no CR or LF)");
        return false;
    }
    if (out)
        *out = mc_xstrndup(s, len);
    return true;
}

bool mc_ld_int(struct ld *ld, json_t *v, const char *path, long long min, long long max, int *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        if (json_is_integer(v))
            mc_ld_error(ld, path, "must be an integer from %lld to %lld, not %lld", min, max,
                        (long long)json_integer_value(v));
        else
            mc_ld_error(ld, path, "must be an integer from %lld to %lld, not %s", min, max,
                        ld_kind(v));
        return false;
    }
    if (out)
        *out = (int)json_integer_value(v);
    return true;
}

bool mc_ld_bool(struct ld *ld, json_t *v, const char *path, bool *out)
{
    if (!json_is_boolean(v)) {
        mc_ld_error(ld, path, "must be true or false, not %s", ld_kind(v));
        return false;
    }
    if (out)
        *out = json_is_true(v);
    return true;
}

bool mc_ld_true(struct ld *ld, json_t *v, const char *path)
{
    if (!json_is_true(v)) {
        mc_ld_error(ld, path, "must be true, not %s", ld_kind(v));
        return false;
    }
    return true;
}

bool mc_ld_word(struct ld *ld, json_t *v, const char *path, const char *const *words, bool nocase,
                int *index)
{
    struct mc_buf list = {0};
    for (size_t i = 0; words[i]; i++)
        mc_buf_printf(&list, "%s'%s'", i ? (words[i + 1] ? ", " : " or ") : "", words[i]);
    bool ok = false;
    if (!json_is_string(v)) {
        mc_ld_error(ld, path, "must be %s, not %s", list.data, ld_kind(v));
    } else {
        const char *s = json_string_value(v);
        for (int i = 0; words[i] && !ok; i++) {
            if (nocase ? strcasecmp(s, words[i]) == 0 : strcmp(s, words[i]) == 0) {
                ok = true;
                if (index)
                    *index = i;
            }
        }
        const char *hint = ok ? NULL : mc_ld_suggest(s, words);
        if (hint)
            mc_ld_error(ld, path, "'%s' is not %s (did you mean '%s'?)", s, list.data, hint);
        else if (!ok)
            mc_ld_error(ld, path, "'%s' is not %s", s, list.data);
    }
    mc_buf_free(&list);
    return ok;
}

bool mc_ld_level(struct ld *ld, json_t *v, const char *path, int *out)
{
    static const char *const levels[] = {"MUST", "SHOULD", "MAY", NULL};
    int i;
    if (!mc_ld_word(ld, v, path, levels, false, &i))
        return false;
    *out = i == 0 ? MC_LEVEL_MUST : i == 1 ? MC_LEVEL_SHOULD : MC_LEVEL_MAY;
    return true;
}

/*
 * A citation without a section sends the reader through a whole RFC to find the requirement
 * (RFC 3501 alone is over 100 pages): every citation names its section (issue 10, Deliver 6).
 * A missing section points at the citation object, like every missing required key.
 */
static bool ld_rfc_section(struct ld *ld, json_t *item, const char *path, char **out)
{
    char q[LD_PATH_MAX];
    json_t *sec = json_object_get(item, "section");
    mc_ld_path_key(q, path, "section");
    if (!sec) {
        mc_ld_error(ld, q,
                    "is required: cite the section as the RFC numbers it (\"section\": \"6.3.4\")");
        return false;
    }
    return mc_ld_string(ld, sec, q, LD_STR_NONEMPTY | LD_STR_ONE_LINE, out);
}

void mc_ld_rfc_refs(struct ld *ld, json_t *v, const char *path, struct mc_rfc_refs *out)
{
    static const char *const keys[] = {"rfc", "section", NULL};
    if (!json_is_array(v) || json_array_size(v) == 0) {
        mc_ld_error(ld, path, "must be a non-empty array of {\"rfc\": N, \"section\": \"S\"}");
        return;
    }
    out->items = mc_xcalloc(json_array_size(v), sizeof *out->items);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char p[LD_PATH_MAX], q[LD_PATH_MAX];
        mc_ld_path_index(p, path, i);
        if (!json_is_object(item)) {
            mc_ld_error(ld, p, "must be an object like {\"rfc\": 1939, \"section\": \"6\"}");
            continue;
        }
        mc_ld_check_keys(ld, item, p, keys);
        struct mc_rfc_ref r = {0, NULL};
        json_t *num = mc_ld_required(ld, item, p, "rfc");
        mc_ld_path_key(q, p, "rfc");
        bool ok = num && mc_ld_int(ld, num, q, 1, LD_RFC_MAX, &r.rfc);
        if (!ld_rfc_section(ld, item, p, &r.section))
            ok = false;
        if (ok)
            out->items[out->count++] = r;
        else
            free(r.section);
    }
}

bool mc_ld_is_builtin(const struct ld *ld, const char *name)
{
    for (size_t i = 0; i < ld->builtins.count; i++)
        if (strcmp(ld->builtins.items[i].ptr, name) == 0)
            return true;
    return false;
}

static bool ld_strv_has(const struct mc_strv *v, const char *name)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].ptr, name) == 0)
            return true;
    return false;
}

static bool ld_is_capture(const struct ld *ld, const char *name)
{
    return ld_strv_has(&ld->captures, name);
}

enum ld_capture mc_ld_capture_of(const struct ld *ld, const char *name)
{
    if (ld_is_capture(ld, name))
        return LD_CAPTURED;
    return ld_strv_has(&ld->maybe_captures, name) ? LD_MAYBE_CAPTURED : LD_NOT_CAPTURED;
}

struct ld_vars_ctx {
    struct ld *ld;
    const char *path;
    struct mc_vars *seen;      /* every name referenced, for the syntax check */
    struct mc_strv reported;   /* each unknown name once per field */
    struct mc_strv maybe;      /* names only some alternatives of an earlier any_of capture */
    struct mc_strv no_session; /* session built-ins used where there is no session */
    struct mc_strv elsewhere;  /* tracked messages of another session than the step's */
};

/* The built-ins that name the session's own user: a step without a session has none. */
static bool ld_is_session_builtin(const char *name)
{
    return strcmp(name, "user") == 0 || strcmp(name, "password") == 0 ||
           strcmp(name, "address") == 0;
}

static void ld_push_once(struct mc_strv *v, const char *name)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].ptr, name) == 0)
            return;
    mc_strv_push_str(v, name);
}

static void ld_var_seen(const char *name, size_t len, void *arg)
{
    struct ld_vars_ctx *c = arg;
    char *n = mc_xstrndup(name, len);
    mc_vars_set(c->seen, n, "", 0);
    int tracked = mc_ld_track_session(c->ld, n);
    if (mc_ld_tag_misused(c->ld, c->path, n))
        ; /* reported */
    else if (c->ld->sessionless && ld_is_session_builtin(n) && !ld_is_capture(c->ld, n))
        ld_push_once(&c->no_session, n);
    else if (tracked >= 0 && tracked != c->ld->step_session)
        ld_push_once(&c->elsewhere, n);
    else if (!mc_ld_is_builtin(c->ld, n) && mc_ld_capture_of(c->ld, n) == LD_MAYBE_CAPTURED)
        ld_push_once(&c->maybe, n);
    else if (!mc_ld_is_builtin(c->ld, n) && !ld_is_capture(c->ld, n))
        ld_push_once(&c->reported, n);
    free(n);
}

bool mc_ld_check_vars(struct ld *ld, const char *path, const char *text, size_t len)
{
    struct ld_vars_ctx c = {ld, path, mc_vars_new(), {0}, {0}, {0}, {0}};
    /* mc_vars_each_reference reads NUL-terminated text; raw sends may hold NULs. */
    for (size_t start = 0; start < len;) {
        const char *nul = memchr(text + start, '\0', len - start);
        size_t end = nul ? (size_t)(nul - text) : len;
        char *piece = mc_xstrndup(text + start, end - start);
        mc_vars_each_reference(piece, ld_var_seen, &c);
        free(piece);
        start = end + 1;
    }
    /* The syntax ("${" never closed, "${1x}") is whatever vars.c will refuse when the step
       runs: expand once with every referenced name defined. */
    struct mc_buf out = {0}, err = {0};
    bool ok = mc_vars_expand(c.seen, NULL, text, len, MC_EXPAND_TEXT, &out, &err) == 0;
    if (!ok)
        mc_ld_error(ld, path, "%s", err.data ? err.data : "bad ${variable}");
    for (size_t i = 0; ok && i < c.reported.count; i++)
        mc_ld_error(ld, path,
                    "unknown variable ${%s}: not a built-in and not captured by an earlier step",
                    c.reported.items[i].ptr);
    for (size_t i = 0; ok && i < c.maybe.count; i++)
        mc_ld_error(ld, path,
                    "${%s} is captured by only some alternatives of an earlier any_of, or by a "
                    "soft step, so it may be unset here: test it with \"captured\" instead",
                    c.maybe.items[i].ptr);
    for (size_t i = 0; ok && i < c.no_session.count; i++)
        mc_ld_error(ld, path,
                    "${%s} is the session's user, and this step has no session: name the user, "
                    "like ${%s1}",
                    c.no_session.items[i].ptr, c.no_session.items[i].ptr);
    for (size_t i = 0; ok && i < c.elsewhere.count; i++) {
        const char *n = c.elsewhere.items[i].ptr;
        mc_ld_error(ld, path,
                    "${%s} is a message number of session '%s' (\"track\"); another session "
                    "numbers its messages its own way: capture the UID and use that",
                    n, ld->s->sessions[mc_ld_track_session(ld, n)].name);
    }
    mc_strv_free(&c.elsewhere);
    mc_buf_free(&out);
    mc_buf_free(&err);
    mc_vars_free(c.seen);
    mc_strv_free(&c.reported);
    mc_strv_free(&c.maybe);
    mc_strv_free(&c.no_session);
    return ok;
}

bool mc_ld_check_regex(struct ld *ld, const char *path, const char *pattern, struct mc_strv *groups)
{
    if (!mc_ld_check_vars(ld, path, pattern, strlen(pattern)))
        return false; /* the regex check would only repeat the variable syntax error */
    struct mc_buf err = {0};
    bool ok = mc_regex_check(pattern, &err) == 0;
    if (!ok)
        mc_ld_error(ld, path, "invalid regular expression: %s",
                    err.data ? err.data : "does not compile");
    mc_buf_free(&err);
    if (!ok)
        return false;
    struct mc_strv names = {0};
    mc_regex_group_names(pattern, &names);
    for (size_t i = 0; i < names.count; i++) {
        const char *n = names.items[i].ptr;
        if (mc_ld_is_builtin(ld, n)) {
            mc_ld_error(ld, path,
                        "named group '%s' would hide the built-in variable ${%s}: choose another "
                        "name",
                        n, n);
            ok = false;
        } else if (groups) {
            mc_strv_push_str(groups, n);
        }
    }
    mc_strv_free(&names);
    return ok;
}
