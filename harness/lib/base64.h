/*
 * base64 — the base64 encoding of RFC 4648 section 4, strict on the way in.
 *
 * SASL carries its challenges and responses base64-encoded (RFC 4422 section 3 and the protocol
 * profiles: RFC 5034, RFC 9051 6.2.2, RFC 4954), SCRAM nests base64 inside its messages
 * (RFC 5802 section 7), and the JSON report keeps bytes that are not text as base64. Decoding is
 * strict: the standard alphabet only (no URL-safe "-_", no whitespace, no line breaks), a length
 * that is a multiple of 4, and "=" only as the last one or two characters. A peer that sends
 * anything else is not sending base64, and a conformance tool says so. Non-zero pad bits are
 * accepted (RFC 4648 section 3.5 leaves that choice to the decoder). MIME bodies, which may
 * contain line breaks and garbage, have a lenient decoder of their own (mime_decode.c).
 */
#ifndef MC_LIB_BASE64_H
#define MC_LIB_BASE64_H

#include <stddef.h>

#include "lib/buf.h"

/* Appends the base64 of `len` bytes to `out` (padded; no line breaks). */
void mc_base64_encode(const void *data, size_t len, struct mc_buf *out);
/* Appends the bytes `text` encodes and returns how many, or -1 when the text is not strict
   base64 (then `out` is unchanged). */
int mc_base64_decode(const char *text, size_t len, struct mc_buf *out);

#endif
