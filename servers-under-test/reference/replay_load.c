/*
 * replay_load — a JSON report (docs/report-format.md) read into dialogues the replay can play:
 * for each endpoint its probe's transcript, for each scenario its transcript, each cut into
 * steps (connect, server bytes, client lines and blocks, TLS, close). The client's recorded
 * bytes are cut with the same rules as a live client's (replay_proto.c), so a recorded line
 * and a live line are compared one for one; SCRAM exchanges are marked for replay_scram.c. A
 * report that is not one, or that the replay cannot honour (a truncated transcript, an endpoint
 * it does not know, a protocol it does not speak, a SCRAM exchange it cannot answer), is
 * refused with the file, where in it, and what is wrong.
 */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "reference/replay_int.h"

/* The texts of the transcript events the replay acts on (docs/report-format.md). */
#define EV_CONNECT "connect "
#define EV_TLS "TLS established"
#define EV_SERVER_CLOSED "the server closed the connection"

/* How the recorded client bytes of one session are being cut. */
struct cutter {
    struct mc_buf pending; /* bytes not yet making a whole line or block */
    enum { CUT_LINE, CUT_BLOCK, CUT_BODY } mode;
    size_t block_left, block_len;
    bool body_next;     /* the server said 354: a message body comes next */
    size_t waiting;     /* a synchronizing literal's octets, until the server's go-ahead */
    int endpoint;       /* where the session connected, -1 before */
    bool fresh;         /* connected, nothing else seen yet (implicit TLS's event is no step) */
    struct mc_buf hint; /* the block's first line holding the run_id */
    bool have_hint;
};

struct loader {
    struct rp_replay *rp;
    const char *path;
    struct mc_buf *err;
    struct rp_play *play;
    struct cutter *cut; /* per session of the play */
    const char *where;  /* "scenarios[3]" or "endpoints[1]" */
};

static int fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct loader *ld, const char *fmt, ...)
{
    va_list ap;
    mc_buf_printf(ld->err, "%s: ", ld->path);
    va_start(ap, fmt);
    mc_buf_vprintf(ld->err, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *str_member(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static struct rp_step *add_step(struct rp_play *pl, enum rp_step_kind kind, int session,
                                size_t entry)
{
    if (pl->step_count == pl->step_cap) {
        pl->step_cap = pl->step_cap ? pl->step_cap * 2 : 32;
        pl->steps = mc_xrealloc(pl->steps, pl->step_cap * sizeof *pl->steps);
    }
    struct rp_step *st = &pl->steps[pl->step_count++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->session = session;
    st->entry = entry;
    return st;
}

static int endpoint_index(const struct rp_replay *rp, const char *name, size_t len)
{
    for (size_t i = 0; i < rp->endpoint_count; i++)
        if (strlen(rp->endpoints[i].name) == len && memcmp(rp->endpoints[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* --- the client's recorded bytes, cut into lines and blocks --- */

static void note_line_length(struct loader *ld, struct cutter *c, size_t len)
{
    if (c->endpoint >= 0 && len + 2 > ld->rp->endpoints[c->endpoint].line_max)
        ld->rp->endpoints[c->endpoint].line_max = len + 2;
}

static const struct rp_proto *cutter_proto(const struct loader *ld, const struct cutter *c)
{
    return c->endpoint >= 0 ? ld->rp->endpoints[c->endpoint].proto : NULL;
}

/* A block is complete: its step, with the line where the run_id shows (if any). */
static void block_done(struct loader *ld, int session, size_t entry)
{
    struct cutter *c = &ld->cut[session];
    struct rp_step *st = add_step(ld->play, RP_EXPECT_BLOCK, session, entry);
    st->len = c->block_len;
    if (c->have_hint) {
        st->data = mc_xstrndup(c->hint.data, c->hint.len);
        st->hint_len = c->hint.len;
    }
    mc_buf_reset(&c->hint);
    c->have_hint = false;
    c->mode = CUT_LINE;
}

/* Keeps the first line of a block that holds the play's run_id. */
static void note_hint(struct loader *ld, struct cutter *c, const char *data, size_t len)
{
    const char *id = ld->play->run_id;
    const char *hit = id && *id && !c->have_hint ? memmem(data, len, id, strlen(id)) : NULL;
    if (!hit)
        return;
    const char *start = hit, *end = hit;
    while (start > data && start[-1] != '\n')
        start--;
    while (end < data + len && *end != '\r' && *end != '\n')
        end++;
    if ((size_t)(end - start) > RP_HINT_LINE_MAX)
        return;
    mc_buf_append(&c->hint, start, (size_t)(end - start));
    c->have_hint = true;
}

/* One whole line (line end removed) of the session's client bytes. */
static void cut_line(struct loader *ld, int session, size_t entry, const char *line, size_t len,
                     bool bare_lf)
{
    struct cutter *c = &ld->cut[session];
    const struct rp_proto *proto = cutter_proto(ld, c);
    note_line_length(ld, c, len);
    if (c->mode == CUT_BODY) { /* lines of a message body, up to "." */
        c->block_len += len + (bare_lf ? 1 : 2);
        if (len == 1 && line[0] == '.')
            block_done(ld, session, entry);
        else
            note_hint(ld, c, line, len);
        return;
    }
    struct rp_step *st = add_step(ld->play, RP_EXPECT_LINE, session, entry);
    st->data = mc_xstrndup(line, len);
    st->len = len;
    st->bare_lf = bare_lf;
    size_t octets, at, digits;
    if (proto && proto->block_after && proto->block_after(line, len, &octets, &at, &digits) &&
        octets > 0) {
        if (proto->block_waits && proto->block_waits(line, len)) {
            c->waiting = octets;
            return;
        }
        c->mode = CUT_BLOCK;
        c->block_left = c->block_len = octets;
    }
}

static void cut_client(struct loader *ld, int session, size_t entry, const char *data, size_t len)
{
    struct cutter *c = &ld->cut[session];
    mc_buf_append(&c->pending, data, len);
    size_t used = 0;
    for (;;) {
        const char *p = c->pending.data + used;
        size_t left = c->pending.len - used;
        if (c->mode == CUT_LINE && c->body_next) {
            c->mode = CUT_BODY;
            c->body_next = false;
            c->block_len = 0;
        }
        if (c->mode == CUT_BLOCK) {
            size_t n = left < c->block_left ? left : c->block_left;
            note_hint(ld, c, p, n);
            used += n;
            c->block_left -= n;
            if (c->block_left > 0)
                break;
            block_done(ld, session, entry);
            continue;
        }
        const char *lf = left ? memchr(p, '\n', left) : NULL;
        if (!lf)
            break;
        size_t n = (size_t)(lf - p);
        bool bare_lf = n == 0 || p[n - 1] != '\r';
        cut_line(ld, session, entry, p, bare_lf ? n : n - 1, bare_lf);
        used += n + 1;
    }
    memmove(c->pending.data, c->pending.data + used, c->pending.len - used);
    c->pending.len -= used;
}

/* --- transcript entries --- */

static int entry_bytes(struct loader *ld, json_t *e, size_t i, struct mc_buf *out)
{
    const char *text = str_member(e, "text"), *b64 = str_member(e, "base64");
    mc_buf_reset(out);
    if (text) {
        mc_buf_append(out, text, json_string_length(json_object_get(e, "text")));
        return 0;
    }
    if (b64 && mc_base64_decode(b64, strlen(b64), out) == 0)
        return 0;
    return fail(ld, "%s.transcript[%zu]: no 'text', and no valid 'base64'", ld->where, i);
}

static int on_connect(struct loader *ld, int session, size_t i, const char *text)
{
    /* "connect HOST:PORT (ENDPOINT)" or "(ENDPOINT, implicit TLS)" */
    const char *open = strrchr(text, '(');
    size_t n = open ? strcspn(open + 1, ",)") : 0;
    int ep = open ? endpoint_index(ld->rp, open + 1, n) : -1;
    if (ep < 0)
        return fail(ld, "%s.transcript[%zu]: '%s' names no endpoint of the report", ld->where, i,
                    text);
    struct cutter *c = &ld->cut[session];
    mc_buf_reset(&c->pending);
    c->mode = CUT_LINE;
    c->body_next = false;
    c->waiting = 0;
    c->endpoint = ep;
    c->fresh = true;
    add_step(ld->play, RP_CONNECT, session, i)->endpoint = ep;
    const struct rp_proto *proto = ld->rp->endpoints[ep].proto;
    if (session == 0 && ld->play->run_id && !ld->rp->deliver && proto->body_follows)
        ld->rp->deliver = mc_xstrdup(ld->rp->endpoints[ep].name); /* fixtures: SMTP/LMTP */
    return 0;
}

static int on_event(struct loader *ld, int session, size_t i, const char *text)
{
    struct cutter *c = &ld->cut[session];
    bool fresh = c->fresh;
    c->fresh = false;
    if (strncmp(text, EV_CONNECT, strlen(EV_CONNECT)) == 0)
        return on_connect(ld, session, i, text);
    if (c->endpoint < 0)
        return 0; /* nothing of this session is live */
    if (strncmp(text, EV_TLS, strlen(EV_TLS)) == 0 &&
        !(fresh && ld->rp->endpoints[c->endpoint].implicit_tls))
        add_step(ld->play, RP_TLS, session, i);
    else if (strcmp(text, EV_SERVER_CLOSED) == 0)
        add_step(ld->play, RP_CLOSE, session, i);
    return 0;
}

static int on_entry(struct loader *ld, json_t *e, size_t i, struct mc_buf *bytes)
{
    const char *dir = str_member(e, "dir");
    json_t *sj = json_object_get(e, "session");
    int session = 0;
    if (!json_is_object(e) || !dir)
        return fail(ld, "%s.transcript[%zu]: not a transcript entry (no 'dir')", ld->where, i);
    if (json_is_string(sj)) {
        for (size_t k = 1; k < ld->play->session_count && !session; k++)
            if (strcmp(ld->play->sessions[k], json_string_value(sj)) == 0)
                session = (int)k;
        if (!session)
            return fail(ld, "%s.transcript[%zu]: session '%s' is not in 'sessions'", ld->where, i,
                        json_string_value(sj));
    } else if (!json_is_null(sj)) {
        return fail(ld, "%s.transcript[%zu]: 'session' must be a string or null", ld->where, i);
    }
    if (entry_bytes(ld, e, i, bytes) != 0)
        return -1;
    struct cutter *c = &ld->cut[session];
    if (strcmp(dir, "event") == 0)
        return on_event(ld, session, i, bytes->data ? bytes->data : "");
    if (strcmp(dir, "server") != 0 && strcmp(dir, "client") != 0)
        return fail(ld, "%s.transcript[%zu]: 'dir' must be client, server or event", ld->where, i);
    if (c->endpoint < 0)
        return fail(ld, "%s.transcript[%zu]: %s bytes before the session connected", ld->where, i,
                    dir);
    c->fresh = false;
    if (dir[0] == 'c') {
        cut_client(ld, session, i, bytes->data, bytes->len);
        return 0;
    }
    struct rp_step *st = add_step(ld->play, RP_SEND, session, i);
    st->data = mc_xstrndup(bytes->data ? bytes->data : "", bytes->len);
    st->len = bytes->len;
    const struct rp_proto *proto = cutter_proto(ld, c);
    if (proto->body_follows && proto->body_follows(bytes->data, bytes->len))
        c->body_next = true;
    int go = c->waiting && proto->go_ahead ? proto->go_ahead(bytes->data, bytes->len) : 0;
    if (go > 0) {
        c->mode = CUT_BLOCK;
        c->block_left = c->block_len = c->waiting;
    }
    if (go != 0)
        c->waiting = 0;
    return 0;
}

/* Cuts one transcript into the play's steps. */
static int load_transcript(struct loader *ld, json_t *transcript)
{
    struct mc_buf bytes = {0};
    int rc = 0;
    if (!json_is_array(transcript))
        return fail(ld, "%s.transcript: not an array", ld->where);
    ld->cut = mc_xcalloc(ld->play->session_count, sizeof *ld->cut);
    for (size_t k = 0; k < ld->play->session_count; k++)
        ld->cut[k].endpoint = -1;
    for (size_t i = 0; rc == 0 && i < json_array_size(transcript); i++)
        rc = on_entry(ld, json_array_get(transcript, i), i, &bytes);
    for (size_t k = 0; k < ld->play->session_count; k++) {
        mc_buf_free(&ld->cut[k].pending);
        mc_buf_free(&ld->cut[k].hint);
    }
    free(ld->cut);
    ld->cut = NULL;
    mc_buf_free(&bytes);
    struct mc_buf why = {0};
    if (rc == 0 && rp_scram_mark(ld->play, ld->rp->endpoints, ld->where, &why) != 0)
        rc = fail(ld, "%s", why.data);
    mc_buf_free(&why);
    return rc;
}

static struct rp_play *new_play(struct rp_replay *rp, const char *id, size_t sessions)
{
    rp->plays = mc_xrealloc(rp->plays, (rp->play_count + 1) * sizeof *rp->plays);
    struct rp_play *pl = &rp->plays[rp->play_count++];
    memset(pl, 0, sizeof *pl);
    pl->id = mc_xstrdup(id);
    pl->session_count = sessions + 1;
    pl->sessions = mc_xcalloc(pl->session_count, sizeof *pl->sessions);
    return pl;
}

static int check_truncated(struct loader *ld, json_t *o, const char *id)
{
    if (json_is_true(json_object_get(o, "transcript_truncated")))
        return fail(ld,
                    "%s (%s): its transcript was truncated (transcript_truncated): it cannot be "
                    "replayed as a whole dialogue; record the run again without it (-x ID)",
                    ld->where, id);
    return 0;
}

/* --- the report's parts --- */

static int load_endpoints(struct loader *ld, json_t *endpoints)
{
    struct rp_replay *rp = ld->rp;
    if (!json_is_array(endpoints) || json_array_size(endpoints) == 0)
        return fail(ld, "endpoints: missing or empty: nothing to serve");
    rp->endpoint_count = json_array_size(endpoints);
    rp->endpoints = mc_xcalloc(rp->endpoint_count, sizeof *rp->endpoints);
    for (size_t i = 0; i < rp->endpoint_count; i++) {
        json_t *e = json_array_get(endpoints, i);
        struct rp_endpoint *ep = &rp->endpoints[i];
        const char *name = str_member(e, "name"), *proto = str_member(e, "protocol");
        const char *tls = str_member(e, "tls");
        ep->rp = rp;
        ep->port = -1;
        if (!name || !proto || !tls)
            return fail(ld, "endpoints[%zu]: needs 'name', 'protocol' and 'tls'", i);
        ep->name = mc_xstrdup(name);
        ep->proto = rp_proto_find(proto);
        if (!ep->proto)
            return fail(ld, "endpoints[%zu]: protocol '%s' is not one the replay speaks", i, proto);
        ep->implicit_tls = strcmp(tls, "implicit") == 0;
        ep->auth_required = json_is_true(json_object_get(e, "auth_required"));
        ep->line_max = ep->proto->limits->line_max;
        json_t *promised = json_object_get(e, "promised"), *v;
        size_t k;
        json_array_foreach(promised, k, v) if (json_is_string(v))
            mc_strv_push_str(&ep->promised, json_string_value(v));
    }
    return 0;
}

/* The probes' dialogues, one play each, before the scenarios. */
static int load_probes(struct loader *ld, json_t *endpoints)
{
    char where[64], id[300];
    for (size_t i = 0; i < ld->rp->endpoint_count; i++) {
        json_t *e = json_array_get(endpoints, i);
        json_t *transcript = json_object_get(e, "transcript");
        snprintf(where, sizeof where, "endpoints[%zu]", i);
        snprintf(id, sizeof id, "probe of endpoint %s", ld->rp->endpoints[i].name);
        ld->where = where;
        if (!transcript)
            return fail(ld,
                        "%s: no 'transcript': the report was written before probes were "
                        "recorded; record it again",
                        where);
        if (check_truncated(ld, e, id) != 0)
            return -1;
        ld->play = new_play(ld->rp, id, 0);
        ld->play->sessions[0] = mc_xstrdup("probe");
        if (load_transcript(ld, transcript) != 0)
            return -1;
    }
    return 0;
}

static int load_scenario(struct loader *ld, json_t *sc, size_t i)
{
    char where[64];
    snprintf(where, sizeof where, "scenarios[%zu]", i);
    ld->where = where;
    const char *id = str_member(sc, "id");
    json_t *sessions = json_object_get(sc, "sessions");
    if (!id || !json_is_array(sessions))
        return fail(ld, "%s: needs 'id' and 'sessions'", where);
    if (check_truncated(ld, sc, id) != 0)
        return -1;
    ld->play = new_play(ld->rp, id, json_array_size(sessions));
    ld->play->sessions[0] = mc_xstrdup("(fixtures)");
    ld->play->run_id = mc_xstrdup(str_member(sc, "run_id"));
    for (size_t k = 0; k < json_array_size(sessions); k++) {
        const char *name = str_member(json_array_get(sessions, k), "name");
        if (!name)
            return fail(ld, "%s.sessions[%zu]: no 'name'", where, k);
        ld->play->sessions[k + 1] = mc_xstrdup(name);
    }
    json_t *users = json_object_get(sc, "users"), *u;
    size_t k;
    json_array_foreach(users, k, u)
    {
        const char *name = json_string_value(u);
        bool known = false;
        for (size_t j = 0; name && j < ld->rp->users.count && !known; j++)
            known = strcmp(ld->rp->users.items[j].ptr, name) == 0;
        if (name && !known)
            mc_strv_push_str(&ld->rp->users, name);
    }
    return load_transcript(ld, json_object_get(sc, "transcript"));
}

static int load_root(struct loader *ld, json_t *root)
{
    const char *format = str_member(root, "format");
    if (!format || strcmp(format, "mailconform-report") != 0)
        return fail(ld, "not a mailconform report ('format' is not \"mailconform-report\")");
    if (json_integer_value(json_object_get(root, "format_version")) != 1)
        return fail(ld, "format_version: this replay reads version 1");
    json_t *target = json_object_get(root, "target");
    ld->rp->target_name = mc_xstrdup(str_member(target, "name"));
    ld->rp->domain = mc_xstrdup(str_member(target, "domain"));
    json_t *deviations = json_object_get(root, "deviations"), *d;
    size_t i;
    json_array_foreach(deviations, i, d)
    {
        const char *id = str_member(d, "scenario"), *why = str_member(d, "reason");
        if (!id || !why)
            return fail(ld, "deviations[%zu]: needs 'scenario' and 'reason'", i);
        mc_strv_push_str(&ld->rp->deviation_ids, id);
        mc_strv_push_str(&ld->rp->deviation_whys, why);
    }
    json_t *endpoints = json_object_get(root, "endpoints");
    json_t *scenarios = json_object_get(root, "scenarios");
    if (load_endpoints(ld, endpoints) != 0 || load_probes(ld, endpoints) != 0)
        return -1;
    if (!json_is_array(scenarios))
        return fail(ld, "scenarios: missing or not an array");
    for (i = 0; i < json_array_size(scenarios); i++)
        if (load_scenario(ld, json_array_get(scenarios, i), i) != 0)
            return -1;
    return 0;
}

int rp_load(struct rp_replay *rp, const char *path, struct mc_buf *err)
{
    json_error_t jerr;
    struct loader ld = {.rp = rp, .path = path, .err = err};
    rp->path = mc_xstrdup(path);
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line > 0)
            mc_buf_printf(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        else
            mc_buf_printf(err, "%s: %s", path, jerr.text);
        return -1;
    }
    int rc = json_is_object(root) ? load_root(&ld, root) : fail(&ld, "not a JSON object");
    json_decref(root);
    return rc;
}

void rp_plays_free(struct rp_replay *rp)
{
    for (size_t i = 0; i < rp->play_count; i++) {
        struct rp_play *pl = &rp->plays[i];
        for (size_t k = 0; k < pl->step_count; k++) {
            free(pl->steps[k].data);
            rp_scram_rec_free(pl->steps[k].scram);
        }
        for (size_t k = 0; k < pl->session_count; k++)
            free(pl->sessions[k]);
        free(pl->sessions);
        free(pl->steps);
        free(pl->id);
        free(pl->run_id);
    }
    free(rp->plays);
    rp->plays = NULL;
    rp->play_count = 0;
}
