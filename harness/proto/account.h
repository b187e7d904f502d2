/*
 * account — how each protocol empties a disposable test account (the slots empty_begin,
 * empty_step, empty_end of struct mc_protocol). IMAP's dialogue is long enough for a file of
 * its own (imap_account.c); POP3's lives in pop3.c.
 */
#ifndef MC_PROTO_ACCOUNT_H
#define MC_PROTO_ACCOUNT_H

#include "proto/protocol.h"

struct mc_account_emptier *mc_imap_empty_begin(bool check_only);
enum mc_empty mc_imap_empty_step(struct mc_account_emptier *st, const struct mc_reply *r,
                                 struct mc_strv *next, struct mc_buf *why);
void mc_imap_empty_end(struct mc_account_emptier *st);

#endif
