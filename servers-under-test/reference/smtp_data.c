/*
 * smtp_data — the DATA part of the reference SMTP/LMTP server (see smtp_int.h): receiving the
 * text up to the final dot, and delivering it to every recipient's INBOX.
 *
 * The text arrives as lines (the server core cuts them). One leading dot is removed from every
 * line (RFC 5321 4.5.2). Only <CRLF>.<CRLF> ends the text: a "." line ending in a bare LF, or
 * following a line that did, is text. A bare CR or LF anywhere in the text refuses the message
 * with 550 5.6.0 at the real end (RFC 5321 2.3.8 forbids them outside CRLF; accepting them as
 * line ends is what makes SMTP smuggling possible, since another server may see a different
 * end of data than we do). A line over SMTP_TEXT_LINE_MAX gets 500 5.5.6 and a message over
 * SMTP_MESSAGE_MAX gets 552 5.3.4, both once the final dot arrived; the text over the limit is
 * counted and dropped, never buffered.
 *
 * Delivery adds Return-Path (RFC 5321 4.4) and a Received field, appends one copy to the INBOX
 * of every distinct local user and answers 250 only once every append returned MS_OK; if one
 * fails, the copies already appended are removed again and the client gets 451 4.3.0, so a
 * retry does not duplicate. Non-local recipients (accepted only from an authenticated client)
 * are a sink: the reference server has no queue and never relays. LMTP answers once per
 * recipient (RFC 2033 4.2).
 *
 * BDAT (RFC 3030) brings the text in chunks of announced size instead: the core hands each
 * chunk over as raw octets, appended as they are (no dot-stuffing, no line-end check, since a
 * chunk's end is a count, not a line that another server could read differently). Each chunk
 * gets "250 2.0.0 <n> octets received", the LAST one the delivery reply of DATA. A refused
 * BDAT whose size could be parsed (no MAIL or RCPT: 503; the running total over
 * SMTP_MESSAGE_MAX: 552) still has its chunk read and dropped, never buffered, and is answered
 * after it, so the chunk is never read as commands; the session goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "reference/smtp_int.h"

/* ---- receiving ---- */

void smtp_data_begin(struct rs_session *s, struct smtp *m)
{
    m->mode = SMTP_MODE_DATA;
    mc_buf_reset(&m->text);
    m->text_octets = 0;
    m->prev_line_crlf = true; /* the DATA command's line end */
    m->bad_line_end = false;
    m->text_line_too_long = false;
    rs_session_set_line_max(s, SMTP_TEXT_LINE_HARD_MAX);
    rs_session_send(s, "354 End data with <CR><LF>.<CR><LF>");
}

static void data_end_mode(struct rs_session *s, struct smtp *m)
{
    m->mode = SMTP_MODE_COMMAND;
    rs_session_set_line_max(s, SMTP_COMMAND_LINE_MAX);
}

static void data_append(struct rs_session *s, struct smtp *m, const char *text, size_t len)
{
    m->text_octets += len + 2;
    if (m->text_octets <= SMTP_MESSAGE_MAX) {
        mc_buf_append(&m->text, text, len);
        mc_buf_append(&m->text, "\r\n", 2);
        return;
    }
    mc_buf_free(&m->text); /* over the limit: count, drop */
    if (m->text_octets > SMTP_MESSAGE_MAX + (size_t)SMTP_MESSAGE_OVERRUN_MAX) {
        rs_session_send(s, "552 5.3.4 Message size exceeds fixed maximum message size");
        smtp_transaction_reset(m);
        data_end_mode(s, m);
        rs_session_close(s);
    }
}

/* ---- delivering ---- */

void smtp_format_date(char *out, size_t size, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* RFC 3848 (and RFC 6531 3.7.3 for the UTF8 forms): how the message came in. */
static void with_protocol(struct rs_session *s, const struct smtp *m, char *out, size_t size)
{
    if (!m->esmtp) {
        snprintf(out, size, "SMTP");
        return;
    }
    snprintf(out, size, "%s%s%s%s", m->smtputf8 ? "UTF8" : "",
             m->lmtp       ? "LMTP"
             : m->smtputf8 ? "SMTP"
                           : "ESMTP",
             rs_session_tls_active(s) ? "S" : "", m->authed ? "A" : "");
}

static void trace_fields(struct rs_session *s, const struct smtp *m, const char *rcpt,
                         const char *id, struct mc_buf *out)
{
    char date[64], proto[16];
    smtp_format_date(date, sizeof date, time(NULL));
    with_protocol(s, m, proto, sizeof proto);
    mc_buf_printf(out, "Return-Path: <%s>\r\n", m->reverse_path);
    mc_buf_printf(out,
                  "Received: from %s\r\n\tby %s (mailconform reference) with %s id %s\r\n"
                  "\tfor <%s>; %s\r\n",
                  m->helo, rs_session_hostname(s), proto, id, rcpt, date);
}

/* The first recipient index of the same user, so every user gets one copy. */
static size_t first_of_user(const struct smtp *m, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (m->rcpts[j].user == m->rcpts[i].user)
            return j;
    return i;
}

/* Appends one copy per distinct local user; ok[i] tells for recipient i. All copies are
   removed again when one fails, unless `keep_partial` (LMTP reports per recipient). */
static bool deliver(struct rs_session *s, struct smtp *m, const char *id, bool *ok,
                    bool keep_partial)
{
    uint32_t *uids = mc_xcalloc(m->rcpt_count + 1, sizeof *uids);
    bool all = true;
    for (size_t i = 0; i < m->rcpt_count; i++) {
        struct smtp_rcpt *r = &m->rcpts[i];
        size_t first = first_of_user(m, i);
        if (!r->user || first != i) {
            ok[i] = r->user ? ok[first] : true; /* non-local: the sink */
            continue;
        }
        struct mc_buf msg = {0};
        trace_fields(s, m, r->address, id, &msg);
        mc_buf_append(&msg, m->text.data ? m->text.data : "", m->text.len);
        ok[i] = ms_mailbox_append(ms_user_inbox(r->user), msg.data, msg.len, 0, NULL, time(NULL),
                                  &uids[i]) == MS_OK;
        all = all && ok[i];
        mc_buf_free(&msg);
    }
    for (size_t i = 0; !all && !keep_partial && i < m->rcpt_count; i++)
        if (m->rcpts[i].user && ok[i] && first_of_user(m, i) == i)
            ms_mailbox_delete_uids(ms_user_inbox(m->rcpts[i].user), &uids[i], 1);
    free(uids);
    return all;
}

/* The reply for a message refused as a whole, or NULL. */
static const char *text_refusal(const struct smtp *m)
{
    if (m->text_octets > SMTP_MESSAGE_MAX)
        return "552 5.3.4 Message size exceeds fixed maximum message size";
    if (m->bad_line_end)
        return "550 5.6.0 Bare CR or LF in message text (RFC 5321 2.3.8)";
    if (m->text_line_too_long)
        return "500 5.5.6 Text line too long (RFC 5321 4.5.3.1.6: 1000 octets)";
    return NULL;
}

static void data_finish(struct rs_session *s, struct smtp *m)
{
    static unsigned long counter;
    char id[48];
    snprintf(id, sizeof id, "%lX.%lu", (unsigned long)time(NULL), ++counter);
    const char *refusal = text_refusal(m);
    bool *ok = mc_xcalloc(m->rcpt_count + 1, sizeof *ok);
    bool all = refusal ? false : deliver(s, m, id, ok, m->lmtp);
    if (m->lmtp) {
        for (size_t i = 0; i < m->rcpt_count; i++) {
            if (refusal)
                rs_session_send(s, "%s", refusal);
            else if (ok[i])
                rs_session_send(s, "250 2.1.5 <%s> delivered as %s", m->rcpts[i].address, id);
            else
                rs_session_send(s, "451 4.3.0 <%s> delivery failed", m->rcpts[i].address);
        }
    } else if (refusal) {
        rs_session_send(s, "%s", refusal);
    } else if (all) {
        rs_session_send(s, "250 2.0.0 Ok: delivered as %s", id);
    } else {
        rs_session_send(s, "451 4.3.0 Local delivery failed, try again later");
    }
    free(ok);
    smtp_transaction_reset(m);
    data_end_mode(s, m);
}

/* ---- BDAT (RFC 3030) ---- */

/* "<size> [LAST]": false on a syntax error. */
static bool bdat_parse(const char *arg, size_t *size, bool *last)
{
    size_t digits = arg ? strspn(arg, "0123456789") : 0;
    if (digits == 0 || digits > SMTP_BDAT_SIZE_DIGITS_MAX)
        return false;
    const char *rest = arg + digits;
    *last = strcasecmp(rest, " LAST") == 0;
    if (*rest && !*last)
        return false;
    *size = (size_t)strtoull(arg, NULL, 10);
    return true;
}

/* The reply to a BDAT that must be refused, or NULL. */
static const char *bdat_refusal(const struct smtp *m, size_t size)
{
    if (!m->in_mail)
        return "503 5.5.1 Need MAIL command";
    if (m->rcpt_count == 0)
        return "503 5.5.1 Need RCPT command (no valid recipients)";
    if (size > SMTP_MESSAGE_MAX || m->text_octets + size > SMTP_MESSAGE_MAX)
        return "552 5.3.4 Message size exceeds fixed maximum message size";
    return NULL;
}

/* The whole chunk has been read. */
static void bdat_chunk_done(struct rs_session *s, struct smtp *m)
{
    const char *refusal = m->bdat_refusal;
    m->bdat_refusal = NULL;
    if (refusal) {
        rs_session_send(s, "%s", refusal);
        if (refusal[0] == '5' && refusal[1] == '5') /* 552: this message is lost */
            smtp_transaction_reset(m);
    } else if (m->bdat_last) {
        data_finish(s, m);
    } else {
        rs_session_send(s, "250 2.0.0 %zu octets received", m->bdat_chunk);
    }
}

void smtp_bdat_command(struct rs_session *s, struct smtp *m, const char *arg)
{
    size_t size;
    bool last;
    if (!bdat_parse(arg, &size, &last)) {
        /* The chunk's size is unknown: what follows is read as commands (RFC 3030 2). */
        rs_session_send(s, "501 5.5.4 Syntax: BDAT <size> [LAST]");
        return;
    }
    if (m->in_mail && !m->bdat_started) { /* the first chunk of the text */
        mc_buf_reset(&m->text);
        m->text_octets = 0;
        m->bad_line_end = false;
        m->text_line_too_long = false;
    }
    m->bdat_refusal = bdat_refusal(m, size);
    m->bdat_chunk = size;
    m->bdat_last = last;
    if (!m->bdat_refusal) {
        m->bdat_started = true;
        m->text_octets += size;
    }
    if (size == 0)
        bdat_chunk_done(s, m);
    else
        rs_session_read_octets(s, size);
}

void smtp_bdat_octets(struct rs_session *s, struct smtp *m, const char *data, size_t len, bool last)
{
    if (!m->bdat_refusal) /* a refused chunk is dropped */
        mc_buf_append(&m->text, data, len);
    if (last)
        bdat_chunk_done(s, m);
}

void smtp_data_line(struct rs_session *s, struct smtp *m, const char *line, size_t len,
                    bool bare_lf)
{
    bool end = len == 1 && line[0] == '.' && !bare_lf && m->prev_line_crlf;
    m->prev_line_crlf = !bare_lf;
    if (end) {
        data_finish(s, m);
        return;
    }
    if (bare_lf || memchr(line, '\r', len))
        m->bad_line_end = true;
    if (len + 2 > SMTP_TEXT_LINE_MAX)
        m->text_line_too_long = true;
    if (len > 0 && line[0] == '.') {
        line++;
        len--;
    }
    data_append(s, m, line, len);
}
