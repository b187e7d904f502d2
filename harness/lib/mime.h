/*
 * mime — the structure of an Internet message (RFC 5322, MIME RFC 2045/2046) as byte ranges
 * of the original octets, plus the decoders that reading one needs.
 *
 * IMAP answers FETCH BODYSTRUCTURE, BODY[1.2.MIME]<0.100> and SEARCH BODY from it, so the
 * parser keeps what IMAP reports (offsets, sizes and line counts of the raw octets, never a
 * re-encoded copy) and is lenient the way a mail server must be: any input yields a tree, a
 * missing boundary ends a multipart at the end of its parent, a header without the blank line
 * is all header, bare LF is accepted as a line end. Nesting is bounded by MIME_DEPTH_MAX and the
 * number of parts by MIME_PARTS_MAX (deeper or further parts are treated as opaque text), so a
 * hostile message cannot exhaust the stack or the memory. A multipart that cannot have parts
 * (no boundary, no delimiter line, a limit reached) becomes such an opaque text/plain leaf too:
 * after mime_parse a multipart has at least one child and a message exactly one.
 *
 *   part ─ header (header_off, header_len: the fields and the blank line ending them)
 *        ─ body   (body_off, body_len, body_lines)
 *        ─ children: a multipart's parts (RFC 2046 5.1, preamble and epilogue excluded; the
 *          CRLF before a delimiter belongs to the delimiter), or for message/rfc822 (and
 *          message/global) exactly one child, the encapsulated message, whose body_off..len
 *          then covers that message's body.
 *
 * Content-Type defaults follow RFC 2045 5.2 (text/plain; charset=us-ascii), and inside a
 * multipart/digest message/rfc822 (RFC 2046 5.1.5). Parameter values are unquoted; RFC 2231
 * continuations and charsets are decoded to UTF-8 when the charset is known. Strings in a
 * mime_part are NUL-terminated copies owned by the part (NULL when the field is absent).
 */
#ifndef MC_LIB_MIME_H
#define MC_LIB_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

#define MIME_DEPTH_MAX 32    /* nesting of multiparts and message/rfc822 (harness limit) */
#define MIME_PARTS_MAX 4096  /* parts in one message (harness limit) */
#define MIME_BOUNDARY_MAX 70 /* RFC 2046 5.1.1 */
/* What one address field may make the parser hold (harness limits): the first 64 KiB of its
   value and the first 1000 addresses are parsed, the rest ignored. */
#define MIME_ADDRESS_FIELD_MAX (64u * 1024)
#define MIME_ADDRESSES_MAX 1000u

struct mime_param {
    char *name; /* lower-case */
    char *value;
};

struct mime_part {
    size_t header_off, header_len;
    size_t body_off, body_len;
    size_t body_lines;    /* line ends in the body (a last line without one counts too) */
    char *type, *subtype; /* lower-case; never NULL after mime_parse */
    struct mime_param *params;
    size_t param_count;
    char *id, *description; /* Content-ID, Content-Description (unfolded, raw) */
    char *encoding;         /* Content-Transfer-Encoding, lower-case; "7bit" by default */
    char *md5;              /* Content-MD5 */
    char *disposition;      /* Content-Disposition value, lower-case */
    struct mime_param *disposition_params;
    size_t disposition_param_count;
    char *language; /* Content-Language, raw */
    char *location; /* Content-Location, raw */
    struct mime_part *children;
    size_t child_count;
};

/* Parses data[0..len) (not necessarily NUL-terminated). Never fails. */
void mime_parse(const char *data, size_t len, struct mime_part *root);
void mime_part_free(struct mime_part *p);
/* The value of a parameter (name compared ignoring case), or NULL. */
const char *mime_param_get(const struct mime_param *params, size_t n, const char *name);
bool mime_is_multipart(const struct mime_part *p);
bool mime_is_message(const struct mime_part *p); /* message/rfc822 or message/global */

/* ---- header fields ---- */
/* Calls fn for each field of the header block hdr[0..len), in order: name (without ":") and the
   unfolded value (CRLF/LF + WSP folds removed, leading WSP removed). Stops when fn returns
   false. */
void mime_header_foreach(const char *hdr, size_t len,
                         bool (*fn)(void *ctx, const char *name, size_t name_len, const char *value,
                                    size_t value_len),
                         void *ctx);
/* The unfolded value of the first field named `name` (ignoring case) into out (replaced, NUL
   terminated); false when there is none. */
bool mime_header_get(const char *hdr, size_t len, const char *name, struct mc_buf *out);
/* The raw octets of every field whose name is (or, with exclude, is not) in names, each with
   its line end, in order — BODY[HEADER.FIELDS (...)] and HEADER.FIELDS.NOT; the blank line is
   not included. */
void mime_header_select(const char *hdr, size_t len, const struct mc_strv *names, bool exclude,
                        struct mc_buf *out);

/* ---- decoding ---- */
/* RFC 2047 encoded-words in an unstructured value decoded to UTF-8 (charsets via iconv;
   unknown charsets and malformed words are left as they are), appended to out. */
void mime_decode_words(const char *in, size_t len, struct mc_buf *out);
/* A body in Content-Transfer-Encoding `encoding` ("base64", "quoted-printable", anything else
   as is), decoded and appended to out. Lenient: bad characters are skipped. */
void mime_decode_body(const char *encoding, const char *in, size_t len, struct mc_buf *out);
/* Text in `charset` converted to UTF-8 (iconv), appended to out; false when the charset is
   unknown (out then gets the octets unchanged). NULL or "us-ascii"/"utf-8" copy through. */
bool mime_charset_to_utf8(const char *charset, const char *in, size_t len, struct mc_buf *out);

/* ---- addresses (RFC 5322 3.4, for the IMAP ENVELOPE) ---- */
struct mime_address {
    char *name;    /* display name, RFC 2047 words left encoded, quotes removed; NULL if none */
    char *route;   /* obsolete source route "@a,@b", NULL if none */
    char *mailbox; /* local part; for a group start: the group name; NULL for a group end */
    char *host;    /* domain; NULL for a group start or end */
};
struct mime_address_list {
    struct mime_address *items;
    size_t count;
};
/* Parses an address-list value (From, To, Cc, ...), including groups ("undisclosed:;") which
   become a start item (host NULL, mailbox the name) and an end item (mailbox and host NULL),
   as RFC 3501 7.4.2 wants them. Lenient: an address without a domain gets the host
   "MISSING_DOMAIN" and one without a readable local part the mailbox "MISSING_MAILBOX" (what
   Dovecot 2.3 answers too), so that a NULL host always means a group marker. */
void mime_address_parse(const char *value, size_t len, struct mime_address_list *out);
void mime_address_list_free(struct mime_address_list *l);

#endif
