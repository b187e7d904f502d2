/*
 * imap_search_int — what the files of the SEARCH program share and nobody else may see (prefix
 * imap_search_): the tree a program is parsed into, and the text and date helpers.
 *
 *   imap_search.c        the program: search keys, RETURN and CHARSET parsed into the tree;
 *                        freeing it, asking it whether it uses MODSEQ
 *   imap_search_match.c  one message tested against the tree, its content read lazily
 *   imap_search_text.c   case folding and substring search; the day of a time or of the
 *                        text of a Date: header
 */
#ifndef RS_IMAP_SEARCH_INT_H
#define RS_IMAP_SEARCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "reference/imap_parse.h"
#include "reference/imap_search.h"

/* ---- the tree ---- */

enum imap_search_kind {
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

/* A folded search string and its KMP failure table. */
struct imap_search_needle {
    char *s;
    size_t len;
    size_t *fail;
};

struct imap_search_node {
    enum imap_search_kind kind;
    bool costly; /* it (or a descendant) needs the message's content */
    unsigned flag;
    uint64_t number;
    int64_t day; /* days since 1970-01-01 */
    struct imap_seqset set;
    char *text; /* header field name, or keyword */
    struct imap_search_needle needle;
    struct imap_search_node *child, *next; /* children of AND/OR/NOT; siblings */
};

struct imap_search {
    struct imap_search_node *root;
};

/* ---- text (imap_search_text.c) ---- */

/* ASCII case-insensitive equality of a[0..alen) and b, and of two strings. */
bool imap_search_ascii_eq_n(const char *a, size_t alen, const char *b);
bool imap_search_ascii_eq(const char *a, const char *b);
/* in[0..len) case-folded and appended to out; bytes that are not UTF-8 are copied as they are. */
void imap_search_fold_append(struct mc_buf *out, const char *in, size_t len);
/* nd becomes s[0..len) case-folded, with its failure table. */
void imap_search_needle_init(struct imap_search_needle *nd, const char *s, size_t len);
/* Is the needle in hay[0..len) (already folded)? */
bool imap_search_needle_in(const struct imap_search_needle *nd, const char *hay, size_t len);
void imap_search_needle_free(struct imap_search_needle *nd);

/* ---- days (imap_search_text.c) ---- */

/* The day of t in UTC, as days since 1970-01-01 (rounded down before 1970 too). */
int64_t imap_search_day_of(time_t t);
/* The day written in the value v[0..len) of a Date: header, its time and zone disregarded;
   false when it cannot be read. */
bool imap_search_sent_day(const char *v, size_t len, int64_t *day);

#endif
