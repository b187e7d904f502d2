/*
 * escape — peer bytes made readable for people (see escape.h).
 *
 * One pass over the octets: printable ASCII is copied, "\" doubled, a well-formed UTF-8
 * sequence copied when the caller keeps UTF-8 and it is not a C1 control (U+0080..U+009F,
 * invisible like the C0 controls), anything else written as \xHH.
 */
#include "lib/escape.h"

#include "lib/utf8.h"

#define ESCAPE_PRINTABLE_FIRST 0x20 /* SP: the first printable US-ASCII character */
#define ESCAPE_PRINTABLE_END 0x7f   /* DEL: a control, like everything below SP */
#define ESCAPE_C1_END 0xa0u         /* U+0080..U+009F are the C1 controls */

static void escape_octet(struct mc_buf *out, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
    mc_buf_append(out, esc, sizeof esc);
}

/* Length of the printable UTF-8 character at s, or 0 when it is ill-formed or a C1 control. */
static size_t escape_utf8_char(const char *s, size_t len)
{
    uint32_t cp;
    size_t n = mc_utf8_decode(s, len, &cp);
    return n > 1 && cp >= ESCAPE_C1_END ? n : 0;
}

void mc_escape_append(struct mc_buf *out, const char *s, size_t len, unsigned flags)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n;
        if (c == '\\' || (c == '"' && (flags & MC_ESCAPE_QUOTE))) {
            mc_buf_append_char(out, '\\');
            mc_buf_append_char(out, (char)c);
            i++;
        } else if (c >= ESCAPE_PRINTABLE_FIRST && c < ESCAPE_PRINTABLE_END) {
            mc_buf_append_char(out, (char)c);
            i++;
        } else if ((flags & MC_ESCAPE_KEEP_UTF8) && (n = escape_utf8_char(s + i, len - i))) {
            mc_buf_append(out, s + i, n);
            i += n;
        } else {
            escape_octet(out, c);
            i++;
        }
    }
}

char *mc_escape_dup(const char *s, size_t len, unsigned flags)
{
    if (!s)
        return NULL;
    struct mc_buf b = {0};
    mc_escape_append(&b, s, len, flags);
    return mc_buf_steal(&b);
}
