/*
 * runner — scheduling scenarios on one event loop (see runner.h).
 *
 * Before a scenario starts, its gate decides whether it can be tested at all: a missing
 * endpoint, capability or number of users is a skip (the target lacks it); an endpoint the
 * probe found unusable, a test user that cannot log in, no usable user left, is an error with
 * its cause (the tester's side must fix it, docs/cli.md OUTCOMES) — decided at once, without
 * waiting for a deadline; a capability the profile promises but the server does not announce
 * is a failure. A scenario that passes its gate gets its users, emptied by reset.c; a user
 * whose reset fails is retired for the rest of the run and the scenario waits for others.
 */
#include "engine/runner.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run_internal.h"
#include "engine/transport.h"
#include "lib/tls.h"

static void schedule(struct mc_runner *rn);
static void end_not_run(struct mc_runner *rn, size_t idx, const char *reason);

/* The owner hears of the scenario, the report sink writes it, then its transcript goes. */
static void report_finished(struct mc_runner *rn, struct mc_scenario_result *res)
{
    rn->done++;
    if (rn->opts->finished)
        rn->opts->finished(rn->opts->arg, res, rn->done, rn->total);
    if (rn->opts->report)
        mc_report_sink_scenario(rn->opts->report, res, (size_t)(res - rn->result->scenarios));
    if (!rn->opts->keep_transcripts)
        mc_scenario_result_release_transcript(res);
}

static void deviation_account(struct mc_runner *rn, struct mc_scenario_result *res);

/* Every scenario ends here, run or not: a known deviation turns a failure into `deviation`,
   the owner hears of it, and --fail-fast stops the run at a violation. */
static void scenario_settled(struct mc_runner *rn, struct mc_scenario_result *res)
{
    deviation_account(rn, res);
    report_finished(rn, res);
    if (rn->opts->fail_fast && res->outcome == MC_OUTCOME_FAIL && !rn->stopping) {
        struct mc_buf why = {0};
        mc_buf_printf(&why, "--fail-fast: %s failed", res->scenario->id);
        mc_run_stop(rn, why.data, 0);
        mc_buf_free(&why);
    }
}

static void finish_without_running(struct mc_runner *rn, struct mc_scenario_result *res,
                                   enum mc_outcome outcome, const char *reason, enum mc_cause cause,
                                   const char *hint)
{
    res->outcome = outcome;
    res->reason = mc_xstrdup(reason ? reason : "");
    res->cause = outcome == MC_OUTCOME_ERROR ? cause : MC_CAUSE_NONE;
    res->hint = hint && *hint ? mc_xstrdup(hint) : NULL;
    res->started = mc_now_wall();
    scenario_settled(rn, res);
}

/* --- the gate: can the scenario be tested here? --- */

struct gate {
    enum mc_outcome outcome; /* PASS: it can run */
    enum mc_cause cause;
    struct mc_buf why, hint;
};

static void gate_set(struct gate *g, enum mc_outcome o, enum mc_cause cause, const char *why,
                     const char *hint)
{
    g->outcome = o;
    g->cause = cause;
    mc_buf_append_str(&g->why, why ? why : "");
    if (hint)
        mc_buf_append_str(&g->hint, hint);
}

static void gate_problem(struct gate *g, const struct mc_problem *p)
{
    gate_set(g, MC_OUTCOME_ERROR, p->cause, p->why, p->hint);
}

static bool needs_delivery(const struct mc_scenario *sc)
{
    if (sc->fixture_messages > 0)
        return true;
    for (size_t i = 0; i < sc->step_count; i++)
        if (sc->steps[i].kind == MC_STEP_DELIVER)
            return true;
    return false;
}

/* The endpoints of every session exist and the probe found them usable for what the session
   does there (connect, STARTTLS, log in). */
static bool gate_sessions(const struct mc_runner *rn, const struct mc_scenario *sc, struct gate *g)
{
    for (size_t i = 0; i < sc->session_count; i++) {
        struct mc_buf why = {0};
        struct mc_transport tr;
        if (!mc_transport_for(rn, sc, i, &tr, &why)) {
            gate_set(g, MC_OUTCOME_SKIP, MC_CAUSE_NONE, why.data, NULL);
            mc_buf_free(&why);
            return false;
        }
        mc_buf_free(&why);
        const struct mc_capability_probe *p = mc_probe_of(rn, tr.ep);
        if (!p)
            continue;
        bool tls = tr.tls == MC_TLS_STARTTLS || mc_scenario_session_has(sc, i, MC_STEP_STARTTLS);
        bool login = mc_scenario_session_has(sc, i, MC_STEP_LOGIN) ||
                     mc_scenario_session_has(sc, i, MC_STEP_AUTH);
        const struct mc_problem *pr = p->unusable.cause          ? &p->unusable
                                      : tls && p->starttls.cause ? &p->starttls
                                      : login && p->login.cause  ? &p->login
                                                                 : NULL;
        if (pr) {
            gate_problem(g, pr);
            return false;
        }
    }
    return true;
}

static bool gate_delivery(const struct mc_runner *rn, const struct mc_scenario *sc, struct gate *g)
{
    if (!needs_delivery(sc))
        return true;
    enum mc_tls_mode tls;
    const struct mc_endpoint *ep = mc_transport_fixtures(rn, &tls);
    if (!ep) {
        gate_set(g, MC_OUTCOME_SKIP, MC_CAUSE_NONE,
                 "the target has no endpoint to deliver fixture messages through (an lmtp or "
                 "smtp endpoint, or an imap one to APPEND them)",
                 NULL);
        return false;
    }
    const struct mc_capability_probe *p = mc_probe_of(rn, ep);
    if (p && p->unusable.cause) {
        gate_problem(g, &p->unusable);
        return false;
    }
    return true;
}

/* The scenario looks into mailboxes: it logs in or has messages delivered. */
static bool needs_clean_users(const struct mc_scenario *sc)
{
    if (needs_delivery(sc))
        return true;
    for (size_t i = 0; i < sc->step_count; i++)
        if (sc->steps[i].kind == MC_STEP_LOGIN || sc->steps[i].kind == MC_STEP_AUTH)
            return true;
    return false;
}

/* The scenario uses its users' passwords: it logs in, has messages stored or delivered, or
   sends ${password} itself. A retired user (its password refused, its account not emptied)
   may still serve one that does not. */
static bool uses_credentials(const struct mc_scenario *sc)
{
    if (needs_clean_users(sc))
        return true;
    for (size_t i = 0; i < sc->step_count; i++) {
        const struct mc_step *st = &sc->steps[i];
        if (st->text && strstr(st->text, "${password"))
            return true;
        for (size_t k = 0; k < st->raw_count; k++)
            if (st->raw[k].text && strstr(st->raw[k].text, "${password"))
                return true;
    }
    return false;
}

static bool gate_users(const struct mc_runner *rn, const struct mc_scenario *sc, struct gate *g)
{
    const struct mc_target *t = rn->target;
    const struct mc_run_result *res = rn->result;
    size_t need = (size_t)sc->users, usable = 0;
    bool credentials = uses_credentials(sc);
    for (size_t i = 0; i < t->user_count; i++)
        usable += !credentials || !rn->user_retired[i];
    if (t->user_count == 0) {
        gate_set(g, MC_OUTCOME_ERROR, MC_CAUSE_USERS, "the target has no test users",
                 "give a test account: USER:PASSWORD@ in the URL, or \"users\" in the profile");
        return false;
    }
    if (need > t->user_count) {
        struct mc_buf why = {0};
        mc_buf_printf(&why, "the scenario needs %zu test users; the target has %zu", need,
                      t->user_count);
        gate_set(g, MC_OUTCOME_SKIP, MC_CAUSE_NONE, why.data, NULL);
        mc_buf_free(&why);
        return false;
    }
    if (need > usable) {
        const struct mc_retired_user *last = &res->retired[res->retired_count - 1];
        struct mc_buf why = {0};
        mc_buf_printf(&why,
                      "only %zu of the target's %zu test users can still be used (the "
                      "others were retired; the last: %s)",
                      usable, t->user_count, last->why);
        const struct mc_target *tg = rn->target;
        bool no_way = !tg->reset_command && !tg->disposable_users && !rn->opts->reset_user;
        gate_set(g, MC_OUTCOME_ERROR, last->cause, why.data,
                 last->cause == MC_CAUSE_CREDENTIALS
                     ? "check the test users' passwords in the target profile"
                 : no_way ? "let the harness empty the test accounts before each scenario: "
                            "--disposable-users (or \"disposable_users\": true in the profile) "
                            "if they hold nothing of value, or a reset command in the profile"
                          : "make the reset work for every test user (see the retired users)");
        mc_buf_free(&why);
        return false;
    }
    return true;
}

/* Whether an endpoint of `proto` announced (or promised) `cap`. */
static bool protocol_has(const struct mc_runner *rn, const char *proto, const char *cap,
                         bool promised)
{
    const struct mc_target *t = rn->target;
    for (size_t i = 0; i < t->endpoint_count; i++) {
        const struct mc_endpoint *e = &t->endpoints[i];
        const struct mc_capability_probe *p = mc_probe_of(rn, e);
        if (strcmp(e->proto->name, proto) != 0)
            continue;
        if (promised ? mc_strv_contains_nocase(&e->promised, cap) : p && mc_probe_announces(p, cap))
            return true;
    }
    return false;
}

/* Why the probe of a protocol may not have seen everything it announces, or NULL. */
static const char *probe_incomplete(const struct mc_runner *rn, const char *proto)
{
    const struct mc_run_result *res = rn->result;
    for (size_t i = 0; i < res->probe_count; i++)
        if (strcmp(res->probes[i].protocol, proto) == 0 && res->probes[i].error)
            return res->probes[i].error;
    return NULL;
}

static bool gate_requires(const struct mc_runner *rn, const struct mc_scenario *sc, struct gate *g)
{
    const struct mc_target *t = rn->target;
    for (size_t i = 0; i < sc->require_count; i++) {
        const char *req = sc->requires[i];
        const char *colon = strchr(req, ':');
        char proto[16];
        size_t n = colon ? (size_t)(colon - req) : 0;
        if (!colon || n >= sizeof proto)
            continue;
        memcpy(proto, req, n);
        proto[n] = '\0';
        const char *cap = colon + 1;
        struct mc_buf why = {0};
        if (strcmp(proto, "endpoint") == 0) {
            if (!mc_target_endpoint_named(t, cap)) {
                mc_buf_printf(&why, "the target has no endpoint named '%s'", cap);
                gate_set(g, MC_OUTCOME_SKIP, MC_CAUSE_NONE, why.data, NULL);
            }
        } else if (!protocol_has(rn, proto, cap, false)) {
            if (protocol_has(rn, proto, cap, true)) {
                mc_buf_printf(&why,
                              "the target's profile promises %s on its %s service, but "
                              "the server does not announce it",
                              cap, proto);
                gate_set(g, MC_OUTCOME_FAIL, MC_CAUSE_NONE, why.data, NULL);
            } else {
                const char *incomplete = probe_incomplete(rn, proto);
                mc_buf_printf(&why, "the target's %s service does not announce %s", proto, cap);
                if (incomplete)
                    mc_buf_printf(&why, " (as far as the probe saw: %s)", incomplete);
                gate_set(g, MC_OUTCOME_SKIP, MC_CAUSE_NONE, why.data, NULL);
            }
        }
        mc_buf_free(&why);
        if (g->outcome != MC_OUTCOME_PASS)
            return false;
    }
    return true;
}

static void gate_check(const struct mc_runner *rn, const struct mc_scenario *sc, struct gate *g)
{
    g->outcome = MC_OUTCOME_PASS;
    if (gate_sessions(rn, sc, g) && gate_delivery(rn, sc, g) && gate_users(rn, sc, g))
        gate_requires(rn, sc, g);
}

/* --- users --- */

/* Takes sc->users free users that are not retired (unless the scenario does not use their
   credentials), or none (false) if not enough are free now. */
static bool take_users(struct mc_runner *rn, const struct mc_scenario *sc,
                       const struct mc_user ***users, size_t **index)
{
    size_t need = (size_t)sc->users, got = 0;
    bool any = !uses_credentials(sc);
    size_t *idx = mc_xcalloc(need, sizeof *idx);
    for (size_t i = 0; i < rn->target->user_count && got < need; i++)
        if (!rn->user_busy[i] && (any || !rn->user_retired[i]))
            idx[got++] = i;
    if (got < need) {
        free(idx);
        return false;
    }
    *users = mc_xcalloc(need, sizeof **users);
    for (size_t i = 0; i < need; i++) {
        rn->user_busy[idx[i]] = true;
        (*users)[i] = &rn->target->users[idx[i]];
    }
    *index = idx;
    return true;
}

static void release_users(struct mc_runner *rn, const size_t *index, size_t count)
{
    for (size_t i = 0; i < count; i++)
        rn->user_busy[index[i]] = false;
}

void mc_runner_retire_user(struct mc_runner *rn, size_t user, enum mc_cause cause, const char *why)
{
    struct mc_run_result *res = rn->result;
    if (rn->user_retired[user])
        return;
    rn->user_retired[user] = true;
    res->retired = mc_xrealloc(res->retired, (res->retired_count + 1) * sizeof *res->retired);
    res->retired[res->retired_count++] = (struct mc_retired_user){
        .user = mc_xstrdup(rn->target->users[user].name),
        .cause = cause,
        .why = mc_xstrdup(why ? why : ""),
    };
}

/* --- a scenario's life: reset its users, run it, record how deviations fared --- */

struct mc_pending {
    struct mc_runner *rn;
    size_t scenario; /* index into the plan */
    const struct mc_user **users;
    size_t *index;
    struct mc_reset_job *job;
    struct mc_pending *next;
};

static void pending_unlink(struct mc_runner *rn, struct mc_pending *p)
{
    for (struct mc_pending **pp = &rn->pending; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

static void requeue(struct mc_runner *rn, size_t scenario)
{
    rn->retry = mc_xrealloc(rn->retry, (rn->retry_count + 1) * sizeof *rn->retry);
    rn->retry[rn->retry_count++] = scenario;
}

static void reset_done(void *arg, const struct mc_reset_outcome *o)
{
    struct mc_pending *p = arg;
    struct mc_runner *rn = p->rn;
    struct mc_scenario_result *res = &rn->result->scenarios[p->scenario];
    size_t need = (size_t)res->scenario->users;
    pending_unlink(rn, p);
    if (rn->stopping) { /* stopped meanwhile: nothing starts any more, nothing waits */
        if (o->failed >= 0)
            mc_runner_retire_user(rn, p->index[o->failed], o->cause, o->why);
        release_users(rn, p->index, need);
        free(p->users);
        free(p->index);
        rn->running--;
        end_not_run(rn, p->scenario, rn->result->stopped);
    } else if (o->failed >= 0) {
        /* That user is not handed out again; the scenario waits for others. */
        mc_runner_retire_user(rn, p->index[o->failed], o->cause, o->why);
        release_users(rn, p->index, need);
        free(p->users);
        free(p->index);
        requeue(rn, p->scenario);
        rn->running--;
    } else {
        mc_srun_start(rn, res, p->users, p->index);
    }
    mc_reset_free(p->job); /* o lives in the job */
    free(p);
    schedule(rn);
}

static void start_one(struct mc_runner *rn, size_t scenario, const struct mc_user **users,
                      size_t *index)
{
    const struct mc_scenario *sc = rn->result->scenarios[scenario].scenario;
    struct mc_pending *p = mc_xcalloc(1, sizeof *p);
    p->rn = rn;
    p->scenario = scenario;
    p->users = users;
    p->index = index;
    p->next = rn->pending;
    rn->pending = p;
    rn->running++;
    p->job = mc_reset_start(rn, users, (size_t)sc->users, needs_clean_users(sc), reset_done, p);
}

static void deviation_account(struct mc_runner *rn, struct mc_scenario_result *res)
{
    const struct mc_deviation *dev = mc_target_deviation_for(rn->target, res->scenario->id);
    if (!dev)
        return;
    struct mc_deviation_use *use = &rn->result->deviations[dev - rn->target->deviations];
    if (res->outcome == MC_OUTCOME_FAIL) {
        res->outcome = MC_OUTCOME_DEVIATION;
        free(res->reason);
        res->reason = mc_xstrdup(dev->reason);
        use->applied++;
    } else if (res->outcome == MC_OUTCOME_PASS) {
        use->passed++;
    }
}

void mc_runner_active_add(struct mc_runner *rn, struct mc_srun *r)
{
    rn->active[rn->active_count++] = r;
}

void mc_runner_active_remove(struct mc_runner *rn, struct mc_srun *r)
{
    for (size_t i = 0; i < rn->active_count; i++) {
        if (rn->active[i] == r) {
            rn->active[i] = rn->active[--rn->active_count];
            return;
        }
    }
}

static void free_srun_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mc_srun_free(arg);
}

void mc_runner_scenario_done(struct mc_runner *rn, struct mc_srun *r)
{
    struct mc_scenario_result *res = r->res;
    release_users(rn, r->user_index, (size_t)r->sc->users);
    rn->running--;
    mc_runner_active_remove(rn, r);
    scenario_settled(rn, res);
    struct timeval now = {0, 0};
    event_base_once(rn->base, -1, EV_TIMEOUT, free_srun_later, r, &now);
    schedule(rn);
}

/* --- scheduling --- */

/* The next scenario to consider: one sent back to wait for users first, then the plan. */
static bool next_scenario(struct mc_runner *rn, size_t *idx, bool take)
{
    if (rn->retry_count) {
        *idx = rn->retry[0];
        if (take)
            memmove(rn->retry, rn->retry + 1, --rn->retry_count * sizeof *rn->retry);
        return true;
    }
    if (rn->next >= rn->total)
        return false;
    *idx = take ? rn->next++ : rn->next;
    return true;
}

static void maybe_end(struct mc_runner *rn)
{
    if (rn->done == rn->total && rn->running == 0)
        event_base_loopexit(rn->base, NULL);
}

static void schedule(struct mc_runner *rn)
{
    size_t idx;
    while (!rn->stopping && rn->running < (size_t)rn->opts->jobs &&
           next_scenario(rn, &idx, false)) {
        struct mc_scenario_result *res = &rn->result->scenarios[idx];
        struct gate g = {0};
        gate_check(rn, res->scenario, &g);
        if (g.outcome != MC_OUTCOME_PASS) {
            next_scenario(rn, &idx, true);
            finish_without_running(rn, res, g.outcome, g.why.data, g.cause, g.hint.data);
        }
        bool ran_gate = g.outcome != MC_OUTCOME_PASS;
        mc_buf_free(&g.why);
        mc_buf_free(&g.hint);
        if (ran_gate)
            continue;
        if (rn->opts->dry_run) {
            next_scenario(rn, &idx, true);
            finish_without_running(rn, res, MC_OUTCOME_NOT_RUN, "would run", MC_CAUSE_NONE, NULL);
            continue;
        }
        const struct mc_user **users;
        size_t *index;
        if (!take_users(rn, res->scenario, &users, &index))
            break; /* wait until a running scenario gives users back */
        next_scenario(rn, &idx, true);
        start_one(rn, idx, users, index);
    }
    maybe_end(rn);
}

static void probes_done(struct mc_runner *rn)
{
    if (rn->opts->probed)
        rn->opts->probed(rn->opts->arg, rn->result);
    schedule(rn);
}

/* --- stopping early --- */

static void end_not_run(struct mc_runner *rn, size_t idx, const char *reason)
{
    struct mc_scenario_result *res = &rn->result->scenarios[idx];
    finish_without_running(rn, res, MC_OUTCOME_NOT_RUN, reason, MC_CAUSE_NONE, NULL);
}

static void stop_grace_over(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct mc_runner *rn = arg;
    while (rn->pending) { /* still resetting users: never started */
        struct mc_pending *p = rn->pending;
        rn->pending = p->next;
        mc_reset_free(p->job);
        release_users(rn, p->index, (size_t)rn->result->scenarios[p->scenario].scenario->users);
        rn->running--;
        end_not_run(rn, p->scenario, rn->result->stopped);
        free(p->users);
        free(p->index);
        free(p);
    }
    while (rn->active_count) /* each call removes one through mc_runner_scenario_done */
        mc_srun_abort(rn->active[rn->active_count - 1], rn->result->stopped);
    maybe_end(rn);
}

void mc_run_stop(struct mc_runner *rn, const char *reason, int signal)
{
    if (rn->stopping) {
        if (signal && !rn->result->stop_signal) { /* a signal after --fail-fast still counts */
            rn->result->stop_signal = signal;
            free(rn->result->stopped);
            rn->result->stopped = mc_xstrdup(reason);
        }
        return;
    }
    rn->stopping = true;
    rn->result->stopped = mc_xstrdup(reason);
    rn->result->stop_signal = signal;
    size_t idx;
    while (next_scenario(rn, &idx, true))
        end_not_run(rn, idx, reason);
    if (!rn->stop_timer)
        rn->stop_timer = evtimer_new(rn->base, stop_grace_over, rn);
    struct timeval tv = {MC_RUN_STOP_GRACE_MS / 1000, (MC_RUN_STOP_GRACE_MS % 1000) * 1000};
    evtimer_add(rn->stop_timer, &tv);
    maybe_end(rn);
}

/* --- the run --- */

static void result_init(struct mc_runner *rn, struct mc_scenario *const *scenarios, size_t count)
{
    const struct mc_run_options *o = rn->opts;
    struct mc_run_result *out = rn->result;
    out->tool_version = MC_VERSION;
    out->target_name = mc_xstrdup(o->target->name);
    out->target_source = mc_xstrdup(o->target->source);
    out->target_domain = mc_xstrdup(o->target->domain);
    out->jobs = o->jobs;
    out->started = mc_now_wall();
    out->scenarios = mc_xcalloc(count + 1, sizeof *out->scenarios);
    out->scenario_count = count;
    for (size_t i = 0; i < count; i++)
        out->scenarios[i].scenario = scenarios[i];
    const struct mc_target *t = o->target;
    out->deviations = mc_xcalloc(t->deviation_count + 1, sizeof *out->deviations);
    out->deviation_count = t->deviation_count;
    for (size_t i = 0; i < t->deviation_count; i++) {
        out->deviations[i].scenario = mc_xstrdup(t->deviations[i].scenario);
        out->deviations[i].reason = mc_xstrdup(t->deviations[i].reason);
    }
}

int mc_run(struct mc_scenario *const *scenarios, size_t count, const struct mc_run_options *o,
           struct mc_run_result *out, struct mc_buf *err)
{
    struct mc_runner rn = {0};
    memset(out, 0, sizeof *out);
    rn.opts = o;
    rn.target = o->target;
    rn.result = out;
    rn.scenarios = scenarios;
    rn.total = count;
    if (RAND_bytes(rn.run_salt, sizeof rn.run_salt) != 1)
        memset(rn.run_salt, 0, sizeof rn.run_salt);
    result_init(&rn, scenarios, count);
    rn.tls_ctx = mc_tls_client_ctx(o->target->ca_file, !o->insecure, err);
    rn.base = o->base ? o->base : event_base_new();
    if (!rn.tls_ctx || !rn.base) {
        if (!rn.base)
            mc_buf_append_str(err, "cannot create the event loop");
        SSL_CTX_free(rn.tls_ctx);
        if (rn.base && !o->base)
            event_base_free(rn.base);
        return -1;
    }
    size_t users = o->target->user_count + 1;
    rn.user_busy = mc_xcalloc(users, sizeof *rn.user_busy);
    rn.user_verified = mc_xcalloc(users, sizeof *rn.user_verified);
    rn.user_retired = mc_xcalloc(users, sizeof *rn.user_retired);
    rn.active = mc_xcalloc((size_t)o->jobs + 1, sizeof *rn.active);
    if (o->started)
        o->started(o->arg, &rn);
    mc_probe_start(&rn, probes_done);
    if (count > 0 || rn.probes_pending)
        event_base_dispatch(rn.base);
    out->finished = mc_now_wall();
    mc_probe_free_all(&rn);
    if (rn.stop_timer)
        event_free(rn.stop_timer);
    if (!o->base)
        event_base_free(rn.base);
    SSL_CTX_free(rn.tls_ctx);
    free(rn.user_busy);
    free(rn.user_verified);
    free(rn.user_retired);
    free(rn.active);
    free(rn.retry);
    return 0;
}

void mc_run_result_free(struct mc_run_result *r)
{
    for (size_t i = 0; i < r->scenario_count; i++) {
        struct mc_scenario_result *s = &r->scenarios[i];
        for (size_t k = 0; k < s->step_count; k++) {
            struct mc_step_result *st = &s->steps[k];
            free(st->label);
            free(st->sent);
            free(st->expected);
            free(st->got);
            free(st->why);
        }
        mc_scenario_result_release_transcript(s);
        for (size_t k = 0; k < s->user_count; k++)
            free(s->users[k]);
        free(s->users);
        free(s->session_tls);
        free(s->session_adapted);
        free(s->steps);
        free(s->reason);
        free(s->hint);
        free(s->run_id);
    }
    for (size_t i = 0; i < r->probe_count; i++) {
        struct mc_capability_probe *p = &r->probes[i];
        free(p->endpoint);
        free(p->host);
        mc_strv_free(&p->promised);
        mc_strv_free(&p->plain);
        mc_strv_free(&p->after_tls);
        mc_strv_free(&p->after_login);
        free(p->greeting);
        free(p->error);
        mc_problem_clear(&p->unusable);
        mc_problem_clear(&p->starttls);
        mc_problem_clear(&p->login);
        free(p->tls_version);
        free(p->tls_subject);
        free(p->tls_expires);
        free(p->tls_verify_error);
        mc_scenario_result_release_transcript(&p->dialogue);
    }
    for (size_t i = 0; i < r->retired_count; i++) {
        free(r->retired[i].user);
        free(r->retired[i].why);
    }
    for (size_t i = 0; i < r->deviation_count; i++) {
        free(r->deviations[i].scenario);
        free(r->deviations[i].reason);
    }
    free(r->retired);
    free(r->deviations);
    free(r->options_json);
    free(r->scenario_set_json);
    free(r->stopped);
    free(r->probes);
    free(r->scenarios);
    free(r->target_name);
    free(r->target_source);
    free(r->target_domain);
    memset(r, 0, sizeof *r);
}
