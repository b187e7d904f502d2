/*
 * imap_search — the SEARCH program of the reference IMAP server (see imap_search.h): the
 * search keys of RFC 3501 / RFC 9051 6.4.4 parsed into a tree, with the RETURN options of
 * RFC 4731 and the CHARSET argument, and one message tested against that tree.
 *
 * The tree is an AND node for the program (and for every parenthesised list), NOT and OR
 * nodes, and leaves. String arguments are case-folded once, when parsed, and searched for
 * with a precomputed Knuth-Morris-Pratt table, so a hostile message cannot make a search
 * quadratic. A match call reads the message's MIME structure only when a key needs content,
 * at most once (struct match_ctx caches the tree, the decoded header and body text and the
 * Date: header), and tests the cheap keys of a list (flags, sizes, numbers) before the
 * costly ones so that content is often not read at all. SENT* keys compare the day written
 * in the Date: header, its time and zone disregarded (RFC 3501 6.4.4), parsed leniently here
 * (RFC 5322 3.3 and its obsolete forms); a message whose Date: cannot be read matches none.
 */
#include "reference/imap_search.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"

#define SECONDS_PER_DAY 86400
#define COMMENT_DEPTH_MAX 16 /* nested comments in a Date: header (harness limit) */

/* ---- the tree ---- */

enum key_kind {
    K_AND,     /* every child */
    K_OR,      /* either of two children */
    K_NOT,     /* the one child does not match */
    K_ALL,     /* every message */
    K_SEQSET,  /* sequence numbers */
    K_UID,     /* UIDs */
    K_FLAG,    /* a system flag set */
    K_UNFLAG,  /* a system flag not set */
    K_RECENT,  /* \Recent in this session */
    K_NEW,     /* RECENT UNSEEN */
    K_OLD,     /* NOT RECENT */
    K_KEYWORD, /* a keyword set */
    K_UNKEYWORD,
    K_BEFORE, /* internal date, as a day in UTC */
    K_ON,
    K_SINCE,
    K_SENTBEFORE, /* Date: header, as the day written there */
    K_SENTON,
    K_SENTSINCE,
    K_MODSEQ, /* a mod-sequence at least this (RFC 7162 3.1.5) */
    K_LARGER, /* RFC822.SIZE */
    K_SMALLER,
    K_HEADER, /* a header field (FROM, TO, CC, BCC, SUBJECT, HEADER) */
    K_BODY,   /* text of the body parts */
    K_TEXT,   /* header and body */
};

enum arg_kind {
    ARG_NONE,
    ARG_STRING,  /* astring */
    ARG_HEADER,  /* header-fld-name SP astring */
    ARG_DATE,    /* date */
    ARG_NUMBER,  /* number (number64 in RFC 9051) */
    ARG_SEQSET,  /* sequence-set */
    ARG_KEYWORD, /* flag-keyword (an atom) */
    ARG_MODSEQ,  /* [entry-name SP entry-type-req SP] mod-sequence-valzer (RFC 7162) */
    ARG_KEY,     /* search-key */
    ARG_KEY2,    /* search-key SP search-key */
};

struct key_def {
    const char *name;
    enum key_kind kind;
    enum arg_kind arg;
    unsigned flag;     /* K_FLAG / K_UNFLAG */
    const char *field; /* K_HEADER with a fixed field */
    const char *need;  /* the error when the argument is missing */
};

static const struct key_def KEYS[] = {
    {"ALL", K_ALL, ARG_NONE, 0, NULL, NULL},
    {"ANSWERED", K_FLAG, ARG_NONE, MS_FLAG_ANSWERED, NULL, NULL},
    {"BCC", K_HEADER, ARG_STRING, 0, "Bcc", "BCC needs a string"},
    {"BEFORE", K_BEFORE, ARG_DATE, 0, NULL, "BEFORE needs a date"},
    {"BODY", K_BODY, ARG_STRING, 0, NULL, "BODY needs a string"},
    {"CC", K_HEADER, ARG_STRING, 0, "Cc", "CC needs a string"},
    {"DELETED", K_FLAG, ARG_NONE, MS_FLAG_DELETED, NULL, NULL},
    {"DRAFT", K_FLAG, ARG_NONE, MS_FLAG_DRAFT, NULL, NULL},
    {"FLAGGED", K_FLAG, ARG_NONE, MS_FLAG_FLAGGED, NULL, NULL},
    {"FROM", K_HEADER, ARG_STRING, 0, "From", "FROM needs a string"},
    {"HEADER", K_HEADER, ARG_HEADER, 0, NULL, "HEADER needs a field name and a string"},
    {"KEYWORD", K_KEYWORD, ARG_KEYWORD, 0, NULL, "KEYWORD needs a keyword"},
    {"LARGER", K_LARGER, ARG_NUMBER, 0, NULL, "LARGER needs a number"},
    {"MODSEQ", K_MODSEQ, ARG_MODSEQ, 0, NULL, "MODSEQ needs a mod-sequence"},
    {"NEW", K_NEW, ARG_NONE, 0, NULL, NULL},
    {"NOT", K_NOT, ARG_KEY, 0, NULL, "NOT needs a search key"},
    {"OLD", K_OLD, ARG_NONE, 0, NULL, NULL},
    {"ON", K_ON, ARG_DATE, 0, NULL, "ON needs a date"},
    {"OR", K_OR, ARG_KEY2, 0, NULL, "OR needs two search keys"},
    {"RECENT", K_RECENT, ARG_NONE, 0, NULL, NULL},
    {"SEEN", K_FLAG, ARG_NONE, MS_FLAG_SEEN, NULL, NULL},
    {"SENTBEFORE", K_SENTBEFORE, ARG_DATE, 0, NULL, "SENTBEFORE needs a date"},
    {"SENTON", K_SENTON, ARG_DATE, 0, NULL, "SENTON needs a date"},
    {"SENTSINCE", K_SENTSINCE, ARG_DATE, 0, NULL, "SENTSINCE needs a date"},
    {"SINCE", K_SINCE, ARG_DATE, 0, NULL, "SINCE needs a date"},
    {"SMALLER", K_SMALLER, ARG_NUMBER, 0, NULL, "SMALLER needs a number"},
    {"SUBJECT", K_HEADER, ARG_STRING, 0, "Subject", "SUBJECT needs a string"},
    {"TEXT", K_TEXT, ARG_STRING, 0, NULL, "TEXT needs a string"},
    {"TO", K_HEADER, ARG_STRING, 0, "To", "TO needs a string"},
    {"UID", K_UID, ARG_SEQSET, 0, NULL, "UID needs a sequence set"},
    {"UNANSWERED", K_UNFLAG, ARG_NONE, MS_FLAG_ANSWERED, NULL, NULL},
    {"UNDELETED", K_UNFLAG, ARG_NONE, MS_FLAG_DELETED, NULL, NULL},
    {"UNDRAFT", K_UNFLAG, ARG_NONE, MS_FLAG_DRAFT, NULL, NULL},
    {"UNFLAGGED", K_UNFLAG, ARG_NONE, MS_FLAG_FLAGGED, NULL, NULL},
    {"UNKEYWORD", K_UNKEYWORD, ARG_KEYWORD, 0, NULL, "UNKEYWORD needs a keyword"},
    {"UNSEEN", K_UNFLAG, ARG_NONE, MS_FLAG_SEEN, NULL, NULL},
};

/* A folded search string and its KMP failure table. */
struct needle {
    char *s;
    size_t len;
    size_t *fail;
};

struct node {
    enum key_kind kind;
    bool costly; /* it (or a descendant) needs the message's content */
    unsigned flag;
    uint64_t number;
    int64_t day; /* days since 1970-01-01 */
    struct imap_seqset set;
    char *text; /* header field name, or keyword */
    struct needle needle;
    struct node *child, *next; /* children of AND/OR/NOT; siblings */
};

struct imap_search {
    struct node *root;
};

static struct node *node_new(enum key_kind kind)
{
    struct node *n = mc_xcalloc(1, sizeof *n);
    n->kind = kind;
    return n;
}

static void node_free(struct node *n)
{
    while (n) {
        struct node *next = n->next;
        node_free(n->child); /* depth bounded by IMAP_SEARCH_DEPTH_MAX */
        imap_seqset_free(&n->set);
        free(n->text);
        free(n->needle.s);
        free(n->needle.fail);
        free(n);
        n = next;
    }
}

/* Appends child to parent's children (tail kept by the caller). */
static void node_append(struct node *parent, struct node **tail, struct node *child)
{
    if (*tail)
        (*tail)->next = child;
    else
        parent->child = child;
    *tail = child;
    if (child->costly)
        parent->costly = true;
}

/* ---- text: ASCII helpers, case folding, substring search ---- */

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool ascii_eq_n(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool ascii_eq(const char *a, const char *b)
{
    return ascii_eq_n(a, strlen(a), b);
}

/* One UTF-8 sequence at s (len > 0): its length, or 0 when it is not valid UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = s[0] < 0x80                    ? 1
               : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
               : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
               : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                              : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t c = n == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> n));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

static void utf8_encode(struct mc_buf *out, uint32_t c)
{
    if (c < 0x80) {
        mc_buf_append_char(out, (char)c);
    } else if (c < 0x800) {
        mc_buf_append_char(out, (char)(0xC0 | (c >> 6)));
        mc_buf_append_char(out, (char)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        mc_buf_append_char(out, (char)(0xE0 | (c >> 12)));
        mc_buf_append_char(out, (char)(0x80 | ((c >> 6) & 0x3F)));
        mc_buf_append_char(out, (char)(0x80 | (c & 0x3F)));
    } else {
        mc_buf_append_char(out, (char)(0xF0 | (c >> 18)));
        mc_buf_append_char(out, (char)(0x80 | ((c >> 12) & 0x3F)));
        mc_buf_append_char(out, (char)(0x80 | ((c >> 6) & 0x3F)));
        mc_buf_append_char(out, (char)(0x80 | (c & 0x3F)));
    }
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
static void fold_append(struct mc_buf *out, const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    while (i < len) {
        uint32_t c;
        size_t n = utf8_decode(s + i, len - i, &c);
        if (n == 0) {
            mc_buf_append_char(out, (char)s[i++]);
            continue;
        }
        utf8_encode(out, fold_cp(c));
        i += n;
    }
}

static void needle_init(struct needle *nd, const char *s, size_t len)
{
    struct mc_buf b = {0};
    fold_append(&b, s, len);
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
static bool needle_in(const struct needle *nd, const char *hay, size_t len)
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

/* ---- dates ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t day_of(time_t t)
{
    int64_t s = (int64_t)t, q = s / SECONDS_PER_DAY;
    return s % SECONDS_PER_DAY < 0 ? q - 1 : q; /* rounded down before 1970 too */
}

static int days_in_month(int64_t y, int m)
{
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : DAYS[m - 1];
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
    static const char NAMES[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (strlen(word) != 3)
        return 0;
    for (int m = 0; m < 12; m++)
        if (memcmp(NAMES + 3 * m, word, 3) == 0)
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
static bool parse_sent_day(const char *v, size_t len, int64_t *day)
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
    if (d < 1 || d > days_in_month(y, m))
        return false;
    *day = days_from_civil(y, m, d);
    return true;
}

/* ---- parsing the program ---- */

struct pctx {
    struct imap_parser *ps;
    size_t keys;
    struct mc_buf tmp;
};

static struct node *parse_key(struct pctx *pc, unsigned depth);

static const struct key_def *key_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (ascii_eq(name, KEYS[i].name))
            return &KEYS[i];
    return NULL;
}

/* Does the input continue with `word` (any case) followed by a space or the end? */
static bool peek_word(const struct imap_parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || !ascii_eq_n(ps->p, n, word))
        return false;
    return ps->p + n == ps->end || ps->p[n] == ' ';
}

/* ATOM-CHAR of RFC 9051 9 (any CHAR except atom-specials). */
static bool is_atom_char(char c)
{
    return c > 0x20 && c < 0x7F && !strchr("(){ %*\"\\]", c);
}

/* Can a search key start here: "(", a sequence set or an atom? */
static bool key_can_start(const struct imap_parser *ps)
{
    return ps->p < ps->end && (*ps->p == '(' || *ps->p == '*' || is_atom_char(*ps->p));
}

/* Exactly one SP before an argument, or `need` as the error. */
static bool arg_sp(struct pctx *pc, const char *need)
{
    if (!imap_peek_char(pc->ps, ' '))
        return imap_parse_fail(pc->ps, need);
    return imap_parse_sp(pc->ps);
}

static bool parse_string_arg(struct pctx *pc, struct node *n)
{
    if (!imap_parse_astring(pc->ps, &pc->tmp))
        return false;
    needle_init(&n->needle, pc->tmp.data ? pc->tmp.data : "", pc->tmp.len);
    n->costly = true;
    return true;
}

static bool parse_header_arg(struct pctx *pc, struct node *n, const char *need)
{
    if (!imap_parse_astring(pc->ps, &pc->tmp))
        return false;
    n->text = mc_xstrndup(pc->tmp.data ? pc->tmp.data : "", pc->tmp.len);
    return arg_sp(pc, need) && parse_string_arg(pc, n);
}

static bool parse_date_arg(struct pctx *pc, struct node *n)
{
    time_t t;
    if (!imap_parse_date(pc->ps, &t))
        return false;
    n->day = day_of(t);
    if (n->kind == K_SENTBEFORE || n->kind == K_SENTON || n->kind == K_SENTSINCE)
        n->costly = true;
    return true;
}

static bool parse_keyword_arg(struct pctx *pc, struct node *n)
{
    if (!imap_parse_atom(pc->ps, &pc->tmp))
        return false;
    n->text = mc_xstrndup(pc->tmp.data, pc->tmp.len);
    return true;
}

/* MODSEQ ["/flags/\\seen" priv|shared|all] n: the entry names a flag's own mod-sequence;
   ours are kept per message, so the entry is read and the message's mod-sequence compared. */
static bool parse_modseq_arg(struct pctx *pc, struct node *n)
{
    if (imap_peek_char(pc->ps, '"')) {
        if (!imap_parse_string(pc->ps, &pc->tmp, NULL) || !imap_parse_sp(pc->ps) ||
            !imap_parse_atom(pc->ps, &pc->tmp) || !imap_parse_sp(pc->ps))
            return imap_parse_fail(pc->ps, "MODSEQ entry-name entry-type mod-sequence expected");
    }
    return imap_parse_number64(pc->ps, &n->number);
}

/* NOT's and OR's operands become the node's children. */
static bool parse_operands(struct pctx *pc, struct node *n, unsigned count, unsigned depth,
                           const char *need)
{
    struct node *tail = NULL;
    for (unsigned i = 0; i < count; i++) {
        if (!arg_sp(pc, need))
            return false;
        struct node *k = parse_key(pc, depth + 1);
        if (!k)
            return false;
        node_append(n, &tail, k);
    }
    return true;
}

static bool parse_arg(struct pctx *pc, const struct key_def *def, struct node *n, unsigned depth)
{
    if (def->arg == ARG_NONE)
        return true;
    if (def->arg == ARG_KEY || def->arg == ARG_KEY2)
        return parse_operands(pc, n, def->arg == ARG_KEY ? 1 : 2, depth, def->need);
    if (!arg_sp(pc, def->need))
        return false;
    switch (def->arg) {
    case ARG_STRING:
        return parse_string_arg(pc, n);
    case ARG_HEADER:
        return parse_header_arg(pc, n, def->need);
    case ARG_DATE:
        return parse_date_arg(pc, n);
    case ARG_NUMBER:
        return imap_parse_number64(pc->ps, &n->number);
    case ARG_SEQSET:
        return imap_parse_seqset(pc->ps, &n->set);
    case ARG_KEYWORD:
        return parse_keyword_arg(pc, n);
    case ARG_MODSEQ:
        return parse_modseq_arg(pc, n);
    default:
        return false;
    }
}

/* A named key and its arguments. */
static struct node *parse_named_key(struct pctx *pc, unsigned depth)
{
    if (!imap_parse_atom(pc->ps, &pc->tmp))
        return NULL;
    const struct key_def *def = key_lookup(pc->tmp.data);
    if (!def) {
        imap_parse_fail(pc->ps, "unknown search key");
        return NULL;
    }
    struct node *n = node_new(def->kind);
    n->flag = def->flag;
    if (def->field)
        n->text = mc_xstrdup(def->field);
    if (!parse_arg(pc, def, n, depth)) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* Keys separated by single spaces, into parent, until `close` (")" or the end: '\0'). */
static bool parse_key_list(struct pctx *pc, struct node *parent, char close, unsigned depth)
{
    struct imap_parser *ps = pc->ps;
    struct node *tail = NULL;
    for (;;) {
        if (!key_can_start(ps))
            return imap_parse_fail(ps, "expected a search key");
        struct node *k = parse_key(pc, depth);
        if (!k)
            return false;
        node_append(parent, &tail, k);
        if (close == ')' && imap_peek_char(ps, ')'))
            return imap_parse_char(ps, ')');
        if (close == '\0' && imap_parse_at_end(ps))
            return true;
        if (imap_parse_at_end(ps))
            return imap_parse_fail(ps, "missing \")\" after the search keys");
        if (imap_peek_char(ps, ')'))
            return imap_parse_fail(ps, "\")\" without a matching \"(\"");
        if (!imap_peek_char(ps, ' '))
            return imap_parse_fail(ps, "expected a space between search keys");
        imap_parse_sp(ps);
    }
}

static struct node *parse_key(struct pctx *pc, unsigned depth)
{
    struct imap_parser *ps = pc->ps;
    if (depth >= IMAP_SEARCH_DEPTH_MAX) {
        imap_parse_fail(ps, "search keys nested too deeply");
        return NULL;
    }
    if (++pc->keys > IMAP_SEARCH_KEYS_MAX) {
        imap_parse_fail(ps, "too many search keys");
        return NULL;
    }
    if (!key_can_start(ps)) {
        imap_parse_fail(ps, "expected a search key");
        return NULL;
    }
    char c = *ps->p;
    if (c == '(') {
        struct node *n = node_new(K_AND);
        imap_parse_char(ps, '(');
        if (parse_key_list(pc, n, ')', depth + 1))
            return n;
        node_free(n);
        return NULL;
    }
    if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
        struct node *n = node_new(K_SEQSET);
        if (imap_parse_seqset(ps, &n->set))
            return n;
        node_free(n);
        return NULL;
    }
    return parse_named_key(pc, depth);
}

/* The bit of a RETURN option of RFC 4731 (MIN MAX ALL COUNT), 0 for any other. */
static unsigned return_option(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } OPTS[] = {{"MIN", IMAP_RETURN_MIN},
                {"MAX", IMAP_RETURN_MAX},
                {"ALL", IMAP_RETURN_ALL},
                {"COUNT", IMAP_RETURN_COUNT}};
    for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++)
        if (ascii_eq(name, OPTS[i].name))
            return OPTS[i].bit;
    return 0;
}

/* RETURN (opts) (after peek_word found "RETURN"), then its SP. */
static bool parse_return(struct pctx *pc, unsigned *returns)
{
    struct imap_parser *ps = pc->ps;
    const char *need = "RETURN needs a parenthesised list of options";
    if (!imap_parse_atom(ps, &pc->tmp) || !arg_sp(pc, need))
        return false;
    if (!imap_peek_char(ps, '('))
        return imap_parse_fail(ps, need);
    imap_parse_char(ps, '(');
    *returns = 0;
    for (bool first = true; !imap_peek_char(ps, ')'); first = false) {
        if (!first && !imap_peek_char(ps, ' '))
            return imap_parse_fail(ps, "expected \")\" after the RETURN options");
        if ((!first && !imap_parse_sp(ps)) || !imap_parse_atom(ps, &pc->tmp))
            return false;
        unsigned bit = return_option(pc->tmp.data);
        if (!bit)
            return imap_parse_fail(ps, "unknown RETURN option");
        *returns |= bit;
    }
    imap_parse_char(ps, ')');
    if (*returns == 0)
        *returns = IMAP_RETURN_ALL; /* RFC 4731 3.1: RETURN () means ALL */
    return arg_sp(pc, "expected search keys after RETURN (...)");
}

/* CHARSET name (after peek_word found "CHARSET"), then its SP; *known says if we have it. */
static bool parse_charset(struct pctx *pc, bool *known)
{
    struct imap_parser *ps = pc->ps;
    if (!imap_parse_atom(ps, &pc->tmp) || !arg_sp(pc, "CHARSET needs a charset name") ||
        !imap_parse_astring(ps, &pc->tmp))
        return false;
    const char *cs = pc->tmp.data ? pc->tmp.data : "";
    *known = ascii_eq(cs, "US-ASCII") || ascii_eq(cs, "UTF-8");
    return !*known || arg_sp(pc, "expected search keys after CHARSET");
}

enum imap_search_error imap_search_parse(struct imap_parser *ps, bool esearch_allowed,
                                         struct imap_search **out, unsigned *returns)
{
    struct pctx pc = {.ps = ps};
    struct node *root = node_new(K_AND);
    bool known = true;
    *out = NULL;
    *returns = 0;
    bool ok = true;
    if (esearch_allowed && peek_word(ps, "RETURN"))
        ok = parse_return(&pc, returns);
    if (ok && peek_word(ps, "CHARSET"))
        ok = parse_charset(&pc, &known);
    if (ok && known)
        ok = parse_key_list(&pc, root, '\0', 0);
    mc_buf_free(&pc.tmp);
    if (!ok || !known) {
        node_free(root);
        *returns = 0;
        return ok ? IMAP_SEARCH_BAD_CHARSET : IMAP_SEARCH_BAD;
    }
    *out = mc_xmalloc(sizeof **out);
    (*out)->root = root;
    return IMAP_SEARCH_OK;
}

void imap_search_free(struct imap_search *q)
{
    if (!q)
        return;
    node_free(q->root);
    free(q);
}

/* ---- matching ---- */

/* What one match call has read of the message, each part at most once. */
struct match_ctx {
    const struct imap_search_target *t;
    const char *data;
    size_t size;
    bool mime_done, header_done, body_done, sent_done, sent_ok;
    struct mime_part root;
    struct mc_buf header; /* decoded, folded "name: value\n" lines of the top header */
    struct mc_buf body;   /* decoded, folded text parts, each followed by a NUL */
    int64_t sent_day;
    struct mc_buf tmp, tmp2;
};

static void need_mime(struct match_ctx *mc)
{
    if (mc->mime_done)
        return;
    mime_parse(mc->data, mc->size, &mc->root);
    mc->mime_done = true;
}

/* Appends the decoded, folded text of a header field ("name: value\n") to mc->header. */
static bool header_line(void *ctx, const char *name, size_t name_len, const char *value,
                        size_t value_len)
{
    struct mc_buf *out = ctx;
    struct mc_buf dec = {0};
    mc_buf_append(&dec, name, name_len);
    mc_buf_append(&dec, ": ", 2);
    mime_decode_words(value, value_len, &dec);
    mc_buf_append_char(&dec, '\n');
    fold_append(out, dec.data, dec.len);
    mc_buf_free(&dec);
    return true;
}

static void header_text(const char *data, const struct mime_part *p, struct mc_buf *out)
{
    mime_header_foreach(data + p->header_off, p->header_len, header_line, out);
}

static const struct mime_part *message_child(const struct mime_part *p)
{
    return mime_is_message(p) && p->child_count == 1 ? &p->children[0] : NULL;
}

/* The text of part p: bodies of type text decoded to UTF-8, encapsulated messages' headers too. */
static void collect_text(struct match_ctx *mc, const struct mime_part *p, unsigned depth)
{
    if (depth > MIME_DEPTH_MAX + 1)
        return;
    const struct mime_part *inner = message_child(p);
    if (inner) {
        header_text(mc->data, inner, &mc->body);
        mc_buf_append_char(&mc->body, '\0');
        collect_text(mc, inner, depth + 1);
    } else if (mime_is_multipart(p)) {
        for (size_t i = 0; i < p->child_count; i++)
            collect_text(mc, &p->children[i], depth + 1);
    } else if (strcmp(p->type, "text") == 0) {
        mc_buf_reset(&mc->tmp);
        mc_buf_reset(&mc->tmp2);
        mime_decode_body(p->encoding, mc->data + p->body_off, p->body_len, &mc->tmp);
        const char *cs = mime_param_get(p->params, p->param_count, "charset");
        mime_charset_to_utf8(cs, mc->tmp.data ? mc->tmp.data : "", mc->tmp.len, &mc->tmp2);
        fold_append(&mc->body, mc->tmp2.data ? mc->tmp2.data : "", mc->tmp2.len);
        mc_buf_append_char(&mc->body, '\0');
    }
}

static const struct mc_buf *need_body(struct match_ctx *mc)
{
    if (!mc->body_done) {
        need_mime(mc);
        collect_text(mc, &mc->root, 0);
        mc->body_done = true;
    }
    return &mc->body;
}

static const struct mc_buf *need_header(struct match_ctx *mc)
{
    if (!mc->header_done) {
        need_mime(mc);
        header_text(mc->data, &mc->root, &mc->header);
        mc->header_done = true;
    }
    return &mc->header;
}

static bool need_sent_day(struct match_ctx *mc, int64_t *day)
{
    if (!mc->sent_done) {
        need_mime(mc);
        mc->sent_ok = mime_header_get(mc->data + mc->root.header_off, mc->root.header_len, "Date",
                                      &mc->tmp) &&
                      parse_sent_day(mc->tmp.data ? mc->tmp.data : "", mc->tmp.len, &mc->sent_day);
        mc->sent_done = true;
    }
    *day = mc->sent_day;
    return mc->sent_ok;
}

struct field_search {
    const struct node *n;
    struct match_ctx *mc;
    bool found;
};

static bool field_test(void *ctx, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
    struct field_search *fs = ctx;
    if (!ascii_eq_n(name, name_len, fs->n->text))
        return true;
    struct mc_buf *dec = &fs->mc->tmp, *folded = &fs->mc->tmp2;
    mc_buf_reset(dec);
    mc_buf_reset(folded);
    mime_decode_words(value, value_len, dec);
    fold_append(folded, dec->data ? dec->data : "", dec->len);
    fs->found = needle_in(&fs->n->needle, folded->data, folded->len);
    return !fs->found;
}

static bool match_header(const struct node *n, struct match_ctx *mc)
{
    need_mime(mc);
    struct field_search fs = {n, mc, false};
    mime_header_foreach(mc->data + mc->root.header_off, mc->root.header_len, field_test, &fs);
    return fs.found;
}

static bool match_sent(const struct node *n, struct match_ctx *mc)
{
    int64_t day;
    if (!need_sent_day(mc, &day))
        return false;
    return n->kind == K_SENTBEFORE ? day < n->day
           : n->kind == K_SENTON   ? day == n->day
                                   : day >= n->day;
}

static bool match_text(const struct needle *nd, const struct mc_buf *hay)
{
    return needle_in(nd, hay->data, hay->len);
}

static bool match_content(const struct node *n, struct match_ctx *mc)
{
    switch (n->kind) {
    case K_HEADER:
        return match_header(n, mc);
    case K_TEXT:
        return match_text(&n->needle, need_header(mc)) || match_text(&n->needle, need_body(mc));
    case K_BODY:
        return match_text(&n->needle, need_body(mc));
    default:
        return match_sent(n, mc);
    }
}

static bool match_node(const struct node *n, struct match_ctx *mc);

/* AND (want_all) or OR over n's children, the cheap ones first. */
static bool match_children(const struct node *n, struct match_ctx *mc, bool want_all)
{
    for (int pass = 0; pass < 2; pass++) {
        for (const struct node *c = n->child; c; c = c->next) {
            if (c->costly != (pass == 1))
                continue;
            if (match_node(c, mc) != want_all)
                return !want_all;
        }
    }
    return want_all;
}

static bool match_date(const struct node *n, const struct match_ctx *mc)
{
    int64_t day = day_of(ms_message_date(mc->t->msg));
    return n->kind == K_BEFORE ? day < n->day : n->kind == K_ON ? day == n->day : day >= n->day;
}

static bool match_node(const struct node *n, struct match_ctx *mc)
{
    const struct imap_search_target *t = mc->t;
    unsigned flags = ms_message_flags(t->msg);
    switch (n->kind) {
    case K_AND:
        return match_children(n, mc, true);
    case K_OR:
        return match_children(n, mc, false);
    case K_NOT:
        return !match_node(n->child, mc);
    case K_ALL:
        return true;
    case K_SEQSET:
        return imap_seqset_contains(&n->set, t->seq, t->max_seq);
    case K_UID:
        return imap_seqset_contains(&n->set, ms_message_uid(t->msg), t->max_uid);
    case K_FLAG:
        return (flags & n->flag) != 0;
    case K_UNFLAG:
        return (flags & n->flag) == 0;
    case K_RECENT:
        return t->recent;
    case K_NEW:
        return t->recent && !(flags & MS_FLAG_SEEN);
    case K_OLD:
        return !t->recent;
    case K_KEYWORD:
        return ms_message_has_keyword(t->msg, n->text);
    case K_UNKEYWORD:
        return !ms_message_has_keyword(t->msg, n->text);
    case K_BEFORE:
    case K_ON:
    case K_SINCE:
        return match_date(n, mc);
    case K_MODSEQ:
        return ms_message_modseq(t->msg) >= n->number;
    case K_LARGER:
        return (uint64_t)mc->size > n->number;
    case K_SMALLER:
        return (uint64_t)mc->size < n->number;
    default:
        return match_content(n, mc);
    }
}

static bool node_uses_modseq(const struct node *n)
{
    for (; n; n = n->next)
        if (n->kind == K_MODSEQ || node_uses_modseq(n->child))
            return true;
    return false;
}

bool imap_search_uses_modseq(const struct imap_search *q)
{
    return q && node_uses_modseq(q->root);
}

bool imap_search_match(const struct imap_search *q, const struct imap_search_target *t)
{
    if (!q || !t || !t->msg)
        return false;
    struct match_ctx mc = {
        .t = t, .data = ms_message_data(t->msg), .size = ms_message_size(t->msg)};
    bool r = match_node(q->root, &mc);
    if (mc.mime_done)
        mime_part_free(&mc.root);
    mc_buf_free(&mc.header);
    mc_buf_free(&mc.body);
    mc_buf_free(&mc.tmp);
    mc_buf_free(&mc.tmp2);
    return r;
}
