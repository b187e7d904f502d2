/*
 * smtp — the reference server's SMTP side on the shared mailstore: RFC 5321 for port 25,
 * submission (RFC 6409: the listener's auth_required) and SMTP over implicit TLS (RFC 8314: the
 * listener's implicit_tls), with PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, STARTTLS,
 * AUTH, SMTPUTF8 and DSN parameters; and LMTP (RFC 2033) for local delivery. Mail for local
 * users lands in their INBOX; it never relays.
 */
#ifndef RS_SMTP_H
#define RS_SMTP_H

#include "server.h"

extern const struct rs_protocol rs_smtp;
extern const struct rs_protocol rs_lmtp;

#endif
