/*
 * scenario — names of the model's enums and freeing a loaded scenario (see scenario.h).
 */
#include "engine/scenario.h"

#include <stdlib.h>

const char *mc_level_name(enum mc_level level)
{
    switch (level) {
    case MC_LEVEL_MUST:
        return "MUST";
    case MC_LEVEL_SHOULD:
        return "SHOULD";
    case MC_LEVEL_MAY:
        return "MAY";
    }
    return "?";
}

const char *mc_tls_mode_name(enum mc_tls_mode mode)
{
    switch (mode) {
    case MC_TLS_NONE:
        return "none";
    case MC_TLS_IMPLICIT:
        return "implicit";
    case MC_TLS_STARTTLS:
        return "starttls";
    }
    return "?";
}

const char *mc_step_kind_name(enum mc_step_kind kind)
{
    /* The names are the step's action key in the scenario file. */
    switch (kind) {
    case MC_STEP_CONNECT:
        return "connect";
    case MC_STEP_SEND:
        return "send";
    case MC_STEP_SEND_RAW:
        return "send_raw";
    case MC_STEP_AWAIT:
        return "await";
    case MC_STEP_LOGIN:
        return "login";
    case MC_STEP_AUTH:
        return "auth";
    case MC_STEP_STARTTLS:
        return "starttls";
    case MC_STEP_SEND_MESSAGE:
        return "send_message";
    case MC_STEP_DELIVER:
        return "deliver";
    case MC_STEP_CLOSE:
        return "close";
    case MC_STEP_EXPECT_CLOSE:
        return "expect_close";
    case MC_STEP_WAIT:
        return "wait";
    }
    return "?";
}

static void rfc_refs_free(struct mc_rfc_refs *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->items[i].section);
    free(r->items);
}

static void patterns_free(struct mc_patterns *p)
{
    for (size_t i = 0; i < p->count; i++)
        free(p->items[i]);
    free(p->items);
}

static void strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void mc_expect_free(struct mc_expect *e)
{
    free(e->status);
    free(e->enhanced);
    free(e->match);
    free(e->not_match);
    patterns_free(&e->lines);
    patterns_free(&e->lines_in_order);
    patterns_free(&e->lines_shared);
    patterns_free(&e->lines_may);
    patterns_free(&e->lines_none);
    patterns_free(&e->lines_each);
    patterns_free(&e->checks);
    for (size_t i = 0; i < e->captured_count; i++) {
        free(e->captured[i].name);
        free(e->captured[i].pattern);
    }
    free(e->captured);
    for (size_t i = 0; i < e->any_of_count; i++)
        mc_expect_free(&e->any_of[i]);
    free(e->any_of);
}

static void step_free(struct mc_step *st)
{
    free(st->text);
    for (size_t i = 0; i < st->raw_count; i++)
        free(st->raw[i].text);
    free(st->raw);
    free(st->message.subject);
    free(st->message.from);
    free(st->message.to);
    free(st->message.body);
    mc_expect_free(&st->expect);
    free(st->expect_json);
    rfc_refs_free(&st->rfc);
    free(st->why);
    for (size_t i = 0; i < st->track_count; i++)
        free(st->track[i].name);
    free(st->track);
}

void mc_scenario_free(struct mc_scenario *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->id);
    free(s->title);
    free(s->description);
    rfc_refs_free(&s->rfc);
    strings_free(s->tags, s->tag_count);
    strings_free(s->requires, s->require_count);
    for (size_t i = 0; i < s->session_count; i++) {
        free(s->sessions[i].name);
        free(s->sessions[i].endpoint);
    }
    free(s->sessions);
    for (size_t i = 0; i < s->step_count; i++)
        step_free(&s->steps[i]);
    free(s->steps);
    free(s);
}

bool mc_scenario_session_has(const struct mc_scenario *sc, size_t session, enum mc_step_kind k)
{
    for (size_t i = 0; i < sc->step_count; i++)
        if (sc->steps[i].kind == k && sc->steps[i].session == (int)session)
            return true;
    return false;
}
