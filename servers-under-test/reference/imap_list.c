/*
 * imap_list — LIST and LSUB (RFC 3501 6.3.8/6.3.9, RFC 9051 6.3.9 with the extended LIST of
 * RFC 5258 that IMAP4rev2 includes): which mailbox names match a reference and pattern(s),
 * with their attributes.
 *
 * The reference and the pattern are joined (the reference names a level, the pattern what is
 * below it); "%" matches anything but the separator "/", "*" anything. "INBOX" matches in any
 * case. An empty pattern asks for the separator and the root of the reference (RFC 3501
 * 6.3.8): LIST "" "" answers "", LIST "a/b" "" answers "a/", the level the reference starts
 * with. Attributes: \Noselect, \HasChildren or \HasNoChildren (RFC 3348/5258, always given),
 * the special-use attribute of well-known names (RFC 6154), and \Subscribed when RETURN
 * (SUBSCRIBED) or the SUBSCRIBED selection asks for it. The SUBSCRIBED selection lists the
 * subscribed names, existing or not (\NonExistent); with RECURSIVEMATCH also the superiors of
 * subscribed names, with CHILDINFO (RFC 5258 3.5). RETURN (STATUS (...)) (RFC 5819) sends a
 * STATUS response after each selectable mailbox.
 *
 * Matching is dynamic programming over the pattern and the name; its work is bounded per
 * command (IMAP_LIST_PATTERN_TOTAL_MAX below), a command over the bounds gets NO [LIMIT].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/utf8.h"
#include "reference/imap_int.h"
#include "reference/imap_utf7.h"

/* Patterns in one extended LIST (harness limit; real clients send a handful). More: the
   command gets NO [LIMIT]. */
#define IMAP_LIST_PATTERNS_MAX 64
/* The summed length of one command's patterns, each with the reference joined and its runs of
   wildcards collapsed (see imap_list_collapse). More: NO [LIMIT]. Matching one pattern against
   one name costs at most (pattern length) x (name length + 1) steps, so one command costs at
   most IMAP_LIST_PATTERN_TOTAL_MAX x (MS_MAILBOX_NAME_MAX + 1) steps per name, about 2 x 10^5,
   and 2 x 10^8 for the MS_MAILBOXES_PER_USER_MAX names (or subscriptions) a user can have (a
   fraction of a second; the densest case measured 0.24 s in the sanitizer build).
   A pattern that can match some name has at most MS_MAILBOX_NAME_MAX octets other than
   wildcards, so at most 2 x MS_MAILBOX_NAME_MAX + 1 once collapsed (a wildcard between and
   around them): the limit takes two of the longest useful patterns, and far more than clients
   send (a reference and a few short patterns). A pattern with more octets other than wildcards
   matches no name: it is answered (nothing) without matching, and not counted. */
#define IMAP_LIST_PATTERN_TOTAL_MAX 1024u
_Static_assert(IMAP_LIST_PATTERN_TOTAL_MAX >= 2 * (2 * MS_MAILBOX_NAME_MAX + 1),
               "two of the longest patterns that can match a name must fit");

enum imap_list_option {
    IMAP_LIST_SEL_SUBSCRIBED = 1u << 0,
    IMAP_LIST_SEL_SPECIAL_USE = 1u << 1,
    IMAP_LIST_SEL_RECURSIVE = 1u << 2, /* RECURSIVEMATCH: only with SUBSCRIBED (RFC 5258 3) */
    IMAP_LIST_RET_SUBSCRIBED = 1u << 3,
    IMAP_LIST_RET_CHILDREN = 1u << 4,
    IMAP_LIST_RET_SPECIAL_USE = 1u << 5,
    IMAP_LIST_RET_STATUS = 1u << 6,
};
#define IMAP_LIST_SELECTION                                                                        \
    (IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_SPECIAL_USE | IMAP_LIST_SEL_RECURSIVE)

struct imap_list_pattern {
    char *text; /* UTF-8, reference joined, INBOX folded, wildcard runs collapsed */
    size_t len;
    size_t literals; /* octets other than wildcards: the shortest name it can match */
};

struct imap_list_request {
    unsigned options;
    unsigned status_items;
    struct imap_list_pattern patterns[IMAP_LIST_PATTERNS_MAX];
    size_t count;       /* patterns kept: those that can match a name */
    size_t given;       /* patterns in the command */
    size_t total;       /* the summed length of those kept */
    bool over_total;    /* IMAP_LIST_PATTERN_TOTAL_MAX exceeded */
    bool first_empty;   /* the first pattern was "" */
    struct mc_buf root; /* then: the root of the reference, UTF-8 (RFC 3501 6.3.8) */
    /* The matcher's scratch, allocated once per command: two rows and the result, one entry
       per prefix of a name, cap entries each. */
    bool *row, *next, *hits;
    size_t cap;
    /* The subscriptions sorted by strcmp, once something asks (imap_list_subs). */
    const char **subs;
    size_t nsubs;
    bool subs_loaded;
};

static void imap_list_request_free(struct imap_list_request *rq)
{
    for (size_t i = 0; i < rq->count; i++)
        free(rq->patterns[i].text);
    mc_buf_free(&rq->root);
    free(rq->row);
    free(rq->next);
    free(rq->hits);
    free(rq->subs);
}

/* ---- matching ---- */

/* Collapses each run of wildcards in p[0..len) in place: to "*" when the run holds one, else to
   "%" ("%%" matches what "%" matches, "%*" what "*" matches). Returns the new length; *literals
   gets the number of other octets. */
static size_t imap_list_collapse(char *p, size_t len, size_t *literals)
{
    size_t out = 0, lit = 0;
    for (size_t i = 0; i < len;) {
        if (p[i] != '*' && p[i] != '%') {
            p[out++] = p[i++];
            lit++;
            continue;
        }
        char run = '%';
        for (; i < len && (p[i] == '*' || p[i] == '%'); i++)
            if (p[i] == '*')
                run = '*';
        p[out++] = run;
    }
    *literals = lit;
    return out;
}

/* Sets hits[k] for every k in 0..nlen such that the (collapsed) pattern matches name[0..k):
   dynamic programming over the pattern, row[n] telling whether the pattern so far matches
   name[0..n). row, next and hits hold nlen + 1 entries. */
static void imap_list_match_prefixes(const struct imap_list_pattern *pat, const char *name,
                                     size_t nlen, bool *row, bool *next, bool *hits)
{
    if (pat->literals > nlen)
        return; /* every octet that is not a wildcard takes one of the name's */
    row[0] = true;
    memset(row + 1, 0, nlen * sizeof *row);
    size_t lo = 0; /* row[n] is false for every n < lo (and is not kept) */
    for (size_t p = 0; p < pat->len; p++) {
        char pc = pat->text[p];
        size_t first = SIZE_MAX; /* the new lo */
        if (pc == '*' || pc == '%') {
            bool carried = false; /* next[n - 1] */
            for (size_t n = lo; n <= nlen; n++) {
                carried = row[n] || (carried && (pc == '*' || name[n - 1] != MS_HIERARCHY_SEP));
                next[n] = carried;
                if (carried && first == SIZE_MAX)
                    first = n;
            }
        } else {
            for (size_t n = lo + 1; n <= nlen; n++) {
                next[n] = row[n - 1] && name[n - 1] == pc;
                if (next[n] && first == SIZE_MAX)
                    first = n;
            }
        }
        if (first == SIZE_MAX)
            return; /* no prefix matches the pattern so far: none matches the whole */
        bool *t = row;
        row = next;
        next = t;
        lo = first;
    }
    for (size_t n = lo; n <= nlen; n++)
        hits[n] = hits[n] || row[n];
}

/* Makes pattern (len octets, not NUL-terminated) a matcher pattern: a collapsed copy. */
static void imap_list_compile(struct imap_list_pattern *pat, const char *pattern, size_t len)
{
    pat->text = mc_xstrndup(pattern, len);
    pat->len = imap_list_collapse(pat->text, len, &pat->literals);
    pat->text[pat->len] = '\0';
}

bool imap_list_match(const char *pattern, const char *name)
{
    struct imap_list_pattern pat;
    imap_list_compile(&pat, pattern, strlen(pattern));
    size_t nlen = strlen(name);
    bool *row = mc_xcalloc(nlen + 1, sizeof *row), *next = mc_xcalloc(nlen + 1, sizeof *next),
         *hits = mc_xcalloc(nlen + 1, sizeof *hits);
    imap_list_match_prefixes(&pat, name, nlen, row, next, hits);
    bool matched = hits[nlen];
    free(row);
    free(next);
    free(hits);
    free(pat.text);
    return matched;
}

/* Which prefixes of name (len octets) match one of the command's patterns: [k] for name[0..k),
   k = 0..len, so [len] for the whole name. With whole_only, only [len] is meaningful (the
   patterns after the first that matches the whole name are skipped). The result lives in rq
   until the next call. */
static const bool *imap_list_hits(struct imap_list_request *rq, const char *name, size_t len,
                                  bool whole_only)
{
    if (len + 1 > rq->cap) { /* once per command: names are at most MS_MAILBOX_NAME_MAX */
        size_t cap = len + 1 > MS_MAILBOX_NAME_MAX + 1 ? len + 1 : MS_MAILBOX_NAME_MAX + 1;
        rq->row = mc_xrealloc(rq->row, cap * sizeof *rq->row);
        rq->next = mc_xrealloc(rq->next, cap * sizeof *rq->next);
        rq->hits = mc_xrealloc(rq->hits, cap * sizeof *rq->hits);
        rq->cap = cap;
    }
    memset(rq->hits, 0, (len + 1) * sizeof *rq->hits);
    for (size_t i = 0; i < rq->count && !(whole_only && rq->hits[len]); i++)
        imap_list_match_prefixes(&rq->patterns[i], name, len, rq->row, rq->next, rq->hits);
    return rq->hits;
}

static bool imap_list_matches(struct imap_list_request *rq, const char *name)
{
    size_t len = strlen(name);
    return imap_list_hits(rq, name, len, true)[len];
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

/* "(" [option *(SP option)] ")" after LIST (RFC 5258 3). REMOTE is accepted: there are no
   remote mailboxes. */
static bool imap_list_selection(struct imap_parser *ps, unsigned *options)
{
    static const char *const words[] = {"SUBSCRIBED", "SPECIAL-USE", "RECURSIVEMATCH", "REMOTE"};
    static const unsigned bits[] = {IMAP_LIST_SEL_SUBSCRIBED, IMAP_LIST_SEL_SPECIAL_USE,
                                    IMAP_LIST_SEL_RECURSIVE, 0};
    if (!imap_peek_char(ps, '(')) /* peeking records no error for the BAD */
        return true;
    imap_parse_char(ps, '(');
    for (bool first = true; !imap_peek_char(ps, ')'); first = false)
        if (!(first || imap_parse_sp(ps)) || !imap_list_word(ps, words, bits, 4, options))
            return false;
    return imap_parse_char(ps, ')') && imap_parse_sp(ps);
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
    for (bool first = true; ok && !imap_peek_char(ps, ')'); first = false) {
        unsigned before = rq->options;
        ok = (first || imap_parse_sp(ps)) && imap_list_word(ps, words, bits, 4, &rq->options);
        if (ok && !(before & IMAP_LIST_RET_STATUS) && (rq->options & IMAP_LIST_RET_STATUS))
            ok = imap_parse_sp(ps) && imap_status_items(ps, &rq->status_items);
    }
    ok = ok && imap_parse_char(ps, ')');
    return ok ? true : imap_parse_fail(ps, "LIST ... RETURN (options) expected");
}

/* Joins ref and raw, decodes them and keeps the result as a pattern. Over the limits the
   pattern is counted (given, over_total) but not kept: the command gets NO [LIMIT]. false for
   a name that is not valid modified UTF-7 (or UTF-8). */
static bool imap_list_add_pattern(struct imap *im, struct imap_list_request *rq,
                                  const struct mc_buf *ref, const struct mc_buf *raw)
{
    struct mc_buf joined = {0}, utf8 = {0};
    mc_buf_append(&joined, imap_str(ref), ref->len);
    mc_buf_append(&joined, imap_str(raw), raw->len);
    bool ok = im->utf8_accept ? mc_utf8_valid(imap_str(&joined), joined.len)
                              : imap_mutf7_to_utf8(imap_str(&joined), joined.len, &utf8);
    if (im->utf8_accept)
        mc_buf_append(&utf8, imap_str(&joined), joined.len);
    if (ok) {
        imap_list_fold_inbox(&utf8);
        if (++rq->given == 1 && raw->len == 0) {
            /* Perhaps the request for the separator and root: the root of the reference is the
               level it starts with, up to its first separator (RFC 3501 6.3.8: "#news." for
               "#news.comp.mail.misc", "/" for "/usr/staff/jones"); "" for a reference
               without one (a name at the top level, which is not rooted here). */
            const char *sep = memchr(imap_str(&utf8), MS_HIERARCHY_SEP, utf8.len);
            rq->first_empty = true;
            if (sep)
                mc_buf_append(&rq->root, utf8.data, (size_t)(sep - utf8.data) + 1);
        }
        struct imap_list_pattern pat;
        imap_list_compile(&pat, imap_str(&utf8), utf8.len);
        if (pat.literals > MS_MAILBOX_NAME_MAX || rq->given > IMAP_LIST_PATTERNS_MAX) {
            free(pat.text); /* matches no name / NO [LIMIT] */
        } else if (rq->over_total || pat.len > IMAP_LIST_PATTERN_TOTAL_MAX - rq->total) {
            rq->over_total = true;
            free(pat.text);
        } else {
            rq->patterns[rq->count++] = pat;
            rq->total += pat.len;
        }
    }
    mc_buf_free(&joined);
    mc_buf_free(&utf8);
    return ok;
}

/* reference SP (pattern / "(" pattern *(SP pattern) ")"); the list form only when allow_list
   (extended LIST: LSUB takes one pattern). */
static bool imap_list_patterns(struct imap *im, struct imap_parser *ps,
                               struct imap_list_request *rq, bool allow_list)
{
    struct mc_buf ref = {0}, pat = {0};
    bool ok = imap_parse_astring(ps, &ref) && imap_parse_sp(ps);
    bool list = ok && allow_list && imap_peek_char(ps, '(') && imap_parse_char(ps, '(');
    for (bool first = true; ok; first = false) {
        if (list && !first && imap_peek_char(ps, ')') && imap_parse_char(ps, ')'))
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

/* After a command that parsed: false (after answering NO [LIMIT]) when it is over a limit. */
static bool imap_list_within_limits(struct imap *im, struct imap_cmd *c,
                                    const struct imap_list_request *rq)
{
    if (rq->given > IMAP_LIST_PATTERNS_MAX)
        imap_no(im, c, "[LIMIT] at most %d patterns in one %s", IMAP_LIST_PATTERNS_MAX, c->name);
    else if (rq->over_total)
        imap_no(im, c,
                "[LIMIT] the patterns of one %s, each with the reference, may total at most %u "
                "octets (a run of wildcards counts as one)",
                c->name, IMAP_LIST_PATTERN_TOTAL_MAX);
    else
        return true;
    return false;
}

/* ---- answering ---- */

static int imap_list_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The subscriptions, sorted (strcmp), into rq->subs: loaded on the first call. */
static void imap_list_subs(struct imap *im, struct imap_list_request *rq)
{
    if (rq->subs_loaded)
        return;
    const struct mc_strv *subs = ms_user_subscriptions(im->user);
    rq->nsubs = subs ? subs->count : 0;
    rq->subs = mc_xcalloc(rq->nsubs ? rq->nsubs : 1, sizeof *rq->subs);
    for (size_t i = 0; i < rq->nsubs; i++)
        rq->subs[i] = subs->items[i].ptr;
    qsort(rq->subs, rq->nsubs, sizeof *rq->subs, imap_list_strcmp);
    rq->subs_loaded = true;
}

static bool imap_list_subscribed(struct imap *im, struct imap_list_request *rq, const char *name)
{
    imap_list_subs(im, rq);
    return bsearch(&name, rq->subs, rq->nsubs, sizeof *rq->subs, imap_list_strcmp) != NULL;
}

/* Does a mailbox exist below name (that does not exist itself)? */
static bool imap_list_has_inferior(struct imap *im, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < ms_user_mailbox_count(im->user); i++) {
        const char *other = ms_mailbox_name(ms_user_mailbox_at(im->user, i));
        if (strncmp(other, name, len) == 0 && other[len] == MS_HIERARCHY_SEP)
            return true;
    }
    return false;
}

/* One LIST response for name, which is mailbox mb or (mb NULL) does not exist; with the
   CHILDINFO extended data item (RFC 5258 3.5) when childinfo, and the STATUS response asked
   for after it. */
static void imap_list_send(struct imap *im, struct imap_list_request *rq, const char *name,
                           struct ms_mailbox *mb, bool childinfo)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, "* LIST (");
    if (!mb)
        mc_buf_append_str(&b, "\\NonExistent "); /* implies \Noselect (RFC 5258 3) */
    else if (ms_mailbox_noselect(mb))
        mc_buf_append_str(&b, "\\Noselect ");
    bool children = mb ? ms_mailbox_has_children(mb) : imap_list_has_inferior(im, name);
    mc_buf_append_str(&b, children ? "\\HasChildren" : "\\HasNoChildren");
    if (mb && *imap_special_use(name))
        mc_buf_printf(&b, " %s", imap_special_use(name));
    if ((rq->options & (IMAP_LIST_RET_SUBSCRIBED | IMAP_LIST_SEL_SUBSCRIBED)) &&
        imap_list_subscribed(im, rq, name))
        mc_buf_append_str(&b, " \\Subscribed");
    mc_buf_printf(&b, ") \"%c\" ", MS_HIERARCHY_SEP);
    imap_write_mailbox(im, &b, name);
    if (childinfo)
        mc_buf_append_str(&b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
    mc_buf_append(&b, "\r\n", 2);
    imap_send_raw(im, b.data, b.len);
    mc_buf_free(&b);
    if ((rq->options & IMAP_LIST_RET_STATUS) && mb && !ms_mailbox_noselect(mb))
        imap_send_status(im, mb, rq->status_items);
}

/* A name LIST (SUBSCRIBED) may return. */
struct imap_list_entry {
    char *name;
    bool listed; /* selected (subscribed, ...) and matching: returned for itself */
    bool parent; /* it matches and a selected name is below it (RECURSIVEMATCH) */
    bool needed; /* ... one that is not returned itself */
};

static int imap_list_entry_cmp(const void *a, const void *b)
{
    const struct imap_list_entry *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static void imap_list_entry_push(struct imap_list_entry **v, size_t *n, size_t *cap,
                                 struct imap_list_entry e)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = mc_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = e;
}

/* Is name selected by the selection options of LIST (SUBSCRIBED ...)? It is subscribed. */
static bool imap_list_selected(struct imap *im, const struct imap_list_request *rq,
                               const char *name)
{
    return !(rq->options & IMAP_LIST_SEL_SPECIAL_USE) ||
           (*imap_special_use(name) && ms_user_find_mailbox(im->user, name));
}

/* LIST (SUBSCRIBED ...): every subscribed name that matches, whether it exists or not (RFC 5258
   3.1). With RECURSIVEMATCH also every matching superior of a selected name, with CHILDINFO, when
   one such name below it is not returned itself ("%" stopped above it: RFC 5258 3.5 asks to
   leave out redundant ones); a returned name gets CHILDINFO too when one is below it. In name
   order, parents first. */
static void imap_list_answer_subscribed(struct imap *im, struct imap_list_request *rq)
{
    bool recursive = rq->options & IMAP_LIST_SEL_RECURSIVE;
    struct imap_list_entry *v = NULL;
    size_t n = 0, cap = 0;
    imap_list_subs(im, rq);
    for (size_t i = 0; i < rq->nsubs; i++) {
        const char *name = rq->subs[i];
        if (!imap_list_selected(im, rq, name))
            continue;
        size_t len = strlen(name);
        const bool *hits = imap_list_hits(rq, name, len, !recursive);
        bool whole = hits[len];
        if (whole)
            imap_list_entry_push(&v, &n, &cap,
                                 (struct imap_list_entry){mc_xstrdup(name), true, false, false});
        for (size_t k = 1; recursive && k < len; k++)
            if (name[k] == MS_HIERARCHY_SEP && hits[k])
                imap_list_entry_push(
                    &v, &n, &cap,
                    (struct imap_list_entry){mc_xstrndup(name, k), false, true, !whole});
    }
    if (n)
        qsort(v, n, sizeof *v, imap_list_entry_cmp);
    for (size_t i = 0; i < n;) {
        struct imap_list_entry e = v[i];
        size_t j = i + 1;
        for (; j < n && strcmp(v[j].name, e.name) == 0; j++) {
            e.listed |= v[j].listed;
            e.parent |= v[j].parent;
            e.needed |= v[j].needed;
        }
        if (e.listed || e.needed)
            imap_list_send(im, rq, e.name, ms_user_find_mailbox(im->user, e.name), e.parent);
        for (; i < j; i++)
            free(v[i].name);
    }
    free(v);
}

static void imap_list_answer(struct imap *im, struct imap_cmd *c, struct imap_list_request *rq)
{
    if (rq->given == 1 && rq->first_empty && !(rq->options & IMAP_LIST_SELECTION)) {
        struct mc_buf b = {0};
        mc_buf_printf(&b, "* LIST (\\Noselect) \"%c\" ", MS_HIERARCHY_SEP);
        imap_write_mailbox(im, &b, imap_str(&rq->root));
        imap_send(im, "%s", b.data);
        mc_buf_free(&b);
    } else if (rq->options & IMAP_LIST_SEL_SUBSCRIBED) {
        imap_list_answer_subscribed(im, rq);
    } else {
        for (size_t i = 0; i < ms_user_mailbox_count(im->user); i++) {
            struct ms_mailbox *mb = ms_user_mailbox_at(im->user, i);
            const char *name = ms_mailbox_name(mb);
            if ((rq->options & IMAP_LIST_SEL_SPECIAL_USE) && !*imap_special_use(name))
                continue;
            if (imap_list_matches(rq, name))
                imap_list_send(im, rq, name, mb, false);
        }
    }
    imap_ok(im, c, "LIST completed");
}

void imap_cmd_list(struct imap *im, struct imap_cmd *c)
{
    struct imap_list_request rq = {0};
    bool ok = imap_parse_sp(c->ps) && imap_list_selection(c->ps, &rq.options) &&
              imap_list_patterns(im, c->ps, &rq, true) &&
              (imap_parse_at_end(c->ps) || imap_list_return(c->ps, &rq));
    /* RECURSIVEMATCH needs a base option, and SUBSCRIBED is the only one: alone, with REMOTE
       (RFC 5258 3.1) or with SPECIAL-USE (the grammar, RFC 6154 6) it is BAD. */
    bool recursive_alone =
        (rq.options & IMAP_LIST_SEL_RECURSIVE) && !(rq.options & IMAP_LIST_SEL_SUBSCRIBED);
    if (!ok) {
        imap_bad_syntax(im, c);
    } else if (imap_expect_end(im, c)) {
        if (recursive_alone)
            imap_bad(im, c, "RECURSIVEMATCH needs the SUBSCRIBED selection option (RFC 5258 3.1)");
        else if (imap_list_within_limits(im, c, &rq))
            imap_list_answer(im, c, &rq);
    }
    imap_list_request_free(&rq);
}

static void imap_lsub_send(struct imap *im, const char *name, bool noselect)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "* LSUB (%s) \"%c\" ", noselect ? "\\Noselect" : "", MS_HIERARCHY_SEP);
    imap_write_mailbox(im, &b, name);
    imap_send(im, "%s", b.data);
    mc_buf_free(&b);
}

/* The subscribed names that match, existing or not; and, for a name that does not match but
   whose superior does (a "%" stopping at a level), that superior with \Noselect unless it is
   subscribed itself (RFC 3501 6.3.9), once. */
static void imap_lsub_answer(struct imap *im, struct imap_list_request *rq)
{
    const struct mc_strv *subs = ms_user_subscriptions(im->user);
    struct mc_strv sent = {0}; /* the superiors sent */
    for (size_t i = 0; subs && i < subs->count; i++) {
        const char *name = subs->items[i].ptr;
        size_t len = subs->items[i].len;
        const bool *hits = imap_list_hits(rq, name, len, false);
        if (hits[len]) {
            struct ms_mailbox *mb = ms_user_find_mailbox(im->user, name);
            imap_lsub_send(im, name, !mb || ms_mailbox_noselect(mb));
            continue;
        }
        for (size_t k = len; k-- > 1;) {
            if (name[k] != MS_HIERARCHY_SEP || !hits[k])
                continue;
            char superior[MS_MAILBOX_NAME_MAX + 1];
            snprintf(superior, sizeof superior, "%.*s", (int)k, name);
            if (imap_list_subscribed(im, rq, superior))
                continue; /* listed for itself */
            size_t s = 0;
            while (s < sent.count && strcmp(sent.items[s].ptr, superior) != 0)
                s++;
            if (s == sent.count) {
                mc_strv_push_str(&sent, superior);
                imap_lsub_send(im, superior, true);
            }
            break;
        }
    }
    mc_strv_free(&sent);
}

/* LSUB (IMAP4rev1). */
void imap_cmd_lsub(struct imap *im, struct imap_cmd *c)
{
    struct imap_list_request rq = {0};
    if (!imap_parse_sp(c->ps) || !imap_list_patterns(im, c->ps, &rq, false)) {
        imap_bad_syntax(im, c);
    } else if (imap_expect_end(im, c) && imap_list_within_limits(im, c, &rq)) {
        imap_lsub_answer(im, &rq);
        imap_ok(im, c, "LSUB completed");
    }
    imap_list_request_free(&rq);
}
