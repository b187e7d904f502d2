/*
 * replay_int — what the replay's files share: the recorded dialogues as steps
 * (replay_load.c makes them from the report), the little each protocol has to say
 * (replay_proto.c), loose matching of a client's line (replay_match.c), SCRAM exchanges
 * answered for real (replay_scram.c), and the player (replay.c).
 */
#ifndef RS_REPLAY_INT_H
#define RS_REPLAY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/buf.h"
#include "lib/sasl_server.h"
#include "reference/replay.h"
#include "reference/server.h"

/* A recorded IMAP literal or BDAT chunk may be announced this much larger by a client of
   another run (its messages carry other dates and ids); more is a deviation. Harness limit. */
#define RP_BLOCK_SLACK 4096u
/* No recorded block is larger than a scenario's whole transcript (MC_TRANSCRIPT_BYTES_MAX,
   16 MiB): a client announcing or sending more is deviating, and is stopped at once. */
#define RP_BLOCK_MAX (16u * 1024u * 1024u + RP_BLOCK_SLACK)
/* Client input taken ahead of the recording (pipelined, or sent while another session's turn
   is due): at most this many units and octets wait per connection. Harness limits, like the
   reference server's RS_OUTPUT_HIGH_WATER. */
#define RP_QUEUE_UNITS_MAX 256u
#define RP_QUEUE_BYTES_MAX (1024u * 1024u)
/* What a log line quotes of an expected or received line. */
#define RP_QUOTE_MAX 200u
/* A line of a message inside a block (RFC 5322 2.1.1: 998 octets and CRLF): where the replay
   looks for the client's run_id in a block it does not otherwise compare. */
#define RP_HINT_LINE_MAX 1000u
/* The masks a report writes for secrets (engine/redact.h): matched as "any text". */
#define RP_MASK_PASSWORD "${password"
#define RP_MASK_SASL "[redacted SASL "

/* What each protocol makes the replay know (replay_proto.c). */
struct rp_proto {
    const char *name;
    /* The reference server's module for the protocol: its line limit and idle timeout, each
       named after its RFC, are the replay's. */
    const struct rs_protocol *limits;
    /* The octets of a block announced at the end of a client line (IMAP literal, SMTP BDAT):
       true with their count and where the count's digits are in the line (matched loosely). */
    bool (*block_after)(const char *line, size_t len, size_t *octets, size_t *digits_at,
                        size_t *digits_len);
    /* Whether the block announced at the end of the line waits for the server's go-ahead (a
       synchronizing IMAP literal, RFC 9051 4.3: the server may refuse it instead). */
    bool (*block_waits)(const char *line, size_t len);
    /* For a waiting block, what a server line says: 1 send it, -1 refused (the command is
       answered), 0 neither (untagged data). */
    int (*go_ahead)(const char *line, size_t len);
    /* A server line after which the client sends a message body ending in "." (SMTP 354). */
    bool (*body_follows)(const char *line, size_t len);
    bool tagged; /* IMAP: a command's first word is a tag its replies repeat */
    /* The command that starts a SASL exchange ("AUTH", "AUTHENTICATE"), and the prefix of a
       server challenge ("+ ", "334 "); NULL where the protocol has no SASL. */
    const char *sasl_command;
    const char *challenge_prefix;
    /* The protocol's honest goodbye with a reason (POP3 -ERR, IMAP * BYE, SMTP 421). */
    const char *goodbye_format;
};

const struct rp_proto *rp_proto_find(const char *name);

/* A client line that starts a SASL exchange: its mechanism, and its initial response (NULL
   when it has none; "=" is an empty one), both pointing into the line. */
struct rp_sasl_start {
    const char *mech, *ir;
    size_t mech_len, ir_len;
};
bool rp_proto_sasl_start(const struct rp_proto *proto, const char *line, size_t len,
                         struct rp_sasl_start *out);
/* Whether server bytes are one challenge line (prefix, base64, CRLF): its base64. */
bool rp_proto_challenge(const struct rp_proto *proto, const char *line, size_t len,
                        const char **b64, size_t *b64_len);

enum rp_step_kind {
    RP_CONNECT,      /* a client connects to `endpoint` for `session` */
    RP_TLS,          /* the server starts TLS (STARTTLS / STLS accepted) */
    RP_SEND,         /* the server sends `data` */
    RP_EXPECT_LINE,  /* the client sends the line `data` (line end removed) */
    RP_EXPECT_BLOCK, /* the client sends a block (literal, BDAT chunk, message body) */
    RP_CLOSE,        /* the server closes the connection */
};

/* A step's part in a SCRAM exchange the replay answers for real (replay_scram.c). */
enum rp_sasl_part {
    RP_SASL_NONE,
    RP_SASL_START,    /* EXPECT_LINE: the command that starts it (the step's `scram` is set) */
    RP_SASL_RESPONSE, /* EXPECT_LINE: a client response, fed to the replay's SCRAM server */
    RP_SASL_COMPUTED, /* SEND: a challenge the replay computes (server-first, server-final) */
};

/* What the recording shows of one SCRAM exchange: its mechanism and its server-first-message's
   nonce (the client's part and the server's), salt and iteration count (RFC 5802 section 7). */
struct rp_scram_rec {
    char *mech;
    char *nonce;
    char *salt_b64;
    int iterations;
};

struct rp_step {
    enum rp_step_kind kind;
    enum rp_sasl_part sasl;
    struct rp_scram_rec *scram; /* RP_SASL_START: owned */
    int session;                /* index into the play's sessions */
    size_t entry;               /* the transcript entry it comes from */
    /* SEND: bytes; EXPECT_LINE: the line; EXPECT_BLOCK: the block's first line holding the
       run_id (where the client's run_id is learnt), or NULL */
    char *data;
    size_t len;      /* SEND / EXPECT_LINE: length; EXPECT_BLOCK: the recorded octets */
    size_t hint_len; /* EXPECT_BLOCK: the length of `data` */
    bool bare_lf;    /* EXPECT_LINE: it ended in a lone LF */
    int endpoint;    /* CONNECT: index into the replay's endpoints */
};

/* One recorded dialogue: the probe of an endpoint, or a scenario. */
struct rp_play {
    char *id;        /* "probe of endpoint imap", or the scenario id */
    char *run_id;    /* the scenario's run_id, or NULL */
    char **sessions; /* names: [0] the connection without a session (probe, fixtures) */
    size_t session_count;
    struct rp_step *steps;
    size_t step_count, step_cap;
};

struct rp_endpoint {
    char *name;
    const struct rp_proto *proto;
    bool implicit_tls, auth_required;
    struct mc_strv promised;
    size_t line_max; /* the RFC's, or the longest line the recording holds there */
    int port;
    struct rp_replay *rp;
    struct rs_protocol rs; /* the listener's callbacks (replay.c), with line_max above */
    struct rs_listener_config cfg;
};

struct rp_run;

struct rp_replay {
    char *path;
    char *target_name, *domain;
    struct rp_endpoint *endpoints;
    size_t endpoint_count;
    struct mc_strv users;
    char *deliver;                 /* the endpoint fixtures went to, or NULL */
    struct mc_strv deviation_ids;  /* the profile's known deviations, as the report lists */
    struct mc_strv deviation_whys; /* them, and their reasons */
    struct rp_play *plays;
    size_t play_count;
    struct rp_run *runs; /* one per play, in order */
    struct rs_server *server;
    FILE *log;
    bool stopping;   /* being freed: closing connections is no deviation */
    unsigned passes; /* how many times every play was rewound for a new pass of the client */
};

/* replay_scram.c, when loading: finds the play's SCRAM exchanges that reached a server-first
   and marks their steps; -1 with "where: what" in err for one that cannot be replayed (its
   messages recorded unmasked, a mechanism or parameters the replay's SCRAM server lacks). */
int rp_scram_mark(struct rp_play *pl, const struct rp_endpoint *endpoints, const char *where,
                  struct mc_buf *err);
void rp_scram_rec_free(struct rp_scram_rec *rec);

/* replay_scram.c, when playing: one live exchange, answered by lib/sasl_server.c with the
   recorded salt, iteration count and server nonce part, and the replay's passwords. */
struct rp_scram_live {
    const struct rp_scram_rec *rec; /* NULL: no exchange */
    mc_sasl_password_lookup lookup; /* the replay's passwords */
    void *ctx;
    struct mc_sasl_server *server; /* NULL until the client's first message */
    struct mc_buf challenge;       /* the next computed challenge (base64), if `ready` */
    bool ready;
    struct mc_buf why; /* why there is none: what the client did wrong */
};
/* The command step matched: `ir` is the live initial response (NULL: none). */
void rp_scram_begin(struct rp_scram_live *x, const struct rp_scram_rec *rec, const char *ir,
                    size_t ir_len, mc_sasl_password_lookup lookup, void *ctx);
/* A response step matched: the live line (base64). */
void rp_scram_response(struct rp_scram_live *x, const char *line, size_t len);
/* The computed challenge due now (base64), or false with why the client gets none. */
bool rp_scram_challenge(struct rp_scram_live *x, struct mc_buf *b64, struct mc_buf *why);
void rp_scram_end(struct rp_scram_live *x);

/* replay_load.c */
int rp_load(struct rp_replay *rp, const char *path, struct mc_buf *err);
void rp_plays_free(struct rp_replay *rp);

/* replay_match.c: whether the live line matches the recorded one, loosely. `run_id`: the
   play's recorded run_id (or NULL), `*live_run_id` the value this run of the client uses,
   learnt from the first line that holds it (a buffer of the same length); `tag_from` /
   `tag_to` receive the recorded and live IMAP tags when they differ. */
struct rp_match {
    const struct rp_proto *proto;
    const char *run_id;
    char *live_run_id; /* NULL until learnt (owned by the caller) */
    struct mc_buf tag_from, tag_to;
};
bool rp_match_line(struct rp_match *m, const char *rec, size_t rec_len, const char *live,
                   size_t live_len);
/* Whether `pattern` (masks as "any text") matches `text`. */
bool rp_match_masked(const char *pattern, size_t plen, const char *text, size_t tlen);

#endif
