/*
 * imap_search_match — one message tested against a parsed SEARCH program (imap_search.c).
 *
 * A match call reads the message's MIME structure only when a key needs content, at most once
 * (struct match_ctx caches the tree, the decoded header and body text and the day of the
 * Date: header), and tests the cheap keys of a list (flags, sizes, numbers) before the costly
 * ones so that content is often not read at all. String keys are searched for in decoded,
 * case-folded text: header values with RFC 2047 words decoded, text bodies with their
 * transfer encoding undone and converted to UTF-8. BEFORE/ON/SINCE compare the internal date
 * as a day in UTC; SENT* the day written in the Date: header (imap_search_text.c), and a
 * message whose Date: cannot be read matches none of them.
 */
#include "reference/imap_search.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "reference/imap_search_int.h"

/* What one match call has read of the message, each part at most once. */
struct match_ctx {
    const struct imap_search_target *t;
    const char *data;
    size_t size;
    bool mime_done, header_done, body_done, sent_done, sent_ok;
    struct mime_part root;
    struct mc_buf header; /* decoded, folded "name: value\n" lines of the top header */
    struct mc_buf body;   /* decoded, folded text parts, each followed by a NUL */
    int64_t sent_day;
    struct mc_buf tmp, tmp2;
};

static void need_mime(struct match_ctx *mc)
{
    if (mc->mime_done)
        return;
    mime_parse(mc->data, mc->size, &mc->root);
    mc->mime_done = true;
}

/* Appends the decoded, folded text of a header field ("name: value\n") to mc->header. */
static bool header_line(void *ctx, const char *name, size_t name_len, const char *value,
                        size_t value_len)
{
    struct mc_buf *out = ctx;
    struct mc_buf dec = {0};
    mc_buf_append(&dec, name, name_len);
    mc_buf_append(&dec, ": ", 2);
    mime_decode_words(value, value_len, &dec);
    mc_buf_append_char(&dec, '\n');
    imap_search_fold_append(out, dec.data, dec.len);
    mc_buf_free(&dec);
    return true;
}

static void header_text(const char *data, const struct mime_part *p, struct mc_buf *out)
{
    mime_header_foreach(data + p->header_off, p->header_len, header_line, out);
}

static const struct mime_part *message_child(const struct mime_part *p)
{
    return mime_is_message(p) && p->child_count == 1 ? &p->children[0] : NULL;
}

/* The text of part p: bodies of type text decoded to UTF-8, encapsulated messages' headers too. */
static void collect_text(struct match_ctx *mc, const struct mime_part *p, unsigned depth)
{
    if (depth > MIME_DEPTH_MAX + 1)
        return;
    const struct mime_part *inner = message_child(p);
    if (inner) {
        header_text(mc->data, inner, &mc->body);
        mc_buf_append_char(&mc->body, '\0');
        collect_text(mc, inner, depth + 1);
    } else if (mime_is_multipart(p)) {
        for (size_t i = 0; i < p->child_count; i++)
            collect_text(mc, &p->children[i], depth + 1);
    } else if (strcmp(p->type, "text") == 0) {
        mc_buf_reset(&mc->tmp);
        mc_buf_reset(&mc->tmp2);
        mime_decode_body(p->encoding, mc->data + p->body_off, p->body_len, &mc->tmp);
        const char *cs = mime_param_get(p->params, p->param_count, "charset");
        mime_charset_to_utf8(cs, mc->tmp.data ? mc->tmp.data : "", mc->tmp.len, &mc->tmp2);
        imap_search_fold_append(&mc->body, mc->tmp2.data ? mc->tmp2.data : "", mc->tmp2.len);
        mc_buf_append_char(&mc->body, '\0');
    }
}

static const struct mc_buf *need_body(struct match_ctx *mc)
{
    if (!mc->body_done) {
        need_mime(mc);
        collect_text(mc, &mc->root, 0);
        mc->body_done = true;
    }
    return &mc->body;
}

static const struct mc_buf *need_header(struct match_ctx *mc)
{
    if (!mc->header_done) {
        need_mime(mc);
        header_text(mc->data, &mc->root, &mc->header);
        mc->header_done = true;
    }
    return &mc->header;
}

static bool need_sent_day(struct match_ctx *mc, int64_t *day)
{
    if (!mc->sent_done) {
        need_mime(mc);
        mc->sent_ok =
            mime_header_get(mc->data + mc->root.header_off, mc->root.header_len, "Date",
                            &mc->tmp) &&
            imap_search_sent_day(mc->tmp.data ? mc->tmp.data : "", mc->tmp.len, &mc->sent_day);
        mc->sent_done = true;
    }
    *day = mc->sent_day;
    return mc->sent_ok;
}

struct field_search {
    const struct imap_search_node *n;
    struct match_ctx *mc;
    bool found;
};

static bool field_test(void *ctx, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
    struct field_search *fs = ctx;
    if (!imap_search_ascii_eq_n(name, name_len, fs->n->text))
        return true;
    struct mc_buf *dec = &fs->mc->tmp, *folded = &fs->mc->tmp2;
    mc_buf_reset(dec);
    mc_buf_reset(folded);
    mime_decode_words(value, value_len, dec);
    imap_search_fold_append(folded, dec->data ? dec->data : "", dec->len);
    fs->found = imap_search_needle_in(&fs->n->needle, folded->data, folded->len);
    return !fs->found;
}

static bool match_header(const struct imap_search_node *n, struct match_ctx *mc)
{
    need_mime(mc);
    struct field_search fs = {n, mc, false};
    mime_header_foreach(mc->data + mc->root.header_off, mc->root.header_len, field_test, &fs);
    return fs.found;
}

static bool match_sent(const struct imap_search_node *n, struct match_ctx *mc)
{
    int64_t day;
    if (!need_sent_day(mc, &day))
        return false;
    return n->kind == K_SENTBEFORE ? day < n->day
           : n->kind == K_SENTON   ? day == n->day
                                   : day >= n->day;
}

static bool match_text(const struct imap_search_needle *nd, const struct mc_buf *hay)
{
    return imap_search_needle_in(nd, hay->data, hay->len);
}

static bool match_content(const struct imap_search_node *n, struct match_ctx *mc)
{
    switch (n->kind) {
    case K_HEADER:
        return match_header(n, mc);
    case K_TEXT:
        return match_text(&n->needle, need_header(mc)) || match_text(&n->needle, need_body(mc));
    case K_BODY:
        return match_text(&n->needle, need_body(mc));
    default:
        return match_sent(n, mc);
    }
}

/* "$" (RFC 5182): the message is among the UIDs the last SEARCH ... SAVE kept. */
static bool match_saved(const struct imap_search_target *t)
{
    uint32_t uid = ms_message_uid(t->msg);
    size_t lo = 0, hi = t->saved ? t->saved->count : 0;
    while (lo < hi) { /* binary search: the list is ascending */
        size_t mid = lo + (hi - lo) / 2;
        if (t->saved->uids[mid] == uid)
            return true;
        if (t->saved->uids[mid] < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool match_node(const struct imap_search_node *n, struct match_ctx *mc);

/* AND (want_all) or OR over n's children, the cheap ones first. */
static bool match_children(const struct imap_search_node *n, struct match_ctx *mc, bool want_all)
{
    for (int pass = 0; pass < 2; pass++) {
        for (const struct imap_search_node *c = n->child; c; c = c->next) {
            if (c->costly != (pass == 1))
                continue;
            if (match_node(c, mc) != want_all)
                return !want_all;
        }
    }
    return want_all;
}

static bool match_date(const struct imap_search_node *n, const struct match_ctx *mc)
{
    int64_t day = imap_search_day_of(ms_message_date(mc->t->msg));
    return n->kind == K_BEFORE ? day < n->day : n->kind == K_ON ? day == n->day : day >= n->day;
}

static bool match_node(const struct imap_search_node *n, struct match_ctx *mc)
{
    const struct imap_search_target *t = mc->t;
    unsigned flags = ms_message_flags(t->msg);
    switch (n->kind) {
    case K_AND:
        return match_children(n, mc, true);
    case K_OR:
        return match_children(n, mc, false);
    case K_NOT:
        return !match_node(n->child, mc);
    case K_ALL:
        return true;
    case K_SEQSET:
    case K_UID:
        if (n->set.saved)
            return match_saved(t);
        return n->kind == K_SEQSET
                   ? imap_seqset_contains(&n->set, t->seq, t->max_seq)
                   : imap_seqset_contains(&n->set, ms_message_uid(t->msg), t->max_uid);
    case K_FLAG:
        return (flags & n->flag) != 0;
    case K_UNFLAG:
        return (flags & n->flag) == 0;
    case K_RECENT:
        return t->recent;
    case K_NEW:
        return t->recent && !(flags & MS_FLAG_SEEN);
    case K_OLD:
        return !t->recent;
    case K_KEYWORD:
        return ms_message_has_keyword(t->msg, n->text);
    case K_UNKEYWORD:
        return !ms_message_has_keyword(t->msg, n->text);
    case K_BEFORE:
    case K_ON:
    case K_SINCE:
        return match_date(n, mc);
    case K_MODSEQ:
        return ms_message_modseq(t->msg) >= n->number;
    case K_LARGER:
        return (uint64_t)mc->size > n->number;
    case K_SMALLER:
        return (uint64_t)mc->size < n->number;
    default:
        return match_content(n, mc);
    }
}

bool imap_search_match(const struct imap_search *q, const struct imap_search_target *t)
{
    if (!q || !t || !t->msg)
        return false;
    struct match_ctx mc = {
        .t = t, .data = ms_message_data(t->msg), .size = ms_message_size(t->msg)};
    bool r = match_node(q->root, &mc);
    if (mc.mime_done)
        mime_part_free(&mc.root);
    mc_buf_free(&mc.header);
    mc_buf_free(&mc.body);
    mc_buf_free(&mc.tmp);
    mc_buf_free(&mc.tmp2);
    return r;
}
