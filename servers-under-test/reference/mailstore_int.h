/*
 * mailstore_int — what the mailstore's files share and nobody else may see: the structures and
 * the internal functions (prefix msi_). mailstore.c: store, users, mailbox names and life cycle,
 * loading from a maildir; mailstore_messages.c: messages and what changes them;
 * mailstore_view.c: sessions' views and their sync.
 */
#ifndef MC_REFERENCE_MAILSTORE_INT_H
#define MC_REFERENCE_MAILSTORE_INT_H

#include "reference/mailstore.h"

struct ms_message {
    uint32_t uid;
    unsigned flags;
    struct mc_strv keywords;
    time_t date;
    char *data;
    size_t size;
    uint64_t modseq;     /* the mailbox's modseq at the last change */
    uint64_t changed_by; /* id of the view that made the last flag change, 0: none */
    bool expunged;
    unsigned refs; /* the mailbox's array and every view snapshot holding it */
    char *file;    /* maildir mode: "new/..." or "cur/..." */
};

struct ms_view_entry {
    struct ms_message *msg;
    bool recent;
};

struct ms_view {
    struct ms_mailbox *mb;
    uint64_t id;
    struct ms_view_entry *items;
    size_t count, cap;
    uint32_t uidvalidity;   /* the mailbox's at open: another one means it was re-created */
    uint32_t known_uid;     /* messages with a higher UID are new to this view */
    uint64_t synced_modseq; /* flag changes up to this are reported */
    bool claims_recent;     /* MS_VIEW_CLAIM_RECENT */
    bool sees_recent;       /* MS_VIEW_SEE_RECENT (or claims_recent) */
    void (*notify)(void *ctx);
    void *notify_ctx;
    struct ms_view *next; /* in the mailbox's list */
};

struct ms_mailbox {
    struct ms_user *user;
    char *name;
    char *dir; /* maildir mode */
    uint32_t uidvalidity, uidnext;
    uint64_t modseq;
    uint32_t recent_claimed;  /* highest UID some view claimed as \Recent */
    struct ms_message **msgs; /* ascending UID */
    size_t count, cap;
    struct ms_view *views;
    unsigned refs; /* the user's list + open views */
    bool deleted, noselect, pop3_locked;
};

struct ms_user {
    struct ms_store *store;
    char *name, *password;
    char *dir; /* maildir mode: DIR/users/USER */
    struct ms_mailbox **boxes;
    size_t nboxes, cap;
    struct mc_strv subs;
};

struct ms_store {
    char *root; /* NULL: in memory */
    struct ms_user **users;
    size_t nusers, cap;
    uint32_t last_uidvalidity;
    uint64_t next_view_id;
    struct mc_buf err;
};

void msi_message_unref(struct ms_message *m);
void msi_mailbox_unref(struct ms_mailbox *mb);
/* An IMAP flag-keyword: an atom (RFC 9051 9) not starting with "\\". */
bool msi_keyword_valid(const char *k);
enum ms_status msi_keywords_check(const struct mc_strv *kw);
/* Tells every view but origin (may be NULL) that the mailbox changed, or is gone for them. */
void msi_mailbox_notify(struct ms_mailbox *mb, const struct ms_view *origin);
/* Records UIDs (and keywords) on disk; a no-op in memory. */
enum ms_status msi_mailbox_save_uids(struct ms_mailbox *mb);
/* Removes the messages at the indexes where remove[i] is true (their UIDs appended to removed,
   which may be NULL); views learn it at their sync. */
enum ms_status msi_mailbox_remove(struct ms_mailbox *mb, const bool *remove,
                                  struct ms_uidlist *removed);
enum ms_status msi_mailbox_remove_all(struct ms_mailbox *mb);
/* Copies the picked messages of src, ascending, to dst; on failure dst is as before. */
enum ms_status msi_mailbox_copy_messages(struct ms_mailbox *src, const bool *pick,
                                         struct ms_mailbox *dst, struct ms_uidlist *src_out,
                                         struct ms_uidlist *dst_out);
/* Index of the first message with a UID >= uid. */
size_t msi_mailbox_lower_bound(const struct ms_mailbox *mb, uint32_t uid);

#endif
