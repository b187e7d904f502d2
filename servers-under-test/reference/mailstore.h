/*
 * mailstore — the reference server's users, mailboxes and messages, shared by SMTP (delivery),
 * POP3 and IMAP (retrieval).
 *
 * The model is IMAP's, because it is the richest; SMTP and POP3 use a subset:
 *
 *   store ─ users (name, password; INBOX always exists, subscriptions)
 *             └ mailboxes ("/" separates hierarchy levels; UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ)
 *                 └ messages (UID, system flags + keywords, internal date, raw RFC 5322 bytes)
 *
 * - SMTP delivers with ms_mailbox_append(ms_user_inbox(user), ...) and acknowledges the message
 *   (250) only when it returns MS_OK: in maildir mode that means the file is fsync'ed, renamed
 *   into new/ or cur/, the directory fsync'ed and the UID recorded on disk.
 * - POP3 logs in, takes ms_mailbox_lock_pop3() on INBOX (fails with MS_ERR_IN_USE: answer
 *   "-ERR [IN-USE]", RFC 2449), opens a view and never syncs it: the view is the maildrop
 *   snapshot for the whole session (RFC 1939). DELE marks live in the POP3 session; in the
 *   UPDATE state it calls ms_mailbox_delete_uids() with exactly the marked UIDs. A suggested
 *   UIDL is "<uidvalidity>.<uid>" (unique and stable, RFC 1939 7).
 * - IMAP opens a view on SELECT/EXAMINE. A view is one session's snapshot: the messages it has
 *   been told about, in order, so that view sequence number n is the n-th entry. Changes made
 *   by anyone (including other views, SMTP deliveries, POP3) land in the mailbox at once, but a
 *   view's sequence numbers change only inside ms_view_sync(), which reports what happened
 *   since the last sync through callbacks, in this order:
 *       1. expunge(seq, uid) for each expunged message, HIGHEST sequence number first, so every
 *          number reported is also the number the client knew before this sync;
 *       2. exists(count) once, if messages were added (the new total);
 *       3. flags(seq, msg) for each message whose flags another view (or no view) changed, in
 *          ascending sequence order; changes made through this view itself are not reported
 *          (the session answers its own STORE).
 *   Messages expunged by others stay readable through the view until it syncs them away (they
 *   are reference counted; ms_message_expunged() tells), which gives IMAP the freedom of
 *   RFC 2180 4.1. Pass MS_SYNC_DEFER_EXPUNGE while a command that forbids EXPUNGE responses is
 *   running (FETCH, STORE, SEARCH; RFC 3501 7.4.1): expunges stay pending, new messages still
 *   get the next sequence numbers. Expunges done by a view itself are also reported by its own
 *   next sync — EXPUNGE, UID EXPUNGE and MOVE are "change the mailbox, then sync".
 * - A view belongs to the mailbox as it was opened: once that mailbox is deleted, made
 *   \Noselect (DELETE of a mailbox with inferiors), or re-created by CREATE under a new
 *   UIDVALIDITY (UIDs start at 1 again), ms_view_gone() is true and the view is frozen: its
 *   snapshot stays readable, ms_view_sync() reports nothing, ms_view_pending() says yes. The
 *   session must end the selection (IMAP: BYE, as the client's UIDs mean nothing any more).
 *   RENAME (not of INBOX) does not end it: the view follows the mailbox to its new name
 *   (same UIDVALIDITY, same UIDs; RFC 3501 6.3.5 leaves it to the server). Renaming INBOX
 *   is seen by INBOX's views as the expunge of all its messages.
 * - \Recent (IMAP4rev1 only) belongs to one session: a view opened with MS_VIEW_CLAIM_RECENT
 *   (SELECT) claims every message no session claimed before, at open and at each sync. A view
 *   opened with MS_VIEW_SEE_RECENT (EXAMINE, RFC 3501 6.3.2) shows those unclaimed messages as
 *   \Recent too, at open and at each sync, but claims nothing (a later SELECT still gets
 *   them). A view opened with neither (POP3) has no \Recent message. ms_view_recent() answers
 *   per sequence number; a message stays \Recent in a view for the view's life.
 * - Idle sessions (IDLE) register ms_view_set_notify(): the store calls it, synchronously,
 *   whenever the mailbox changes in a way the view may report, and when the view becomes gone
 *   (even if the mailbox held no message); it may be called more than once for one change. The
 *   callback must not call into the store (schedule a libevent event that syncs instead).
 *
 * Mailbox names are UTF-8 (converting modified UTF-7 is the IMAP side's job), "/" is the
 * hierarchy separator, "INBOX" is case-insensitive (also as the first level, "inbox/x" is
 * "INBOX/x"), components are never empty, and "*" "%" and control characters are refused.
 * CREATE creates missing superior names as ordinary mailboxes; DELETE of a mailbox that has
 * inferiors empties it and makes it \Noselect (RFC 3501 6.3.4); RENAME renames the inferiors
 * too and keeps UIDVALIDITY; renaming INBOX moves its messages to a new mailbox (new UIDs) and
 * leaves INBOX empty, its UIDNEXT unchanged and its inferiors alone (RFC 3501 6.3.5).
 * UIDVALIDITY is max(now, last issued + 1), store-wide, so that deleting and re-creating a
 * name never repeats a value (persisted in maildir mode across restarts too).
 *
 * Persistence: memory only by default. ms_store_open_maildir() writes through to a directory:
 *     DIR/uidvalidity                         last UIDVALIDITY issued
 *     DIR/users/USER/subscriptions            one name a line
 *     DIR/users/USER/mail/MAILBOX/{tmp,new,cur}   a Maildir; flags in the ":2,DFRST" info
 *     DIR/users/USER/mail/MAILBOX/mailconform-uids   "uidvalidity N", "uidnext N",
 *                                             "UID basename [keyword ...]" lines
 * USER and MAILBOX are percent-encoded (every byte but [A-Za-z0-9_-] and UTF-8 bytes). The
 * internal date is the file's mtime. Users are added at start; adding a user whose directory
 * exists loads it. Messages are also kept in memory (the disk is written through, never read
 * after loading), which bounds what the server holds by the limits below.
 *
 * Single-threaded (one libevent loop): no locks besides the logical POP3 lock. Every function
 * that can fail returns an enum ms_status; bad input never aborts (only allocation failure does,
 * via mc_xmalloc). After MS_ERR_IO, ms_store_error() says which file operation failed.
 */
#ifndef MC_REFERENCE_MAILSTORE_H
#define MC_REFERENCE_MAILSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

/* Limits. Messages are held in memory: these bound what one user can make the server hold. */
#define MS_MESSAGE_SIZE_MAX (32u * 1024 * 1024) /* SMTP announces it in SIZE (RFC 1870) */
#define MS_MESSAGES_PER_MAILBOX_MAX 100000u
#define MS_MAILBOXES_PER_USER_MAX 1000u
/* RFC 3501/9051 set no maximum; 200 bytes keep the percent-encoded name within NAME_MAX 255
   in the common case (the encoded length is checked too). */
#define MS_MAILBOX_NAME_MAX 200u
#define MS_MAILBOX_ENCODED_MAX 250u
#define MS_MAILBOX_DEPTH_MAX 16u
#define MS_KEYWORD_MAX 64u /* an IMAP flag-keyword atom (RFC 9051 2.3.2) */
#define MS_KEYWORDS_PER_MESSAGE_MAX 32u
#define MS_USER_NAME_MAX 64u /* a local-part (RFC 5321 4.5.3.1.1) */
#define MS_PASSWORD_MAX 256u
#define MS_HIERARCHY_SEP '/'
#define MS_INBOX "INBOX"

enum ms_status {
    MS_OK = 0,
    MS_ERR_NOT_FOUND,    /* no such user, mailbox or UID (or the mailbox was deleted) */
    MS_ERR_EXISTS,       /* the mailbox (or rename target) exists */
    MS_ERR_BAD_NAME,     /* mailbox or user name refused (see above) */
    MS_ERR_INBOX,        /* INBOX cannot be deleted */
    MS_ERR_HAS_CHILDREN, /* deleting a \Noselect mailbox that still has inferiors */
    MS_ERR_NOSELECT,     /* the mailbox is \Noselect: it holds no messages */
    MS_ERR_TOO_BIG,      /* message over MS_MESSAGE_SIZE_MAX */
    MS_ERR_LIMIT,        /* a count limit, or UIDs exhausted (RFC 3501 2.3.1.1) */
    MS_ERR_BAD_FLAG,     /* unknown system flag bit or invalid keyword */
    MS_ERR_IN_USE,       /* another POP3 session holds the mailbox (RFC 2449 [IN-USE]) */
    MS_ERR_IO,           /* the disk refused; ms_store_error() says how */
};

/* System flags (RFC 9051 2.3.2); \Recent is per view, see ms_view_recent(). */
enum ms_flag {
    MS_FLAG_SEEN = 1u << 0,
    MS_FLAG_ANSWERED = 1u << 1,
    MS_FLAG_FLAGGED = 1u << 2,
    MS_FLAG_DELETED = 1u << 3,
    MS_FLAG_DRAFT = 1u << 4,
    MS_FLAG_ALL = (1u << 5) - 1,
};

enum ms_flag_op {
    MS_FLAGS_REPLACE, /* STORE FLAGS */
    MS_FLAGS_ADD,     /* STORE +FLAGS */
    MS_FLAGS_REMOVE,  /* STORE -FLAGS */
};

/* A growable list of UIDs that the caller owns (zero-initialise, free with ms_uidlist_free). */
struct ms_uidlist {
    uint32_t *uids;
    size_t count, cap;
};
void ms_uidlist_push(struct ms_uidlist *l, uint32_t uid);
void ms_uidlist_free(struct ms_uidlist *l);

struct ms_store;
struct ms_user;
struct ms_mailbox;
struct ms_message;
struct ms_view;

const char *ms_status_str(enum ms_status s);

/* ---- store ---- */
struct ms_store *ms_store_new(void); /* in memory */
/* Creates DIR if needed; users' data is loaded as they are added. */
enum ms_status ms_store_open_maildir(const char *dir, struct ms_store **out);
/* Every view must be closed before. */
void ms_store_free(struct ms_store *st);
const char *ms_store_error(const struct ms_store *st); /* detail of the last MS_ERR_IO */

/* ---- users ---- */
/* name: 1..MS_USER_NAME_MAX printable ASCII bytes without "@", space or "/". */
enum ms_status ms_store_add_user(struct ms_store *st, const char *name, const char *password,
                                 struct ms_user **out);
struct ms_user *ms_store_find_user(const struct ms_store *st, const char *name); /* exact */
/* "local@domain" (or a bare local part): the local part matched exactly, else ignoring ASCII
   case if exactly one user matches that way (RFC 5321 2.4 lets a server fold case). The domain
   is not checked: deciding what is local is SMTP's business. */
struct ms_user *ms_store_find_user_by_address(const struct ms_store *st, const char *address);
size_t ms_store_user_count(const struct ms_store *st);
struct ms_user *ms_store_user_at(const struct ms_store *st, size_t i);
const char *ms_user_name(const struct ms_user *u);
const char *ms_user_password(const struct ms_user *u); /* plain: CRAM-MD5/SCRAM need it */
bool ms_user_check_password(const struct ms_user *u, const char *password); /* constant time */
/* A SASL password lookup (lib/sasl_server.h's mc_sasl_password_lookup) over the store `ctx`. */
bool ms_store_sasl_lookup(void *ctx, const char *user, struct mc_buf *password);

/* ---- mailboxes (names as in the top comment) ---- */
/* Checks and canonicalises a name ("inbox/x" -> "INBOX/x"). out may be NULL. */
enum ms_status ms_mailbox_name_canonical(const char *name, char out[MS_MAILBOX_NAME_MAX + 1]);
struct ms_mailbox *ms_user_inbox(struct ms_user *u);
struct ms_mailbox *ms_user_find_mailbox(struct ms_user *u, const char *name);
size_t ms_user_mailbox_count(const struct ms_user *u);              /* includes \Noselect ones */
struct ms_mailbox *ms_user_mailbox_at(struct ms_user *u, size_t i); /* creation order */
/* A trailing "/" is ignored (RFC 3501 6.3.3). Creating a \Noselect name makes it selectable. */
enum ms_status ms_user_create_mailbox(struct ms_user *u, const char *name, struct ms_mailbox **out);
enum ms_status ms_user_delete_mailbox(struct ms_user *u, const char *name);
enum ms_status ms_user_rename_mailbox(struct ms_user *u, const char *from, const char *to);
/* Subscriptions are names, independent of existence (RFC 3501 6.3.6). */
enum ms_status ms_user_subscribe(struct ms_user *u, const char *name);
enum ms_status ms_user_unsubscribe(struct ms_user *u, const char *name);
const struct mc_strv *ms_user_subscriptions(const struct ms_user *u);

const char *ms_mailbox_name(const struct ms_mailbox *mb);
struct ms_user *ms_mailbox_user(const struct ms_mailbox *mb);
bool ms_mailbox_noselect(const struct ms_mailbox *mb);
bool ms_mailbox_has_children(const struct ms_mailbox *mb);
uint32_t ms_mailbox_uidvalidity(const struct ms_mailbox *mb);
uint32_t ms_mailbox_uidnext(const struct ms_mailbox *mb);
uint64_t ms_mailbox_highest_modseq(const struct ms_mailbox *mb); /* bumped by every change */
size_t ms_mailbox_count(const struct ms_mailbox *mb);
size_t ms_mailbox_count_without(const struct ms_mailbox *mb, unsigned flag); /* STATUS UNSEEN */
/* Messages no session has claimed as \Recent yet (STATUS RECENT from outside a SELECT). */
size_t ms_mailbox_count_unclaimed_recent(const struct ms_mailbox *mb);
const struct ms_message *ms_mailbox_message_at(const struct ms_mailbox *mb, size_t index);
const struct ms_message *ms_mailbox_find_uid(const struct ms_mailbox *mb, uint32_t uid);

/* Appends (IMAP APPEND, SMTP delivery). data: the RFC 5322 message with CRLF line ends, stored
   byte for byte. keywords may be NULL. On MS_OK the message is stored (and durable in maildir
   mode) and *uid_out (may be NULL) is its UID. */
enum ms_status ms_mailbox_append(struct ms_mailbox *mb, const void *data, size_t len,
                                 unsigned flags, const struct mc_strv *keywords, time_t date,
                                 uint32_t *uid_out);
/* Changes one message's flags. origin: the view the change comes from (it is not told of it at
   sync), or NULL. *changed (may be NULL) says whether anything changed. Keywords compare
   ignoring ASCII case; the first spelling is kept. */
enum ms_status ms_mailbox_store_flags(struct ms_mailbox *mb, struct ms_view *origin, uint32_t uid,
                                      enum ms_flag_op op, unsigned flags,
                                      const struct mc_strv *keywords, bool *changed);
/* Removes every \Deleted message (only those among only[0..n) when only != NULL: UID EXPUNGE,
   RFC 4315). The removed UIDs are appended to *expunged (may be NULL), ascending. */
enum ms_status ms_mailbox_expunge(struct ms_mailbox *mb, const uint32_t *only, size_t n,
                                  struct ms_uidlist *expunged);
/* Removes exactly these UIDs whatever their flags (POP3 UPDATE state); unknown UIDs are skipped. */
enum ms_status ms_mailbox_delete_uids(struct ms_mailbox *mb, const uint32_t *uids, size_t n);
/* Copies the messages among uids[0..n) that exist, in ascending UID order, with their flags,
   keywords and internal date, to dst (which may be src) under new UIDs. All or nothing
   (RFC 3501 6.4.7). src_out/dst_out (may be NULL) receive the matching UID pairs (COPYUID). */
enum ms_status ms_mailbox_copy(struct ms_mailbox *src, const uint32_t *uids, size_t n,
                               struct ms_mailbox *dst, struct ms_uidlist *src_out,
                               struct ms_uidlist *dst_out);
/* Copy, then remove the sources (RFC 6851); views of src learn the expunges at their sync. */
enum ms_status ms_mailbox_move(struct ms_mailbox *src, const uint32_t *uids, size_t n,
                               struct ms_mailbox *dst, struct ms_uidlist *src_out,
                               struct ms_uidlist *dst_out);
/* The POP3 exclusive lock (in-process only). */
enum ms_status ms_mailbox_lock_pop3(struct ms_mailbox *mb);
void ms_mailbox_unlock_pop3(struct ms_mailbox *mb);

/* ---- messages (read-only: change them through the mailbox) ---- */
uint32_t ms_message_uid(const struct ms_message *m);
unsigned ms_message_flags(const struct ms_message *m); /* enum ms_flag bits */
const struct mc_strv *ms_message_keywords(const struct ms_message *m);
bool ms_message_has_keyword(const struct ms_message *m, const char *keyword);
time_t ms_message_date(const struct ms_message *m);
size_t ms_message_size(const struct ms_message *m);
const char *ms_message_data(const struct ms_message *m); /* size bytes, then a NUL */
uint64_t ms_message_modseq(const struct ms_message *m);
bool ms_message_expunged(const struct ms_message *m);

/* ---- views ---- */
enum ms_view_open_flags {
    MS_VIEW_CLAIM_RECENT = 1u << 0, /* IMAP SELECT (not EXAMINE, not POP3) */
    MS_VIEW_SEE_RECENT = 1u << 1,   /* IMAP EXAMINE: show unclaimed \Recent, claim nothing */
};
enum ms_sync_flags {
    MS_SYNC_DEFER_EXPUNGE = 1u << 0, /* during FETCH, STORE, SEARCH (RFC 3501 7.4.1) */
};
struct ms_view_events {
    /* Any slot may be NULL. seq is 1-based and valid in the view at the moment of the call. */
    void (*expunge)(void *ctx, uint32_t seq, uint32_t uid);
    void (*exists)(void *ctx, uint32_t count);
    void (*flags)(void *ctx, uint32_t seq, const struct ms_message *m);
};
/* MS_ERR_NOSELECT on a \Noselect mailbox. */
enum ms_status ms_view_open(struct ms_mailbox *mb, unsigned open_flags, struct ms_view **out);
void ms_view_close(struct ms_view *v);
struct ms_mailbox *ms_view_mailbox(const struct ms_view *v);
/* Deleted, \Noselect or re-created since the view opened (top comment): end the SELECT. */
bool ms_view_gone(const struct ms_view *v);
uint32_t ms_view_count(const struct ms_view *v);
const struct ms_message *ms_view_message(const struct ms_view *v, uint32_t seq); /* 1..count */
uint32_t ms_view_seq(const struct ms_view *v, uint32_t uid); /* 0 when not in the view */
bool ms_view_recent(const struct ms_view *v, uint32_t seq);
uint32_t ms_view_recent_count(const struct ms_view *v);
/* Does a sync have something to report, or is the view gone? (May say yes for a change this
   view made itself.) */
bool ms_view_pending(const struct ms_view *v);
void ms_view_set_notify(struct ms_view *v, void (*notify)(void *ctx), void *ctx);
void ms_view_sync(struct ms_view *v, unsigned sync_flags, const struct ms_view_events *ev,
                  void *ctx);

#endif
