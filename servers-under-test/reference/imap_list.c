/*
 * imap_list — LIST and LSUB (RFC 3501 6.3.8/6.3.9, RFC 9051 6.3.9 with the extended LIST of
 * RFC 5258 that IMAP4rev2 includes): which mailbox names match a reference and pattern(s),
 * with their attributes.
 *
 * The reference and the pattern are joined (the reference names a level, the pattern what is
 * below it); "%" matches anything but the separator "/", "*" anything. "INBOX" matches in any
 * case. LIST "" "" answers the separator and the root. Attributes: \Noselect, \HasChildren or
 * \HasNoChildren (RFC 3348/5258, always given), the special-use attribute of well-known names
 * (RFC 6154), and \Subscribed when RETURN (SUBSCRIBED) or the SUBSCRIBED selection asks for
 * it. RETURN (STATUS (...)) (RFC 5819) sends a STATUS response after each selectable mailbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reference/imap_int.h"
#include "reference/imap_utf7.h"

/* Bounds the matcher's work (names x pattern): a pattern longer than any name is pointless. */
#define IMAP_LIST_PATTERN_MAX 1024
#define IMAP_LIST_PATTERNS_MAX 64 /* patterns in one extended LIST (harness limit) */

enum imap_list_option {
    IMAP_LIST_SEL_SUBSCRIBED = 1u << 0,
    IMAP_LIST_SEL_SPECIAL_USE = 1u << 1,
    IMAP_LIST_SEL_RECURSIVE = 1u << 2, /* RECURSIVEMATCH: accepted, the hierarchy is complete */
    IMAP_LIST_RET_SUBSCRIBED = 1u << 3,
    IMAP_LIST_RET_CHILDREN = 1u << 4,
    IMAP_LIST_RET_SPECIAL_USE = 1u << 5,
    IMAP_LIST_RET_STATUS = 1u << 6,
};

struct imap_list_request {
    unsigned options;
    unsigned status_items;
    struct mc_strv patterns; /* UTF-8, reference joined */
};

/* ---- matching ---- */

/* Does name match pattern ("%" and "*" wildcards)? Dynamic programming over the pattern. */
static bool imap_list_match(const char *pattern, const char *name)
{
    size_t plen = strlen(pattern), nlen = strlen(name);
    bool *row = mc_xcalloc(nlen + 1, sizeof *row), *next = mc_xcalloc(nlen + 1, sizeof *next);
    row[0] = true; /* the empty pattern matches the empty prefix */
    for (size_t p = 0; p < plen; p++) {
        char pc = pattern[p];
        memset(next, 0, (nlen + 1) * sizeof *next);
        for (size_t n = 0; n <= nlen; n++) {
            if (pc == '*' || pc == '%') {
                bool carried =
                    n > 0 && next[n - 1] && (pc == '*' || name[n - 1] != MS_HIERARCHY_SEP);
                next[n] = row[n] || carried;
            } else if (n > 0 && row[n - 1] && name[n - 1] == pc) {
                next[n] = true;
            }
        }
        bool *t = row;
        row = next;
        next = t;
    }
    bool matched = row[nlen];
    free(row);
    free(next);
    return matched;
}

/* "inbox", "Inbox/x" at the start of a pattern are INBOX (RFC 3501 5.1). */
static void imap_list_fold_inbox(struct mc_buf *pattern)
{
    size_t n = strlen(MS_INBOX);
    if (pattern->len >= n && strncasecmp(pattern->data, MS_INBOX, n) == 0 &&
        (pattern->len == n || pattern->data[n] == MS_HIERARCHY_SEP))
        memcpy(pattern->data, MS_INBOX, n);
}

/* ---- the request ---- */

static bool imap_list_word(struct imap_parser *ps, const char *const *words, const unsigned *bits,
                           size_t n, unsigned *options)
{
    struct mc_buf atom = {0};
    bool ok = imap_parse_atom(ps, &atom);
    size_t i = 0;
    while (ok && i < n && strcasecmp(atom.data, words[i]) != 0)
        i++;
    if (ok && i < n)
        *options |= bits[i];
    mc_buf_free(&atom);
    return ok && i < n ? true : imap_parse_fail(ps, "unknown LIST option");
}

/* "(" [option *(SP option)] ")" after LIST (RFC 5258 3). */
static bool imap_list_selection(struct imap_parser *ps, unsigned *options)
{
    static const char *const words[] = {"SUBSCRIBED", "SPECIAL-USE", "RECURSIVEMATCH", "REMOTE"};
    static const unsigned bits[] = {IMAP_LIST_SEL_SUBSCRIBED, IMAP_LIST_SEL_SPECIAL_USE,
                                    IMAP_LIST_SEL_RECURSIVE, 0};
    if (!imap_parse_char(ps, '('))
        return true;
    for (bool first = true; !imap_parse_char(ps, ')'); first = false)
        if (!(first || imap_parse_sp(ps)) || !imap_list_word(ps, words, bits, 4, options))
            return false;
    return imap_parse_sp(ps);
}

/* " RETURN (" option *(SP option) ")" (RFC 5258 3, RFC 6154 2, RFC 5819). */
static bool imap_list_return(struct imap_parser *ps, struct imap_list_request *rq)
{
    static const char *const words[] = {"SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS"};
    static const unsigned bits[] = {IMAP_LIST_RET_SUBSCRIBED, IMAP_LIST_RET_CHILDREN,
                                    IMAP_LIST_RET_SPECIAL_USE, IMAP_LIST_RET_STATUS};
    struct mc_buf atom = {0};
    bool ok = imap_parse_sp(ps) && imap_parse_atom(ps, &atom) &&
              strcasecmp(atom.data, "RETURN") == 0 && imap_parse_sp(ps) && imap_parse_char(ps, '(');
    mc_buf_free(&atom);
    for (bool first = true; ok && !imap_parse_char(ps, ')'); first = false) {
        unsigned before = rq->options;
        ok = (first || imap_parse_sp(ps)) && imap_list_word(ps, words, bits, 4, &rq->options);
        if (ok && !(before & IMAP_LIST_RET_STATUS) && (rq->options & IMAP_LIST_RET_STATUS))
            ok = imap_parse_sp(ps) && imap_status_items(ps, &rq->status_items);
    }
    return ok ? true : imap_parse_fail(ps, "LIST ... RETURN (options) expected");
}

static bool imap_list_add_pattern(struct imap *im, struct imap_list_request *rq,
                                  const struct mc_buf *ref, const struct mc_buf *raw)
{
    struct mc_buf joined = {0}, utf8 = {0};
    mc_buf_append(&joined, imap_str(ref), ref->len);
    mc_buf_append(&joined, imap_str(raw), raw->len);
    bool ok = im->utf8_accept ? imap_utf8_valid(imap_str(&joined), joined.len)
                              : imap_mutf7_to_utf8(imap_str(&joined), joined.len, &utf8);
    if (im->utf8_accept)
        mc_buf_append(&utf8, imap_str(&joined), joined.len);
    if (ok && utf8.len <= IMAP_LIST_PATTERN_MAX && rq->patterns.count < IMAP_LIST_PATTERNS_MAX) {
        imap_list_fold_inbox(&utf8);
        mc_strv_push(&rq->patterns, imap_str(&utf8), utf8.len);
    }
    mc_buf_free(&joined);
    mc_buf_free(&utf8);
    return ok; /* an over-long pattern simply matches nothing */
}

/* reference SP (pattern / "(" pattern *(SP pattern) ")"). */
static bool imap_list_patterns(struct imap *im, struct imap_parser *ps,
                               struct imap_list_request *rq)
{
    struct mc_buf ref = {0}, pat = {0};
    bool ok = imap_parse_astring(ps, &ref) && imap_parse_sp(ps);
    bool list = ok && imap_parse_char(ps, '(');
    for (bool first = true; ok; first = false) {
        if (list && !first && imap_parse_char(ps, ')'))
            break;
        ok = (!list || first || imap_parse_sp(ps)) && imap_parse_list_mailbox(ps, &pat);
        if (ok && !imap_list_add_pattern(im, rq, &ref, &pat))
            ok = imap_parse_fail(ps, "the pattern is not valid modified UTF-7 (RFC 3501 5.1.3)");
        mc_buf_reset(&pat);
        if (!list)
            break;
    }
    mc_buf_free(&ref);
    mc_buf_free(&pat);
    return ok;
}

/* ---- answering ---- */

static bool imap_list_subscribed(const struct imap *im, const char *name)
{
    const struct mc_strv *subs = ms_user_subscriptions(im->user);
    for (size_t i = 0; subs && i < subs->count; i++)
        if (strcmp(subs->items[i].ptr, name) == 0)
            return true;
    return false;
}

static bool imap_list_wanted(const struct imap *im, const struct imap_list_request *rq,
                             const char *name)
{
    if ((rq->options & IMAP_LIST_SEL_SUBSCRIBED) && !imap_list_subscribed(im, name))
        return false;
    if ((rq->options & IMAP_LIST_SEL_SPECIAL_USE) && !*imap_special_use(name))
        return false;
    for (size_t i = 0; i < rq->patterns.count; i++)
        if (imap_list_match(rq->patterns.items[i].ptr, name))
            return true;
    return false;
}

static void imap_list_one(struct imap *im, const struct imap_list_request *rq,
                          struct ms_mailbox *mb, const char *verb)
{
    const char *name = ms_mailbox_name(mb);
    struct mc_buf b = {0};
    mc_buf_printf(&b, "* %s (", verb);
    const char *sep = "";
    if (ms_mailbox_noselect(mb))
        mc_buf_append_str(&b, "\\Noselect"), sep = " ";
    mc_buf_printf(&b, "%s%s", sep,
                  ms_mailbox_has_children(mb) ? "\\HasChildren" : "\\HasNoChildren");
    if (*imap_special_use(name))
        mc_buf_printf(&b, " %s", imap_special_use(name));
    if ((rq->options & (IMAP_LIST_RET_SUBSCRIBED | IMAP_LIST_SEL_SUBSCRIBED)) &&
        imap_list_subscribed(im, name))
        mc_buf_append_str(&b, " \\Subscribed");
    mc_buf_printf(&b, ") \"%c\" ", MS_HIERARCHY_SEP);
    imap_write_mailbox(im, &b, name);
    mc_buf_append(&b, "\r\n", 2);
    imap_send_raw(im, b.data, b.len);
    mc_buf_free(&b);
    if ((rq->options & IMAP_LIST_RET_STATUS) && !ms_mailbox_noselect(mb))
        imap_send_status(im, mb, rq->status_items);
}

static void imap_list_answer(struct imap *im, struct imap_cmd *c, struct imap_list_request *rq)
{
    if (rq->patterns.count == 1 && rq->patterns.items[0].len == 0) {
        imap_send(im, "* LIST (\\Noselect) \"%c\" \"\"", MS_HIERARCHY_SEP);
    } else {
        for (size_t i = 0; i < ms_user_mailbox_count(im->user); i++) {
            struct ms_mailbox *mb = ms_user_mailbox_at(im->user, i);
            if (imap_list_wanted(im, rq, ms_mailbox_name(mb)))
                imap_list_one(im, rq, mb, "LIST");
        }
    }
    imap_ok(im, c, "LIST completed");
}

void imap_cmd_list(struct imap *im, struct imap_cmd *c)
{
    struct imap_list_request rq = {0};
    bool ok = imap_parse_sp(c->ps) && imap_list_selection(c->ps, &rq.options) &&
              imap_list_patterns(im, c->ps, &rq) &&
              (imap_parse_at_end(c->ps) || imap_list_return(c->ps, &rq));
    if (!ok)
        imap_bad_syntax(im, c);
    else if (imap_expect_end(im, c))
        imap_list_answer(im, c, &rq);
    mc_strv_free(&rq.patterns);
}

static bool imap_list_any_match(const struct imap_list_request *rq, const char *name)
{
    for (size_t p = 0; p < rq->patterns.count; p++)
        if (imap_list_match(rq->patterns.items[p].ptr, name))
            return true;
    return false;
}

static void imap_lsub_one(struct imap *im, const char *name, bool noselect, struct mc_strv *sent)
{
    if (mc_strv_contains_nocase(sent, name))
        return;
    mc_strv_push_str(sent, name);
    struct mc_buf b = {0};
    mc_buf_printf(&b, "* LSUB (%s) \"%c\" ", noselect ? "\\Noselect" : "", MS_HIERARCHY_SEP);
    imap_write_mailbox(im, &b, name);
    imap_send(im, "%s", b.data);
    mc_buf_free(&b);
}

/* The subscribed names that match, existing or not; and, for a name that does not match but
   whose superior does (a "%" stopping at a level), that superior with \Noselect unless it is
   subscribed itself (RFC 3501 6.3.9). */
static void imap_lsub_answer(struct imap *im, const struct imap_list_request *rq)
{
    const struct mc_strv *subs = ms_user_subscriptions(im->user);
    struct mc_strv sent = {0};
    for (size_t i = 0; subs && i < subs->count; i++) {
        const char *name = subs->items[i].ptr;
        if (imap_list_any_match(rq, name)) {
            struct ms_mailbox *mb = ms_user_find_mailbox(im->user, name);
            imap_lsub_one(im, name, !mb || ms_mailbox_noselect(mb), &sent);
            continue;
        }
        char superior[MS_MAILBOX_NAME_MAX + 1];
        snprintf(superior, sizeof superior, "%s", name);
        for (char *sep = strrchr(superior, MS_HIERARCHY_SEP); sep;
             sep = strrchr(superior, MS_HIERARCHY_SEP)) {
            *sep = '\0';
            if (imap_list_any_match(rq, superior) && !imap_list_subscribed(im, superior)) {
                imap_lsub_one(im, superior, true, &sent);
                break;
            }
        }
    }
    mc_strv_free(&sent);
}

/* LSUB (IMAP4rev1). */
void imap_cmd_lsub(struct imap *im, struct imap_cmd *c)
{
    struct imap_list_request rq = {0};
    if (!imap_parse_sp(c->ps) || !imap_list_patterns(im, c->ps, &rq)) {
        imap_bad_syntax(im, c);
    } else if (imap_expect_end(im, c)) {
        imap_lsub_answer(im, &rq);
        imap_ok(im, c, "LSUB completed");
    }
    mc_strv_free(&rq.patterns);
}
