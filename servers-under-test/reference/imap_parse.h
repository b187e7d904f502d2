/*
 * imap_parse — reading the arguments of one IMAP command (the grammar of RFC 3501 section 9
 * and RFC 9051 section 9), and writing IMAP data back (strings, flag lists, dates, UID sets).
 *
 * imap.c assembles a whole command before anything parses it: the lines and literals exactly
 * as they came on the wire, the line ends after each literal announcement kept, the final CRLF
 * removed. "A1 LOGIN {4}\r\nuser pass" is one command; so is "A2 APPEND INBOX {5+}\r\nhello".
 * A parser walks over that text left to right. Every function either consumes what it read and
 * returns true, or consumes nothing, returns false and records the first error (a short
 * static English sentence naming what was expected, for the tagged BAD) in ps->error — later
 * errors never overwrite the first. Nothing here allocates except into the caller's buffers.
 *
 * Sequence sets keep "*" symbolic (IMAP_STAR) so that one parsed set serves sequence numbers
 * and UIDs; the caller says what "*" stands for when testing membership (RFC 9051 9: "*" is the
 * largest number in use; "n:*" with n beyond it still means "*", and "a:b" equals "b:a").
 */
#ifndef RS_IMAP_PARSE_H
#define RS_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

#define IMAP_STAR UINT32_MAX          /* "*" in a sequence set */
#define IMAP_TAG_MAX 64               /* a tag longer than this is refused (harness limit) */
#define IMAP_SEQSET_RANGES_MAX 100000 /* ranges in one sequence set (harness limit) */

struct imap_parser {
    const char *p, *end;
    const char *error; /* the first error; NULL while everything parsed */
};

struct imap_range {
    uint32_t lo, hi; /* as written: lo may exceed hi, either may be IMAP_STAR */
};
struct imap_seqset {
    struct imap_range *ranges;
    size_t count, cap;
    bool saved; /* "$": the messages SEARCH RETURN (SAVE) kept (RFC 5182, RFC 9051); no ranges */
};

void imap_parser_init(struct imap_parser *ps, const char *data, size_t len);
bool imap_parse_at_end(const struct imap_parser *ps);
/* Records `what` as the error if none is recorded yet; returns false (for `return fail(...)`). */
bool imap_parse_fail(struct imap_parser *ps, const char *what);

/* One character / exactly one SP. */
bool imap_parse_char(struct imap_parser *ps, char c);
bool imap_parse_sp(struct imap_parser *ps);
bool imap_peek_char(const struct imap_parser *ps, char c);

/* tag: 1*<any ASTRING-CHAR except "+">, at most IMAP_TAG_MAX. */
bool imap_parse_tag(struct imap_parser *ps, struct mc_buf *out);
/* atom: 1*ATOM-CHAR (RFC 9051 9). Also used for command names and search keys. */
bool imap_parse_atom(struct imap_parser *ps, struct mc_buf *out);
/* quoted / literal / literal8 ("~{n}"), the value unquoted into out. *binary (may be NULL)
   says a literal8 was read. Quoted strings: "\\" and "\"" escapes only, no CR/LF/NUL; a
   literal's octets may be anything except NUL (RFC 9051 4.3) unless it is literal8. */
bool imap_parse_string(struct imap_parser *ps, struct mc_buf *out, bool *binary);
/* astring: 1*ASTRING-CHAR / string (so "]" is allowed in the atom form). */
bool imap_parse_astring(struct imap_parser *ps, struct mc_buf *out);
/* list-mailbox: 1*list-char / string (atoms may contain "%" and "*"). */
bool imap_parse_list_mailbox(struct imap_parser *ps, struct mc_buf *out);
/* number (32-bit, no sign) and nz-number. */
bool imap_parse_number(struct imap_parser *ps, uint32_t *out);
bool imap_parse_nz_number(struct imap_parser *ps, uint32_t *out);
/* number64 (RFC 9051 9), for MODSEQ-like values and partial offsets. */
bool imap_parse_number64(struct imap_parser *ps, uint64_t *out);
/* sequence-set (numbers must be nz-number), or "$" alone (RFC 5182 2.1: it cannot be combined
   with numbers), which sets out->saved: what it names is the session's to say. */
bool imap_parse_seqset(struct imap_parser *ps, struct imap_seqset *out);
/* flag-list "(" [flag *(SP flag)] ")" — or, with allow_bare, also the bare "flag *(SP flag)"
   form STORE accepts. System flags go to *flags (enum ms_flag bits: \Seen \Answered \Flagged
   \Deleted \Draft, any case); keywords (atoms without "\") are appended to keywords. \Recent
   and other "\" flag-extensions are refused ("\Recent cannot be set"), as is "\*". */
bool imap_parse_flags(struct imap_parser *ps, bool allow_bare, unsigned *flags,
                      struct mc_strv *keywords);
/* date (RFC 9051 9: date-text or DQUOTE date-text DQUOTE, "1-Feb-1994"), as 00:00:00 UTC of
   that day (SEARCH compares dates, not times). */
bool imap_parse_date(struct imap_parser *ps, time_t *out);
/* date-time: DQUOTE "dd-Mon-yyyy hh:mm:ss +zzzz" DQUOTE (day may be " d"), as a UTC time_t. */
bool imap_parse_date_time(struct imap_parser *ps, time_t *out);

/* ---- sequence sets ---- */
/* Is n in the set, when "*" stands for star (the largest number in use, 0 for none)? */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t star);
/* The largest number the set names when "*" stands for star (for "no such message" checks). */
uint32_t imap_seqset_max(const struct imap_seqset *set, uint32_t star);
/* The set with "*" replaced by star, as ascending, disjoint, non-adjacent ranges lo <= hi in out
   (replaced): walking it beside an ascending list costs ranges + items, not their product. */
void imap_seqset_resolve(const struct imap_seqset *set, uint32_t star, struct imap_seqset *out);
void imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi);
void imap_seqset_free(struct imap_seqset *set);

/* ---- writing ---- */
/* A string as an atom-safe quoted string, or as a literal "{n}\r\n..." when it holds CR, LF,
   NUL, 8-bit octets (unless utf8_ok) or is long (> 1024 octets). NUL octets, which no IMAP
   string may carry (RFC 9051 4.3), are left out. */
void imap_write_string(struct mc_buf *out, const char *data, size_t len, bool utf8_ok);
/* nstring: NIL for NULL, else imap_write_string. */
void imap_write_nstring(struct mc_buf *out, const char *data, size_t len, bool utf8_ok);
/* astring: the atom form when every octet is an ASTRING-CHAR (and it is not "NIL", which would
   read as nil), else imap_write_string. */
void imap_write_astring(struct mc_buf *out, const char *data, size_t len, bool utf8_ok);
/* "(\Seen \Flagged kw1 kw2)" (with \Recent first when recent). */
void imap_write_flags(struct mc_buf *out, unsigned flags, const struct mc_strv *keywords,
                      bool recent);
/* date-time of RFC 9051 9 for an INTERNALDATE, in UTC: "\"17-Jul-1996 02:44:25 +0000\"". */
void imap_write_date_time(struct mc_buf *out, time_t t);
/* A sorted list of numbers as a compact sequence set "1:3,7,9:10" (COPYUID, APPENDUID,
   ESEARCH ALL). nums need not be sorted; duplicates are dropped. */
void imap_write_numbers(struct mc_buf *out, const uint32_t *nums, size_t n);

#endif
