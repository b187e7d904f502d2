/*
 * imap_utf7 — modified UTF-7 mailbox names (see imap_utf7.h; UTF-8 itself is lib/utf8.c).
 *
 * Implementation notes. The modified BASE64 is hand-written (it is not RFC 4648 base64: ","
 * replaces "/", there is no padding, and the bits left over after the last UTF-16 unit must be
 * fewer than six and all zero). Decoding rejects everything that has another spelling: an
 * encoded printable US-ASCII character (including "&", which is "&-"), two encoded runs with
 * nothing between them, a run with no character, an unpaired surrogate, and U+0000 (a mailstore
 * name is a C string). Encoding never fails: an invalid UTF-8 sequence (which the mailstore
 * does not hold) becomes U+FFFD rather than being passed through.
 */
#include "reference/imap_utf7.h"

#include <stdint.h>

#include "lib/utf8.h"

#define IMAP_SURROGATE_HIGH 0xD800u
#define IMAP_SURROGATE_LOW 0xDC00u
#define IMAP_SURROGATE_END 0xE000u
#define IMAP_REPLACEMENT_CHAR 0xFFFDu

static const char imap_mbase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Printable US-ASCII: what modified UTF-7 writes as itself. */
static bool imap_is_direct(uint32_t c)
{
    return c >= 0x20 && c <= 0x7e;
}

/* ---- decoding ---- */

static int imap_mbase64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == ',')
        return 63;
    return -1;
}

/* One UTF-16 unit of an encoded run; *high holds a pending high surrogate. */
static bool imap_utf16_unit(uint32_t unit, uint32_t *high, struct mc_buf *out)
{
    bool is_high = unit >= IMAP_SURROGATE_HIGH && unit < IMAP_SURROGATE_LOW;
    bool is_low = unit >= IMAP_SURROGATE_LOW && unit < IMAP_SURROGATE_END;
    if (*high) {
        if (!is_low)
            return false;
        mc_utf8_append(out, 0x10000 + ((*high - IMAP_SURROGATE_HIGH) << 10) +
                                (unit - IMAP_SURROGATE_LOW));
        *high = 0;
        return true;
    }
    if (is_high) {
        *high = unit;
        return true;
    }
    if (is_low || unit == 0 || imap_is_direct(unit))
        return false;
    mc_utf8_append(out, unit);
    return true;
}

/* The encoded run from p (just after "&") to its "-"; returns what follows the "-", or NULL. */
static const char *imap_mutf7_run(const char *p, const char *end, struct mc_buf *out)
{
    uint32_t bits = 0, high = 0;
    unsigned nbits = 0;
    for (; p < end && *p != '-'; p++) {
        int v = imap_mbase64_value(*p);
        if (v < 0)
            return NULL;
        bits = (bits << 6) | (uint32_t)v;
        nbits += 6;
        if (nbits >= 16) {
            nbits -= 16;
            if (!imap_utf16_unit((bits >> nbits) & 0xFFFF, &high, out))
                return NULL;
        }
        bits &= (1u << nbits) - 1;
    }
    /* Unterminated, a dangling high surrogate, a whole extra character or non-zero padding. */
    if (p == end || high || nbits >= 6 || bits != 0)
        return NULL;
    return p + 1;
}

static bool imap_mutf7_decode(const char *p, const char *end, struct mc_buf *out)
{
    bool after_run = false;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '&' && p + 1 < end && p[1] == '-') {
            mc_buf_append_char(out, '&');
            p += 2;
            after_run = false;
        } else if (c == '&') {
            size_t before = out->len;
            if (after_run || !(p = imap_mutf7_run(p + 1, end, out)) || out->len == before)
                return false;
            after_run = true;
        } else if (imap_is_direct(c)) {
            mc_buf_append_char(out, (char)c);
            p++;
            after_run = false;
        } else {
            return false;
        }
    }
    return true;
}

bool imap_mutf7_to_utf8(const char *in, size_t len, struct mc_buf *out)
{
    size_t saved = out->len;
    mc_buf_append(out, "", 0); /* out->data is a string even when nothing is added */
    if (imap_mutf7_decode(in, in + len, out))
        return true;
    out->len = saved;
    out->data[saved] = '\0';
    return false;
}

/* ---- encoding ---- */

struct imap_mbase64_enc {
    uint32_t bits;
    unsigned nbits;
};

static void imap_mbase64_put(struct imap_mbase64_enc *e, uint32_t unit, struct mc_buf *out)
{
    e->bits = (e->bits << 16) | unit;
    e->nbits += 16;
    while (e->nbits >= 6) {
        e->nbits -= 6;
        mc_buf_append_char(out, imap_mbase64[(e->bits >> e->nbits) & 0x3F]);
    }
    e->bits &= (1u << e->nbits) - 1;
}

static void imap_mbase64_flush(struct imap_mbase64_enc *e, struct mc_buf *out)
{
    if (e->nbits > 0)
        mc_buf_append_char(out, imap_mbase64[(e->bits << (6 - e->nbits)) & 0x3F]);
    *e = (struct imap_mbase64_enc){0};
}

/* The run of characters that are not printable US-ASCII starting at s[0]; its length. */
static size_t imap_mutf7_encode_run(const unsigned char *s, size_t len, struct mc_buf *out)
{
    struct imap_mbase64_enc enc = {0};
    size_t i = 0;
    mc_buf_append_char(out, '&');
    while (i < len && !imap_is_direct(s[i])) {
        uint32_t cp;
        size_t n = mc_utf8_decode((const char *)s + i, len - i, &cp);
        if (n == 0)
            cp = IMAP_REPLACEMENT_CHAR, n = 1;
        if (cp >= 0x10000) {
            imap_mbase64_put(&enc, IMAP_SURROGATE_HIGH + ((cp - 0x10000) >> 10), out);
            imap_mbase64_put(&enc, IMAP_SURROGATE_LOW + ((cp - 0x10000) & 0x3FF), out);
        } else {
            imap_mbase64_put(&enc, cp, out);
        }
        i += n;
    }
    imap_mbase64_flush(&enc, out);
    mc_buf_append_char(out, '-');
    return i;
}

void imap_utf8_to_mutf7(const char *in, size_t len, struct mc_buf *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    mc_buf_append(out, "", 0);
    while (i < len) {
        if (s[i] == '&') {
            mc_buf_append(out, "&-", 2);
            i++;
        } else if (imap_is_direct(s[i])) {
            mc_buf_append_char(out, (char)s[i]);
            i++;
        } else {
            i += imap_mutf7_encode_run(s + i, len - i, out);
        }
    }
}
