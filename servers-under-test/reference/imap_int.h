/*
 * imap_int — what the files of the reference IMAP server share and nobody else may see
 * (prefix imap_): the session, the command being run, and the response helpers.
 *
 *   imap.c          the session: assembling a command from lines and literals, the command
 *                   table and its state rules, responses, IDLE
 *   imap_view.c     the selected mailbox as the session sees it: sync, message sets, flag
 *                   responses, leaving it, CONDSTORE
 *   imap_auth.c     STARTTLS, LOGIN, AUTHENTICATE (SASL), and what any state allows
 *                   (CAPABILITY, NOOP, LOGOUT, ID, ENABLE, NAMESPACE)
 *   imap_mailbox.c  SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS,
 *                   CHECK, CLOSE, UNSELECT; mailbox names on the wire
 *   imap_list.c     LIST (with the RFC 5258 extended forms IMAP4rev2 requires) and LSUB
 *   imap_message.c  APPEND, STORE, COPY, MOVE, EXPUNGE, SEARCH (and their UID forms)
 *   imap_fetch.c    FETCH and UID FETCH
 * with imap_parse (grammar), imap_utf7 (names), imap_body (ENVELOPE, BODYSTRUCTURE, sections)
 * and imap_search (SEARCH programs) as helpers that know nothing of sessions.
 */
#ifndef RS_IMAP_INT_H
#define RS_IMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "reference/imap_parse.h"
#include "reference/mailstore.h"
#include "reference/server.h"

/* RFC 7162 4: servers should accept command lines of at least 8192 octets (literals not
   counted). Also what the server core buffers of one line at most. */
#define IMAP_LINE_MAX 8192
/* The largest literal accepted, announced as APPENDLIMIT (RFC 7889): a message the mailstore
   can hold. A larger synchronizing literal is refused before the client sends it
   ("NO [TOOBIG]"); a larger non-synchronizing one ends the session (RFC 7888 4). */
#define IMAP_LITERAL_MAX MS_MESSAGE_SIZE_MAX
/* Before login a client has no business sending big literals (LOGIN's arguments are small):
   what an unauthenticated connection can make the server hold (harness limit). */
#define IMAP_PREAUTH_LITERAL_MAX IMAP_LINE_MAX
/* Everything one command may make the server hold: lines and literals together. */
#define IMAP_COMMAND_MAX (IMAP_LITERAL_MAX + 64u * 1024)
/* Literals in one command (harness limit; MULTIAPPEND is not offered, so few are needed). */
#define IMAP_LITERALS_MAX 64
/* RFC 9051 5.4: an autologout timer of at least 30 minutes. */
#define IMAP_IDLE_TIMEOUT_S (30 * 60 + 60)

enum imap_state {
    IMAP_NOT_AUTHENTICATED = 1u << 0,
    IMAP_AUTHENTICATED = 1u << 1,
    IMAP_SELECTED = 1u << 2,
    IMAP_LOGOUT = 1u << 3,
};
#define IMAP_ANY_STATE (IMAP_NOT_AUTHENTICATED | IMAP_AUTHENTICATED | IMAP_SELECTED)
#define IMAP_AUTHED_STATE (IMAP_AUTHENTICATED | IMAP_SELECTED)

enum imap_mode {
    IMAP_MODE_COMMAND, /* lines (and literals) make up commands */
    IMAP_MODE_LITERAL, /* octets of a literal are being read */
    IMAP_MODE_AUTH,    /* AUTHENTICATE: lines are SASL responses */
    IMAP_MODE_IDLE,    /* IDLE: the only line expected is DONE */
};

struct mc_sasl_server;
struct event;

struct imap {
    struct rs_session *s;
    enum imap_state state;
    enum imap_mode mode;
    /* The command being assembled: lines and literals as they came, CRLF after each literal
       announcement kept, the final CRLF not. */
    struct mc_buf cmd;
    size_t literals;     /* literals in it so far */
    bool cmd_discarding; /* over IMAP_COMMAND_MAX: read to its end, then BAD */
    bool cmd_answered;   /* ... and its BAD was sent already (a line over IMAP_LINE_MAX) */
    /* Options (ENABLE, RFC 5161). */
    bool rev2;        /* IMAP4rev2 (RFC 9051) */
    bool utf8_accept; /* UTF8=ACCEPT (RFC 6855), implied by IMAP4rev2 */
    bool condstore;   /* CONDSTORE (RFC 7162 3.1): FETCH responses carry MODSEQ */
    /* Authenticated and selected state. */
    struct ms_user *user;
    struct ms_view *view;    /* the selected mailbox */
    bool read_only;          /* EXAMINE */
    uint32_t known_recent;   /* the RECENT count last reported (rev1) */
    struct ms_uidlist saved; /* "$": UIDs SEARCH RETURN (SAVE) kept (RFC 5182), ascending */
    /* The command in progress when it outlives one line (AUTHENTICATE, IDLE). */
    char pending_tag[IMAP_TAG_MAX + 1];
    struct mc_sasl_server *sasl;
    struct event *idle_wake; /* activated by the mailstore's notify during IDLE */
    /* While a command that forbids EXPUNGE responses runs (RFC 3501 7.4.1). */
    bool defer_expunge;
};

/* The command being run. */
struct imap_cmd {
    const char *tag;
    const char *name;       /* upper-case, "UID " removed: "FETCH" */
    struct imap_parser *ps; /* just after the command name */
    bool uid;               /* the UID form */
};

/* A buffer's text, "" when nothing was ever appended. */
static inline const char *imap_str(const struct mc_buf *b)
{
    return b->data ? b->data : "";
}

/* ---- responses (imap.c) ---- */
/* One line, CRLF added ("* 3 EXISTS", "+ Ready"). */
void imap_send(struct imap *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Octets as they are (a FETCH response with literals, the CRLF included by the caller). */
void imap_send_raw(struct imap *im, const void *data, size_t len);
/* Completion: sync the selected mailbox (untagged EXPUNGE/EXISTS/FETCH may come first, RFC
   3501 5.2), then "tag OK text" / "tag NO text". text may start with "[CODE] ". */
void imap_ok(struct imap *im, const struct imap_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imap_no(struct imap *im, const struct imap_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "tag BAD text", no sync (the command was not understood). */
void imap_bad(struct imap *im, const struct imap_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* BAD with the parser's error, or a generic one. */
void imap_bad_syntax(struct imap *im, const struct imap_cmd *c);
/* The mailstore's answer to a failed operation, as a tagged NO with a response code. */
void imap_no_status(struct imap *im, const struct imap_cmd *c, enum ms_status st, const char *what);
/* The command's arguments must end here; else BAD and false. */
bool imap_expect_end(struct imap *im, const struct imap_cmd *c);

/* ---- the selected mailbox (imap_view.c) ---- */
/* Reports what changed in the selected mailbox since the last sync (untagged EXPUNGE, EXISTS,
   RECENT, FETCH FLAGS); expunges are held back while im->defer_expunge. Ends the session with
   BYE when the mailbox is gone (deleted or re-created under it). */
void imap_sync(struct imap *im);
/* A CONDSTORE enabling command ran (RFC 7162 3.1): from now on FETCH responses carry MODSEQ;
   the first time, with a mailbox selected, its HIGHESTMODSEQ is sent. */
void imap_condstore_enable(struct imap *im);
/* Leaves the selected state (CLOSE, UNSELECT, SELECT of another mailbox, LOGOUT). */
void imap_deselect(struct imap *im);
/* The UIDs the set names in the selected mailbox (sequence numbers or, for the UID form, UIDs;
   "$" the saved search result), ascending. false (after answering BAD) for a sequence number
   beyond the mailbox. */
bool imap_set_uids(struct imap *im, struct imap_cmd *c, const struct imap_seqset *set,
                   struct ms_uidlist *out);
/* "* n FETCH (FLAGS (...))" for a flag change; with the UID when uid, MODSEQ under CONDSTORE. */
void imap_send_flags(struct imap *im, uint32_t seq, const struct ms_message *m, bool uid);

/* ---- the command handlers ---- */
typedef void imap_handler(struct imap *im, struct imap_cmd *c);

/* imap_auth.c */
imap_handler imap_cmd_capability, imap_cmd_noop, imap_cmd_logout, imap_cmd_id, imap_cmd_enable,
    imap_cmd_namespace, imap_cmd_starttls, imap_cmd_login, imap_cmd_authenticate;
/* One line of an AUTHENTICATE exchange. */
void imap_auth_line(struct imap *im, const char *line, size_t len);
/* The CAPABILITY list for the current state, without "* CAPABILITY " ("IMAP4rev1 ..."). */
void imap_capabilities(struct imap *im, struct mc_buf *out);

/* imap_mailbox.c */
imap_handler imap_cmd_select, imap_cmd_examine, imap_cmd_create, imap_cmd_delete, imap_cmd_rename,
    imap_cmd_subscribe, imap_cmd_unsubscribe, imap_cmd_status, imap_cmd_check, imap_cmd_close,
    imap_cmd_unselect;
/* Reads a mailbox argument (astring; modified UTF-7 unless UTF-8 is enabled) into its
   canonical mailstore name. On failure answers (BAD or NO) and returns false. */
bool imap_mailbox_arg(struct imap *im, struct imap_cmd *c, char name[MS_MAILBOX_NAME_MAX + 1]);
/* A mailstore name as the client wants it (modified UTF-7 or UTF-8), quoted or literal. */
void imap_write_mailbox(const struct imap *im, struct mc_buf *out, const char *name);

/* The untagged STATUS response for items (enum imap_status_item bits) of mb. */
enum imap_status_item {
    IMAP_STATUS_MESSAGES = 1u << 0,
    IMAP_STATUS_UIDNEXT = 1u << 1,
    IMAP_STATUS_UIDVALIDITY = 1u << 2,
    IMAP_STATUS_UNSEEN = 1u << 3,
    IMAP_STATUS_RECENT = 1u << 4,        /* IMAP4rev1 only */
    IMAP_STATUS_SIZE = 1u << 5,          /* RFC 8438, IMAP4rev2 */
    IMAP_STATUS_DELETED = 1u << 6,       /* IMAP4rev2 */
    IMAP_STATUS_HIGHESTMODSEQ = 1u << 7, /* RFC 7162 3.1.10 */
};
/* Reads "(" item *(SP item) ")"; false with ps->error. */
bool imap_status_items(struct imap_parser *ps, unsigned *items);
void imap_send_status(struct imap *im, struct ms_mailbox *mb, unsigned items);
/* The special-use attribute of a mailbox (RFC 6154), "" for none. */
const char *imap_special_use(const char *name);

/* imap_list.c */
imap_handler imap_cmd_list, imap_cmd_lsub;
/* Does name match the LIST pattern ("%": anything but MS_HIERARCHY_SEP, "*": anything)? */
bool imap_list_match(const char *pattern, const char *name);

/* imap_message.c */
imap_handler imap_cmd_append, imap_cmd_store, imap_cmd_copy, imap_cmd_move, imap_cmd_expunge,
    imap_cmd_search;

/* imap_fetch.c */
imap_handler imap_cmd_fetch;

#endif
