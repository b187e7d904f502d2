/*
 * mime_int — internal to the MIME code: small helpers shared by mime*.c (defined in mime.c).
 * Nothing else may include it; the public interface is lib/mime.h. Shared helpers carry the
 * prefix mime_.
 */
#ifndef MC_LIB_MIME_INT_H
#define MC_LIB_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

/* WSP of RFC 5234: space or horizontal tab. */
bool mime_is_wsp(char c);
/* Room for item `count` of an array whose capacity is the next power of two, so that adding
   items one at a time stays linear; returns the (possibly moved) array. */
void *mime_grow(void *items, size_t count, size_t size);

#endif
