/*
 * imap_message — the IMAP commands that add, change, copy, move, remove and find messages:
 * APPEND, STORE, COPY, MOVE, EXPUNGE, SEARCH and their UID forms (see imap_int.h).
 *
 * Every change goes to the mailstore at once, and every session learns of it at its next sync
 * (imap.c). A session's own changes are answered by the command itself: STORE sends the new
 * FLAGS (UID included in the UID form) unless .SILENT (RFC 3501 6.4.6); EXPUNGE and MOVE
 * report their removals through the sync that precedes the tagged OK (highest sequence
 * number first, so every number is valid when sent). UIDPLUS (RFC 4315) response codes come
 * with APPEND (APPENDUID), COPY and MOVE (COPYUID); MOVE (RFC 6851) sends its COPYUID in an
 * untagged OK before the EXPUNGE responses. A destination that does not exist gets
 * NO [TRYCREATE] (RFC 3501 6.3.11, 6.4.7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "reference/imap_int.h"
#include "reference/imap_search.h"

/* Reads SP sequence-set into out's UIDs; false after answering. */
static bool imap_read_set(struct imap *im, struct imap_cmd *c, struct ms_uidlist *out)
{
    struct imap_seqset set = {0};
    bool ok = imap_parse_sp(c->ps) && imap_parse_seqset(c->ps, &set);
    if (!ok)
        imap_bad_syntax(im, c);
    else
        ok = imap_set_uids(im, c, &set, out);
    imap_seqset_free(&set);
    return ok;
}

/* ---- APPEND ---- */

struct imap_append {
    unsigned flags;
    struct mc_strv keywords;
    time_t date;
    struct mc_buf message;
};

/* [SP flag-list] [SP date-time] SP literal */
static bool imap_append_args(struct imap_parser *ps, struct imap_append *a)
{
    a->date = time(NULL);
    if (!imap_parse_sp(ps))
        return false;
    if (imap_peek_char(ps, '(') &&
        (!imap_parse_flags(ps, false, &a->flags, &a->keywords) || !imap_parse_sp(ps)))
        return false;
    if (imap_peek_char(ps, '"') && (!imap_parse_date_time(ps, &a->date) || !imap_parse_sp(ps)))
        return false;
    return imap_parse_string(ps, &a->message, NULL);
}

static void imap_append_store(struct imap *im, struct imap_cmd *c, const char *name,
                              struct imap_append *a)
{
    struct ms_mailbox *mb = ms_user_find_mailbox(im->user, name);
    if (!mb) {
        imap_no(im, c, "[TRYCREATE] no mailbox %s", name);
        return;
    }
    uint32_t uid = 0;
    enum ms_status st = ms_mailbox_append(mb, imap_str(&a->message), a->message.len, a->flags,
                                          &a->keywords, a->date, &uid);
    if (st == MS_OK)
        imap_ok(im, c, "[APPENDUID %u %u] APPEND completed", ms_mailbox_uidvalidity(mb), uid);
    else
        imap_no_status(im, c, st, "APPEND");
}

void imap_cmd_append(struct imap *im, struct imap_cmd *c)
{
    char name[MS_MAILBOX_NAME_MAX + 1];
    struct imap_append a = {0};
    if (imap_mailbox_arg(im, c, name)) {
        if (!imap_append_args(c->ps, &a))
            imap_bad_syntax(im, c);
        else if (imap_expect_end(im, c))
            imap_append_store(im, c, name, &a);
    }
    mc_strv_free(&a.keywords);
    mc_buf_free(&a.message);
}

/* ---- STORE ---- */

/* "FLAGS" / "+FLAGS" / "-FLAGS", optionally ".SILENT". */
static bool imap_store_item(struct imap_parser *ps, enum ms_flag_op *op, bool *silent)
{
    *op = MS_FLAGS_REPLACE;
    if (imap_parse_char(ps, '+'))
        *op = MS_FLAGS_ADD;
    else if (imap_parse_char(ps, '-'))
        *op = MS_FLAGS_REMOVE;
    struct mc_buf atom = {0};
    bool ok = imap_parse_atom(ps, &atom);
    *silent = ok && strcasecmp(atom.data, "FLAGS.SILENT") == 0;
    ok = ok && (*silent || strcasecmp(atom.data, "FLAGS") == 0);
    mc_buf_free(&atom);
    return ok ? true : imap_parse_fail(ps, "STORE takes FLAGS, +FLAGS or -FLAGS [.SILENT]");
}

/* " (UNCHANGEDSINCE n)" (RFC 7162 3.1.3), optional; *given says whether it came. */
static bool imap_store_modifier(struct imap_parser *ps, bool *given, uint64_t *since)
{
    *given = false;
    if (!imap_peek_char(ps, '('))
        return true;
    struct mc_buf atom = {0};
    bool ok = imap_parse_char(ps, '(') && imap_parse_atom(ps, &atom) &&
              strcasecmp(atom.data, "UNCHANGEDSINCE") == 0 && imap_parse_sp(ps) &&
              imap_parse_number64(ps, since) && imap_parse_char(ps, ')') && imap_parse_sp(ps);
    mc_buf_free(&atom);
    *given = ok;
    return ok ? true : imap_parse_fail(ps, "the only STORE modifier is (UNCHANGEDSINCE n)");
}

struct imap_store {
    enum ms_flag_op op;
    bool silent;
    unsigned flags;
    struct mc_strv keywords;
    bool conditional; /* UNCHANGEDSINCE */
    uint64_t unchanged_since;
    struct ms_uidlist modified; /* refused by UNCHANGEDSINCE: seqs, or UIDs for UID STORE */
};

/* One message; false after answering NO. */
static bool imap_store_one(struct imap *im, struct imap_cmd *c, struct imap_store *s, uint32_t uid)
{
    struct ms_mailbox *mb = ms_view_mailbox(im->view);
    uint32_t seq = ms_view_seq(im->view, uid);
    if (s->conditional && seq &&
        ms_message_modseq(ms_view_message(im->view, seq)) > s->unchanged_since) {
        ms_uidlist_push(&s->modified, c->uid ? uid : seq);
        return true;
    }
    bool changed = false;
    enum ms_status st =
        ms_mailbox_store_flags(mb, im->view, uid, s->op, s->flags, &s->keywords, &changed);
    if (st != MS_OK && st != MS_ERR_NOT_FOUND) { /* NOT_FOUND: expunged meanwhile */
        imap_no_status(im, c, st, "STORE");
        return false;
    }
    /* With CONDSTORE, even .SILENT reports the new mod-sequence (RFC 7162 3.1.3). */
    if (seq && (!s->silent || s->conditional || (im->condstore && changed)))
        imap_send_flags(im, seq, ms_view_message(im->view, seq), c->uid);
    return true;
}

void imap_cmd_store(struct imap *im, struct imap_cmd *c)
{
    struct ms_uidlist uids = {0};
    struct imap_store s = {0};
    if (!imap_read_set(im, c, &uids))
        goto out;
    if (!imap_parse_sp(c->ps) || !imap_store_modifier(c->ps, &s.conditional, &s.unchanged_since) ||
        !imap_store_item(c->ps, &s.op, &s.silent) || !imap_parse_sp(c->ps) ||
        !imap_parse_flags(c->ps, true, &s.flags, &s.keywords)) {
        imap_bad_syntax(im, c);
        goto out;
    }
    if (!imap_expect_end(im, c))
        goto out;
    if (s.conditional)
        imap_condstore_enable(im);
    for (size_t i = 0; i < uids.count; i++)
        if (!imap_store_one(im, c, &s, uids.uids[i]))
            goto out;
    if (s.modified.count) {
        struct mc_buf set = {0};
        imap_write_numbers(&set, s.modified.uids, s.modified.count);
        imap_ok(im, c, "[MODIFIED %s] conditional STORE failed for some messages", set.data);
        mc_buf_free(&set);
    } else {
        imap_ok(im, c, "STORE completed");
    }
out:
    ms_uidlist_free(&uids);
    ms_uidlist_free(&s.modified);
    mc_strv_free(&s.keywords);
}

/* ---- COPY, MOVE ---- */

static void imap_copyuid(struct mc_buf *out, const struct ms_mailbox *dst,
                         const struct ms_uidlist *src_uids, const struct ms_uidlist *dst_uids)
{
    mc_buf_printf(out, "[COPYUID %u ", ms_mailbox_uidvalidity(dst));
    imap_write_numbers(out, src_uids->uids, src_uids->count);
    mc_buf_append_char(out, ' ');
    /* The destination UIDs in the order of the source UIDs (RFC 4315 3): both ascending. */
    imap_write_numbers(out, dst_uids->uids, dst_uids->count);
    mc_buf_append_str(out, "] ");
}

static void imap_copy_or_move(struct imap *im, struct imap_cmd *c, bool move)
{
    struct ms_uidlist uids = {0}, src_out = {0}, dst_out = {0};
    char name[MS_MAILBOX_NAME_MAX + 1];
    if (!imap_read_set(im, c, &uids) || !imap_mailbox_arg(im, c, name) || !imap_expect_end(im, c))
        goto out;
    struct ms_mailbox *dst = ms_user_find_mailbox(im->user, name);
    if (!dst) {
        imap_no(im, c, "[TRYCREATE] no mailbox %s", name);
        goto out;
    }
    struct ms_mailbox *src = ms_view_mailbox(im->view);
    enum ms_status st = move ? ms_mailbox_move(src, uids.uids, uids.count, dst, &src_out, &dst_out)
                             : ms_mailbox_copy(src, uids.uids, uids.count, dst, &src_out, &dst_out);
    if (st != MS_OK) {
        imap_no_status(im, c, st, c->name);
        goto out;
    }
    struct mc_buf code = {0};
    if (src_out.count)
        imap_copyuid(&code, dst, &src_out, &dst_out);
    if (move) {
        if (code.len)
            imap_send(im, "* OK %smoved", code.data);
        imap_ok(im, c, "MOVE completed");
    } else {
        imap_ok(im, c, "%sCOPY completed", imap_str(&code));
    }
    mc_buf_free(&code);
out:
    ms_uidlist_free(&uids);
    ms_uidlist_free(&src_out);
    ms_uidlist_free(&dst_out);
}

void imap_cmd_copy(struct imap *im, struct imap_cmd *c)
{
    imap_copy_or_move(im, c, false);
}

void imap_cmd_move(struct imap *im, struct imap_cmd *c)
{
    imap_copy_or_move(im, c, true);
}

/* ---- EXPUNGE, UID EXPUNGE ---- */

void imap_cmd_expunge(struct imap *im, struct imap_cmd *c)
{
    struct ms_uidlist uids = {0};
    if ((c->uid && !imap_read_set(im, c, &uids)) || !imap_expect_end(im, c)) {
        ms_uidlist_free(&uids);
        return;
    }
    enum ms_status st = MS_OK; /* a UID set naming nothing removes nothing (RFC 4315 2.1) */
    if (!c->uid || uids.count > 0)
        st = ms_mailbox_expunge(ms_view_mailbox(im->view), c->uid ? uids.uids : NULL, uids.count,
                                NULL);
    if (st == MS_OK)
        imap_ok(im, c, "%s completed", c->uid ? "UID EXPUNGE" : "EXPUNGE");
    else
        imap_no_status(im, c, st, "EXPUNGE");
    ms_uidlist_free(&uids);
}

/* ---- SEARCH ---- */

static void imap_search_answer(struct imap *im, struct imap_cmd *c, const struct ms_uidlist *hits,
                               unsigned returns, uint64_t modseq)
{
    struct mc_buf b = {0};
    if (!returns && !im->rev2) {
        mc_buf_append_str(&b, "* SEARCH");
        for (size_t i = 0; i < hits->count; i++)
            mc_buf_printf(&b, " %u", hits->uids[i]);
        if (modseq && hits->count) /* RFC 7162 3.1.5 */
            mc_buf_printf(&b, " (MODSEQ %llu)", (unsigned long long)modseq);
    } else {
        returns = returns ? returns : IMAP_RETURN_ALL; /* RFC 9051 6.4.4 */
        mc_buf_append_str(&b, "* ESEARCH (TAG ");
        imap_write_string(&b, c->tag, strlen(c->tag), false);
        mc_buf_printf(&b, ")%s", c->uid ? " UID" : "");
        if ((returns & IMAP_RETURN_MIN) && hits->count)
            mc_buf_printf(&b, " MIN %u", hits->uids[0]);
        if ((returns & IMAP_RETURN_MAX) && hits->count)
            mc_buf_printf(&b, " MAX %u", hits->uids[hits->count - 1]);
        if (returns & IMAP_RETURN_COUNT)
            mc_buf_printf(&b, " COUNT %zu", hits->count);
        if ((returns & IMAP_RETURN_ALL) && hits->count) {
            mc_buf_append_str(&b, " ALL ");
            imap_write_numbers(&b, hits->uids, hits->count);
        }
        if (modseq && hits->count) /* RFC 7162 3.2.5 */
            mc_buf_printf(&b, " MODSEQ %llu", (unsigned long long)modseq);
    }
    imap_send(im, "%s", b.data);
    mc_buf_free(&b);
}

/* RETURN (SAVE ...) keeps the result for "$": all of it, or with MIN and/or MAX (and neither
   ALL nor COUNT) only those (RFC 5182 2.1). uids: ascending. */
static void imap_search_save(struct imap *im, const struct ms_uidlist *uids, unsigned returns)
{
    ms_uidlist_free(&im->saved);
    bool only_ends = (returns & (IMAP_RETURN_MIN | IMAP_RETURN_MAX)) &&
                     !(returns & (IMAP_RETURN_ALL | IMAP_RETURN_COUNT));
    for (size_t i = 0; i < uids->count; i++) {
        bool first = i == 0, last = i + 1 == uids->count;
        if (!only_ends || (first && (returns & IMAP_RETURN_MIN)) ||
            (last && (returns & IMAP_RETURN_MAX)))
            ms_uidlist_push(&im->saved, uids->uids[i]);
    }
}

void imap_cmd_search(struct imap *im, struct imap_cmd *c)
{
    struct imap_search *q = NULL;
    unsigned returns = 0;
    if (!imap_parse_sp(c->ps)) {
        imap_bad_syntax(im, c);
        return;
    }
    enum imap_search_error e = imap_search_parse(c->ps, true, &q, &returns);
    if (e != IMAP_SEARCH_OK && (returns & IMAP_RETURN_SAVE))
        ms_uidlist_free(&im->saved); /* a failed SAVE leaves "$" empty (RFC 5182 2.1) */
    if (e == IMAP_SEARCH_BAD_CHARSET) {
        imap_no(im, c, "[BADCHARSET (US-ASCII UTF-8)] unsupported charset");
        return;
    }
    if (e != IMAP_SEARCH_OK) {
        imap_bad_syntax(im, c);
        return;
    }
    struct ms_uidlist hits = {0}; /* sequence numbers, or UIDs for UID SEARCH */
    struct ms_uidlist hit_uids = {0};
    uint32_t count = ms_view_count(im->view);
    struct imap_search_target t = {.max_seq = count, .saved = &im->saved};
    t.max_uid = count ? ms_message_uid(ms_view_message(im->view, count)) : 0;
    bool modseq_key = imap_search_uses_modseq(q);
    uint64_t highest = 0; /* of the messages found, when MODSEQ was searched */
    if (modseq_key)
        imap_condstore_enable(im);
    for (uint32_t seq = 1; seq <= count; seq++) {
        t.msg = ms_view_message(im->view, seq);
        t.seq = seq;
        t.recent = ms_view_recent(im->view, seq);
        if (!imap_search_match(q, &t))
            continue;
        ms_uidlist_push(&hits, c->uid ? ms_message_uid(t.msg) : seq);
        ms_uidlist_push(&hit_uids, ms_message_uid(t.msg));
        if (modseq_key && ms_message_modseq(t.msg) > highest)
            highest = ms_message_modseq(t.msg);
    }
    if (returns & IMAP_RETURN_SAVE)
        imap_search_save(im, &hit_uids, returns);
    if (returns != IMAP_RETURN_SAVE) /* SAVE alone answers nothing (RFC 5182 2.1) */
        imap_search_answer(im, c, &hits, returns & ~(unsigned)IMAP_RETURN_SAVE, highest);
    imap_ok(im, c, "SEARCH completed");
    ms_uidlist_free(&hits);
    ms_uidlist_free(&hit_uids);
    imap_search_free(q);
}
