/*
 * imap_fetch — FETCH and UID FETCH (RFC 3501 6.4.5 and 7.4.2, RFC 9051 6.4.5 and 7.5.2; see
 * imap_int.h): the data items of each message named, in the order asked.
 *
 * Items: FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE, UID, RFC822,
 * RFC822.HEADER, RFC822.TEXT, BODY[section]<partial>, BODY.PEEK[...], and IMAP4rev2's BINARY
 * [part]<partial>, BINARY.PEEK and BINARY.SIZE (RFC 3516: the part with its transfer encoding
 * undone); the macros ALL, FAST and FULL. The UID form always includes UID (RFC 3501 6.4.8).
 * Reading a body without .PEEK sets \Seen (unless the mailbox was opened with EXAMINE), and the
 * FETCH response then carries the new FLAGS even when they were not asked for. Message text
 * always goes out as a literal (literal8 for BINARY data holding NUL). The MIME structure is
 * parsed at most once per message, only when an item needs it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/mime.h"
#include "reference/imap_body.h"
#include "reference/imap_int.h"

#define IMAP_FETCH_ITEMS_MAX 64 /* data items in one FETCH (harness limit) */
#define IMAP_FETCH_NAME_MAX 32  /* the longest item name is "BODYSTRUCTURE" */

enum imap_fetch_kind {
    IMAP_FETCH_FLAGS,
    IMAP_FETCH_INTERNALDATE,
    IMAP_FETCH_RFC822_SIZE,
    IMAP_FETCH_ENVELOPE,
    IMAP_FETCH_BODY,
    IMAP_FETCH_BODYSTRUCTURE,
    IMAP_FETCH_UID,
    IMAP_FETCH_RFC822,
    IMAP_FETCH_RFC822_HEADER,
    IMAP_FETCH_RFC822_TEXT,
    IMAP_FETCH_SECTION,     /* BODY[...] / BODY.PEEK[...] */
    IMAP_FETCH_BINARY,      /* BINARY[...] / BINARY.PEEK[...] */
    IMAP_FETCH_BINARY_SIZE, /* BINARY.SIZE[...] */
    IMAP_FETCH_MODSEQ,      /* RFC 7162 3.1.4 */
};

struct imap_fetch_item {
    enum imap_fetch_kind kind;
    bool peek;
    struct imap_section sec;
};

struct imap_fetch {
    struct imap_fetch_item items[IMAP_FETCH_ITEMS_MAX];
    size_t count;
    bool changedsince;       /* (CHANGEDSINCE n), RFC 7162 3.1.4.1 */
    uint64_t changedsince_n; /* only messages with a greater mod-sequence */
};

/* ---- reading the item list ---- */

static const struct {
    const char *name;
    enum imap_fetch_kind kind;
} imap_fetch_simple[] = {
    {"FLAGS", IMAP_FETCH_FLAGS},
    {"INTERNALDATE", IMAP_FETCH_INTERNALDATE},
    {"RFC822.SIZE", IMAP_FETCH_RFC822_SIZE},
    {"ENVELOPE", IMAP_FETCH_ENVELOPE},
    {"BODY", IMAP_FETCH_BODY},
    {"BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE},
    {"UID", IMAP_FETCH_UID},
    {"RFC822", IMAP_FETCH_RFC822},
    {"RFC822.HEADER", IMAP_FETCH_RFC822_HEADER},
    {"RFC822.TEXT", IMAP_FETCH_RFC822_TEXT},
    {"MODSEQ", IMAP_FETCH_MODSEQ},
};

static bool imap_fetch_add(struct imap_parser *ps, struct imap_fetch *f, enum imap_fetch_kind k)
{
    if (f->count == IMAP_FETCH_ITEMS_MAX)
        return imap_parse_fail(ps, "too many FETCH items");
    f->items[f->count++] = (struct imap_fetch_item){.kind = k};
    return true;
}

/* An item name: letters, digits and "." (the "[" of a section is not part of it). */
static bool imap_fetch_name(struct imap_parser *ps, char name[IMAP_FETCH_NAME_MAX + 1])
{
    size_t n = 0;
    while (ps->p + n < ps->end && n < IMAP_FETCH_NAME_MAX &&
           (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '.' || ps->p[n] == '-'))
        n++;
    if (n == 0)
        return imap_parse_fail(ps, "a FETCH data item is expected");
    for (size_t i = 0; i < n; i++)
        name[i] = (char)toupper((unsigned char)ps->p[i]);
    name[n] = '\0';
    ps->p += n;
    return true;
}

static bool imap_fetch_macro(struct imap_parser *ps, struct imap_fetch *f, const char *name)
{
    static const enum imap_fetch_kind fast[] = {IMAP_FETCH_FLAGS, IMAP_FETCH_INTERNALDATE,
                                                IMAP_FETCH_RFC822_SIZE, IMAP_FETCH_ENVELOPE,
                                                IMAP_FETCH_BODY};
    size_t n = strcmp(name, "FAST") == 0 ? 3 : strcmp(name, "ALL") == 0 ? 4 : 5;
    for (size_t i = 0; i < n; i++)
        if (!imap_fetch_add(ps, f, fast[i]))
            return false;
    return true;
}

static bool imap_fetch_sectioned(struct imap_parser *ps, struct imap_fetch *f, const char *name)
{
    enum imap_fetch_kind kind = IMAP_FETCH_SECTION;
    bool peek = strcmp(name, "BODY.PEEK") == 0 || strcmp(name, "BINARY.PEEK") == 0;
    if (strncmp(name, "BINARY", 6) == 0)
        kind = strcmp(name, "BINARY.SIZE") == 0 ? IMAP_FETCH_BINARY_SIZE : IMAP_FETCH_BINARY;
    if (!imap_fetch_add(ps, f, kind))
        return false;
    struct imap_fetch_item *it = &f->items[f->count - 1];
    it->peek = peek;
    if (!imap_section_parse(ps, &it->sec))
        return false;
    if (kind != IMAP_FETCH_SECTION && it->sec.text != IMAP_SECTION_ALL)
        return imap_parse_fail(ps, "BINARY takes part numbers only (RFC 3516 4.1)");
    if (kind == IMAP_FETCH_BINARY_SIZE && it->sec.partial)
        return imap_parse_fail(ps, "BINARY.SIZE takes no partial range");
    return true;
}

static bool imap_fetch_one(struct imap_parser *ps, struct imap_fetch *f, bool macros_ok)
{
    char name[IMAP_FETCH_NAME_MAX + 1];
    if (!imap_fetch_name(ps, name))
        return false;
    if (imap_peek_char(ps, '[')) {
        static const char *const sectioned[] = {"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK",
                                                "BINARY.SIZE"};
        for (size_t i = 0; i < sizeof sectioned / sizeof sectioned[0]; i++)
            if (strcmp(name, sectioned[i]) == 0)
                return imap_fetch_sectioned(ps, f, name);
        return imap_parse_fail(ps, "only BODY, BODY.PEEK and BINARY take a section");
    }
    for (size_t i = 0; i < sizeof imap_fetch_simple / sizeof imap_fetch_simple[0]; i++)
        if (strcmp(name, imap_fetch_simple[i].name) == 0)
            return imap_fetch_add(ps, f, imap_fetch_simple[i].kind);
    if (macros_ok && (!strcmp(name, "ALL") || !strcmp(name, "FAST") || !strcmp(name, "FULL")))
        return imap_fetch_macro(ps, f, name);
    return imap_parse_fail(ps, "unknown FETCH data item");
}

/* SP (macro / item / "(" item *(SP item) ")") */
static bool imap_fetch_items(struct imap_parser *ps, struct imap_fetch *f)
{
    if (!imap_parse_sp(ps))
        return false;
    if (!imap_parse_char(ps, '('))
        return imap_fetch_one(ps, f, true);
    for (bool first = true; !imap_parse_char(ps, ')'); first = false)
        if (!(first || imap_parse_sp(ps)) || !imap_fetch_one(ps, f, false))
            return false;
    return f->count > 0 ? true : imap_parse_fail(ps, "an empty FETCH item list");
}

static void imap_fetch_free(struct imap_fetch *f)
{
    for (size_t i = 0; i < f->count; i++)
        imap_section_free(&f->items[i].sec);
}

/* ---- answering ---- */

struct imap_fetch_msg {
    const struct ms_message *m;
    uint32_t seq;
    const char *data;
    size_t len;
    struct mime_part root;
    bool parsed;
};

static const struct mime_part *imap_fetch_mime(struct imap_fetch_msg *fm)
{
    if (!fm->parsed) {
        mime_parse(fm->data, fm->len, &fm->root);
        fm->parsed = true;
    }
    return &fm->root;
}

static void imap_write_literal(struct mc_buf *out, const char *data, size_t len, bool binary)
{
    bool nul = binary && memchr(data, '\0', len) != NULL;
    mc_buf_printf(out, "%s{%zu}\r\n", nul ? "~" : "", len);
    mc_buf_append(out, data, len);
}

static void imap_fetch_section(struct imap *im, struct mc_buf *out, struct imap_fetch_msg *fm,
                               const struct imap_section *sec)
{
    (void)im;
    struct mc_buf data = {0};
    imap_section_extract(fm->data, fm->len, imap_fetch_mime(fm), sec, &data);
    mc_buf_append_str(out, "BODY");
    imap_section_write_name(out, sec);
    mc_buf_append_char(out, ' ');
    imap_write_literal(out, imap_str(&data), data.len, false);
    mc_buf_free(&data);
}

/* The octets a BINARY section names, with the part's transfer encoding undone (RFC 3516). */
static void imap_fetch_binary(struct imap_fetch_msg *fm, const struct imap_section *sec,
                              struct mc_buf *decoded)
{
    struct imap_section whole = *sec;
    whole.partial = false;
    struct mc_buf raw = {0};
    imap_section_extract(fm->data, fm->len, imap_fetch_mime(fm), &whole, &raw);
    const struct mime_part *p = imap_section_part(imap_fetch_mime(fm), sec);
    if (sec->depth > 0 && p)
        mime_decode_body(p->encoding, imap_str(&raw), raw.len, decoded);
    else
        mc_buf_append(decoded, imap_str(&raw), raw.len);
    mc_buf_free(&raw);
}

static void imap_fetch_binary_item(struct mc_buf *out, struct imap_fetch_msg *fm,
                                   const struct imap_fetch_item *it)
{
    struct mc_buf decoded = {0};
    imap_fetch_binary(fm, &it->sec, &decoded);
    struct imap_section name = it->sec;
    name.partial = it->kind == IMAP_FETCH_BINARY && it->sec.partial;
    mc_buf_append_str(out, it->kind == IMAP_FETCH_BINARY_SIZE ? "BINARY.SIZE" : "BINARY");
    imap_section_write_name(out, &name);
    if (it->kind == IMAP_FETCH_BINARY_SIZE) {
        mc_buf_printf(out, " %zu", decoded.len);
    } else {
        size_t from = it->sec.partial ? it->sec.origin : 0;
        size_t n = from < decoded.len ? decoded.len - from : 0;
        if (it->sec.partial && n > it->sec.count)
            n = it->sec.count;
        mc_buf_append_char(out, ' ');
        imap_write_literal(out, imap_str(&decoded) + (from < decoded.len ? from : 0), n, true);
    }
    mc_buf_free(&decoded);
}

static void imap_fetch_rfc822(struct mc_buf *out, struct imap_fetch_msg *fm, const char *name,
                              enum imap_section_text text)
{
    struct imap_section sec = {.text = text};
    struct mc_buf data = {0};
    imap_section_extract(fm->data, fm->len, imap_fetch_mime(fm), &sec, &data);
    mc_buf_printf(out, "%s ", name);
    imap_write_literal(out, imap_str(&data), data.len, false);
    mc_buf_free(&data);
}

static void imap_fetch_write_item(struct imap *im, struct mc_buf *out, struct imap_fetch_msg *fm,
                                  const struct imap_fetch_item *it)
{
    const struct mime_part *root;
    switch (it->kind) {
    case IMAP_FETCH_FLAGS:
        mc_buf_append_str(out, "FLAGS ");
        imap_write_flags(out, ms_message_flags(fm->m), ms_message_keywords(fm->m),
                         !im->rev2 && ms_view_recent(im->view, fm->seq));
        break;
    case IMAP_FETCH_INTERNALDATE:
        mc_buf_append_str(out, "INTERNALDATE ");
        imap_write_date_time(out, ms_message_date(fm->m));
        break;
    case IMAP_FETCH_RFC822_SIZE:
        mc_buf_printf(out, "RFC822.SIZE %zu", fm->len);
        break;
    case IMAP_FETCH_ENVELOPE:
        root = imap_fetch_mime(fm);
        mc_buf_append_str(out, "ENVELOPE ");
        imap_write_envelope(out, fm->data + root->header_off, root->header_len, im->utf8_accept);
        break;
    case IMAP_FETCH_BODY:
    case IMAP_FETCH_BODYSTRUCTURE:
        mc_buf_append_str(out, it->kind == IMAP_FETCH_BODY ? "BODY " : "BODYSTRUCTURE ");
        imap_write_bodystructure(out, fm->data, imap_fetch_mime(fm),
                                 it->kind == IMAP_FETCH_BODYSTRUCTURE, im->utf8_accept);
        break;
    case IMAP_FETCH_UID:
        mc_buf_printf(out, "UID %u", ms_message_uid(fm->m));
        break;
    case IMAP_FETCH_MODSEQ:
        mc_buf_printf(out, "MODSEQ (%llu)", (unsigned long long)ms_message_modseq(fm->m));
        break;
    case IMAP_FETCH_RFC822:
        imap_fetch_rfc822(out, fm, "RFC822", IMAP_SECTION_ALL);
        break;
    case IMAP_FETCH_RFC822_HEADER:
        imap_fetch_rfc822(out, fm, "RFC822.HEADER", IMAP_SECTION_HEADER);
        break;
    case IMAP_FETCH_RFC822_TEXT:
        imap_fetch_rfc822(out, fm, "RFC822.TEXT", IMAP_SECTION_TEXT);
        break;
    case IMAP_FETCH_SECTION:
        imap_fetch_section(im, out, fm, &it->sec);
        break;
    case IMAP_FETCH_BINARY:
    case IMAP_FETCH_BINARY_SIZE:
        imap_fetch_binary_item(out, fm, it);
        break;
    }
}

static bool imap_fetch_sets_seen(const struct imap_fetch *f)
{
    for (size_t i = 0; i < f->count; i++) {
        enum imap_fetch_kind k = f->items[i].kind;
        if (((k == IMAP_FETCH_SECTION || k == IMAP_FETCH_BINARY) && !f->items[i].peek) ||
            k == IMAP_FETCH_RFC822 || k == IMAP_FETCH_RFC822_TEXT)
            return true;
    }
    return false;
}

static bool imap_fetch_has(const struct imap_fetch *f, enum imap_fetch_kind k)
{
    for (size_t i = 0; i < f->count; i++)
        if (f->items[i].kind == k)
            return true;
    return false;
}

/* Sets \Seen when the items read a body; true when the flags changed. */
static bool imap_fetch_mark_seen(struct imap *im, const struct imap_fetch *f, uint32_t uid)
{
    bool changed = false;
    if (!im->read_only && imap_fetch_sets_seen(f))
        ms_mailbox_store_flags(ms_view_mailbox(im->view), im->view, uid, MS_FLAGS_ADD, MS_FLAG_SEEN,
                               NULL, &changed);
    return changed;
}

/* Can every BINARY item be decoded? RFC 3516 4.3 / RFC 9051 6.4.5: an encoding the server
   does not know gets NO [UNKNOWN-CTE], not the raw octets. */
static bool imap_fetch_binary_decodable(const struct imap_fetch *f, struct imap_fetch_msg *fm)
{
    static const char *const known[] = {"7bit", "8bit", "binary", "base64", "quoted-printable"};
    for (size_t i = 0; i < f->count; i++) {
        const struct imap_fetch_item *it = &f->items[i];
        if (it->kind != IMAP_FETCH_BINARY && it->kind != IMAP_FETCH_BINARY_SIZE)
            continue;
        const struct mime_part *p = imap_section_part(imap_fetch_mime(fm), &it->sec);
        bool ok = !p || it->sec.depth == 0 || !p->encoding;
        for (size_t k = 0; !ok && k < sizeof known / sizeof known[0]; k++)
            ok = strcasecmp(p->encoding, known[k]) == 0;
        if (!ok)
            return false;
    }
    return true;
}

/* One message's FETCH response; false (nothing sent) when a BINARY item cannot be decoded. */
static bool imap_fetch_message(struct imap *im, const struct imap_cmd *c,
                               const struct imap_fetch *f, uint32_t seq)
{
    struct imap_fetch_msg fm = {.seq = seq};
    fm.m = ms_view_message(im->view, seq);
    fm.data = ms_message_data(fm.m);
    fm.len = ms_message_size(fm.m);
    if (!imap_fetch_binary_decodable(f, &fm)) {
        if (fm.parsed)
            mime_part_free(&fm.root);
        return false;
    }
    uint32_t uid = ms_message_uid(fm.m);
    bool flags_changed = imap_fetch_mark_seen(im, f, uid); /* changes fm.m's flags in place */
    struct mc_buf out = {0};
    mc_buf_printf(&out, "* %u FETCH (", seq);
    const char *sep = "";
    if (c->uid && !imap_fetch_has(f, IMAP_FETCH_UID))
        mc_buf_printf(&out, "UID %u", uid), sep = " ";
    for (size_t i = 0; i < f->count; i++) {
        mc_buf_append_str(&out, sep);
        imap_fetch_write_item(im, &out, &fm, &f->items[i]);
        sep = " ";
    }
    if (flags_changed && !imap_fetch_has(f, IMAP_FETCH_FLAGS)) {
        struct imap_fetch_item flags = {.kind = IMAP_FETCH_FLAGS};
        mc_buf_append_str(&out, sep);
        imap_fetch_write_item(im, &out, &fm, &flags);
    }
    /* RFC 7162 3.1.4: once CONDSTORE is on, FLAGS come with MODSEQ. */
    bool flags_sent = flags_changed || imap_fetch_has(f, IMAP_FETCH_FLAGS);
    if (im->condstore && flags_sent && !imap_fetch_has(f, IMAP_FETCH_MODSEQ)) {
        struct imap_fetch_item modseq = {.kind = IMAP_FETCH_MODSEQ};
        mc_buf_append_char(&out, ' ');
        imap_fetch_write_item(im, &out, &fm, &modseq);
    }
    mc_buf_append_str(&out, ")\r\n");
    imap_send_raw(im, out.data, out.len);
    mc_buf_free(&out);
    if (fm.parsed)
        mime_part_free(&fm.root);
    return true;
}

/* "(CHANGEDSINCE n)" after the items (RFC 7162 3.1.4.1); it implies MODSEQ. */
static bool imap_fetch_modifiers(struct imap_parser *ps, struct imap_fetch *f)
{
    struct mc_buf atom = {0};
    bool ok = imap_parse_char(ps, '(') && imap_parse_atom(ps, &atom) &&
              strcasecmp(atom.data, "CHANGEDSINCE") == 0 && imap_parse_sp(ps) &&
              imap_parse_number64(ps, &f->changedsince_n) && imap_parse_char(ps, ')');
    mc_buf_free(&atom);
    if (!ok)
        return imap_parse_fail(ps, "the only FETCH modifier is (CHANGEDSINCE mod-sequence)");
    f->changedsince = true;
    return imap_fetch_has(f, IMAP_FETCH_MODSEQ) || imap_fetch_add(ps, f, IMAP_FETCH_MODSEQ);
}

void imap_cmd_fetch(struct imap *im, struct imap_cmd *c)
{
    struct imap_seqset set = {0};
    struct imap_fetch f = {0};
    struct ms_uidlist uids = {0};
    if (!imap_parse_sp(c->ps) || !imap_parse_seqset(c->ps, &set) || !imap_fetch_items(c->ps, &f) ||
        (imap_parse_sp(c->ps) && !imap_fetch_modifiers(c->ps, &f))) {
        imap_bad_syntax(im, c);
    } else if (imap_expect_end(im, c) && imap_set_uids(im, c, &set, &uids)) {
        if (imap_fetch_has(&f, IMAP_FETCH_MODSEQ) || f.changedsince)
            imap_condstore_enable(im);
        bool decodable = true;
        for (size_t i = 0; decodable && i < uids.count; i++) {
            uint32_t seq = ms_view_seq(im->view, uids.uids[i]);
            if (seq && (!f.changedsince ||
                        ms_message_modseq(ms_view_message(im->view, seq)) > f.changedsince_n))
                decodable = imap_fetch_message(im, c, &f, seq);
        }
        if (decodable)
            imap_ok(im, c, "FETCH completed");
        else
            imap_no(im, c,
                    "[UNKNOWN-CTE] a part has a transfer encoding the server cannot "
                    "decode (RFC 3516 4.3)");
    }
    imap_seqset_free(&set);
    imap_fetch_free(&f);
    ms_uidlist_free(&uids);
}
