/*
 * imap_utf7 — mailbox names on the wire: modified UTF-7 for IMAP4rev1 (RFC 3501 5.1.3) and
 * UTF-8 for IMAP4rev2 / UTF8=ACCEPT (RFC 9051 5.1, RFC 6855 3).
 *
 * The mailstore keeps names in UTF-8. An IMAP4rev1 client sends and receives modified UTF-7:
 * printable US-ASCII stands for itself except "&", which is written "&-"; every other run of
 * characters is written "&" + modified BASE64 of its UTF-16BE + "-" ("," instead of "/", no
 * padding). Decoding is strict, as RFC 3501 5.1.3 asks of a server: a non-canonical encoding
 * (an encoded run of printable ASCII, a run split in two, a "&" not closed, bits left over,
 * bad UTF-16) is refused, so that every name has one spelling.
 */
#ifndef RS_IMAP_UTF7_H
#define RS_IMAP_UTF7_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* Modified UTF-7 to UTF-8, appended to out. false (out unchanged in length) when in is not
   canonical modified UTF-7 or contains an octet above 0x7e or a control character. */
bool imap_mutf7_to_utf8(const char *in, size_t len, struct mc_buf *out);
/* UTF-8 (valid, as the mailstore holds it) to modified UTF-7, appended to out. */
void imap_utf8_to_mutf7(const char *in, size_t len, struct mc_buf *out);

#endif
