/*
 * pop3 — the reference server's POP3 side (RFC 1939, RFC 2449 CAPA and response codes,
 * RFC 2595 STLS), on the shared mailstore.
 */
#ifndef RS_POP3_H
#define RS_POP3_H

#include "server.h"

extern const struct rs_protocol rs_pop3;

#endif
