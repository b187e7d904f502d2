/*
 * registry — the list of protocols the harness speaks, their schemes, and the lifetime of a
 * reply.
 *
 * The engine looks a protocol up by the name a scenario or target gives ("imap", "SMTP"), or a
 * scheme by the name a URL gives ("submission"), and from then on only uses the tables. Every
 * message that lists protocols or schemes is built here from the same tables, so it cannot go
 * stale. Adding a protocol is one line in `mc_protocols`.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/protocol.h"

static const struct mc_protocol *const mc_protocols[] = {
    &mc_proto_pop3,
    &mc_proto_imap,
    &mc_proto_smtp,
    &mc_proto_lmtp,
};

const struct mc_protocol *mc_protocol_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof mc_protocols / sizeof mc_protocols[0]; i++)
        if (strcasecmp(mc_protocols[i]->name, name) == 0)
            return mc_protocols[i];
    return NULL;
}

#define MC_PROTOCOL_COUNT (sizeof mc_protocols / sizeof mc_protocols[0])

const char *const *mc_protocol_names(void)
{
    static const char *names[MC_PROTOCOL_COUNT + 1];
    for (size_t i = 0; i < MC_PROTOCOL_COUNT; i++)
        names[i] = mc_protocols[i]->name;
    return names;
}

const struct mc_protocol *mc_protocol_guess_greeting(const char *line, size_t len)
{
    for (size_t i = 0; i < MC_PROTOCOL_COUNT; i++)
        if (mc_protocols[i]->greeting_is_mine && mc_protocols[i]->greeting_is_mine(line, len))
            return mc_protocols[i];
    return NULL;
}

/* The separator before item i of n: none, `sep`, or `last_sep` before the last. */
static const char *list_sep(size_t i, size_t n, const char *sep, const char *last_sep)
{
    return i == 0 ? "" : i + 1 == n ? last_sep : sep;
}

void mc_protocol_list(struct mc_buf *out, bool (*fits)(const struct mc_protocol *p),
                      const char *sep, const char *last_sep)
{
    size_t n = 0, k = 0;
    for (size_t i = 0; i < MC_PROTOCOL_COUNT; i++)
        n += !fits || fits(mc_protocols[i]);
    for (size_t i = 0; i < MC_PROTOCOL_COUNT; i++) {
        if (fits && !fits(mc_protocols[i]))
            continue;
        mc_buf_printf(out, "%s%s", list_sep(k++, n, sep, last_sep), mc_protocols[i]->name);
    }
}

const struct mc_scheme *mc_scheme_at(size_t i, const struct mc_protocol **proto)
{
    for (size_t p = 0; p < MC_PROTOCOL_COUNT; p++) {
        for (const struct mc_scheme *s = mc_protocols[p]->schemes; s && s->name; s++) {
            if (i-- > 0)
                continue;
            if (proto)
                *proto = mc_protocols[p];
            return s;
        }
    }
    return NULL;
}

const struct mc_scheme *mc_scheme_find(const char *name, size_t len,
                                       const struct mc_protocol **proto)
{
    const struct mc_scheme *s;
    for (size_t i = 0; (s = mc_scheme_at(i, proto)); i++)
        if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

void mc_scheme_list(struct mc_buf *out, const char *suffix, const char *sep, const char *last_sep)
{
    size_t n = 0;
    while (mc_scheme_at(n, NULL))
        n++;
    for (size_t i = 0; i < n; i++)
        mc_buf_printf(out, "%s%s%s", list_sep(i, n, sep, last_sep), mc_scheme_at(i, NULL)->name,
                      suffix);
}

const struct mc_scheme *mc_protocol_scheme(const struct mc_protocol *p, bool implicit_tls)
{
    for (const struct mc_scheme *s = p->schemes; s && s->name; s++)
        if (s->implicit_tls == implicit_tls)
            return s;
    return NULL;
}

void mc_reply_reset(struct mc_reply *r)
{
    free(r->status_line);
    free(r->text);
    free(r->violation);
    mc_strv_free(&r->lines);
    mc_strv_free(&r->data);
    mc_strv_free(&r->literals);
    memset(r, 0, sizeof *r);
}
