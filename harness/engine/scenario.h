/*
 * scenario — the in-memory form of one scenario file (format v1, docs/scenario-format.md).
 *
 * The loader (loader.c) turns a JSON file into this model after validating every field, so the
 * engine never meets a malformed scenario: anything wrong is reported at load time with the
 * file, line, column and field. Strings may still hold ${variables}; they are substituted when
 * a step runs, because captures only exist then. Regular expressions are kept as source text
 * (checked for syntax by the loader) and compiled by the matcher after substitution.
 */
#ifndef MC_ENGINE_SCENARIO_H
#define MC_ENGINE_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/protocol.h"

enum mc_level { MC_LEVEL_MUST, MC_LEVEL_SHOULD, MC_LEVEL_MAY };
enum mc_tls_mode { MC_TLS_NONE, MC_TLS_IMPLICIT, MC_TLS_STARTTLS };

struct mc_rfc_ref {
    int rfc;       /* 3501 */
    char *section; /* "6.4.2", may be NULL */
};

struct mc_rfc_refs {
    struct mc_rfc_ref *items;
    size_t count;
};

struct mc_session_spec {
    char *name;                      /* "a", "in", "out" */
    const struct mc_protocol *proto; /* never NULL after loading */
    enum mc_tls_mode tls;
    char *endpoint; /* target endpoint name ("submission"), NULL: chosen by protocol + tls */
    int user;       /* 1-based index into the scenario's users */
    bool tls_given; /* the scenario said "tls": it is about the transport, which stays as
                       written; otherwise the session may run over what the target offers */
};

/* A list of regular expressions (source text, ${vars} allowed). */
struct mc_patterns {
    char **items;
    size_t count;
};

/* "captured": {"name": "regex"}: a variable an earlier step captured must match the regex. A
   variable no step captured matches nothing, so the check also says "it was captured". */
struct mc_captured_check {
    char *name;    /* without ${ } */
    char *pattern; /* regex, searched in the value like every other pattern */
};

/* What a reply must look like. Unset fields check nothing. */
struct mc_expect {
    int ok;            /* -1 unset; 1 positive (+OK, OK, 2xx/3xx); 0 negative */
    char *status;      /* exact status token: "+OK" "-ERR" | "OK" "NO" "BAD" "BYE" ... */
    bool continuation; /* the reply must be a continuation request (+, 3xx) */
    int code;          /* SMTP: exact reply code, 0 unset */
    int code_class;    /* SMTP: 2..5, 0 unset */
    char *enhanced;    /* SMTP: exact enhanced status code "2.1.0", NULL unset */
    char *match;       /* regex the status line must match (named groups capture) */
    char *not_match;   /* regex the status line must not match */
    /* Matchers on reply->data, keyed by the protocol's lines_key ("lines"/"untagged"): */
    struct mc_patterns lines;          /* each matches a distinct line, any order */
    struct mc_patterns lines_in_order; /* each matches a distinct line, in this order */
    struct mc_patterns lines_may;      /* may appear; when given (even empty) the set is closed:
                                          every line must be matched by one of the three lists */
    bool lines_may_given;
    struct mc_patterns lines_none;      /* no line may match any of these */
    struct mc_patterns lines_shared;    /* each matches some line; lines may be shared, with
                                           each other and with `lines`/`lines_in_order` */
    int multiline;                      /* POP3: -1 infer, 0 no, 1 yes (passed to the framer) */
    struct mc_captured_check *captured; /* every one must hold */
    size_t captured_count;
    /* "lines_each": tried on every data line; each named group collects, as a list variable,
       the values of all the lines its pattern matched (relation.h). Such lines also count as
       accounted for by a closed set (lines_may). */
    struct mc_patterns lines_each;
    /* "check": relations between captured values (relation.h), all of which must hold once
       every other check passed; they see this step's own captures and lists. */
    struct mc_patterns checks;
    /* "any_of": besides every check above, at least one of these alternatives must hold (the
       first that does gives its captures). An alternative has no any_of and no multiline. */
    struct mc_expect *any_of;
    size_t any_of_count;
};

enum mc_step_kind {
    MC_STEP_CONNECT,      /* open the session now and check its greeting */
    MC_STEP_SEND,         /* send a line; read the reply */
    MC_STEP_SEND_RAW,     /* send raw bytes (no CRLF added); read the reply if expect given */
    MC_STEP_AWAIT,        /* send nothing; wait until the expected lines have arrived */
    MC_STEP_LOGIN,        /* the protocol's plain login with the session's user */
    MC_STEP_AUTH,         /* SASL authentication with a mechanism */
    MC_STEP_STARTTLS,     /* STLS / STARTTLS, then the TLS handshake */
    MC_STEP_SEND_MESSAGE, /* SMTP: send a generated message after 354, read the reply */
    MC_STEP_DELIVER,      /* put a generated message into a user's mailbox via the target */
    MC_STEP_CLOSE,        /* "quit": send QUIT/LOGOUT and expect the close; "abort": drop */
    MC_STEP_EXPECT_CLOSE, /* the server must close the connection (within the deadline) */
    MC_STEP_WAIT,         /* sleep wait_ms */
};

/* A piece of a raw send: `text` repeated `repeat` times (repeat >= 1). */
struct mc_raw_piece {
    char *text;
    size_t len;
    size_t repeat;
};

/* A message the harness generates (fixtures, deliver, send_message). */
struct mc_message_spec {
    char *subject;  /* default "mailconform ${run_id} #N" */
    char *from;     /* default mailconform@${domain} */
    char *to;       /* default ${address} of the recipient */
    int body_lines; /* generated body lines, default 3 */
    char *body;     /* explicit body (CRLF-separated lines); overrides body_lines */
};

/* "track": {"name": N}: message number N of the step's session, as it stands after the step's
   reply, is followed by the engine through the EXPUNGE responses the session sees and is
   ${name} from then on (engine/track.h). */
struct mc_track {
    char *name;
    unsigned long number; /* 1..MC_TRACK_NUMBER_MAX */
};
/* IMAP's nz-number (RFC 9051 9): the highest message number there can be. */
#define MC_TRACK_NUMBER_MAX 4294967295UL

struct mc_step {
    enum mc_step_kind kind;
    int line, column;         /* where the step object starts in its file */
    int session;              /* index into scenario->sessions; -1 for DELIVER and WAIT */
    char *text;               /* SEND: the line; AUTH: mechanism; CLOSE: "quit" or "abort" */
    bool new_command;         /* SEND: begin a new command (IMAP: new tag); false continues one */
    struct mc_raw_piece *raw; /* SEND_RAW */
    size_t raw_count;
    struct mc_message_spec message; /* SEND_MESSAGE, DELIVER */
    int deliver_user;               /* DELIVER: 1-based user */
    int wait_ms;                    /* WAIT */
    int timeout_ms;                 /* 0: the run's default step deadline */
    bool has_expect;                /* false: the step's default expectation applies */
    struct mc_expect expect;
    char *expect_json;      /* the expect object as written (compact JSON), or NULL */
    struct mc_rfc_refs rfc; /* the step's own citation, else the scenario's */
    int level;              /* -1: the scenario's level */
    char *why;              /* for learners: why this reply is required */
    /* "soft": a reply that came but does not match fails the step and the scenario goes on;
       the failure fails the scenario only at level MUST (docs/decisions.md). */
    bool soft;
    struct mc_track *track; /* "track", in file order */
    size_t track_count;
};

struct mc_scenario {
    char *file; /* path as given */
    char *id;
    int id_line, id_column; /* where the id stands in the file */
    char *title;
    char *description;
    struct mc_rfc_refs rfc;
    enum mc_level level;
    char **tags;
    size_t tag_count;
    char **requires; /* "imap:IDLE", "smtp:STARTTLS", "pop3:UIDL", "endpoint:submission" */
    size_t require_count;
    int users;            /* how many test users the scenario needs (>= 1) */
    int fixture_messages; /* messages delivered to user 1 before the first step */
    struct mc_session_spec *sessions;
    size_t session_count;
    struct mc_step *steps;
    size_t step_count;
};

const char *mc_level_name(enum mc_level level);
const char *mc_tls_mode_name(enum mc_tls_mode mode);
const char *mc_step_kind_name(enum mc_step_kind kind);
void mc_scenario_free(struct mc_scenario *s);
/* Whether the scenario has a step of kind `k` on session `session`. */
bool mc_scenario_session_has(const struct mc_scenario *sc, size_t session, enum mc_step_kind k);
/* Frees what an expectation holds (its alternatives too), not e itself. */
void mc_expect_free(struct mc_expect *e);

#endif
