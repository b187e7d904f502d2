/*
 * track — messages named by their number, followed through EXPUNGE responses (see track.h).
 */
#include "engine/track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"

struct tracked {
    char *name;
    int session;
    unsigned long number; /* 0: expunged */
};

struct mc_tracker {
    struct tracked *items;
    size_t count;
};

struct mc_tracker *mc_tracker_new(void)
{
    return mc_xcalloc(1, sizeof(struct mc_tracker));
}

void mc_tracker_free(struct mc_tracker *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i].name);
    free(t->items);
    free(t);
}

static void tracked_publish(const struct tracked *m, struct mc_vars *vars)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%lu", m->number);
    mc_vars_set(vars, m->name, text, (size_t)n);
}

void mc_tracker_declare(struct mc_tracker *t, struct mc_vars *vars, int session, const char *name,
                        unsigned long number)
{
    struct tracked *m = NULL;
    for (size_t i = 0; i < t->count && !m; i++)
        if (strcmp(t->items[i].name, name) == 0)
            m = &t->items[i];
    if (!m) {
        t->items = mc_xrealloc(t->items, (t->count + 1) * sizeof *t->items);
        m = &t->items[t->count++];
        m->name = mc_xstrdup(name);
    }
    m->session = session;
    m->number = number;
    tracked_publish(m, vars);
}

/* One expunge of message `gone` in `session`: later numbers move down, `gone` itself is 0. */
static void tracker_expunge(struct mc_tracker *t, struct mc_vars *vars, int session,
                            unsigned long gone, const struct mc_str *line, struct mc_strv *notes)
{
    for (size_t i = 0; i < t->count; i++) {
        struct tracked *m = &t->items[i];
        if (m->session != session || m->number == 0 || m->number < gone)
            continue;
        if (m->number == gone) {
            struct mc_buf note = {0};
            mc_buf_printf(&note, "tracked message ${%s} (number %lu) was expunged by '", m->name,
                          gone);
            mc_escape_append(&note, line->ptr, line->len, MC_ESCAPE_KEEP_UTF8);
            mc_buf_append_str(&note, "': ${");
            mc_buf_append_str(&note, m->name);
            mc_buf_append_str(&note, "} is 0 from now on");
            mc_strv_push(notes, note.data, note.len);
            mc_buf_free(&note);
            m->number = 0;
        } else {
            m->number--;
        }
        tracked_publish(m, vars);
    }
}

void mc_tracker_reply(struct mc_tracker *t, struct mc_vars *vars, int session,
                      const struct mc_protocol *proto, const struct mc_strv *data,
                      struct mc_strv *notes)
{
    if (!t || !proto->expunged)
        return;
    bool any = false;
    for (size_t i = 0; i < t->count && !any; i++)
        any = t->items[i].session == session;
    for (size_t l = 0; any && l < data->count; l++) {
        unsigned long gone;
        if (proto->expunged(data->items[l].ptr, data->items[l].len, &gone))
            tracker_expunge(t, vars, session, gone, &data->items[l], notes);
    }
}
