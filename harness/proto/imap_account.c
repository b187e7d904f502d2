/*
 * imap_account — emptying a disposable IMAP test account, the IMAP side of the engine's reset
 * over the protocol (protocol.h, "emptying a disposable test account").
 *
 * Logged in as the test user, the dialogue is:
 *   LIST "" "*" and LSUB "" "*"          what exists, and what is subscribed
 *   UNSUBSCRIBE each subscribed name     (a failure is of no matter: it may not exist)
 *   DELETE each mailbox but INBOX        children before parents (longest name first), so that
 *                                        a parent never still has inferiors (RFC 9051 6.3.5);
 *                                        a \Noselect parent may vanish with its last child, so
 *                                        its DELETE may fail
 *   SELECT INBOX                         how many messages it holds
 *   STORE 1:* +FLAGS.SILENT (\Deleted)   if any, then CLOSE, which expunges silently (6.4.1)
 * INBOX itself cannot be deleted (RFC 9051 6.3.5), so UIDVALIDITY and UIDNEXT go on; scenarios
 * must not assume that the first message of a fresh account has UID 1.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/account.h"
#include "proto/protocol.h"
#include "proto/syntax.h"

/* Mailboxes of one test account worth emptying; more is not a test account. */
#define IMAP_EMPTY_MAILBOXES_MAX 10000

enum imap_empty_phase { IE_LISTS, IE_DELETES, IE_SELECT, IE_EXPUNGE, IE_DONE };

struct imap_mailbox {
    char *name; /* decoded name (the astring's bytes) */
    size_t len;
    bool noselect;
};

struct mc_account_emptier {
    bool check_only; /* look, delete nothing: fail when the account is not empty */
    enum imap_empty_phase phase;
    size_t awaited; /* replies still to come in this phase */
    size_t answered;
    struct imap_mailbox *boxes; /* LIST results, then the DELETE order */
    size_t box_count;
    size_t unsubscribes; /* the first replies of IE_DELETES answer UNSUBSCRIBE */
    struct mc_strv subscribed;
};

struct mc_account_emptier *mc_imap_empty_begin(bool check_only)
{
    struct mc_account_emptier *st = mc_xcalloc(1, sizeof(struct mc_account_emptier));
    st->check_only = check_only;
    return st;
}

/* --- reading LIST / LSUB responses (RFC 9051 7.3.1: "* LIST (flags) delim mailbox") --- */

/* Reads an astring at s[*i]: quoted, literal ("{n}\r\n" + n octets, kept inline by the
   framer) or atom. Appends its bytes to out; false when it is none of them. */
static bool imap_read_astring(const char *s, size_t len, size_t *i, struct mc_buf *out)
{
    size_t p = *i;
    if (p < len && s[p] == '"') {
        for (p++; p < len && s[p] != '"'; p++) {
            if (s[p] == '\\' && p + 1 < len)
                p++;
            mc_buf_append_char(out, s[p]);
        }
        if (p >= len)
            return false;
        *i = p + 1;
        return true;
    }
    if (p < len && s[p] == '{') {
        char *end;
        unsigned long n = strtoul(s + p + 1, &end, 10);
        size_t at = (size_t)(end - s);
        if (at + 3 > len || end[0] != '}' || end[1] != '\r' || end[2] != '\n' || n > len - at - 3)
            return false;
        mc_buf_append(out, s + at + 3, n);
        *i = at + 3 + n;
        return true;
    }
    size_t start = p;
    while (p < len && s[p] != ' ' && s[p] != '(' && s[p] != ')')
        p++;
    if (p == start)
        return false;
    mc_buf_append(out, s + start, p - start);
    *i = p;
    return true;
}

static bool imap_has_flag(const char *flags, size_t len, const char *flag)
{
    size_t n = strlen(flag);
    for (size_t k = 0; k + n <= len; k++)
        if (strncasecmp(flags + k, flag, n) == 0)
            return true;
    return false;
}

/* One "* LIST" or "* LSUB" line: the mailbox name and whether it is \Noselect. */
static bool imap_read_list_line(const struct mc_str *l, const char *verb, struct mc_buf *name,
                                bool *noselect)
{
    size_t vlen = strlen(verb), i = 2 + vlen + 1;
    if (l->len < i || strncmp(l->ptr, "* ", 2) != 0 || strncasecmp(l->ptr + 2, verb, vlen) != 0 ||
        l->ptr[2 + vlen] != ' ' || l->ptr[i] != '(')
        return false;
    const char *close = memchr(l->ptr + i, ')', l->len - i);
    if (!close)
        return false;
    size_t flags_len = (size_t)(close - (l->ptr + i));
    *noselect = imap_has_flag(l->ptr + i, flags_len, "\\Noselect") ||
                imap_has_flag(l->ptr + i, flags_len, "\\NonExistent");
    i = (size_t)(close - l->ptr) + 1;
    if (i < l->len && l->ptr[i] == ' ')
        i++;
    struct mc_buf delim = {0};
    bool ok = imap_read_astring(l->ptr, l->len, &i, &delim); /* quoted char or NIL */
    mc_buf_free(&delim);
    if (!ok || i >= l->len || l->ptr[i] != ' ')
        return false;
    i++;
    return imap_read_astring(l->ptr, l->len, &i, name);
}

/* --- writing commands --- */

/* A mailbox name as a quoted string (RFC 9051 4.3); false when it cannot be one (CR, LF or
   NUL would need a literal, which a test account's names never need). */
static bool imap_quote_name(const char *name, size_t len, struct mc_buf *out)
{
    mc_buf_append_char(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '\r' || name[i] == '\n' || name[i] == '\0')
            return false;
        if (name[i] == '"' || name[i] == '\\')
            mc_buf_append_char(out, '\\');
        mc_buf_append_char(out, name[i]);
    }
    mc_buf_append_char(out, '"');
    return true;
}

static bool imap_push_command(struct mc_strv *next, const char *verb, const char *name, size_t len,
                              struct mc_buf *why)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "%s ", verb);
    bool ok = imap_quote_name(name, len, &b);
    if (ok)
        mc_strv_push(next, b.data, b.len);
    else
        mc_buf_printf(why, "mailbox name with CR, LF or NUL: cannot %s it", verb);
    mc_buf_free(&b);
    return ok;
}

static bool imap_is_inbox(const struct imap_mailbox *m)
{
    return m->len == 5 && strncasecmp(m->name, "INBOX", 5) == 0;
}

static int imap_longer_first(const void *a, const void *b)
{
    const struct imap_mailbox *x = a, *y = b;
    return (x->len < y->len) - (x->len > y->len);
}

/* check_only: the mailboxes other than INBOX, as a complaint; false when there are none. */
static bool imap_other_mailboxes(const struct mc_account_emptier *st, struct mc_buf *why)
{
    size_t shown = 0;
    for (size_t i = 0; i < st->box_count; i++) {
        if (imap_is_inbox(&st->boxes[i]) || st->boxes[i].noselect)
            continue;
        mc_buf_append_str(why, shown ? ", " : "the account holds mailboxes besides INBOX: ");
        if (shown++ < 5)
            mc_buf_printf(why, "\"%.*s\"", (int)st->boxes[i].len, st->boxes[i].name);
        else
            return true;
    }
    return shown > 0;
}

void mc_imap_empty_end(struct mc_account_emptier *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->box_count; i++)
        free(st->boxes[i].name);
    free(st->boxes);
    mc_strv_free(&st->subscribed);
    free(st);
}

/* --- the phases --- */

/* The reply to LIST (k 0) or LSUB (k 1). */
static bool imap_collect_lists(struct mc_account_emptier *st, size_t k, const struct mc_reply *r,
                               struct mc_buf *why)
{
    bool lsub = k == 1;
    if (!lsub && (r->kind != MC_REPLY_FINAL || !r->positive)) {
        mc_buf_printf(why, "LIST was refused: '%s'", r->status_line ? r->status_line : "");
        return false;
    }
    for (size_t i = 0; i < r->data.count; i++) {
        struct mc_buf name = {0};
        bool noselect;
        if (imap_read_list_line(&r->data.items[i], lsub ? "LSUB" : "LIST", &name, &noselect)) {
            if (lsub) {
                mc_strv_push(&st->subscribed, name.data ? name.data : "", name.len);
            } else if (st->box_count < IMAP_EMPTY_MAILBOXES_MAX) {
                size_t len = name.len; /* before the steal empties `name` */
                st->boxes = mc_xrealloc(st->boxes, (st->box_count + 1) * sizeof *st->boxes);
                st->boxes[st->box_count++] = (struct imap_mailbox){
                    .name = mc_buf_steal(&name), .len = len, .noselect = noselect};
                continue;
            }
        }
        mc_buf_free(&name);
    }
    return true;
}

static enum mc_empty imap_plan_deletes(struct mc_account_emptier *st, struct mc_strv *next,
                                       struct mc_buf *why)
{
    for (size_t i = 0; i < st->subscribed.count; i++)
        if (!imap_push_command(next, "UNSUBSCRIBE", st->subscribed.items[i].ptr,
                               st->subscribed.items[i].len, why))
            return MC_EMPTY_FAILED;
    st->unsubscribes = st->subscribed.count;
    if (st->box_count)
        qsort(st->boxes, st->box_count, sizeof *st->boxes, imap_longer_first);
    size_t deletes = 0;
    for (size_t i = 0; i < st->box_count; i++) {
        if (imap_is_inbox(&st->boxes[i])) {
            free(st->boxes[i].name); /* INBOX stays; its slot is taken by the next */
            continue;
        }
        st->boxes[deletes++] = st->boxes[i]; /* the DELETE order, for their replies */
    }
    st->box_count = deletes;
    for (size_t i = 0; i < st->box_count; i++)
        if (!imap_push_command(next, "DELETE", st->boxes[i].name, st->boxes[i].len, why))
            return MC_EMPTY_FAILED;
    mc_strv_push_str(next, "SELECT INBOX");
    st->phase = IE_DELETES;
    st->awaited = st->unsubscribes + deletes + 1;
    st->answered = 0;
    return MC_EMPTY_MORE;
}

static size_t imap_exists(const struct mc_reply *r)
{
    for (size_t i = 0; i < r->data.count; i++) {
        const struct mc_str *l = &r->data.items[i];
        char *end;
        if (l->len < 3 || strncmp(l->ptr, "* ", 2) != 0)
            continue;
        unsigned long n = strtoul(l->ptr + 2, &end, 10);
        if (end != l->ptr + 2 && strncasecmp(end, " EXISTS", 7) == 0)
            return (size_t)n;
    }
    return 0;
}

/* The reply to SELECT (or EXAMINE) INBOX: expunge what it holds, or, only looking, complain
   when it holds anything. A server may have no INBOX until mail arrives: nothing to do. */
static enum mc_empty imap_after_select(struct mc_account_emptier *st, const struct mc_reply *r,
                                       struct mc_strv *next, struct mc_buf *why)
{
    if (!r->positive) {
        /* No INBOX until mail arrives ([NONEXISTENT], RFC 5530 3): nothing to empty. Any other
           refusal ([INUSE], ...) leaves the account as it was. */
        const char *t = r->text ? r->text : "";
        if (strstr(t, "[NONEXISTENT]") || strstr(t, "[TRYCREATE]"))
            return MC_EMPTY_DONE;
        mc_buf_printf(why, "INBOX could not be opened: '%s'", r->status_line ? r->status_line : "");
        return MC_EMPTY_FAILED;
    }
    if (st->check_only) {
        if (imap_exists(r) == 0)
            return MC_EMPTY_DONE;
        mc_buf_printf(why, "INBOX holds %zu message(s)", imap_exists(r));
        return MC_EMPTY_NOT_EMPTY;
    }
    size_t before = next->count;
    if (imap_exists(r) > 0)
        mc_strv_push_str(next, "STORE 1:* +FLAGS.SILENT (\\Deleted)");
    mc_strv_push_str(next, "CLOSE");
    st->phase = IE_EXPUNGE;
    st->awaited = next->count - before;
    st->answered = 0;
    return MC_EMPTY_MORE;
}

enum mc_empty mc_imap_empty_step(struct mc_account_emptier *st, const struct mc_reply *r,
                                 struct mc_strv *next, struct mc_buf *why)
{
    if (!r) {
        mc_strv_push_str(next, "LIST \"\" \"*\"");
        mc_strv_push_str(next, "LSUB \"\" \"*\"");
        st->phase = IE_LISTS;
        st->awaited = 2;
        return MC_EMPTY_MORE;
    }
    size_t k = st->answered++;
    switch (st->phase) {
    case IE_LISTS:
        if (!imap_collect_lists(st, k, r, why))
            return MC_EMPTY_FAILED;
        if (st->answered < st->awaited)
            return MC_EMPTY_MORE;
        if (!st->check_only)
            return imap_plan_deletes(st, next, why);
        if (imap_other_mailboxes(st, why))
            return MC_EMPTY_NOT_EMPTY;
        mc_strv_push_str(next, "EXAMINE INBOX"); /* read-only: \\Recent stays unclaimed */
        st->phase = IE_SELECT;
        return MC_EMPTY_MORE;
    case IE_DELETES:
        if (k >= st->unsubscribes && k < st->unsubscribes + st->box_count) {
            const struct imap_mailbox *m = &st->boxes[k - st->unsubscribes];
            if (!r->positive && !m->noselect) {
                mc_buf_printf(why, "DELETE \"%.*s\" was refused: '%s'", (int)m->len, m->name,
                              r->status_line ? r->status_line : "");
                return MC_EMPTY_FAILED;
            }
            return MC_EMPTY_MORE;
        }
        if (k < st->unsubscribes)
            return MC_EMPTY_MORE;
        return imap_after_select(st, r, next, why);
    case IE_SELECT:
        return imap_after_select(st, r, next, why);
    case IE_EXPUNGE:
        if (!r->positive) {
            mc_buf_printf(why, "emptying INBOX was refused: '%s'",
                          r->status_line ? r->status_line : "");
            return MC_EMPTY_FAILED;
        }
        return st->answered < st->awaited ? MC_EMPTY_MORE : MC_EMPTY_DONE;
    case IE_DONE:
    default:
        return MC_EMPTY_DONE;
    }
}
