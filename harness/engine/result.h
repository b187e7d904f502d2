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

enum mc_outcome {
    MC_OUTCOME_PASS,
    MC_OUTCOME_FAIL,      /* the server did not do what the RFC requires */
    MC_OUTCOME_SKIP,      /* the target lacks a capability or endpoint the scenario needs */
    MC_OUTCOME_ERROR,     /* the harness could not run it (setup, fixture delivery, ...) */
    MC_OUTCOME_DEVIATION, /* failed, and the target's profile records this as a known deviation */
    MC_OUTCOME_NOT_RUN,   /* a step after a failure */
};
#define MC_OUTCOME_COUNT 6

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
    double start, duration;  /* seconds since scenario start */
    char *sent;              /* what was sent, after substitution (password masked), or NULL */
    char *expected;          /* JSON text of the expectation as written, or NULL */
    char *got;               /* the status line (or last line) that came, or NULL */
    char *why;               /* on failure: the explanation; NULL on pass */
    size_t transcript_first; /* transcript entries [first, first+count) belong to this step */
    size_t transcript_count;
};

struct mc_scenario_result {
    const struct mc_scenario *scenario;
    enum mc_outcome outcome;
    char *reason; /* skip / error / deviation: why */
    char *run_id;
    double started;  /* seconds since the epoch */
    double duration; /* seconds */
    char **users;    /* login names given to the scenario */
    size_t user_count;
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
    struct mc_strv plain;       /* before TLS (or over implicit TLS) */
    struct mc_strv after_tls;   /* after STARTTLS/STLS, empty if not offered */
    struct mc_strv after_login; /* after logging in as the first test user (IMAP announces
                                   UIDPLUS, MOVE ... only then), empty if not possible */
    char *greeting;             /* the greeting line */
    char *error;                /* probe failed: why */
};

struct mc_run_result {
    const char *tool_version;
    char *target_name;
    char *target_source;
    double started, finished; /* seconds since the epoch */
    int jobs;
    struct mc_scenario_result *scenarios;
    size_t scenario_count;
    struct mc_capability_probe *probes;
    size_t probe_count;
};

const char *mc_outcome_name(enum mc_outcome o); /* "pass", "fail", ... */
/* Frees the scenario's transcript entries (once its report part is written). */
void mc_scenario_result_release_transcript(struct mc_scenario_result *r);
/* Whether the endpoint announced `cap` at any point (plain, after TLS, after login). */
bool mc_probe_announces(const struct mc_capability_probe *p, const char *cap);

/* Writes the JSON report (docs/report-format.md) of a whole result held in memory to `path`
   ("-" for stdout), atomically. 0 or -1 with errno-style message in `err`. A run writes its
   report as it goes instead (report.h). */
int mc_report_write_json(const struct mc_run_result *run, const char *path, struct mc_buf *err);

#endif
