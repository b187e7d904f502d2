/*
 * matcher — decides whether a reply is what a step expected, and says why not (see matcher.h).
 *
 * mc_expect_check walks the fields of a struct mc_expect in a fixed order (continuation, ok,
 * status, code, code class, enhanced code, match, not_match, then the line sets) and stops at
 * the first mismatch, writing one self-contained explanation: what was expected, and the reply
 * line(s) that came instead. Captures of named groups are collected on the side and only stored
 * into the variables once every field has passed, so a failed step never leaves half its
 * captures behind.
 *
 * Regular expressions (substitution, PCRE2 and its limits, captures) live in regex.c.
 *
 * Line sets are matched by assignment, not by "some line matches": each `lines` pattern must
 * own a distinct line, found as a maximum bipartite matching (augmenting paths, Kuhn), so that
 * ["a", "a.*"] against ["ab", "a"] passes whichever way round the lines come. `lines_in_order`
 * then takes, greedily and earliest first, lines the matching can give up (re-routing a `lines`
 * pattern to another line when needed), so the two lists never share a line. `lines_shared`
 * is the exception by design: each of its patterns needs some line, any line, taken or not
 * (one IMAP FETCH line carries both BODY[] and the \Seen flag it set).
 *
 * "lines_each" lists and "check" relations come last, once everything else holds
 * (matcher_relate.c): a relation between values means nothing while the reply is wrong.
 *
 * "any_of" alternatives are checked one by one, each with its own captures, after every check
 * beside them has passed; the first that holds adds its captures to the step's. When none
 * holds, the explanation gives each alternative's first mismatch on a line of its own, and the
 * reply's data lines once at the end. "captured" compares variables of earlier steps.
 *
 * What this module never does: read from the network, wait, or decide what a protocol's
 * "positive" means (the framer set r->positive already).
 */
#include "engine/matcher.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/matcher_relate.h"
#include "engine/regex.h"

/* Line sets cost patterns x lines regex runs plus an assignment over the same graph; both
   bounds are far above any real scenario (patterns) or reply (a huge IMAP SEARCH or LIST). */
#define MC_MATCH_PATTERNS_MAX 256
#define MC_MATCH_LINES_MAX 100000

/* Explanations list at most this many reply lines (each cut at MC_WHY_LINE_MAX bytes): a
   learner needs the start of the reply, not a 100000-line LIST. */
#define MC_WHY_LINES_MAX 10

#define MC_LINE_NONE SIZE_MAX /* no line, no pattern */

/* One check in progress. */
struct matcher {
    struct mc_rx_ctx rx;
    const char *key; /* the protocol's lines key: "lines", "untagged" */
    bool brief;      /* an alternative of any_of: the reply's lines are listed once, after all */
};

/* ---- explanations ---- */

/* The status line of `r` quoted, as "what came". */
static void why_reply(struct mc_buf *b, const struct mc_reply *r)
{
    if (r->status_line)
        mc_why_quote(b, r->status_line, r->status_line_len);
    else
        mc_buf_append_str(b, "a reply without a status line");
}

/* "untagged line" / "line" for the protocol's lines key; article for the singular. */
static void why_noun(struct mc_buf *b, const char *key, bool article, bool plural)
{
    bool bare = strcmp(key, "lines") == 0;
    if (article)
        mc_buf_append_str(b, !bare && strchr("aeiouAEIOU", key[0]) ? "an " : "a ");
    if (!bare) {
        mc_buf_append_str(b, key);
        mc_buf_append_char(b, ' ');
    }
    mc_buf_append_str(b, plural ? "lines" : "line");
}

/* LEAD "the untagged lines were:" INDENT '...' INDENT ... (N more), or LEAD "there were no
   untagged lines". */
static void why_lines_listed(struct mc_buf *b, const char *key, const struct mc_strv *data,
                             const char *lead, const char *indent)
{
    mc_buf_append_str(b, lead);
    if (data->count == 0) {
        mc_buf_append_str(b, "there were no ");
        why_noun(b, key, false, true);
        return;
    }
    mc_buf_append_str(b, "the ");
    why_noun(b, key, false, true);
    mc_buf_append_str(b, " were:");
    for (size_t i = 0; i < data->count && i < MC_WHY_LINES_MAX; i++) {
        mc_buf_append_str(b, indent);
        mc_why_quote(b, data->items[i].ptr, data->items[i].len);
    }
    if (data->count > MC_WHY_LINES_MAX)
        mc_buf_printf(b, "%s... (%zu more)", indent, data->count - MC_WHY_LINES_MAX);
}

/* "; the untagged lines were:\n  '...'\n  ... (N more)"; nothing in an alternative. */
static void why_lines(const struct matcher *m, const struct mc_strv *data)
{
    if (!m->brief)
        why_lines_listed(m->rx.why, m->key, data, "; ", "\n  ");
}

/* Runs `x` on `s` again and queues its captures (line sets decide the line first). */
static int rx_capture_from(struct matcher *m, struct mc_rx *x, const char *s, size_t len)
{
    if (!m->rx.capture)
        return 1;
    int rc = mc_rx_match(&m->rx, x, s, len);
    if (rc == 1)
        mc_rx_queue_captures(&m->rx, x, s);
    return rc;
}

/* ---- line sets ---- */

struct lineset {
    struct matcher *m;
    const struct mc_strv *data;
    struct mc_rx *any;     /* `lines` */
    struct mc_rx *ordered; /* `lines_in_order` */
    size_t any_count, ordered_count;
    uint32_t **adj;       /* per `lines` pattern: the lines it matches */
    size_t *adj_count;    /* ... and how many */
    size_t *pat_line;     /* per `lines` pattern: its line, or MC_LINE_NONE */
    size_t *line_pat;     /* per line: the `lines` pattern that owns it, or MC_LINE_NONE */
    size_t *ordered_line; /* per `lines_in_order` pattern: its line */
    bool *blocked;        /* per line: owned by `lines_in_order` */
    struct mc_rx *shared; /* `lines_shared` */
    size_t shared_count;
    size_t *shared_line; /* per `lines_shared` pattern: the first line it matches */
    bool *shared_owned;  /* per line: the first line of some `lines_shared` pattern */
    size_t *seen;        /* per line: search stamp of augmenting paths */
    size_t stamp;
};

static void lineset_free(struct lineset *ls)
{
    for (size_t p = 0; p < ls->any_count; p++)
        free(ls->adj ? ls->adj[p] : NULL);
    free(ls->adj);
    free(ls->adj_count);
    free(ls->pat_line);
    free(ls->line_pat);
    free(ls->ordered_line);
    free(ls->blocked);
    free(ls->shared_line);
    free(ls->shared_owned);
    free(ls->seen);
}

/* Kuhn's augmenting path from pattern p, avoiding blocked and already searched lines. The
   recursion depth is at most the number of patterns (MC_MATCH_PATTERNS_MAX). */
static bool lineset_augment(struct lineset *ls, size_t p)
{
    for (size_t k = 0; k < ls->adj_count[p]; k++) {
        size_t l = ls->adj[p][k];
        if (ls->blocked[l] || ls->seen[l] == ls->stamp)
            continue;
        ls->seen[l] = ls->stamp;
        if (ls->line_pat[l] == MC_LINE_NONE || lineset_augment(ls, ls->line_pat[l])) {
            ls->line_pat[l] = p;
            ls->pat_line[p] = l;
            return true;
        }
    }
    return false;
}

/* Explains why pattern p found no line of its own: the patterns and lines its failed search
   reached form the set where patterns outnumber lines (Hall's condition). */
static void lineset_why_any(struct lineset *ls, size_t p)
{
    struct mc_buf *b = ls->m->rx.why;
    const char *key = ls->m->key;
    if (ls->adj_count[p] == 0) {
        mc_buf_append_str(b, "expected ");
        why_noun(b, key, true, false);
        mc_buf_append_str(b, " matching ");
        mc_why_pattern(b, &ls->any[p]);
    } else {
        size_t lines = 0;
        for (size_t l = 0; l < ls->data->count; l++)
            lines += ls->seen[l] == ls->stamp;
        mc_buf_printf(b, "expected %zu distinct ", lines + 1);
        why_noun(b, key, false, true);
        mc_buf_append_str(b, ", one for each of ");
        const char *sep = "";
        for (size_t q = 0; q < ls->any_count; q++) {
            size_t l = ls->pat_line[q];
            if (q == p || (l != MC_LINE_NONE && ls->seen[l] == ls->stamp)) {
                mc_buf_append_str(b, sep);
                mc_why_pattern(b, &ls->any[q]);
                sep = ", ";
            }
        }
        mc_buf_printf(b, " (each pattern needs a line of its own), but only %zu ", lines);
        why_noun(b, key, false, lines != 1);
        mc_buf_append_str(b, lines == 1 ? " matches them" : " match them");
    }
    why_lines(ls->m, ls->data);
}

/* Builds the graph and a maximum assignment for `lines`; false (with `why`) if some pattern
   gets no line of its own or a limit is hit. */
static bool lineset_assign(struct lineset *ls)
{
    size_t n = ls->data->count;
    for (size_t p = 0; p < ls->any_count; p++) {
        for (size_t l = 0; l < n; l++) {
            int rc = mc_rx_match(&ls->m->rx, &ls->any[p], ls->data->items[l].ptr,
                                 ls->data->items[l].len);
            if (rc < 0)
                return false;
            if (rc == 0)
                continue;
            if (ls->adj_count[p] % 16 == 0)
                ls->adj[p] = mc_xrealloc(ls->adj[p], (ls->adj_count[p] + 16) * sizeof(uint32_t));
            ls->adj[p][ls->adj_count[p]++] = (uint32_t)l;
        }
    }
    for (size_t p = 0; p < ls->any_count; p++) {
        ls->stamp++;
        if (!lineset_augment(ls, p)) {
            lineset_why_any(ls, p);
            return false;
        }
    }
    return true;
}

/* Line l, owned by `lines` pattern p, is wanted by `lines_in_order`: true if p can move. */
static bool lineset_release(struct lineset *ls, size_t l)
{
    size_t p = ls->line_pat[l];
    if (p == MC_LINE_NONE)
        return true;
    ls->line_pat[l] = MC_LINE_NONE;
    ls->pat_line[p] = MC_LINE_NONE;
    ls->blocked[l] = true;
    ls->stamp++;
    if (lineset_augment(ls, p))
        return true;
    ls->blocked[l] = false;
    ls->line_pat[l] = p;
    ls->pat_line[p] = l;
    return false;
}

/* Pattern k of `lines_in_order` found no line at or after index `from` (so the previous
   pattern took line `from`, counting from 1); `owned`: a line it matched that `lines` needs. */
static void lineset_why_ordered(struct lineset *ls, size_t k, size_t from, size_t owned)
{
    struct mc_buf *b = ls->m->rx.why;
    const char *key = ls->m->key;
    mc_buf_append_str(b, "expected ");
    why_noun(b, key, false, true);
    mc_buf_append_str(b, " in this order: ");
    for (size_t i = 0; i < ls->ordered_count; i++) {
        mc_buf_append_str(b, i ? ", " : "");
        mc_why_pattern(b, &ls->ordered[i]);
    }
    mc_buf_append_str(b, "; ");
    if (k == 0) {
        mc_buf_append_str(b, "no line matches ");
    } else {
        mc_buf_printf(b, "after line %zu (matching ", from);
        mc_why_pattern(b, &ls->ordered[k - 1]);
        mc_buf_append_str(b, ") no line matches ");
    }
    mc_why_pattern(b, &ls->ordered[k]);
    if (owned != MC_LINE_NONE) {
        mc_buf_printf(b, " (line %zu does, but it is needed by %s)", owned + 1, key);
    }
    why_lines(ls->m, ls->data);
}

/* Assigns `lines_in_order`, earliest line first. */
static bool lineset_order(struct lineset *ls)
{
    size_t next = 0;
    for (size_t k = 0; k < ls->ordered_count; k++) {
        size_t owned = MC_LINE_NONE, found = MC_LINE_NONE;
        for (size_t l = next; l < ls->data->count && found == MC_LINE_NONE; l++) {
            if (ls->blocked[l])
                continue;
            int rc = mc_rx_match(&ls->m->rx, &ls->ordered[k], ls->data->items[l].ptr,
                                 ls->data->items[l].len);
            if (rc < 0)
                return false;
            if (rc == 0)
                continue;
            if (lineset_release(ls, l))
                found = l;
            else if (owned == MC_LINE_NONE)
                owned = l;
        }
        if (found == MC_LINE_NONE) {
            lineset_why_ordered(ls, k, next, owned);
            return false;
        }
        ls->blocked[found] = true;
        ls->ordered_line[k] = found;
        next = found + 1;
    }
    return true;
}

/* Compiles a pattern list; names fields "<key><suffix>[i]". */
static bool compile_list(struct matcher *m, const struct mc_patterns *list, const char *suffix,
                         struct mc_rx *out)
{
    for (size_t i = 0; i < list->count; i++) {
        char field[96];
        snprintf(field, sizeof field, "%s%s[%zu]", m->key, suffix, i);
        if (!mc_rx_compile(&m->rx, list->items[i], field, &out[i])) {
            for (size_t j = 0; j < i; j++)
                mc_rx_free(&out[j]);
            return false;
        }
    }
    return true;
}

static void free_list(struct mc_rx *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++)
        mc_rx_free(&list[i]);
    free(list);
}

/* `lines_shared`: each pattern matches some line, whichever other pattern (of any list) matched
   it too. The first line it matches is its own: its captures come from there, and the closed
   set counts that line as expected. */
static bool lineset_shared(struct lineset *ls)
{
    struct matcher *m = ls->m;
    for (size_t k = 0; k < ls->shared_count; k++) {
        size_t found = MC_LINE_NONE;
        for (size_t l = 0; l < ls->data->count && found == MC_LINE_NONE; l++) {
            int rc =
                mc_rx_match(&m->rx, &ls->shared[k], ls->data->items[l].ptr, ls->data->items[l].len);
            if (rc < 0)
                return false;
            if (rc == 1)
                found = l;
        }
        if (found == MC_LINE_NONE) {
            mc_buf_append_str(m->rx.why, "expected ");
            why_noun(m->rx.why, m->key, true, false);
            mc_buf_append_str(m->rx.why, " matching ");
            mc_why_pattern(m->rx.why, &ls->shared[k]);
            mc_buf_printf(m->rx.why, " (%s_shared: a line other patterns matched would do)",
                          m->key);
            why_lines(m, ls->data);
            return false;
        }
        ls->shared_line[k] = found;
        ls->shared_owned[found] = true;
    }
    return true;
}

/* `lines_none`: no line may match any pattern. */
static bool check_none(struct matcher *m, const struct mc_expect *e, const struct mc_strv *data)
{
    struct mc_rx *none = mc_xcalloc(e->lines_none.count, sizeof *none);
    if (!compile_list(m, &e->lines_none, "_none", none)) {
        free(none);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < e->lines_none.count; i++) {
        for (size_t l = 0; ok && l < data->count; l++) {
            int rc = mc_rx_match(&m->rx, &none[i], data->items[l].ptr, data->items[l].len);
            if (rc == 0)
                continue;
            ok = false;
            if (rc < 0)
                break;
            mc_buf_append_str(m->rx.why, "expected no ");
            why_noun(m->rx.why, m->key, false, false);
            mc_buf_append_str(m->rx.why, " matching ");
            mc_why_pattern(m->rx.why, &none[i]);
            mc_buf_printf(m->rx.why, "; got line %zu of %zu: ", l + 1, data->count);
            mc_why_quote(m->rx.why, data->items[l].ptr, data->items[l].len);
        }
    }
    free_list(none, e->lines_none.count);
    return ok;
}

/* The closed set: each pattern of `lines` and `lines_in_order` accounts for the one line it
   was given; every other line must match a pattern of `lines_may`. (A `lines` pattern that
   also matches a second line does not excuse it: "exactly these lines" must catch a duplicate.) */
static bool check_closed(struct lineset *ls, const struct mc_expect *e)
{
    struct matcher *m = ls->m;
    struct mc_rx *may = mc_xcalloc(e->lines_may.count, sizeof *may);
    if (!compile_list(m, &e->lines_may, "_may", may)) {
        free(may);
        return false;
    }
    size_t first = MC_LINE_NONE, unexpected = 0;
    int rc = 0;
    for (size_t l = 0; l < ls->data->count && rc >= 0; l++) {
        const struct mc_str *line = &ls->data->items[l];
        rc = ls->line_pat[l] != MC_LINE_NONE || ls->blocked[l] || ls->shared_owned[l] ? 1 : 0;
        for (size_t k = 0; rc == 0 && k < e->lines_may.count; k++)
            rc = mc_rx_match(&m->rx, &may[k], line->ptr, line->len);
        if (rc == 0) /* a line a lines_each pattern collects is accounted for */
            rc = mc_relate_line_collected(&m->rx, m->key, e, line->ptr, line->len);
        if (rc == 0 && unexpected++ == 0)
            first = l;
    }
    free_list(may, e->lines_may.count);
    if (rc < 0)
        return false;
    if (unexpected == 0)
        return true;
    mc_buf_append_str(m->rx.why, "unexpected ");
    why_noun(m->rx.why, m->key, false, false);
    mc_buf_printf(m->rx.why, " %zu of %zu: ", first + 1, ls->data->count);
    mc_why_quote(m->rx.why, ls->data->items[first].ptr, ls->data->items[first].len);
    mc_buf_printf(m->rx.why,
                  " is not the line of a pattern of %s, %s_in_order or %s_shared and matches no "
                  "pattern of %s_may",
                  m->key, m->key, m->key, m->key);
    if (e->lines_each.count)
        mc_buf_printf(m->rx.why, " or %s_each", m->key);
    if (unexpected > 1)
        mc_buf_printf(m->rx.why, " (and %zu more unexpected)", unexpected - 1);
    return false;
}

/* Everything about reply->data. `full`: also lines_none and the closed set, and captures. */
static bool check_lines(struct matcher *m, const struct mc_expect *e, const struct mc_strv *data,
                        bool full)
{
    size_t patterns = e->lines.count + e->lines_in_order.count + e->lines_shared.count;
    if (full)
        patterns += e->lines_none.count + e->lines_may.count;
    if (patterns == 0 && !(full && e->lines_may_given))
        return true;
    if (patterns > MC_MATCH_PATTERNS_MAX) {
        mc_buf_printf(m->rx.why, "the step has %zu %s patterns; the matcher takes at most %d",
                      patterns, m->key, MC_MATCH_PATTERNS_MAX);
        return false;
    }
    if (data->count > MC_MATCH_LINES_MAX) {
        mc_buf_printf(m->rx.why, "the reply has %zu ", data->count);
        why_noun(m->rx.why, m->key, false, true);
        mc_buf_printf(m->rx.why, ", more than the %d the matcher examines", MC_MATCH_LINES_MAX);
        return false;
    }

    size_t n = data->count;
    struct lineset ls = {.m = m, .data = data};
    ls.any_count = e->lines.count;
    ls.ordered_count = e->lines_in_order.count;
    ls.shared_count = e->lines_shared.count;
    ls.any = mc_xcalloc(ls.any_count, sizeof *ls.any);
    ls.ordered = mc_xcalloc(ls.ordered_count, sizeof *ls.ordered);
    ls.shared = mc_xcalloc(ls.shared_count, sizeof *ls.shared);
    bool ok = compile_list(m, &e->lines, "", ls.any);
    if (!ok) {
        ls.any_count = 0;
        ls.ordered_count = 0;
        ls.shared_count = 0;
    } else if (!compile_list(m, &e->lines_in_order, "_in_order", ls.ordered)) {
        ls.ordered_count = 0;
        ls.shared_count = 0;
        ok = false;
    } else if (!compile_list(m, &e->lines_shared, "_shared", ls.shared)) {
        ls.shared_count = 0;
        ok = false;
    }
    if (ok) {
        ls.adj = mc_xcalloc(ls.any_count, sizeof *ls.adj);
        ls.adj_count = mc_xcalloc(ls.any_count, sizeof *ls.adj_count);
        ls.pat_line = mc_xmalloc(ls.any_count * sizeof *ls.pat_line);
        ls.ordered_line = mc_xmalloc(ls.ordered_count * sizeof *ls.ordered_line);
        ls.line_pat = mc_xmalloc(n * sizeof *ls.line_pat);
        ls.blocked = mc_xcalloc(n, sizeof *ls.blocked);
        ls.seen = mc_xcalloc(n, sizeof *ls.seen);
        ls.shared_line = mc_xcalloc(ls.shared_count, sizeof *ls.shared_line);
        ls.shared_owned = mc_xcalloc(n, sizeof *ls.shared_owned);
        for (size_t p = 0; p < ls.any_count; p++)
            ls.pat_line[p] = MC_LINE_NONE;
        for (size_t l = 0; l < n; l++)
            ls.line_pat[l] = MC_LINE_NONE;
        ok = lineset_assign(&ls) && lineset_order(&ls) && lineset_shared(&ls);
    }
    if (ok && full)
        ok = check_none(m, e, data) && (!e->lines_may_given || check_closed(&ls, e));
    for (size_t p = 0; ok && full && p < ls.any_count; p++) {
        const struct mc_str *line = &data->items[ls.pat_line[p]];
        ok = rx_capture_from(m, &ls.any[p], line->ptr, line->len) == 1;
    }
    for (size_t k = 0; ok && full && k < ls.ordered_count; k++) {
        const struct mc_str *line = &data->items[ls.ordered_line[k]];
        ok = rx_capture_from(m, &ls.ordered[k], line->ptr, line->len) == 1;
    }
    for (size_t k = 0; ok && full && k < ls.shared_count; k++) {
        const struct mc_str *line = &data->items[ls.shared_line[k]];
        ok = rx_capture_from(m, &ls.shared[k], line->ptr, line->len) == 1;
    }
    lineset_free(&ls);
    free_list(ls.any, ls.any_count);
    free_list(ls.ordered, ls.ordered_count);
    free_list(ls.shared, ls.shared_count);
    return ok;
}

/* ---- the status line ---- */

static bool check_status_regex(struct matcher *m, const char *pattern, bool want,
                               const struct mc_reply *r)
{
    struct mc_rx x;
    if (!mc_rx_compile(&m->rx, pattern, want ? "match" : "not_match", &x))
        return false;
    const char *line = r->status_line ? r->status_line : "";
    int rc = mc_rx_match(&m->rx, &x, line, r->status_line ? r->status_line_len : 0);
    bool ok = rc >= 0 && (rc == 1) == want;
    if (ok && want)
        mc_rx_queue_captures(&m->rx, &x, line);
    if (!ok && rc >= 0) {
        mc_buf_printf(m->rx.why, "expected the status line %sto match ", want ? "" : "not ");
        mc_why_pattern(m->rx.why, &x);
        mc_buf_append_str(m->rx.why, "; got ");
        why_reply(m->rx.why, r);
    }
    mc_rx_free(&x);
    return ok;
}

/* Is `status` one the protocol knows? (The loader checks too; this guards hand-made models.) */
static bool status_known(const struct mc_protocol *proto, const char *status)
{
    if (!proto || !proto->status_words || !proto->status_words[0])
        return true;
    for (const char *const *w = proto->status_words; *w; w++)
        if (strcasecmp(*w, status) == 0)
            return true;
    return false;
}

/* The fields about the status: continuation, ok, status, code, code class, enhanced code. */
static bool check_status(struct matcher *m, const struct mc_expect *e,
                         const struct mc_protocol *proto, const struct mc_reply *r)
{
    struct mc_buf *b = m->rx.why;
    if (e->continuation && r->kind != MC_REPLY_CONTINUATION) {
        mc_buf_append_str(b, "expected a continuation request, got final reply ");
    } else if (e->ok >= 0 && r->positive != (e->ok != 0)) {
        mc_buf_printf(b, "expected a %s reply, got ", e->ok ? "positive" : "negative");
    } else if (e->status && !status_known(proto, e->status)) {
        mc_buf_printf(b, "expect.status \"%s\" is not one of the %s status words:", e->status,
                      proto->name);
        for (const char *const *w = proto->status_words; *w; w++)
            mc_buf_printf(b, " %s", *w);
        return false;
    } else if (e->status && strcasecmp(e->status, r->status) != 0) {
        mc_buf_printf(b, "expected status %s, got ", e->status);
    } else if (e->code && r->code != e->code) {
        mc_buf_printf(b, "expected reply code %d, got ", e->code);
    } else if (e->code_class && r->code / 100 != e->code_class) {
        mc_buf_printf(b, "expected a %dxx reply, got ", e->code_class);
    } else if (e->enhanced && strcmp(e->enhanced, r->enhanced) != 0) {
        mc_buf_printf(b, "expected enhanced status %s, got %s in ", e->enhanced,
                      r->enhanced[0] ? r->enhanced : "none");
    } else {
        return true;
    }
    why_reply(b, r);
    return false;
}

/* ---- variables of earlier steps ---- */

/* "captured": each variable must have been captured, and its value match its pattern. */
static bool check_captured(struct matcher *m, const struct mc_expect *e, const struct mc_vars *vars)
{
    for (size_t i = 0; i < e->captured_count; i++) {
        const struct mc_captured_check *c = &e->captured[i];
        char field[96];
        struct mc_rx x;
        snprintf(field, sizeof field, "captured.%s", c->name);
        if (!mc_rx_compile(&m->rx, c->pattern, field, &x))
            return false;
        size_t len = 0;
        const char *value = vars ? mc_vars_get(vars, c->name, &len) : NULL;
        int rc = value ? mc_rx_match(&m->rx, &x, value, len) : 0;
        if (rc == 0) {
            mc_buf_printf(m->rx.why, "expected ${%s} to match ", c->name);
            mc_why_pattern(m->rx.why, &x);
            if (value) {
                mc_buf_append_str(m->rx.why, "; it is ");
                mc_why_quote(m->rx.why, value, len);
            } else {
                mc_buf_append_str(m->rx.why, "; no earlier step captured it");
            }
        }
        mc_rx_free(&x);
        if (rc != 1)
            return false;
    }
    return true;
}

/* ---- one expectation, and its alternatives ---- */

static void matcher_init(struct matcher *m, const struct mc_protocol *proto,
                         const struct mc_vars *vars, const struct mc_vars *local,
                         struct mc_buf *why, bool capture)
{
    mc_rx_ctx_init(&m->rx, vars, local, why, capture);
    m->key = proto && proto->lines_key ? proto->lines_key : "lines";
    m->brief = false;
}

/* Every check of `e` but its any_of, in the order the header comment gives. */
static bool check_expect(struct matcher *m, const struct mc_expect *e,
                         const struct mc_protocol *proto, const struct mc_reply *r,
                         const struct mc_vars *vars)
{
    return check_status(m, e, proto, r) &&
           (!e->match || check_status_regex(m, e->match, true, r)) &&
           (!e->not_match || check_status_regex(m, e->not_match, false, r)) &&
           check_captured(m, e, vars) && check_lines(m, e, &r->data, true);
}

static bool expect_has_lines(const struct mc_expect *e)
{
    return e->lines.count || e->lines_in_order.count || e->lines_shared.count ||
           e->lines_may_given || e->lines_none.count;
}

/* Appends an alternative's explanation as item n of the list, its own line breaks indented. */
static void why_alternative(struct mc_buf *b, size_t n, const struct mc_buf *alt)
{
    mc_buf_printf(b, "\n  %zu. ", n);
    for (size_t i = 0; i < alt->len; i++) {
        if (alt->data[i] == '\n')
            mc_buf_append_str(b, "\n     ");
        else
            mc_buf_append_char(b, alt->data[i]);
    }
}

/* any_of: true at the first alternative that holds, whose captures join m's queue. */
static bool check_any_of(struct matcher *m, const struct mc_expect *e,
                         const struct mc_protocol *proto, const struct mc_reply *r,
                         const struct mc_vars *vars, const struct mc_vars *local)
{
    struct mc_buf whys = {0};
    bool lines = false, ok = false;
    for (size_t i = 0; i < e->any_of_count && !ok; i++) {
        struct mc_buf why = {0};
        struct matcher a;
        matcher_init(&a, proto, vars, local, &why, m->rx.capture);
        a.brief = true;
        ok = check_expect(&a, &e->any_of[i], proto, r, vars);
        for (size_t k = 0; ok && k < a.rx.cap_name.count; k++) {
            mc_strv_push(&m->rx.cap_name, a.rx.cap_name.items[k].ptr, a.rx.cap_name.items[k].len);
            mc_strv_push(&m->rx.cap_value, a.rx.cap_value.items[k].ptr,
                         a.rx.cap_value.items[k].len);
        }
        why_alternative(&whys, i + 1, &why);
        lines = lines || expect_has_lines(&e->any_of[i]);
        mc_rx_ctx_done(&a.rx);
        mc_buf_free(&why);
    }
    if (!ok) {
        mc_buf_printf(m->rx.why,
                      "the reply matched none of the %zu alternatives of any_of:", e->any_of_count);
        mc_buf_append(m->rx.why, whys.data, whys.len);
        if (lines)
            why_lines_listed(m->rx.why, m->key, &r->data, "\n  ", "\n    ");
    }
    mc_buf_free(&whys);
    return ok;
}

/* ---- entry points ---- */

bool mc_expect_check(const struct mc_expect *e, const struct mc_protocol *proto,
                     const struct mc_reply *r, struct mc_vars *vars, const struct mc_vars *local,
                     struct mc_buf *why)
{
    struct mc_buf scratch = {0};
    struct matcher m;
    matcher_init(&m, proto, vars, local, why ? why : &scratch, true);
    struct mc_collected lists = {0};
    bool ok = check_expect(&m, e, proto, r, vars) &&
              (e->any_of_count == 0 || check_any_of(&m, e, proto, r, vars, local)) &&
              mc_relate_collect(&m.rx, m.key, e, &r->data, &lists) &&
              mc_relate_checks(&m.rx, e, &lists, r);
    if (ok) {
        mc_rx_ctx_commit(&m.rx, vars);
        mc_collected_commit(&lists, vars);
    }
    mc_collected_free(&lists);
    mc_rx_ctx_done(&m.rx);
    mc_buf_free(&scratch);
    return ok;
}

bool mc_expect_wants_continuation(const struct mc_expect *e)
{
    for (size_t i = 0; i < e->any_of_count; i++)
        if (e->any_of[i].continuation)
            return true;
    return e->continuation;
}

bool mc_expect_lines_arrived(const struct mc_expect *e, const struct mc_reply *r,
                             const struct mc_vars *vars, const struct mc_vars *local)
{
    struct mc_buf why = {0};
    struct matcher m;
    matcher_init(&m, NULL, vars, local, &why, false);
    /* A pattern that does not compile, or that hits a match limit, will not do better with
       more lines: stop waiting and let mc_expect_check report it. */
    bool ok = check_lines(&m, e, &r->data, false) || m.rx.broken;
    mc_rx_ctx_done(&m.rx);
    mc_buf_free(&why);
    return ok;
}
