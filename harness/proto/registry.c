/*
 * registry — the list of protocols the harness speaks, and the lifetime of a reply.
 *
 * The engine looks a protocol up by the name a scenario or target gives ("imap", "SMTP") and
 * from then on only uses the table. Adding a protocol is one line in `mc_protocols`.
 */
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
