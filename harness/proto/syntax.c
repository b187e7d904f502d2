/*
 * syntax — line helpers shared by the protocol framers (see syntax.h).
 *
 * Everything here treats peer data as bytes with an explicit length: a hostile server may put
 * NUL bytes, 8-bit data or control characters anywhere in a line.
 */
#include "proto/syntax.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/utf8.h"

static char syn_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

bool mc_syn_budget_take(struct mc_syn_budget *b, size_t lines, size_t bytes, struct mc_reply *r)
{
    size_t left = MC_SYN_REPLY_MEMORY_MAX - b->bytes;
    size_t cost = bytes;
    bool fits = lines <= left / MC_SYN_LINE_OVERHEAD;
    if (fits) {
        size_t overhead = lines * MC_SYN_LINE_OVERHEAD;
        fits = cost <= left - overhead;
        cost += overhead;
    }
    if (!fits) {
        mc_syn_violation(r,
                         "the reply exceeds the harness safety limit of %u MiB of memory "
                         "(MC_SYN_REPLY_MEMORY_MAX: its octets and %u more for each line it "
                         "stores)",
                         MC_SYN_REPLY_MEMORY_MAX / (1024u * 1024u), MC_SYN_LINE_OVERHEAD);
        return false;
    }
    b->bytes += cost;
    return true;
}

void mc_syn_violation(struct mc_reply *r, const char *fmt, ...)
{
    struct mc_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    mc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(r->violation);
    r->violation = mc_buf_steal(&b);
}

void mc_syn_excerpt(struct mc_buf *out, const char *s, size_t len)
{
    size_t n = len < MC_SYN_EXCERPT_MAX ? len : MC_SYN_EXCERPT_MAX;
    mc_buf_append_char(out, '"');
    mc_escape_append(out, s, n, MC_ESCAPE_KEEP_UTF8 | MC_ESCAPE_QUOTE);
    mc_buf_append_char(out, '"');
    if (n < len)
        mc_buf_append_str(out, "...");
}

char *mc_syn_excerpt_dup(const char *s, size_t len)
{
    struct mc_buf b = {0};
    mc_syn_excerpt(&b, s, len);
    return mc_buf_steal(&b);
}

#define SYN_PRINTABLE_FIRST 0x20 /* SP: below it, the C0 controls (RFC 5234 B.1 CTL) */
#define SYN_DEL 0x7f             /* DEL, the last control of US-ASCII */
#define SYN_ASCII_END 0x80       /* the first 8-bit octet */

/* The class of an ASCII octet as enum mc_syn_octets; 0 for printable US-ASCII. */
static unsigned syn_octet_class(unsigned char c)
{
    switch (c) {
    case 0x00:
        return MC_OCT_NUL;
    case '\t':
        return MC_OCT_HTAB;
    case '\r':
        return MC_OCT_CR;
    case '\n':
        return MC_OCT_LF;
    default:
        return c < SYN_PRINTABLE_FIRST || c == SYN_DEL ? MC_OCT_CTL : 0;
    }
}

size_t mc_syn_octet_refused(const char *s, size_t len, unsigned allow)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < SYN_ASCII_END) {
            unsigned cls = syn_octet_class(c);
            if (cls && !(allow & cls))
                return i;
            i++;
        } else if (allow & MC_OCT_8BIT) {
            i++;
        } else {
            uint32_t cp;
            size_t n = (allow & MC_OCT_UTF8) ? mc_utf8_decode(s + i, len - i, &cp) : 0;
            if (n == 0)
                return i;
            i += n;
        }
    }
    return len;
}

/* "NUL", "CR", "a control character", "not well-formed UTF-8", ... for the octet at s. */
static const char *syn_octet_name(unsigned char c, unsigned allow)
{
    if (c >= SYN_ASCII_END)
        return (allow & MC_OCT_UTF8) ? "not part of well-formed UTF-8" : "an 8-bit octet";
    switch (syn_octet_class(c)) {
    case MC_OCT_NUL:
        return "NUL";
    case MC_OCT_CR:
        return "CR without LF";
    case MC_OCT_LF:
        return "LF";
    case MC_OCT_HTAB:
        return "HTAB";
    default:
        return c == SYN_DEL ? "DEL" : "a control character";
    }
}

bool mc_syn_check_line(struct mc_reply *r, const char *line, size_t len, size_t from, size_t to,
                       const struct mc_syn_charset *cs)
{
    size_t bad = from + mc_syn_octet_refused(line + from, to - from, cs->allow);
    if (bad == to)
        return true;
    unsigned char c = (unsigned char)line[bad];
    char *ex = mc_syn_excerpt_dup(line, len);
    mc_syn_violation(r, "line %s: octet 0x%02x (%s) at offset %zu is not allowed (%s)", ex, c,
                     syn_octet_name(c, cs->allow), bad, cs->rule);
    free(ex);
    mc_syn_blame_line(r, line, len);
    return false;
}

void mc_syn_blame_line(struct mc_reply *r, const char *line, size_t len)
{
    free(r->status_line);
    r->status_line = mc_xstrndup(line, len);
    r->status_line_len = len;
}

bool mc_syn_check_literal(struct mc_reply *r, const char *data, size_t len, size_t done,
                          const struct mc_syn_charset *cs)
{
    size_t bad = mc_syn_octet_refused(data, len, cs->allow);
    if (bad == len)
        return true;
    unsigned char c = (unsigned char)data[bad];
    mc_syn_violation(r, "literal: octet 0x%02x (%s) at offset %zu of its data is not allowed (%s)",
                     c, syn_octet_name(c, cs->allow), done + bad, cs->rule);
    return false;
}

size_t mc_syn_token_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] != ' ' && s[i] != '\t')
        i++;
    return i;
}

bool mc_syn_token_eq(const char *s, size_t len, const char *word)
{
    size_t wlen = strlen(word);
    if (len != wlen)
        return false;
    for (size_t i = 0; i < len; i++)
        if (syn_upper(s[i]) != syn_upper(word[i]))
            return false;
    return true;
}

size_t mc_syn_skip_space(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

void mc_syn_push_upper_prefixed(struct mc_strv *v, const char *prefix, const char *s, size_t len)
{
    struct mc_buf b = {0};
    mc_buf_append_str(&b, prefix);
    for (size_t i = 0; i < len; i++)
        mc_buf_append_char(&b, syn_upper(s[i]));
    if (!mc_strv_contains_nocase(v, b.data))
        mc_strv_push(v, b.data, b.len);
    mc_buf_free(&b);
}

void mc_syn_push_upper(struct mc_strv *v, const char *s, size_t len)
{
    mc_syn_push_upper_prefixed(v, "", s, len);
}

void mc_syn_finish(struct mc_reply *r, enum mc_reply_kind kind, const char *status,
                   const char *line, size_t len, size_t text_off, bool positive)
{
    r->kind = kind;
    snprintf(r->status, sizeof r->status, "%s", status);
    free(r->status_line);
    free(r->text);
    r->status_line = mc_xstrndup(line, len);
    r->status_line_len = len;
    if (text_off > len)
        text_off = len;
    r->text = mc_xstrndup(line + text_off, len - text_off);
    r->positive = positive;
}

void mc_syn_write_command(struct mc_buf *wire, const char *line, size_t len, bool raw)
{
    if (!line)
        return;
    if (len)
        mc_buf_append(wire, line, len);
    if (!raw)
        mc_buf_append(wire, "\r\n", 2);
}

size_t mc_syn_first_line_len(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] != '\r' && s[i] != '\n')
        i++;
    return i;
}

bool mc_syn_starttls_not_ready(const struct mc_reply *r, const char *command, const char *rule,
                               struct mc_buf *why)
{
    if (!why)
        return false;
    const char *line = r->status_line ? r->status_line : "";
    mc_buf_append_str(why, "the reply ");
    mc_syn_excerpt(why, line, strlen(line));
    mc_buf_printf(why, " to %s is positive but does not start TLS: %s", command, rule);
    return false;
}

void mc_syn_auth_command(struct mc_buf *out, const char *verb, const char *mech,
                         const char *initial)
{
    mc_buf_printf(out, "%s %s", verb, mech);
    if (initial)
        mc_buf_printf(out, " %s", initial[0] ? initial : "=");
}

void mc_syn_keyword_lines(const struct mc_strv *lines, size_t first, const char *list_word,
                          struct mc_strv *out)
{
    struct mc_buf prefix = {0};
    mc_buf_printf(&prefix, "%s=", list_word);
    for (size_t i = first; i < lines->count; i++) {
        const char *s = lines->items[i].ptr;
        size_t len = lines->items[i].len;
        size_t pos = mc_syn_skip_space(s, len);
        size_t word = mc_syn_token_len(s + pos, len - pos);
        if (word == 0)
            continue;
        mc_syn_push_upper(out, s + pos, word);
        if (!mc_syn_token_eq(s + pos, word, list_word))
            continue;
        for (pos += word;;) {
            pos += mc_syn_skip_space(s + pos, len - pos);
            size_t item = mc_syn_token_len(s + pos, len - pos);
            if (item == 0)
                break;
            mc_syn_push_upper_prefixed(out, prefix.data, s + pos, item);
            pos += item;
        }
    }
    mc_buf_free(&prefix);
}
