/*
 * regex — the matcher's PCRE2 layer (see regex.h), and the loader's pattern checks (matcher.h).
 *
 * Patterns are PCRE2 in 8-bit, non-UTF mode (PCRE2_NEVER_UTF). Reply bytes come from the
 * server under test and may be any bytes: in UTF mode a subject with invalid UTF-8 makes
 * pcre2_match fail outright, and PCRE2_MATCH_INVALID_UTF would still make it impossible to
 * match an invalid byte literally (a captured value is substituted back as \xhh, which in UTF
 * mode means a code point, not a byte). Byte semantics keep every comparison exact and
 * deterministic; UTF-8 literals in a pattern still match the same UTF-8 bytes in a reply. The
 * cost is that '.' and character classes see bytes, not characters, and (*UTF) is refused.
 *
 * Patterns are compiled after substitution, so a captured value is matched literally wherever
 * it lands (vars.c quotes it). No JIT: patterns run once or a few times per step, and the
 * interpreter is the one that honours every limit below.
 */
#include "engine/regex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/matcher.h"

/*
 * Bounds on a single pcre2_match call. The subject is written by the server under test, which
 * may be broken or hostile: a pattern with nested quantifiers ("(a+)+$") against a long line
 * backtracks exponentially and, unbounded, would hang the run. PCRE2's defaults are meant for
 * trusted input (notably a 20 GB heap limit). The match limit is PCRE2's default of 10 million
 * backtracking steps: a legitimate "^.*x" over a multi-megabyte IMAP line with inline literal
 * still fits, and the worst case costs ~0.1 s. The first limit hit ends the whole check, so a
 * hostile reply costs that at most once per step.
 */
#define MC_REGEX_MATCH_LIMIT 10000000u /* backtracking steps per line */
#define MC_REGEX_DEPTH_LIMIT 250000u   /* nested backtracking points per line */
#define MC_REGEX_HEAP_LIMIT_KIB 65536u /* 64 MiB of backtracking frames per line */

/* What a variable stands for when a pattern is checked before its value exists. */
#define MC_REGEX_PLACEHOLDER "x"

/* ---- explanations ---- */

void mc_why_quote(struct mc_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t shown = len < MC_WHY_LINE_MAX ? len : MC_WHY_LINE_MAX;
    mc_buf_append_char(b, '\'');
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            mc_buf_append_char(b, (char)c);
        } else if (c == '\r') {
            mc_buf_append_str(b, "\\r");
        } else if (c == '\n') {
            mc_buf_append_str(b, "\\n");
        } else if (c == '\t') {
            mc_buf_append_str(b, "\\t");
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            mc_buf_append(b, esc, 4);
        }
    }
    mc_buf_append_char(b, '\'');
    if (shown < len)
        mc_buf_printf(b, "... (%zu bytes in all)", len);
}

void mc_why_quote_str(struct mc_buf *b, const char *s)
{
    mc_why_quote(b, s ? s : "", s ? strlen(s) : 0);
}

void mc_why_pattern(struct mc_buf *b, const struct mc_rx *x)
{
    mc_why_quote_str(b, x->source);
    if (x->expanded && strcmp(x->expanded, x->source) != 0) {
        mc_buf_append_str(b, " (with variables: ");
        mc_why_quote_str(b, x->expanded);
        mc_buf_append_char(b, ')');
    }
}

/* ---- a check's context ---- */

void mc_rx_ctx_init(struct mc_rx_ctx *c, const struct mc_vars *vars, const struct mc_vars *local,
                    struct mc_buf *why, bool capture)
{
    memset(c, 0, sizeof *c);
    c->vars = vars;
    c->local = local;
    c->why = why;
    c->capture = capture;
    c->mctx = pcre2_match_context_create(NULL);
    if (!c->mctx)
        abort(); /* out of memory; see buf.h */
    pcre2_set_match_limit(c->mctx, MC_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(c->mctx, MC_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(c->mctx, MC_REGEX_HEAP_LIMIT_KIB);
}

void mc_rx_ctx_commit(struct mc_rx_ctx *c, struct mc_vars *vars)
{
    for (size_t i = 0; vars && i < c->cap_name.count; i++)
        mc_vars_set(vars, c->cap_name.items[i].ptr, c->cap_value.items[i].ptr,
                    c->cap_value.items[i].len);
}

void mc_rx_ctx_done(struct mc_rx_ctx *c)
{
    pcre2_match_context_free(c->mctx);
    mc_strv_free(&c->cap_name);
    mc_strv_free(&c->cap_value);
}

/* ---- patterns ---- */

void mc_rx_free(struct mc_rx *x)
{
    free(x->expanded);
    pcre2_match_data_free(x->md);
    pcre2_code_free(x->code);
    memset(x, 0, sizeof *x);
}

/* Compiles `text` as is; on failure appends PCRE2's message and offset to `err`. */
static pcre2_code *regex_compile_text(const char *text, size_t len, struct mc_buf *err)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)text, len, PCRE2_NEVER_UTF, &code, &offset, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            strcpy((char *)msg, "unknown PCRE2 error");
        mc_buf_printf(err, "%s at offset %zu", (const char *)msg, (size_t)offset);
    }
    return re;
}

bool mc_rx_compile(struct mc_rx_ctx *c, const char *source, const char *field, struct mc_rx *x)
{
    struct mc_buf text = {0}, err = {0};
    memset(x, 0, sizeof *x);
    x->source = source;
    if (mc_vars_expand(c->vars, c->local, source, strlen(source), MC_EXPAND_REGEX, &text, &err) !=
        0) {
        mc_buf_printf(c->why, "%s: cannot use pattern ", field);
        mc_why_quote_str(c->why, source);
        mc_buf_printf(c->why, ": %s", err.data);
        goto fail;
    }
    /* Quoted values never contain NUL (it becomes \x00), so the text is a C string. */
    x->expanded = mc_buf_steal(&text);
    x->code = regex_compile_text(x->expanded, strlen(x->expanded), &err);
    if (!x->code) {
        mc_buf_printf(c->why, "%s: pattern ", field);
        mc_why_pattern(c->why, x);
        mc_buf_printf(c->why, " is not a valid regular expression: %s", err.data);
        goto fail;
    }
    x->md = pcre2_match_data_create_from_pattern(x->code, NULL);
    if (!x->md)
        abort(); /* out of memory; see buf.h */
    mc_buf_free(&err);
    return true;
fail:
    c->broken = true;
    mc_buf_free(&text);
    mc_buf_free(&err);
    mc_rx_free(x);
    return false;
}

int mc_rx_match(struct mc_rx_ctx *c, struct mc_rx *x, const char *s, size_t len)
{
    int rc = pcre2_match(x->code, (PCRE2_SPTR)s, len, 0, 0, x->md, c->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
        strcpy((char *)msg, "unknown PCRE2 error");
    c->broken = true;
    mc_buf_append_str(c->why, "pattern ");
    mc_why_pattern(c->why, x);
    mc_buf_append_str(c->why, " gave up on ");
    mc_why_quote(c->why, s, len);
    mc_buf_printf(c->why,
                  " (PCRE2: %s): it backtracks too much on this reply; make it more specific "
                  "(anchors, possessive or atomic groups)",
                  (const char *)msg);
    return -1;
}

void mc_rx_queue_captures(struct mc_rx_ctx *c, const struct mc_rx *x, const char *s)
{
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(x->code, PCRE2_INFO_NAMECOUNT, &count);
    if (!c->capture || count == 0)
        return;
    pcre2_pattern_info(x->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(x->code, PCRE2_INFO_NAMETABLE, &table);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->md);
    uint32_t pairs = pcre2_get_ovector_count(x->md);
    for (uint32_t i = 0; i < count; i++, table += entry) {
        uint32_t group = ((uint32_t)table[0] << 8) | table[1];
        /* A group that took no part in the match (in an untaken alternative) sets nothing:
           a later ${name} then fails as unknown, which says more than an empty value. */
        if (group >= pairs || ov[2 * group] == PCRE2_UNSET)
            continue;
        mc_strv_push_str(&c->cap_name, (const char *)table + 2);
        mc_strv_push(&c->cap_value, s + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    }
}

/* ---- for the loader (matcher.h) ---- */

static void regex_placeholder(const char *name, size_t len, void *ctx)
{
    char key[256];
    if (len >= sizeof key)
        return; /* mc_vars_expand then reports it as unknown */
    memcpy(key, name, len);
    key[len] = '\0';
    mc_vars_set(ctx, key, MC_REGEX_PLACEHOLDER, strlen(MC_REGEX_PLACEHOLDER));
}

/* Compiles `pattern` with every ${var} standing for MC_REGEX_PLACEHOLDER. */
static pcre2_code *regex_compile_placeholders(const char *pattern, struct mc_buf *err)
{
    struct mc_vars *placeholders = mc_vars_new();
    struct mc_buf text = {0};
    pcre2_code *re = NULL;
    mc_vars_each_reference(pattern, regex_placeholder, placeholders);
    if (mc_vars_expand(placeholders, NULL, pattern, strlen(pattern), MC_EXPAND_TEXT, &text, err) ==
        0) {
        re = regex_compile_text(text.data ? text.data : "", text.len, err);
        /* The offset is then one in the substituted text; say so. */
        if (!re && strcmp(text.data ? text.data : "", pattern) != 0)
            mc_buf_append_str(err, " (counting each ${variable} as \"" MC_REGEX_PLACEHOLDER "\")");
    }
    mc_buf_free(&text);
    mc_vars_free(placeholders);
    return re;
}

int mc_regex_check(const char *pattern, struct mc_buf *err)
{
    pcre2_code *re = regex_compile_placeholders(pattern, err);
    int rc = re ? 0 : -1;
    pcre2_code_free(re);
    return rc;
}

void mc_regex_group_names(const char *pattern, struct mc_strv *names)
{
    struct mc_buf err = {0};
    pcre2_code *re = regex_compile_placeholders(pattern, &err);
    mc_buf_free(&err);
    if (!re)
        return;
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++, table += entry) {
        const char *name = (const char *)table + 2;
        /* (?J) allows one name for several groups; list it once. */
        bool seen = false;
        for (size_t k = 0; k < names->count && !seen; k++)
            seen = strcmp(names->items[k].ptr, name) == 0;
        if (!seen)
            mc_strv_push_str(names, name);
    }
    pcre2_code_free(re);
}
