/*
 * relation — parses and evaluates the expressions of expect.check (grammar in relation.h).
 *
 * One recursive-descent pass does both jobs: at load time (no environment) it only checks the
 * syntax and reports the variables used; at run time it computes as it parses, and writes
 * down every value it looked at, so that a failed check can show them all:
 *
 *   expected sum(${size}) == ${total}: sum(${size}) is 1234 (${size} = 400, 417, 417); ${total} is
 * 1230
 *
 * The first error stops the pass; its message names the offset in the expression.
 */
#include "engine/relation.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/regex.h"

/* Values listed in an explanation; a learner needs the start of a long list, not all of it. */
#define REL_SHOWN_VALUES_MAX 10
/* Digits of a number: 18 always fit a signed 64-bit integer. */
#define REL_DIGITS_MAX 18
/* Nesting of parentheses: a sanity bound on the recursion. */
#define REL_DEPTH_MAX 32

struct rel {
    const char *src;
    size_t pos;
    const struct mc_relation_env *env; /* NULL: parse only */
    void (*use)(const char *name, bool as_list, void *ctx);
    void *use_ctx;
    struct mc_buf *err; /* the first error */
    bool failed;
    int depth;
    struct mc_buf shown; /* "x is 1; y is 2" */
};

struct rel_val {
    bool num; /* n holds the value; otherwise the bytes s[0..len) */
    long long n;
    const char *s;
    size_t len;
};

static void rel_error(struct rel *r, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rel_error(struct rel *r, size_t at, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    mc_buf_vprintf(r->err, fmt, ap);
    va_end(ap);
    if (!r->env)
        mc_buf_printf(r->err, " (at offset %zu of the check)", at);
}

static void rel_skip_space(struct rel *r)
{
    while (r->src[r->pos] == ' ' || r->src[r->pos] == '\t')
        r->pos++;
}

static bool rel_take(struct rel *r, const char *tok)
{
    rel_skip_space(r);
    size_t n = strlen(tok);
    if (strncmp(r->src + r->pos, tok, n) != 0)
        return false;
    r->pos += n;
    return true;
}

/* Decimal digits as a number; false when they are not (empty, a sign, other bytes, too long). */
static bool rel_number(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > REL_DIGITS_MAX)
        return false;
    long long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        n = n * 10 + (s[i] - '0');
    }
    *out = n;
    return true;
}

static void rel_show_sep(struct rel *r)
{
    if (r->shown.len)
        mc_buf_append_str(&r->shown, "; ");
}

static void rel_show_value(struct mc_buf *b, const char *s, size_t len)
{
    long long n;
    if (rel_number(s, len, &n))
        mc_buf_append(b, s, len);
    else
        mc_why_quote(b, s, len);
}

/* "${name}": the name, checked; NULL after an error. The caller frees it. */
static char *rel_var_name(struct rel *r)
{
    size_t at = r->pos;
    if (!rel_take(r, "${")) {
        rel_error(r, at, "%s", "expected a variable like ${name}");
        return NULL;
    }
    size_t start = r->pos;
    while (isalnum((unsigned char)r->src[r->pos]) || r->src[r->pos] == '_')
        r->pos++;
    size_t len = r->pos - start;
    if (len == 0 || isdigit((unsigned char)r->src[start]) || r->src[r->pos] != '}') {
        rel_error(r, start, "%s",
                  "expected a variable name (letters, digits and _, not starting with a "
                  "digit) and '}'");
        return NULL;
    }
    r->pos++;
    return mc_xstrndup(r->src + start, len);
}

/* A single value named by `name`; false after an error. */
static bool rel_scalar(struct rel *r, const char *name, size_t at, struct rel_val *v)
{
    if (r->use)
        r->use(name, false, r->use_ctx);
    if (!r->env) {
        *v = (struct rel_val){.num = true};
        return true;
    }
    if (!r->env->scalar(r->env->ctx, name, &v->s, &v->len)) {
        const struct mc_strv *l = r->env->list(r->env->ctx, name);
        rel_error(r, at,
                  l ? "${%s} holds a list (one value per line): use count(), sum(), min(), "
                      "max() or distinct() on it"
                    : "${%s} was not captured",
                  name);
        return false;
    }
    v->num = rel_number(v->s, v->len, &v->n);
    rel_show_sep(r);
    mc_buf_printf(&r->shown, "${%s} is ", name);
    rel_show_value(&r->shown, v->s, v->len);
    return true;
}

/* The list of a count/sum/min/max/distinct call; NULL after an error (or when parsing only:
   then *parsed is set). */
static const struct mc_strv *rel_list(struct rel *r, const char *fn, const char *name, size_t at)
{
    if (r->use)
        r->use(name, true, r->use_ctx);
    if (!r->env)
        return NULL;
    const struct mc_strv *l = r->env->list(r->env->ctx, name);
    if (!l) {
        const char *s;
        size_t len;
        bool single = r->env->scalar(r->env->ctx, name, &s, &len);
        if (single)
            rel_error(r, at,
                      "%s(${%s}): ${%s} is a single value; %s() takes a list collected by "
                      "lines_each (untagged_each)",
                      fn, name, name, fn);
        else
            rel_error(r, at, "%s(${%s}): ${%s} was not captured", fn, name, name);
        return NULL;
    }
    rel_show_sep(r);
    mc_buf_printf(&r->shown, "${%s} = [", name);
    for (size_t i = 0; i < l->count && i < REL_SHOWN_VALUES_MAX; i++) {
        mc_buf_append_str(&r->shown, i ? ", " : "");
        rel_show_value(&r->shown, l->items[i].ptr, l->items[i].len);
    }
    if (l->count > REL_SHOWN_VALUES_MAX)
        mc_buf_printf(&r->shown, ", ... (%zu values)", l->count);
    mc_buf_append_char(&r->shown, ']');
    return l;
}

/* Every value of `l` as a number; false (with the error) at the first that is not one. */
static bool rel_list_numbers(struct rel *r, const struct mc_strv *l, const char *name, size_t at,
                             long long *nums)
{
    for (size_t i = 0; i < l->count; i++) {
        if (!rel_number(l->items[i].ptr, l->items[i].len, &nums[i])) {
            struct mc_buf m = {0};
            mc_buf_printf(&m, "value %zu of ${%s}, ", i + 1, name);
            mc_why_quote(&m, l->items[i].ptr, l->items[i].len);
            rel_error(r, at, "%s, is not a number", m.data);
            mc_buf_free(&m);
            return false;
        }
    }
    return true;
}

/* count, sum, min, max over a list. */
static bool rel_aggregate(struct rel *r, const char *fn, const char *name, size_t at,
                          struct rel_val *v)
{
    *v = (struct rel_val){.num = true};
    const struct mc_strv *l = rel_list(r, fn, name, at);
    if (!l)
        return !r->failed;
    if (strcmp(fn, "count") == 0) {
        v->n = (long long)l->count;
    } else if (l->count == 0 && strcmp(fn, "sum") != 0) {
        rel_error(r, at, "%s() of an empty list has no value", fn);
        return false;
    } else {
        long long *nums = mc_xcalloc(l->count + 1, sizeof *nums);
        bool ok = rel_list_numbers(r, l, name, at, nums);
        for (size_t i = 0; ok && i < l->count; i++) {
            if (strcmp(fn, "sum") == 0)
                ok = !__builtin_add_overflow(v->n, nums[i], &v->n);
            else if (i == 0 || (strcmp(fn, "min") == 0 ? nums[i] < v->n : nums[i] > v->n))
                v->n = nums[i];
        }
        free(nums);
        if (!ok) {
            if (!r->failed)
                rel_error(r, at, "sum(${%s}) overflows 64 bits", name);
            return false;
        }
    }
    mc_buf_printf(&r->shown, ", %s is %lld", fn, v->n);
    return true;
}

static bool rel_expr(struct rel *r, struct rel_val *v);

/* A function call: fn "(" var ")". */
static bool rel_call(struct rel *r, const char *fn, size_t at, struct rel_val *v)
{
    if (!rel_take(r, "(")) {
        rel_error(r, r->pos, "expected '(' after %s", fn);
        return false;
    }
    char *name = rel_var_name(r);
    bool ok = name && rel_take(r, ")");
    if (name && !ok)
        rel_error(r, r->pos, "expected ')' after the variable of %s(", fn);
    if (ok && strcmp(fn, "octets") == 0) {
        ok = rel_scalar(r, name, at, v);
        if (ok && r->env) {
            *v = (struct rel_val){.num = true, .n = (long long)v->len};
            mc_buf_printf(&r->shown, ", octets %lld", v->n);
        }
    } else if (ok) {
        ok = rel_aggregate(r, fn, name, at, v);
    }
    free(name);
    return ok;
}

static const char *const rel_functions[] = {"count", "sum", "min", "max", "octets", NULL};

static bool rel_atom(struct rel *r, struct rel_val *v)
{
    rel_skip_space(r);
    size_t at = r->pos;
    const char *p = r->src + r->pos;
    if (isdigit((unsigned char)*p)) {
        size_t n = strspn(p, "0123456789");
        *v = (struct rel_val){.num = true};
        if (!rel_number(p, n, &v->n)) {
            rel_error(r, at, "%s", "a number of more than 18 digits");
            return false;
        }
        r->pos += n;
        return true;
    }
    if (*p == '(') {
        if (++r->depth > REL_DEPTH_MAX) {
            rel_error(r, at, "%s", "parentheses nested too deep");
            return false;
        }
        r->pos++;
        bool ok = rel_expr(r, v) && rel_take(r, ")");
        if (!ok)
            rel_error(r, r->pos, "%s", "expected ')'");
        r->depth--;
        return ok;
    }
    if (*p == '$') {
        char *name = rel_var_name(r);
        bool ok = name && rel_scalar(r, name, at, v);
        free(name);
        return ok;
    }
    size_t n = 0;
    while (isalpha((unsigned char)p[n]))
        n++;
    for (size_t i = 0; n && rel_functions[i]; i++) {
        if (strlen(rel_functions[i]) == n && strncmp(p, rel_functions[i], n) == 0) {
            r->pos += n;
            return rel_call(r, rel_functions[i], at, v);
        }
    }
    if (n) {
        char word[32];
        snprintf(word, sizeof word, "%.*s", (int)(n < 20 ? n : 20), p);
        rel_error(r, at,
                  "unknown function '%s' (the functions are count, sum, min, max, octets and "
                  "distinct)",
                  word);
    } else {
        rel_error(r, at, "%s", "expected a number, a ${variable}, a function or '('");
    }
    return false;
}

static bool rel_need_number(struct rel *r, const struct rel_val *v, size_t at)
{
    if (v->num)
        return true;
    struct mc_buf m = {0};
    mc_why_quote(&m, v->s, v->len);
    rel_error(r, at,
              "%s is not a number, so it cannot be used in arithmetic or compared with <, <=, > "
              "or >=",
              m.data);
    mc_buf_free(&m);
    return false;
}

static bool rel_term(struct rel *r, struct rel_val *v)
{
    size_t at = r->pos;
    if (!rel_atom(r, v))
        return false;
    while (rel_take(r, "*")) {
        struct rel_val w;
        size_t wat = r->pos;
        if (!rel_atom(r, &w) || !rel_need_number(r, v, at) || !rel_need_number(r, &w, wat))
            return false;
        if (__builtin_mul_overflow(v->n, w.n, &v->n)) {
            rel_error(r, at, "%s", "a product overflows 64 bits");
            return false;
        }
    }
    return true;
}

static bool rel_expr(struct rel *r, struct rel_val *v)
{
    size_t at = r->pos;
    if (!rel_term(r, v))
        return false;
    for (;;) {
        rel_skip_space(r);
        char op = r->src[r->pos];
        if (op != '+' && op != '-')
            return true;
        r->pos++;
        struct rel_val w;
        size_t wat = r->pos;
        if (!rel_term(r, &w) || !rel_need_number(r, v, at) || !rel_need_number(r, &w, wat))
            return false;
        bool over = op == '+' ? __builtin_add_overflow(v->n, w.n, &v->n)
                              : __builtin_sub_overflow(v->n, w.n, &v->n);
        if (over) {
            rel_error(r, at, "%s", "a sum or difference overflows 64 bits");
            return false;
        }
    }
}

static const char *const rel_ops[] = {"==", "!=", "<=", ">=", "<", ">", NULL};

/* -1 on error; else whether `a op b` holds. */
static int rel_compare(struct rel *r, const char *op, const struct rel_val *a,
                       const struct rel_val *b, size_t at)
{
    bool eq_op = op[0] == '=' || op[0] == '!';
    if (eq_op && !(a->num && b->num)) { /* compare as bytes */
        char na[32], nb[32];
        const char *sa = a->s, *sb = b->s;
        size_t la = a->len, lb = b->len;
        if (a->num)
            la = (size_t)snprintf(na, sizeof na, "%lld", a->n), sa = na;
        if (b->num)
            lb = (size_t)snprintf(nb, sizeof nb, "%lld", b->n), sb = nb;
        bool same = la == lb && memcmp(sa, sb, la) == 0;
        return op[0] == '=' ? same : !same;
    }
    if (!rel_need_number(r, a, at) || !rel_need_number(r, b, at))
        return -1;
    if (strcmp(op, "==") == 0)
        return a->n == b->n;
    if (strcmp(op, "!=") == 0)
        return a->n != b->n;
    if (strcmp(op, "<") == 0)
        return a->n < b->n;
    if (strcmp(op, "<=") == 0)
        return a->n <= b->n;
    if (strcmp(op, ">") == 0)
        return a->n > b->n;
    return a->n >= b->n;
}

/* distinct(${list}): -1 error, 1 holds, 0 with the first repeated value shown. */
static int rel_distinct(struct rel *r, size_t at)
{
    if (!rel_take(r, "(")) {
        rel_error(r, r->pos, "%s", "expected '(' after distinct");
        return -1;
    }
    char *name = rel_var_name(r);
    if (!name)
        return -1;
    int rc = -1;
    if (!rel_take(r, ")")) {
        rel_error(r, r->pos, "%s", "expected ')' after the variable of distinct(");
    } else if (rel_skip_space(r), r->src[r->pos] != '\0') {
        rel_error(r, r->pos, "%s", "distinct(${list}) is a whole check: nothing may follow it");
    } else {
        const struct mc_strv *l = rel_list(r, "distinct", name, at);
        rc = r->failed ? -1 : 1;
        for (size_t i = 0; l && rc == 1 && i < l->count; i++) {
            for (size_t k = 0; rc == 1 && k < i; k++) {
                if (l->items[i].len == l->items[k].len &&
                    memcmp(l->items[i].ptr, l->items[k].ptr, l->items[i].len) == 0) {
                    rc = 0;
                    mc_buf_printf(&r->shown, "; values %zu and %zu are both ", k + 1, i + 1);
                    rel_show_value(&r->shown, l->items[i].ptr, l->items[i].len);
                }
            }
        }
    }
    free(name);
    return rc;
}

static int rel_check(struct rel *r)
{
    if (strlen(r->src) > MC_RELATION_TEXT_MAX) {
        rel_error(r, 0, "a check may be at most %d characters", MC_RELATION_TEXT_MAX);
        return -1;
    }
    rel_skip_space(r);
    size_t at = r->pos;
    if (strncmp(r->src + r->pos, "distinct", 8) == 0 &&
        !isalnum((unsigned char)r->src[r->pos + 8])) {
        r->pos += 8;
        return rel_distinct(r, at);
    }
    struct rel_val a, b;
    if (!rel_expr(r, &a))
        return -1;
    const char *op = NULL;
    for (size_t i = 0; rel_ops[i] && !op; i++)
        if (rel_take(r, rel_ops[i]))
            op = rel_ops[i];
    if (!op) {
        rel_error(r, r->pos, "%s",
                  r->src[r->pos] == '=' ? "'=' is not a comparison: write '=='"
                                        : "expected a comparison: ==, !=, <, <=, > or >=");
        return -1;
    }
    size_t bat = r->pos;
    if (!rel_expr(r, &b))
        return -1;
    rel_skip_space(r);
    if (r->src[r->pos] != '\0') {
        rel_error(r, r->pos, "%s",
                  "unexpected text after the comparison (a check compares two expressions once)");
        return -1;
    }
    return r->env ? rel_compare(r, op, &a, &b, bat) : 1;
}

int mc_relation_parse(const char *src, void (*use)(const char *name, bool as_list, void *ctx),
                      void *ctx, struct mc_buf *err)
{
    struct rel r = {.src = src, .use = use, .use_ctx = ctx, .err = err};
    int rc = rel_check(&r);
    mc_buf_free(&r.shown);
    return rc < 0 || r.failed ? -1 : 0;
}

int mc_relation_eval(const char *src, const struct mc_relation_env *env, struct mc_buf *why)
{
    struct mc_buf err = {0};
    struct rel r = {.src = src, .env = env, .err = &err};
    int rc = rel_check(&r);
    if (rc < 0 || r.failed) {
        mc_buf_printf(why, "cannot evaluate check '%s': %s", src, err.data ? err.data : "");
        rc = -1;
    } else if (rc == 0) {
        mc_buf_printf(why, "expected %s: %s", src, r.shown.data ? r.shown.data : "");
    }
    mc_buf_free(&err);
    mc_buf_free(&r.shown);
    return rc;
}
