/*
 * escape — peer bytes made readable for people, with every byte still accounted for.
 *
 * A broken or hostile server may put NUL bytes, control characters and octets that are not
 * UTF-8 in its replies. Where such bytes are shown to people (a step's `got` and the probe's
 * greeting in the report, the excerpt of a bad line in a violation message) they are written
 * so that nothing is lost and nothing is ambiguous: printable US-ASCII stays as it is, a
 * backslash is doubled, and every other octet becomes \xHH (lower-case hex) — except
 * well-formed UTF-8 (RFC 3629) for a printable character, which stays as it is when the
 * caller asks (text meant to be read, like "250 Grüße"). Read back, "\\" is one backslash,
 * "\xHH" one octet and any other character itself. The exact bytes stay in the transcript.
 */
#ifndef MC_LIB_ESCAPE_H
#define MC_LIB_ESCAPE_H

#include <stddef.h>

#include "lib/buf.h"

enum mc_escape_flags {
    MC_ESCAPE_KEEP_UTF8 = 1, /* printable non-ASCII characters in well-formed UTF-8 stay */
    MC_ESCAPE_QUOTE = 2,     /* '"' becomes \" too (for text shown between double quotes) */
};

/* Appends s[0..len) escaped to out. */
void mc_escape_append(struct mc_buf *out, const char *s, size_t len, unsigned flags);
/* The same as a NUL-terminated string the caller frees; NULL when s is NULL. */
char *mc_escape_dup(const char *s, size_t len, unsigned flags);

#endif
