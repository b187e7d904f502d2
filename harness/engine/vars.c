/*
 * vars — the ${name} variables of a running scenario (see vars.h).
 *
 * A scenario has a few dozen variables at most (built-ins plus captures), so the map is a
 * sorted array searched by bisection: no hashing, no tombstones, and a debugger shows it as it
 * is. Values are stored with their length (and a NUL after them, for printing), so captures of
 * binary reply bytes survive intact.
 *
 * Syntax: `${name}` with name [A-Za-z_][A-Za-z0-9_]*; `$$` is a literal `$`; a `$` followed by
 * anything else is itself (so regex anchors such as "^a$" or "(a$|b)" need no escaping). A
 * `${` that is never closed, or that encloses something other than a name, is an error rather
 * than text: it is almost always a typo that would otherwise silently match nothing.
 * `${function:argument}` (vars_func.c: base64, literal) expands its argument like any text,
 * ${...} forms nested inside it included, then transforms the bytes; the argument ends at the
 * `}` that balances the opening `${`. A variable that holds a list (collected by a lines_each
 * pattern) expands to its values joined by commas.
 *
 * In MC_EXPAND_REGEX mode each value is quoted byte by byte instead of with \Q...\E, because a
 * value containing "\E" would end the quoted span early. Letters, digits and '_' stay as they
 * are (a backslash before them would change their meaning); other printable ASCII gets a
 * backslash (always literal in PCRE2, also under (?x), where an unescaped space or '#' would
 * be dropped); control bytes, NUL and bytes >= 0x80 become \xhh, which is exact in the non-UTF
 * mode the matcher compiles in.
 */
#include "engine/vars.h"

#include <stdlib.h>
#include <string.h>

struct mc_var {
    char *name;
    char *value; /* NUL after value[len]; for a list, its values joined by commas */
    size_t len;
    struct mc_strv *list; /* NULL: a single value */
};

struct mc_vars {
    struct mc_var *items; /* sorted by name (strcmp order) */
    size_t count;
    size_t cap;
};

struct mc_vars *mc_vars_new(void)
{
    return mc_xcalloc(1, sizeof(struct mc_vars));
}

void mc_vars_free(struct mc_vars *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++) {
        free(v->items[i].name);
        free(v->items[i].value);
        if (v->items[i].list)
            mc_strv_free(v->items[i].list);
        free(v->items[i].list);
    }
    free(v->items);
    free(v);
}

/* Compares the NUL-terminated `a` with the counted `b`, in strcmp order. */
static int vars_name_cmp(const char *a, const char *b, size_t blen)
{
    int c = strncmp(a, b, blen);
    if (c != 0)
        return c;
    return a[blen] == '\0' ? 0 : 1;
}

/* Index of `name` if present (*found), else where it belongs. */
static size_t vars_find(const struct mc_vars *v, const char *name, size_t len, bool *found)
{
    size_t lo = 0, hi = v->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = vars_name_cmp(v->items[mid].name, name, len);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

void mc_vars_set(struct mc_vars *v, const char *name, const char *value, size_t len)
{
    bool found;
    size_t at = vars_find(v, name, strlen(name), &found);
    char *copy = mc_xstrndup(value ? value : "", value ? len : 0);
    if (found) {
        free(v->items[at].value);
        v->items[at].value = copy;
        v->items[at].len = value ? len : 0;
        if (v->items[at].list)
            mc_strv_free(v->items[at].list);
        free(v->items[at].list);
        v->items[at].list = NULL;
        return;
    }
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = mc_xrealloc(v->items, v->cap * sizeof *v->items);
    }
    memmove(&v->items[at + 1], &v->items[at], (v->count - at) * sizeof *v->items);
    v->items[at].name = mc_xstrdup(name);
    v->items[at].value = copy;
    v->items[at].len = value ? len : 0;
    v->items[at].list = NULL;
    v->count++;
}

void mc_vars_set_list(struct mc_vars *v, const char *name, const struct mc_strv *values)
{
    struct mc_buf joined = {0};
    for (size_t i = 0; i < values->count; i++) {
        if (i)
            mc_buf_append_char(&joined, ',');
        mc_buf_append(&joined, values->items[i].ptr, values->items[i].len);
    }
    mc_vars_set(v, name, joined.data ? joined.data : "", joined.len);
    mc_buf_free(&joined);
    bool found;
    size_t at = vars_find(v, name, strlen(name), &found);
    struct mc_strv *copy = mc_xcalloc(1, sizeof *copy);
    for (size_t i = 0; i < values->count; i++)
        mc_strv_push(copy, values->items[i].ptr, values->items[i].len);
    v->items[at].list = copy;
}

const struct mc_strv *mc_vars_get_list(const struct mc_vars *v, const char *name)
{
    if (!v)
        return NULL;
    bool found;
    size_t at = vars_find(v, name, strlen(name), &found);
    return found ? v->items[at].list : NULL;
}

static const struct mc_var *vars_lookup(const struct mc_vars *v, const char *name, size_t len)
{
    if (!v)
        return NULL;
    bool found;
    size_t at = vars_find(v, name, len, &found);
    return found ? &v->items[at] : NULL;
}

const char *mc_vars_get(const struct mc_vars *v, const char *name, size_t *len)
{
    const struct mc_var *var = vars_lookup(v, name, strlen(name));
    if (!var)
        return NULL;
    if (len)
        *len = var->len;
    return var->value;
}

static bool vars_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool vars_name_char(char c)
{
    return vars_name_start(c) || (c >= '0' && c <= '9');
}

/* What follows a '$' at in[i]. */
enum vars_token {
    VARS_TOKEN_LITERAL,   /* a lone '$' */
    VARS_TOKEN_DOLLAR,    /* "$$" */
    VARS_TOKEN_REFERENCE, /* "${name}" */
    VARS_TOKEN_UNCLOSED,  /* "${" without '}' */
    VARS_TOKEN_BAD_NAME,  /* "${...}" whose content is not a name */
    VARS_TOKEN_FUNCTION,  /* "${name:argument}": name span, then the argument's */
};

/* The end of the argument of a function whose text starts at in[from]: the index of the `}` that
   balances the opening `${` (nested `${` open more), or len when there is none. */
static size_t vars_argument_end(const char *in, size_t len, size_t from)
{
    size_t depth = 1;
    for (size_t k = from; k < len; k++) {
        if (in[k] == '$' && k + 1 < len && in[k + 1] == '$') {
            k++; /* "$$" is a dollar, never an opening */
        } else if (in[k] == '$' && k + 1 < len && in[k + 1] == '{') {
            depth++;
            k++;
        } else if (in[k] == '}' && --depth == 0) {
            return k;
        }
    }
    return len;
}

/* Classifies the '$' at in[i]; for a reference or bad name, sets the name span and the length
   of the whole token; for a function, also the argument span (arg_at, arg_len). */
static enum vars_token vars_scan_call(const char *in, size_t len, size_t i, size_t *name_at,
                                      size_t *name_len, size_t *token_len, size_t *arg_at,
                                      size_t *arg_len)
{
    if (i + 1 >= len || (in[i + 1] != '{' && in[i + 1] != '$'))
        return VARS_TOKEN_LITERAL;
    if (in[i + 1] == '$')
        return VARS_TOKEN_DOLLAR;
    size_t k = i + 2;
    while (k < len && vars_name_char(in[k]))
        k++;
    if (k < len && in[k] == ':' && k > i + 2 && vars_name_start(in[i + 2])) {
        size_t end = vars_argument_end(in, len, k + 1);
        if (end >= len)
            return VARS_TOKEN_UNCLOSED;
        *name_at = i + 2;
        *name_len = k - (i + 2);
        *arg_at = k + 1;
        *arg_len = end - (k + 1);
        *token_len = end + 1 - i;
        return VARS_TOKEN_FUNCTION;
    }
    const char *close = memchr(in + i + 2, '}', len - (i + 2));
    if (!close)
        return VARS_TOKEN_UNCLOSED;
    *name_at = i + 2;
    *name_len = (size_t)(close - (in + i + 2));
    *token_len = *name_len + 3;
    bool ok = *name_len > 0 && vars_name_start(in[*name_at]);
    for (size_t c = 1; ok && c < *name_len; c++)
        ok = vars_name_char(in[*name_at + c]);
    return ok ? VARS_TOKEN_REFERENCE : VARS_TOKEN_BAD_NAME;
}

static void vars_quote_regex(struct mc_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (vars_name_char((char)c)) {
            mc_buf_append_char(out, (char)c);
        } else if (c >= 0x20 && c < 0x7f) {
            char esc[2] = {'\\', (char)c};
            mc_buf_append(out, esc, 2);
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            mc_buf_append(out, esc, 4);
        }
    }
}

/* Appends `s` for an error message, cut short: names in errors come from scenario files. */
static void vars_err_excerpt(struct mc_buf *err, const char *s, size_t len)
{
    const size_t max = 40;
    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            mc_buf_append_char(err, (char)c);
        else
            mc_buf_printf(err, "\\x%02x", c);
    }
    if (len > max)
        mc_buf_append_str(err, "...");
}

/* What one expansion shares down its nested function arguments. */
struct vars_expansion {
    const struct mc_vars *v, *local;
    const struct mc_expand_hooks *hooks;
    struct mc_buf *err;
};

static int vars_expand_at(const struct vars_expansion *x, const char *in, size_t len,
                          enum mc_expand_mode mode, unsigned depth, struct mc_buf *out);

/* ${name:argument}: the argument expanded as text, transformed, then written in `mode`. */
static int vars_expand_call(const struct vars_expansion *x, const char *in, size_t name_at,
                            size_t name_len, size_t arg_at, size_t arg_len,
                            enum mc_expand_mode mode, unsigned depth, struct mc_buf *out)
{
    if (depth + 1 > MC_VARS_CALL_DEPTH_MAX) {
        mc_buf_printf(x->err, "${...:...} forms nested more than %d deep", MC_VARS_CALL_DEPTH_MAX);
        return -1;
    }
    if (!mc_vars_func_known(in + name_at, name_len)) {
        mc_buf_append_str(x->err, "unknown function '");
        vars_err_excerpt(x->err, in + name_at, name_len);
        mc_buf_append_str(x->err, "' in \"${");
        vars_err_excerpt(x->err, in + name_at, name_len);
        mc_buf_printf(x->err, ":...}\" (the functions are %s)", MC_VARS_FUNC_NAMES);
        return -1;
    }
    struct mc_buf arg = {0}, result = {0};
    int rc = vars_expand_at(x, in + arg_at, arg_len, MC_EXPAND_TEXT, depth + 1, &arg);
    if (rc == 0) {
        mc_vars_func_apply(in + name_at, name_len, arg.data ? arg.data : "", arg.len, &result);
        size_t at = out->len;
        if (mode == MC_EXPAND_REGEX)
            vars_quote_regex(out, result.data ? result.data : "", result.len);
        else
            mc_buf_append(out, result.data ? result.data : "", result.len);
        if (x->hooks && x->hooks->call) {
            struct mc_vars_call c = {.name = in + name_at,
                                     .name_len = name_len,
                                     .arg = arg.data ? arg.data : "",
                                     .arg_len = arg.len,
                                     .result = out->data + at,
                                     .at = at,
                                     .len = out->len - at,
                                     .depth = depth};
            x->hooks->call(&c, x->hooks->ctx);
        }
    }
    mc_buf_free(&arg);
    mc_buf_free(&result);
    return rc;
}

static int vars_expand_at(const struct vars_expansion *x, const char *in, size_t len,
                          enum mc_expand_mode mode, unsigned depth, struct mc_buf *out)
{
    size_t i = 0;
    while (i < len) {
        const char *dollar = memchr(in + i, '$', len - i);
        size_t run = dollar ? (size_t)(dollar - (in + i)) : len - i;
        mc_buf_append(out, in + i, run);
        i += run;
        if (i >= len)
            break;
        size_t name_at = 0, name_len = 0, token_len = 0, arg_at = 0, arg_len = 0;
        enum vars_token t =
            vars_scan_call(in, len, i, &name_at, &name_len, &token_len, &arg_at, &arg_len);
        const struct mc_var *var;
        switch (t) {
        case VARS_TOKEN_LITERAL:
            mc_buf_append_char(out, '$');
            i += 1;
            break;
        case VARS_TOKEN_DOLLAR:
            mc_buf_append_char(out, '$');
            i += 2;
            break;
        case VARS_TOKEN_UNCLOSED:
            mc_buf_printf(x->err,
                          "unterminated \"${\" at offset %zu (no closing '}'; write $$ for "
                          "a literal $)",
                          i);
            return -1;
        case VARS_TOKEN_BAD_NAME:
            mc_buf_append_str(x->err, "invalid variable name in \"${");
            vars_err_excerpt(x->err, in + name_at, name_len);
            mc_buf_printf(x->err,
                          "}\" at offset %zu (a name is letters, digits and _, not starting "
                          "with a digit)",
                          i);
            return -1;
        case VARS_TOKEN_FUNCTION:
            if (vars_expand_call(x, in, name_at, name_len, arg_at, arg_len, mode, depth, out))
                return -1;
            i += token_len;
            break;
        case VARS_TOKEN_REFERENCE:
            var = vars_lookup(x->local, in + name_at, name_len);
            if (!var)
                var = vars_lookup(x->v, in + name_at, name_len);
            if (!var) {
                mc_buf_append_str(x->err, "unknown variable ${");
                mc_buf_append(x->err, in + name_at, name_len);
                mc_buf_append_char(x->err, '}');
                return -1;
            }
            if (mode == MC_EXPAND_REGEX)
                vars_quote_regex(out, var->value, var->len);
            else
                mc_buf_append(out, var->value, var->len);
            i += token_len;
            break;
        }
    }
    return 0;
}

int mc_vars_expand_hooked(const struct mc_vars *v, const struct mc_vars *local, const char *in,
                          size_t len, enum mc_expand_mode mode, struct mc_buf *out,
                          struct mc_buf *err, const struct mc_expand_hooks *hooks)
{
    size_t start_len = out->len;
    struct vars_expansion x = {v, local, hooks, err};
    if (vars_expand_at(&x, in, len, mode, 0, out) == 0)
        return 0;
    /* Leave `out` as it was: a half-expanded string must never be used by mistake. */
    out->len = start_len;
    if (out->data)
        out->data[start_len] = '\0';
    return -1;
}

int mc_vars_expand(const struct mc_vars *v, const struct mc_vars *local, const char *in, size_t len,
                   enum mc_expand_mode mode, struct mc_buf *out, struct mc_buf *err)
{
    return mc_vars_expand_hooked(v, local, in, len, mode, out, err, NULL);
}

/* Walks the ${...} forms of in[0..len): references to `ref`, function names to `fn` (either may
   be NULL), arguments of functions recursively. */
static void vars_walk(const char *in, size_t len,
                      void (*ref)(const char *name, size_t len, void *ctx),
                      void (*fn)(const char *name, size_t len, void *ctx), void *ctx)
{
    size_t i = 0;
    while (i < len) {
        const char *dollar = memchr(in + i, '$', len - i);
        if (!dollar)
            return;
        i = (size_t)(dollar - in);
        size_t name_at = 0, name_len = 0, token_len = 0, arg_at = 0, arg_len = 0;
        switch (vars_scan_call(in, len, i, &name_at, &name_len, &token_len, &arg_at, &arg_len)) {
        case VARS_TOKEN_LITERAL:
            i += 1;
            break;
        case VARS_TOKEN_DOLLAR:
            i += 2;
            break;
        case VARS_TOKEN_UNCLOSED:
            return; /* mc_vars_expand reports it */
        case VARS_TOKEN_BAD_NAME:
            i += token_len;
            break;
        case VARS_TOKEN_FUNCTION:
            if (fn)
                fn(in + name_at, name_len, ctx);
            vars_walk(in + arg_at, arg_len, ref, fn, ctx);
            i += token_len;
            break;
        case VARS_TOKEN_REFERENCE:
            if (ref)
                ref(in + name_at, name_len, ctx);
            i += token_len;
            break;
        }
    }
}

void mc_vars_each_reference(const char *in, void (*fn)(const char *name, size_t len, void *ctx),
                            void *ctx)
{
    vars_walk(in, strlen(in), fn, NULL, ctx);
}

void mc_vars_each_function(const char *in, void (*fn)(const char *name, size_t len, void *ctx),
                           void *ctx)
{
    vars_walk(in, strlen(in), NULL, fn, ctx);
}
