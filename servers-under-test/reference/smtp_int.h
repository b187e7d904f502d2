/*
 * smtp_int — what smtp.c (the command dialogue and STARTTLS), smtp_auth.c (AUTH) and
 * smtp_data.c (the DATA text and delivery) share, and nobody else may see (prefix smtp_).
 */
#ifndef RS_SMTP_INT_H
#define RS_SMTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "reference/mailstore.h"
#include "reference/server.h"

#define SMTP_COMMAND_LINE_MAX 512 /* RFC 5321 4.5.3.1.4, CRLF included */
#define SMTP_TEXT_LINE_MAX 1000   /* RFC 5321 4.5.3.1.6, CRLF included */
/* What the server core buffers of one DATA line before giving up on the client: lines over
   SMTP_TEXT_LINE_MAX are refused at the final dot (500 5.5.6), lines over this are not even
   read to the end and the connection is closed (bounded memory). */
#define SMTP_TEXT_LINE_HARD_MAX (64u * 1024)
#define SMTP_AUTH_LINE_MAX 12288 /* RFC 4954 4: the client's AUTH responses, CRLF included */
#define SMTP_RECIPIENTS_MAX 100  /* RFC 5321 4.5.3.1.8 (at least 100); 452 beyond, 4.5.3.1.10 */
#define SMTP_PATH_MAX 256        /* RFC 5321 4.5.3.1.3, "<" and ">" included */
#define SMTP_LOCAL_PART_MAX 64   /* RFC 5321 4.5.3.1.1 */
#define SMTP_DOMAIN_MAX 255      /* RFC 5321 4.5.3.1.2 */
#define SMTP_IDLE_TIMEOUT_S 300  /* RFC 5321 4.5.3.2.7: the server timeout, 5 minutes */
/* Room kept below the mailstore's limit for the Return-Path and Received fields we add. */
#define SMTP_TRACE_HEADROOM 4096u
/* The message size announced in EHLO SIZE (RFC 1870) and enforced. */
#define SMTP_MESSAGE_MAX (MS_MESSAGE_SIZE_MAX - SMTP_TRACE_HEADROOM)
/* Text beyond SMTP_MESSAGE_MAX is counted and dropped until this much more arrived; then the
   client is told 552 and disconnected (an endless DATA must not hold the session forever). */
#define SMTP_MESSAGE_OVERRUN_MAX (1024u * 1024)
/* Digits of a BDAT chunk size (RFC 3030 2: 1*DIGIT); more cannot be a real chunk. */
#define SMTP_BDAT_SIZE_DIGITS_MAX 18

struct mc_sasl_server;

enum smtp_mode {
    SMTP_MODE_COMMAND, /* lines are commands */
    SMTP_MODE_DATA,    /* after 354: lines are message text until "." */
    SMTP_MODE_AUTH,    /* after 334: lines are SASL responses */
};

struct smtp_rcpt {
    char *address;        /* as given, without "<>" */
    struct ms_user *user; /* NULL: a non-local recipient accepted from an authenticated client */
};

struct smtp {
    bool lmtp;
    enum smtp_mode mode;
    char *helo;                  /* the HELO/EHLO/LHLO argument; NULL before it */
    bool esmtp;                  /* EHLO or LHLO, not HELO: service extensions may be used */
    char *authed;                /* the authenticated user, NULL before AUTH */
    struct mc_sasl_server *sasl; /* the AUTH exchange in progress */
    /* The mail transaction (RFC 5321 3.3). */
    bool in_mail;
    char *reverse_path; /* "" for the null reverse-path */
    bool smtputf8;      /* MAIL ... SMTPUTF8 (RFC 6531) */
    struct smtp_rcpt *rcpts;
    size_t rcpt_count;
    /* The DATA text being received. */
    struct mc_buf text;  /* unstuffed, CRLF line ends; emptied once over the limit */
    size_t text_octets;  /* counted even when dropped */
    bool prev_line_crlf; /* the previous line ended in CRLF: a "." line may end the text */
    bool bad_line_end;   /* a bare CR or LF was seen (RFC 5321 2.3.8) */
    bool text_line_too_long;
    /* BDAT (RFC 3030): the chunk being read, and whether earlier chunks were accepted. */
    bool bdat_started;        /* a chunk was accepted: the text comes by BDAT, not DATA */
    bool bdat_last;           /* the chunk being read is the LAST one */
    size_t bdat_chunk;        /* its size */
    const char *bdat_refusal; /* the reply once it is read and dropped, or NULL */
};

/* smtp.c */
void smtp_transaction_reset(struct smtp *m);
bool smtp_auth_offered(struct rs_session *s, const struct smtp *m); /* over TLS, not LMTP */

/* smtp_auth.c */
void smtp_auth_command(struct rs_session *s, struct smtp *m, const char *arg);
void smtp_auth_response(struct rs_session *s, struct smtp *m, const char *line, size_t len);

/* smtp_data.c */
void smtp_data_begin(struct rs_session *s, struct smtp *m);
void smtp_data_line(struct rs_session *s, struct smtp *m, const char *line, size_t len,
                    bool bare_lf);
void smtp_bdat_command(struct rs_session *s, struct smtp *m, const char *arg);
void smtp_bdat_octets(struct rs_session *s, struct smtp *m, const char *data, size_t len,
                      bool last);
/* The date of RFC 5322 3.3, in UTC, for trace fields. */
void smtp_format_date(char *out, size_t size, time_t t);

#endif
