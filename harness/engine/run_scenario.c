/*
 * run_scenario — one scenario from its first step to its result.
 *
 * It sets up the scenario's variables and sessions, delivers its fixture messages, then runs
 * the steps in order (each as ops, see run_ops.c) under a deadline each, records every byte of
 * every session in the transcript, and stops at the first failing step: the steps after it are
 * reported as not run. Moving from one op or step to the next always goes through the event
 * loop (the `advance` event), so no callback ever frees what its caller is still using.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/run_internal.h"

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
    mc_transcript_add(r->res, &r->budget, t, s->index, dir, data, len);
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
        if (u->address)
            mc_buf_append_str(&addr, u->address);
        else
            mc_buf_printf(&addr, "%s@%s", u->name, t->domain);
        snprintf(name, sizeof name, "address%d", i + 1);
        mc_vars_set(r->vars, name, addr.data, addr.len);
        mc_buf_free(&addr);
    }
}

static void create_sessions(struct mc_srun *r)
{
    const struct mc_scenario *sc = r->sc;
    r->sessions = mc_xcalloc(sc->session_count, sizeof *r->sessions);
    for (size_t i = 0; i < sc->session_count; i++) {
        const struct mc_session_spec *spec = &sc->sessions[i];
        struct mc_buf why = {0};
        const struct mc_endpoint *ep = mc_target_endpoint_for(r->runner->target, spec, &why);
        mc_buf_free(&why); /* the runner has checked every endpoint exists */
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

static void step_begin(struct mc_srun *r)
{
    const struct mc_step *st = r->step >= 0 ? &r->sc->steps[r->step] : NULL;
    struct mc_step_result *sr = &r->res->steps[r->res->step_count++];
    memset(sr, 0, sizeof *sr);
    sr->index = (int)r->step;
    sr->label = st ? step_label(r->sc, st) : mc_xstrdup("deliver fixtures");
    sr->session = st ? st->session : -1;
    sr->start = elapsed(r);
    sr->transcript_first = r->res->transcript_count;
    if (st && st->expect_json)
        sr->expected = mc_xstrdup(st->expect_json);
    r->cur = sr;
    mc_srun_ops_clear(r);
    if (st)
        mc_srun_build_ops(r, st);
    else
        mc_srun_build_fixture_ops(r);
    if (r->op_count && r->ops[r->op_count - 1].text.len && st &&
        (st->kind == MC_STEP_SEND || st->kind == MC_STEP_SEND_RAW))
        sr->sent = mc_xstrndup(r->ops[r->op_count - 1].text.data, r->ops[r->op_count - 1].text.len);
    int ms = step_timeout_ms(r, st);
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
    if (op && op->s && op->s->reply.status_line)
        sr->got = mc_xstrdup(op->s->reply.status_line);
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
    long first = r->step + 1;
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
        r->res->outcome = r->failed ? MC_OUTCOME_FAIL : MC_OUTCOME_PASS;
    mc_runner_scenario_done(r->runner, r);
}

void mc_srun_op_done(struct mc_srun *r, bool ok, const char *why)
{
    if (r->finished || !r->cur)
        return;
    if (!ok) {
        step_end(r, MC_OUTCOME_FAIL, why ? why : "failed");
        r->failed = true;
        if (r->step < 0) { /* fixtures failed: the harness could not set the scene */
            r->res->outcome = MC_OUTCOME_ERROR;
            struct mc_buf b = {0};
            mc_buf_printf(&b, "fixture delivery failed: %s", why ? why : "");
            r->res->reason = mc_buf_steal(&b);
        }
        event_active(r->advance, 0, 0);
        return;
    }
    r->op_index++;
    event_active(r->advance, 0, 0);
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
    if (r->cur)
        step_end(r, MC_OUTCOME_PASS, NULL);
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

static void describe_timeout(struct mc_srun *r, struct mc_buf *why)
{
    const struct mc_op *op = r->op_index < r->op_count ? &r->ops[r->op_index] : NULL;
    const struct mc_step *st = r->step >= 0 ? &r->sc->steps[r->step] : NULL;
    int ms = step_timeout_ms(r, st);
    if (op && op->kind == MC_OP_EXPECT_CLOSE) {
        mc_buf_printf(why, "the server did not close the connection within %d ms", ms);
        return;
    }
    if (op && op->kind == MC_OP_CONNECT && op->s && !op->s->open) {
        mc_buf_printf(why, "could not connect within %d ms", ms);
        return;
    }
    if (op && op->kind == MC_OP_CONNECT)
        mc_buf_printf(why, "no complete greeting within %d ms (the step's deadline)", ms);
    else
        mc_buf_printf(why, "no complete reply within %d ms (the step's deadline)", ms);
    if (op && op->s && op->s->reply.lines.count) {
        const struct mc_strv *l = &op->s->reply.lines;
        mc_buf_printf(why, "; %zu line(s) came, the last: '%.200s'", l->count,
                      l->items[l->count - 1].ptr);
    } else if (op && op->s && op->s->conn && mc_conn_input_length(op->s->conn)) {
        mc_buf_printf(why, "; %zu byte(s) came without a line end",
                      mc_conn_input_length(op->s->conn));
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
    r->t0 = mc_now_monotonic();
    res->started = mc_now_wall();
    res->steps = mc_xcalloc(r->sc->step_count + 1, sizeof *res->steps);
    res->user_count = (size_t)r->sc->users;
    res->users = mc_xcalloc(res->user_count, sizeof(char *));
    for (size_t i = 0; i < res->user_count; i++)
        res->users[i] = mc_xstrdup(users[i]->name);
    r->deadline = evtimer_new(rn->base, deadline_fired, r);
    r->advance = event_new(rn->base, -1, 0, advance_fired, r);
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
