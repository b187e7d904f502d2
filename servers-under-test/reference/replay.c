/*
 * replay — the player (see replay.h). Each recorded dialogue (a play) has a cursor over its
 * steps; a step is taken as soon as it can be: server bytes go out at once, a client step
 * waits for that session's next line or block, a connect waits for a client to connect to
 * that endpoint. So the server's side keeps the recorded order across sessions (an IMAP
 * EXISTS reaches the idling session only after the other session's APPEND came).
 *
 * A connection is given to the first play in report order whose cursor waits for a connect
 * to its endpoint (docs/decisions.md: a replay is exact when the client runs the same plan
 * one scenario at a time, -j1). What a client sends before its turn waits in a bounded queue.
 * A SCRAM exchange's client messages go to the connection's SCRAM server (replay_scram.c),
 * which computes the challenges sent in place of the recorded server-first and server-final.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "reference/replay_int.h"

/* One live connection. */
struct rp_conn {
    struct rs_session *s;
    struct rp_endpoint *ep;
    struct rp_run *run; /* the play it serves, or NULL */
    int session;
    /* how the client's bytes are being cut (as replay_load.c cuts the recorded ones) */
    enum { LIVE_LINE, LIVE_BLOCK, LIVE_BODY } mode;
    bool body_next;
    size_t waiting; /* a synchronizing literal's octets, until the go-ahead is sent */
    size_t block_len;
    size_t block_got; /* octets of the block received so far */
    /* units received and not yet matched */
    struct rp_unit *queue;
    size_t queued, queue_cap, queued_bytes;
    struct mc_buf tag_from, tag_to; /* the last IMAP tag the client used instead of the recorded */
    struct mc_buf carry;            /* the partial line of a block (RP_HINT_LINE_MAX at most) */
    struct rp_scram_live scram;     /* the SCRAM exchange going on, if any */
};

struct rp_unit {
    bool block;
    char *line; /* a line (line end removed), or NULL for a block */
    size_t len; /* the line's length, or the block's octets */
    bool bare_lf;
};

struct rp_run {
    struct rp_replay *rp;
    const struct rp_play *play;
    size_t cursor;
    bool done, failed;
    struct rp_conn **conns; /* per session */
    struct rp_match match;
};

static void logf_(struct rp_replay *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct rp_replay *rp, const char *fmt, ...)
{
    va_list ap;
    fputs("replay: ", rp->log);
    va_start(ap, fmt);
    vfprintf(rp->log, fmt, ap);
    va_end(ap);
    fputc('\n', rp->log);
    fflush(rp->log);
}

static void quote(struct mc_buf *out, const char *s, size_t len)
{
    mc_buf_append_char(out, '"');
    mc_escape_append(out, s, len > RP_QUOTE_MAX ? RP_QUOTE_MAX : len, MC_ESCAPE_KEEP_UTF8);
    mc_buf_append_str(out, len > RP_QUOTE_MAX ? "...\"" : "\"");
}

/* The protocol's goodbye, then closing. */
static void goodbye(struct rp_conn *c, const char *why)
{
    rs_session_send(c->s, c->ep->proto->goodbye_format, why);
    rs_session_close(c->s);
}

static void detach(struct rp_conn *c)
{
    if (c->run && c->run->conns[c->session] == c)
        c->run->conns[c->session] = NULL;
    c->run = NULL;
}

/* The client left the recorded dialogue: log where and how, end the play's sessions. */
static void deviate_in(struct rp_run *run, int session, const char *how)
{
    const struct rp_play *pl = run->play;
    const struct rp_step *st = run->cursor < pl->step_count ? &pl->steps[run->cursor] : NULL;
    if (session < 0 && st)
        session = st->session;
    if (st)
        logf_(run->rp, "DEVIATION in %s, session %s, transcript[%zu]: %s", pl->id,
              session >= 0 ? pl->sessions[session] : "-", st->entry, how);
    else
        logf_(run->rp, "DEVIATION in %s, session %s, after its transcript: %s", pl->id,
              session >= 0 ? pl->sessions[session] : "-", how);
    run->failed = true;
    for (size_t k = 0; k < pl->session_count; k++) {
        struct rp_conn *c = run->conns[k];
        if (!c)
            continue;
        detach(c);
        goodbye(c, "replay: the client deviates from the recorded dialogue (see the log)");
    }
}

/* At the cursor's step. */
static void deviate(struct rp_run *run, const char *how)
{
    deviate_in(run, -1, how);
}

/* Where connection `c` broke a bound. */
static void deviate_conn(struct rp_conn *c, const char *how)
{
    deviate_in(c->run, c->session, how);
}

/* "expected LINE, received LINE" for the log. */
static void describe(struct mc_buf *how, const struct rp_step *st, const struct rp_unit *u)
{
    mc_buf_append_str(how, "expected ");
    if (st->kind == RP_EXPECT_LINE)
        quote(how, st->data, st->len);
    else if (st->kind == RP_EXPECT_BLOCK)
        mc_buf_printf(how, "a block of %zu octet(s)", st->len);
    else
        mc_buf_append_str(how, "nothing from the client here");
    mc_buf_append_str(how, ", received ");
    if (!u)
        mc_buf_append_str(how, "the end of the connection");
    else if (u->block)
        mc_buf_printf(how, "a block of %zu octet(s)", u->len);
    else
        quote(how, u->line, u->len);
}

/* The replay's passwords (rp_replay_password) for the recorded users; others are unknown. */
static bool replay_password_lookup(void *ctx, const char *user, struct mc_buf *password)
{
    const struct rp_replay *rp = ctx;
    for (size_t i = 0; i < rp->users.count; i++)
        if (strcmp(rp->users.items[i].ptr, user) == 0) {
            rp_replay_password(user, password);
            return true;
        }
    return false;
}

/* A matched client line of a SCRAM exchange goes to the connection's SCRAM server. */
static void scram_client_line(struct rp_conn *c, const struct rp_step *st, const struct rp_unit *u)
{
    struct rp_sasl_start cmd;
    if (st->sasl == RP_SASL_START && rp_proto_sasl_start(c->ep->proto, u->line, u->len, &cmd))
        rp_scram_begin(&c->scram, st->scram, cmd.ir, cmd.ir_len, replay_password_lookup, c->ep->rp);
    else if (st->sasl == RP_SASL_RESPONSE)
        rp_scram_response(&c->scram, u->line, u->len);
}

static bool unit_matches(struct rp_run *run, struct rp_conn *c, const struct rp_step *st,
                         const struct rp_unit *u)
{
    if (st->kind == RP_EXPECT_BLOCK)
        return u->block && u->len <= st->len + RP_BLOCK_SLACK;
    if (u->block || u->bare_lf != st->bare_lf)
        return false;
    run->match.proto = c->ep->proto;
    if (!rp_match_line(&run->match, st->data, st->len, u->line, u->len))
        return false;
    if (run->match.tag_from.len) {
        mc_buf_reset(&c->tag_from);
        mc_buf_reset(&c->tag_to);
        mc_buf_append(&c->tag_from, run->match.tag_from.data, run->match.tag_from.len);
        mc_buf_append(&c->tag_to, run->match.tag_to.data, run->match.tag_to.len);
    }
    scram_client_line(c, st, u);
    return true;
}

static void unit_pop(struct rp_conn *c, struct rp_unit *out)
{
    *out = c->queue[0];
    c->queued--;
    c->queued_bytes -= out->block ? 0 : out->len;
    memmove(c->queue, c->queue + 1, c->queued * sizeof *c->queue);
}

static void read_block(struct rp_conn *c, size_t octets);

/* Server bytes as the client of this run must see them: its run_id and its IMAP tag. */
static void send_step(struct rp_run *run, struct rp_conn *c, const struct rp_step *st)
{
    struct mc_buf out = {0};
    const char *data = st->data;
    size_t len = st->len;
    if (c->tag_from.len && len > c->tag_from.len && data[c->tag_from.len] == ' ' &&
        memcmp(data, c->tag_from.data, c->tag_from.len) == 0) {
        mc_buf_append(&out, c->tag_to.data, c->tag_to.len);
        mc_buf_append(&out, data + c->tag_from.len, len - c->tag_from.len);
    } else {
        mc_buf_append(&out, data, len);
    }
    const char *from = run->play->run_id, *to = run->match.live_run_id;
    size_t n = from ? strlen(from) : 0;
    for (char *p = out.data; to && n && (p = memmem(p, out.len - (size_t)(p - out.data), from, n));
         p += n)
        memcpy(p, to, n);
    rs_session_send_raw(c->s, out.data, out.len);
    const struct rp_proto *proto = c->ep->proto;
    if (proto->body_follows && proto->body_follows(st->data, st->len))
        c->body_next = true;
    int go = c->waiting && proto->go_ahead ? proto->go_ahead(st->data, st->len) : 0;
    size_t octets = c->waiting;
    if (go != 0)
        c->waiting = 0;
    if (go > 0)
        read_block(c, octets);
    mc_buf_free(&out);
}

/* A challenge the SCRAM server computed, framed as the recording framed that challenge; false
   (a deviation, logged) when the client's messages earned none: a wrong proof, say. */
static bool send_scram_step(struct rp_run *run, struct rp_conn *c)
{
    struct mc_buf b64 = {0}, why = {0}, how = {0};
    bool ok = rp_scram_challenge(&c->scram, &b64, &why);
    if (ok) {
        rs_session_send_raw(c->s, c->ep->proto->challenge_prefix,
                            strlen(c->ep->proto->challenge_prefix));
        rs_session_send_raw(c->s, b64.data, b64.len);
        rs_session_send_raw(c->s, "\r\n", 2);
    } else {
        mc_buf_printf(&how,
                      "the recorded server answered with a SCRAM challenge here, but the "
                      "client's SCRAM messages earn none: %s (the replay checks proofs against "
                      "the passwords its target.json gives)",
                      why.data);
        deviate(run, how.data);
    }
    mc_buf_free(&b64);
    mc_buf_free(&why);
    mc_buf_free(&how);
    return ok;
}

static void run_finished(struct rp_run *run)
{
    run->done = true;
    logf_(run->rp, "played %s to its end", run->play->id);
}

/* Takes every step that can be taken now. */
static void advance(struct rp_run *run)
{
    const struct rp_play *pl = run->play;
    while (!run->done && !run->failed) {
        if (run->cursor == pl->step_count) {
            run_finished(run);
            return;
        }
        const struct rp_step *st = &pl->steps[run->cursor];
        struct rp_conn *c = run->conns[st->session];
        if (st->kind == RP_CONNECT)
            return; /* a client must connect */
        if (st->kind == RP_EXPECT_LINE || st->kind == RP_EXPECT_BLOCK) {
            if (!c) {
                struct mc_buf how = {0};
                describe(&how, st, NULL);
                deviate(run, how.data);
                mc_buf_free(&how);
                return;
            }
            if (c->queued == 0)
                return; /* the client's turn */
            struct rp_unit u;
            unit_pop(c, &u);
            bool ok = unit_matches(run, c, st, &u);
            if (!ok) {
                struct mc_buf how = {0};
                describe(&how, st, &u);
                deviate(run, how.data);
                mc_buf_free(&how);
            }
            free(u.line);
            if (!ok)
                return;
        } else if (c && st->kind == RP_SEND && st->sasl == RP_SASL_COMPUTED) {
            if (!send_scram_step(run, c))
                return;
        } else if (c && st->kind == RP_SEND) {
            send_step(run, c, st);
        } else if (c && st->kind == RP_TLS) {
            rs_session_start_tls(c->s);
        } else if (c && st->kind == RP_CLOSE) {
            detach(c);
            rs_session_close(c->s);
        }
        run->cursor++;
    }
}

/* --- the listener's callbacks --- */

static struct rp_run *waiting_run(struct rp_replay *rp, const struct rp_endpoint *ep)
{
    for (size_t i = 0; i < rp->play_count; i++) {
        struct rp_run *run = &rp->runs[i];
        const struct rp_play *pl = run->play;
        if (!run->done && !run->failed && run->cursor < pl->step_count &&
            pl->steps[run->cursor].kind == RP_CONNECT &&
            &rp->endpoints[pl->steps[run->cursor].endpoint] == ep)
            return run;
    }
    return NULL;
}

/* A play is in progress while a connection of its own is still attached. */
static bool run_in_progress(const struct rp_run *run)
{
    if (run->done || run->failed || run->cursor == 0)
        return false;
    for (size_t k = 0; k < run->play->session_count; k++)
        if (run->conns[k])
            return true;
    return false;
}

/* Every play back at its start, for the next pass of the client (a new run of the same
   scenarios). Plays that recorded nothing stay done. */
static void rewind_runs(struct rp_replay *rp)
{
    for (size_t i = 0; i < rp->play_count; i++) {
        struct rp_run *run = &rp->runs[i];
        run->cursor = 0;
        run->failed = false;
        run->done = run->play->step_count == 0;
        free(run->match.live_run_id);
        run->match.live_run_id = NULL;
        mc_buf_reset(&run->match.tag_from);
        mc_buf_reset(&run->match.tag_to);
    }
    rp->passes++;
}

/* The play a new connection to `ep` gets: the first waiting for it; when none does and no
   play is in progress (the client's run is over), the replay starts over (docs/cli.md). */
static struct rp_run *run_for_connection(struct rp_replay *rp, const struct rp_endpoint *ep)
{
    struct rp_run *run = waiting_run(rp, ep);
    if (run)
        return run;
    for (size_t i = 0; i < rp->play_count; i++)
        if (run_in_progress(&rp->runs[i]))
            return NULL;
    rewind_runs(rp);
    logf_(rp,
          "a connection to endpoint %s after the recorded dialogues were played: starting "
          "over (pass %u)",
          ep->name, rp->passes + 1);
    return waiting_run(rp, ep);
}

static void *replay_open(struct rs_session *s)
{
    struct rp_endpoint *ep = rs_session_listener(s)->arg;
    struct rp_conn *c = mc_xcalloc(1, sizeof *c);
    c->s = s;
    c->ep = ep;
    rs_session_set_line_max(s, ep->line_max);
    struct rp_run *run = run_for_connection(ep->rp, ep);
    if (!run) {
        logf_(ep->rp, "a connection to endpoint %s that no recorded dialogue waits for: refused",
              ep->name);
        goodbye(c, "replay: no recorded session waits for a connection here now");
        return c;
    }
    const struct rp_step *st = &run->play->steps[run->cursor];
    struct rp_conn *old = run->conns[st->session];
    if (old)
        detach(old);
    c->run = run;
    c->session = st->session;
    run->conns[st->session] = c;
    run->cursor++;
    advance(run);
    return c;
}

/* A line inside a block: where the client's run_id is learnt, if it is not known yet, from
   the recorded line of the session's next block that holds the recorded one. */
static void learn_in_block(struct rp_conn *c, const char *line, size_t len)
{
    struct rp_run *run = c->run;
    if (!run || run->match.live_run_id)
        return;
    const struct rp_play *pl = run->play;
    for (size_t i = run->cursor; i < pl->step_count; i++) {
        const struct rp_step *st = &pl->steps[i];
        if (st->session != c->session || st->kind != RP_EXPECT_BLOCK)
            continue;
        if (st->data) {
            run->match.proto = c->ep->proto;
            rp_match_line(&run->match, st->data, st->hint_len, line, len);
        }
        return;
    }
}

/* Octets of a block: its lines, for learn_in_block. */
static void block_piece(struct rp_conn *c, const char *data, size_t len)
{
    while (len > 0 && c->run && !c->run->match.live_run_id) {
        const char *lf = memchr(data, '\n', len);
        size_t n = lf ? (size_t)(lf - data) + 1 : len;
        if (c->carry.len + n <= RP_HINT_LINE_MAX + 2)
            mc_buf_append(&c->carry, data, n);
        else
            c->carry.len = RP_HINT_LINE_MAX + 3; /* too long to be a message line */
        if (lf) {
            size_t l = c->carry.len;
            if (l <= RP_HINT_LINE_MAX + 2) {
                while (l > 0 && (c->carry.data[l - 1] == '\n' || c->carry.data[l - 1] == '\r'))
                    l--;
                learn_in_block(c, c->carry.data, l);
            }
            mc_buf_reset(&c->carry);
        }
        data += n;
        len -= n;
    }
}

static void enqueue(struct rp_conn *c, bool block, const char *line, size_t len, bool bare_lf)
{
    if (!c->run)
        return;
    if (c->queued >= RP_QUEUE_UNITS_MAX ||
        c->queued_bytes + len > RP_QUEUE_BYTES_MAX + c->ep->line_max) {
        deviate_conn(c, "the client sent far more than the recording holds at this point");
        return;
    }
    if (c->queued == c->queue_cap) {
        c->queue_cap = c->queue_cap ? c->queue_cap * 2 : 8;
        c->queue = mc_xrealloc(c->queue, c->queue_cap * sizeof *c->queue);
    }
    c->queue[c->queued++] = (struct rp_unit){.block = block,
                                             .line = block ? NULL : mc_xstrndup(line, len),
                                             .len = len,
                                             .bare_lf = bare_lf};
    c->queued_bytes += block ? 0 : len;
    advance(c->run);
}

/* A block larger than any recording holds. */
static void too_big(struct rp_conn *c, size_t octets)
{
    struct mc_buf how = {0};
    mc_buf_printf(&how, "a block of %zu octets, more than any recording holds", octets);
    if (c->run)
        deviate_conn(c, how.data);
    else
        goodbye(c, "replay: block too large");
    mc_buf_free(&how);
}

/* The client's next `octets` are a block, read (not kept) before lines resume. */
static void read_block(struct rp_conn *c, size_t octets)
{
    if (!c->run)
        return;
    c->mode = LIVE_BLOCK; /* announcing a huge block is no deviation; sending one is */
    c->block_len = octets;
    c->block_got = 0;
    rs_session_read_octets(c->s, octets);
}

static void replay_line(struct rs_session *s, void *st, const char *line, size_t len, bool bare_lf)
{
    (void)s;
    struct rp_conn *c = st;
    if (c->mode == LIVE_LINE && c->body_next) {
        c->mode = LIVE_BODY;
        c->body_next = false;
        c->block_len = 0;
    }
    if (c->mode == LIVE_BODY) {
        c->block_len += len + (bare_lf ? 1 : 2);
        if (c->block_len > RP_BLOCK_MAX) {
            too_big(c, c->block_len);
            return;
        }
        if (len == 1 && line[0] == '.') {
            c->mode = LIVE_LINE;
            enqueue(c, true, NULL, c->block_len, false);
        } else {
            learn_in_block(c, line, len);
        }
        return;
    }
    size_t octets, at, digits;
    const struct rp_proto *proto = c->ep->proto;
    bool block =
        proto->block_after && proto->block_after(line, len, &octets, &at, &digits) && octets > 0;
    bool waits = block && proto->block_waits && proto->block_waits(line, len);
    if (block && waits)
        c->waiting = octets;
    enqueue(c, false, line, len, bare_lf);
    if (block && !waits)
        read_block(c, octets);
}

static void replay_octets(struct rs_session *s, void *st, const char *data, size_t len, bool last)
{
    (void)s;
    struct rp_conn *c = st;
    c->block_got += len;
    if (c->block_got > RP_BLOCK_MAX) {
        too_big(c, c->block_got);
        return;
    }
    block_piece(c, data, len);
    if (!last)
        return;
    mc_buf_reset(&c->carry);
    c->mode = LIVE_LINE;
    enqueue(c, true, NULL, c->block_len, false);
}

static bool replay_too_long(struct rs_session *s, void *st, const char *head, size_t len)
{
    (void)s;
    struct rp_conn *c = st;
    struct mc_buf how = {0};
    mc_buf_printf(&how,
                  "a line longer than any the recording holds (%zu octets): ", c->ep->line_max);
    quote(&how, head, len);
    if (c->run)
        deviate_conn(c, how.data);
    else
        goodbye(c, "replay: line too long");
    mc_buf_free(&how);
    return false;
}

static void replay_idle(struct rs_session *s, void *st)
{
    (void)s;
    struct rp_conn *c = st;
    if (c->run)
        logf_(c->ep->rp, "%s, session %s: the client was idle too long", c->run->play->id,
              c->run->play->sessions[c->session]);
    rs_session_send(c->s, c->ep->proto->goodbye_format, "replay: idle for too long");
}

static void replay_close(struct rs_session *s, void *st)
{
    (void)s;
    struct rp_conn *c = st;
    struct rp_run *run = c->run;
    detach(c);
    for (size_t i = 0; i < c->queued; i++)
        free(c->queue[i].line);
    free(c->queue);
    mc_buf_free(&c->tag_from);
    mc_buf_free(&c->tag_to);
    mc_buf_free(&c->carry);
    rp_scram_end(&c->scram);
    free(c);
    if (run && !run->rp->stopping)
        advance(run); /* a client step of that session is now a deviation */
}

static void replay_tls_done(struct rs_session *s, void *st)
{
    (void)s;
    (void)st;
}

/* --- the public side --- */

struct rp_replay *rp_replay_load(const char *path, struct mc_buf *err)
{
    struct rp_replay *rp = mc_xcalloc(1, sizeof *rp);
    rp->log = stderr; /* rp_replay_set_log comes after loading */
    if (rp_load(rp, path, err) != 0) {
        rp_replay_free(rp);
        return NULL;
    }
    rp->runs = mc_xcalloc(rp->play_count + 1, sizeof *rp->runs);
    for (size_t i = 0; i < rp->play_count; i++) {
        struct rp_run *run = &rp->runs[i];
        run->rp = rp;
        run->play = &rp->plays[i];
        run->conns = mc_xcalloc(run->play->session_count, sizeof *run->conns);
        run->match.run_id = run->play->run_id;
        if (run->play->step_count == 0)
            run->done = true; /* nothing was recorded (skipped, or stopped before connecting) */
    }
    return rp;
}

void rp_replay_free(struct rp_replay *rp)
{
    if (!rp)
        return;
    rp->stopping = true;
    rs_server_free(rp->server); /* closes the connections first */
    for (size_t i = 0; rp->runs && i < rp->play_count; i++) {
        free(rp->runs[i].conns);
        free(rp->runs[i].match.live_run_id);
        mc_buf_free(&rp->runs[i].match.tag_from);
        mc_buf_free(&rp->runs[i].match.tag_to);
    }
    free(rp->runs);
    rp_plays_free(rp);
    for (size_t i = 0; i < rp->endpoint_count; i++) {
        free(rp->endpoints[i].name);
        mc_strv_free(&rp->endpoints[i].promised);
    }
    free(rp->endpoints);
    mc_strv_free(&rp->users);
    mc_strv_free(&rp->deviation_ids);
    mc_strv_free(&rp->deviation_whys);
    free(rp->deliver);
    free(rp->target_name);
    free(rp->domain);
    free(rp->path);
    free(rp);
}

void rp_replay_password(const char *user, struct mc_buf *out)
{
    mc_buf_printf(out, "replay-%s", user);
}

void rp_replay_set_log(struct rp_replay *rp, FILE *log)
{
    rp->log = log;
}

const char *rp_replay_target_name(const struct rp_replay *rp)
{
    return rp->target_name;
}

const char *rp_replay_domain(const struct rp_replay *rp)
{
    return rp->domain ? rp->domain : "localhost";
}

size_t rp_replay_endpoint_count(const struct rp_replay *rp)
{
    return rp->endpoint_count;
}

void rp_replay_endpoint(const struct rp_replay *rp, size_t i, struct rp_endpoint_info *out)
{
    const struct rp_endpoint *ep = &rp->endpoints[i];
    *out = (struct rp_endpoint_info){.name = ep->name,
                                     .protocol = ep->proto->name,
                                     .implicit_tls = ep->implicit_tls,
                                     .auth_required = ep->auth_required,
                                     .promised = &ep->promised,
                                     .port = ep->port};
}

const struct mc_strv *rp_replay_users(const struct rp_replay *rp)
{
    return &rp->users;
}

const char *rp_replay_deliver_endpoint(const struct rp_replay *rp)
{
    return rp->deliver;
}

size_t rp_replay_deviation_count(const struct rp_replay *rp)
{
    return rp->deviation_ids.count;
}

void rp_replay_deviation(const struct rp_replay *rp, size_t i, const char **scenario,
                         const char **reason)
{
    *scenario = rp->deviation_ids.items[i].ptr;
    *reason = rp->deviation_whys.items[i].ptr;
}

size_t rp_replay_play_count(const struct rp_replay *rp)
{
    return rp->play_count;
}

int rp_replay_listen(struct rp_replay *rp, struct event_base *base, SSL_CTX *tls, const char *host,
                     struct mc_buf *err)
{
    rp->server = rs_server_new(base, NULL, tls, "localhost");
    for (size_t i = 0; i < rp->endpoint_count; i++) {
        struct rp_endpoint *ep = &rp->endpoints[i];
        const struct rs_protocol *limits = ep->proto->limits;
        ep->rs = (struct rs_protocol){.name = ep->proto->name,
                                      .line_max = ep->line_max,
                                      .idle_timeout_s = limits->idle_timeout_s,
                                      .open = replay_open,
                                      .line = replay_line,
                                      .octets = replay_octets,
                                      .too_long = replay_too_long,
                                      .idle = replay_idle,
                                      .tls_done = replay_tls_done,
                                      .close = replay_close};
        ep->cfg = (struct rs_listener_config){.name = ep->name,
                                              .proto = &ep->rs,
                                              .implicit_tls = ep->implicit_tls,
                                              .auth_required = ep->auth_required,
                                              .arg = ep};
        if (rs_server_listen(rp->server, &ep->cfg, host, 0, &ep->port, err) != 0)
            return -1;
    }
    logf_(rp, "%s: %zu recorded dialogue(s) on %zu endpoint(s)", rp->path, rp->play_count,
          rp->endpoint_count);
    return 0;
}
