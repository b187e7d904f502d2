/*
 * replay_match — whether a client's line is the one the recording holds, loosely where a run
 * of the client may differ from the recorded one: secrets the report masked (a password is
 * `${password}`, a SASL response `[redacted SASL response]`: any text matches), the scenario's
 * run_id (learnt from the first line that holds it, then required everywhere), an IMAP tag
 * (the replies then carry the client's), and the octet count of an announced literal or BDAT
 * chunk (its contents are per run: dates, message ids). Everything else must be byte for byte
 * what was recorded.
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "reference/replay_int.h"

/* Where the next mask starts in p[0..len) and how long it is; false when there is none. */
static bool next_mask(const char *p, size_t len, size_t *at, size_t *mask_len)
{
    static const struct {
        const char *head;
        char end;
    } masks[] = {{RP_MASK_PASSWORD, '}'}, {RP_MASK_SASL, ']'}};
    bool found = false;
    for (size_t k = 0; k < sizeof masks / sizeof masks[0]; k++) {
        size_t hl = strlen(masks[k].head);
        const char *m = memmem(p, len, masks[k].head, hl);
        if (!m)
            continue;
        const char *e = memchr(m + hl, masks[k].end, len - (size_t)(m - p) - hl);
        if (!e || (found && (size_t)(m - p) >= *at))
            continue;
        *at = (size_t)(m - p);
        *mask_len = (size_t)(e - m) + 1;
        found = true;
    }
    return found;
}

bool rp_match_masked(const char *pattern, size_t plen, const char *text, size_t tlen)
{
    size_t at, mlen;
    if (!next_mask(pattern, plen, &at, &mlen))
        return plen == tlen && memcmp(pattern, text, plen) == 0;
    /* The first piece is a prefix; each later piece is found leftmost after the previous
       one; the last piece must end the text. Linear in the text for each piece. */
    if (tlen < at || memcmp(pattern, text, at) != 0)
        return false;
    size_t p = at + mlen, t = at;
    while (p <= plen) {
        size_t piece = plen - p;
        bool last = !next_mask(pattern + p, plen - p, &at, &mlen);
        if (!last)
            piece = at;
        if (last)
            return tlen - t >= piece && memcmp(pattern + p, text + tlen - piece, piece) == 0;
        const char *hit = piece ? memmem(text + t, tlen - t, pattern + p, piece) : text + t;
        if (!hit)
            return false;
        t = (size_t)(hit - text) + piece;
        p += piece + mlen;
    }
    return true;
}

static bool has_mask(const char *p, size_t len)
{
    size_t at, mlen;
    return next_mask(p, len, &at, &mlen);
}

/* Replaces every `from` in buf by `to` (both of length n). */
static void replace_same_length(struct mc_buf *buf, const char *from, const char *to, size_t n)
{
    char *p = buf->data;
    size_t left = buf->len;
    char *hit;
    while (n && (hit = memmem(p, left, from, n))) {
        memcpy(hit, to, n);
        left -= (size_t)(hit - p) + n;
        p = hit + n;
    }
}

/* Learns the client's run_id where the recorded line has the recorded one after a prefix
   without masks that the live line shares; returns it (malloc'ed) or NULL. */
static char *learn_run_id(const struct rp_match *m, const struct mc_buf *rec,
                          const struct mc_buf *live)
{
    size_t n = strlen(m->run_id);
    const char *hit = n ? memmem(rec->data, rec->len, m->run_id, n) : NULL;
    if (!hit)
        return NULL;
    size_t at = (size_t)(hit - rec->data);
    if (has_mask(rec->data, at) || live->len < at + n || memcmp(rec->data, live->data, at) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)live->data[at + i]))
            return NULL;
    return mc_xstrndup(live->data + at, n);
}

/* Drops the digits of an announced block's count, so that its size is matched loosely. */
static void drop_count(const struct rp_proto *proto, struct mc_buf *line)
{
    size_t octets, at, digits;
    if (!proto->block_after || !proto->block_after(line->data, line->len, &octets, &at, &digits))
        return;
    memmove(line->data + at, line->data + at + digits, line->len - at - digits);
    line->len -= digits;
}

bool rp_match_line(struct rp_match *m, const char *rec, size_t rec_len, const char *live,
                   size_t live_len)
{
    struct mc_buf r = {0}, l = {0};
    size_t rec_skip = 0, live_skip = 0;
    mc_buf_reset(&m->tag_from);
    mc_buf_reset(&m->tag_to);
    if (m->proto->tagged) { /* "TAG SP rest": the tag may differ, the rest may not */
        const char *rs = memchr(rec, ' ', rec_len), *ls = memchr(live, ' ', live_len);
        if (rs && ls && rs > rec && ls > live && rs + 1 < rec + rec_len &&
            ls + 1 < live + live_len) {
            rec_skip = (size_t)(rs - rec);
            live_skip = (size_t)(ls - live);
        }
    }
    mc_buf_append(&r, rec + rec_skip, rec_len - rec_skip);
    mc_buf_append(&l, live + live_skip, live_len - live_skip);
    char *learnt = NULL;
    if (m->run_id && *m->run_id) {
        const char *id = m->live_run_id ? m->live_run_id : (learnt = learn_run_id(m, &r, &l));
        if (id)
            replace_same_length(&l, id, m->run_id, strlen(m->run_id));
    }
    drop_count(m->proto, &r);
    drop_count(m->proto, &l);
    bool ok = rp_match_masked(r.data ? r.data : "", r.len, l.data ? l.data : "", l.len);
    if (ok && learnt) {
        m->live_run_id = learnt;
        learnt = NULL;
    }
    if (ok && rec_skip && (rec_skip != live_skip || memcmp(rec, live, rec_skip) != 0)) {
        mc_buf_append(&m->tag_from, rec, rec_skip);
        mc_buf_append(&m->tag_to, live, live_skip);
    }
    free(learnt);
    mc_buf_free(&r);
    mc_buf_free(&l);
    return ok;
}
