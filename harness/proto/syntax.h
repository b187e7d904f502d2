/*
 * syntax — the few pieces of line syntax every framer shares.
 *
 * pop3.c, imap.c and smtp.c each own their grammar; what they have in common lives here: the
 * harness's own safety cap on one reply (the memory it holds, which no RFC sets), case-insensitive
 * token comparison on binary-safe lines (a hostile peer may send NUL bytes, so nothing here
 * calls strlen on peer data), a printable excerpt of a bad line for a violation message, and
 * the bookkeeping of a finished reply. Nothing here knows a protocol's words.
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

/* Appends a quoted, printable excerpt of peer bytes ("\"250-x\\x00y...\"") to out. */
void mc_syn_excerpt(struct mc_buf *out, const char *s, size_t len);
/* The same as a NUL-terminated string the caller frees. */
char *mc_syn_excerpt_dup(const char *s, size_t len);

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
   of line, text = a copy of line from text_off on. */
void mc_syn_finish(struct mc_reply *r, enum mc_reply_kind kind, const char *status,
                   const char *line, size_t len, size_t text_off, bool positive);

/* Writes a command: line + CRLF, or with `raw` the bytes exactly as given (a scenario may send
   a malformed line on purpose). A NULL line writes nothing (the engine awaits a reply). */
void mc_syn_write_command(struct mc_buf *wire, const char *line, size_t len, bool raw);
/* Length of s up to its first CR or LF: the first line of a raw send. */
size_t mc_syn_first_line_len(const char *s, size_t len);

/* "VERB MECH" or "VERB MECH initial", "=" standing for an empty initial response (the rule
   RFC 4954 4, RFC 5034 4 and RFC 4959 share). */
void mc_syn_auth_command(struct mc_buf *out, const char *verb, const char *mech,
                         const char *initial);

#endif
