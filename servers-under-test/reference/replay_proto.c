/*
 * replay_proto — all the replay knows of each protocol, in one table: where a client's block
 * of octets follows a line (an IMAP literal "{N}" at the end of a line, RFC 9051 4.3; SMTP
 * "BDAT N", RFC 3030 2), when a message body follows (after SMTP's 354, RFC 5321 4.1.1.4),
 * whether commands carry tags (IMAP, RFC 9051 2.2.1), and how the server says goodbye when it
 * must end a session (POP3 -ERR, RFC 1939 3; IMAP BYE, RFC 9051 7.1.5; SMTP/LMTP 421,
 * RFC 5321 3.8), and how a SASL exchange looks on the wire: the command that starts it with its
 * mechanism and optional initial response (POP3 "AUTH", RFC 5034 4; SMTP "AUTH", RFC 4954 4;
 * IMAP "TAG AUTHENTICATE", RFC 9051 6.2.2 and RFC 4959) and the prefix of a server challenge
 * (POP3 and IMAP "+ ", SMTP "334 "). Line limits and idle timeouts are the reference server's
 * own.
 */
#include <string.h>
#include <strings.h>

#include "reference/imap.h"
#include "reference/pop3.h"
#include "reference/replay_int.h"
#include "reference/smtp.h"

/* A count of octets as a client may announce it: at most 10 digits (a 32-bit number). */
#define RP_COUNT_DIGITS_MAX 10

static bool parse_count(const char *s, size_t len, size_t *out)
{
    if (len == 0 || len > RP_COUNT_DIGITS_MAX)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        n = n * 10 + (size_t)(s[i] - '0');
    }
    *out = n;
    return true;
}

/* "... {N}" or "{N+}" (LITERAL+, RFC 7888) or "~{N}" (literal8, RFC 3516) at the line's end. */
static bool imap_block_after(const char *line, size_t len, size_t *octets, size_t *at,
                             size_t *digits)
{
    if (len < 3 || line[len - 1] != '}')
        return false;
    size_t end = len - 1;
    if (line[end - 1] == '+')
        end--;
    size_t start = end;
    while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9')
        start--;
    if (start == 0 || line[start - 1] != '{' || !parse_count(line + start, end - start, octets))
        return false;
    *at = start;
    *digits = end - start;
    return true;
}

static bool imap_block_waits(const char *line, size_t len)
{
    return len >= 2 && line[len - 2] != '+';
}

/* "+ ..." is the go-ahead (RFC 9051 7.5); "* ..." untagged data; anything else answers the
   command (a tagged NO or BAD): the literal is not to be sent. */
static int imap_go_ahead(const char *line, size_t len)
{
    if (len >= 1 && line[0] == '+')
        return 1;
    return len >= 2 && line[0] == '*' && line[1] == ' ' ? 0 : -1;
}

/* "BDAT N" or "BDAT N LAST". */
static bool smtp_block_after(const char *line, size_t len, size_t *octets, size_t *at,
                             size_t *digits)
{
    if (len < 6 || strncasecmp(line, "BDAT ", 5) != 0)
        return false;
    size_t end = 5;
    while (end < len && line[end] >= '0' && line[end] <= '9')
        end++;
    if ((end < len && line[end] != ' ') || !parse_count(line + 5, end - 5, octets))
        return false;
    *at = 5;
    *digits = end - 5;
    return true;
}

static bool smtp_body_follows(const char *line, size_t len)
{
    return len >= 4 && memcmp(line, "354", 3) == 0 && (line[3] == ' ' || line[3] == '\r');
}

static const struct rp_proto rp_protos[] = {
    {.name = "pop3",
     .limits = &rs_pop3,
     .sasl_command = "AUTH",
     .challenge_prefix = "+ ",
     .goodbye_format = "-ERR %s"},
    {.name = "imap",
     .limits = &rs_imap,
     .block_after = imap_block_after,
     .block_waits = imap_block_waits,
     .go_ahead = imap_go_ahead,
     .tagged = true,
     .sasl_command = "AUTHENTICATE",
     .challenge_prefix = "+ ",
     .goodbye_format = "* BYE %s"},
    {.name = "smtp",
     .limits = &rs_smtp,
     .block_after = smtp_block_after,
     .body_follows = smtp_body_follows,
     .sasl_command = "AUTH",
     .challenge_prefix = "334 ",
     .goodbye_format = "421 4.3.0 %s"},
    {.name = "lmtp",
     .limits = &rs_lmtp,
     .block_after = smtp_block_after,
     .body_follows = smtp_body_follows,
     .sasl_command = "AUTH",
     .challenge_prefix = "334 ",
     .goodbye_format = "421 4.3.0 %s"},
};

/* The next space-separated word of [*p, end): false when there is none. */
static bool next_word(const char **p, const char *end, const char **word, size_t *len)
{
    const char *q = *p;
    if (q >= end || *q == ' ')
        return false;
    const char *sp = memchr(q, ' ', (size_t)(end - q));
    *word = q;
    *len = (size_t)((sp ? sp : end) - q);
    *p = sp ? sp + 1 : end;
    return true;
}

bool rp_proto_sasl_start(const struct rp_proto *proto, const char *line, size_t len,
                         struct rp_sasl_start *out)
{
    const char *p = line, *end = line + len, *word;
    size_t n;
    if (!proto->sasl_command)
        return false;
    if (proto->tagged && !next_word(&p, end, &word, &n))
        return false;
    if (!next_word(&p, end, &word, &n) || n != strlen(proto->sasl_command) ||
        strncasecmp(word, proto->sasl_command, n) != 0)
        return false;
    if (!next_word(&p, end, &out->mech, &out->mech_len))
        return false;
    /* The rest is the initial response: one base64 word on the wire, and in a report the
       mask that stands for it ("[redacted SASL response]", spaces included). */
    out->ir = p < end ? p : NULL;
    out->ir_len = (size_t)(end - p);
    return true;
}

bool rp_proto_challenge(const struct rp_proto *proto, const char *line, size_t len,
                        const char **b64, size_t *b64_len)
{
    size_t plen = proto->challenge_prefix ? strlen(proto->challenge_prefix) : 0;
    if (!plen || len < plen + 2 || memcmp(line, proto->challenge_prefix, plen) != 0 ||
        memcmp(line + len - 2, "\r\n", 2) != 0)
        return false;
    *b64 = line + plen;
    *b64_len = len - plen - 2;
    return memchr(*b64, '\n', *b64_len) == NULL; /* one line */
}

const struct rp_proto *rp_proto_find(const char *name)
{
    for (size_t i = 0; i < sizeof rp_protos / sizeof rp_protos[0]; i++)
        if (name && strcmp(rp_protos[i].name, name) == 0)
            return &rp_protos[i];
    return NULL;
}
