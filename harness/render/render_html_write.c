/*
 * render_html_write — writing into the HTML report safely (html.h): escaped text and wire
 * bytes, filter tokens, ids, outcome badges, RFC links and the count tables the summary uses.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "render/html.h"
#include "render/report_read.h"

#define WIRE_PRINTABLE_FIRST 0x20 /* SP: the first printable US-ASCII character */
#define WIRE_PRINTABLE_END 0x7f   /* DEL: a control, like everything below SP */
#define WIRE_C1_END 0xa0u         /* U+0080..U+009F are the C1 controls, invisible too */

const char *const mc_html_outcomes[] = {"pass",      "fail",    "skip", "error",
                                        "deviation", "not_run", NULL};

static const char *entity_of(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\0':
        return "\xef\xbf\xbd"; /* U+FFFD: a NUL is never in a report's text, nor on a page */
    default:
        return NULL;
    }
}

void mc_html_textn(FILE *f, const char *s, size_t n)
{
    size_t start = 0; /* first character not written yet */
    for (size_t i = 0; i < n; i++) {
        const char *entity = entity_of(s[i]);
        if (!entity)
            continue;
        fwrite(s + start, 1, i - start, f);
        fputs(entity, f);
        start = i + 1;
    }
    fwrite(s + start, 1, n - start, f);
}

void mc_html_text(FILE *f, const char *s)
{
    if (s)
        mc_html_textn(f, s, strlen(s));
}

/* Length of the printable character at s: printable US-ASCII, or well-formed UTF-8 that is not
   a C1 control (as lib/escape.c); 0 for an octet to show as \xHH. */
static size_t printable_at(const char *s, size_t len)
{
    unsigned char c = (unsigned char)s[0];
    if (c >= WIRE_PRINTABLE_FIRST && c < WIRE_PRINTABLE_END)
        return 1;
    uint32_t cp;
    size_t n = mc_utf8_decode(s, len, &cp);
    return n > 1 && cp >= WIRE_C1_END ? n : 0;
}

void mc_html_wire(FILE *f, const char *s, size_t n)
{
    size_t start = 0; /* first octet of the printable run not written yet */
    for (size_t i = 0; i < n;) {
        size_t k = printable_at(s + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        mc_html_textn(f, s + start, i - start);
        fprintf(f, "<span class=\"esc\">\\x%02x</span>", (unsigned char)s[i]);
        start = ++i;
    }
    mc_html_textn(f, s + start, n - start);
}

/* What encodeURIComponent leaves as it is (ECMA-262 "uriUnreserved"). */
static bool uri_unreserved(unsigned char c)
{
    return isalnum(c) || (c && strchr("-_.!~*'()", c));
}

void mc_html_token(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\'')
            fputs("&#39;", f); /* unreserved, but it would end a single-quoted attribute */
        else if (uri_unreserved(*p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

void mc_html_id(FILE *f, const char *prefix, const char *s)
{
    fputs(prefix, f);
    for (const char *p = s; *p; p++) {
        if (isspace((unsigned char)*p))
            fputc('_', f);
        else
            mc_html_textn(f, p, 1);
    }
}

void mc_html_badge(FILE *f, const char *outcome)
{
    fputs("<span class=\"badge o-", f);
    mc_html_token(f, outcome);
    fputs("\">", f);
    mc_html_text(f, outcome);
    fputs("</span>", f);
}

/* The fragment of a section at the RFC Editor: "section-6.4.5", "appendix-A.1"; false when the
   section is not of a form that has one. */
static bool section_anchor(const char *section)
{
    if (!section || !*section || strlen(section) > 32)
        return false;
    for (const char *p = section; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.')
            return false;
    return true;
}

void mc_html_rfc_link(FILE *f, long long rfc, const char *section)
{
    fprintf(f, "<a href=\"https://www.rfc-editor.org/rfc/rfc%lld", rfc);
    if (section_anchor(section))
        fprintf(f, "#%s-%s", isalpha((unsigned char)section[0]) ? "appendix" : "section", section);
    fprintf(f, "\">RFC %lld", rfc);
    if (section) {
        fputs(" section ", f);
        mc_html_text(f, section);
    }
    fputs("</a>", f);
}

void mc_html_rfc_links(FILE *f, const json_t *refs)
{
    size_t i;
    const json_t *ref;
    if (json_array_size(refs) == 0) {
        fputs("none", f);
        return;
    }
    json_array_foreach(refs, i, ref)
    {
        if (i)
            fputs(", ", f);
        mc_html_rfc_link(f, mc_rj_int(ref, "rfc", 0), mc_rj_str(ref, "section", NULL));
    }
}

static const struct {
    long long rfc;
    const char *name;
} rfc_names[] = {
    {1870, "SMTP SIZE"},
    {1939, "POP3"},
    {2033, "LMTP"},
    {2034, "SMTP ENHANCEDSTATUSCODES"},
    {2045, "MIME part 1"},
    {2046, "MIME media types"},
    {2047, "MIME header encoding"},
    {2177, "IMAP IDLE"},
    {2195, "IMAP/POP AUTHorize extension (CRAM-MD5)"},
    {2231, "MIME parameter values"},
    {2342, "IMAP NAMESPACE"},
    {2449, "POP3 extension mechanism (CAPA)"},
    {2505, "anti-spam recommendations for SMTP MTAs"},
    {2595, "TLS with IMAP, POP3 and ACAP"},
    {2920, "SMTP PIPELINING"},
    {2971, "IMAP ID"},
    {3207, "SMTP STARTTLS"},
    {3463, "enhanced mail system status codes"},
    {3501, "IMAP4rev1"},
    {3691, "IMAP UNSELECT"},
    {4315, "IMAP UIDPLUS"},
    {4422, "SASL"},
    {4616, "SASL PLAIN"},
    {4731, "IMAP ESEARCH"},
    {4954, "SMTP AUTH"},
    {4959, "IMAP SASL-IR"},
    {5034, "POP3 SASL"},
    {5161, "IMAP ENABLE"},
    {5182, "IMAP SEARCHRES"},
    {5321, "SMTP"},
    {5322, "Internet Message Format"},
    {5802, "SCRAM"},
    {6409, "message submission"},
    {6851, "IMAP MOVE"},
    {7162, "IMAP CONDSTORE and QRESYNC"},
    {7677, "SCRAM-SHA-256"},
    {7888, "IMAP LITERAL+"},
    {8314, "TLS for email submission and access"},
    {9051, "IMAP4rev2"},
};

const char *mc_html_rfc_name(long long rfc)
{
    for (size_t i = 0; i < sizeof rfc_names / sizeof rfc_names[0]; i++)
        if (rfc_names[i].rfc == rfc)
            return rfc_names[i].name;
    return NULL;
}

void mc_html_list(FILE *f, const json_t *arr, const char *empty)
{
    size_t i;
    const json_t *v;
    if (json_array_size(arr) == 0) {
        mc_html_text(f, empty);
        return;
    }
    fputs("<ul class=\"caps\">", f);
    json_array_foreach(arr, i, v)
    {
        fputs("<li>", f);
        mc_html_text(f, json_string_value(v));
        fputs("</li>", f);
    }
    fputs("</ul>", f);
}

static void count_cell(FILE *f, long long n, const char *outcome)
{
    fprintf(f, "<td class=\"n%s\" data-count=\"%s\">%lld</td>", n ? "" : " zero", outcome, n);
}

void mc_html_counts_table(FILE *f, const char *caption, const char *key_head, const json_t *by,
                          void (*key_cell)(FILE *f, const char *key))
{
    fputs("<table class=\"counts\">\n<caption>", f);
    mc_html_text(f, caption);
    fputs("</caption>\n<thead><tr><th scope=\"col\">", f);
    mc_html_text(f, key_head);
    fputs("</th><th scope=\"col\" class=\"n\">total</th>", f);
    for (size_t o = 0; mc_html_outcomes[o]; o++)
        fprintf(f, "<th scope=\"col\" class=\"n\">%s</th>", mc_html_outcomes[o]);
    fputs("</tr></thead>\n<tbody>\n", f);
    const char *key;
    const json_t *counts;
    json_object_foreach((json_t *)by, key, counts)
    {
        fputs("<tr><th scope=\"row\">", f);
        if (key_cell)
            key_cell(f, key);
        else
            mc_html_text(f, key);
        fputs("</th>", f);
        count_cell(f, mc_rj_int(counts, "total", 0), "total");
        for (size_t o = 0; mc_html_outcomes[o]; o++)
            count_cell(f, mc_rj_int(counts, mc_html_outcomes[o], 0), mc_html_outcomes[o]);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void write_expected(FILE *f, const json_t *expected)
{
    if (!json_is_object(expected)) {
        fputs("<pre>(the step's default expectation: a positive reply)</pre>", f);
        return;
    }
    char *text = json_dumps(expected, JSON_INDENT(2));
    fputs("<pre>", f);
    mc_html_text(f, text);
    fputs("</pre>", f);
    free(text);
}

void mc_html_compare(FILE *f, const json_t *failure)
{
    fputs("<table class=\"compare\">\n<thead><tr><th scope=\"col\">expected</th>"
          "<th scope=\"col\">received</th></tr></thead>\n<tbody><tr><td>",
          f);
    write_expected(f, json_object_get(failure, "expected"));
    fputs("</td><td><pre>", f);
    mc_html_text(f, mc_rj_str(failure, "got", "(nothing)"));
    fputs("</pre></td></tr></tbody>\n</table>\n", f);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **mc_html_sorted_keys(const json_t *set, size_t *count)
{
    const char **keys = mc_xcalloc(json_object_size(set) + 1, sizeof *keys);
    size_t n = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)set, key, v) keys[n++] = key;
    qsort(keys, n, sizeof *keys, compare_strings);
    *count = n;
    return keys;
}
