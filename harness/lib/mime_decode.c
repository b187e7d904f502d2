/*
 * mime_decode — turning what a message carries into text: charsets to UTF-8 (glibc iconv),
 * RFC 2047 encoded-words in unstructured header values, and the Content-Transfer-Encodings of
 * RFC 2045 6.7 (quoted-printable) and 6.8 (base64).
 *
 * Every decoder is lenient and total: an octet sequence that is invalid in its charset becomes
 * U+FFFD, base64 skips characters outside its alphabet (line breaks, spaces, garbage), a "="
 * in quoted-printable that starts no escape stays as it is, and an encoded-word that is
 * malformed or names an unknown charset is left undecoded. Adjacent encoded-words separated
 * only by white space are joined without it (RFC 2047 6.2), and words of one charset are
 * converted together so that a character split across two words survives.
 */
#include "lib/mime.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIME_CHARSET_NAME_MAX 40 /* RFC 2978 2.3: a charset name is at most 40 characters */
#define MIME_ICONV_CHUNK 256     /* output room added per iconv round */
/* RFC 2047 2 allows 75 characters per encoded-word; longer ones exist in the wild, so we accept
   up to this many, which also keeps the search for "?=" linear (harness limit) */
#define MIME_ENCODED_WORD_MAX 1024

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD in UTF-8 */

/* ---- charsets ---- */

static bool is_passthrough(const char *cs)
{
    return !cs || strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "utf-8") == 0 ||
           strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "ascii") == 0;
}

/* A name iconv may be asked about: short, and no "/" that would select iconv options. */
static bool charset_name_ok(const char *cs)
{
    size_t n = strlen(cs);
    if (n == 0 || n > MIME_CHARSET_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = cs[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-_.:+()", c)))
            return false;
    }
    return true;
}

static void convert(iconv_t cd, const char *in, size_t len, struct mc_buf *out)
{
    char *src = (char *)in;
    size_t left = len;
    while (left > 0) {
        size_t room =
            left < MIME_ICONV_CHUNK * 16 ? left * 4 + MIME_ICONV_CHUNK : MIME_ICONV_CHUNK * 64;
        char *dst = mc_buf_extend(out, room);
        size_t r = iconv(cd, &src, &left, &dst, &room);
        int err = errno;
        out->len -= room; /* give back what was not written */
        out->data[out->len] = '\0';
        if (r != (size_t)-1 || err == E2BIG)
            continue;
        mc_buf_append_str(out, REPLACEMENT); /* EILSEQ or EINVAL: skip one octet */
        src++;
        left--;
    }
    char *dst = mc_buf_extend(out, MIME_ICONV_CHUNK);
    size_t room = MIME_ICONV_CHUNK;
    iconv(cd, NULL, NULL, &dst, &room); /* the shift state back to the initial one */
    out->len -= room;
    out->data[out->len] = '\0';
}

/* Opened converters, kept: opening one can cost half a millisecond (glibc loads its module),
   and a message naming a different charset in every parameter or encoded word would otherwise
   pay that again and again. Unknown names are remembered too (cd -1). Single-threaded use. */
#define MIME_ICONV_CACHE 16
#define MIME_CHARSET_NAME_MAX 40

static struct {
    char name[MIME_CHARSET_NAME_MAX + 1];
    iconv_t cd;
    unsigned long used;
} iconv_cache[MIME_ICONV_CACHE];
static unsigned long iconv_clock;

static iconv_t converter(const char *charset)
{
    size_t victim = 0;
    for (size_t i = 0; i < MIME_ICONV_CACHE; i++) {
        if (iconv_cache[i].used && strcasecmp(iconv_cache[i].name, charset) == 0) {
            iconv_cache[i].used = ++iconv_clock;
            return iconv_cache[i].cd;
        }
        if (iconv_cache[i].used < iconv_cache[victim].used)
            victim = i;
    }
    if (strlen(charset) > MIME_CHARSET_NAME_MAX)
        return (iconv_t)-1;
    if (iconv_cache[victim].used && iconv_cache[victim].cd != (iconv_t)-1)
        iconv_close(iconv_cache[victim].cd);
    snprintf(iconv_cache[victim].name, sizeof iconv_cache[victim].name, "%s", charset);
    iconv_cache[victim].cd = iconv_open("UTF-8", charset);
    iconv_cache[victim].used = ++iconv_clock;
    return iconv_cache[victim].cd;
}

bool mime_charset_to_utf8(const char *charset, const char *in, size_t len, struct mc_buf *out)
{
    if (is_passthrough(charset)) {
        mc_buf_append(out, in, len);
        return true;
    }
    iconv_t cd = charset_name_ok(charset) ? converter(charset) : (iconv_t)-1;
    if (cd == (iconv_t)-1) {
        mc_buf_append(out, in, len);
        return false;
    }
    iconv(cd, NULL, NULL, NULL, NULL); /* a cached converter starts from the initial state */
    convert(cd, in, len, out);
    return true;
}

/* ---- transfer encodings ---- */

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Lenient base64: characters outside the alphabet are skipped, "=" ends a group early (what
   follows it is decoded as a new group, as concatenated encodings need). */
static void decode_base64(const char *in, size_t len, struct mc_buf *out)
{
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (in[i] == '=') {
            acc = 0;
            bits = 0;
            continue;
        }
        if (v < 0)
            continue;
        acc = ((acc << 6) | (unsigned)v) & 0xffffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            mc_buf_append_char(out, (char)((acc >> bits) & 0xff));
        }
    }
}

/* "=XX" escapes of one line (or of a Q encoded-word, RFC 2047 4.2, where "_" is a space). */
static void decode_escapes(const char *s, size_t n, bool underscore, struct mc_buf *out)
{
    for (size_t j = 0; j < n; j++) {
        int hi, lo;
        if (s[j] == '=' && j + 2 < n && (hi = mc_hex_digit(s[j + 1])) >= 0 &&
            (lo = mc_hex_digit(s[j + 2])) >= 0) {
            mc_buf_append_char(out, (char)(hi * 16 + lo));
            j += 2;
        } else {
            mc_buf_append_char(out, underscore && s[j] == '_' ? ' ' : s[j]);
        }
    }
}

/* RFC 2045 6.7: "=XX", soft line breaks ("=" then optional WSP then the line end), and the
   trailing WSP of a line (added by transports, rule 3) removed. Line ends stay as written. */
static void decode_qp(const char *in, size_t len, struct mc_buf *out)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(in + i, '\n', len - i);
        size_t eol = nl ? (size_t)(nl - in) : len;
        size_t le = eol > i && in[eol - 1] == '\r' && nl ? eol - 1 : eol;
        size_t text_end = le;
        while (text_end > i && (in[text_end - 1] == ' ' || in[text_end - 1] == '\t'))
            text_end--;
        bool soft = text_end > i && in[text_end - 1] == '=';
        decode_escapes(in + i, text_end - i - (soft ? 1 : 0), false, out);
        if (nl && !soft)
            mc_buf_append(out, in + le, eol + 1 - le);
        i = nl ? eol + 1 : len;
    }
}

void mime_decode_body(const char *encoding, const char *in, size_t len, struct mc_buf *out)
{
    if (encoding && strcasecmp(encoding, "base64") == 0)
        decode_base64(in, len, out);
    else if (encoding && strcasecmp(encoding, "quoted-printable") == 0)
        decode_qp(in, len, out);
    else
        mc_buf_append(out, in, len);
}

/* ---- RFC 2047 encoded-words ---- */

struct word {
    size_t start, end;     /* the whole "=?...?=" */
    size_t cs_off, cs_len; /* charset, without an RFC 2231 "*language" */
    char enc;              /* 'b' or 'q' */
    size_t text_off, text_len;
};

/* Is there an encoded-word at in[i]? (RFC 2047 2: no white space inside, "?" delimiters) */
static bool word_at(const char *in, size_t len, size_t i, struct word *w)
{
    if (i + 8 > len || in[i] != '=' || in[i + 1] != '?')
        return false;
    if (len - i > MIME_ENCODED_WORD_MAX)
        len = i + MIME_ENCODED_WORD_MAX;
    size_t p = i + 2;
    while (p < len && in[p] != '?' && (unsigned char)in[p] > ' ')
        p++;
    if (p + 3 >= len || in[p] != '?' || p == i + 2 || in[p + 2] != '?')
        return false;
    w->cs_off = i + 2;
    const char *star = memchr(in + w->cs_off, '*', p - w->cs_off);
    w->cs_len = (star ? (size_t)(star - in) : p) - w->cs_off;
    char e = in[p + 1];
    if (e != 'b' && e != 'B' && e != 'q' && e != 'Q')
        return false;
    w->enc = (e == 'b' || e == 'B') ? 'b' : 'q';
    w->text_off = p + 3;
    size_t t = w->text_off;
    while (t + 1 < len && !(in[t] == '?' && in[t + 1] == '=') && (unsigned char)in[t] > ' ')
        t++;
    if (t + 1 >= len || in[t] != '?' || in[t + 1] != '=' || w->cs_len == 0 ||
        w->cs_len > MIME_CHARSET_NAME_MAX)
        return false;
    w->text_len = t - w->text_off;
    w->start = i;
    w->end = t + 2;
    return true;
}

/* A run of encoded-words of one charset waiting to be converted. */
struct pending {
    char charset[MIME_CHARSET_NAME_MAX + 1];
    struct mc_buf bytes;
    size_t raw_start, raw_end; /* the words (and the white space between them) as written */
    bool active;
};

static void flush(struct pending *pd, const char *in, struct mc_buf *out)
{
    if (!pd->active)
        return;
    struct mc_buf utf8 = {0};
    if (mime_charset_to_utf8(pd->charset, pd->bytes.data ? pd->bytes.data : "", pd->bytes.len,
                             &utf8))
        mc_buf_append(out, utf8.data, utf8.len);
    else
        mc_buf_append(out, in + pd->raw_start, pd->raw_end - pd->raw_start);
    mc_buf_free(&utf8);
    mc_buf_reset(&pd->bytes);
    pd->active = false;
}

static void add_word(struct pending *pd, const char *in, const struct word *w, struct mc_buf *out)
{
    size_t cs_len = w->cs_len; /* at most MIME_CHARSET_NAME_MAX (word_at) */
    bool same = pd->active && strlen(pd->charset) == cs_len &&
                strncasecmp(pd->charset, in + w->cs_off, cs_len) == 0;
    if (!same) {
        flush(pd, in, out);
        memcpy(pd->charset, in + w->cs_off, cs_len);
        pd->charset[cs_len] = '\0';
        pd->raw_start = w->start;
        pd->active = true;
    }
    pd->raw_end = w->end;
    if (w->enc == 'b')
        decode_base64(in + w->text_off, w->text_len, &pd->bytes);
    else
        decode_escapes(in + w->text_off, w->text_len, true, &pd->bytes);
}

void mime_decode_words(const char *in, size_t len, struct mc_buf *out)
{
    struct pending pd = {.active = false};
    struct word w;
    size_t i = 0;
    while (i < len) {
        if (!word_at(in, len, i, &w)) {
            flush(&pd, in, out);
            mc_buf_append_char(out, in[i++]);
            continue;
        }
        add_word(&pd, in, &w, out);
        size_t j = w.end;
        while (j < len && (in[j] == ' ' || in[j] == '\t' || in[j] == '\r' || in[j] == '\n'))
            j++;
        struct word next;
        if (j > w.end && word_at(in, len, j, &next)) {
            i = j; /* RFC 2047 6.2: white space between adjacent words is ignored */
            continue;
        }
        flush(&pd, in, out);
        i = w.end;
    }
    flush(&pd, in, out);
    mc_buf_free(&pd.bytes);
    if (!out->data)
        mc_buf_append(out, "", 0);
}
