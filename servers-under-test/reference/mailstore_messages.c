/*
 * mailstore_messages — the messages of a mailbox and every change to them: append, flags,
 * expunge, POP3 deletion, copy and move, the POP3 lock (see mailstore.h for the contract).
 * Each change reaches the disk first (maildir mode), then memory, then the views' notify hooks.
 */
#include <stdlib.h>
#include <string.h>

#include "reference/maildir.h"
#include "reference/mailstore_int.h"

/* ---- messages ---- */

void msi_message_unref(struct ms_message *m)
{
    if (--m->refs > 0)
        return;
    free(m->data);
    free(m->file);
    mc_strv_free(&m->keywords);
    free(m);
}

uint32_t ms_message_uid(const struct ms_message *m)
{
    return m->uid;
}
unsigned ms_message_flags(const struct ms_message *m)
{
    return m->flags;
}
const struct mc_strv *ms_message_keywords(const struct ms_message *m)
{
    return &m->keywords;
}
bool ms_message_has_keyword(const struct ms_message *m, const char *keyword)
{
    return mc_strv_contains_nocase(&m->keywords, keyword);
}
time_t ms_message_date(const struct ms_message *m)
{
    return m->date;
}
size_t ms_message_size(const struct ms_message *m)
{
    return m->size;
}
const char *ms_message_data(const struct ms_message *m)
{
    return m->data;
}
uint64_t ms_message_modseq(const struct ms_message *m)
{
    return m->modseq;
}
bool ms_message_expunged(const struct ms_message *m)
{
    return m->expunged;
}

/* An IMAP flag-keyword is an atom (RFC 9051 9: atom-specials excluded) not starting with "\". */
bool msi_keyword_valid(const char *k)
{
    size_t len = strlen(k);
    if (len == 0 || len > MS_KEYWORD_MAX || k[0] == '\\')
        return false;
    for (const char *p = k; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("(){%*\"\\]", *p))
            return false;
    return true;
}

enum ms_status msi_keywords_check(const struct mc_strv *kw)
{
    for (size_t i = 0; kw && i < kw->count; i++)
        if (!msi_keyword_valid(kw->items[i].ptr))
            return MS_ERR_BAD_FLAG;
    return MS_OK;
}

static struct md_uid_entry *uid_entries(const struct ms_mailbox *mb)
{
    struct md_uid_entry *e = mc_xcalloc(mb->count, sizeof *e);
    for (size_t i = 0; i < mb->count; i++) {
        e[i].uid = mb->msgs[i]->uid;
        e[i].file = mb->msgs[i]->file;
        e[i].keywords = &mb->msgs[i]->keywords;
    }
    return e;
}

/* Records UIDs (and keywords) on disk; a no-op in memory. */
enum ms_status msi_mailbox_save_uids(struct ms_mailbox *mb)
{
    if (!mb->dir)
        return MS_OK;
    struct md_uid_entry *e = uid_entries(mb);
    int rc =
        md_write_uids(mb->dir, mb->uidvalidity, mb->uidnext, e, mb->count, &mb->user->store->err);
    free(e);
    return rc == 0 ? MS_OK : MS_ERR_IO;
}

void msi_mailbox_notify(struct ms_mailbox *mb, const struct ms_view *origin)
{
    for (struct ms_view *v = mb->views; v; v = v->next)
        if (v != origin && v->notify)
            v->notify(v->notify_ctx);
}

/* Removes the messages at the indexes where remove[i] is true; views learn it at sync. */
enum ms_status msi_mailbox_remove(struct ms_mailbox *mb, const bool *remove,
                                  struct ms_uidlist *removed)
{
    enum ms_status s = MS_OK;
    size_t kept = 0;
    bool any = false;
    for (size_t i = 0; i < mb->count; i++) {
        struct ms_message *m = mb->msgs[i];
        if (!remove[i]) {
            mb->msgs[kept++] = m;
            continue;
        }
        /* A file that cannot be unlinked would come back at the next start: report it, but
           the message is gone for every session now. */
        if (m->file && md_unlink(mb->dir, m->file, &mb->user->store->err) != 0)
            s = MS_ERR_IO;
        if (removed)
            ms_uidlist_push(removed, m->uid);
        m->expunged = true;
        msi_message_unref(m);
        any = true;
    }
    mb->count = kept;
    if (!any)
        return s;
    mb->modseq++;
    enum ms_status s2 = msi_mailbox_save_uids(mb);
    msi_mailbox_notify(mb, NULL);
    return s != MS_OK ? s : s2;
}

enum ms_status msi_mailbox_remove_all(struct ms_mailbox *mb)
{
    bool *all = mc_xmalloc(mb->count * sizeof *all);
    for (size_t i = 0; i < mb->count; i++)
        all[i] = true;
    enum ms_status s = msi_mailbox_remove(mb, all, NULL);
    free(all);
    return s;
}

/* Index of the first message with a UID >= uid. */
size_t msi_mailbox_lower_bound(const struct ms_mailbox *mb, uint32_t uid)
{
    size_t lo = 0, hi = mb->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mb->msgs[mid]->uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct ms_message *ms_mailbox_find_uid(const struct ms_mailbox *mb, uint32_t uid)
{
    size_t i = msi_mailbox_lower_bound(mb, uid);
    return i < mb->count && mb->msgs[i]->uid == uid ? mb->msgs[i] : NULL;
}

size_t ms_mailbox_count_without(const struct ms_mailbox *mb, unsigned flag)
{
    size_t n = 0;
    for (size_t i = 0; i < mb->count; i++)
        n += !(mb->msgs[i]->flags & flag);
    return n;
}

size_t ms_mailbox_count_unclaimed_recent(const struct ms_mailbox *mb)
{
    size_t n = 0;
    for (size_t i = 0; i < mb->count; i++)
        n += mb->msgs[i]->uid > mb->recent_claimed;
    return n;
}

const struct ms_message *ms_mailbox_message_at(const struct ms_mailbox *mb, size_t index)
{
    return index < mb->count ? mb->msgs[index] : NULL;
}

/* ---- messages in a mailbox ---- */

static enum ms_status mailbox_usable(const struct ms_mailbox *mb)
{
    if (mb->deleted)
        return MS_ERR_NOT_FOUND;
    return mb->noselect ? MS_ERR_NOSELECT : MS_OK;
}

/* Adds one message (no limit checks but UID space); the data is copied. */
static enum ms_status mailbox_add(struct ms_mailbox *mb, const void *data, size_t len,
                                  unsigned flags, const struct mc_strv *keywords, time_t date,
                                  uint32_t *uid_out)
{
    if (mb->uidnext == UINT32_MAX) /* UIDNEXT must stay a 32-bit nz-number */
        return MS_ERR_LIMIT;
    char *file = NULL;
    if (mb->dir && md_deliver(mb->dir, data, len, flags, date, &file, &mb->user->store->err))
        return MS_ERR_IO;
    struct ms_message *m = mc_xcalloc(1, sizeof *m);
    m->uid = mb->uidnext++;
    m->flags = flags;
    for (size_t i = 0; keywords && i < keywords->count; i++)
        if (!mc_strv_contains_nocase(&m->keywords, keywords->items[i].ptr))
            mc_strv_push_str(&m->keywords, keywords->items[i].ptr);
    m->date = date;
    m->data = mc_xmalloc(len + 1);
    if (len)
        memcpy(m->data, data, len);
    m->data[len] = '\0';
    m->size = len;
    m->modseq = ++mb->modseq;
    m->refs = 1;
    m->file = file;
    if (mb->count == mb->cap) {
        mb->cap = mb->cap ? mb->cap * 2 : 16;
        mb->msgs = mc_xrealloc(mb->msgs, mb->cap * sizeof *mb->msgs);
    }
    mb->msgs[mb->count++] = m;
    /* Acknowledged only once the UID is on disk too: a message whose UID changed after a
       restart would be a different message to every IMAP client. */
    enum ms_status s = msi_mailbox_save_uids(mb);
    if (s != MS_OK) {
        if (file)
            md_unlink(mb->dir, file, &mb->user->store->err);
        mb->count--;
        msi_message_unref(m);
        return s;
    }
    if (uid_out)
        *uid_out = m->uid;
    msi_mailbox_notify(mb, NULL);
    return MS_OK;
}

static enum ms_status keywords_limit(const struct mc_strv *kw)
{
    return kw && kw->count > MS_KEYWORDS_PER_MESSAGE_MAX ? MS_ERR_LIMIT : MS_OK;
}

enum ms_status ms_mailbox_append(struct ms_mailbox *mb, const void *data, size_t len,
                                 unsigned flags, const struct mc_strv *keywords, time_t date,
                                 uint32_t *uid_out)
{
    enum ms_status s = mailbox_usable(mb);
    if (s != MS_OK)
        return s;
    if (len > MS_MESSAGE_SIZE_MAX)
        return MS_ERR_TOO_BIG;
    if (flags & ~(unsigned)MS_FLAG_ALL || msi_keywords_check(keywords) != MS_OK)
        return MS_ERR_BAD_FLAG;
    if ((s = keywords_limit(keywords)) != MS_OK)
        return s;
    if (mb->count >= MS_MESSAGES_PER_MAILBOX_MAX)
        return MS_ERR_LIMIT;
    return mailbox_add(mb, data, len, flags, keywords, date, uid_out);
}

/* The keyword set after op; false when it would exceed the limit. */
static bool keywords_apply(const struct mc_strv *cur, enum ms_flag_op op, const struct mc_strv *kw,
                           struct mc_strv *out)
{
    if (op != MS_FLAGS_REPLACE)
        for (size_t i = 0; i < cur->count; i++)
            if (op == MS_FLAGS_ADD || !kw || !mc_strv_contains_nocase(kw, cur->items[i].ptr))
                mc_strv_push_str(out, cur->items[i].ptr);
    if (op != MS_FLAGS_REMOVE)
        for (size_t i = 0; kw && i < kw->count; i++)
            if (!mc_strv_contains_nocase(out, kw->items[i].ptr))
                mc_strv_push_str(out, kw->items[i].ptr);
    return out->count <= MS_KEYWORDS_PER_MESSAGE_MAX;
}

static bool keywords_equal(const struct mc_strv *a, const struct mc_strv *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!mc_strv_contains_nocase(b, a->items[i].ptr))
            return false;
    return true;
}

enum ms_status ms_mailbox_store_flags(struct ms_mailbox *mb, struct ms_view *origin, uint32_t uid,
                                      enum ms_flag_op op, unsigned flags,
                                      const struct mc_strv *keywords, bool *changed)
{
    if (changed)
        *changed = false;
    enum ms_status s = mailbox_usable(mb);
    if (s != MS_OK)
        return s;
    if (flags & ~(unsigned)MS_FLAG_ALL || msi_keywords_check(keywords) != MS_OK)
        return MS_ERR_BAD_FLAG;
    struct ms_message *m = (struct ms_message *)ms_mailbox_find_uid(mb, uid);
    if (!m)
        return MS_ERR_NOT_FOUND;
    unsigned nf = op == MS_FLAGS_REPLACE ? flags
                  : op == MS_FLAGS_ADD   ? m->flags | flags
                                         : m->flags & ~flags;
    struct mc_strv kw = {0};
    if (!keywords_apply(&m->keywords, op, keywords, &kw)) {
        mc_strv_free(&kw);
        return MS_ERR_LIMIT;
    }
    bool kw_changed = !keywords_equal(&kw, &m->keywords);
    if (nf == m->flags && !kw_changed) {
        mc_strv_free(&kw);
        return MS_OK;
    }
    if (nf != m->flags && m->file) {
        char *file;
        if (md_set_flags(mb->dir, m->file, nf, &file, &mb->user->store->err) != 0) {
            mc_strv_free(&kw);
            return MS_ERR_IO;
        }
        free(m->file);
        m->file = file;
    }
    m->flags = nf;
    mc_strv_free(&m->keywords);
    m->keywords = kw;
    m->modseq = ++mb->modseq;
    m->changed_by = origin ? origin->id : 0;
    if (changed)
        *changed = true;
    s = kw_changed ? msi_mailbox_save_uids(mb) : MS_OK;
    msi_mailbox_notify(mb, origin);
    return s;
}

static int uid_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* pick[i] for every message of mb whose UID is in uids[0..n) (and, if flag, has it). */
static bool *mailbox_pick(const struct ms_mailbox *mb, const uint32_t *uids, size_t n,
                          unsigned flag)
{
    uint32_t *sorted = NULL;
    if (uids) {
        sorted = mc_xmalloc((n ? n : 1) * sizeof *sorted);
        if (n)
            memcpy(sorted, uids, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, uid_cmp);
    }
    bool *pick = mc_xcalloc(mb->count ? mb->count : 1, sizeof *pick);
    for (size_t i = 0; i < mb->count; i++) {
        const struct ms_message *m = mb->msgs[i];
        pick[i] = (!flag || (m->flags & flag)) &&
                  (!uids || (n && bsearch(&m->uid, sorted, n, sizeof *sorted, uid_cmp)));
    }
    free(sorted);
    return pick;
}

enum ms_status ms_mailbox_expunge(struct ms_mailbox *mb, const uint32_t *only, size_t n,
                                  struct ms_uidlist *expunged)
{
    enum ms_status s = mailbox_usable(mb);
    if (s != MS_OK)
        return s;
    bool *pick = mailbox_pick(mb, only, n, MS_FLAG_DELETED);
    s = msi_mailbox_remove(mb, pick, expunged);
    free(pick);
    return s;
}

enum ms_status ms_mailbox_delete_uids(struct ms_mailbox *mb, const uint32_t *uids, size_t n)
{
    enum ms_status s = mailbox_usable(mb);
    if (s != MS_OK || n == 0)
        return s; /* no UIDs: nothing to remove (mailbox_pick reads a NULL list as "all") */
    bool *pick = mailbox_pick(mb, uids, n, 0);
    s = msi_mailbox_remove(mb, pick, NULL);
    free(pick);
    return s;
}

/* Copies the picked messages of src, ascending, to dst; on failure dst is as before. */
enum ms_status msi_mailbox_copy_messages(struct ms_mailbox *src, const bool *pick,
                                         struct ms_mailbox *dst, struct ms_uidlist *src_out,
                                         struct ms_uidlist *dst_out)
{
    size_t n = 0, count = src->count; /* dst may be src: copies land after `count` */
    for (size_t i = 0; i < count; i++)
        n += pick[i];
    if (dst->count + n > MS_MESSAGES_PER_MAILBOX_MAX)
        return MS_ERR_LIMIT;
    struct ms_uidlist added = {0};
    enum ms_status s = MS_OK;
    for (size_t i = 0; i < count && s == MS_OK; i++) {
        if (!pick[i])
            continue;
        const struct ms_message *m = src->msgs[i];
        uint32_t uid;
        s = mailbox_add(dst, m->data, m->size, m->flags, &m->keywords, m->date, &uid);
        if (s == MS_OK)
            ms_uidlist_push(&added, uid);
    }
    if (s != MS_OK) { /* RFC 3501 6.4.7: restore the destination */
        bool *undo = mailbox_pick(dst, added.uids, added.count, 0);
        msi_mailbox_remove(dst, undo, NULL);
        free(undo);
    } else {
        for (size_t i = 0, k = 0; i < count; i++) {
            if (!pick[i])
                continue;
            if (src_out)
                ms_uidlist_push(src_out, src->msgs[i]->uid);
            if (dst_out)
                ms_uidlist_push(dst_out, added.uids[k]);
            k++;
        }
    }
    ms_uidlist_free(&added);
    return s;
}

enum ms_status ms_mailbox_copy(struct ms_mailbox *src, const uint32_t *uids, size_t n,
                               struct ms_mailbox *dst, struct ms_uidlist *src_out,
                               struct ms_uidlist *dst_out)
{
    enum ms_status s = mailbox_usable(src);
    if (s == MS_OK)
        s = mailbox_usable(dst);
    if (s != MS_OK)
        return s;
    bool *pick = mailbox_pick(src, uids, n, 0);
    s = msi_mailbox_copy_messages(src, pick, dst, src_out, dst_out);
    free(pick);
    return s;
}

enum ms_status ms_mailbox_move(struct ms_mailbox *src, const uint32_t *uids, size_t n,
                               struct ms_mailbox *dst, struct ms_uidlist *src_out,
                               struct ms_uidlist *dst_out)
{
    enum ms_status s = mailbox_usable(src);
    if (s == MS_OK)
        s = mailbox_usable(dst);
    if (s != MS_OK)
        return s;
    if (src == dst) /* RFC 6851 3.3 lets it fail; moving onto itself would only renumber */
        return MS_ERR_EXISTS;
    bool *pick = mailbox_pick(src, uids, n, 0);
    s = msi_mailbox_copy_messages(src, pick, dst, src_out, dst_out);
    if (s == MS_OK)
        s = msi_mailbox_remove(src, pick, NULL);
    free(pick);
    return s;
}

enum ms_status ms_mailbox_lock_pop3(struct ms_mailbox *mb)
{
    enum ms_status s = mailbox_usable(mb);
    if (s != MS_OK)
        return s;
    if (mb->pop3_locked)
        return MS_ERR_IN_USE;
    mb->pop3_locked = true;
    return MS_OK;
}

void ms_mailbox_unlock_pop3(struct ms_mailbox *mb)
{
    mb->pop3_locked = false;
}
