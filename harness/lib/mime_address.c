/*
 * mime_address — address lists of RFC 5322 3.4 (with the obsolete forms of 4.4: source routes,
 * empty list elements, CFWS between the pieces of a local part) for the IMAP ENVELOPE.
 *
 * The value is first cut into tokens (atoms, quoted strings, domain literals, comments and the
 * specials < > @ , ; : .), then read address by address. Display names keep their RFC 2047
 * words encoded (IMAP clients decode them), lose their quotes and have runs of white space
 * and comments collapsed to one space. When an address has no display name, the last comment
 * after it stands in for it ("joe@example.org (Joe Bloggs)"), as Dovecot does. As Dovecot
 * (2.3) answers too, a missing or unreadable local part is "MISSING_MAILBOX" and a missing
 * domain "MISSING_DOMAIN", so that a NULL host is always a group marker (RFC 3501 7.4.2).
 * Empty list elements (RFC 5322 4.4 obs-addr-list) are dropped, not reported.
 */
#include "lib/mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mime_int.h"

#define MISSING_DOMAIN "MISSING_DOMAIN"
#define MISSING_MAILBOX "MISSING_MAILBOX"
#define ADDR_COMMENT_DEPTH_MAX 32 /* nested comments (harness limit) */

enum tok_type { T_ATOM, T_QUOTED, T_DOT, T_DLIT, T_COMMENT, T_SPECIAL, T_END };

struct tok {
    enum tok_type type;
    size_t start, end; /* raw span: quotes, brackets and parentheses included */
    char c;            /* the special */
};

struct aparser {
    const char *v;
    struct tok *t;
    size_t n, i;
    size_t comment; /* the last comment token read in this address, or n */
    struct mime_address_list *out;
};

/* ---- tokens ---- */

/* After a quoted string or domain literal opened at i (RFC 5322 3.2.4, 3.4.1); *closed says
   whether its closing character was there. */
static size_t skip_quoted(const char *v, size_t len, size_t i, char close, bool *closed)
{
    *closed = true;
    for (i++; i < len; i++) {
        if (v[i] == '\\' && i + 1 < len)
            i++;
        else if (v[i] == close)
            return i + 1;
    }
    *closed = false;
    return len;
}

/* After the comment opened at i; comments nest (RFC 5322 3.2.2). */
static size_t skip_comment(const char *v, size_t len, size_t i)
{
    int depth = 0;
    for (; i < len; i++) {
        if (v[i] == '\\' && i + 1 < len)
            i++;
        else if (v[i] == '(' && depth < ADDR_COMMENT_DEPTH_MAX)
            depth++;
        else if (v[i] == ')' && --depth == 0)
            return i + 1;
    }
    return len;
}

static bool is_atext(char c)
{
    return (unsigned char)c > ' ' && c != 0x7f && !strchr("()<>[]:;@\\,\".", c);
}

static void push_tok(struct aparser *ap, enum tok_type type, size_t start, size_t end, char c)
{
    ap->t = mime_grow(ap->t, ap->n, sizeof *ap->t);
    ap->t[ap->n++] = (struct tok){type, start, end, c};
}

static void tokenize(struct aparser *ap, size_t len)
{
    const char *v = ap->v;
    size_t i = 0;
    while (i < len) {
        char c = v[i];
        size_t s = i;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
        } else if (c == '(') {
            i = skip_comment(v, len, i);
            push_tok(ap, T_COMMENT, s, i, c);
        } else if (c == '"') {
            bool closed;
            i = skip_quoted(v, len, i, '"', &closed);
            push_tok(ap, closed ? T_QUOTED : T_SPECIAL, s, i, c); /* unterminated: unreadable */
        } else if (c == '[') {
            bool closed;
            i = skip_quoted(v, len, i, ']', &closed);
            push_tok(ap, closed ? T_DLIT : T_SPECIAL, s, i, c);
        } else if (c == '.') {
            push_tok(ap, T_DOT, s, ++i, c);
        } else if (is_atext(c)) {
            while (i < len && is_atext(v[i]))
                i++;
            push_tok(ap, T_ATOM, s, i, c);
        } else {
            push_tok(ap, T_SPECIAL, s, ++i, c);
        }
    }
    push_tok(ap, T_END, len, len, '\0');
}

/* The next token that is not a comment (comments are remembered for the display name). */
static const struct tok *peek(struct aparser *ap)
{
    while (ap->t[ap->i].type == T_COMMENT)
        ap->comment = ap->i++;
    return &ap->t[ap->i];
}

static bool peek_special(struct aparser *ap, char c)
{
    const struct tok *t = peek(ap);
    return t->type == T_SPECIAL && t->c == c;
}

static void advance(struct aparser *ap)
{
    if (peek(ap)->type != T_END)
        ap->i++;
}

/* Words from here on: [*from, ap->i). A phrase or local part takes atoms, dots and quoted
   strings; a domain atoms and domain literals separated by dots (RFC 5322 3.4.1, 4.4), so that
   "a@b c@d" ends the domain at "b". */
static void take_words(struct aparser *ap, bool domain, size_t *from)
{
    *from = ap->i;
    bool after_word = false;
    for (;;) {
        const struct tok *t = peek(ap);
        bool dot = t->type == T_DOT;
        bool word = t->type == T_ATOM || (domain ? t->type == T_DLIT : t->type == T_QUOTED);
        if (!(dot || word) || (domain && word && after_word))
            return;
        after_word = word;
        ap->i++;
    }
}

/* ---- rendering ---- */

/* The raw text of the non-comment tokens of [from, to), without the white space between. */
static char *render_raw(const struct aparser *ap, size_t from, size_t to)
{
    struct mc_buf b = {0};
    for (size_t k = from; k < to; k++)
        if (ap->t[k].type != T_COMMENT)
            mc_buf_append(&b, ap->v + ap->t[k].start, ap->t[k].end - ap->t[k].start);
    return b.data ? mc_buf_steal(&b) : NULL;
}

/* Inside quotes or parentheses: escapes resolved, line ends dropped. */
static void append_unquoted(struct mc_buf *b, const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\\' && k + 1 < n)
            k++;
        else if (s[k] == '\r' || s[k] == '\n')
            continue;
        mc_buf_append_char(b, s[k]);
    }
}

static void append_token_text(struct mc_buf *b, const char *v, const struct tok *t)
{
    size_t s = t->start, e = t->end;
    if (t->type == T_QUOTED || t->type == T_COMMENT) {
        s++;
        if (e > s && v[e - 1] == (t->type == T_QUOTED ? '"' : ')'))
            e--;
        append_unquoted(b, v + s, e - s);
    } else {
        mc_buf_append(b, v + s, e - s);
    }
}

/* A display name: words with quotes removed, one space where white space or comments were. */
static char *render_name(const struct aparser *ap, size_t from, size_t to)
{
    struct mc_buf b = {0};
    size_t prev_end = SIZE_MAX;
    for (size_t k = from; k < to; k++) {
        const struct tok *t = &ap->t[k];
        if (t->type == T_COMMENT)
            continue;
        if (b.len && prev_end != SIZE_MAX && t->start > prev_end)
            mc_buf_append_char(&b, ' ');
        append_token_text(&b, ap->v, t);
        prev_end = t->end;
    }
    return b.len ? mc_buf_steal(&b) : (mc_buf_free(&b), NULL);
}

/* The last comment read after token `after` ("joe@example.org (Joe Bloggs)"), or NULL. */
static char *comment_name(const struct aparser *ap, size_t after)
{
    if (ap->comment >= ap->n || ap->comment <= after || ap->t[ap->comment].type != T_COMMENT)
        return NULL;
    struct mc_buf b = {0};
    append_token_text(&b, ap->v, &ap->t[ap->comment]);
    return b.len ? mc_buf_steal(&b) : (mc_buf_free(&b), NULL);
}

static void push(struct aparser *ap, char *name, char *route, char *mailbox, char *host)
{
    struct mime_address_list *l = ap->out;
    l->items = mime_grow(l->items, l->count, sizeof *l->items);
    l->items[l->count++] = (struct mime_address){name, route, mailbox, host};
}

/* ---- addresses ---- */

static char *domain_or_missing(struct aparser *ap)
{
    size_t from;
    take_words(ap, true, &from);
    char *host = render_raw(ap, from, ap->i);
    return host ? host : mc_xstrdup(MISSING_DOMAIN);
}

/* "@" domain after a local part [from, to). */
static char *mailbox_or_missing(const struct aparser *ap, size_t from, size_t to)
{
    char *mailbox = render_raw(ap, from, to);
    return mailbox ? mailbox : mc_xstrdup(MISSING_MAILBOX);
}

/* "@" domain after a local part [from, to) that may be empty. */
static void addr_spec(struct aparser *ap, size_t from, size_t to)
{
    size_t at = ap->i;
    char *mailbox = mailbox_or_missing(ap, from, to);
    advance(ap); /* "@" */
    char *host = domain_or_missing(ap);
    peek(ap); /* a comment right after the address */
    push(ap, comment_name(ap, at), NULL, mailbox, host);
}

/* Words with white space or comments between them: a display name, not a local part. */
static bool has_gap(const struct aparser *ap, size_t from, size_t to)
{
    size_t prev_end = SIZE_MAX;
    for (size_t k = from; k < to; k++) {
        if (ap->t[k].type == T_COMMENT)
            continue;
        if (prev_end != SIZE_MAX && ap->t[k].start > prev_end)
            return true;
        prev_end = ap->t[k].end;
    }
    return false;
}

/* "<" [obs-route] addr-spec ">" with the "<" read; name owned. */
static void angle_addr(struct aparser *ap, char *name)
{
    char *route = NULL;
    size_t from;
    if (peek_special(ap, '@')) {
        from = ap->i;
        while (!peek_special(ap, ':') && !peek_special(ap, '>') && peek(ap)->type != T_END)
            advance(ap);
        route = render_raw(ap, from, ap->i);
        if (peek_special(ap, ':'))
            advance(ap);
    }
    take_words(ap, false, &from);
    char *mailbox = mailbox_or_missing(ap, from, ap->i);
    char *host = NULL;
    if (peek_special(ap, '@')) {
        advance(ap);
        host = domain_or_missing(ap);
    }
    if (peek_special(ap, '>'))
        advance(ap);
    push(ap, name, route, mailbox, host ? host : mc_xstrdup(MISSING_DOMAIN));
}

static bool at_separator(struct aparser *ap, bool in_group)
{
    const struct tok *t = peek(ap);
    return t->type == T_END || (t->type == T_SPECIAL && (t->c == ',' || (in_group && t->c == ';')));
}

static void invalid(struct aparser *ap, bool in_group)
{
    do
        advance(ap);
    while (!at_separator(ap, in_group));
    push(ap, NULL, NULL, mc_xstrdup(MISSING_MAILBOX), mc_xstrdup(MISSING_DOMAIN));
}

static void group(struct aparser *ap, char *name);

/* Words alone before a separator: "foo" is a local part without its domain, "a b c" a display
   name without an address (as Dovecot reads them). */
static void words_alone(struct aparser *ap, size_t from, size_t to)
{
    if (has_gap(ap, from, to))
        push(ap, render_name(ap, from, to), NULL, mc_xstrdup(MISSING_MAILBOX),
             mc_xstrdup(MISSING_DOMAIN));
    else
        push(ap, comment_name(ap, from), NULL, render_raw(ap, from, to),
             mc_xstrdup(MISSING_DOMAIN));
}

/* One mailbox (or, outside a group, one group) at the current token. */
static void address(struct aparser *ap, bool in_group)
{
    size_t from;
    take_words(ap, false, &from);
    size_t to = ap->i;
    const struct tok *t = peek(ap);
    char c = t->type == T_SPECIAL ? t->c : '\0';
    if (c == '<') {
        advance(ap);
        angle_addr(ap, render_name(ap, from, to));
    } else if (c == ':' && !in_group) {
        advance(ap);
        char *name = render_name(ap, from, to);
        group(ap, name ? name : mc_xstrdup(""));
    } else if (c == '@') {
        addr_spec(ap, from, to);
    } else if (at_separator(ap, in_group) || c == ';') {
        if (to > from)
            words_alone(ap, from, to);
    } else {
        invalid(ap, in_group);
    }
}

/* display-name ":" [mailbox-list] ";" with the ":" read: a start and an end marker around the
   members (RFC 3501 7.4.2). */
static void group(struct aparser *ap, char *name)
{
    push(ap, NULL, NULL, name, NULL);
    for (;;) {
        if (peek(ap)->type == T_END)
            break;
        if (peek_special(ap, ';')) {
            advance(ap);
            break;
        }
        if (peek_special(ap, ',')) {
            advance(ap);
            continue;
        }
        size_t before = ap->i;
        address(ap, true);
        if (ap->i == before)
            advance(ap);
    }
    push(ap, NULL, NULL, NULL, NULL);
}

void mime_address_parse(const char *value, size_t len, struct mime_address_list *out)
{
    struct aparser ap = {.v = value ? value : "", .out = out};
    out->items = NULL;
    out->count = 0;
    tokenize(&ap, value ? (len < MIME_ADDRESS_FIELD_MAX ? len : MIME_ADDRESS_FIELD_MAX) : 0);
    ap.comment = ap.n;
    while (peek(&ap)->type != T_END && out->count < MIME_ADDRESSES_MAX) {
        size_t before = ap.i;
        address(&ap, false);
        if (peek_special(&ap, ',') || peek_special(&ap, ';') || ap.i == before)
            advance(&ap);
        else
            while (!at_separator(&ap, false)) /* garbage after an address is dropped */
                advance(&ap);
    }
    free(ap.t);
}

void mime_address_list_free(struct mime_address_list *l)
{
    for (size_t k = 0; k < l->count; k++) {
        free(l->items[k].name);
        free(l->items[k].route);
        free(l->items[k].mailbox);
        free(l->items[k].host);
    }
    free(l->items);
    l->items = NULL;
    l->count = 0;
}
