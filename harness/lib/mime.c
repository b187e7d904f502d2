/*
 * mime — the MIME tree of a message (see mime.h): header/body split, the Content-* fields of
 * each part (RFC 2045, RFC 2183 Content-Disposition, RFC 3282 Content-Language, RFC 2557
 * Content-Location), parameters with RFC 2231 continuations and charsets, and the multipart
 * delimiters of RFC 2046 5.1.1.
 *
 * The tree is built top-down: a multipart splits its body range at its own delimiter lines,
 * and each part is then parsed inside its range, so a part whose closing delimiter is missing
 * ends where its parent's next delimiter begins. A delimiter line is "--" boundary, optionally
 * "--", then only transport padding (SP / HTAB) up to the line end: a longer boundary of which
 * this one is a prefix therefore never matches. Whatever cannot be a well-formed container (no
 * boundary, no delimiter found, nesting or part count over the limits) is kept as a leaf of
 * type text/plain, so a multipart always has children and a message/rfc822 exactly one.
 * Header fields live in mime_header.c, the decoders in mime_decode.c, addresses in
 * mime_address.c.
 */
#include "lib/mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/mime_int.h"

#define MIME_FIELD_PARAMS_MAX 128 /* parameters kept from one field (harness limit) */
#define MIME_COMMENT_DEPTH_MAX 32 /* nested comments in a structured field (harness limit) */

struct parse_ctx {
    const char *data;
    size_t parts; /* parts created so far, the root included */
};

/* ---- small helpers ---- */

bool mime_is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

void *mime_grow(void *items, size_t count, size_t size)
{
    if (count & (count - 1))
        return items;
    return mc_xrealloc(items, (count ? count * 2 : 1) * size);
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static char *dup_trimmed(const char *s, size_t n)
{
    while (n && (mime_is_wsp(s[0]) || s[0] == '\r' || s[0] == '\n'))
        s++, n--;
    while (n && (mime_is_wsp(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return mc_xstrndup(s, n);
}

/* ---- structured field lexing (RFC 5322 3.2.2 CFWS, RFC 2045 5.1 tokens) ---- */

struct lex {
    const char *p, *end;
};

static void skip_cfws(struct lex *lx)
{
    int depth = 0;
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (depth > 0 && c == '\\' && lx->p + 1 < lx->end)
            lx->p++;
        else if (c == '(' && depth < MIME_COMMENT_DEPTH_MAX)
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if (depth == 0 && !mime_is_wsp(c) && c != '\r' && c != '\n')
            return;
        lx->p++;
    }
}

static bool is_tspecial(char c)
{
    return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* A token (RFC 2045 5.1), lower-cased; NULL when there is none. */
static char *lex_token(struct lex *lx)
{
    const char *s = lx->p;
    while (lx->p < lx->end && (unsigned char)*lx->p > ' ' && *lx->p != 0x7f && !is_tspecial(*lx->p))
        lx->p++;
    if (lx->p == s)
        return NULL;
    char *t = mc_xstrndup(s, (size_t)(lx->p - s));
    lower(t);
    return t;
}

/* A parameter value: a quoted-string (unquoted) or, leniently, anything up to ";" trimmed. */
static void lex_value(struct lex *lx, struct mc_buf *out)
{
    if (lx->p < lx->end && *lx->p == '"') {
        for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
            if (*lx->p == '\\' && lx->p + 1 < lx->end)
                lx->p++;
            if (*lx->p != '\r' && *lx->p != '\n')
                mc_buf_append_char(out, *lx->p);
        }
        if (lx->p < lx->end)
            lx->p++;
        return;
    }
    const char *s = lx->p;
    while (lx->p < lx->end && *lx->p != ';')
        lx->p++;
    size_t n = (size_t)(lx->p - s);
    while (n && (mime_is_wsp(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    mc_buf_append(out, s, n);
}

/* ---- parameters and RFC 2231 ---- */

struct raw_param {
    char *name; /* the base name, lower-case, without "*N*" */
    char *value;
    long section;  /* N of name*N, -1 without */
    bool extended; /* name* or name*N*: charset'language'%XX */
    bool used;
};

static void raw_param_init(struct raw_param *r, char *name, char *value)
{
    char *star = strchr(name, '*');
    r->name = name;
    r->value = value;
    r->section = -1;
    r->extended = false;
    r->used = false;
    if (!star)
        return;
    *star++ = '\0';
    if (*star < '0' || *star > '9') {
        r->extended = true; /* name* */
        return;
    }
    char *endp;
    long n = strtol(star, &endp, 10);
    r->section = n < MIME_FIELD_PARAMS_MAX ? n : MIME_FIELD_PARAMS_MAX;
    r->extended = *endp == '*'; /* name*N* */
}

static void percent_decode(const char *s, struct mc_buf *out)
{
    for (; *s; s++) {
        int hi, lo;
        if (*s == '%' && (hi = mc_hex_digit(s[1])) >= 0 && (lo = mc_hex_digit(s[2])) >= 0) {
            mc_buf_append_char(out, (char)(hi * 16 + lo));
            s += 2;
        } else {
            mc_buf_append_char(out, *s);
        }
    }
}

/* The charset of charset'language'text into *charset (owned) and where the text starts. */
static const char *split_extended(const char *v, char **charset)
{
    const char *q1 = strchr(v, '\'');
    const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
    if (!q2) {
        *charset = NULL;
        return v;
    }
    *charset = mc_xstrndup(v, (size_t)(q1 - v));
    return q2 + 1;
}

/* The first piece of parameter `name` numbered `section` (-1: unnumbered) that is extended or
   not as `extended` says. */
static struct raw_param *find_piece(struct raw_param *raws, size_t n, const char *name,
                                    long section, bool extended)
{
    for (size_t i = 0; i < n; i++)
        if (raws[i].section == section && raws[i].extended == extended &&
            strcmp(raws[i].name, name) == 0)
            return &raws[i];
    return NULL;
}

static struct raw_param *find_section(struct raw_param *raws, size_t n, const char *name,
                                      long section)
{
    struct raw_param *r = find_piece(raws, n, name, section, true);
    return r ? r : find_piece(raws, n, name, section, false);
}

/* The value of parameter `name` from its RFC 2231 pieces (name* or name*0, name*1...), decoded
   to UTF-8 when the charset is known; NULL when there are none. Marks the pieces used. */
static char *assemble_2231(struct raw_param *raws, size_t n, const char *name)
{
    struct mc_buf bytes = {0};
    char *charset = NULL;
    struct raw_param *r = find_piece(raws, n, name, -1, true);
    bool any = false;
    if (r) {
        r->used = any = true;
        percent_decode(split_extended(r->value, &charset), &bytes);
    } else {
        for (long k = 0; (r = find_section(raws, n, name, k)) != NULL; k++) {
            r->used = any = true;
            const char *text = r->value;
            if (k == 0 && r->extended)
                text = split_extended(r->value, &charset);
            if (r->extended)
                percent_decode(text, &bytes);
            else
                mc_buf_append_str(&bytes, text);
        }
    }
    char *result = NULL;
    if (any) {
        struct mc_buf utf8 = {0};
        mime_charset_to_utf8(charset && *charset ? charset : NULL, bytes.data ? bytes.data : "",
                             bytes.len, &utf8);
        result = mc_buf_steal(&utf8);
    }
    free(charset);
    mc_buf_free(&bytes);
    return result;
}

static void push_param(struct mime_param **params, size_t *count, const char *name, char *value)
{
    *params = mime_grow(*params, *count, sizeof **params);
    (*params)[*count].name = mc_xstrdup(name);
    (*params)[*count].value = value;
    (*count)++;
}

/* Merges the raw parameters into the part's list, in the order of first appearance; an RFC
   2231 value wins over a plain one of the same name, the first plain one over later ones. */
static void merge_params(struct raw_param *raws, size_t n, struct mime_param **params,
                         size_t *count)
{
    for (size_t i = 0; i < n; i++) {
        if (raws[i].used || mime_param_get(*params, *count, raws[i].name))
            continue;
        char *value = assemble_2231(raws, n, raws[i].name);
        if (!value) {
            struct raw_param *plain = find_piece(raws, n, raws[i].name, -1, false);
            value = mc_xstrdup(plain ? plain->value : raws[i].value);
        }
        push_param(params, count, raws[i].name, value);
    }
}

/* ";" attribute "=" value pieces after the type of a Content-Type or Content-Disposition. */
static void parse_params(struct lex *lx, struct mime_param **params, size_t *count)
{
    struct raw_param raws[MIME_FIELD_PARAMS_MAX];
    size_t n = 0;
    while (n < MIME_FIELD_PARAMS_MAX) {
        skip_cfws(lx);
        while (lx->p < lx->end && *lx->p != ';')
            lx->p++; /* garbage before the next ";" */
        if (lx->p >= lx->end)
            break;
        lx->p++;
        skip_cfws(lx);
        char *name = lex_token(lx);
        skip_cfws(lx);
        if (!name || lx->p >= lx->end || *lx->p != '=') {
            free(name);
            continue;
        }
        lx->p++;
        skip_cfws(lx);
        struct mc_buf value = {0};
        lex_value(lx, &value);
        raw_param_init(&raws[n++], name, value.data ? mc_buf_steal(&value) : mc_xstrdup(""));
    }
    merge_params(raws, n, params, count);
    for (size_t i = 0; i < n; i++) {
        free(raws[i].name);
        free(raws[i].value);
    }
}

const char *mime_param_get(const struct mime_param *params, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(params[i].name, name) == 0)
            return params[i].value;
    return NULL;
}

/* ---- the Content-* fields of one part ---- */

static void set_type(struct mime_part *p, const char *type, const char *subtype)
{
    free(p->type);
    free(p->subtype);
    p->type = mc_xstrdup(type);
    p->subtype = mc_xstrdup(subtype);
}

/* RFC 2045 5.2: an invalid Content-Type means text/plain; charset=us-ascii. */
static void parse_content_type(struct mime_part *p, const char *v, size_t len)
{
    struct lex lx = {v, v + len};
    skip_cfws(&lx);
    char *type = lex_token(&lx);
    skip_cfws(&lx);
    char *subtype = NULL;
    if (type && lx.p < lx.end && *lx.p == '/') {
        lx.p++;
        skip_cfws(&lx);
        subtype = lex_token(&lx);
    }
    if (!type || !subtype) {
        free(type);
        free(subtype);
        set_type(p, "text", "plain");
        push_param(&p->params, &p->param_count, "charset", mc_xstrdup("us-ascii"));
        return;
    }
    free(p->type);
    free(p->subtype);
    p->type = type;
    p->subtype = subtype;
    parse_params(&lx, &p->params, &p->param_count);
}

static void parse_disposition(struct mime_part *p, const char *v, size_t len)
{
    struct lex lx = {v, v + len};
    skip_cfws(&lx);
    p->disposition = lex_token(&lx);
    if (p->disposition)
        parse_params(&lx, &p->disposition_params, &p->disposition_param_count);
}

static void parse_encoding(struct mime_part *p, const char *v, size_t len)
{
    struct lex lx = {v, v + len};
    skip_cfws(&lx);
    char *enc = lex_token(&lx);
    if (enc) {
        free(p->encoding);
        p->encoding = enc;
    }
}

struct field_ctx {
    struct mime_part *p;
    bool seen_type, seen_encoding;
};

static bool is_name(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Sets *slot to the trimmed value unless an earlier field of the same name did. */
static void set_once(char **slot, const char *v, size_t len)
{
    if (!*slot)
        *slot = dup_trimmed(v, len);
}

static bool on_field(void *ctx, const char *name, size_t name_len, const char *v, size_t len)
{
    struct field_ctx *fc = ctx;
    struct mime_part *p = fc->p;
    if (name_len < 8 || strncasecmp(name, "content-", 8) != 0)
        return true;
    if (is_name(name, name_len, "content-type") && !fc->seen_type) {
        fc->seen_type = true;
        parse_content_type(p, v, len);
    } else if (is_name(name, name_len, "content-transfer-encoding") && !fc->seen_encoding) {
        fc->seen_encoding = true;
        parse_encoding(p, v, len);
    } else if (is_name(name, name_len, "content-disposition") && !p->disposition) {
        parse_disposition(p, v, len);
    } else if (is_name(name, name_len, "content-id")) {
        set_once(&p->id, v, len);
    } else if (is_name(name, name_len, "content-description")) {
        set_once(&p->description, v, len);
    } else if (is_name(name, name_len, "content-md5")) {
        set_once(&p->md5, v, len);
    } else if (is_name(name, name_len, "content-language")) {
        set_once(&p->language, v, len);
    } else if (is_name(name, name_len, "content-location")) {
        set_once(&p->location, v, len);
    }
    return true;
}

/* The defaults of RFC 2045 5.2 and 6.1 (RFC 2046 5.1.5 inside a digest), then the fields. */
static void read_fields(struct mime_part *p, const char *hdr, size_t len, bool in_digest)
{
    p->encoding = mc_xstrdup("7bit");
    struct field_ctx fc = {p, false, false};
    mime_header_foreach(hdr, len, on_field, &fc);
    if (fc.seen_type)
        return;
    if (in_digest) {
        set_type(p, "message", "rfc822");
    } else {
        set_type(p, "text", "plain");
        push_param(&p->params, &p->param_count, "charset", mc_xstrdup("us-ascii"));
    }
}

bool mime_is_multipart(const struct mime_part *p)
{
    return p->type && strcmp(p->type, "multipart") == 0;
}

bool mime_is_message(const struct mime_part *p)
{
    return p->type && strcmp(p->type, "message") == 0 &&
           (strcmp(p->subtype, "rfc822") == 0 || strcmp(p->subtype, "global") == 0);
}

/* ---- structure ---- */

static void parse_entity(struct parse_ctx *c, struct mime_part *p, size_t off, size_t end,
                         size_t depth, bool in_digest);

/* Where the header block starting at off ends: after the blank line, or at end without one. */
static size_t header_end(const char *d, size_t off, size_t end)
{
    size_t ls = off;
    while (ls < end) {
        if (d[ls] == '\n')
            return ls + 1;
        if (d[ls] == '\r' && ls + 1 < end && d[ls + 1] == '\n')
            return ls + 2;
        const char *nl = memchr(d + ls, '\n', end - ls);
        if (!nl)
            return end;
        ls = (size_t)(nl - d) + 1;
    }
    return end;
}

static size_t count_lines(const char *d, size_t len)
{
    size_t n = 0;
    for (const char *q = d; (q = memchr(q, '\n', len - (size_t)(q - d))) != NULL; q++)
        n++;
    if (len && d[len - 1] != '\n')
        n++;
    return n;
}

enum delimiter { DELIM_NONE, DELIM_PART, DELIM_CLOSE };

/* Is the line at ls a delimiter line of boundary b (RFC 2046 5.1.1)? *next: where the line
   after it starts. */
static enum delimiter delimiter_at(const char *d, size_t ls, size_t end, const char *b, size_t blen,
                                   size_t *next)
{
    if (end - ls < 2 + blen || d[ls] != '-' || d[ls + 1] != '-' || memcmp(d + ls + 2, b, blen))
        return DELIM_NONE;
    size_t q = ls + 2 + blen;
    enum delimiter kind = DELIM_PART;
    if (end - q >= 2 && d[q] == '-' && d[q + 1] == '-') {
        kind = DELIM_CLOSE;
        q += 2;
    }
    while (q < end && mime_is_wsp(d[q]))
        q++;
    if (q < end && d[q] == '\r' && q + 1 < end && d[q + 1] == '\n')
        q++;
    if (q < end && d[q] != '\n')
        return DELIM_NONE;
    *next = q < end ? q + 1 : end;
    return kind;
}

/* The line end before the delimiter line at ls belongs to the delimiter (RFC 2046 5.1.1). */
static size_t delimiter_start(const char *d, size_t body_off, size_t ls)
{
    if (ls > body_off && d[ls - 1] == '\n') {
        ls--;
        if (ls > body_off && d[ls - 1] == '\r')
            ls--;
    }
    return ls;
}

static void add_child(struct parse_ctx *c, struct mime_part *p, size_t off, size_t end,
                      size_t depth)
{
    if (c->parts >= MIME_PARTS_MAX)
        return;
    c->parts++;
    p->children = mime_grow(p->children, p->child_count, sizeof *p->children);
    struct mime_part *child = &p->children[p->child_count++];
    memset(child, 0, sizeof *child);
    bool digest = strcmp(p->subtype, "digest") == 0;
    parse_entity(c, child, off, end < off ? off : end, depth + 1, digest);
}

/* Splits the body of multipart p at the delimiter lines of its boundary. */
static void parse_multipart(struct parse_ctx *c, struct mime_part *p, size_t depth)
{
    const char *b = mime_param_get(p->params, p->param_count, "boundary");
    size_t blen = b ? strlen(b) : 0;
    if (blen == 0 || blen > MIME_BOUNDARY_MAX)
        return;
    const char *d = c->data;
    size_t end = p->body_off + p->body_len, part_start = 0, next = 0;
    bool open = false;
    for (size_t ls = p->body_off; ls < end;) {
        enum delimiter kind = delimiter_at(d, ls, end, b, blen, &next);
        if (kind != DELIM_NONE) {
            if (open)
                add_child(c, p, part_start, delimiter_start(d, p->body_off, ls), depth);
            open = kind == DELIM_PART;
            part_start = next;
            if (kind == DELIM_CLOSE)
                return;
            ls = next;
            continue;
        }
        const char *nl = memchr(d + ls, '\n', end - ls);
        ls = nl ? (size_t)(nl - d) + 1 : end;
    }
    if (open)
        add_child(c, p, part_start, end, depth);
}

static void parse_message(struct parse_ctx *c, struct mime_part *p, size_t depth)
{
    if (c->parts >= MIME_PARTS_MAX)
        return;
    c->parts++;
    p->children = mc_xcalloc(1, sizeof *p->children);
    p->child_count = 1;
    parse_entity(c, p->children, p->body_off, p->body_off + p->body_len, depth + 1, false);
}

static void parse_entity(struct parse_ctx *c, struct mime_part *p, size_t off, size_t end,
                         size_t depth, bool in_digest)
{
    const char *d = c->data;
    size_t body = header_end(d, off, end);
    p->header_off = off;
    p->header_len = body - off;
    p->body_off = body;
    p->body_len = end - body;
    p->body_lines = count_lines(d + body, end - body);
    read_fields(p, d + off, body - off, in_digest);
    bool container = mime_is_multipart(p) || mime_is_message(p);
    if (container && depth < MIME_DEPTH_MAX) {
        if (mime_is_multipart(p))
            parse_multipart(c, p, depth);
        else
            parse_message(c, p, depth);
    }
    if (container && p->child_count == 0)
        set_type(p, "text", "plain"); /* opaque: see the top of this file */
}

void mime_parse(const char *data, size_t len, struct mime_part *root)
{
    memset(root, 0, sizeof *root);
    struct parse_ctx c = {data ? data : "", 1};
    parse_entity(&c, root, 0, data ? len : 0, 0, false);
}

static void free_params(struct mime_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(params[i].name);
        free(params[i].value);
    }
    free(params);
}

void mime_part_free(struct mime_part *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->child_count; i++)
        mime_part_free(&p->children[i]);
    free(p->children);
    free(p->type);
    free(p->subtype);
    free_params(p->params, p->param_count);
    free(p->id);
    free(p->description);
    free(p->encoding);
    free(p->md5);
    free(p->disposition);
    free_params(p->disposition_params, p->disposition_param_count);
    free(p->language);
    free(p->location);
    memset(p, 0, sizeof *p);
}
