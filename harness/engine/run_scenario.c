/*
 * run_scenario — one scenario from its first step to its result.
 *
 * It sets up the scenario's variables and sessions, delivers its fixture messages, then runs
 * the steps in order (each as ops, see run_ops.c) under a deadline each, records every byte of
 * every session in the transcript, and stops at the first failing step: the steps after it are
 * reported as not run. A "soft" step is the exception: when its reply came and did not match,
 * the scenario goes on (soft_failed says what its failure does to the outcome). Moving from one op
 * or step to the next always goes through the event loop (the `advance` event), so no callback ever
 * frees what its caller is still using.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/run_internal.h"
#include "engine/transport.h"
#include "lib/escape.h"

double mc_now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mc_now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double elapsed(const struct mc_srun *r)
{
    return mc_now_monotonic() - r->t0;
}

void mc_srun_record(void *arg, struct mc_session *s, enum mc_transcript_dir dir, const char *data,
                    size_t len)
{
    struct mc_srun *r = arg;
    if (r->finished) /* bytes after the result was handed on belong to no step */
        return;
    double t = r->res->transcript_truncated ? 0 : elapsed(r); /* only counted once full */
    if (dir == MC_DIR_CLIENT && r->redact && mc_redactor_hits(r->redact, data, len)) {
        struct mc_buf masked = {0};
        mc_redact(r->redact, data, len, &masked);
        mc_transcript_add(r->res, &r->budget, t, s->index, dir, masked.data, masked.len);
        mc_buf_free(&masked);
        return;
    }
    mc_transcript_add(r->res, &r->budget, t, s->index, dir, data, len);
}

/* The secrets of the scenario's users (engine/redact.h). */
static void redact_users(struct mc_srun *r)
{
    if (r->runner->opts->keep_secrets)
        return;
    r->redact = mc_redactor_new();
    for (int i = 0; i < r->sc->users; i++) {
        const struct mc_user *u = r->users[i];
        char mask[32];
        if (r->sc->users == 1)
            snprintf(mask, sizeof mask, "${password}");
        else
            snprintf(mask, sizeof mask, "${password%d}", i + 1);
        mc_redactor_add_user(r->redact, u->name, u->password, mask);
    }
}

static void set_builtin_vars(struct mc_srun *r)
{
    const struct mc_target *t = r->runner->target;
    unsigned char rnd[4];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        memset(rnd, 0, sizeof rnd);
    char id[64]; /* always 12 hex digits: docs/scenario-format.md promises a fixed length */
    snprintf(id, sizeof id, "%02x%02x%02x%02x%02x%02x", r->runner->run_salt[0],
             r->runner->run_salt[1], rnd[0], rnd[1], rnd[2], rnd[3]);
    r->res->run_id = mc_xstrdup(id);
    mc_vars_set(r->vars, "run_id", id, strlen(id));
    mc_vars_set(r->vars, "domain", t->domain, strlen(t->domain));
    mc_vars_set(r->vars, "nul", "", 1); /* one NUL octet, for ${base64:${nul}${user}...} */
    char fixtures[16];
    snprintf(fixtures, sizeof fixtures, "%d", r->sc->fixture_messages);
    mc_vars_set(r->vars, "fixtures", fixtures, strlen(fixtures));
    if (t->endpoint_count)
        mc_vars_set(r->vars, "host", t->endpoints[0].host, strlen(t->endpoints[0].host));
    for (int i = 0; i < r->sc->users; i++) {
        const struct mc_user *u = r->users[i];
        char name[32];
        struct mc_buf addr = {0};
        snprintf(name, sizeof name, "user%d", i + 1);
        mc_vars_set(r->vars, name, u->name, strlen(u->name));
        snprintf(name, sizeof name, "password%d", i + 1);
        mc_vars_set(r->vars, name, u->password, strlen(u->password));
        mc_user_address(u, t->domain, &addr);
        snprintf(name, sizeof name, "address%d", i + 1);
        mc_vars_set(r->vars, name, addr.data, addr.len);
        mc_buf_free(&addr);
    }
}

static void create_sessions(struct mc_srun *r)
{
    const struct mc_scenario *sc = r->sc;
    r->sessions = mc_xcalloc(sc->session_count, sizeof *r->sessions);
    r->res->session_tls = mc_xcalloc(sc->session_count + 1, sizeof *r->res->session_tls);
    r->res->session_adapted = mc_xcalloc(sc->session_count + 1, sizeof *r->res->session_adapted);
    for (size_t i = 0; i < sc->session_count; i++) {
        const struct mc_session_spec *spec = &sc->sessions[i];
        struct mc_buf why = {0};
        struct mc_transport tr;
        mc_transport_for(r->runner, sc, i, &tr, &why); /* the gate has checked it exists */
        mc_buf_free(&why);
        const struct mc_endpoint *ep = tr.ep;
        r->res->session_tls[i] = tr.tls;
        r->res->session_adapted[i] = tr.adapted;
        struct mc_session *s = mc_session_new((int)i, spec->name, spec->proto, ep,
                                              r->users[spec->user - 1], r->runner->target->domain);
        s->cb = mc_srun_session_event;
        s->cb_arg = r;
        s->record = mc_srun_record;
        r->sessions[i] = s;
    }
}

static char *step_label(const struct mc_scenario *sc, const struct mc_step *st)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, mc_step_kind_name(st->kind));
    if (st->kind == MC_STEP_SEND || st->kind == MC_STEP_AUTH || st->kind == MC_STEP_CLOSE) {
        size_t n = strlen(st->text);
        mc_buf_printf(&b, " %.*s%s", (int)(n > 80 ? 80 : n), st->text, n > 80 ? "..." : "");
    } else if (st->kind == MC_STEP_WAIT) {
        mc_buf_printf(&b, " %d ms", st->wait_ms);
    }
    (void)sc;
    return mc_buf_steal(&b);
}

static void deadline_fired(evutil_socket_t fd, short what, void *arg);
static void advance_fired(evutil_socket_t fd, short what, void *arg);

static int step_timeout_ms(const struct mc_srun *r, const struct mc_step *st)
{
    int ms = st && st->timeout_ms ? st->timeout_ms : r->runner->opts->step_timeout_ms;
    if (st && st->kind == MC_STEP_WAIT)
        ms += st->wait_ms;
    if (!st) /* fixtures: one deadline per message and one for the connection */
        ms *= 1 + r->sc->fixture_messages;
    return ms;
}

/* "open session 'a' (greeting, STARTTLS)" */
static char *open_label(const struct mc_srun *r, const struct mc_step *st)
{
    struct mc_buf b = {0};
    const struct mc_session_spec *spec = &r->sc->sessions[st->session];
    mc_buf_printf(&b, "open session '%s' (connect, greeting%s)", spec->name,
                  spec->tls == MC_TLS_STARTTLS ? ", STARTTLS" : "");
    return mc_buf_steal(&b);
}

static void step_begin(struct mc_srun *r)
{
    const struct mc_step *st = r->step >= 0 ? &r->sc->steps[r->step] : NULL;
    bool open = st && !r->in_open && mc_srun_needs_open(r, st);
    r->in_open = open;
    struct mc_step_result *sr = &r->res->steps[r->res->step_count++];
    memset(sr, 0, sizeof *sr);
    sr->index = open ? -1 : (int)r->step;
    sr->label = open ? open_label(r, st)
                : st ? step_label(r->sc, st)
                     : mc_xstrdup("deliver fixtures");
    sr->session = st ? st->session : -1;
    sr->start = elapsed(r);
    sr->transcript_first = r->res->transcript_count;
    if (st && st->expect_json && !open)
        sr->expected = mc_xstrdup(st->expect_json);
    sr->soft = st && !open && st->soft;
    r->mismatch = false;
    r->cur = sr;
    mc_srun_ops_clear(r);
    if (open)
        mc_srun_build_open_ops(r, st);
    else if (st)
        mc_srun_build_ops(r, st);
    else
        mc_srun_build_fixture_ops(r);
    if (!open && r->op_count && r->ops[r->op_count - 1].text.len && st &&
        (st->kind == MC_STEP_SEND || st->kind == MC_STEP_SEND_RAW)) {
        const struct mc_buf *text = &r->ops[r->op_count - 1].text;
        struct mc_buf masked = {0};
        mc_redact(r->redact, text->data, text->len, &masked);
        sr->sent = mc_buf_steal(&masked);
    }
    int ms = open ? r->runner->opts->step_timeout_ms : step_timeout_ms(r, st);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(r->deadline, &tv);
    mc_srun_op_start(r);
}

static void step_end(struct mc_srun *r, enum mc_outcome outcome, const char *why)
{
    struct mc_step_result *sr = r->cur;
    evtimer_del(r->deadline);
    if (r->sleep)
        evtimer_del(r->sleep);
    sr->outcome = outcome;
    sr->duration = elapsed(r) - sr->start;
    sr->transcript_count = r->res->transcript_count - sr->transcript_first;
    const struct mc_op *op = r->op_index < r->op_count ? &r->ops[r->op_index] : NULL;
    if (!op && r->op_count)
        op = &r->ops[r->op_count - 1];
    if (op && op->s && op->s->reply.status_line) /* every byte, unprintable ones escaped */
        sr->got = mc_escape_dup(op->s->reply.status_line, op->s->reply.status_line_len,
                                MC_ESCAPE_KEEP_UTF8);
    else if (op && op->s && op->s->closed && op->s->last_words) /* a close cut the reply */
        sr->got = mc_xstrdup(op->s->last_words);
    if (why)
        sr->why = mc_xstrdup(why);
    r->cur = NULL;
}

static void scenario_finish(struct mc_srun *r)
{
    if (r->finished)
        return;
    r->finished = true;
    const struct mc_scenario *sc = r->sc;
    long first = r->in_open ? r->step : r->step + 1; /* a failed opening: its step never ran */
    for (long i = first < 0 ? 0 : first; i < (long)sc->step_count && r->failed; i++) {
        struct mc_step_result *sr = &r->res->steps[r->res->step_count++];
        memset(sr, 0, sizeof *sr);
        sr->index = (int)i;
        sr->label = step_label(sc, &sc->steps[i]);
        sr->session = sc->steps[i].session;
        sr->outcome = MC_OUTCOME_NOT_RUN;
        sr->transcript_first = r->res->transcript_count;
        if (sc->steps[i].expect_json)
            sr->expected = mc_xstrdup(sc->steps[i].expect_json);
    }
    r->res->duration = elapsed(r);
    mc_transcript_close(r->res, &r->budget);
    if (!r->res->outcome || r->res->outcome == MC_OUTCOME_PASS)
        r->res->outcome = r->failed || r->soft_must_failed ? MC_OUTCOME_FAIL : MC_OUTCOME_PASS;
    mc_runner_scenario_done(r->runner, r);
}

/* A soft step failed on a reply that did not match: the scenario goes on. At level MUST the
   scenario fails all the same; below, the failure is a warning (docs/decisions.md). */
static void soft_failed(struct mc_srun *r)
{
    const struct mc_step *st = &r->sc->steps[r->step];
    int level = st->level >= 0 ? st->level : (int)r->sc->level;
    if (level == MC_LEVEL_MUST)
        r->soft_must_failed = true;
    else
        r->res->warnings++;
}

void mc_srun_op_error(struct mc_srun *r, enum mc_cause cause, const char *why, const char *hint)
{
    if (r->finished || !r->cur)
        return;
    step_end(r, MC_OUTCOME_ERROR, why ? why : "error");
    r->failed = true;
    r->res->outcome = MC_OUTCOME_ERROR;
    r->res->cause = cause;
    free(r->res->reason);
    free(r->res->hint);
    r->res->reason = mc_xstrdup(why ? why : "");
    r->res->hint = hint && *hint ? mc_xstrdup(hint) : NULL;
    event_active(r->advance, 0, 0);
}

void mc_srun_op_done(struct mc_srun *r, bool ok, const char *why)
{
    if (r->finished || !r->cur)
        return;
    const struct mc_op *op = r->op_index < r->op_count ? &r->ops[r->op_index] : NULL;
    if (!ok && (r->step < 0 || (op && op->fixture))) { /* the scene could not be set */
        struct mc_buf b = {0};
        mc_buf_printf(&b, "fixture delivery failed: %s", why ? why : "");
        mc_srun_op_error(r, MC_CAUSE_FIXTURES, b.data,
                         "check that the endpoint named in fixtures.deliver accepts mail for "
                         "the test users' addresses");
        mc_buf_free(&b);
        return;
    }
    if (!ok) {
        bool soft = r->cur->soft && r->mismatch;
        step_end(r, MC_OUTCOME_FAIL, why ? why : "failed");
        if (soft)
            soft_failed(r);
        else
            r->failed = true;
        event_active(r->advance, 0, 0);
        return;
    }
    r->op_index++;
    event_active(r->advance, 0, 0);
}

void mc_srun_abort(struct mc_srun *r, const char *reason)
{
    if (r->finished)
        return;
    if (r->cur)
        step_end(r, MC_OUTCOME_NOT_RUN, reason);
    r->failed = true; /* the steps after it are not run */
    r->res->outcome = MC_OUTCOME_NOT_RUN;
    r->res->cause = MC_CAUSE_NONE;
    free(r->res->reason);
    r->res->reason = mc_xstrdup(reason ? reason : "interrupted");
    scenario_finish(r);
}

/* "track": the step passed, so its message numbers are as the scenario says. */
static void track_declare(struct mc_srun *r, const struct mc_step *st)
{
    for (size_t i = 0; i < st->track_count; i++)
        mc_tracker_declare(r->tracker, r->vars, st->session, st->track[i].name,
                           st->track[i].number);
}

static void advance_fired(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_srun *r = arg;
    if (r->failed) {
        scenario_finish(r);
        return;
    }
    if (r->cur && r->op_index < r->op_count) {
        mc_srun_op_start(r);
        return;
    }
    if (r->cur) {
        bool own = !r->in_open && r->step >= 0;
        step_end(r, MC_OUTCOME_PASS, NULL);
        if (own)
            track_declare(r, &r->sc->steps[r->step]);
    }
    if (r->in_open) { /* the session is open: now the step itself */
        step_begin(r);
        return;
    }
    if (r->fixture) {
        mc_session_free(r->fixture);
        r->fixture = NULL;
    }
    r->step++;
    if (r->step >= (long)r->sc->step_count) {
        scenario_finish(r);
        return;
    }
    step_begin(r);
}

/* What stalled, in the words of the step: a connection, a TLS handshake, a greeting, a
   reply, a close. */
static void describe_timeout(struct mc_srun *r, struct mc_buf *why)
{
    const struct mc_op *op = r->op_index < r->op_count ? &r->ops[r->op_index] : NULL;
    const struct mc_step *st = r->step >= 0 && !r->in_open ? &r->sc->steps[r->step] : NULL;
    int ms = r->in_open ? r->runner->opts->step_timeout_ms : step_timeout_ms(r, st);
    const struct mc_session *s = op ? op->s : NULL;
    if (op && op->kind == MC_OP_EXPECT_CLOSE) {
        mc_buf_printf(why, "the server did not close the connection within %d ms", ms);
        return;
    }
    if (op && op->kind == MC_OP_CONNECT && s && !s->open) {
        if (s->endpoint->tls == MC_TLS_IMPLICIT && s->conn && mc_conn_tcp_established(s->conn))
            mc_buf_printf(why, "the TLS handshake (implicit TLS) did not complete within %d ms",
                          ms);
        else
            mc_buf_printf(why, "could not connect within %d ms", ms);
        return;
    }
    if (op && op->kind == MC_OP_TLS) {
        mc_buf_printf(why, "the TLS handshake after %s did not complete within %d ms",
                      s ? s->proto->starttls_command : "STARTTLS", ms);
        return;
    }
    if (op && op->kind == MC_OP_CONNECT)
        mc_buf_printf(why, "no complete greeting within %d ms (the step's deadline)", ms);
    else
        mc_buf_printf(why, "no complete reply within %d ms (the step's deadline)", ms);
    if (s && s->reply.lines.count) {
        const struct mc_strv *l = &s->reply.lines;
        mc_buf_printf(why, "; %zu line(s) came, the last: '%.200s'", l->count,
                      l->items[l->count - 1].ptr);
    } else if (s && s->conn && mc_conn_input_length(s->conn)) {
        mc_buf_printf(why, "; %zu byte(s) came without a line end", mc_conn_input_length(s->conn));
    } else {
        mc_buf_append_str(why, "; nothing came");
    }
}

static void deadline_fired(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_srun *r = arg;
    struct mc_buf why = {0};
    describe_timeout(r, &why);
    const struct mc_op *op = r->op_index < r->op_count ? &r->ops[r->op_index] : NULL;
    if (op && op->s) {
        mc_session_stop_reading(op->s);
        if (op->s->record)
            op->s->record(r, op->s, MC_DIR_EVENT, why.data, why.len);
        if (r->in_open && r->cur) /* cite the protocol's own rule, not the scenario's */
            r->cur->rule = op->kind == MC_OP_CONNECT ? &op->s->proto->greeting_rule
                                                     : &op->s->proto->starttls_rule;
    }
    mc_srun_op_done(r, false, why.data);
    mc_buf_free(&why);
}

struct mc_srun *mc_srun_start(struct mc_runner *rn, struct mc_scenario_result *res,
                              const struct mc_user **users, size_t *user_index)
{
    struct mc_srun *r = mc_xcalloc(1, sizeof *r);
    r->runner = rn;
    r->sc = res->scenario;
    r->res = res;
    r->users = users;
    r->user_index = user_index;
    r->vars = mc_vars_new();
    r->tracker = mc_tracker_new();
    r->t0 = mc_now_monotonic();
    res->started = mc_now_wall();
    /* the steps, the fixtures, and one opening per session */
    res->steps = mc_xcalloc(r->sc->step_count + 1 + r->sc->session_count, sizeof *res->steps);
    res->user_count = (size_t)r->sc->users;
    res->users = mc_xcalloc(res->user_count, sizeof(char *));
    for (size_t i = 0; i < res->user_count; i++)
        res->users[i] = mc_xstrdup(users[i]->name);
    r->deadline = evtimer_new(rn->base, deadline_fired, r);
    r->advance = event_new(rn->base, -1, 0, advance_fired, r);
    mc_runner_active_add(rn, r);
    redact_users(r);
    set_builtin_vars(r);
    create_sessions(r);
    r->step = r->sc->fixture_messages > 0 ? -1 : 0;
    step_begin(r);
    return r;
}

void mc_srun_free(struct mc_srun *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->sessions && i < r->sc->session_count; i++)
        mc_session_free(r->sessions[i]);
    free(r->sessions);
    mc_session_free(r->fixture);
    mc_srun_ops_clear(r);
    mc_sasl_free(r->sasl);
    mc_vars_free(r->vars);
    mc_tracker_free(r->tracker);
    mc_redactor_free(r->redact);
    if (r->deadline)
        event_free(r->deadline);
    if (r->advance)
        event_free(r->advance);
    if (r->sleep)
        event_free(r->sleep);
    free(r->users);
    free(r->user_index);
    free(r);
}
