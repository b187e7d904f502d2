/*
 * syntax — the few pieces of line syntax every framer shares.
 *
 * pop3.c, imap.c and smtp.c each own their grammar; what they have in common lives here: the
 * harness's own safety cap on one reply (the memory it holds, which no RFC sets), case-insensitive
 * token comparison on binary-safe lines (a hostile peer may send NUL bytes, so nothing here
 * calls strlen on peer data), a printable excerpt of a bad line for a violation message, the
 * check of a line's octets against a grammar rule (each framer declares its rules), and the
 * bookkeeping of a finished reply. Nothing here knows a protocol's words.
 */
#ifndef MC_PROTO_SYNTAX_H
#define MC_PROTO_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "proto/protocol.h"

/* The one limit on a reply: the memory it may hold, its lines and literals and what storing
   them costs. A harness safety limit, not an RFC one: no RFC bounds a reply (a FETCH of a whole
   mailbox is one IMAP reply), but the engine must never grow without bound when a peer streams
   forever. It holds IMAP's largest literal (IMAP_LITERAL_MAX in imap.c, 64 MiB) with 32 MiB of
   lines around it, and is small enough that -j scenarios flooded at once stay affordable. */
#define MC_SYN_REPLY_MEMORY_MAX (96u * 1024u * 1024u)
/* What one stored line (or literal) costs beyond its octets: its slots in the reply's vectors
   (`lines` and `data`, 24 octets each, more while a vector grows), the allocation header and
   rounding, the NUL. Measured on glibc x86-64, lines of 2 to 58 octets cost 89 to 165 octets
   each in all, so the cap bounds real memory for a flood of short lines too, where this
   outweighs the octets several times. */
#define MC_SYN_LINE_OVERHEAD 128u
#define MC_SYN_EXCERPT_MAX 60u /* octets of a bad line quoted in a violation message */

/* What one reply holds so far, in octets of memory, against MC_SYN_REPLY_MEMORY_MAX. */
struct mc_syn_budget {
    size_t bytes;
};

/* Accounts for `lines` more stored lines (or literals) holding `bytes` more octets; false (with
   r->violation set) when that would exceed the limit. Checked before anything is stored, so
   nothing is allocated for a reply that is refused. */
bool mc_syn_budget_take(struct mc_syn_budget *b, size_t lines, size_t bytes, struct mc_reply *r);

/* Sets r->violation (replacing any previous one). */
void mc_syn_violation(struct mc_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends a quoted, printable excerpt of peer bytes ("\"250-x\\x00y...\"") to out, escaped as
   lib/escape.h says (UTF-8 kept, '"' escaped), cut after MC_SYN_EXCERPT_MAX octets. */
void mc_syn_excerpt(struct mc_buf *out, const char *s, size_t len);
/* The same as a NUL-terminated string the caller frees. */
char *mc_syn_excerpt_dup(const char *s, size_t len);

/* The octets a line grammar admits beyond printable US-ASCII (%x20-7E), which all admit. */
enum mc_syn_octets {
    MC_OCT_HTAB = 1 << 0, /* %x09 */
    MC_OCT_CTL = 1 << 1,  /* the other controls (%x01-08, %x0B-0C, %x0E-1F) and DEL (%x7F) */
    MC_OCT_CR = 1 << 2,   /* %x0D not followed by LF: inside a line, or inside a literal */
    MC_OCT_LF = 1 << 3,   /* %x0A inside a literal (inside a line it would have ended it) */
    MC_OCT_NUL = 1 << 4,  /* %x00 */
    MC_OCT_UTF8 = 1 << 5, /* %x80-FF forming well-formed UTF-8 sequences (RFC 3629 4) */
    MC_OCT_8BIT = 1 << 6, /* %x80-FF, however they are arranged */
};

/* What a grammar rule lets through, and how a violation cites it. */
struct mc_syn_charset {
    unsigned allow;   /* enum mc_syn_octets */
    const char *rule; /* "RFC 5321 4.2: textstring = 1*(%d09 / %d32-126), ..." */
};

/* Offset of the first octet of s[0..len) that `allow` refuses (an ill-formed UTF-8 sequence at
   its first octet), or len when every octet passes. */
size_t mc_syn_octet_refused(const char *s, size_t len, unsigned allow);

/* Checks the octets line[from..to) of a reply line (len octets) against a rule. On the first
   refused octet: r->violation names the octet, its offset in the line, the line and the rule;
   the line becomes r->status_line (what a report shows as "got"), and false is returned. */
bool mc_syn_check_line(struct mc_reply *r, const char *line, size_t len, size_t from, size_t to,
                       const struct mc_syn_charset *cs);
/* Makes the line that broke the grammar the reply's status line (all len octets), so that what
   came is shown with the violation. */
void mc_syn_blame_line(struct mc_reply *r, const char *line, size_t len);
/* The same for the payload of a literal; `done` octets of it came before data. */
bool mc_syn_check_literal(struct mc_reply *r, const char *data, size_t len, size_t done,
                          const struct mc_syn_charset *cs);

/* Length of the token at the start of s (up to SP, HTAB or the end). */
size_t mc_syn_token_len(const char *s, size_t len);
/* True when s[0..len) equals word, ignoring ASCII case. */
bool mc_syn_token_eq(const char *s, size_t len, const char *word);
/* Skips leading SP/HTAB; returns how many were skipped. */
size_t mc_syn_skip_space(const char *s, size_t len);

/* Pushes s[0..len) upper-cased (ASCII) onto v unless v already holds it (ignoring case). */
void mc_syn_push_upper(struct mc_strv *v, const char *s, size_t len);
/* Same, for prefix + s ("AUTH=" + "plain" -> "AUTH=PLAIN"). */
void mc_syn_push_upper_prefixed(struct mc_strv *v, const char *prefix, const char *s, size_t len);
/* Capability lines (POP3 CAPA body, SMTP EHLO lines): the first word of each line from index
   `first` on, upper-cased; on the line whose first word is `list_word` ("SASL", "AUTH") each
   further word also as "LIST_WORD=WORD" ("SASL=PLAIN"). */
void mc_syn_keyword_lines(const struct mc_strv *lines, size_t first, const char *list_word,
                          struct mc_strv *out);

/* Fills the status fields of a finished reply: status (truncated to fit), status_line = a copy
   of line (all len octets, NULs included, in status_line_len), text = a copy of line from
   text_off on. */
void mc_syn_finish(struct mc_reply *r, enum mc_reply_kind kind, const char *status,
                   const char *line, size_t len, size_t text_off, bool positive);

/* Writes a command: line + CRLF, or with `raw` the bytes exactly as given (a scenario may send
   a malformed line on purpose). A NULL line writes nothing (the engine awaits a reply). */
void mc_syn_write_command(struct mc_buf *wire, const char *line, size_t len, bool raw);
/* Length of s up to its first CR or LF: the first line of a raw send. */
size_t mc_syn_first_line_len(const char *s, size_t len);

/* For starttls_ready: appends to `why` (when non-NULL) that the positive reply r to `command`
   does not start TLS, and `rule`, the reply that would ("only 220 does (RFC 3207 section 4)").
   Returns false. */
bool mc_syn_starttls_not_ready(const struct mc_reply *r, const char *command, const char *rule,
                               struct mc_buf *why);

/* "VERB MECH" or "VERB MECH initial", "=" standing for an empty initial response (the rule
   RFC 4954 4, RFC 5034 4 and RFC 4959 share). */
void mc_syn_auth_command(struct mc_buf *out, const char *verb, const char *mech,
                         const char *initial);

#endif
