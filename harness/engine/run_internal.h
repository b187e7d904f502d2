/*
 * run_internal — what the runner, the scenario executor and the probe share. Not for use
 * outside harness/engine/run_*.c and probe.c.
 */
#ifndef MC_ENGINE_RUN_INTERNAL_H
#define MC_ENGINE_RUN_INTERNAL_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "engine/result.h"
#include "engine/runner.h"
#include "engine/session.h"
#include "engine/transcript.h"
#include "lib/sasl.h"

struct mc_runner {
    struct event_base *base;
    SSL_CTX *tls_ctx;
    const struct mc_run_options *opts;
    const struct mc_target *target;
    struct mc_run_result *result;
    bool *user_busy; /* per target user */
    size_t next;     /* next scenario to start */
    size_t running, done, total;
    struct mc_scenario *const *scenarios;
    unsigned char run_salt[4]; /* makes run ids unique across runs */
    struct mc_probe *probes;   /* probe.c: one per endpoint */
    size_t probe_count, probes_pending;
    void (*probes_done)(struct mc_runner *rn);
};

/* What an op checks when its reply arrives. */
enum mc_op_check {
    MC_CHECK_STEP,         /* the step's expect, else the op's default */
    MC_CHECK_POSITIVE,     /* a positive final reply (or positive greeting) */
    MC_CHECK_CONTINUATION, /* a continuation request */
    MC_CHECK_ANY,          /* any complete reply */
};

enum mc_op_kind {
    MC_OP_CONNECT,      /* open the session; the greeting is the reply */
    MC_OP_EXCHANGE,     /* send `text` as ex; read the reply */
    MC_OP_RAW,          /* send raw bytes; read a reply if `read_reply` */
    MC_OP_TLS,          /* handshake over the open connection, if the last reply was positive */
    MC_OP_AUTH,         /* SASL with mechanism `text` */
    MC_OP_AWAIT,        /* wait for the step's lines */
    MC_OP_EXPECT_CLOSE, /* wait for the server to close */
    MC_OP_ABORT,        /* drop the connection */
    MC_OP_SLEEP,        /* wait `sleep_ms` */
};

struct mc_op {
    enum mc_op_kind kind;
    struct mc_session *s;
    enum mc_exchange ex;
    struct mc_buf text;
    enum mc_op_check check;
    enum mc_op_check fallback; /* for MC_CHECK_STEP when the step has no expect */
    bool read_reply;
    int sleep_ms;
    char *label; /* for messages about a non-final op: "login: USER mc01" */
};

#define MC_OPS_MAX 512 /* a step's ops; fixtures use 5 per message plus 3 */

struct mc_srun {
    struct mc_runner *runner;
    const struct mc_scenario *sc;
    struct mc_scenario_result *res;
    struct mc_vars *vars;
    struct mc_session **sessions;
    struct mc_session *fixture; /* the delivery connection, while delivering */
    const struct mc_user **users;
    size_t *user_index;
    long step; /* -1: fixtures */
    struct mc_op ops[MC_OPS_MAX];
    size_t op_count, op_index;
    bool last_positive; /* the last reply was positive (STARTTLS -> TLS) */
    struct mc_step_result *cur;
    struct mc_sasl *sasl;
    struct event *deadline, *advance, *sleep;
    double t0; /* monotonic seconds at start */
    bool failed, finished;
    struct mc_transcript_budget budget; /* what res->transcript may still hold */
};

double mc_now_monotonic(void);
double mc_now_wall(void);

/* run_scenario.c */
struct mc_srun *mc_srun_start(struct mc_runner *rn, struct mc_scenario_result *res,
                              const struct mc_user **users, size_t *user_index);
void mc_srun_free(struct mc_srun *r);
/* Called by the scenario executor when a scenario is over (runner.c). */
void mc_runner_scenario_done(struct mc_runner *rn, struct mc_srun *r);

/* Appends to the scenario's transcript (the sessions' `record` hook). */
void mc_srun_record(void *arg, struct mc_session *s, enum mc_transcript_dir dir, const char *data,
                    size_t len);

/* run_ops.c */
void mc_srun_build_ops(struct mc_srun *r, const struct mc_step *st);
void mc_srun_build_fixture_ops(struct mc_srun *r);
void mc_srun_op_start(struct mc_srun *r);
void mc_srun_session_event(void *arg, struct mc_session *s, enum mc_session_event ev,
                           const char *why);
void mc_srun_op_done(struct mc_srun *r, bool ok, const char *why);
void mc_srun_ops_clear(struct mc_srun *r);

/* probe.c: calls done when every endpoint has answered (or failed) */
void mc_probe_start(struct mc_runner *rn, void (*done)(struct mc_runner *rn));
void mc_probe_free_all(struct mc_runner *rn);

#endif
