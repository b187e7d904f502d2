/*
 * mailstore_view — one session's view of a mailbox: the snapshot that gives its sequence
 * numbers, and the sync that brings it up to date (see mailstore.h for the order of events).
 *
 * Nothing is queued per view: a view holds references to the messages it knows, so at sync it
 * finds expunges (messages marked expunged), new messages (UIDs above the highest it knew) and
 * flag changes (modseq above the one of its last sync, made by another view) by one pass over
 * its snapshot. A view that never syncs (POP3) therefore costs no memory as others change the
 * mailbox, beyond keeping alive the messages it still shows.
 *
 * A view is bound to one incarnation of its mailbox: the UIDVALIDITY it opened with. Once the
 * mailbox is deleted, made \Noselect or re-created under a new UIDVALIDITY, the view is gone
 * (ms_view_gone): frozen as it was, since its sequence numbers and UIDs no longer mean anything
 * in the mailbox.
 */
#include <stdlib.h>
#include <string.h>

#include "reference/mailstore_int.h"

static void view_push(struct ms_view *v, struct ms_message *m)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = mc_xrealloc(v->items, v->cap * sizeof *v->items);
    }
    m->refs++;
    /* \Recent goes to the first claiming view that learns of the message (RFC 3501 2.3.2);
       a seeing view (EXAMINE) shows it too while nobody claimed it, without claiming it. */
    bool recent = v->sees_recent && m->uid > v->mb->recent_claimed;
    v->items[v->count++] = (struct ms_view_entry){.msg = m, .recent = recent};
}

/* Adds the messages above known_uid; returns how many. */
static size_t view_take_new(struct ms_view *v)
{
    struct ms_mailbox *mb = v->mb;
    size_t first = msi_mailbox_lower_bound(mb, v->known_uid + 1), added = 0;
    for (size_t i = first; i < mb->count; i++, added++)
        view_push(v, mb->msgs[i]);
    v->known_uid = mb->uidnext - 1;
    if (v->claims_recent && mb->recent_claimed < v->known_uid)
        mb->recent_claimed = v->known_uid;
    return added;
}

enum ms_status ms_view_open(struct ms_mailbox *mb, unsigned open_flags, struct ms_view **out)
{
    *out = NULL;
    if (mb->deleted)
        return MS_ERR_NOT_FOUND;
    if (mb->noselect)
        return MS_ERR_NOSELECT;
    struct ms_view *v = mc_xcalloc(1, sizeof *v);
    v->mb = mb;
    v->id = mb->user->store->next_view_id++;
    v->uidvalidity = mb->uidvalidity;
    v->claims_recent = open_flags & MS_VIEW_CLAIM_RECENT;
    v->sees_recent = open_flags & (MS_VIEW_CLAIM_RECENT | MS_VIEW_SEE_RECENT);
    v->known_uid = 0;
    view_take_new(v);
    v->synced_modseq = mb->modseq;
    v->next = mb->views;
    mb->views = v;
    mb->refs++;
    *out = v;
    return MS_OK;
}

void ms_view_close(struct ms_view *v)
{
    if (!v)
        return;
    struct ms_mailbox *mb = v->mb;
    for (struct ms_view **p = &mb->views; *p; p = &(*p)->next)
        if (*p == v) {
            *p = v->next;
            break;
        }
    for (size_t i = 0; i < v->count; i++)
        msi_message_unref(v->items[i].msg);
    free(v->items);
    free(v);
    msi_mailbox_unref(mb);
}

struct ms_mailbox *ms_view_mailbox(const struct ms_view *v)
{
    return v->mb;
}

bool ms_view_gone(const struct ms_view *v)
{
    const struct ms_mailbox *mb = v->mb;
    return mb->deleted || mb->noselect || mb->uidvalidity != v->uidvalidity;
}

uint32_t ms_view_count(const struct ms_view *v)
{
    return (uint32_t)v->count;
}

const struct ms_message *ms_view_message(const struct ms_view *v, uint32_t seq)
{
    return seq >= 1 && seq <= v->count ? v->items[seq - 1].msg : NULL;
}

uint32_t ms_view_seq(const struct ms_view *v, uint32_t uid)
{
    size_t lo = 0, hi = v->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->items[mid].msg->uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->count && v->items[lo].msg->uid == uid ? (uint32_t)lo + 1 : 0;
}

bool ms_view_recent(const struct ms_view *v, uint32_t seq)
{
    return seq >= 1 && seq <= v->count && v->items[seq - 1].recent;
}

uint32_t ms_view_recent_count(const struct ms_view *v)
{
    uint32_t n = 0;
    for (size_t i = 0; i < v->count; i++)
        n += v->items[i].recent;
    return n;
}

bool ms_view_pending(const struct ms_view *v)
{
    const struct ms_mailbox *mb = v->mb;
    if (ms_view_gone(v))
        return true;
    if (mb->uidnext - 1 > v->known_uid && mb->count && mb->msgs[mb->count - 1]->uid > v->known_uid)
        return true;
    if (mb->modseq == v->synced_modseq)
        return false;
    for (size_t i = 0; i < v->count; i++) {
        const struct ms_message *m = v->items[i].msg;
        if (m->expunged || (m->modseq > v->synced_modseq && m->changed_by != v->id))
            return true;
    }
    return false;
}

void ms_view_set_notify(struct ms_view *v, void (*notify)(void *ctx), void *ctx)
{
    v->notify = notify;
    v->notify_ctx = ctx;
}

/* Highest sequence number first: each reported number is one the client still knows. */
static void view_sync_expunges(struct ms_view *v, const struct ms_view_events *ev, void *ctx)
{
    for (size_t i = v->count; i-- > 0;) {
        struct ms_message *m = v->items[i].msg;
        if (!m->expunged)
            continue;
        uint32_t uid = m->uid;
        memmove(&v->items[i], &v->items[i + 1], (v->count - i - 1) * sizeof *v->items);
        v->count--;
        msi_message_unref(m);
        if (ev && ev->expunge)
            ev->expunge(ctx, (uint32_t)i + 1, uid);
    }
}

void ms_view_sync(struct ms_view *v, unsigned sync_flags, const struct ms_view_events *ev,
                  void *ctx)
{
    if (ms_view_gone(v))
        return; /* frozen: its numbers mean nothing in what the mailbox is now */
    if (!(sync_flags & MS_SYNC_DEFER_EXPUNGE))
        view_sync_expunges(v, ev, ctx);
    size_t old = v->count;
    if (view_take_new(v) > 0 && ev && ev->exists)
        ev->exists(ctx, (uint32_t)v->count);
    for (size_t i = 0; i < old; i++) {
        struct ms_message *m = v->items[i].msg;
        if (m->expunged || m->modseq <= v->synced_modseq || m->changed_by == v->id)
            continue;
        if (ev && ev->flags)
            ev->flags(ctx, (uint32_t)i + 1, m);
    }
    v->synced_modseq = v->mb->modseq;
}
