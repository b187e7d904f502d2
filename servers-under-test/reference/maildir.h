/*
 * maildir — the files behind a persistent mailstore (internal to mailstore.c; see the layout in
 * mailstore.h). This module knows paths, renames and fsync; it knows nothing of views, UID
 * rules or limits. Every function returns 0, or -1 with the failing operation, path and
 * strerror in *err.
 *
 * Durability rule: a file is durable when its data was fsync'ed before it got its final name
 * and the directory holding that name was fsync'ed after.
 */
#ifndef MC_REFERENCE_MAILDIR_H
#define MC_REFERENCE_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

/* Percent-encodes a user or mailbox name into one path component (caller frees). */
char *md_encode_name(const char *name);
/* Decodes; NULL when enc is not something md_encode_name produced. */
char *md_decode_name(const char *enc);

int md_mkdir(const char *path, struct mc_buf *err); /* exists already: fine */
int md_mailbox_create(const char *dir, struct mc_buf *err);
int md_mailbox_remove(const char *dir, struct mc_buf *err);
int md_rename(const char *from, const char *to, struct mc_buf *err);
/* Names of the subdirectories of dir (not starting with "."); a missing dir gives none. */
int md_list_dirs(const char *dir, struct mc_strv *names, struct mc_buf *err);
int md_write_file_atomic(const char *path, const char *data, size_t len, struct mc_buf *err);
/* *missing is set (and 0 returned) when the file does not exist. */
int md_read_file(const char *path, struct mc_buf *out, bool *missing, struct mc_buf *err);
int md_remove_file(const char *path, struct mc_buf *err); /* missing: fine */

/* Writes a message durably: tmp/, fsync, rename into new/ (flags == 0) or cur/NAME:2,INFO,
   fsync of that directory. *file_out: the path relative to dir ("new/..." or "cur/..."). */
int md_deliver(const char *dir, const void *data, size_t len, unsigned flags, time_t date,
               char **file_out, struct mc_buf *err);
/* Renames the message to carry these flags (into cur/); *file_out is the new relative path. */
int md_set_flags(const char *dir, const char *file, unsigned flags, char **file_out,
                 struct mc_buf *err);
int md_unlink(const char *dir, const char *file, struct mc_buf *err);

struct md_uid_entry {
    uint32_t uid;
    const char *file; /* relative path; only its base name (before ":") is written */
    const struct mc_strv *keywords;
};
int md_write_uids(const char *dir, uint32_t uidvalidity, uint32_t uidnext,
                  const struct md_uid_entry *entries, size_t n, struct mc_buf *err);

struct md_loaded_message {
    uint32_t uid;
    char *file;
    unsigned flags;
    struct mc_strv keywords;
    time_t date;
    char *data;
    size_t size;
};
struct md_loaded_mailbox {
    uint32_t uidvalidity; /* 0: no UID file, the caller chooses one */
    uint32_t uidnext;
    bool noselect;
    struct md_loaded_message *msgs; /* ascending UID */
    size_t count;
};
/* Reads a mailbox. Files the UID file does not know get UIDs from uidnext on, in name order;
   UID lines whose file is gone are dropped; files over max_size are left out. */
int md_load_mailbox(const char *dir, size_t max_size, struct md_loaded_mailbox *out,
                    struct mc_buf *err);
void md_loaded_mailbox_free(struct md_loaded_mailbox *lm);
int md_set_noselect(const char *dir, bool noselect, struct mc_buf *err);

#endif
