/*
 * utf8 — strict UTF-8 decoding and validation (see utf8.h).
 *
 * A sequence is decoded by its lead octet's length, then checked against the smallest code
 * point of that length (overlong forms), the surrogate range and U+10FFFF; this refuses
 * exactly the octet ranges RFC 3629 4 leaves out of its UTF8-char syntax.
 */
#include "lib/utf8.h"

#define UTF8_MAX 0x10FFFFu
#define UTF8_SURROGATE_FIRST 0xD800u
#define UTF8_SURROGATE_END 0xE000u

size_t mc_utf8_decode(const char *in, size_t len, uint32_t *cp)
{
    static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *s = (const unsigned char *)in;
    size_t n;
    uint32_t c = s[0];
    if (c < 0x80)
        n = 1;
    else if ((c & 0xE0) == 0xC0)
        n = 2, c &= 0x1F;
    else if ((c & 0xF0) == 0xE0)
        n = 3, c &= 0x0F;
    else if ((c & 0xF8) == 0xF0)
        n = 4, c &= 0x07;
    else
        return 0;
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min[n - 1] || c > UTF8_MAX || (c >= UTF8_SURROGATE_FIRST && c < UTF8_SURROGATE_END))
        return 0;
    *cp = c;
    return n;
}

bool mc_utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = mc_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void mc_utf8_append(struct mc_buf *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    mc_buf_append(out, b, n);
}
