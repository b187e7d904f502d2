/*
 * imap_mailbox — the IMAP commands about whole mailboxes (see imap_int.h): opening one (SELECT,
 * EXAMINE), leaving it (CLOSE, UNSELECT), creating, deleting and renaming (the hierarchy and
 * INBOX rules are the mailstore's, mailstore.h), subscriptions, STATUS and CHECK; and mailbox
 * names on the wire.
 *
 * Names travel as modified UTF-7 for an IMAP4rev1 client (RFC 3501 5.1.3: a name that is not
 * canonical modified UTF-7 is refused) and as UTF-8 once IMAP4rev2 is enabled (RFC 9051 5.1).
 * SELECT answers with what RFC 3501 6.3.1 requires of IMAP4rev1 (FLAGS, EXISTS, RECENT, UNSEEN,
 * PERMANENTFLAGS, UIDVALIDITY, UIDNEXT) and what RFC 9051 6.3.2 requires of IMAP4rev2 (no
 * RECENT or UNSEEN, a LIST response, OK [CLOSED] when a mailbox was selected before).
 * Special-use attributes (RFC 6154) come from well-known top-level names (Sent, Drafts,
 * Trash, Junk, Archive): the mailstore keeps no attributes of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/utf8.h"
#include "reference/imap_int.h"
#include "reference/imap_utf7.h"

/* ---- names ---- */

static bool imap_name_decode(struct imap *im, const struct mc_buf *raw, struct mc_buf *utf8)
{
    if (im->utf8_accept) {
        mc_buf_append(utf8, imap_str(raw), raw->len);
        return mc_utf8_valid(imap_str(raw), raw->len);
    }
    return imap_mutf7_to_utf8(imap_str(raw), raw->len, utf8);
}

/* Reads a name; `create`: a trailing separator is allowed and dropped (RFC 3501 6.3.3). */
static bool imap_mailbox_read(struct imap *im, struct imap_cmd *c, bool create,
                              char name[MS_MAILBOX_NAME_MAX + 1])
{
    struct mc_buf raw = {0}, utf8 = {0};
    bool ok = false;
    if (!imap_parse_sp(c->ps) || !imap_parse_astring(c->ps, &raw)) {
        imap_parse_fail(c->ps, "a mailbox name is expected");
        imap_bad_syntax(im, c);
    } else if (!imap_name_decode(im, &raw, &utf8)) {
        imap_no(im, c, "[CANNOT] the name is not valid %s",
                im->utf8_accept ? "UTF-8" : "modified UTF-7 (RFC 3501 5.1.3)");
    } else {
        if (create && utf8.len > 1 && utf8.data[utf8.len - 1] == MS_HIERARCHY_SEP)
            utf8.data[--utf8.len] = '\0';
        enum ms_status st = ms_mailbox_name_canonical(imap_str(&utf8), name);
        ok = st == MS_OK && strlen(imap_str(&utf8)) == utf8.len; /* no NUL inside */
        if (!ok)
            imap_no(im, c, "[CANNOT] mailbox name refused: %s", ms_status_str(st));
    }
    mc_buf_free(&raw);
    mc_buf_free(&utf8);
    return ok;
}

bool imap_mailbox_arg(struct imap *im, struct imap_cmd *c, char name[MS_MAILBOX_NAME_MAX + 1])
{
    return imap_mailbox_read(im, c, false, name);
}

void imap_write_mailbox(const struct imap *im, struct mc_buf *out, const char *name)
{
    if (im->utf8_accept) {
        imap_write_string(out, name, strlen(name), true);
        return;
    }
    struct mc_buf enc = {0};
    imap_utf8_to_mutf7(name, strlen(name), &enc);
    imap_write_string(out, imap_str(&enc), enc.len, false);
    mc_buf_free(&enc);
}

const char *imap_special_use(const char *name)
{
    static const char *const uses[][2] = {
        {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},   {"Trash", "\\Trash"},
        {"Junk", "\\Junk"}, {"Archive", "\\Archive"},
    };
    for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++)
        if (strcmp(name, uses[i][0]) == 0)
            return uses[i][1];
    return "";
}

/* ---- SELECT and EXAMINE ---- */

static int imap_keyword_cmp(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keywords in use in the view, each once (ignoring case): sorted, so that a mailbox of many
   messages with many keywords costs n log n, not n squared. */
static void imap_view_keywords(const struct ms_view *v, struct mc_strv *out)
{
    size_t n = 0, cap = 0;
    const char **all = NULL;
    for (uint32_t seq = 1; seq <= ms_view_count(v); seq++) {
        const struct mc_strv *kw = ms_message_keywords(ms_view_message(v, seq));
        for (size_t i = 0; kw && i < kw->count; i++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                all = mc_xrealloc(all, cap * sizeof *all);
            }
            all[n++] = kw->items[i].ptr;
        }
    }
    if (n)
        qsort(all, n, sizeof *all, imap_keyword_cmp);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcasecmp(all[i - 1], all[i]) != 0)
            mc_strv_push_str(out, all[i]);
    free(all);
}

static void imap_send_flag_list(struct imap *im, const struct ms_view *v)
{
    struct mc_strv keywords = {0};
    imap_view_keywords(v, &keywords);
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "* FLAGS ");
    imap_write_flags(&b, MS_FLAG_ALL, &keywords, false);
    imap_send(im, "%s", b.data);
    mc_buf_reset(&b);
    mc_buf_append_str(&b, "* OK [PERMANENTFLAGS ");
    if (im->read_only)
        mc_buf_append_str(&b, "()");
    else {
        imap_write_flags(&b, MS_FLAG_ALL, &keywords, false);
        b.len--; /* ")" */
        mc_buf_append_str(&b, " \\*)");
    }
    imap_send(im, "%s] flags that can be changed for good", b.data);
    mc_buf_free(&b);
    mc_strv_free(&keywords);
}

static uint32_t imap_first_unseen(const struct ms_view *v)
{
    for (uint32_t seq = 1; seq <= ms_view_count(v); seq++)
        if (!(ms_message_flags(ms_view_message(v, seq)) & MS_FLAG_SEEN))
            return seq;
    return 0;
}

static void imap_send_selected(struct imap *im, const char *name)
{
    struct ms_view *v = im->view;
    struct ms_mailbox *mb = ms_view_mailbox(v);
    imap_send_flag_list(im, v);
    imap_send(im, "* %u EXISTS", ms_view_count(v));
    if (!im->rev2) {
        imap_send(im, "* %u RECENT", ms_view_recent_count(v));
        uint32_t unseen = imap_first_unseen(v);
        if (unseen)
            imap_send(im, "* OK [UNSEEN %u] first unseen message", unseen);
    }
    imap_send(im, "* OK [UIDVALIDITY %u] UIDs valid", ms_mailbox_uidvalidity(mb));
    imap_send(im, "* OK [UIDNEXT %u] predicted next UID", ms_mailbox_uidnext(mb));
    /* RFC 7162 3.1.2.1: on every successful SELECT/EXAMINE of a server with CONDSTORE. */
    imap_send(im, "* OK [HIGHESTMODSEQ %llu] highest mod-sequence",
              (unsigned long long)ms_mailbox_highest_modseq(mb));
    if (im->rev2) {
        struct mc_buf b = {0};
        mc_buf_printf(&b, "* LIST () \"%c\" ", MS_HIERARCHY_SEP);
        imap_write_mailbox(im, &b, name);
        imap_send(im, "%s", b.data);
        mc_buf_free(&b);
    }
}

/* "(CONDSTORE)" after the name (RFC 7162 3.1.8): the one select parameter we know. */
static bool imap_select_params(struct imap_parser *ps, struct imap *im)
{
    struct mc_buf atom = {0};
    bool ok = imap_parse_char(ps, '(') && imap_parse_atom(ps, &atom) &&
              strcasecmp(atom.data, "CONDSTORE") == 0 && imap_parse_char(ps, ')');
    mc_buf_free(&atom);
    if (ok)
        im->condstore = true;
    return ok ? true : imap_parse_fail(ps, "the only SELECT parameter is (CONDSTORE)");
}

static void imap_open_mailbox(struct imap *im, struct imap_cmd *c, bool examine)
{
    char name[MS_MAILBOX_NAME_MAX + 1];
    if (!imap_mailbox_arg(im, c, name))
        return;
    if (imap_parse_sp(c->ps) && !imap_select_params(c->ps, im)) {
        imap_bad_syntax(im, c);
        return;
    }
    if (!imap_expect_end(im, c))
        return;
    bool was_selected = im->view != NULL;
    imap_deselect(im); /* even when the new SELECT fails (RFC 3501 6.3.1) */
    if (was_selected && im->rev2)
        imap_send(im, "* OK [CLOSED] previous mailbox closed");
    struct ms_mailbox *mb = ms_user_find_mailbox(im->user, name);
    enum ms_status st =
        mb ? ms_view_open(mb, examine ? MS_VIEW_SEE_RECENT : MS_VIEW_CLAIM_RECENT, &im->view)
           : MS_ERR_NOT_FOUND;
    if (st != MS_OK) {
        im->view = NULL;
        imap_no_status(im, c, st, examine ? "EXAMINE" : "SELECT");
        return;
    }
    im->state = IMAP_SELECTED;
    im->read_only = examine;
    im->known_recent = ms_view_recent_count(im->view);
    imap_send_selected(im, name);
    imap_ok(im, c, "[%s] %s completed", examine ? "READ-ONLY" : "READ-WRITE",
            examine ? "EXAMINE" : "SELECT");
}

void imap_cmd_select(struct imap *im, struct imap_cmd *c)
{
    imap_open_mailbox(im, c, false);
}

void imap_cmd_examine(struct imap *im, struct imap_cmd *c)
{
    imap_open_mailbox(im, c, true);
}

/* ---- CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE ---- */

void imap_cmd_create(struct imap *im, struct imap_cmd *c)
{
    char name[MS_MAILBOX_NAME_MAX + 1];
    if (!imap_mailbox_read(im, c, true, name) || !imap_expect_end(im, c))
        return;
    enum ms_status st = ms_user_create_mailbox(im->user, name, NULL);
    if (st == MS_OK)
        imap_ok(im, c, "CREATE completed");
    else
        imap_no_status(im, c, st, "CREATE");
}

void imap_cmd_delete(struct imap *im, struct imap_cmd *c)
{
    char name[MS_MAILBOX_NAME_MAX + 1];
    if (!imap_mailbox_arg(im, c, name) || !imap_expect_end(im, c))
        return;
    if (im->view && strcmp(ms_mailbox_name(ms_view_mailbox(im->view)), name) == 0)
        imap_deselect(im); /* deleting what one has selected leaves it, not the session */
    enum ms_status st = ms_user_delete_mailbox(im->user, name);
    if (st == MS_OK)
        imap_ok(im, c, "DELETE completed");
    else
        imap_no_status(im, c, st, "DELETE");
}

void imap_cmd_rename(struct imap *im, struct imap_cmd *c)
{
    char from[MS_MAILBOX_NAME_MAX + 1], to[MS_MAILBOX_NAME_MAX + 1];
    if (!imap_mailbox_arg(im, c, from) || !imap_mailbox_arg(im, c, to) || !imap_expect_end(im, c))
        return;
    enum ms_status st = ms_user_rename_mailbox(im->user, from, to);
    if (st == MS_OK)
        imap_ok(im, c, "RENAME completed");
    else
        imap_no_status(im, c, st, "RENAME");
}

static void imap_subscription(struct imap *im, struct imap_cmd *c, bool subscribe)
{
    char name[MS_MAILBOX_NAME_MAX + 1];
    if (!imap_mailbox_arg(im, c, name) || !imap_expect_end(im, c))
        return;
    enum ms_status st =
        subscribe ? ms_user_subscribe(im->user, name) : ms_user_unsubscribe(im->user, name);
    if (st == MS_OK)
        imap_ok(im, c, "%s completed", c->name);
    else
        imap_no_status(im, c, st, c->name);
}

void imap_cmd_subscribe(struct imap *im, struct imap_cmd *c)
{
    imap_subscription(im, c, true);
}

void imap_cmd_unsubscribe(struct imap *im, struct imap_cmd *c)
{
    imap_subscription(im, c, false);
}

/* ---- STATUS ---- */

static const struct {
    const char *name;
    unsigned item;
} imap_status_names[] = {
    {"MESSAGES", IMAP_STATUS_MESSAGES},       {"UIDNEXT", IMAP_STATUS_UIDNEXT},
    {"UIDVALIDITY", IMAP_STATUS_UIDVALIDITY}, {"UNSEEN", IMAP_STATUS_UNSEEN},
    {"RECENT", IMAP_STATUS_RECENT},           {"SIZE", IMAP_STATUS_SIZE},
    {"DELETED", IMAP_STATUS_DELETED},         {"HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ},
};

static unsigned imap_status_item(const char *name)
{
    for (size_t i = 0; i < sizeof imap_status_names / sizeof imap_status_names[0]; i++)
        if (strcasecmp(name, imap_status_names[i].name) == 0)
            return imap_status_names[i].item;
    return 0;
}

bool imap_status_items(struct imap_parser *ps, unsigned *items)
{
    struct mc_buf atom = {0};
    *items = 0;
    bool ok = imap_parse_char(ps, '(');
    for (bool first = true; ok && !imap_parse_char(ps, ')'); first = false) {
        unsigned item = 0;
        ok = (first || imap_parse_sp(ps)) && imap_parse_atom(ps, &atom) &&
             (item = imap_status_item(atom.data)) != 0;
        if (ok)
            *items |= item;
        else
            imap_parse_fail(ps, "STATUS items are MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT "
                                "SIZE DELETED HIGHESTMODSEQ, in parentheses");
        mc_buf_reset(&atom);
    }
    mc_buf_free(&atom);
    return ok && *items != 0 ? true : imap_parse_fail(ps, "at least one STATUS item is needed");
}

static uint64_t imap_mailbox_size(const struct ms_mailbox *mb)
{
    uint64_t total = 0;
    for (size_t i = 0; i < ms_mailbox_count(mb); i++)
        total += ms_message_size(ms_mailbox_message_at(mb, i));
    return total;
}

void imap_send_status(struct imap *im, struct ms_mailbox *mb, unsigned items)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "* STATUS ");
    imap_write_mailbox(im, &b, ms_mailbox_name(mb));
    const char *sep = " (";
    if (items & IMAP_STATUS_MESSAGES)
        mc_buf_printf(&b, "%sMESSAGES %zu", sep, ms_mailbox_count(mb)), sep = " ";
    if (items & IMAP_STATUS_UIDNEXT)
        mc_buf_printf(&b, "%sUIDNEXT %u", sep, ms_mailbox_uidnext(mb)), sep = " ";
    if (items & IMAP_STATUS_UIDVALIDITY)
        mc_buf_printf(&b, "%sUIDVALIDITY %u", sep, ms_mailbox_uidvalidity(mb)), sep = " ";
    if (items & IMAP_STATUS_UNSEEN)
        mc_buf_printf(&b, "%sUNSEEN %zu", sep, ms_mailbox_count_without(mb, MS_FLAG_SEEN)),
            sep = " ";
    if (items & IMAP_STATUS_RECENT)
        mc_buf_printf(&b, "%sRECENT %zu", sep, ms_mailbox_count_unclaimed_recent(mb)), sep = " ";
    if (items & IMAP_STATUS_SIZE)
        mc_buf_printf(&b, "%sSIZE %llu", sep, (unsigned long long)imap_mailbox_size(mb)), sep = " ";
    if (items & IMAP_STATUS_DELETED)
        mc_buf_printf(&b, "%sDELETED %zu", sep,
                      ms_mailbox_count(mb) - ms_mailbox_count_without(mb, MS_FLAG_DELETED)),
            sep = " ";
    if (items & IMAP_STATUS_HIGHESTMODSEQ)
        mc_buf_printf(&b, "%sHIGHESTMODSEQ %llu", sep,
                      (unsigned long long)ms_mailbox_highest_modseq(mb));
    mc_buf_append_char(&b, ')');
    imap_send(im, "%s", b.data);
    mc_buf_free(&b);
}

void imap_cmd_status(struct imap *im, struct imap_cmd *c)
{
    char name[MS_MAILBOX_NAME_MAX + 1];
    unsigned items;
    if (!imap_mailbox_arg(im, c, name))
        return;
    if (!imap_parse_sp(c->ps) || !imap_status_items(c->ps, &items)) {
        imap_bad_syntax(im, c);
        return;
    }
    if (items & IMAP_STATUS_HIGHESTMODSEQ)
        imap_condstore_enable(im); /* RFC 7162 3.1 */
    if (im->rev2 && (items & IMAP_STATUS_RECENT)) {
        imap_bad(im, c, "STATUS: IMAP4rev2 has no RECENT (RFC 9051 6.3.11)");
        return;
    }
    if (!imap_expect_end(im, c))
        return;
    struct ms_mailbox *mb = ms_user_find_mailbox(im->user, name);
    if (!mb || ms_mailbox_noselect(mb)) {
        imap_no_status(im, c, mb ? MS_ERR_NOSELECT : MS_ERR_NOT_FOUND, "STATUS");
        return;
    }
    imap_send_status(im, mb, items);
    imap_ok(im, c, "STATUS completed");
}

/* ---- CHECK, CLOSE, UNSELECT ---- */

void imap_cmd_check(struct imap *im, struct imap_cmd *c)
{
    if (imap_expect_end(im, c))
        imap_ok(im, c, "CHECK completed (every change is stored at once)");
}

/* CLOSE removes \Deleted messages without EXPUNGE responses (RFC 3501 6.4.2), unless the
   mailbox is read-only. */
void imap_cmd_close(struct imap *im, struct imap_cmd *c)
{
    if (!imap_expect_end(im, c))
        return;
    enum ms_status st = MS_OK;
    if (!im->read_only)
        st = ms_mailbox_expunge(ms_view_mailbox(im->view), NULL, 0, NULL);
    imap_deselect(im);
    if (st == MS_OK)
        imap_ok(im, c, "CLOSE completed");
    else
        imap_no_status(im, c, st, "CLOSE");
}

void imap_cmd_unselect(struct imap *im, struct imap_cmd *c)
{
    if (!imap_expect_end(im, c))
        return;
    imap_deselect(im);
    imap_ok(im, c, "UNSELECT completed");
}
