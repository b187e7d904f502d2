/*
 * result — what a run found, the model every report is written from.
 *
 * The engine fills it while scenarios run; report_json.c writes it as the JSON report (the
 * source of truth, docs/report-format.md); the other renderings are made from that JSON. The
 * transcript of each scenario keeps every byte each side sent, timestamped and attributed to a
 * session, so that the server's side can be replayed from a report.
 */
#ifndef MC_ENGINE_RESULT_H
#define MC_ENGINE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/scenario.h"
#include "lib/buf.h"
#include "proto/protocol.h"

enum mc_outcome {
    MC_OUTCOME_PASS,
    MC_OUTCOME_FAIL,      /* the server did not do what the RFC requires */
    MC_OUTCOME_SKIP,      /* the target lacks a capability or endpoint the scenario needs */
    MC_OUTCOME_ERROR,     /* the harness could not run it (setup, fixture delivery, ...) */
    MC_OUTCOME_DEVIATION, /* failed, and the target's profile records this as a known deviation */
    MC_OUTCOME_NOT_RUN,   /* a step after a failure, or a scenario an interrupt stopped */
};
#define MC_OUTCOME_COUNT 6

/*
 * Why a scenario could not test the server (outcome error): a problem on the tester's side, or
 * in the set-up between the tester and the server, never a violation. Each has a name in the
 * report (mc_cause_name) and comes with a one-line hint of what to fix (docs/cli.md, OUTCOMES).
 */
enum mc_cause {
    MC_CAUSE_NONE,
    MC_CAUSE_UNREACHABLE,       /* nothing accepts connections there (refused, no route) */
    MC_CAUSE_DNS,               /* the host name does not resolve */
    MC_CAUSE_TLS,               /* the certificate could not be verified */
    MC_CAUSE_PROTOCOL_MISMATCH, /* another protocol, or TLS vs plain text, on that port */
    MC_CAUSE_NO_GREETING,       /* connected, but the server never said a word */
    MC_CAUSE_REFUSED,           /* the server refuses service to this client (its greeting) */
    MC_CAUSE_CREDENTIALS,       /* the profile's user and password were refused */
    MC_CAUSE_RESET,             /* a test user's mailbox could not be emptied */
    MC_CAUSE_USERS,             /* no (usable) test user for the scenario */
    MC_CAUSE_FIXTURES,          /* the scenario's messages could not be delivered */
    MC_CAUSE_SCENARIO,          /* the scenario cannot run as written (a variable never set) */
};
#define MC_CAUSE_COUNT 12

/* A reason the tester could not test: the cause, what happened, and what to fix. */
struct mc_problem {
    enum mc_cause cause; /* MC_CAUSE_NONE: no problem */
    char *why;           /* what happened, with the server's words where it said any */
    char *hint;          /* one line: what to change (profile, URL, option) */
};

enum mc_transcript_dir {
    MC_DIR_CLIENT, /* bytes the harness sent */
    MC_DIR_SERVER, /* bytes the server sent (one line with its line end, or one literal) */
    MC_DIR_EVENT,  /* connect, TLS handshake, close, timeout: text is a description */
};

struct mc_transcript_entry {
    double t;    /* seconds since the scenario started */
    int session; /* index into the scenario's sessions; -1 for the fixture connection */
    enum mc_transcript_dir dir;
    char *data; /* exact bytes (may hold NUL, invalid UTF-8) */
    size_t len;
};

struct mc_step_result {
    int index;   /* into scenario->steps; -1 for implicit steps (fixtures, connect) */
    char *label; /* "send STAT", "login", "connect", "fixtures" */
    int session; /* -1 when none */
    enum mc_outcome outcome;
    double start, duration; /* seconds since scenario start */
    char *sent;             /* what was sent, after substitution (password masked), or NULL */
    char *expected;         /* JSON text of the expectation as written, or NULL */
    char *got;              /* the status line (or last line) that came, or NULL: every
                               byte, escaped as lib/escape.h says ("+OK a\\x00b") */
    char *why;              /* on failure: the explanation; NULL on pass */
    bool soft;              /* the step is soft: its failure did not stop the scenario */
    /* An implicit step (opening a session) cites the protocol's own rule when it fails (the
       greeting, STARTTLS), not the scenario's; NULL: the step's or the scenario's. */
    const struct mc_proto_rule *rule;
    size_t transcript_first; /* transcript entries [first, first+count) belong to this step */
    size_t transcript_count;
};

struct mc_scenario_result {
    const struct mc_scenario *scenario;
    enum mc_outcome outcome;
    char *reason;        /* skip / error / deviation / not_run: why */
    size_t warnings;     /* soft steps below MUST that failed: the outcome ignores them, the
                            report lists them (docs/report-format.md, "warnings") */
    enum mc_cause cause; /* error: whose set-up failed (MC_CAUSE_NONE otherwise) */
    char *hint;          /* error: what to fix, or NULL */
    char *run_id;
    double started;  /* seconds since the epoch */
    double duration; /* seconds */
    char **users;    /* login names given to the scenario */
    size_t user_count;
    /* How each session ran (engine/transport.h), once the scenario started; NULL before. */
    enum mc_tls_mode *session_tls;
    const char **session_adapted; /* why it differs from the scenario's, or NULL */
    struct mc_step_result *steps;
    size_t step_count;
    struct mc_transcript_entry *transcript;
    size_t transcript_count, transcript_cap;
    /* The transcript reached the harness's budget (transcript.c): later bytes were not kept,
       and one event entry says how many. */
    bool transcript_truncated;
    /* The transcript was freed once written (runner.h, keep_transcripts); the steps' ranges
       still describe it. */
    bool transcript_released;
};

/* Capabilities a server announced on one endpoint. */
struct mc_capability_probe {
    char *endpoint;
    const char *protocol;
    char *host;
    int port;
    bool implicit_tls;
    bool auth_required;
    struct mc_strv promised;    /* what the profile promises there */
    struct mc_strv plain;       /* before TLS (or over implicit TLS) */
    struct mc_strv after_tls;   /* after STARTTLS/STLS, empty if not offered */
    struct mc_strv after_login; /* after logging in as the first test user (IMAP announces
                                   UIDPLUS, MOVE ... only then), empty if not possible */
    char *greeting;             /* the greeting line, escaped like a step's `got` */
    char *error;                /* probe failed: why */
    /* What keeps scenarios from using the endpoint, found by the probe: nothing at all
       (connect, greeting), its STARTTLS, or logging in as the first test user. A scenario that
       needs what is broken ends at once as an error with this cause instead of running. */
    struct mc_problem unusable, starttls, login;
    /* TLS as the probe saw it (implicit TLS or after STARTTLS); tls_checked false: no TLS. */
    bool tls_checked;
    bool tls_verified;      /* the certificate chain and name verified */
    char *tls_version;      /* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
    char *tls_subject;      /* the server certificate's subject, one line */
    char *tls_expires;      /* its notAfter, RFC 3339 */
    char *tls_verify_error; /* why it did not verify, or NULL */
    /* The probe's dialogue with the endpoint, every byte as a scenario's transcript keeps it
       (secrets masked, within the same budget), so that a replay can answer the probe too.
       Only the transcript fields of this result are used; its entries have no session (-1). */
    struct mc_scenario_result dialogue;
};

/* A test user the run stopped handing out (its reset or its login failed). */
struct mc_retired_user {
    char *user;
    enum mc_cause cause;
    char *why;
};

/* How a known deviation of the target's profile fared in this run. */
struct mc_deviation_use {
    char *scenario; /* the profile's scenario id or glob */
    char *reason;
    size_t applied; /* failing scenarios it turned into `deviation` */
    size_t passed;  /* scenarios it names that passed: the deviation may be stale */
};

struct mc_run_result {
    const char *tool_version;
    char *target_name;
    char *target_source;
    char *target_domain;      /* the mail domain of its test users */
    double started, finished; /* seconds since the epoch */
    int jobs;
    struct mc_scenario_result *scenarios;
    size_t scenario_count;
    struct mc_capability_probe *probes;
    size_t probe_count;
    char *stopped;   /* why the run stopped before its end (an interrupt, --fail-fast), or NULL */
    int stop_signal; /* the signal that interrupted it, 0 if none */
    struct mc_retired_user *retired;
    size_t retired_count;
    struct mc_deviation_use *deviations;
    size_t deviation_count;
    /* Filled by the command line before the report is written (NULL: not known). */
    char *options_json;       /* the run's options, a JSON object */
    char *scenario_set_json;  /* what was run: {"count", "sha256", "git_revision"} */
    const char *verdict;      /* "pass", "fail", "untested", "interrupted" */
    const char *verdict_text; /* the verdict line */
    int exit_status;
};

const char *mc_outcome_name(enum mc_outcome o); /* "pass", "fail", ... */
const char *mc_cause_name(enum mc_cause c);     /* "unreachable", "dns", ...; NULL for NONE */
/* Sets a problem (the strings are copied); a problem already set is kept: the first cause
   found is the one to fix first. */
void mc_problem_set(struct mc_problem *p, enum mc_cause cause, const char *why, const char *hint);
void mc_problem_clear(struct mc_problem *p);
/* Frees the scenario's transcript entries (once its report part is written). */
void mc_scenario_result_release_transcript(struct mc_scenario_result *r);
/* Whether the endpoint announced `cap` at any point (plain, after TLS, after login). */
bool mc_probe_announces(const struct mc_capability_probe *p, const char *cap);

/* Writes the JSON report (docs/report-format.md) of a whole result held in memory to `path`
   ("-" for stdout), atomically. 0 or -1 with errno-style message in `err`. A run writes its
   report as it goes instead (report.h). */
int mc_report_write_json(const struct mc_run_result *run, const char *path, struct mc_buf *err);

#endif
