/*
 * imap_parse — reading IMAP command arguments and writing IMAP data (see imap_parse.h).
 *
 * Implementation notes. Every parser remembers where it started and goes back there before it
 * fails (imap_fail_at), so "consumes nothing on failure" holds however deep the failure is. An
 * output (buffer, number, set, flags) is written only on success, and a buffer then holds
 * exactly the value (it is replaced, not appended to); keywords are the one exception, appended
 * as the header says. Values are validated in place first and copied afterwards, so nothing is
 * ever read past ps->end: a literal whose announced size exceeds what is left of the command is
 * a syntax error. Literal sizes are 32-bit numbers (larger ones could not be held anyway).
 * Quoted strings may hold 8-bit octets only as valid UTF-8 (RFC 9051 9 QUOTED-CHAR; RFC 6855).
 * An explicit sequence number 4294967295 (a valid nz-number, but the value of IMAP_STAR) is kept
 * as 4294967294: the mailstore never assigns UID 4294967295, so "1:4294967295" still names every
 * message. Dates are computed with a days-from-civil formula, independent of the local zone.
 */
#include "reference/imap_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/date.h"
#include "lib/utf8.h"
#include "reference/mailstore.h"

#define IMAP_NUMBER_MAX UINT32_MAX             /* number (RFC 9051 9) */
#define IMAP_NUMBER64_MAX 9223372036854775807u /* number64: 2^63 - 1 */
#define IMAP_QUOTED_WRITE_MAX 1024             /* longer strings are written as literals */
#define IMAP_SECONDS_PER_DAY 86400
/* The years date-year (4DIGIT) can write: 0000-01-01 .. 9999-12-31 23:59:59. */
#define IMAP_TIME_MIN (-62167219200LL)
#define IMAP_TIME_MAX 253402300799LL

static const struct {
    unsigned bit;
    const char *name;
} imap_system_flags[] = {
    {MS_FLAG_SEEN, "\\Seen"},       {MS_FLAG_ANSWERED, "\\Answered"},
    {MS_FLAG_FLAGGED, "\\Flagged"}, {MS_FLAG_DELETED, "\\Deleted"},
    {MS_FLAG_DRAFT, "\\Draft"},
};
#define IMAP_SYSTEM_FLAGS (sizeof imap_system_flags / sizeof imap_system_flags[0])

/* ---- character classes (RFC 9051 9) ---- */

/* ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * DQUOTE \ ] */
static bool imap_is_atom_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

static bool imap_is_astring_char(unsigned char c)
{
    return imap_is_atom_char(c) || c == ']';
}

static bool imap_is_tag_char(unsigned char c)
{
    return imap_is_astring_char(c) && c != '+';
}

static bool imap_is_list_char(unsigned char c)
{
    return imap_is_astring_char(c) || c == '%' || c == '*';
}

static bool imap_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char imap_ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool imap_eq_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (imap_ascii_lower(a[i]) != imap_ascii_lower(b[i]))
            return false;
    return true;
}

/* ---- the parser ---- */

void imap_parser_init(struct imap_parser *ps, const char *data, size_t len)
{
    ps->p = data;
    ps->end = data + len;
    ps->error = NULL;
}

bool imap_parse_at_end(const struct imap_parser *ps)
{
    return ps->p >= ps->end;
}

bool imap_parse_fail(struct imap_parser *ps, const char *what)
{
    if (!ps->error)
        ps->error = what;
    return false;
}

/* Goes back to start and fails. */
static bool imap_fail_at(struct imap_parser *ps, const char *start, const char *what)
{
    ps->p = start;
    return imap_parse_fail(ps, what);
}

static size_t imap_left(const struct imap_parser *ps)
{
    return (size_t)(ps->end - ps->p);
}

/* How many octets from ps->p on belong to the class. */
static size_t imap_span(const struct imap_parser *ps, bool (*in_class)(unsigned char))
{
    size_t n = 0;
    while (ps->p + n < ps->end && in_class((unsigned char)ps->p[n]))
        n++;
    return n;
}

static void imap_buf_set(struct mc_buf *out, const char *data, size_t len)
{
    mc_buf_reset(out);
    mc_buf_append(out, data, len);
}

static const char *imap_expected_char(char c)
{
    switch (c) {
    case '(':
        return "expected \"(\"";
    case ')':
        return "expected \")\"";
    case '[':
        return "expected \"[\"";
    case ']':
        return "expected \"]\"";
    case '<':
        return "expected \"<\"";
    case '>':
        return "expected \">\"";
    case '.':
        return "expected \".\"";
    case ':':
        return "expected \":\"";
    case '"':
        return "expected a double quote";
    case ' ':
        return "expected a space";
    default:
        return "unexpected character";
    }
}

bool imap_peek_char(const struct imap_parser *ps, char c)
{
    return ps->p < ps->end && *ps->p == c;
}

bool imap_parse_char(struct imap_parser *ps, char c)
{
    if (!imap_peek_char(ps, c))
        return imap_parse_fail(ps, imap_expected_char(c));
    ps->p++;
    return true;
}

bool imap_parse_sp(struct imap_parser *ps)
{
    return imap_parse_char(ps, ' ');
}

/* A run of the class into out; `what` names it when empty. */
static bool imap_parse_run(struct imap_parser *ps, bool (*in_class)(unsigned char),
                           struct mc_buf *out, const char *what)
{
    size_t n = imap_span(ps, in_class);
    if (n == 0)
        return imap_parse_fail(ps, what);
    imap_buf_set(out, ps->p, n);
    ps->p += n;
    return true;
}

bool imap_parse_tag(struct imap_parser *ps, struct mc_buf *out)
{
    if (imap_span(ps, imap_is_tag_char) > IMAP_TAG_MAX)
        return imap_parse_fail(ps, "tag too long");
    return imap_parse_run(ps, imap_is_tag_char, out, "expected a tag");
}

bool imap_parse_atom(struct imap_parser *ps, struct mc_buf *out)
{
    return imap_parse_run(ps, imap_is_atom_char, out, "expected an atom");
}

/* ---- numbers ---- */

enum imap_num { IMAP_NUM_OK, IMAP_NUM_NONE, IMAP_NUM_OVERFLOW };

/* 1*DIGIT at ps->p with value <= max; consumes the digits only when IMAP_NUM_OK. */
static enum imap_num imap_scan_number(struct imap_parser *ps, uint64_t max, uint64_t *out)
{
    const char *q = ps->p;
    uint64_t v = 0;
    while (q < ps->end && imap_is_digit(*q)) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (max - d) / 10)
            return IMAP_NUM_OVERFLOW;
        v = v * 10 + d;
        q++;
    }
    if (q == ps->p)
        return IMAP_NUM_NONE;
    ps->p = q;
    *out = v;
    return IMAP_NUM_OK;
}

static bool imap_parse_uint(struct imap_parser *ps, uint64_t max, uint64_t *out)
{
    switch (imap_scan_number(ps, max, out)) {
    case IMAP_NUM_OK:
        return true;
    case IMAP_NUM_OVERFLOW:
        return imap_parse_fail(ps, "number too large");
    default:
        return imap_parse_fail(ps, "expected a number");
    }
}

bool imap_parse_number(struct imap_parser *ps, uint32_t *out)
{
    uint64_t v;
    if (!imap_parse_uint(ps, IMAP_NUMBER_MAX, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool imap_parse_nz_number(struct imap_parser *ps, uint32_t *out)
{
    if (imap_peek_char(ps, '0')) /* nz-number = digit-nz *DIGIT */
        return imap_parse_fail(ps, "expected a non-zero number");
    return imap_parse_number(ps, out);
}

bool imap_parse_number64(struct imap_parser *ps, uint64_t *out)
{
    return imap_parse_uint(ps, IMAP_NUMBER64_MAX, out);
}

/* ---- strings ---- */

/* The end of the quoted string starting at ps->p (at its closing quote), or NULL. */
static const char *imap_quoted_end(struct imap_parser *ps)
{
    for (const char *q = ps->p + 1; q < ps->end; q++) {
        if (*q == '"')
            return q;
        if (*q == '\r' || *q == '\n' || *q == '\0') {
            imap_parse_fail(ps, "CR, LF or NUL in a quoted string");
            return NULL;
        }
        if (*q == '\\') {
            if (q + 1 == ps->end || (q[1] != '"' && q[1] != '\\')) {
                imap_parse_fail(ps, "only \\\\ and \\\" may be escaped in a quoted string");
                return NULL;
            }
            q++;
        }
    }
    imap_parse_fail(ps, "unterminated quoted string");
    return NULL;
}

static bool imap_parse_quoted(struct imap_parser *ps, struct mc_buf *out)
{
    const char *close = imap_quoted_end(ps);
    if (!close)
        return false;
    const char *q = ps->p + 1;
    if (!mc_utf8_valid(q, (size_t)(close - q)))
        return imap_parse_fail(ps, "8-bit octets in a quoted string that are not UTF-8");
    mc_buf_reset(out);
    char *w = mc_buf_extend(out, (size_t)(close - q));
    for (; q < close; q++) {
        if (*q == '\\')
            q++;
        *w++ = *q;
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    ps->p = close + 1;
    return true;
}

/* "{" number ["+"] "}" CRLF, or with literal8 "~{"; leaves ps->p after the CRLF. */
static bool imap_parse_literal_head(struct imap_parser *ps, bool *binary, uint64_t *size)
{
    *binary = imap_peek_char(ps, '~');
    if (*binary)
        ps->p++;
    if (!imap_peek_char(ps, '{'))
        return imap_parse_fail(ps, "expected a string");
    ps->p++;
    switch (imap_scan_number(ps, IMAP_NUMBER_MAX, size)) {
    case IMAP_NUM_OK:
        break;
    case IMAP_NUM_OVERFLOW:
        return imap_parse_fail(ps, "literal size too large");
    default:
        return imap_parse_fail(ps, "expected the size of a literal");
    }
    if (imap_peek_char(ps, '+')) /* LITERAL+ / LITERAL- (RFC 7888), literal8 too */
        ps->p++;
    if (imap_left(ps) < 3 || memcmp(ps->p, "}\r\n", 3) != 0)
        return imap_parse_fail(ps, "expected \"}\" and CRLF after the size of a literal");
    ps->p += 3;
    return true;
}

static bool imap_parse_literal(struct imap_parser *ps, struct mc_buf *out, bool binary_ok,
                               bool *binary)
{
    const char *start = ps->p;
    bool is8;
    uint64_t size;
    if (!imap_parse_literal_head(ps, &is8, &size)) {
        ps->p = start;
        return false;
    }
    if (is8 && !binary_ok)
        return imap_fail_at(ps, start, "literal8 is not allowed here");
    if (size > imap_left(ps))
        return imap_fail_at(ps, start, "literal announces more octets than the command holds");
    if (!is8 && memchr(ps->p, '\0', (size_t)size))
        return imap_fail_at(ps, start, "NUL in a literal (use literal8)");
    imap_buf_set(out, ps->p, (size_t)size);
    ps->p += size;
    if (binary)
        *binary = is8;
    return true;
}

static bool imap_parse_string_opt(struct imap_parser *ps, struct mc_buf *out, bool binary_ok,
                                  bool *binary)
{
    if (imap_peek_char(ps, '"')) {
        if (!imap_parse_quoted(ps, out))
            return false;
        if (binary)
            *binary = false;
        return true;
    }
    if (imap_peek_char(ps, '{') || imap_peek_char(ps, '~'))
        return imap_parse_literal(ps, out, binary_ok, binary);
    return imap_parse_fail(ps, "expected a string");
}

bool imap_parse_string(struct imap_parser *ps, struct mc_buf *out, bool *binary)
{
    return imap_parse_string_opt(ps, out, true, binary);
}

/* 1*<class> / string (quoted or literal, not literal8). */
static bool imap_parse_atom_or_string(struct imap_parser *ps, bool (*in_class)(unsigned char),
                                      struct mc_buf *out, const char *what)
{
    if (imap_peek_char(ps, '"') || imap_peek_char(ps, '{'))
        return imap_parse_string_opt(ps, out, false, NULL);
    if (imap_left(ps) >= 2 && ps->p[0] == '~' && ps->p[1] == '{')
        return imap_parse_fail(ps, "literal8 is not allowed here");
    return imap_parse_run(ps, in_class, out, what);
}

bool imap_parse_astring(struct imap_parser *ps, struct mc_buf *out)
{
    return imap_parse_atom_or_string(ps, imap_is_astring_char, out, "expected an astring");
}

bool imap_parse_list_mailbox(struct imap_parser *ps, struct mc_buf *out)
{
    return imap_parse_atom_or_string(ps, imap_is_list_char, out, "expected a mailbox pattern");
}

/* ---- sequence sets ---- */

/* seq-number: nz-number / "*" */
static bool imap_parse_seq_number(struct imap_parser *ps, uint32_t *out)
{
    if (imap_peek_char(ps, '*')) {
        ps->p++;
        *out = IMAP_STAR;
        return true;
    }
    if (imap_peek_char(ps, '$'))
        return imap_parse_fail(ps, "\"$\" stands alone: it cannot be combined with numbers "
                                   "(RFC 5182 2.1)");
    if (!imap_parse_nz_number(ps, out))
        return false;
    if (*out == IMAP_STAR) /* 4294967295 written out: see the notes at the top */
        *out = IMAP_STAR - 1;
    return true;
}

static bool imap_parse_seq_range(struct imap_parser *ps, struct imap_seqset *set)
{
    uint32_t lo, hi;
    if (!imap_parse_seq_number(ps, &lo))
        return false;
    hi = lo;
    if (imap_peek_char(ps, ':')) {
        ps->p++;
        if (!imap_parse_seq_number(ps, &hi))
            return false;
    }
    if (set->count >= IMAP_SEQSET_RANGES_MAX)
        return imap_parse_fail(ps, "too many ranges in a sequence set");
    imap_seqset_add(set, lo, hi);
    return true;
}

bool imap_parse_seqset(struct imap_parser *ps, struct imap_seqset *out)
{
    const char *start = ps->p;
    struct imap_seqset set = {0};
    if (imap_peek_char(ps, '$')) {
        ps->p++;
        if (imap_peek_char(ps, ',') || imap_peek_char(ps, ':')) {
            ps->p = start;
            return imap_parse_fail(ps, "\"$\" stands alone: it cannot be combined with numbers "
                                       "(RFC 5182 2.1)");
        }
        imap_seqset_free(out);
        out->saved = true;
        return true;
    }
    for (;;) {
        if (!imap_parse_seq_range(ps, &set)) {
            imap_seqset_free(&set);
            ps->p = start;
            return false;
        }
        if (!imap_peek_char(ps, ','))
            break;
        ps->p++;
    }
    imap_seqset_free(out);
    *out = set;
    return true;
}

void imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
    if (set->count == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 8;
        set->ranges = mc_xrealloc(set->ranges, set->cap * sizeof *set->ranges);
    }
    set->ranges[set->count++] = (struct imap_range){.lo = lo, .hi = hi};
}

void imap_seqset_free(struct imap_seqset *set)
{
    free(set->ranges);
    *set = (struct imap_seqset){0};
}

/* A range with "*" resolved: ordered, and "n:*" with n beyond star meaning just star. */
static void imap_range_resolve(const struct imap_range *r, uint32_t star, uint32_t *lo,
                               uint32_t *hi)
{
    uint32_t a = r->lo == IMAP_STAR ? star : r->lo;
    uint32_t b = r->hi == IMAP_STAR ? star : r->hi;
    if ((r->lo == IMAP_STAR) != (r->hi == IMAP_STAR)) {
        if (a > star)
            a = star;
        if (b > star)
            b = star;
    }
    *lo = a < b ? a : b;
    *hi = a < b ? b : a;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t star)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < set->count; i++) {
        uint32_t lo, hi;
        imap_range_resolve(&set->ranges[i], star, &lo, &hi);
        if (n >= lo && n <= hi)
            return true;
    }
    return false;
}

static int imap_range_cmp(const void *a, const void *b)
{
    const struct imap_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void imap_seqset_resolve(const struct imap_seqset *set, uint32_t star, struct imap_seqset *out)
{
    struct imap_seqset r = {0};
    for (size_t i = 0; i < set->count; i++) {
        uint32_t lo, hi;
        imap_range_resolve(&set->ranges[i], star, &lo, &hi);
        if (hi > 0)
            imap_seqset_add(&r, lo ? lo : 1, hi);
    }
    if (r.count)
        qsort(r.ranges, r.count, sizeof *r.ranges, imap_range_cmp);
    size_t n = 0;
    for (size_t i = 0; i < r.count; i++) {
        if (n > 0 && r.ranges[i].lo <= r.ranges[n - 1].hi + (uint64_t)1) {
            if (r.ranges[i].hi > r.ranges[n - 1].hi)
                r.ranges[n - 1].hi = r.ranges[i].hi;
        } else {
            r.ranges[n++] = r.ranges[i];
        }
    }
    r.count = n;
    imap_seqset_free(out);
    *out = r;
}

uint32_t imap_seqset_max(const struct imap_seqset *set, uint32_t star)
{
    uint32_t max = 0;
    for (size_t i = 0; i < set->count; i++) {
        uint32_t lo, hi;
        imap_range_resolve(&set->ranges[i], star, &lo, &hi);
        if (hi > max)
            max = hi;
    }
    return max;
}

/* ---- flags ---- */

/* "\" atom: a system flag into *flags. */
static bool imap_parse_system_flag(struct imap_parser *ps, unsigned *flags)
{
    const char *name = ps->p;
    ps->p++; /* the backslash */
    if (imap_peek_char(ps, '*'))
        return imap_fail_at(ps, name, "\\* is not a flag");
    size_t n = imap_span(ps, imap_is_atom_char);
    if (n == 0)
        return imap_fail_at(ps, name, "expected a flag");
    ps->p += n;
    for (size_t i = 0; i < IMAP_SYSTEM_FLAGS; i++) {
        const char *want = imap_system_flags[i].name;
        if (strlen(want) == n + 1 && imap_eq_nocase(name, want, n + 1)) {
            *flags |= imap_system_flags[i].bit;
            return true;
        }
    }
    if (n == 6 && imap_eq_nocase(name, "\\Recent", 7))
        return imap_fail_at(ps, name, "\\Recent cannot be set");
    return imap_fail_at(ps, name, "unknown system flag");
}

static bool imap_parse_flag(struct imap_parser *ps, unsigned *flags, struct mc_strv *keywords)
{
    if (imap_peek_char(ps, '\\'))
        return imap_parse_system_flag(ps, flags);
    size_t n = imap_span(ps, imap_is_atom_char);
    if (n == 0)
        return imap_parse_fail(ps, "expected a flag");
    char *kw = mc_xstrndup(ps->p, n);
    if (!mc_strv_contains_nocase(keywords, kw)) /* keywords are case-insensitive */
        mc_strv_push(keywords, kw, n);
    free(kw);
    ps->p += n;
    return true;
}

/* flag *(SP flag), up to ")" when in_list. */
static bool imap_parse_flag_seq(struct imap_parser *ps, bool in_list, unsigned *flags,
                                struct mc_strv *keywords)
{
    if (in_list && imap_peek_char(ps, ')'))
        return true;
    if (!imap_parse_flag(ps, flags, keywords))
        return false;
    while (imap_peek_char(ps, ' ')) {
        ps->p++;
        if (!imap_parse_flag(ps, flags, keywords))
            return false;
    }
    return true;
}

static bool imap_parse_flags_into(struct imap_parser *ps, bool allow_bare, unsigned *flags,
                                  struct mc_strv *keywords)
{
    if (imap_peek_char(ps, '(')) {
        ps->p++;
        return imap_parse_flag_seq(ps, true, flags, keywords) && imap_parse_char(ps, ')');
    }
    if (!allow_bare)
        return imap_parse_fail(ps, "expected a flag list");
    return imap_parse_flag_seq(ps, false, flags, keywords);
}

bool imap_parse_flags(struct imap_parser *ps, bool allow_bare, unsigned *flags,
                      struct mc_strv *keywords)
{
    const char *start = ps->p;
    unsigned got = 0;
    struct mc_strv kws = {0};
    bool ok = imap_parse_flags_into(ps, allow_bare, &got, &kws);
    if (ok) {
        *flags = got;
        for (size_t i = 0; i < kws.count; i++)
            if (!mc_strv_contains_nocase(keywords, kws.items[i].ptr))
                mc_strv_push(keywords, kws.items[i].ptr, kws.items[i].len);
    } else {
        ps->p = start;
    }
    mc_strv_free(&kws);
    return ok;
}

/* ---- dates ---- */

/* Exactly n digits. */
static bool imap_scan_digits(struct imap_parser *ps, size_t n, unsigned *out)
{
    if (imap_left(ps) < n)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!imap_is_digit(ps->p[i]))
            return false;
        v = v * 10 + (unsigned)(ps->p[i] - '0');
    }
    ps->p += n;
    *out = v;
    return true;
}

static bool imap_scan_char(struct imap_parser *ps, char c)
{
    if (!imap_peek_char(ps, c))
        return false;
    ps->p++;
    return true;
}

/* date-month, case-insensitive: 1..12, 0 when none. */
static unsigned imap_scan_month(struct imap_parser *ps)
{
    if (imap_left(ps) < 3)
        return 0;
    for (unsigned i = 0; i < 12; i++) {
        if (imap_eq_nocase(ps->p, mc_month_names[i], 3)) {
            ps->p += 3;
            return i + 1;
        }
    }
    return 0;
}

/* "-" date-month "-" date-year, then checks the day; the days since the epoch. */
static bool imap_scan_month_year(struct imap_parser *ps, unsigned day, int64_t *days)
{
    unsigned month, year;
    if (!imap_scan_char(ps, '-') || (month = imap_scan_month(ps)) == 0 ||
        !imap_scan_char(ps, '-') || !imap_scan_digits(ps, 4, &year))
        return false;
    if (day < 1 || day > (unsigned)mc_days_in_month(year, (int)month))
        return false;
    *days = mc_days_from_civil(year, (int)month, (int)day);
    return true;
}

/* date-text: date-day ("1*2DIGIT") "-" date-month "-" date-year */
static bool imap_scan_date_text(struct imap_parser *ps, int64_t *days)
{
    unsigned day;
    if (!imap_scan_digits(ps, 2, &day) && !imap_scan_digits(ps, 1, &day))
        return false;
    return imap_scan_month_year(ps, day, days);
}

bool imap_parse_date(struct imap_parser *ps, time_t *out)
{
    const char *start = ps->p;
    bool quoted = imap_scan_char(ps, '"');
    int64_t days;
    if (!imap_scan_date_text(ps, &days) || (quoted && !imap_scan_char(ps, '"')))
        return imap_fail_at(ps, start, "expected a date (d-Mon-yyyy)");
    *out = (time_t)(days * IMAP_SECONDS_PER_DAY);
    return true;
}

/* time: 2DIGIT ":" 2DIGIT ":" 2DIGIT, in seconds. */
static bool imap_scan_time(struct imap_parser *ps, int64_t *secs)
{
    unsigned h, m, s;
    if (!imap_scan_digits(ps, 2, &h) || !imap_scan_char(ps, ':') || !imap_scan_digits(ps, 2, &m) ||
        !imap_scan_char(ps, ':') || !imap_scan_digits(ps, 2, &s))
        return false;
    if (h > 23 || m > 59 || s > 60) /* 60: a leap second */
        return false;
    *secs = (int64_t)h * 3600 + m * 60 + s;
    return true;
}

/* zone: ("+" / "-") 4DIGIT, as seconds east of UTC. */
static bool imap_scan_zone(struct imap_parser *ps, int64_t *offset)
{
    bool minus = imap_peek_char(ps, '-');
    unsigned hh, mm;
    if ((!imap_scan_char(ps, '+') && !imap_scan_char(ps, '-')) || !imap_scan_digits(ps, 2, &hh) ||
        !imap_scan_digits(ps, 2, &mm) || mm > 59)
        return false;
    *offset = ((int64_t)hh * 3600 + mm * 60) * (minus ? -1 : 1);
    return true;
}

static bool imap_scan_date_time(struct imap_parser *ps, int64_t *t)
{
    unsigned day;
    int64_t days, secs, zone;
    if (!imap_scan_char(ps, '"'))
        return false;
    /* date-day-fixed: (SP DIGIT) / 2DIGIT */
    if (!(imap_scan_char(ps, ' ') ? imap_scan_digits(ps, 1, &day) : imap_scan_digits(ps, 2, &day)))
        return false;
    if (!imap_scan_month_year(ps, day, &days) || !imap_scan_char(ps, ' ') ||
        !imap_scan_time(ps, &secs) || !imap_scan_char(ps, ' ') || !imap_scan_zone(ps, &zone) ||
        !imap_scan_char(ps, '"'))
        return false;
    *t = days * IMAP_SECONDS_PER_DAY + secs - zone;
    return true;
}

bool imap_parse_date_time(struct imap_parser *ps, time_t *out)
{
    const char *start = ps->p;
    int64_t t;
    if (!imap_scan_date_time(ps, &t))
        return imap_fail_at(ps, start, "expected a date-time (\"dd-Mon-yyyy hh:mm:ss +zzzz\")");
    *out = (time_t)t;
    return true;
}

/* ---- writing ---- */

static bool imap_quotable(const char *data, size_t len, bool utf8_ok)
{
    if (len > IMAP_QUOTED_WRITE_MAX)
        return false;
    bool eight_bit = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\0' || c == '\r' || c == '\n')
            return false;
        eight_bit |= c >= 0x80;
    }
    return !eight_bit || (utf8_ok && mc_utf8_valid(data, len));
}

void imap_write_string(struct mc_buf *out, const char *data, size_t len, bool utf8_ok)
{
    if (!imap_quotable(data, len, utf8_ok)) {
        /* A literal may hold anything but NUL (RFC 9051 4.3): NULs are left out. */
        size_t nuls = 0;
        for (size_t i = 0; i < len; i++)
            nuls += data[i] == '\0';
        mc_buf_printf(out, "{%zu}\r\n", len - nuls);
        for (size_t i = 0; i < len; i++)
            if (data[i] != '\0')
                mc_buf_append_char(out, data[i]);
        return;
    }
    mc_buf_append_char(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '"' || data[i] == '\\')
            mc_buf_append_char(out, '\\');
        mc_buf_append_char(out, data[i]);
    }
    mc_buf_append_char(out, '"');
}

void imap_write_nstring(struct mc_buf *out, const char *data, size_t len, bool utf8_ok)
{
    if (!data)
        mc_buf_append_str(out, "NIL");
    else
        imap_write_string(out, data, len, utf8_ok);
}

void imap_write_astring(struct mc_buf *out, const char *data, size_t len, bool utf8_ok)
{
    size_t i = 0;
    while (i < len && imap_is_astring_char((unsigned char)data[i]))
        i++;
    bool nil = len == 3 && strncasecmp(data, "NIL", 3) == 0; /* an atom NIL would mean nil */
    if (len > 0 && i == len && !nil)
        mc_buf_append(out, data, len);
    else
        imap_write_string(out, data, len, utf8_ok);
}

void imap_write_flags(struct mc_buf *out, unsigned flags, const struct mc_strv *keywords,
                      bool recent)
{
    const char *sep = "";
    mc_buf_append_char(out, '(');
    if (recent) {
        mc_buf_append_str(out, "\\Recent");
        sep = " ";
    }
    for (size_t i = 0; i < IMAP_SYSTEM_FLAGS; i++) {
        if (flags & imap_system_flags[i].bit) {
            mc_buf_printf(out, "%s%s", sep, imap_system_flags[i].name);
            sep = " ";
        }
    }
    for (size_t i = 0; keywords && i < keywords->count; i++) {
        mc_buf_printf(out, "%s%s", sep, keywords->items[i].ptr);
        sep = " ";
    }
    mc_buf_append_char(out, ')');
}

void imap_write_date_time(struct mc_buf *out, time_t t)
{
    struct tm tm;
    long long v = (long long)t;
    if (v < IMAP_TIME_MIN)
        v = IMAP_TIME_MIN;
    if (v > IMAP_TIME_MAX)
        v = IMAP_TIME_MAX;
    time_t clamped = (time_t)v;
    if (!gmtime_r(&clamped, &tm))
        tm = (struct tm){.tm_mday = 1, .tm_year = 70};
    mc_buf_printf(out, "\"%02d-%s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
                  mc_month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int imap_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void imap_write_numbers(struct mc_buf *out, const uint32_t *nums, size_t n)
{
    if (n == 0)
        return;
    uint32_t *v = mc_xmalloc(n * sizeof *v);
    memcpy(v, nums, n * sizeof *v);
    qsort(v, n, sizeof *v, imap_cmp_u32);
    size_t i = 0;
    while (i < n) {
        size_t j = i; /* v[i..j] is a run of consecutive values (duplicates included) */
        while (j + 1 < n && (v[j + 1] == v[j] || v[j + 1] == v[j] + 1))
            j++;
        mc_buf_printf(out, i ? ",%u" : "%u", (unsigned)v[i]);
        if (v[j] != v[i])
            mc_buf_printf(out, ":%u", (unsigned)v[j]);
        i = j + 1;
    }
    free(v);
}
