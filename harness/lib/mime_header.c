/*
 * mime_header — the fields of a header block (RFC 5322 2.2, 3.6): walking them in order,
 * unfolding a value (RFC 5322 2.2.3: a line end followed by WSP is removed, the WSP stays),
 * the first field of a name, and the raw subset IMAP's BODY[HEADER.FIELDS (...)] returns.
 *
 * A header block is taken as it comes from mime_parse: the fields, then possibly the blank
 * line, which ends the walk. Lines end in CRLF or a bare LF. A line that is not a field (no
 * colon, an empty or malformed name, a continuation with nothing to continue) is skipped
 * together with its own continuation lines; an obsolete "Name :" (RFC 5322 4.5.3) is a field.
 */
#include "lib/mime.h"

#include <string.h>
#include <strings.h>

#include "lib/mime_int.h"

struct raw_field {
    size_t start, end; /* the raw octets, continuation lines and line ends included */
    size_t name_len;   /* the name starts at start */
    size_t value_off;  /* after the colon */
    bool is_field;     /* false: a line that is no field */
};

static size_t line_end(const char *h, size_t len, size_t pos)
{
    const char *nl = memchr(h + pos, '\n', len - pos);
    return nl ? (size_t)(nl - h) + 1 : len;
}

static bool is_blank_line(const char *h, size_t len, size_t pos)
{
    return h[pos] == '\n' || (h[pos] == '\r' && pos + 1 < len && h[pos + 1] == '\n');
}

/* The field (or non-field line) at *pos with its continuation lines; false at the blank line
   or the end of the block. */
static bool next_field(const char *h, size_t len, size_t *pos, struct raw_field *f)
{
    size_t p = *pos;
    if (p >= len || is_blank_line(h, len, p))
        return false;
    f->start = p;
    size_t n = 0;
    while (p + n < len && (unsigned char)h[p + n] > ' ' && h[p + n] != ':' && h[p + n] != 0x7f)
        n++;
    size_t q = p + n;
    while (q < len && mime_is_wsp(h[q]))
        q++;
    f->is_field = n > 0 && q < len && h[q] == ':';
    f->name_len = n;
    f->value_off = q + 1;
    p = line_end(h, len, p);
    while (p < len && mime_is_wsp(h[p]))
        p = line_end(h, len, p);
    f->end = p;
    *pos = p;
    return true;
}

/* RFC 5322 2.2.3 unfolding of h[from..to): line ends removed, leading and trailing WSP too. */
static void unfold(const char *h, size_t from, size_t to, struct mc_buf *out)
{
    while (from < to && mime_is_wsp(h[from]))
        from++;
    size_t start = out->len;
    for (size_t i = from; i < to; i++) {
        if (h[i] == '\n' || (h[i] == '\r' && i + 1 < to && h[i + 1] == '\n'))
            continue;
        mc_buf_append_char(out, h[i]);
    }
    while (out->len > start &&
           (mime_is_wsp(out->data[out->len - 1]) || out->data[out->len - 1] == '\r'))
        out->data[--out->len] = '\0';
}

void mime_header_foreach(const char *hdr, size_t len,
                         bool (*fn)(void *ctx, const char *name, size_t name_len, const char *value,
                                    size_t value_len),
                         void *ctx)
{
    struct mc_buf value = {0};
    struct raw_field f;
    size_t pos = 0;
    while (next_field(hdr, len, &pos, &f)) {
        if (!f.is_field)
            continue;
        mc_buf_reset(&value);
        unfold(hdr, f.value_off, f.end, &value);
        if (!fn(ctx, hdr + f.start, f.name_len, value.data ? value.data : "", value.len))
            break;
    }
    mc_buf_free(&value);
}

struct get_ctx {
    const char *name;
    struct mc_buf *out;
    bool found;
};

static bool get_one(void *ctx, const char *name, size_t name_len, const char *value,
                    size_t value_len)
{
    struct get_ctx *g = ctx;
    if (strlen(g->name) != name_len || strncasecmp(g->name, name, name_len) != 0)
        return true;
    mc_buf_reset(g->out);
    mc_buf_append(g->out, value, value_len);
    g->found = true;
    return false;
}

bool mime_header_get(const char *hdr, size_t len, const char *name, struct mc_buf *out)
{
    struct get_ctx g = {name, out, false};
    mime_header_foreach(hdr, len, get_one, &g);
    return g.found;
}

static bool name_listed(const struct mc_strv *names, const char *name, size_t len)
{
    for (size_t i = 0; i < names->count; i++)
        if (names->items[i].len == len && strncasecmp(names->items[i].ptr, name, len) == 0)
            return true;
    return false;
}

void mime_header_select(const char *hdr, size_t len, const struct mc_strv *names, bool exclude,
                        struct mc_buf *out)
{
    struct raw_field f;
    size_t pos = 0;
    while (next_field(hdr, len, &pos, &f)) {
        if (f.is_field && name_listed(names, hdr + f.start, f.name_len) != exclude)
            mc_buf_append(out, hdr + f.start, f.end - f.start);
    }
}
