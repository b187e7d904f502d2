/*
 * imap_view — the selected mailbox as one IMAP session sees it (see imap_int.h): reporting
 * what changed since the last sync (untagged EXPUNGE, EXISTS, RECENT and FETCH FLAGS, at the
 * points RFC 3501 7.4.1 allows), turning sequence sets and UID sets into the UIDs they name,
 * leaving the mailbox, and switching CONDSTORE on. The commands (imap_message.c, imap_fetch.c,
 * imap_mailbox.c) and the session core (imap.c) share these; none of them keeps its own idea
 * of the view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference/imap_int.h"

/* ---- sync ---- */

static void imap_on_expunge(void *ctx, uint32_t seq, uint32_t uid)
{
    (void)uid;
    imap_send(ctx, "* %u EXPUNGE", seq);
}

static void imap_on_exists(void *ctx, uint32_t count)
{
    struct imap *im = ctx;
    imap_send(im, "* %u EXISTS", count);
}

static void imap_on_flags(void *ctx, uint32_t seq, const struct ms_message *m)
{
    struct imap *im = ctx;
    imap_send_flags(im, seq, m, im->condstore); /* RFC 7162 3.2.4: with UID under CONDSTORE */
}

void imap_sync(struct imap *im)
{
    if (!im->view)
        return;
    if (ms_view_gone(im->view)) {
        imap_send(im, "* BYE the selected mailbox was deleted or re-created by another session");
        imap_deselect(im);
        im->state = IMAP_LOGOUT;
        rs_session_close(im->s);
        return;
    }
    static const struct ms_view_events events = {
        .expunge = imap_on_expunge, .exists = imap_on_exists, .flags = imap_on_flags};
    ms_view_sync(im->view, im->defer_expunge ? MS_SYNC_DEFER_EXPUNGE : 0, &events, im);
    uint32_t recent = ms_view_recent_count(im->view);
    if (!im->rev2 && recent != im->known_recent)
        imap_send(im, "* %u RECENT", recent);
    im->known_recent = recent;
}

void imap_condstore_enable(struct imap *im)
{
    if (im->condstore)
        return;
    im->condstore = true;
    if (im->view)
        imap_send(im, "* OK [HIGHESTMODSEQ %llu] highest mod-sequence",
                  (unsigned long long)ms_mailbox_highest_modseq(ms_view_mailbox(im->view)));
}

void imap_deselect(struct imap *im)
{
    if (im->view)
        ms_view_close(im->view);
    im->view = NULL;
    im->read_only = false;
    im->known_recent = 0;
    ms_uidlist_free(&im->saved); /* "$" belongs to the selected mailbox (RFC 5182 2.1) */
    if (im->state == IMAP_SELECTED)
        im->state = IMAP_AUTHENTICATED;
}

/* ---- message sets ---- */

bool imap_set_uids(struct imap *im, struct imap_cmd *c, const struct imap_seqset *set,
                   struct ms_uidlist *out)
{
    uint32_t count = ms_view_count(im->view);
    if (set->saved) { /* "$": the saved messages still there, whatever the form */
        for (size_t i = 0; i < im->saved.count; i++)
            if (ms_view_seq(im->view, im->saved.uids[i]))
                ms_uidlist_push(out, im->saved.uids[i]);
        return true;
    }
    if (!c->uid && (count == 0 || imap_seqset_max(set, count) > count)) {
        imap_bad(im, c, "%s: no message has that sequence number (the mailbox has %u)", c->name,
                 count);
        return false;
    }
    uint32_t max_uid = count ? ms_message_uid(ms_view_message(im->view, count)) : 0;
    struct imap_seqset r = {0}; /* ascending: walked beside the ascending messages */
    imap_seqset_resolve(set, c->uid ? max_uid : count, &r);
    size_t k = 0;
    for (uint32_t seq = 1; seq <= count && k < r.count; seq++) {
        uint32_t uid = ms_message_uid(ms_view_message(im->view, seq));
        uint32_t n = c->uid ? uid : seq;
        while (k < r.count && r.ranges[k].hi < n)
            k++;
        if (k < r.count && r.ranges[k].lo <= n)
            ms_uidlist_push(out, uid);
    }
    imap_seqset_free(&r);
    return true;
}

/* ---- flag responses ---- */

void imap_send_flags(struct imap *im, uint32_t seq, const struct ms_message *m, bool uid)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "* %u FETCH (", seq);
    if (uid)
        mc_buf_printf(&b, "UID %u ", ms_message_uid(m));
    mc_buf_append_str(&b, "FLAGS ");
    imap_write_flags(&b, ms_message_flags(m), ms_message_keywords(m),
                     !im->rev2 && ms_view_recent(im->view, seq));
    if (im->condstore)
        mc_buf_printf(&b, " MODSEQ (%llu)", (unsigned long long)ms_message_modseq(m));
    imap_send(im, "%s)", b.data);
    mc_buf_free(&b);
}
