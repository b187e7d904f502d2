/*
 * protocol — what the engine may know about a mail protocol, and nothing more.
 *
 * Each protocol (pop3.c, imap.c, smtp.c; lmtp shares smtp.c) fills one `struct mc_protocol`: how
 * a command goes on the wire, when the reply that follows it is complete, what its status is,
 * and the short dialogues every scenario needs (log in, start TLS, authenticate, quit, ask for
 * capabilities, hand over a message). The engine drives sessions only through this table, so it
 * never names a protocol; adding one (ManageSieve, say) is one new file and one line in
 * registry.c. The table also lists the ways to reach the protocol (`struct mc_scheme`: URL
 * scheme, default port, TLS mode), so that target URLs, endpoint names, the embedded server's
 * listeners and every message that lists protocols or schemes come from the registry.
 *
 * Framing is resumable and line-based: the engine cuts the byte stream into lines (without the
 * CRLF) and hands each to `feed_line`; a protocol that announces a literal (IMAP `{n}`) asks for
 * exactly n raw bytes next, which arrive through `feed_literal`. A reply is therefore assembled
 * however the bytes are split across reads, and every size is bounded by the limits below.
 */
#ifndef MC_PROTO_PROTOCOL_H
#define MC_PROTO_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* What started the reply being read. */
enum mc_exchange {
    MC_EX_GREETING, /* the server speaks first after connect (or after implicit TLS) */
    MC_EX_COMMAND,  /* a new command was sent (IMAP: with a fresh tag) */
    MC_EX_CONTINUE, /* more data for the command in progress (IMAP literal, SASL response, DONE) */
    MC_EX_DATA,     /* SMTP: the message content after 354, ended by "." */
};

enum mc_reply_kind {
    MC_REPLY_FINAL,        /* the command is complete: +OK/-ERR, tagged OK/NO/BAD, 2xx/4xx/5xx */
    MC_REPLY_CONTINUATION, /* the server waits for more: IMAP/POP3 "+ ...", SMTP 3xx */
};

/* One complete reply, as the protocol understood it. */
struct mc_reply {
    enum mc_reply_kind kind;
    char status[16];        /* "+OK" "-ERR" "+" | "OK" "NO" "BAD" "PREAUTH" "BYE" "+" | "250" */
    int code;               /* SMTP/LMTP reply code; 0 for POP3 and IMAP */
    char enhanced[16];      /* SMTP enhanced status code (RFC 3463) of the last line, "" if none */
    char *status_line;      /* the line that carries the status: POP3 first line, IMAP tagged (or
                               continuation, or greeting) line, SMTP last line; after
                               MC_FRAME_ERROR for a line's octets, that line */
    size_t status_line_len; /* its length: the octets after a NUL belong to it too */
    char *text;           /* status_line without its status token (and tag): the human text, or the
                             base64 challenge of a continuation */
    struct mc_strv lines; /* every line of the reply in arrival order, CRLF stripped; an IMAP
                             literal is kept inside its line as "{n}\r\n<n bytes>" */
    struct mc_strv data;  /* the lines scenario matchers look at ("lines"/"untagged" keys):
                             SMTP: text of each line after "ddd-"; POP3: body lines after the
                             status line, dot-unstuffed; IMAP: untagged lines, literals inline.
                             Views into `lines` (each line is stored once) */
    struct mc_strv literals; /* IMAP: the payload of each literal, in order: views into its
                                line in `lines`, not NUL-terminated (use len) */
    bool positive;           /* the protocol's idea of success: +OK, OK/PREAUTH, 2xx/3xx */
    char *violation;         /* non-NULL: the reply broke the protocol (why, with RFC section);
                                set together with MC_FRAME_ERROR */
};

void mc_reply_reset(struct mc_reply *r); /* frees contents, zeroes */

enum mc_frame {
    MC_FRAME_MORE,    /* the reply goes on: feed the next line */
    MC_FRAME_LITERAL, /* feed exactly *literal_len raw bytes next (IMAP literal) */
    MC_FRAME_DONE,    /* the reply is complete (kind, status etc. are set) */
    MC_FRAME_ERROR,   /* the peer broke framing; r->violation says how; stop reading */
};

/* A requirement of the protocol itself, cited when an implicit step breaks it. */
struct mc_proto_rule {
    int rfc;
    const char *section;
};

/* What emptying an account needs next (see empty_step). */
enum mc_empty {
    MC_EMPTY_MORE,
    MC_EMPTY_DONE,
    MC_EMPTY_FAILED,    /* the dialogue could not go on (`why`) */
    MC_EMPTY_NOT_EMPTY, /* check_only: the account holds something (`why` says what) */
};
struct mc_account_emptier;

/* Per-session protocol state (IMAP tags, POP3 "is this reply multi-line", ...). */
struct mc_proto_state;

/* Options of one exchange that a scenario may set. */
struct mc_exchange_opts {
    int multiline; /* POP3: -1 infer from the command, 0 single line, 1 multi-line body */
    bool raw;      /* `line` is sent exactly as given (no tag, no CRLF added). For COMMAND,
                      IMAP takes its first word as the tag whose completion ends the reply;
                      for CONTINUE the command in progress goes on (bytes of a literal) */
};

/*
 * One way to reach a protocol: a URL scheme ("imaps://"), which is also the name an endpoint of
 * that kind gets (in a target built from URLs, among the embedded server's listeners), its
 * default port, and what that port implies. The ports and their RFCs are named in the
 * protocol's .c file.
 */
struct mc_scheme {
    const char *name;   /* "imaps"; NULL ends a protocol's list */
    uint16_t port;      /* 993: the default (IANA) port */
    bool implicit_tls;  /* TLS from the first byte (RFC 8314 3); otherwise plain, STARTTLS
                           may be negotiated on it */
    bool auth_required; /* mail is taken only after AUTH (submission, RFC 6409 4.3) */
};

struct mc_protocol {
    const char *name; /* "pop3" */
    /* How the protocol is reached, ended by {NULL}. The first scheme without implicit TLS is
       named like the protocol ("pop3"); the first scheme of each TLS mode is the protocol's
       own (mc_protocol_scheme), preferred when a target offers several endpoints. */
    const struct mc_scheme *schemes;
    size_t line_max;       /* longest reply line accepted, CRLF included (with its RFC, in
                              the .c file); longer is a violation */
    const char *lines_key; /* expect key prefix for reply->data: "lines" or "untagged" */
    /* Whether a positive reply has a body depends on the command, not on the reply itself
       (POP3, RFC 1939 3): the framer guesses from the command, and a scenario may say
       (expect.multiline). */
    bool multiline_by_command;
    const char *const *status_words; /* valid values of expect.status, NULL-terminated */
    /* Replies carry a three-digit code, and perhaps an enhanced status code (SMTP, RFC 5321
       4.2; RFC 3463): a scenario may expect "code", "class" and "enhanced". */
    bool reply_codes;
    /* Message numbers shift within a session (IMAP, RFC 9051 7.5.1): true when the data line
       `line` removes message `*number`, and every later message moves down by one. NULL: the
       protocol's numbers never shift while a session lasts (POP3 keeps them until QUIT), so a
       scenario cannot "track" messages there. */
    bool (*expunged)(const char *line, size_t len, unsigned long *number);

    struct mc_proto_state *(*state_new)(void);
    void (*state_free)(struct mc_proto_state *st);

    /*
     * Begin an exchange: write what goes on the wire into `wire` (for COMMAND and CONTINUE the
     * line plus CRLF, IMAP adding a fresh tag for COMMAND; for GREETING nothing; for DATA the
     * message dot-stuffed with its final ".") and prepare the framer for the reply.
     * `line` is NULL for GREETING.
     */
    void (*begin)(struct mc_proto_state *st, enum mc_exchange ex, const char *line, size_t len,
                  const struct mc_exchange_opts *opts, struct mc_buf *wire);

    /* Feed one reply line (CRLF stripped; `len` excludes it). */
    enum mc_frame (*feed_line)(struct mc_proto_state *st, const char *line, size_t len,
                               struct mc_reply *r, size_t *literal_len);
    /* Feed the raw bytes of a literal announced by MC_FRAME_LITERAL. */
    enum mc_frame (*feed_literal)(struct mc_proto_state *st, const char *data, size_t len,
                                  struct mc_reply *r);

    /* The tag of the command in progress ("A0003"), or NULL for untagged protocols. */
    const char *(*current_tag)(const struct mc_proto_state *st);
    /* Appends the tag the next new command will carry ("A0004"); NULL for untagged protocols.
       (A scenario's ${tag} names it before the command is written.) */
    void (*next_tag)(const struct mc_proto_state *st, struct mc_buf *out);

    /* --- the short dialogues every scenario needs --- */

    /* Command that asks for capabilities ("CAPA"), and how to read them out of its reply into
       upper-cased names ("STLS", "SASL PLAIN LOGIN" -> "SASL", "SASL=PLAIN", ...). */
    const char *capability_command;
    void (*capabilities)(const struct mc_reply *r, struct mc_strv *out);
    /* Capabilities carried by the greeting itself (IMAP "* OK [CAPABILITY ...]"); may be NULL. */
    void (*greeting_capabilities)(const struct mc_reply *r, struct mc_strv *out);

    const char *starttls_command; /* "STLS", "STARTTLS"; NULL if none */
    /* Whether `r`, a positive final reply to starttls_command, starts the TLS negotiation:
       SMTP only with 220 (RFC 3207 4), POP3 with +OK (RFC 2595 4), IMAP with a tagged OK
       (RFC 3501 6.2.1). When it does not ("250 ok" to STARTTLS) no handshake may be attempted,
       and `why` (may be NULL) gets a sentence saying what came and which reply the RFC wants. */
    bool (*starttls_ready)(const struct mc_reply *r, struct mc_buf *why);
    const char *quit_command; /* "QUIT", "LOGOUT" */
    /* The commands of a plain login with user and password, in order (POP3: USER, PASS;
       IMAP: LOGIN with quoted strings; SMTP: EHLO then AUTH PLAIN). Each must get a positive
       final reply. */
    void (*login_commands)(const char *user, const char *password, struct mc_strv *out);
    /* How the password stands in those commands when not as itself, for keeping it out of
       reports (engine/redact.h): `as_password` gets forms that are the password written
       another way (IMAP's quoted string escapes " and \\, RFC 9051 4.3), `encoded` forms that
       carry it among other things (SMTP's AUTH PLAIN response, RFC 4616). NULL: only as
       itself. */
    void (*secret_forms)(const char *user, const char *password, struct mc_strv *as_password,
                         struct mc_strv *encoded);
    /* SASL: the command that starts mechanism `mech`, with an initial response (base64, ""
       for an empty one) when `initial` is non-NULL and the protocol carries one. */
    void (*auth_command)(const char *mech, const char *initial, struct mc_buf *out);
    bool auth_initial_response; /* true when auth_command can carry an initial response */
    /* Capability that must be advertised before an initial response may be sent (IMAP:
       "SASL-IR", RFC 4959); NULL when the protocol always allows it. */
    const char *auth_ir_capability;
    /* How a client cancels a SASL exchange ("*"). */
    const char *auth_cancel;

    /* The rules an implicit step checks: the greeting (RFC 1939 4, RFC 9051 7.1, RFC 5321 4.2)
       and the STARTTLS exchange (RFC 2595 4, RFC 9051 6.2.1, RFC 3207 4). */
    struct mc_proto_rule greeting_rule, starttls_rule;

    /* --- telling the tester's problems from the server's --- */

    /* Whether a first line from the server looks like this protocol's greeting at all (not
       whether it is correct): "+OK"/"-ERR", "* OK"/"* PREAUTH"/"* BYE", "220 "/"554 ". The
       probe asks every protocol, so that IMAP scenarios aimed at an SMTP port are reported as
       a protocol mismatch rather than as broken IMAP. */
    bool (*greeting_is_mine)(const char *line, size_t len);
    /* The connection closed while `r` was still incomplete: whether what came is the server's
       answer all the same, and if so `r` is completed with it (IMAP: an untagged BYE as the
       last line, RFC 9051 7.1.5 "the server is about to close the connection", becomes the
       status line, status "BYE"), so that the step is judged on it and shows it. NULL, or
       false: the reply stays broken by the close. */
    bool (*closing_reply)(struct mc_reply *r);
    /* Whether a negative reply to a login (USER/PASS, LOGIN, AUTH) says the credentials were
       wrong (POP3 "-ERR [AUTH]", IMAP "NO [AUTHENTICATIONFAILED]", SMTP 535), as opposed to a
       refusal for another reason (TLS required, mailbox locked, mechanism unsupported). */
    bool (*credentials_refused)(const struct mc_reply *r);
    /* Whether, from what the endpoint announced before and after STARTTLS, logging in needs
       TLS first (IMAP LOGINDISABLED, RFC 9051 6.2.3; SMTP AUTH only after STARTTLS; POP3 USER
       and SASL only after STLS). A session that is not about the transport then upgrades. */
    bool (*login_needs_tls)(const struct mc_strv *plain, const struct mc_strv *after_tls);
    /* Putting a message into the logged-in user's mailbox over this protocol, for fixtures when
       the target has no SMTP/LMTP endpoint: the command that announces `size` octets of
       message as a literal ("APPEND INBOX {size}"), answered by a continuation; the message
       and CRLF follow. NULL: the protocol cannot. */
    void (*store_command)(size_t size, struct mc_buf *out);

    /* --- emptying a disposable test account (docs/target-format.md, disposable_users) ---
       After logging in, the engine asks the protocol for commands: `empty_step` is called
       first with r NULL, then with the reply to each command it asked for, in the order asked;
       it appends the commands to send next to `next` and says whether it is done, wants
       more replies, or cannot go on (`why`). The engine then says goodbye (quit_command) and
       waits for the close, so that deletions the protocol applies at the end (POP3 UPDATE)
       are made. NULL slots: the protocol cannot empty an account. With `check_only`, nothing
       is deleted: the dialogue only looks, and fails (saying what it found) when the account
       is not empty. */
    struct mc_account_emptier *(*empty_begin)(bool check_only);
    enum mc_empty (*empty_step)(struct mc_account_emptier *st, const struct mc_reply *r,
                                struct mc_strv *next, struct mc_buf *why);
    void (*empty_end)(struct mc_account_emptier *st);
    bool empty_all_folders; /* the dialogue empties every folder, not only the inbox */
    bool empty_at_quit;     /* deletions are made at quit, whose reply confirms them (POP3) */

    /* SMTP family only (NULL elsewhere): the hello verb ("EHLO", "LHLO"). */
    const char *hello_verb;
    /* SMTP family only: the commands that hand a message from `from` to `to` up to the
       message content: hello, MAIL, RCPT, DATA. All but the last must get a positive final
       reply; the last a continuation (354), after which the content goes as MC_EX_DATA. */
    void (*delivery_commands)(const char *helo_name, const char *from, const char *to,
                              struct mc_strv *out);
};

/* The registry: every protocol the harness speaks. */
const struct mc_protocol *mc_protocol_find(const char *name);
/* The first protocol (in registry order) whose greeting `line` looks like, or NULL. */
const struct mc_protocol *mc_protocol_guess_greeting(const char *line, size_t len);
/* The names of every protocol, NULL-terminated, in registry order. */
const char *const *mc_protocol_names(void);
/* Appends the names of the protocols for which `fits` holds (every protocol when `fits` is
   NULL) in registry order, separated by `sep` and the last two by `last_sep`: with ", " and
   " or ", "pop3, imap, smtp or lmtp". Appends nothing when none fits. */
void mc_protocol_list(struct mc_buf *out, bool (*fits)(const struct mc_protocol *p),
                      const char *sep, const char *last_sep);

/* The schemes of every protocol, protocols in registry order, each protocol's schemes in the
   order of its table: the i-th one, and its protocol in *proto (when proto is non-NULL); NULL
   after the last. */
const struct mc_scheme *mc_scheme_at(size_t i, const struct mc_protocol **proto);
/* The scheme named by the `len` bytes at `name` (case-sensitive), and its protocol; NULL if
   no protocol has it. */
const struct mc_scheme *mc_scheme_find(const char *name, size_t len,
                                       const struct mc_protocol **proto);
/* Appends every scheme name followed by `suffix` ("://"), like mc_protocol_list. */
void mc_scheme_list(struct mc_buf *out, const char *suffix, const char *sep, const char *last_sep);
/* The protocol's own scheme with (or without) implicit TLS: the first of its table in that TLS
   mode; NULL when it has none (LMTP has no implicit-TLS port). */
const struct mc_scheme *mc_protocol_scheme(const struct mc_protocol *p, bool implicit_tls);

extern const struct mc_protocol mc_proto_pop3;
extern const struct mc_protocol mc_proto_imap;
extern const struct mc_protocol mc_proto_smtp;
extern const struct mc_protocol mc_proto_lmtp;

#endif
