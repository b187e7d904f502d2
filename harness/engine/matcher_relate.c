/*
 * matcher_relate — lists collected by lines_each, and expect.check (see matcher_relate.h).
 *
 * A lines_each pattern is tried on every data line, in order; each named group that took part
 * in a line's match adds its value to the list of that name. A line may feed several patterns,
 * and no line is required to match (an empty list says "none", which count() can check).
 *
 * Checks see, newest first: this step's own captures, this step's lists, the session's own
 * variables (user, password, address, tag), then the scenario's, plus two values of the reply
 * itself: ${reply_lines} (how many data lines) and ${reply_octets} (their octets, each line
 * counted with its CRLF: for a POP3 RETR, the size of the message as RFC 1939 counts it).
 */
#include "engine/matcher_relate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/relation.h"

static size_t collected_slot(struct mc_collected *c, const char *name)
{
    for (size_t i = 0; i < c->names.count; i++)
        if (strcmp(c->names.items[i].ptr, name) == 0)
            return i;
    mc_strv_push_str(&c->names, name);
    c->lists = mc_xrealloc(c->lists, c->names.count * sizeof *c->lists);
    memset(&c->lists[c->names.count - 1], 0, sizeof *c->lists);
    return c->names.count - 1;
}

static const struct mc_strv *collected_list(const struct mc_collected *c, const char *name)
{
    for (size_t i = 0; c && i < c->names.count; i++)
        if (strcmp(c->names.items[i].ptr, name) == 0)
            return &c->lists[i];
    return NULL;
}

/* Compiles pattern i of lines_each, naming it "<key>_each[i]". */
static bool each_compile(struct mc_rx_ctx *rx, const char *key, const struct mc_expect *e, size_t i,
                         struct mc_rx *x)
{
    char field[96];
    snprintf(field, sizeof field, "%s_each[%zu]", key, i);
    return mc_rx_compile(rx, e->lines_each.items[i], field, x);
}

/* The named groups of pattern `x` (even those no line matched: their list is empty). */
static void each_declare(const struct mc_rx *x, struct mc_collected *out)
{
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(x->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(x->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(x->code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++, table += entry)
        collected_slot(out, (const char *)table + 2);
}

bool mc_relate_collect(struct mc_rx_ctx *rx, const char *key, const struct mc_expect *e,
                       const struct mc_strv *data, struct mc_collected *out)
{
    for (size_t i = 0; i < e->lines_each.count; i++) {
        struct mc_rx x;
        if (!each_compile(rx, key, e, i, &x))
            return false;
        each_declare(&x, out);
        struct mc_rx_ctx one; /* the groups of one line at a time */
        mc_rx_ctx_init(&one, rx->vars, rx->local, rx->why, true);
        int rc = 0;
        for (size_t l = 0; l < data->count && rc >= 0; l++) {
            rc = mc_rx_match(rx, &x, data->items[l].ptr, data->items[l].len);
            if (rc != 1)
                continue;
            mc_rx_queue_captures(&one, &x, data->items[l].ptr);
            for (size_t k = 0; k < one.cap_name.count; k++)
                mc_strv_push(&out->lists[collected_slot(out, one.cap_name.items[k].ptr)],
                             one.cap_value.items[k].ptr, one.cap_value.items[k].len);
            mc_strv_clear(&one.cap_name);
            mc_strv_clear(&one.cap_value);
        }
        mc_rx_ctx_done(&one);
        mc_rx_free(&x);
        if (rc < 0)
            return false;
    }
    return true;
}

int mc_relate_line_collected(struct mc_rx_ctx *rx, const char *key, const struct mc_expect *e,
                             const char *line, size_t len)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < e->lines_each.count; i++) {
        struct mc_rx x;
        if (!each_compile(rx, key, e, i, &x))
            return -1;
        rc = mc_rx_match(rx, &x, line, len);
        mc_rx_free(&x);
    }
    return rc;
}

/* ---- checks ---- */

struct relate_env {
    const struct mc_rx_ctx *rx;
    const struct mc_collected *c;
    char reply_lines[24], reply_octets[24];
};

static bool env_scalar(void *ctx, const char *name, const char **value, size_t *len)
{
    struct relate_env *env = ctx;
    const struct mc_rx_ctx *rx = env->rx;
    for (size_t k = rx->cap_name.count; k-- > 0;) {
        if (strcmp(rx->cap_name.items[k].ptr, name) == 0) {
            *value = rx->cap_value.items[k].ptr;
            *len = rx->cap_value.items[k].len;
            return true;
        }
    }
    if (collected_list(env->c, name))
        return false;
    if (strcmp(name, "reply_lines") == 0 || strcmp(name, "reply_octets") == 0) {
        *value = name[6] == 'l' ? env->reply_lines : env->reply_octets;
        *len = strlen(*value);
        return true;
    }
    const struct mc_vars *scopes[] = {rx->local, rx->vars};
    for (size_t i = 0; i < 2; i++) {
        if (!scopes[i] || mc_vars_get_list(scopes[i], name))
            continue;
        *value = mc_vars_get(scopes[i], name, len);
        if (*value)
            return true;
    }
    return false;
}

static const struct mc_strv *env_list(void *ctx, const char *name)
{
    struct relate_env *env = ctx;
    for (size_t k = 0; k < env->rx->cap_name.count; k++)
        if (strcmp(env->rx->cap_name.items[k].ptr, name) == 0)
            return NULL; /* this step captured it as a single value */
    const struct mc_strv *l = collected_list(env->c, name);
    if (l)
        return l;
    if (env->rx->local && mc_vars_get(env->rx->local, name, NULL))
        return NULL;
    return env->rx->vars ? mc_vars_get_list(env->rx->vars, name) : NULL;
}

bool mc_relate_checks(struct mc_rx_ctx *rx, const struct mc_expect *e, const struct mc_collected *c,
                      const struct mc_reply *r)
{
    if (e->checks.count == 0)
        return true;
    struct relate_env env = {.rx = rx, .c = c};
    unsigned long long octets = 0;
    for (size_t l = 0; l < r->data.count; l++)
        octets += r->data.items[l].len + 2; /* CRLF */
    snprintf(env.reply_lines, sizeof env.reply_lines, "%zu", r->data.count);
    snprintf(env.reply_octets, sizeof env.reply_octets, "%llu", octets);
    struct mc_relation_env re = {env_scalar, env_list, &env};
    for (size_t i = 0; i < e->checks.count; i++)
        if (mc_relation_eval(e->checks.items[i], &re, rx->why) != 1)
            return false;
    return true;
}

void mc_collected_commit(const struct mc_collected *c, struct mc_vars *vars)
{
    for (size_t i = 0; vars && i < c->names.count; i++)
        mc_vars_set_list(vars, c->names.items[i].ptr, &c->lists[i]);
}

void mc_collected_free(struct mc_collected *c)
{
    for (size_t i = 0; i < c->names.count; i++)
        mc_strv_free(&c->lists[i]);
    free(c->lists);
    mc_strv_free(&c->names);
    memset(c, 0, sizeof *c);
}
