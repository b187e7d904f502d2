/*
 * serve_replay — `mailconform serve --replay REPORT`: the reference server's replay
 * (servers-under-test/reference/replay.h) as a process of its own. It loads the report, listens
 * for each recorded endpoint on a free loopback port, and writes DIR/target.json, a profile the
 * harness can run the same scenarios against: the recorded endpoints, names and TLS modes;
 * the reference certificate as CA; the recorded users with the replay's passwords (the report
 * masks the real ones; the replay takes any password where the recording masked it, and checks
 * SCRAM proofs against its own); a
 * reset command that does nothing (emptying accounts over IMAP would be traffic the recording
 * does not hold); the recorded known deviations; fixtures through the recorded endpoint.
 */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/serve_replay.h"
#include "engine/target.h"
#include "lib/tls.h"
#include "reference/replay.h"

/* A reset that does nothing: the replay's accounts hold nothing, and the probe and scenarios
   must not be preceded by traffic the recording lacks (docs/decisions.md). */
#define REPLAY_RESET_COMMAND "/bin/true"

static void add_endpoints(struct mc_target *t, const struct rp_replay *rp, const char *host)
{
    for (size_t i = 0; i < rp_replay_endpoint_count(rp); i++) {
        struct rp_endpoint_info info;
        rp_replay_endpoint(rp, i, &info);
        struct mc_endpoint *e = mc_target_add_endpoint(t);
        e->name = mc_xstrdup(info.name);
        e->proto = mc_protocol_find(info.protocol);
        e->host = mc_xstrdup(host);
        e->port = info.port;
        e->tls = info.implicit_tls ? MC_TLS_IMPLICIT : MC_TLS_NONE;
        e->auth_required = info.auth_required;
        for (size_t k = 0; k < info.promised->count; k++)
            mc_strv_push_str(&e->promised, info.promised->items[k].ptr);
    }
}

/* The recorded users, each with the replay's password for it (rp_replay_password): any would do
   where the recording masked a password, and a SCRAM proof is checked against it. */
static void add_users(struct mc_target *t, const struct rp_replay *rp)
{
    const struct mc_strv *users = rp_replay_users(rp);
    for (size_t i = 0; i < users->count; i++) {
        struct mc_user *u = mc_target_add_user(t);
        struct mc_buf pw = {0};
        rp_replay_password(users->items[i].ptr, &pw);
        u->name = mc_xstrdup(users->items[i].ptr);
        u->password = mc_buf_steal(&pw);
    }
}

static void add_deviations(struct mc_target *t, const struct rp_replay *rp)
{
    size_t n = rp_replay_deviation_count(rp);
    t->deviations = mc_xcalloc(n + 1, sizeof *t->deviations);
    for (size_t i = 0; i < n; i++) {
        const char *id, *why;
        rp_replay_deviation(rp, i, &id, &why);
        t->deviations[i].scenario = mc_xstrdup(id);
        t->deviations[i].reason = mc_xstrdup(why);
    }
    t->deviation_count = n;
}

static struct mc_target *replay_target(const struct rp_replay *rp,
                                       const struct mc_serve_replay *cfg, const char *cert,
                                       const char *host)
{
    struct mc_target *t = mc_xcalloc(1, sizeof *t);
    struct mc_buf name = {0};
    const char *recorded = rp_replay_target_name(rp);
    mc_buf_printf(&name, "replay of %s", recorded ? recorded : cfg->report);
    t->name = mc_buf_steal(&name);
    t->source = mc_xstrdup(cfg->report);
    t->domain = mc_xstrdup(rp_replay_domain(rp));
    t->ca_file = mc_xstrdup(cert);
    t->tls_server_name = mc_xstrdup("localhost");
    add_endpoints(t, rp, host);
    add_users(t, rp);
    add_deviations(t, rp);
    t->deliver_endpoint = mc_xstrdup(rp_replay_deliver_endpoint(rp));
    t->reset_command = mc_xcalloc(3, sizeof(char *));
    t->reset_command[0] = mc_xstrdup(REPLAY_RESET_COMMAND);
    t->reset_command[1] = mc_xstrdup("${user}");
    return t;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

static void serve_until_signal(struct event_base *base)
{
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
}

/* The certificate to serve TLS with: the operator's, or a self-signed one made in DIR. */
static SSL_CTX *replay_tls(const struct mc_serve_replay *cfg, struct mc_buf *cert,
                           struct mc_buf *err)
{
    struct mc_buf key = {0};
    SSL_CTX *tls = NULL;
    if (!cfg->cert != !cfg->key) {
        mc_buf_append_str(err, "give both a certificate and its key");
        return NULL;
    }
    if (cfg->cert) {
        mc_buf_append_str(cert, cfg->cert);
        mc_buf_append_str(&key, cfg->key);
    } else {
        mc_buf_printf(cert, "%s/cert.pem", cfg->dir);
        mc_buf_printf(&key, "%s/key.pem", cfg->dir);
    }
    if (cfg->cert || mc_tls_make_self_signed(cert->data, key.data, err) == 0)
        tls = mc_tls_server_ctx(cert->data, key.data, err);
    mc_buf_free(&key);
    return tls;
}

int mc_serve_replay(const struct mc_serve_replay *cfg)
{
    struct mc_buf err = {0}, cert = {0}, path = {0};
    const char *host = cfg->host ? cfg->host : "127.0.0.1";
    struct event_base *base = event_base_new();
    struct mc_target *target = NULL;
    SSL_CTX *tls = NULL;
    int rc = MC_EXIT_USAGE;
    mkdir(cfg->dir, 0755);
    struct rp_replay *rp = rp_replay_load(cfg->report, &err);
    if (rp)
        tls = replay_tls(cfg, &cert, &err);
    if (tls && rp_replay_listen(rp, base, tls, host, &err) == 0) {
        target = replay_target(rp, cfg, cert.data, host);
        mc_buf_printf(&path, "%s/target.json", cfg->dir);
        if (mc_target_write_profile(target, path.data, &err) == 0) {
            printf("mailconform serve: replaying %s; target %s\n", cfg->report, path.data);
            fflush(stdout);
            serve_until_signal(base);
            rc = MC_EXIT_OK;
        }
    }
    if (rc != MC_EXIT_OK)
        fprintf(stderr, "mailconform serve: %s\n", err.data ? err.data : "cannot start");
    rp_replay_free(rp);
    mc_target_free(target);
    SSL_CTX_free(tls);
    event_base_free(base);
    mc_buf_free(&err);
    mc_buf_free(&cert);
    mc_buf_free(&path);
    return rc;
}
