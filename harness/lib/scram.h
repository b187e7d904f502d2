/*
 * scram — syntax shared by both sides of SCRAM (RFC 5802 section 7): the "x=value"
 * attributes of its messages. The client (sasl.c) and the server (sasl_server_scram.c) parse the
 * same grammar, so they parse it with the same code.
 */
#ifndef MC_LIB_SCRAM_H
#define MC_LIB_SCRAM_H

#include <stdbool.h>
#include <stddef.h>

/* Splits the next "x=value" attribute off [*p, end) and moves *p past it (and its comma);
   false, leaving *p alone, if the next attribute is not `name`. */
bool mc_scram_attr(const char **p, const char *end, char name, const char **val, size_t *val_len);

/* A nonce: printable ASCII 0x21..0x7E except "," (RFC 5802 section 7), at least one octet. */
bool mc_scram_nonce_valid(const char *p, size_t n);

#endif
