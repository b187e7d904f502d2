/*
 * imap_body — FETCH's view of a message's content (see imap_body.h): BODY[section]<partial>
 * parsing, naming and extraction (RFC 3501 6.4.5), and the ENVELOPE, BODY and BODYSTRUCTURE
 * writers (RFC 3501 7.4.2, RFC 9051 7.5.2), all over the MIME tree of lib/mime.h.
 *
 * BODYSTRUCTURE follows Dovecot (checked against 2.3.19) wherever the RFCs leave a choice:
 * a text part without a charset gets ("CHARSET" "us-ascii") (RFC 2045 5.2), every extension
 * field is present (NIL when absent), Content-Language is always a parenthesised list, part
 * numbers are walked as Dovecot walks them, HEADER and TEXT of a part that is no message are
 * empty. Media types, subtypes, parameter names, encodings and disposition types are written
 * upper-case like RFC 3501's examples (Dovecot 2.3 writes lower-case; any case is legal).
 * Where Dovecot departs from the RFCs we do not follow it: sizes and line counts end before the
 * line end that belongs to the next delimiter (RFC 2046 5.1.1) also for nested multiparts and
 * message/rfc822 parts, and HEADER.FIELDS adds no blank line to a header that had none
 * (RFC 3501 6.4.5). Line counts count a last line without its line end (lib/mime.h); Dovecot
 * counts line ends only. Parameters are decoded (RFC 2231) to UTF-8; a value with 8-bit
 * octets, when the client has not enabled UTF-8, goes in the RFC 2231 form NAME* "utf-8''%XX"
 * instead of a literal. message/global is written with its envelope and body only to IMAP4rev2 /
 * UTF8=ACCEPT clients (RFC 9051 media-message); to others it is a basic part, as RFC 3501's
 * grammar requires.
 */
#include "reference/imap_body.h"

#include <string.h>
#include <strings.h>

#include "lib/utf8.h"

/* ---- sections: parsing ---- */

struct keyword {
    const char *name;
    enum imap_section_text text;
};

/* Longest first, so that HEADER does not match the start of HEADER.FIELDS. */
static const struct keyword section_keywords[] = {
    {"HEADER.FIELDS.NOT", IMAP_SECTION_HEADER_FIELDS_NOT},
    {"HEADER.FIELDS", IMAP_SECTION_HEADER_FIELDS},
    {"HEADER", IMAP_SECTION_HEADER},
    {"TEXT", IMAP_SECTION_TEXT},
    {"MIME", IMAP_SECTION_MIME},
};

static bool section_keyword(struct imap_parser *ps, enum imap_section_text *text)
{
    size_t avail = (size_t)(ps->end - ps->p);
    for (size_t i = 0; i < sizeof section_keywords / sizeof *section_keywords; i++) {
        size_t n = strlen(section_keywords[i].name);
        if (avail >= n && strncasecmp(ps->p, section_keywords[i].name, n) == 0 &&
            (avail == n || ps->p[n] == ']' || ps->p[n] == ' ')) {
            ps->p += n;
            *text = section_keywords[i].text;
            return true;
        }
    }
    return imap_parse_fail(ps, "expected HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME");
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
static bool header_list(struct imap_parser *ps, struct mc_strv *fields)
{
    struct mc_buf name = {0};
    bool ok = imap_parse_sp(ps) && imap_parse_char(ps, '(');
    while (ok) {
        mc_buf_reset(&name);
        ok = imap_parse_astring(ps, &name);
        if (ok && fields->count == IMAP_SECTION_FIELDS_MAX)
            ok = imap_parse_fail(ps, "too many header field names (at most 100)");
        if (ok)
            mc_strv_push(fields, name.data, name.len);
        if (!ok || imap_peek_char(ps, ')'))
            break;
        ok = imap_parse_sp(ps);
    }
    mc_buf_free(&name);
    return ok && imap_parse_char(ps, ')');
}

/* section-part = nz-number *("." nz-number), leaving a "." before a keyword unread. */
static bool section_part(struct imap_parser *ps, struct imap_section *out)
{
    do {
        if (out->depth == IMAP_SECTION_DEPTH_MAX)
            return imap_parse_fail(ps, "too many part numbers in the section");
        if (!imap_parse_nz_number(ps, &out->part[out->depth++]))
            return false;
    } while (ps->end - ps->p >= 2 && ps->p[0] == '.' && ps->p[1] >= '0' && ps->p[1] <= '9' &&
             imap_parse_char(ps, '.'));
    return true;
}

static bool section_spec(struct imap_parser *ps, struct imap_section *out)
{
    out->text = IMAP_SECTION_ALL;
    if (imap_peek_char(ps, ']'))
        return true;
    if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        if (!section_part(ps, out))
            return false;
        if (!imap_peek_char(ps, '.'))
            return true;
        imap_parse_char(ps, '.');
    }
    if (!section_keyword(ps, &out->text))
        return false;
    if (out->text == IMAP_SECTION_MIME && out->depth == 0)
        return imap_parse_fail(ps, "MIME needs a part number (RFC 3501 6.4.5)");
    if (out->text == IMAP_SECTION_HEADER_FIELDS || out->text == IMAP_SECTION_HEADER_FIELDS_NOT)
        return header_list(ps, &out->fields);
    return true;
}

/* partial = "<" number "." number ">" (a count of 0 is accepted, see imap_body.h). */
static bool section_partial(struct imap_parser *ps, struct imap_section *out)
{
    if (!imap_peek_char(ps, '<'))
        return true;
    out->partial = true;
    return imap_parse_char(ps, '<') && imap_parse_number(ps, &out->origin) &&
           imap_parse_char(ps, '.') && imap_parse_number(ps, &out->count) &&
           imap_parse_char(ps, '>');
}

bool imap_section_parse(struct imap_parser *ps, struct imap_section *out)
{
    const char *start = ps->p;
    memset(out, 0, sizeof *out);
    if (imap_parse_char(ps, '[') && section_spec(ps, out) && imap_parse_char(ps, ']') &&
        section_partial(ps, out))
        return true;
    imap_section_free(out);
    memset(out, 0, sizeof *out);
    ps->p = start;
    return false;
}

void imap_section_free(struct imap_section *sec)
{
    mc_strv_free(&sec->fields);
}

/* ---- sections: naming ---- */

void imap_section_write_name(struct mc_buf *out, const struct imap_section *sec)
{
    static const char *const names[] = {"",     "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT",
                                        "TEXT", "MIME"};
    mc_buf_append_char(out, '[');
    for (size_t i = 0; i < sec->depth; i++)
        mc_buf_printf(out, "%s%u", i ? "." : "", sec->part[i]);
    if (sec->text != IMAP_SECTION_ALL)
        mc_buf_printf(out, "%s%s", sec->depth ? "." : "", names[sec->text]);
    if (sec->text == IMAP_SECTION_HEADER_FIELDS || sec->text == IMAP_SECTION_HEADER_FIELDS_NOT) {
        mc_buf_append_str(out, " (");
        for (size_t i = 0; i < sec->fields.count; i++) {
            if (i)
                mc_buf_append_char(out, ' ');
            imap_write_astring(out, sec->fields.items[i].ptr, sec->fields.items[i].len, false);
        }
        mc_buf_append_char(out, ')');
    }
    mc_buf_append_char(out, ']');
    if (sec->partial)
        mc_buf_printf(out, "<%u>", sec->origin);
}

/* ---- sections: extraction ---- */

/* The part the part numbers name, NULL when there is none (RFC 3501 6.4.5), walked as Dovecot
   walks it: the parts of a multipart count from 1; anything else has only a part 1, itself,
   after which only a message/rfc822 may be numbered further ("1.1" of a single-part message
   does not exist); a message/rfc822 followed by more numbers is looked into. */
const struct mime_part *imap_section_part(const struct mime_part *root,
                                          const struct imap_section *sec)
{
    const struct mime_part *p = root;
    for (size_t d = 0; p && d < sec->depth; d++) {
        uint32_t n = sec->part[d];
        bool last = d + 1 == sec->depth;
        if (mime_is_multipart(p))
            p = n >= 1 && n <= p->child_count ? &p->children[n - 1] : NULL;
        else if (n != 1 || (!last && !mime_is_message(p)))
            p = NULL;
        if (p && !last && mime_is_message(p) && p->child_count == 1)
            p = &p->children[0];
    }
    return p;
}

/* The blank line ending a header block (CRLF or LF), 0 when it has none. */
static size_t blank_line_len(const char *h, size_t len)
{
    if (len >= 2 && h[len - 1] == '\n' && h[len - 2] == '\r' && (len == 2 || h[len - 3] == '\n'))
        return 2;
    if (len >= 1 && h[len - 1] == '\n' && (len == 1 || h[len - 2] == '\n'))
        return 1;
    return 0;
}

/* The whole text the section names, before the partial range. */
static void section_text(const char *data, size_t len, const struct mime_part *root,
                         const struct imap_section *sec, struct mc_buf *out)
{
    const struct mime_part *p = imap_section_part(root, sec);
    if (!p)
        return;
    if (sec->depth == 0 && sec->text == IMAP_SECTION_ALL) {
        mc_buf_append(out, data, len);
        return;
    }
    if (sec->text == IMAP_SECTION_MIME || (sec->depth > 0 && sec->text == IMAP_SECTION_ALL)) {
        bool mime = sec->text == IMAP_SECTION_MIME;
        mc_buf_append(out, data + (mime ? p->header_off : p->body_off),
                      mime ? p->header_len : p->body_len);
        return;
    }
    if (sec->depth > 0) { /* HEADER and TEXT exist for encapsulated messages only */
        if (!mime_is_message(p) || p->child_count != 1)
            return;
        p = &p->children[0];
    }
    const char *hdr = data + p->header_off;
    if (sec->text == IMAP_SECTION_TEXT) {
        mc_buf_append(out, data + p->body_off, p->body_len);
    } else if (sec->text == IMAP_SECTION_HEADER) {
        mc_buf_append(out, hdr, p->header_len);
    } else {
        mime_header_select(hdr, p->header_len, &sec->fields,
                           sec->text == IMAP_SECTION_HEADER_FIELDS_NOT, out);
        size_t blank = blank_line_len(hdr, p->header_len);
        mc_buf_append(out, hdr + p->header_len - blank, blank);
    }
}

void imap_section_extract(const char *data, size_t len, const struct mime_part *root,
                          const struct imap_section *sec, struct mc_buf *out)
{
    if (!sec->partial) {
        section_text(data, len, root, sec, out);
        return;
    }
    struct mc_buf whole = {0};
    section_text(data, len, root, sec, &whole);
    if (sec->origin < whole.len) {
        size_t n = whole.len - sec->origin;
        mc_buf_append(out, whole.data + sec->origin, n < sec->count ? n : sec->count);
    }
    mc_buf_free(&whole);
}

/* ---- ENVELOPE ---- */

static void write_cstring(struct mc_buf *out, const char *s, bool utf8_ok)
{
    imap_write_nstring(out, s, s ? strlen(s) : 0, utf8_ok);
}

/* "(" 1*address ")" or NIL; address = "(" name SP adl SP mailbox SP host ")" */
static void write_addresses(struct mc_buf *out, const struct mime_address_list *l, bool utf8_ok)
{
    if (l->count == 0) {
        mc_buf_append_str(out, "NIL");
        return;
    }
    mc_buf_append_char(out, '(');
    for (size_t i = 0; i < l->count; i++) {
        const struct mime_address *a = &l->items[i];
        mc_buf_append_char(out, '(');
        write_cstring(out, a->name, utf8_ok);
        mc_buf_append_char(out, ' ');
        write_cstring(out, a->route, utf8_ok);
        mc_buf_append_char(out, ' ');
        write_cstring(out, a->mailbox, utf8_ok);
        mc_buf_append_char(out, ' ');
        write_cstring(out, a->host, utf8_ok);
        mc_buf_append_char(out, ')');
    }
    mc_buf_append_char(out, ')');
}

static void get_addresses(const char *hdr, size_t len, const char *name,
                          struct mime_address_list *l)
{
    struct mc_buf v = {0};
    if (mime_header_get(hdr, len, name, &v))
        mime_address_parse(v.data, v.len, l);
    else
        *l = (struct mime_address_list){NULL, 0};
    mc_buf_free(&v);
}

static void write_text_field(struct mc_buf *out, const char *hdr, size_t len, const char *name,
                             bool utf8_ok)
{
    struct mc_buf v = {0};
    if (mime_header_get(hdr, len, name, &v))
        imap_write_string(out, v.data, v.len, utf8_ok);
    else
        mc_buf_append_str(out, "NIL");
    mc_buf_free(&v);
}

void imap_write_envelope(struct mc_buf *out, const char *hdr, size_t hdr_len, bool utf8_ok)
{
    static const char *const lists[] = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc"};
    struct mime_address_list from;
    mc_buf_append_char(out, '(');
    write_text_field(out, hdr, hdr_len, "Date", utf8_ok);
    mc_buf_append_char(out, ' ');
    write_text_field(out, hdr, hdr_len, "Subject", utf8_ok);
    get_addresses(hdr, hdr_len, "From", &from);
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        struct mime_address_list l;
        get_addresses(hdr, hdr_len, lists[i], &l);
        mc_buf_append_char(out, ' ');
        /* RFC 3501 7.4.2: an absent or empty Sender or Reply-To is the From */
        write_addresses(out, (i == 1 || i == 2) && l.count == 0 ? &from : &l, utf8_ok);
        mime_address_list_free(&l);
    }
    mime_address_list_free(&from);
    mc_buf_append_char(out, ' ');
    write_text_field(out, hdr, hdr_len, "In-Reply-To", utf8_ok);
    mc_buf_append_char(out, ' ');
    write_text_field(out, hdr, hdr_len, "Message-ID", utf8_ok);
    mc_buf_append_char(out, ')');
}

/* ---- BODY and BODYSTRUCTURE ---- */

/* Dovecot's answer for a multipart without parts, which the grammar does not allow. */
#define EMPTY_BODY "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)"
#define EMPTY_BODYSTRUCTURE                                                                        \
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL)"

static void write_upper(struct mc_buf *out, const char *s, bool utf8_ok)
{
    if (!s) {
        mc_buf_append_str(out, "NIL");
        return;
    }
    struct mc_buf up = {0};
    for (; *s; s++)
        mc_buf_append_char(&up, *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s);
    imap_write_string(out, up.data ? up.data : "", up.len, utf8_ok);
    mc_buf_free(&up);
}

static bool has_8bit(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return true;
    return false;
}

/* RFC 2231 7 extended value: attribute-char as is, anything else %XX. */
static void write_2231(struct mc_buf *out, const char *v)
{
    struct mc_buf enc = {0};
    mc_buf_append_str(&enc, "utf-8''");
    for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("!#$&+-.^_`|~", *s))
            mc_buf_append_char(&enc, (char)*s);
        else
            mc_buf_printf(&enc, "%%%02X", *s);
    }
    imap_write_string(out, enc.data, enc.len, false);
    mc_buf_free(&enc);
}

static void write_param(struct mc_buf *out, const struct mime_param *p, bool utf8_ok)
{
    bool extended = !utf8_ok && has_8bit(p->value) && mc_utf8_valid(p->value, strlen(p->value));
    struct mc_buf name = {0};
    mc_buf_printf(&name, "%s%s", p->name, extended ? "*" : "");
    write_upper(out, name.data, utf8_ok);
    mc_buf_free(&name);
    mc_buf_append_char(out, ' ');
    if (extended)
        write_2231(out, p->value);
    else
        imap_write_string(out, p->value, strlen(p->value), utf8_ok);
}

/* body-fld-param: "(" name SP value ... ")" or NIL; text gets its default charset. */
static void write_params(struct mc_buf *out, const struct mime_param *params, size_t n,
                         bool default_charset, bool utf8_ok)
{
    default_charset = default_charset && !mime_param_get(params, n, "charset");
    if (n == 0 && !default_charset) {
        mc_buf_append_str(out, "NIL");
        return;
    }
    mc_buf_append_char(out, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mc_buf_append_char(out, ' ');
        write_param(out, &params[i], utf8_ok);
    }
    if (default_charset)
        mc_buf_printf(out, "%s\"CHARSET\" \"us-ascii\"", n ? " " : "");
    mc_buf_append_char(out, ')');
}

/* body-fld-lang: Content-Language (RFC 3282) as a list of its comma-separated tags. */
static void write_language(struct mc_buf *out, const char *lang, bool utf8_ok)
{
    if (!lang || !*lang) {
        mc_buf_append_str(out, "NIL");
        return;
    }
    mc_buf_append_char(out, '(');
    bool first = true;
    for (const char *s = lang; *s;) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        size_t n = strcspn(s, ", \t");
        if (n) {
            mc_buf_append_str(out, first ? "" : " ");
            imap_write_string(out, s, n, utf8_ok);
            first = false;
        }
        s += n;
    }
    mc_buf_append_char(out, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc, shared by both extension forms. */
static void write_dsp_lang_loc(struct mc_buf *out, const struct mime_part *p, bool utf8_ok)
{
    if (p->disposition) {
        mc_buf_append_char(out, '(');
        write_upper(out, p->disposition, utf8_ok);
        mc_buf_append_char(out, ' ');
        write_params(out, p->disposition_params, p->disposition_param_count, false, utf8_ok);
        mc_buf_append_char(out, ')');
    } else {
        mc_buf_append_str(out, "NIL");
    }
    mc_buf_append_char(out, ' ');
    write_language(out, p->language, utf8_ok);
    mc_buf_append_char(out, ' ');
    write_cstring(out, p->location, utf8_ok);
}

static void write_multipart(struct mc_buf *out, const char *data, const struct mime_part *p,
                            bool ext, bool utf8_ok)
{
    mc_buf_append_char(out, '(');
    for (size_t i = 0; i < p->child_count; i++)
        imap_write_bodystructure(out, data, &p->children[i], ext, utf8_ok);
    if (p->child_count == 0)
        mc_buf_append_str(out, ext ? EMPTY_BODYSTRUCTURE : EMPTY_BODY);
    mc_buf_append_char(out, ' ');
    write_upper(out, p->subtype, utf8_ok);
    if (ext) {
        mc_buf_append_char(out, ' ');
        write_params(out, p->params, p->param_count, false, utf8_ok);
        mc_buf_append_char(out, ' ');
        write_dsp_lang_loc(out, p, utf8_ok);
    }
    mc_buf_append_char(out, ')');
}

/* body-type-msg: what follows body-fields for message/rfc822 (and message/global in rev2). */
static bool is_body_type_msg(const struct mime_part *p, bool utf8_ok)
{
    return mime_is_message(p) && p->child_count == 1 &&
           (strcmp(p->subtype, "rfc822") == 0 || utf8_ok);
}

static void write_single(struct mc_buf *out, const char *data, const struct mime_part *p, bool ext,
                         bool utf8_ok)
{
    bool text = strcmp(p->type, "text") == 0;
    mc_buf_append_char(out, '(');
    write_upper(out, p->type, utf8_ok);
    mc_buf_append_char(out, ' ');
    write_upper(out, p->subtype, utf8_ok);
    mc_buf_append_char(out, ' ');
    write_params(out, p->params, p->param_count, text, utf8_ok);
    mc_buf_append_char(out, ' ');
    write_cstring(out, p->id, utf8_ok);
    mc_buf_append_char(out, ' ');
    write_cstring(out, p->description, utf8_ok);
    mc_buf_append_char(out, ' ');
    write_upper(out, p->encoding ? p->encoding : "7bit", utf8_ok);
    mc_buf_printf(out, " %zu", p->body_len);
    if (is_body_type_msg(p, utf8_ok)) {
        const struct mime_part *m = &p->children[0];
        mc_buf_append_char(out, ' ');
        imap_write_envelope(out, data + m->header_off, m->header_len, utf8_ok);
        mc_buf_append_char(out, ' ');
        imap_write_bodystructure(out, data, m, ext, utf8_ok);
    }
    if (text || is_body_type_msg(p, utf8_ok))
        mc_buf_printf(out, " %zu", p->body_lines);
    if (ext) {
        mc_buf_append_char(out, ' ');
        write_cstring(out, p->md5, utf8_ok);
        mc_buf_append_char(out, ' ');
        write_dsp_lang_loc(out, p, utf8_ok);
    }
    mc_buf_append_char(out, ')');
}

void imap_write_bodystructure(struct mc_buf *out, const char *data, const struct mime_part *p,
                              bool extensible, bool utf8_ok)
{
    if (mime_is_multipart(p))
        write_multipart(out, data, p, extensible, utf8_ok);
    else
        write_single(out, data, p, extensible, utf8_ok);
}
