/*
 * message — generates the RFC 5322 messages scenarios send and deliver.
 *
 * Messages are deterministic for given parameters (so reports are comparable between runs) and
 * carry the run id in Subject and Message-ID, so a scenario can find its own mail. Lines are
 * CRLF-terminated and at most 78 characters (RFC 5322 §2.1.1 SHOULD); body lines starting with
 * "." are included on purpose so dot-stuffing is exercised on every delivery.
 */
#ifndef MC_LIB_MESSAGE_H
#define MC_LIB_MESSAGE_H

#include "lib/buf.h"

struct mc_message_params {
    const char *from;       /* "mailconform@localhost" */
    const char *to;         /* "mc01@localhost" */
    const char *subject;    /* used as given */
    const char *body;       /* explicit body (lines separated by "\n" or "\r\n"), or NULL */
    int body_lines;         /* generated body lines when body is NULL (>= 0) */
    const char *message_id; /* "<run.n@mailconform.invalid>", or NULL to derive from subject */
    long long date;         /* seconds since the epoch for the Date header */
};

/* Appends the whole message (headers, blank line, body), every line ending in CRLF, without
   any SMTP dot-stuffing or terminator. */
void mc_message_generate(const struct mc_message_params *p, struct mc_buf *out);

#endif
