/*
 * runner — scheduling scenarios on one event loop (see runner.h).
 */
#include "engine/runner.h"

#include <errno.h>
#include <openssl/rand.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/run_internal.h"
#include "engine/vars.h"
#include "lib/tls.h"

extern char **environ;

/* A reset command empties one mailbox; a healthy one takes milliseconds. */
#define RESET_TIMEOUT_MS 30000

static void schedule(struct mc_runner *rn);

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

static void finish_without_running(struct mc_runner *rn, struct mc_scenario_result *res,
                                   enum mc_outcome outcome, const char *reason)
{
    res->outcome = outcome;
    res->reason = mc_xstrdup(reason);
    res->started = mc_now_wall();
    report_finished(rn, res);
}

/* --- requirements --- */

static bool protocol_has(const struct mc_runner *rn, const char *proto, const char *cap)
{
    const struct mc_run_result *res = rn->result;
    for (size_t i = 0; i < res->probe_count; i++) {
        const struct mc_capability_probe *p = &res->probes[i];
        if (strcmp(p->protocol, proto) == 0 && mc_probe_announces(p, cap))
            return true;
    }
    return false;
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

/* Why the scenario cannot run on this target (appended to why), or false if it can. */
static bool unmet(const struct mc_runner *rn, const struct mc_scenario *sc, struct mc_buf *why)
{
    const struct mc_target *t = rn->target;
    for (size_t i = 0; i < sc->session_count; i++)
        if (!mc_target_endpoint_for(t, &sc->sessions[i], why))
            return true;
    if (needs_delivery(sc) && !t->deliver_endpoint) {
        mc_buf_append_str(why, "the target has no endpoint to deliver fixture messages through");
        return true;
    }
    if ((size_t)sc->users > t->user_count) {
        mc_buf_printf(why, "the scenario needs %d test user(s); the target has %zu", sc->users,
                      t->user_count);
        return true;
    }
    for (size_t i = 0; i < sc->require_count; i++) {
        const char *req = sc->requires[i];
        const char *colon = strchr(req, ':');
        char proto[16];
        size_t n = colon ? (size_t)(colon - req) : 0;
        if (!colon || n >= sizeof proto)
            continue;
        memcpy(proto, req, n);
        proto[n] = '\0';
        if (strcmp(proto, "endpoint") == 0) {
            if (!mc_target_endpoint_named(t, colon + 1)) {
                mc_buf_printf(why, "the target has no endpoint named '%s'", colon + 1);
                return true;
            }
        } else if (!protocol_has(rn, proto, colon + 1)) {
            mc_buf_printf(why, "the target's %s service does not announce %s", proto, colon + 1);
            return true;
        }
    }
    return false;
}

/* --- users --- */

static int run_reset(const struct mc_target *t, const struct mc_user *u, struct mc_buf *why)
{
    if (!t->reset_command)
        return 0;
    size_t argc = 0;
    while (t->reset_command[argc])
        argc++;
    /* The arguments get ${user} by the same rules as scenario strings (vars.c). */
    struct mc_vars *vars = mc_vars_new();
    mc_vars_set(vars, "user", u->name, strlen(u->name));
    char **argv = mc_xcalloc(argc + 1, sizeof(char *));
    int bad = 0;
    for (size_t i = 0; i < argc; i++) {
        struct mc_buf a = {0}, err = {0};
        const char *arg = t->reset_command[i];
        if (mc_vars_expand(vars, NULL, arg, strlen(arg), MC_EXPAND_TEXT, &a, &err) != 0 && !bad++)
            mc_buf_printf(why, "the reset command: %s", err.data ? err.data : "");
        argv[i] = mc_buf_steal(&a);
        mc_buf_free(&err);
    }
    mc_vars_free(vars);
    if (bad) {
        for (size_t i = 0; i < argc; i++)
            free(argv[i]);
        free(argv);
        return -1;
    }
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        mc_buf_printf(why, "cannot run the reset command %s: %s", argv[0], strerror(rc));
    } else {
        int status = 0, waited = 0;
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (waited >= RESET_TIMEOUT_MS) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                mc_buf_printf(why, "the reset command for %s took over %d ms", u->name,
                              RESET_TIMEOUT_MS);
                rc = -1;
                break;
            }
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
            waited += 5;
        }
        if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            mc_buf_printf(why, "the reset command for %s failed (status %d)", u->name, status);
            rc = -1;
        }
    }
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return rc == 0 ? 0 : -1;
}

/* Takes sc->users free users, or none (false) if not enough are free now. */
static bool take_users(struct mc_runner *rn, const struct mc_scenario *sc,
                       const struct mc_user ***users, size_t **index)
{
    size_t need = (size_t)sc->users, got = 0;
    size_t *idx = mc_xcalloc(need, sizeof *idx);
    for (size_t i = 0; i < rn->target->user_count && got < need; i++)
        if (!rn->user_busy[i])
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

/* --- scheduling --- */

static void free_srun_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mc_srun_free(arg);
}

void mc_runner_scenario_done(struct mc_runner *rn, struct mc_srun *r)
{
    struct mc_scenario_result *res = r->res;
    const struct mc_deviation *dev = mc_target_deviation_for(rn->target, res->scenario->id);
    if (dev && res->outcome == MC_OUTCOME_FAIL) {
        res->outcome = MC_OUTCOME_DEVIATION;
        free(res->reason);
        res->reason = mc_xstrdup(dev->reason);
    }
    release_users(rn, r->user_index, (size_t)r->sc->users);
    rn->running--;
    report_finished(rn, res);
    struct timeval now = {0, 0};
    event_base_once(rn->base, -1, EV_TIMEOUT, free_srun_later, r, &now);
    schedule(rn);
}

static void start_one(struct mc_runner *rn, struct mc_scenario_result *res,
                      const struct mc_user **users, size_t *index)
{
    const struct mc_scenario *sc = res->scenario;
    struct mc_buf why = {0};
    const struct mc_run_options *o = rn->opts;
    for (int i = 0; i < sc->users; i++) {
        int rc = o->reset_user ? o->reset_user(o->reset_arg, users[i]->name, &why)
                               : run_reset(rn->target, users[i], &why);
        if (rc != 0) {
            release_users(rn, index, (size_t)sc->users);
            free(users);
            free(index);
            finish_without_running(rn, res, MC_OUTCOME_ERROR, why.data);
            mc_buf_free(&why);
            return;
        }
    }
    mc_buf_free(&why);
    rn->running++;
    mc_srun_start(rn, res, users, index);
}

static void schedule(struct mc_runner *rn)
{
    while (rn->running < (size_t)rn->opts->jobs && rn->next < rn->total) {
        struct mc_scenario_result *res = &rn->result->scenarios[rn->next];
        const struct mc_scenario *sc = res->scenario;
        struct mc_buf why = {0};
        if (unmet(rn, sc, &why)) {
            rn->next++;
            finish_without_running(rn, res, MC_OUTCOME_SKIP, why.data);
            mc_buf_free(&why);
            continue;
        }
        mc_buf_free(&why);
        const struct mc_user **users;
        size_t *index;
        if (!take_users(rn, sc, &users, &index))
            break; /* wait until a running scenario gives users back */
        rn->next++;
        start_one(rn, res, users, index);
    }
    if (rn->done == rn->total && rn->running == 0)
        event_base_loopexit(rn->base, NULL);
}

static void probes_done(struct mc_runner *rn)
{
    schedule(rn);
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
    out->tool_version = MC_VERSION;
    out->target_name = mc_xstrdup(o->target->name);
    out->target_source = mc_xstrdup(o->target->source);
    out->jobs = o->jobs;
    out->started = mc_now_wall();
    out->scenarios = mc_xcalloc(count + 1, sizeof *out->scenarios);
    out->scenario_count = count;
    for (size_t i = 0; i < count; i++)
        out->scenarios[i].scenario = scenarios[i];
    rn.tls_ctx = mc_tls_client_ctx(o->target->ca_file, err);
    rn.base = o->base ? o->base : event_base_new();
    if (!rn.tls_ctx || !rn.base) {
        if (!rn.base)
            mc_buf_append_str(err, "cannot create the event loop");
        SSL_CTX_free(rn.tls_ctx);
        if (rn.base && !o->base)
            event_base_free(rn.base);
        return -1;
    }
    rn.user_busy = mc_xcalloc(o->target->user_count + 1, sizeof *rn.user_busy);
    mc_probe_start(&rn, probes_done);
    if (count > 0 || rn.probes_pending)
        event_base_dispatch(rn.base);
    out->finished = mc_now_wall();
    mc_probe_free_all(&rn);
    if (!o->base)
        event_base_free(rn.base);
    SSL_CTX_free(rn.tls_ctx);
    free(rn.user_busy);
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
        free(s->steps);
        free(s->reason);
        free(s->run_id);
    }
    for (size_t i = 0; i < r->probe_count; i++) {
        struct mc_capability_probe *p = &r->probes[i];
        free(p->endpoint);
        mc_strv_free(&p->plain);
        mc_strv_free(&p->after_tls);
        mc_strv_free(&p->after_login);
        free(p->greeting);
        free(p->error);
    }
    free(r->probes);
    free(r->scenarios);
    free(r->target_name);
    free(r->target_source);
    memset(r, 0, sizeof *r);
}
