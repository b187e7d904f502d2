/*
 * imap_search — the SEARCH command's program (RFC 3501 6.4.4, RFC 9051 6.4.4): parsing the
 * search keys into a tree and testing one message against it.
 *
 * Every key of RFC 3501 is supported: sequence sets, ALL, ANSWERED, BCC, BEFORE, BODY, CC,
 * DELETED, DRAFT, FLAGGED, FROM, HEADER, KEYWORD, LARGER, NEW, NOT, OLD, ON, OR, RECENT, SEEN,
 * SENTBEFORE, SENTON, SENTSINCE, SINCE, SMALLER, SUBJECT, TEXT, TO, UID, UNANSWERED, UNDELETED,
 * UNDRAFT, UNFLAGGED, UNKEYWORD, UNSEEN, and parenthesised lists (AND); and MODSEQ of
 * CONDSTORE (RFC 7162 3.1.5). String keys match as
 * case-insensitive substrings (ASCII case folding plus the simple Unicode folding of Latin
 * letters is enough here) of the decoded text: header values with RFC 2047 words decoded, body
 * parts with their transfer encoding undone and converted from their charset to UTF-8; BODY
 * searches text bodies only (every part of type text, and message/rfc822 bodies), TEXT the
 * header and the body. Dates: BEFORE/ON/SINCE use the internal date as a day in UTC (its own
 * time zone is not kept), SENT* the day written in the Date: header, its time and zone
 * disregarded (RFC 3501 6.4.4; Dovecot does the same).
 *
 * CHARSET: US-ASCII and UTF-8 are accepted (RFC 9051 requires UTF-8); anything else is
 * refused so that imap.c can answer NO [BADCHARSET (US-ASCII UTF-8)].
 *
 * RFC 4731 / RFC 9051 ESEARCH: "SEARCH RETURN (MIN MAX COUNT ALL)" before the keys is parsed
 * here too; an empty RETURN () means ALL.
 */
#ifndef RS_IMAP_SEARCH_H
#define RS_IMAP_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "reference/imap_parse.h"
#include "reference/mailstore.h"

#define IMAP_SEARCH_DEPTH_MAX 64   /* nested parentheses / NOT / OR (harness limit) */
#define IMAP_SEARCH_KEYS_MAX 10000 /* keys in one program (harness limit) */

enum imap_search_return {
    IMAP_RETURN_MIN = 1u << 0,
    IMAP_RETURN_MAX = 1u << 1,
    IMAP_RETURN_ALL = 1u << 2,
    IMAP_RETURN_COUNT = 1u << 3,
    IMAP_RETURN_SAVE = 1u << 4, /* keep the result for "$" (RFC 5182 2.1) */
};

enum imap_search_error {
    IMAP_SEARCH_OK,
    IMAP_SEARCH_BAD,         /* syntax: tagged BAD with ps->error */
    IMAP_SEARCH_BAD_CHARSET, /* tagged NO [BADCHARSET (US-ASCII UTF-8)] */
};

struct imap_search; /* a parsed program */

/* The message being tested. */
struct imap_search_target {
    const struct ms_message *msg;
    uint32_t seq;
    bool recent;
    uint32_t max_seq;               /* what "*" means for sequence sets */
    uint32_t max_uid;               /* what "*" means for UID sets */
    const struct ms_uidlist *saved; /* what "$" names: UIDs, ascending (may be NULL: none) */
};

/* Parses what follows "SEARCH " (or "UID SEARCH "): [RETURN (...)] [CHARSET x] keys, to the end
   of the command. esearch_allowed: RETURN is accepted (always true today: ESEARCH is
   announced). On success *out is the program and *returns the RETURN options (0: no RETURN
   given, answer with the classic "* SEARCH"). On failure *out is NULL and *returns is
   IMAP_RETURN_SAVE when a RETURN asking to SAVE was read before the error (the failed search
   then empties "$", RFC 5182 2.1), else 0. */
enum imap_search_error imap_search_parse(struct imap_parser *ps, bool esearch_allowed,
                                         struct imap_search **out, unsigned *returns);
bool imap_search_match(const struct imap_search *q, const struct imap_search_target *t);
/* Does the program use the MODSEQ key (RFC 7162 3.1.5: the answer then ends with the highest
   mod-sequence of the messages found)? */
bool imap_search_uses_modseq(const struct imap_search *q);
void imap_search_free(struct imap_search *q);

#endif
