/*
 * run_internal — what the runner, the scenario executor and the probe share. Not for use
 * outside harness/engine/run_*.c and probe.c.
 */
#ifndef MC_ENGINE_RUN_INTERNAL_H
#define MC_ENGINE_RUN_INTERNAL_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "engine/redact.h"
#include "engine/result.h"
#include "engine/runner.h"
#include "engine/session.h"
#include "engine/track.h"
#include "engine/transcript.h"
#include "lib/base64.h"
#include "lib/sasl.h"

struct mc_runner {
    struct event_base *base;
    SSL_CTX *tls_ctx;
    const struct mc_run_options *opts;
    const struct mc_target *target;
    struct mc_run_result *result;
    bool *user_busy;     /* per target user: given to a running scenario */
    bool *user_verified; /* per target user: logged in with the profile's password this run */
    bool *user_retired;  /* per target user: not handed out again (reset or login failed) */
    size_t next;         /* next scenario of the plan to consider */
    size_t *retry;       /* scenarios sent back to wait for other users (a reset failed) */
    size_t retry_count;
    size_t running, done, total; /* running: resetting users or executing */
    struct mc_pending *pending;  /* scenarios whose users are being reset */
    struct mc_srun **active;     /* scenarios executing (at most jobs) */
    size_t active_count;
    bool stopping;         /* mc_run_stop was called: nothing starts any more */
    bool clean_checks_off; /* looking into accounts failed once: not tried again */
    struct event *stop_timer;
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
    MC_CHECK_LITERAL,      /* a line ending in an IMAP literal's "{n}": a continuation request
                              lets the next piece go; a final reply ends the step, judged like
                              MC_CHECK_STEP */
};

enum mc_op_kind {
    MC_OP_CONNECT,      /* open the session; the greeting is the reply */
    MC_OP_EXCHANGE,     /* send `text` as ex; read the reply */
    MC_OP_RAW,          /* send raw bytes; read a reply if `read_reply` */
    MC_OP_TLS,          /* handshake over the open connection, if the last reply was positive;
                           a positive reply that does not start TLS (starttls_ready) fails */
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
    char *label;  /* for messages about a non-final op: "login: USER mc01" */
    bool login;   /* logs in with the profile's credentials (a refusal may be the profile's) */
    bool fixture; /* puts a scenario's message in place: a failure is the set-up's, not a
                     violation of what the scenario tests */
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
    long step;    /* -1: fixtures */
    bool in_open; /* the current step result is the implicit opening of step `step`'s session */
    struct mc_op ops[MC_OPS_MAX];
    size_t op_count, op_index;
    bool last_positive; /* the last reply was positive (STARTTLS -> TLS) */
    struct mc_step_result *cur;
    struct mc_sasl *sasl;
    struct mc_redactor *redact; /* the secrets kept out of the transcript; NULL: keep them */
    struct event *deadline, *advance, *sleep;
    double t0; /* monotonic seconds at start */
    bool failed, finished;
    struct mc_tracker *tracker;         /* messages the steps named with "track" */
    bool mismatch;                      /* the op failed on a reply that came, whole, and did not
                                           match: a soft step may go on after that, not after a
                                           timeout or a broken connection */
    bool soft_must_failed;              /* a soft step at level MUST failed: the scenario fails */
    struct mc_transcript_budget budget; /* what res->transcript may still hold */
};

double mc_now_monotonic(void);
double mc_now_wall(void);

/* run_scenario.c */
struct mc_srun *mc_srun_start(struct mc_runner *rn, struct mc_scenario_result *res,
                              const struct mc_user **users, size_t *user_index);
void mc_srun_free(struct mc_srun *r);
/* Ends a running scenario now: the step in progress and those after it are not_run, and so is
   the scenario, with `reason` (an interrupt). */
void mc_srun_abort(struct mc_srun *r, const char *reason);
/* Called by the scenario executor when a scenario is over (runner.c). */
void mc_runner_scenario_done(struct mc_runner *rn, struct mc_srun *r);
void mc_runner_active_add(struct mc_runner *rn, struct mc_srun *r);
void mc_runner_active_remove(struct mc_runner *rn, struct mc_srun *r);
/* Stops handing out a test user for the rest of the run (its reset or its login failed). */
void mc_runner_retire_user(struct mc_runner *rn, size_t user, enum mc_cause cause, const char *why);

/* Appends to the scenario's transcript (the sessions' `record` hook). */
void mc_srun_record(void *arg, struct mc_session *s, enum mc_transcript_dir dir, const char *data,
                    size_t len);

/* run_ops.c */
void mc_srun_build_ops(struct mc_srun *r, const struct mc_step *st);
/* A step on a session not yet open first runs an implicit step of its own that opens it
   (connect, greeting, STARTTLS when the session asks for it), so that a failure there is
   blamed on opening the session, not on a command that was never sent. */
bool mc_srun_needs_open(const struct mc_srun *r, const struct mc_step *st);
void mc_srun_build_open_ops(struct mc_srun *r, const struct mc_step *st);
void mc_srun_build_fixture_ops(struct mc_srun *r);
void mc_srun_op_start(struct mc_srun *r);
void mc_srun_session_event(void *arg, struct mc_session *s, enum mc_session_event ev,
                           const char *why);
void mc_srun_op_done(struct mc_srun *r, bool ok, const char *why);
/* The op could not test the server: a problem of the set-up (cause, what to fix). The step
   and the scenario end as error. */
void mc_srun_op_error(struct mc_srun *r, enum mc_cause cause, const char *why, const char *hint);
void mc_srun_ops_clear(struct mc_srun *r);
/* Follows the messages named with "track" through the reply `s` just completed (track.h). */
void mc_srun_track_reply(struct mc_srun *r, struct mc_session *s);

/* reset.c: empties the given users' mailboxes one after the other (the target's way: an
   in-process reset, a command, or over the protocol), then calls `done` from a fresh event
   with the index of the user that failed (-1: all done). The job is the caller's to free,
   after `done` or to abandon it. */
struct mc_reset_outcome {
    int failed;          /* index into the users given, -1 when every reset succeeded */
    enum mc_cause cause; /* MC_CAUSE_RESET (or CREDENTIALS when a protocol login failed) */
    char *why;
};
typedef void (*mc_reset_done)(void *arg, const struct mc_reset_outcome *o);
struct mc_reset_job;
/* `need_clean`: the scenario logs in or delivers; on a target with no way to empty accounts,
   each user's account is then looked into, and one that is not empty fails like a reset. */
struct mc_reset_job *mc_reset_start(struct mc_runner *rn, const struct mc_user **users,
                                    size_t count, bool need_clean, mc_reset_done done, void *arg);
void mc_reset_free(struct mc_reset_job *j);

/* reset_account.c: empties one disposable account over the protocol (IMAP, else POP3) */
struct mc_account_reset;
bool mc_account_reset_possible(const struct mc_runner *rn);
struct mc_account_reset *
mc_account_reset_start(struct mc_runner *rn, const struct mc_user *u, bool check_only,
                       void (*done)(void *arg, bool ok, enum mc_cause cause, const char *why),
                       void *arg);
void mc_account_reset_free(struct mc_account_reset *a);

/* probe.c: calls done when every endpoint has answered (or failed) */
void mc_probe_start(struct mc_runner *rn, void (*done)(struct mc_runner *rn));
void mc_probe_free_all(struct mc_runner *rn);
/* What the probe found for an endpoint (NULL if it was not probed). */
const struct mc_capability_probe *mc_probe_of(const struct mc_runner *rn,
                                              const struct mc_endpoint *ep);

#endif
