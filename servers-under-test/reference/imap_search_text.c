/*
 * imap_search_text — the text primitives of SEARCH, which know nothing of programs or
 * messages: ASCII comparison; the simple Unicode case folding of Latin, Greek and Cyrillic
 * letters (enough here) applied to UTF-8 text; substring search with a precomputed
 * Knuth-Morris-Pratt table, so that a hostile message cannot make a search quadratic; and days,
 * the day of a time in UTC or the day written in a Date: header, read leniently (RFC 5322 3.3
 * and its obsolete forms), its time and zone disregarded (RFC 3501 6.4.4).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/date.h"
#include "lib/utf8.h"
#include "reference/imap_search_int.h"

#define SECONDS_PER_DAY 86400
#define COMMENT_DEPTH_MAX 16 /* nested comments in a Date: header (harness limit) */

/* ---- text: ASCII helpers, case folding, substring search ---- */

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

bool imap_search_ascii_eq_n(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

bool imap_search_ascii_eq(const char *a, const char *b)
{
    return imap_search_ascii_eq_n(a, strlen(a), b);
}

/* Simple case folding (Unicode CaseFolding.txt, status C and S) of Latin-1, Latin
   Extended-A, and the basic Greek and Cyrillic letters; everything else is left alone. */
static uint32_t fold_latin_ext_a(uint32_t c)
{
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149)
        return c; /* no simple folding, or already lower case */
    if (c == 0x178)
        return 0xFF;
    if (c == 0x17F)
        return 's';
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper)
        return c % 2 ? c + 1 : c;
    return c % 2 ? c : c + 1;
}

static uint32_t fold_cp(uint32_t c)
{
    if (c < 0x80)
        return (uint32_t)ascii_lower((int)c);
    if (c == 0xB5)
        return 0x3BC; /* micro sign -> Greek mu */
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 0x20;
    if (c >= 0x100 && c <= 0x17F)
        return fold_latin_ext_a(c);
    if ((c >= 0x391 && c <= 0x3A9 && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
        return c + 0x20;
    if (c == 0x3C2)
        return 0x3C3; /* final sigma */
    if (c >= 0x400 && c <= 0x40F)
        return c + 0x50;
    return c;
}

/* in[0..len) case-folded and appended to out; bytes that are not UTF-8 are copied as they are. */
void imap_search_fold_append(struct mc_buf *out, const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    while (i < len) {
        uint32_t c;
        size_t n = mc_utf8_decode(in + i, len - i, &c);
        if (n == 0) {
            mc_buf_append_char(out, (char)s[i++]);
            continue;
        }
        mc_utf8_append(out, fold_cp(c));
        i += n;
    }
}

void imap_search_needle_init(struct imap_search_needle *nd, const char *s, size_t len)
{
    struct mc_buf b = {0};
    imap_search_fold_append(&b, s, len);
    nd->len = b.len;
    nd->s = mc_buf_steal(&b);
    nd->fail = mc_xcalloc(nd->len ? nd->len : 1, sizeof *nd->fail);
    size_t k = 0;
    for (size_t i = 1; i < nd->len; i++) {
        while (k > 0 && nd->s[i] != nd->s[k])
            k = nd->fail[k - 1];
        if (nd->s[i] == nd->s[k])
            k++;
        nd->fail[i] = k;
    }
}

/* Is the needle in hay[0..len) (already folded)? */
bool imap_search_needle_in(const struct imap_search_needle *nd, const char *hay, size_t len)
{
    if (nd->len == 0)
        return true;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        while (k > 0 && hay[i] != nd->s[k])
            k = nd->fail[k - 1];
        if (hay[i] == nd->s[k])
            k++;
        if (k == nd->len)
            return true;
    }
    return false;
}

void imap_search_needle_free(struct imap_search_needle *nd)
{
    free(nd->s);
    free(nd->fail);
    nd->s = NULL;
    nd->fail = NULL;
    nd->len = 0;
}

/* ---- dates ---- */

int64_t imap_search_day_of(time_t t)
{
    int64_t s = (int64_t)t, q = s / SECONDS_PER_DAY;
    return s % SECONDS_PER_DAY < 0 ? q - 1 : q; /* rounded down before 1970 too */
}

struct dscan {
    const char *p, *end;
};

/* Skips a comment starting at "(" (nested, with quoted-pairs); false when unterminated. */
static bool skip_comment(struct dscan *s)
{
    int depth = 0;
    while (s->p < s->end) {
        char c = *s->p++;
        if (c == '\\' && s->p < s->end)
            s->p++;
        else if (c == '(' && ++depth > COMMENT_DEPTH_MAX)
            return false;
        else if (c == ')' && --depth == 0)
            return true;
    }
    return false;
}

/* CFWS (RFC 5322 3.2.2); false on an unterminated or too deep comment. */
static bool skip_cfws(struct dscan *s)
{
    while (s->p < s->end) {
        char c = *s->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            s->p++;
        else if (c != '(')
            break;
        else if (!skip_comment(s))
            return false;
    }
    return true;
}

static bool scan_number(struct dscan *s, size_t min_digits, size_t max_digits, int *out)
{
    size_t n = 0;
    int v = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9' && n < max_digits) {
        v = v * 10 + (*s->p++ - '0');
        n++;
    }
    if (n < min_digits || (s->p < s->end && *s->p >= '0' && *s->p <= '9'))
        return false;
    *out = v;
    return true;
}

/* A run of letters: its length; the first three, lower-cased, in word. */
static size_t scan_word(struct dscan *s, char word[4])
{
    size_t n = 0;
    while (s->p < s->end && ascii_lower((unsigned char)*s->p) >= 'a' &&
           ascii_lower((unsigned char)*s->p) <= 'z') {
        if (n < 3)
            word[n] = (char)ascii_lower((unsigned char)*s->p);
        s->p++;
        n++;
    }
    word[n < 3 ? n : 3] = '\0';
    return n;
}

/* 1..12 for a month name (or any word starting with its three letters), 0 otherwise. */
static int month_number(const char word[4])
{
    if (strlen(word) != 3)
        return 0;
    for (int m = 0; m < 12; m++)
        if (strncasecmp(mc_month_names[m], word, 3) == 0)
            return m + 1;
    return 0;
}

/* CFWS, an optional "-" (seen in the wild: "1-Feb-1994"), CFWS. */
static bool skip_separator(struct dscan *s)
{
    if (!skip_cfws(s))
        return false;
    if (s->p < s->end && *s->p == '-')
        s->p++;
    return skip_cfws(s);
}

/* An optional day-name and its comma (RFC 5322 3.3; lenient: any word, comma optional). */
static bool skip_day_name(struct dscan *s)
{
    char word[4];
    if (!skip_cfws(s))
        return false;
    if (scan_word(s, word) > 0) {
        if (!skip_cfws(s))
            return false;
        if (s->p < s->end && *s->p == ',')
            s->p++;
    }
    return skip_cfws(s);
}

/* obs-year (RFC 5322 4.3): two digits are 1950..2049, three digits are added to 1900. */
static int full_year(int y, size_t digits)
{
    if (digits == 2)
        return y < 50 ? 2000 + y : 1900 + y;
    return digits == 3 ? 1900 + y : y;
}

/* The day written in an RFC 5322 date-time ("[day-name ","] day month year ..."), leniently:
   comments and white space anywhere, optional day name and comma, two- or three-digit years,
   full month names. What follows the year (time, zone, obsolete zone names) does not change
   the day as written and is not looked at. */
bool imap_search_sent_day(const char *v, size_t len, int64_t *day)
{
    struct dscan s = {v, v + len};
    char word[4];
    int d, y;
    if (!skip_day_name(&s) || !scan_number(&s, 1, 2, &d) || !skip_separator(&s))
        return false;
    int m = scan_word(&s, word) >= 3 ? month_number(word) : 0;
    if (m == 0 || !skip_separator(&s))
        return false;
    const char *ystart = s.p;
    if (!scan_number(&s, 2, 4, &y))
        return false;
    y = full_year(y, (size_t)(s.p - ystart));
    if (d < 1 || d > mc_days_in_month(y, m))
        return false;
    *day = mc_days_from_civil(y, m, d);
    return true;
}
