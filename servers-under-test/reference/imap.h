/*
 * imap — the reference server's IMAP side: IMAP4rev1 (RFC 3501) and, once a client ENABLEs it,
 * IMAP4rev2 (RFC 9051), with STARTTLS, SASL, IDLE, UIDPLUS, MOVE, CONDSTORE, LITERAL+, ID, ENABLE,
 * NAMESPACE, UNSELECT, SPECIAL-USE and ESEARCH, on the shared mailstore (imap_int.h lists the
 * files and what each does).
 */
#ifndef RS_IMAP_H
#define RS_IMAP_H

#include "server.h"

extern const struct rs_protocol rs_imap;

#endif
