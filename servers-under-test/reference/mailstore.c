/*
 * mailstore — the store, its users, mailbox names and the mailboxes' life cycle (create, delete,
 * rename, subscriptions), and rebuilding all that from a maildir at start (see mailstore.h for
 * the contract). maildir.c knows how things reach the disk; this file decides what happens, and
 * changes memory only after the disk agreed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/utf8.h"
#include "reference/maildir.h"
#include "reference/mailstore_int.h"

static const char *const ms_status_names[] = {
    [MS_OK] = "ok",
    [MS_ERR_NOT_FOUND] = "no such user, mailbox or message",
    [MS_ERR_EXISTS] = "mailbox exists",
    [MS_ERR_BAD_NAME] = "invalid name",
    [MS_ERR_INBOX] = "INBOX cannot be deleted",
    [MS_ERR_HAS_CHILDREN] = "mailbox has inferior hierarchical names",
    [MS_ERR_NOSELECT] = "mailbox is \\Noselect",
    [MS_ERR_TOO_BIG] = "message too big",
    [MS_ERR_LIMIT] = "limit reached",
    [MS_ERR_BAD_FLAG] = "invalid flag or keyword",
    [MS_ERR_IN_USE] = "mailbox in use by another POP3 session",
    [MS_ERR_IO] = "storage error",
};

const char *ms_status_str(enum ms_status s)
{
    if ((size_t)s < sizeof ms_status_names / sizeof ms_status_names[0])
        return ms_status_names[s];
    return "unknown status";
}

void ms_uidlist_push(struct ms_uidlist *l, uint32_t uid)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->uids = mc_xrealloc(l->uids, l->cap * sizeof *l->uids);
    }
    l->uids[l->count++] = uid;
}

void ms_uidlist_free(struct ms_uidlist *l)
{
    free(l->uids);
    memset(l, 0, sizeof *l);
}

/* ---- store and users ---- */

struct ms_store *ms_store_new(void)
{
    struct ms_store *st = mc_xcalloc(1, sizeof *st);
    st->next_view_id = 1;
    return st;
}

enum ms_status ms_store_open_maildir(const char *dir, struct ms_store **out)
{
    struct ms_store *st = ms_store_new();
    st->root = mc_xstrdup(dir);
    *out = st;
    struct mc_buf users = {0}, text = {0};
    mc_buf_printf(&users, "%s/users", dir);
    mc_buf_printf(&text, "%s/uidvalidity", dir);
    bool missing;
    struct mc_buf content = {0};
    int rc = md_mkdir(dir, &st->err);
    if (rc == 0)
        rc = md_mkdir(users.data, &st->err);
    if (rc == 0)
        rc = md_read_file(text.data, &content, &missing, &st->err);
    if (rc == 0 && !missing)
        st->last_uidvalidity = (uint32_t)strtoul(content.data, NULL, 10);
    mc_buf_free(&users);
    mc_buf_free(&text);
    mc_buf_free(&content);
    return rc == 0 ? MS_OK : MS_ERR_IO;
}

void ms_store_free(struct ms_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nusers; i++) {
        struct ms_user *u = st->users[i];
        for (size_t k = 0; k < u->nboxes; k++)
            msi_mailbox_unref(u->boxes[k]);
        free(u->boxes);
        free(u->name);
        free(u->password);
        free(u->dir);
        mc_strv_free(&u->subs);
        free(u);
    }
    free(st->users);
    free(st->root);
    mc_buf_free(&st->err);
    free(st);
}

const char *ms_store_error(const struct ms_store *st)
{
    return st->err.data ? st->err.data : "";
}

/* max(now, last + 1): unique per store, and across restarts in maildir mode. */
static enum ms_status store_next_uidvalidity(struct ms_store *st, uint32_t *out)
{
    uint32_t now = (uint32_t)time(NULL);
    uint32_t uv = now > st->last_uidvalidity ? now : st->last_uidvalidity + 1;
    if (uv == 0)
        return MS_ERR_LIMIT;
    if (st->root) {
        struct mc_buf path = {0}, text = {0};
        mc_buf_printf(&path, "%s/uidvalidity", st->root);
        mc_buf_printf(&text, "%u\n", (unsigned)uv);
        int rc = md_write_file_atomic(path.data, text.data, text.len, &st->err);
        mc_buf_free(&path);
        mc_buf_free(&text);
        if (rc != 0)
            return MS_ERR_IO;
    }
    st->last_uidvalidity = uv;
    *out = uv;
    return MS_OK;
}

struct ms_user *ms_store_find_user(const struct ms_store *st, const char *name)
{
    for (size_t i = 0; i < st->nusers; i++)
        if (strcmp(st->users[i]->name, name) == 0)
            return st->users[i];
    return NULL;
}

struct ms_user *ms_store_find_user_by_address(const struct ms_store *st, const char *address)
{
    const char *at = strrchr(address, '@');
    size_t len = at ? (size_t)(at - address) : strlen(address);
    struct ms_user *folded = NULL;
    size_t nfolded = 0;
    for (size_t i = 0; i < st->nusers; i++) {
        const char *n = st->users[i]->name;
        if (strlen(n) != len)
            continue;
        if (strncmp(n, address, len) == 0)
            return st->users[i];
        if (strncasecmp(n, address, len) == 0)
            folded = st->users[i], nfolded++;
    }
    return nfolded == 1 ? folded : NULL;
}

size_t ms_store_user_count(const struct ms_store *st)
{
    return st->nusers;
}
struct ms_user *ms_store_user_at(const struct ms_store *st, size_t i)
{
    return i < st->nusers ? st->users[i] : NULL;
}
const char *ms_user_name(const struct ms_user *u)
{
    return u->name;
}
const char *ms_user_password(const struct ms_user *u)
{
    return u->password;
}

bool ms_user_check_password(const struct ms_user *u, const char *password)
{
    size_t a = strlen(u->password), b = strlen(password);
    unsigned char diff = a != b;
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned char)(password[i] ^ u->password[i % (a ? a : 1)]);
    return diff == 0 && a == b;
}

static bool user_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > MS_USER_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '@' || *p == '/')
            return false;
    return true;
}

/* ms_user_load and the mailbox internals are below; declared here for add_user. */
static enum ms_status user_load(struct ms_user *u);
static enum ms_status user_new_mailbox(struct ms_user *u, const char *name,
                                       struct ms_mailbox **out);

enum ms_status ms_store_add_user(struct ms_store *st, const char *name, const char *password,
                                 struct ms_user **out)
{
    if (!user_name_valid(name) || strlen(password) > MS_PASSWORD_MAX)
        return MS_ERR_BAD_NAME;
    if (ms_store_find_user(st, name))
        return MS_ERR_EXISTS;
    struct ms_user *u = mc_xcalloc(1, sizeof *u);
    u->store = st;
    u->name = mc_xstrdup(name);
    u->password = mc_xstrdup(password);
    if (st->root) {
        char *enc = md_encode_name(name);
        struct mc_buf dir = {0};
        mc_buf_printf(&dir, "%s/users/%s", st->root, enc);
        free(enc);
        u->dir = mc_buf_steal(&dir);
    }
    if (st->nusers == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 8;
        st->users = mc_xrealloc(st->users, st->cap * sizeof *st->users);
    }
    st->users[st->nusers++] = u;
    enum ms_status s = user_load(u);
    if (s == MS_OK && !ms_user_inbox(u))
        s = user_new_mailbox(u, MS_INBOX, NULL);
    if (out)
        *out = u;
    return s;
}

/* ---- mailboxes: names ---- */

enum ms_status ms_mailbox_name_canonical(const char *name, char out[MS_MAILBOX_NAME_MAX + 1])
{
    size_t len = strlen(name);
    if (len == 0 || len > MS_MAILBOX_NAME_MAX || !mc_utf8_valid(name, len))
        return MS_ERR_BAD_NAME;
    size_t depth = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == '*' || c == '%')
            return MS_ERR_BAD_NAME;
        if (c == MS_HIERARCHY_SEP) {
            if (i == 0 || i + 1 == len || name[i + 1] == MS_HIERARCHY_SEP)
                return MS_ERR_BAD_NAME;
            depth++;
        }
    }
    char *enc = md_encode_name(name);
    size_t enclen = strlen(enc);
    free(enc);
    if (depth > MS_MAILBOX_DEPTH_MAX || enclen > MS_MAILBOX_ENCODED_MAX)
        return MS_ERR_BAD_NAME;
    if (out) {
        memcpy(out, name, len + 1);
        if (strncasecmp(out, MS_INBOX, 5) == 0 && (out[5] == '\0' || out[5] == MS_HIERARCHY_SEP))
            memcpy(out, MS_INBOX, 5);
    }
    return MS_OK;
}

/* Is `name` strictly below `parent` in the hierarchy? */
static bool name_is_inferior(const char *name, const char *parent)
{
    size_t pl = strlen(parent);
    return strncmp(name, parent, pl) == 0 && name[pl] == MS_HIERARCHY_SEP;
}

struct ms_mailbox *ms_user_find_mailbox(struct ms_user *u, const char *name)
{
    char canon[MS_MAILBOX_NAME_MAX + 1];
    if (ms_mailbox_name_canonical(name, canon) != MS_OK)
        return NULL;
    for (size_t i = 0; i < u->nboxes; i++)
        if (strcmp(u->boxes[i]->name, canon) == 0)
            return u->boxes[i];
    return NULL;
}

struct ms_mailbox *ms_user_inbox(struct ms_user *u)
{
    return ms_user_find_mailbox(u, MS_INBOX);
}
size_t ms_user_mailbox_count(const struct ms_user *u)
{
    return u->nboxes;
}
struct ms_mailbox *ms_user_mailbox_at(struct ms_user *u, size_t i)
{
    return i < u->nboxes ? u->boxes[i] : NULL;
}
const char *ms_mailbox_name(const struct ms_mailbox *mb)
{
    return mb->name;
}
struct ms_user *ms_mailbox_user(const struct ms_mailbox *mb)
{
    return mb->user;
}
bool ms_mailbox_noselect(const struct ms_mailbox *mb)
{
    return mb->noselect;
}
uint32_t ms_mailbox_uidvalidity(const struct ms_mailbox *mb)
{
    return mb->uidvalidity;
}
uint32_t ms_mailbox_uidnext(const struct ms_mailbox *mb)
{
    return mb->uidnext;
}
uint64_t ms_mailbox_highest_modseq(const struct ms_mailbox *mb)
{
    return mb->modseq;
}
size_t ms_mailbox_count(const struct ms_mailbox *mb)
{
    return mb->count;
}

bool ms_mailbox_has_children(const struct ms_mailbox *mb)
{
    const struct ms_user *u = mb->user;
    for (size_t i = 0; !mb->deleted && i < u->nboxes; i++)
        if (name_is_inferior(u->boxes[i]->name, mb->name))
            return true;
    return false;
}

/* ---- mailboxes: life cycle ---- */

static char *mailbox_dir(const struct ms_user *u, const char *name)
{
    if (!u->dir)
        return NULL;
    char *enc = md_encode_name(name);
    struct mc_buf b = {0};
    mc_buf_printf(&b, "%s/mail/%s", u->dir, enc);
    free(enc);
    return mc_buf_steal(&b);
}

void msi_mailbox_unref(struct ms_mailbox *mb)
{
    if (--mb->refs > 0)
        return;
    for (size_t i = 0; i < mb->count; i++)
        msi_message_unref(mb->msgs[i]);
    free(mb->msgs);
    free(mb->name);
    free(mb->dir);
    free(mb);
}

static struct ms_mailbox *user_attach_mailbox(struct ms_user *u, const char *name)
{
    struct ms_mailbox *mb = mc_xcalloc(1, sizeof *mb);
    mb->user = u;
    mb->name = mc_xstrdup(name);
    mb->dir = mailbox_dir(u, name);
    mb->uidnext = 1;
    mb->modseq = 1;
    mb->refs = 1;
    if (u->nboxes == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 8;
        u->boxes = mc_xrealloc(u->boxes, u->cap * sizeof *u->boxes);
    }
    u->boxes[u->nboxes++] = mb;
    return mb;
}

/* A new, empty, selectable mailbox named `name` (canonical, not existing). */
static enum ms_status user_new_mailbox(struct ms_user *u, const char *name, struct ms_mailbox **out)
{
    if (u->nboxes >= MS_MAILBOXES_PER_USER_MAX)
        return MS_ERR_LIMIT;
    uint32_t uv;
    enum ms_status s = store_next_uidvalidity(u->store, &uv);
    if (s != MS_OK)
        return s;
    char *dir = mailbox_dir(u, name);
    int rc = dir ? md_mailbox_create(dir, &u->store->err) : 0;
    free(dir);
    if (rc != 0)
        return MS_ERR_IO;
    struct ms_mailbox *mb = user_attach_mailbox(u, name);
    mb->uidvalidity = uv;
    s = msi_mailbox_save_uids(mb);
    if (out)
        *out = mb;
    return s;
}

/* Creates the missing superiors of `name` as ordinary mailboxes (RFC 3501 6.3.3). */
static enum ms_status user_create_superiors(struct ms_user *u, const char *name)
{
    char parent[MS_MAILBOX_NAME_MAX + 1];
    for (const char *p = strchr(name, MS_HIERARCHY_SEP); p; p = strchr(p + 1, MS_HIERARCHY_SEP)) {
        memcpy(parent, name, (size_t)(p - name));
        parent[p - name] = '\0';
        if (ms_user_find_mailbox(u, parent))
            continue;
        enum ms_status s = user_new_mailbox(u, parent, NULL);
        if (s != MS_OK)
            return s;
    }
    return MS_OK;
}

/* A \Noselect left by DELETE becomes a new mailbox: new UIDVALIDITY, UIDs from 1, nothing
   \Recent claimed (views opened on the old one stay gone: ms_view_gone). */
static enum ms_status mailbox_recreate(struct ms_mailbox *mb)
{
    struct ms_store *st = mb->user->store;
    uint32_t uv;
    enum ms_status s = store_next_uidvalidity(st, &uv);
    if (s != MS_OK)
        return s;
    if (mb->dir && md_set_noselect(mb->dir, false, &st->err) != 0)
        return MS_ERR_IO;
    mb->noselect = false;
    mb->uidvalidity = uv;
    mb->uidnext = 1;
    mb->recent_claimed = 0;
    return msi_mailbox_save_uids(mb);
}

enum ms_status ms_user_create_mailbox(struct ms_user *u, const char *name, struct ms_mailbox **out)
{
    char canon[MS_MAILBOX_NAME_MAX + 2];
    size_t len = strlen(name);
    if (len > MS_MAILBOX_NAME_MAX + 1)
        return MS_ERR_BAD_NAME;
    memcpy(canon, name, len + 1);
    if (len > 1 && canon[len - 1] == MS_HIERARCHY_SEP)
        canon[len - 1] = '\0';
    enum ms_status s = ms_mailbox_name_canonical(canon, canon);
    if (s != MS_OK)
        return s;
    struct ms_mailbox *mb = ms_user_find_mailbox(u, canon);
    if (mb && !mb->noselect)
        return MS_ERR_EXISTS;
    if (mb) {
        if (out)
            *out = mb;
        return mailbox_recreate(mb);
    }
    if ((s = user_create_superiors(u, canon)) != MS_OK)
        return s;
    return user_new_mailbox(u, canon, out);
}

static void user_detach_mailbox(struct ms_user *u, struct ms_mailbox *mb)
{
    for (size_t i = 0; i < u->nboxes; i++)
        if (u->boxes[i] == mb) {
            memmove(&u->boxes[i], &u->boxes[i + 1], (u->nboxes - i - 1) * sizeof *u->boxes);
            u->nboxes--;
            break;
        }
    mb->deleted = true;
    msi_mailbox_notify(mb, NULL); /* its views are gone: wake idle sessions */
    msi_mailbox_unref(mb);
}

/* DELETE of a mailbox with inferiors: emptied and \Noselect (RFC 3501 6.3.4). */
static enum ms_status mailbox_make_noselect(struct ms_mailbox *mb)
{
    struct ms_store *st = mb->user->store;
    if (mb->noselect)
        return MS_ERR_HAS_CHILDREN;
    if (mb->dir && md_set_noselect(mb->dir, true, &st->err) != 0)
        return MS_ERR_IO;
    mb->noselect = true;
    enum ms_status s = msi_mailbox_remove_all(mb);
    msi_mailbox_notify(mb, NULL); /* its views are gone, even if it held no message */
    return s;
}

enum ms_status ms_user_delete_mailbox(struct ms_user *u, const char *name)
{
    struct ms_mailbox *mb = ms_user_find_mailbox(u, name);
    if (!mb)
        return ms_mailbox_name_canonical(name, NULL) == MS_OK ? MS_ERR_NOT_FOUND : MS_ERR_BAD_NAME;
    if (strcmp(mb->name, MS_INBOX) == 0)
        return MS_ERR_INBOX;
    if (ms_mailbox_has_children(mb))
        return mailbox_make_noselect(mb);
    if (mb->dir && md_mailbox_remove(mb->dir, &u->store->err) != 0)
        return MS_ERR_IO;
    for (size_t i = 0; i < mb->count; i++) { /* their files went with the directory */
        free(mb->msgs[i]->file);
        mb->msgs[i]->file = NULL;
    }
    free(mb->dir);
    mb->dir = NULL;
    msi_mailbox_remove_all(mb);
    user_detach_mailbox(u, mb);
    return MS_OK;
}

/* Renames mb (and moves its directory) to `to`. Its views follow it: same mailbox, same
   UIDVALIDITY and UIDs, nothing to report, so they are neither gone nor notified. */
static enum ms_status mailbox_set_name(struct ms_mailbox *mb, const char *to)
{
    char *dir = mailbox_dir(mb->user, to);
    if (dir && md_rename(mb->dir, dir, &mb->user->store->err) != 0) {
        free(dir);
        return MS_ERR_IO;
    }
    free(mb->dir);
    mb->dir = dir;
    free(mb->name);
    mb->name = mc_xstrdup(to);
    return MS_OK;
}

/* RFC 3501 6.3.5: INBOX's messages move to a new mailbox; INBOX stays, empty, and keeps its
   UIDNEXT (UIDs are never reused); its inferiors are not renamed. */
static enum ms_status user_rename_inbox(struct ms_user *u, struct ms_mailbox *inbox, const char *to)
{
    enum ms_status s = user_create_superiors(u, to);
    struct ms_mailbox *dst = NULL;
    if (s == MS_OK)
        s = user_new_mailbox(u, to, &dst);
    if (s != MS_OK)
        return s;
    bool *all = mc_xmalloc(inbox->count * sizeof *all);
    for (size_t i = 0; i < inbox->count; i++)
        all[i] = true;
    s = msi_mailbox_copy_messages(inbox, all, dst, NULL, NULL);
    if (s == MS_OK)
        s = msi_mailbox_remove(inbox, all, NULL);
    free(all);
    return s;
}

enum ms_status ms_user_rename_mailbox(struct ms_user *u, const char *from, const char *to)
{
    char src[MS_MAILBOX_NAME_MAX + 1], dst[MS_MAILBOX_NAME_MAX + 1];
    if (ms_mailbox_name_canonical(from, src) != MS_OK ||
        ms_mailbox_name_canonical(to, dst) != MS_OK)
        return MS_ERR_BAD_NAME;
    struct ms_mailbox *mb = ms_user_find_mailbox(u, src);
    if (!mb)
        return MS_ERR_NOT_FOUND;
    if (ms_user_find_mailbox(u, dst))
        return MS_ERR_EXISTS;
    if (strcmp(src, MS_INBOX) == 0)
        return user_rename_inbox(u, mb, dst);
    if (name_is_inferior(dst, src))
        return MS_ERR_BAD_NAME; /* into its own hierarchy */
    /* Check every new name before touching anything. */
    size_t srclen = strlen(src), dstlen = strlen(dst);
    for (size_t i = 0; i < u->nboxes; i++) {
        const char *n = u->boxes[i]->name;
        if (!name_is_inferior(n, src))
            continue;
        char newname[MS_MAILBOX_NAME_MAX * 2 + 1];
        snprintf(newname, sizeof newname, "%s%s", dst, n + srclen);
        if (strlen(newname) > MS_MAILBOX_NAME_MAX || ms_mailbox_name_canonical(newname, NULL))
            return MS_ERR_BAD_NAME;
        if (ms_user_find_mailbox(u, newname))
            return MS_ERR_EXISTS;
    }
    (void)dstlen;
    enum ms_status s = user_create_superiors(u, dst);
    if (s != MS_OK)
        return s;
    for (size_t i = 0; i < u->nboxes && s == MS_OK; i++) {
        struct ms_mailbox *b = u->boxes[i];
        if (!name_is_inferior(b->name, src))
            continue;
        char newname[MS_MAILBOX_NAME_MAX * 2 + 1];
        snprintf(newname, sizeof newname, "%s%s", dst, b->name + srclen);
        s = mailbox_set_name(b, newname);
    }
    return s == MS_OK ? mailbox_set_name(mb, dst) : s;
}

static enum ms_status user_save_subscriptions(struct ms_user *u)
{
    if (!u->dir)
        return MS_OK;
    struct mc_buf text = {0}, path = {0};
    for (size_t i = 0; i < u->subs.count; i++)
        mc_buf_printf(&text, "%s\n", u->subs.items[i].ptr);
    mc_buf_printf(&path, "%s/subscriptions", u->dir);
    int rc = md_write_file_atomic(path.data, text.data ? text.data : "", text.len, &u->store->err);
    mc_buf_free(&text);
    mc_buf_free(&path);
    return rc == 0 ? MS_OK : MS_ERR_IO;
}

static ptrdiff_t user_find_subscription(const struct ms_user *u, const char *canon)
{
    for (size_t i = 0; i < u->subs.count; i++)
        if (strcmp(u->subs.items[i].ptr, canon) == 0)
            return (ptrdiff_t)i;
    return -1;
}

enum ms_status ms_user_subscribe(struct ms_user *u, const char *name)
{
    char canon[MS_MAILBOX_NAME_MAX + 1];
    if (ms_mailbox_name_canonical(name, canon) != MS_OK)
        return MS_ERR_BAD_NAME;
    if (user_find_subscription(u, canon) >= 0)
        return MS_OK;
    if (u->subs.count >= MS_MAILBOXES_PER_USER_MAX)
        return MS_ERR_LIMIT;
    mc_strv_push_str(&u->subs, canon);
    return user_save_subscriptions(u);
}

enum ms_status ms_user_unsubscribe(struct ms_user *u, const char *name)
{
    char canon[MS_MAILBOX_NAME_MAX + 1];
    if (ms_mailbox_name_canonical(name, canon) != MS_OK)
        return MS_ERR_BAD_NAME;
    ptrdiff_t i = user_find_subscription(u, canon);
    if (i < 0)
        return MS_ERR_NOT_FOUND;
    free(u->subs.items[i].ptr);
    memmove(&u->subs.items[i], &u->subs.items[i + 1],
            (u->subs.count - (size_t)i - 1) * sizeof *u->subs.items);
    u->subs.count--;
    return user_save_subscriptions(u);
}

const struct mc_strv *ms_user_subscriptions(const struct ms_user *u)
{
    return &u->subs;
}

/* ---- loading a user's maildir ---- */

static void user_load_subscriptions(struct ms_user *u)
{
    struct mc_buf path = {0}, text = {0};
    bool missing;
    mc_buf_printf(&path, "%s/subscriptions", u->dir);
    if (md_read_file(path.data, &text, &missing, &u->store->err) == 0 && !missing) {
        for (char *line = text.data, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
            *nl = '\0';
            char canon[MS_MAILBOX_NAME_MAX + 1];
            if (ms_mailbox_name_canonical(line, canon) == MS_OK &&
                user_find_subscription(u, canon) < 0)
                mc_strv_push_str(&u->subs, canon);
        }
    }
    mc_buf_free(&path);
    mc_buf_free(&text);
}

/* Takes over the loaded messages (lm is left empty). */
static enum ms_status user_load_mailbox(struct ms_user *u, const char *name,
                                        struct md_loaded_mailbox *lm)
{
    struct ms_store *st = u->store;
    if (u->nboxes >= MS_MAILBOXES_PER_USER_MAX)
        return MS_ERR_LIMIT;
    struct ms_mailbox *mb = user_attach_mailbox(u, name);
    mb->noselect = lm->noselect;
    mb->uidvalidity = lm->uidvalidity;
    if (mb->uidvalidity > st->last_uidvalidity)
        st->last_uidvalidity = mb->uidvalidity;
    mb->uidnext = lm->uidnext;
    mb->cap = mb->count = lm->count;
    mb->msgs = mc_xcalloc(lm->count ? lm->count : 1, sizeof *mb->msgs);
    for (size_t i = 0; i < lm->count; i++) {
        struct md_loaded_message *l = &lm->msgs[i];
        struct ms_message *m = mc_xcalloc(1, sizeof *m);
        m->uid = l->uid;
        m->flags = l->flags;
        for (size_t k = 0; k < l->keywords.count && k < MS_KEYWORDS_PER_MESSAGE_MAX; k++)
            if (msi_keyword_valid(l->keywords.items[k].ptr))
                mc_strv_push_str(&m->keywords, l->keywords.items[k].ptr);
        m->date = l->date;
        m->data = l->data;
        m->size = l->size;
        m->file = l->file;
        m->modseq = ++mb->modseq;
        m->refs = 1;
        l->data = l->file = NULL;
        mb->msgs[i] = m;
    }
    /* What arrived before this start is nobody's \Recent any more. */
    mb->recent_claimed = mb->uidnext - 1;
    return MS_OK;
}

static enum ms_status user_load(struct ms_user *u)
{
    if (!u->dir)
        return MS_OK;
    struct ms_store *st = u->store;
    struct mc_buf mail = {0};
    struct mc_strv names = {0};
    mc_buf_printf(&mail, "%s/mail", u->dir);
    enum ms_status s = MS_OK;
    if (md_mkdir(u->dir, &st->err) != 0 || md_mkdir(mail.data, &st->err) != 0 ||
        md_list_dirs(mail.data, &names, &st->err) != 0)
        s = MS_ERR_IO;
    if (s == MS_OK)
        user_load_subscriptions(u);
    for (size_t i = 0; s == MS_OK && i < names.count; i++) {
        char *name = md_decode_name(names.items[i].ptr);
        char canon[MS_MAILBOX_NAME_MAX + 1];
        /* Only directories this store could have made; anything else is left alone. */
        if (!name || ms_mailbox_name_canonical(name, canon) != MS_OK || strcmp(name, canon) ||
            ms_user_find_mailbox(u, canon)) {
            free(name);
            continue;
        }
        free(name);
        char *dir = mailbox_dir(u, canon);
        struct md_loaded_mailbox lm;
        if (md_load_mailbox(dir, MS_MESSAGE_SIZE_MAX, &lm, &st->err) != 0)
            s = MS_ERR_IO;
        free(dir);
        if (s != MS_OK)
            break;
        s = user_load_mailbox(u, canon, &lm);
        md_loaded_mailbox_free(&lm);
    }
    /* Mailboxes without a UID file get a UIDVALIDITY now, after the loaded ones are known;
       every UID file is rewritten so that files found without a UID keep the one given now. */
    for (size_t i = 0; s == MS_OK && i < u->nboxes; i++) {
        struct ms_mailbox *mb = u->boxes[i];
        if (mb->uidvalidity == 0)
            s = store_next_uidvalidity(st, &mb->uidvalidity);
        if (s == MS_OK)
            s = msi_mailbox_save_uids(mb);
    }
    mc_strv_free(&names);
    mc_buf_free(&mail);
    return s;
}

bool ms_store_sasl_lookup(void *ctx, const char *user, struct mc_buf *password)
{
    struct ms_user *u = ms_store_find_user(ctx, user);
    if (u)
        mc_buf_append_str(password, ms_user_password(u));
    return u != NULL;
}
