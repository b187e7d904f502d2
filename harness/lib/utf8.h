/*
 * utf8 — strict UTF-8 (RFC 3629): decoding one sequence, validating a string, encoding.
 *
 * Well-formed means what RFC 3629 3 allows and nothing more: no overlong forms (C0, C1, E0 80..9F,
 * F0 80..8F), no UTF-16 surrogates (ED A0..BF), nothing above U+10FFFF (F4 90.., F5..FF), no
 * stray or missing continuation octets. U+0000 is well-formed (a caller that keeps C strings
 * refuses it itself). The reference server uses this for mailbox names (mailstore, IMAP
 * UTF8=ACCEPT) and for the 8-bit text IMAP accepts, so that one name has one spelling.
 */
#ifndef MC_LIB_UTF8_H
#define MC_LIB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Decodes the well-formed sequence at the start of s (len > 0) into *cp; its length in octets,
   0 when ill-formed or cut by len (*cp then unchanged). */
size_t mc_utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Are these len octets well-formed UTF-8? */
bool mc_utf8_valid(const char *s, size_t len);
/* Appends code point cp (at most U+10FFFF; the caller keeps surrogates out) as UTF-8. */
void mc_utf8_append(struct mc_buf *out, uint32_t cp);

#endif
