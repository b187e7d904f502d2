/*
 * message — generates the RFC 5322 test messages scenarios send and deliver (see message.h).
 *
 * The output depends on the parameters only (no clock, no randomness, no locale), so two runs
 * produce byte-identical mail. Decisions:
 *
 *  - Headers come in a fixed order: From, To, Subject, Date, Message-ID, MIME-Version,
 *    Content-Type. CR and LF inside a header value are replaced by spaces so a value can never
 *    end the header section early, and a value too long for one line is folded before
 *    whitespace (RFC 5322 section 2.2.3); a single word longer than a line stays unbroken.
 *  - A NULL `from` becomes "mailconform@localhost", a NULL `to` the empty group
 *    "undisclosed-recipients:;" (RFC 5322 section 3.4), a NULL subject an empty Subject:.
 *  - Date is UTC ("+0000"), with English day and month names written here, not strftime's, so
 *    the locale cannot change them. Dates are clamped to 1970..9999 (RFC 5322 section 3.3 wants
 *    a year of 1900 or later in four digits).
 *  - Without a message_id, Message-ID is "<16 hex digits@mailconform.invalid>", the 64-bit
 *    FNV-1a hash of subject and date: the subject carries the run id, so ids are unique per run
 *    as long as a scenario does not send two messages with the same subject and date.
 *  - An explicit body has its line ends ("\r\n", "\n", or a bare "\r", which RFC 5322 section
 *    2.3 forbids alone) normalised to CRLF and a final CRLF added if missing; its lines are
 *    otherwise used as given, even when longer than 78 characters.
 *  - Generated lines are numbered from 1, at most 78 characters; every tenth line from line 5
 *    on (5, 15, 25, ...) begins with "." so that SMTP dot-stuffing (RFC 5321 section 4.5.2) and
 *    POP3 byte-stuffing (RFC 1939 section 3) are exercised on every delivery.
 */
#include "lib/message.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/date.h"

#define MESSAGE_LINE_MAX 78  /* RFC 5322 section 2.1.1: SHOULD NOT exceed 78 characters */
#define MESSAGE_DATE_MIN 0LL /* 1970-01-01, well inside RFC 5322 section 3.3's 1900+ */
#define MESSAGE_DATE_MAX 253402300799LL /* 9999-12-31T23:59:59Z: the last four-digit year */
#define MESSAGE_DOT_LINE_FIRST 5        /* the first generated line that starts with "." */
#define MESSAGE_DOT_LINE_EVERY 10       /* and then every this many lines */
#define MESSAGE_DEFAULT_FROM "mailconform@localhost"
#define MESSAGE_DEFAULT_TO "undisclosed-recipients:;"
#define MESSAGE_ID_DOMAIN "mailconform.invalid" /* RFC 2606 section 2: never resolves */
#define FNV64_OFFSET 0xcbf29ce484222325ULL      /* FNV-1a 64-bit parameters */
#define FNV64_PRIME 0x100000001b3ULL

static const char message_filler[] = "the quick brown fox jumps over the lazy dog";

static bool message_is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* Appends "Name: value" CRLF, folding before whitespace where the line would pass
   MESSAGE_LINE_MAX; CR and LF in the value become spaces. */
static void message_header(struct mc_buf *out, const char *name, const char *value)
{
    mc_buf_append_str(out, name);
    mc_buf_append_char(out, ':');
    size_t col = strlen(name) + 1;
    const char *p = value;
    if (*p) {
        mc_buf_append_char(out, ' ');
        col++;
    }
    while (*p) {
        /* One token: the whitespace before a word, then the word. */
        const char *word = p;
        while (*word && (message_is_wsp(*word) || *word == '\r' || *word == '\n'))
            word++;
        const char *end = word;
        while (*end && !message_is_wsp(*end) && *end != '\r' && *end != '\n')
            end++;
        size_t n = (size_t)(end - p);
        /* Fold only before whitespace that leads to a word: a continuation line made of
           whitespace alone is obsolete syntax (RFC 5322 section 4.2). */
        if (col + n > MESSAGE_LINE_MAX && word != p && end != word && p != value) {
            mc_buf_append_str(out, "\r\n");
            col = 0;
        }
        for (const char *c = p; c < end; c++)
            mc_buf_append_char(out, (*c == '\r' || *c == '\n') ? ' ' : *c);
        col += n;
        p = end;
    }
    mc_buf_append_str(out, "\r\n");
}

/* date-time = day-of-week "," SP day SP month SP year SP hh:mm:ss SP zone (RFC 5322 3.3) */
static void message_date(struct mc_buf *out, long long date)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    if (date < MESSAGE_DATE_MIN)
        date = MESSAGE_DATE_MIN;
    if (date > MESSAGE_DATE_MAX)
        date = MESSAGE_DATE_MAX;
    time_t t = (time_t)date;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        t = (time_t)MESSAGE_DATE_MIN;
        gmtime_r(&t, &tm);
    }
    char text[64];
    snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
             tm.tm_mday, mc_month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    message_header(out, "Date", text);
}

static uint64_t message_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV64_PRIME;
    }
    return h;
}

static void message_id(struct mc_buf *out, const char *subject, long long date)
{
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%lld", date);
    uint64_t h = message_fnv1a(FNV64_OFFSET, subject, strlen(subject) + 1); /* NUL separates */
    h = message_fnv1a(h, stamp, strlen(stamp));
    char id[64];
    snprintf(id, sizeof id, "<%016llx@%s>", (unsigned long long)h, MESSAGE_ID_DOMAIN);
    message_header(out, "Message-ID", id);
}

static void message_body_given(struct mc_buf *out, const char *body)
{
    const char *p = body;
    while (*p) {
        size_t n = strcspn(p, "\r\n");
        mc_buf_append(out, p, n);
        mc_buf_append_str(out, "\r\n");
        p += n;
        if (p[0] == '\r' && p[1] == '\n')
            p += 2;
        else if (*p)
            p++;
    }
}

static void message_body_generated(struct mc_buf *out, int lines)
{
    struct mc_buf line = {0};
    for (int i = 1; i <= lines; i++) {
        mc_buf_reset(&line);
        if (i % MESSAGE_DOT_LINE_EVERY == MESSAGE_DOT_LINE_FIRST % MESSAGE_DOT_LINE_EVERY) {
            mc_buf_printf(&line, ".Line %04d starts with a dot to exercise dot-stuffing", i);
        } else {
            mc_buf_printf(&line, "Line %04d of the mailconform test message:", i);
            /* As many filler words as fit, so the line stays within the limit whatever the
               width of the line number. */
            const char *w = message_filler;
            while (*w) {
                size_t n = strcspn(w, " ");
                if (line.len + 1 + n > MESSAGE_LINE_MAX)
                    break;
                mc_buf_append_char(&line, ' ');
                mc_buf_append(&line, w, n);
                w += n;
                w += strspn(w, " ");
            }
        }
        mc_buf_append(out, line.data, line.len);
        mc_buf_append_str(out, "\r\n");
    }
    mc_buf_free(&line);
}

void mc_message_generate(const struct mc_message_params *p, struct mc_buf *out)
{
    const char *subject = p->subject ? p->subject : "";
    message_header(out, "From", p->from ? p->from : MESSAGE_DEFAULT_FROM);
    message_header(out, "To", p->to ? p->to : MESSAGE_DEFAULT_TO);
    message_header(out, "Subject", subject);
    message_date(out, p->date);
    if (p->message_id)
        message_header(out, "Message-ID", p->message_id);
    else
        message_id(out, subject, p->date);
    message_header(out, "MIME-Version", "1.0");
    message_header(out, "Content-Type", "text/plain; charset=us-ascii");
    mc_buf_append_str(out, "\r\n");
    if (p->body)
        message_body_given(out, p->body);
    else
        message_body_generated(out, p->body_lines);
}
