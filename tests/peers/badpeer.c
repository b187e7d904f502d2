/*
 * badpeer — a tiny scripted mail server that misbehaves on purpose, for integration tests.
 *
 * It listens on 127.0.0.1 on a port the kernel picks, prints that port on standard output as
 * one line, and serves every connection (the harness's capability probe first, then the
 * scenarios' sessions) in a child process of its own, following the script of `--mode`: a
 * correct minimal POP3, IMAP or SMTP server (the controls, against which scenarios must pass),
 * or one precise way of breaking the protocol (a wrong status, a NUL in a status line, a reply
 * that never ends, silence, an early close, garbage, bare LF line ends, a 4 GiB literal, mixed
 * SMTP reply codes, a reply dripped one byte at a time, a STARTTLS go-ahead or a greeting with
 * the wrong code, TLS demanded but STARTTLS hidden, untagged lines sent forever as fast as the
 * socket takes them, EXPUNGE responses numbered as if nothing had moved, a FETCH BODY[] that
 * does not report the \Seen it set, a last reply (IMAP BYE, POP3 -ERR, SMTP 421) followed by a
 * reset). The tests then check that the harness fails the step with the right reason, within
 * its deadline, and never crashes, hangs or allocates what a hostile peer announces. One mode
 * is correct but heavy: it answers FETCH with one literal of
 * --literal-size octets, for the benchmark and test of reading a big literal
 * (tools/bench-imap-literal).
 *
 * It never outlives a test: every process dies after --max-seconds (SIGALRM), a child dies
 * with its parent (PR_SET_PDEATHSIG), and --once serves a single connection then exits.
 * Blocking sockets, poll() for timeouts, no event library: a peer must be simpler than what
 * it tests.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"

#define PEER_MAX_SECONDS_DEFAULT 60        /* self-destruct, so a forgotten peer never lingers */
#define PEER_LINE_MAX 4096                 /* longest command line read; longer input is dropped */
#define PEER_SEND_TIMEOUT_S 2              /* a send the client does not drain is abandoned */
#define PEER_GARBAGE_RANDOM (100u * 1024u) /* random octets without a line end */
#define PEER_GARBAGE_LINE (1024u * 1024u)  /* then one 1 MiB line without CRLF */
#define PEER_PLAIN_AFTER_STARTTLS_MS 300   /* smtp-starttls-plain: its wait before plain text */
#define PEER_DRIP_INTERVAL_MS 200          /* slowloris: one octet every so often */
#define PEER_HUGE_LITERAL "4294967295"     /* 2^32 - 1: must be refused, not allocated */
#define PEER_LAST_WORDS_PAUSE_MS 100       /* *-last-words: lets its last line reach the client */
#define PEER_FLOOD_LINE "* 1 EXISTS\r\n"   /* what imap-flood sends forever */
#define PEER_FLOOD_BLOCK (64u * 1024u)     /* octets per send while flooding */
/* imap-literal's literal: this 64-octet unit over and over, so that a pattern can check every
   octet ("(?:UNIT)++\)$" after "{N}\r\n"); the size is a multiple of it. */
#define PEER_LITERAL_UNIT "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\r\n"
#define PEER_LITERAL_DEFAULT (60u * 1024u * 1024u)
#define PEER_LITERAL_MAX (1024u * 1024u * 1024u)

struct peer;
/* Answers one command line (line end stripped); false closes the connection. */
typedef bool (*peer_command_fn)(struct peer *p, const char *line);

struct peer_mode {
    const char *name;
    const char *greeting; /* sent on connect, line end included; NULL: say nothing */
    peer_command_fn command;
    const char *help;
};

struct peer {
    int fd;
    const struct peer_mode *mode;
    struct mc_buf in;    /* bytes received, not yet cut into lines */
    bool logged_in;      /* IMAP: LOGIN was answered */
    size_t literal_size; /* imap-literal: octets of the FETCH literal */
    /* imap-mailbox and its faulty twins: a selected INBOX of PEER_BOX_MESSAGES messages. */
    unsigned box_uid[8];
    bool box_deleted[8];
    size_t box_count;
};

/* Sends everything, or gives up quietly: a client that stopped reading is not our problem. */
static bool peer_send(struct peer *p, const void *data, size_t len)
{
    const char *s = data;
    while (len > 0) {
        ssize_t n = send(p->fd, s, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        s += n;
        len -= (size_t)n;
    }
    return true;
}

static bool peer_say(struct peer *p, const char *text)
{
    return peer_send(p, text, strlen(text));
}

/* Reads until the client closes; used by the modes that go quiet. */
static bool peer_stay_silent(struct peer *p)
{
    char sink[4096];
    for (;;) {
        ssize_t n = recv(p->fd, sink, sizeof sink, 0);
        if (n == 0 || (n < 0 && errno != EINTR))
            return false;
    }
}

/* The command verb is the line's first word, compared without case. */
static bool peer_verb_is(const char *line, const char *verb)
{
    size_t n = strlen(verb);
    return strncasecmp(line, verb, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* --- POP3 (RFC 1939, CAPA of RFC 2449) --- */

static bool pop3_good(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "CAPA"))
        return peer_say(p, "+OK capabilities follow\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
    if (peer_verb_is(line, "USER") || peer_verb_is(line, "PASS"))
        return peer_say(p, "+OK\r\n");
    if (peer_verb_is(line, "STAT"))
        return peer_say(p, "+OK 0 0\r\n");
    if (peer_verb_is(line, "NOOP"))
        return peer_say(p, "+OK\r\n");
    if (peer_verb_is(line, "QUIT")) {
        peer_say(p, "+OK bye\r\n");
        return false;
    }
    return peer_say(p, "-ERR unknown command\r\n");
}

static bool pop3_wrong_status(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "STAT"))
        return peer_say(p, "-ERR nope\r\n");
    return pop3_good(p, line);
}

/* A maildrop of two messages (the second has a line that starts with ".", byte-stuffed when
   sent), told consistently by pop3-maildrop, or with one number wrong: STAT's total, a UIDL
   id given twice, a LIST size that is not the octets RETR sends. Scenarios that relate the
   numbers (expect.check) must catch each lie; scenarios that check shapes pass them all. */
enum pop3_lie { POP3_TRUTHFUL, POP3_STAT_TOTAL, POP3_UIDL_TWICE, POP3_LIST_SIZE };

static const char *const pop3_messages[] = {
    "Subject: one\r\n\r\nhello\r\n",
    "Subject: two\r\n\r\n.dot-stuffed\r\nbye\r\n",
};
#define POP3_MESSAGES (sizeof pop3_messages / sizeof pop3_messages[0])

static size_t pop3_size(size_t i, enum pop3_lie lie)
{
    return strlen(pop3_messages[i]) + (lie == POP3_LIST_SIZE && i == 1 ? 1 : 0);
}

/* The message number of "VERB n", or 0 when there is none or it is out of range. */
static size_t pop3_number(const char *line)
{
    const char *sp = strchr(line, ' ');
    long n = sp ? strtol(sp + 1, NULL, 10) : 0;
    return n >= 1 && (size_t)n <= POP3_MESSAGES ? (size_t)n : 0;
}

static bool pop3_maildrop_lie(struct peer *p, const char *line, enum pop3_lie lie)
{
    char buf[256];
    size_t n = pop3_number(line);
    if (peer_verb_is(line, "STAT")) {
        size_t total = lie == POP3_STAT_TOTAL ? 1 : 0;
        for (size_t i = 0; i < POP3_MESSAGES; i++)
            total += pop3_size(i, lie); /* LIST and STAT agree, even when both lie */
        snprintf(buf, sizeof buf, "+OK %zu %zu\r\n", POP3_MESSAGES, total);
        return peer_say(p, buf);
    }
    if (peer_verb_is(line, "LIST") && !strchr(line, ' ')) {
        bool ok = peer_say(p, "+OK scan listing follows\r\n");
        for (size_t i = 0; ok && i < POP3_MESSAGES; i++) {
            snprintf(buf, sizeof buf, "%zu %zu\r\n", i + 1, pop3_size(i, lie));
            ok = peer_say(p, buf);
        }
        return ok && peer_say(p, ".\r\n");
    }
    if (peer_verb_is(line, "LIST") && n) {
        snprintf(buf, sizeof buf, "+OK %zu %zu\r\n", n, pop3_size(n - 1, lie));
        return peer_say(p, buf);
    }
    if (peer_verb_is(line, "UIDL") && !strchr(line, ' ')) {
        bool ok = peer_say(p, "+OK unique-id listing follows\r\n");
        for (size_t i = 0; ok && i < POP3_MESSAGES; i++) {
            snprintf(buf, sizeof buf, "%zu id-%zu\r\n", i + 1, lie == POP3_UIDL_TWICE ? 1 : i + 1);
            ok = peer_say(p, buf);
        }
        return ok && peer_say(p, ".\r\n");
    }
    if (peer_verb_is(line, "RETR") && n) {
        const char *m = pop3_messages[n - 1];
        bool ok = peer_say(p, "+OK message follows\r\n");
        for (const char *l = m; ok && *l; l = strstr(l, "\r\n") + 2) {
            if (*l == '.')
                ok = peer_say(p, "."); /* byte-stuffing, RFC 1939 3 */
            ok = ok && peer_send(p, l, (size_t)(strstr(l, "\r\n") + 2 - l));
        }
        return ok && peer_say(p, ".\r\n");
    }
    return pop3_good(p, line);
}

static bool pop3_maildrop(struct peer *p, const char *line)
{
    return pop3_maildrop_lie(p, line, POP3_TRUTHFUL);
}

static bool pop3_stat_miscount(struct peer *p, const char *line)
{
    return pop3_maildrop_lie(p, line, POP3_STAT_TOTAL);
}

static bool pop3_uidl_twice(struct peer *p, const char *line)
{
    return pop3_maildrop_lie(p, line, POP3_UIDL_TWICE);
}

static bool pop3_list_size_wrong(struct peer *p, const char *line)
{
    return pop3_maildrop_lie(p, line, POP3_LIST_SIZE);
}

/* STAT answered by a status line with a NUL inside: what follows the NUL must still be seen. */
static bool pop3_nul_status(struct peer *p, const char *line)
{
    static const char reply[] = "-ERR no\0such mailbox\r\n";
    if (peer_verb_is(line, "STAT"))
        return peer_send(p, reply, sizeof reply - 1);
    return pop3_good(p, line);
}

static bool pop3_no_terminator(struct peer *p, const char *line)
{
    if (!peer_verb_is(line, "CAPA"))
        return pop3_good(p, line);
    peer_say(p, "+OK capabilities follow\r\nUSER\r\nUIDL\r\nTOP\r\n");
    return peer_stay_silent(p);
}

static bool peer_silence(struct peer *p, const char *line)
{
    (void)line;
    return peer_stay_silent(p);
}

static bool peer_early_close(struct peer *p, const char *line)
{
    (void)p;
    (void)line;
    return false;
}

/* 100 KB of random octets that never form a line, then a 1 MiB line with no CRLF. The
   generator is fixed-seeded so that a failure reproduces byte for byte. */
static bool peer_garbage(struct peer *p, const char *line)
{
    (void)line;
    char *junk = mc_xmalloc(PEER_GARBAGE_LINE);
    unsigned long x = 2463534242ul;
    for (size_t i = 0; i < PEER_GARBAGE_RANDOM; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5, x &= 0xfffffffful;
        char c = (char)(x & 0xff);
        junk[i] = (c == '\n' || c == '\r') ? '#' : c;
    }
    bool ok = peer_send(p, junk, PEER_GARBAGE_RANDOM);
    memset(junk, 'x', PEER_GARBAGE_LINE);
    ok = ok && peer_send(p, junk, PEER_GARBAGE_LINE);
    free(junk);
    return ok && peer_stay_silent(p);
}

static bool pop3_bare_lf(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "CAPA"))
        return peer_say(p, "+OK\nUSER\nUIDL\nTOP\n.\n");
    if (peer_verb_is(line, "QUIT")) {
        peer_say(p, "+OK bye\n");
        return false;
    }
    if (peer_verb_is(line, "STAT"))
        return peer_say(p, "+OK 0 0\n");
    return peer_say(p, "+OK\n");
}

/* A status line that never ends: one octet every PEER_DRIP_INTERVAL_MS until the client
   leaves (then the send fails) or the self-destruct fires. */
static bool peer_slowloris(struct peer *p, const char *line)
{
    (void)line;
    static const char start[] = "+OK ";
    char sink[4096];
    for (size_t i = 0;; i++) {
        char c = i < sizeof start - 1 ? start[i] : 'x';
        if (!peer_send(p, &c, 1))
            return false;
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        if (poll(&pfd, 1, PEER_DRIP_INTERVAL_MS) > 0 && recv(p->fd, sink, sizeof sink, 0) == 0)
            return false;
    }
}

/* --- IMAP (RFC 9051) --- */

/* The tag of a command line copied into `tag`; false when there is none. */
static bool imap_tag(const char *line, char *tag, size_t size)
{
    size_t n = strcspn(line, " ");
    if (n == 0 || n >= size || line[n] != ' ')
        return false;
    memcpy(tag, line, n);
    tag[n] = '\0';
    return true;
}

static bool imap_reply(struct peer *p, const char *untagged, const char *tag, const char *tail)
{
    struct mc_buf b = {0};
    mc_buf_printf(&b, "%s%s %s\r\n", untagged, tag, tail);
    bool ok = peer_send(p, b.data, b.len);
    mc_buf_free(&b);
    return ok;
}

static bool imap_good(struct peer *p, const char *line)
{
    char tag[64];
    if (!imap_tag(line, tag, sizeof tag))
        return peer_say(p, "* BAD no tag\r\n");
    const char *cmd = line + strlen(tag) + 1;
    if (peer_verb_is(cmd, "CAPABILITY"))
        return imap_reply(p, "* CAPABILITY IMAP4rev1\r\n", tag, "OK done");
    if (peer_verb_is(cmd, "NOOP") || peer_verb_is(cmd, "LOGIN"))
        return imap_reply(p, "", tag, "OK done");
    if (peer_verb_is(cmd, "LOGOUT")) {
        imap_reply(p, "* BYE bye\r\n", tag, "OK done");
        return false;
    }
    return imap_reply(p, "", tag, "BAD unknown command");
}

static bool imap_huge_literal(struct peer *p, const char *line)
{
    (void)line;
    if (!peer_say(p, "* 1 FETCH (BODY[] {" PEER_HUGE_LITERAL "}\r\nFrom: a few octets\r\n"))
        return false;
    return peer_stay_silent(p);
}

/* LOGINDISABLED on a plain connection (RFC 3501 6.2.3), with STARTTLS hidden or offered. */
static bool imap_logindisabled(struct peer *p, const char *line, const char *caps)
{
    char tag[64];
    if (!imap_tag(line, tag, sizeof tag))
        return imap_good(p, line);
    const char *cmd = line + strlen(tag) + 1;
    if (peer_verb_is(cmd, "CAPABILITY"))
        return imap_reply(p, caps, tag, "OK done");
    if (peer_verb_is(cmd, "LOGIN"))
        return imap_reply(p, "", tag, "NO [PRIVACYREQUIRED] LOGIN is disabled");
    return imap_good(p, line);
}

static bool imap_hides_starttls(struct peer *p, const char *line)
{
    return imap_logindisabled(p, line, "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n");
}

static bool imap_offers_starttls(struct peer *p, const char *line)
{
    return imap_logindisabled(p, line, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n");
}

/* --- a small IMAP mailbox (imap-mailbox): message numbers that shift on EXPUNGE --- */

#define PEER_BOX_MESSAGES 4 /* messages in INBOX at SELECT, UIDs 11..14 */
#define PEER_BOX_FIRST_UID 11
#define PEER_BOX_BODY "Subject: peer\r\n\r\nhello\r\n"

/* Which way a mailbox mode breaks RFC 9051 (none for the control). */
enum box_fault {
    BOX_CORRECT,
    BOX_STALE_EXPUNGE, /* EXPUNGE responses give numbers from before the expunge began */
    BOX_SEEN_UNSAID,   /* FETCH BODY[] sets \Seen but does not report it (6.4.5 SHOULD) */
};

/* "n" of "FETCH n ..." or "STORE n ...": 1..box_count, else 0. */
static size_t box_number(const struct peer *p, const char *args)
{
    char *end;
    unsigned long n = strtoul(args, &end, 10);
    return end != args && *end == ' ' && n >= 1 && n <= p->box_count ? (size_t)n : 0;
}

static bool box_expunge(struct peer *p, const char *tag, enum box_fault fault)
{
    struct mc_buf out = {0};
    size_t kept = 0;
    for (size_t i = 0; i < p->box_count; i++) {
        if (!p->box_deleted[i]) {
            p->box_uid[kept] = p->box_uid[i];
            p->box_deleted[kept++] = false;
            continue;
        }
        /* RFC 9051 7.5.1: each number as the mailbox stands after the previous expunge. */
        size_t number = fault == BOX_STALE_EXPUNGE ? i + 1 : kept + 1;
        mc_buf_printf(&out, "* %zu EXPUNGE\r\n", number);
    }
    p->box_count = kept;
    bool ok = imap_reply(p, out.data ? out.data : "", tag, "OK EXPUNGE done");
    mc_buf_free(&out);
    return ok;
}

static bool box_fetch(struct peer *p, const char *tag, const char *args, enum box_fault fault)
{
    size_t n = box_number(p, args);
    const char *items = strchr(args, ' ');
    struct mc_buf out = {0};
    if (n && strcmp(items, " (UID)") == 0) {
        mc_buf_printf(&out, "* %zu FETCH (UID %u)\r\n", n, p->box_uid[n - 1]);
    } else if (n && strcmp(items, " (BODY[])") == 0) {
        mc_buf_printf(&out, "* %zu FETCH (%sBODY[] {%zu}\r\n%s)\r\n", n,
                      fault == BOX_SEEN_UNSAID ? "" : "FLAGS (\\Seen) ", strlen(PEER_BOX_BODY),
                      PEER_BOX_BODY);
    } else {
        return imap_reply(p, "", tag, "BAD FETCH n (UID) or n (BODY[]) only");
    }
    bool ok = imap_reply(p, out.data, tag, "OK FETCH done");
    mc_buf_free(&out);
    return ok;
}

static bool imap_box(struct peer *p, const char *line, enum box_fault fault)
{
    char tag[64];
    if (!imap_tag(line, tag, sizeof tag))
        return peer_say(p, "* BAD no tag\r\n");
    const char *cmd = line + strlen(tag) + 1;
    if (peer_verb_is(cmd, "SELECT")) {
        p->box_count = PEER_BOX_MESSAGES;
        for (size_t i = 0; i < PEER_BOX_MESSAGES; i++) {
            p->box_uid[i] = PEER_BOX_FIRST_UID + (unsigned)i;
            p->box_deleted[i] = false;
        }
        return imap_reply(p, "* 4 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n", tag,
                          "OK [READ-WRITE] SELECT done");
    }
    if (peer_verb_is(cmd, "FETCH"))
        return box_fetch(p, tag, cmd + 6, fault);
    if (peer_verb_is(cmd, "STORE")) {
        size_t n = box_number(p, cmd + 6);
        if (!n || !strstr(cmd, "+FLAGS.SILENT (\\Deleted)"))
            return imap_reply(p, "", tag, "BAD STORE n +FLAGS.SILENT (\\Deleted) only");
        p->box_deleted[n - 1] = true;
        return imap_reply(p, "", tag, "OK STORE done");
    }
    if (peer_verb_is(cmd, "EXPUNGE"))
        return box_expunge(p, tag, fault);
    return imap_good(p, line);
}

static bool imap_mailbox(struct peer *p, const char *line)
{
    return imap_box(p, line, BOX_CORRECT);
}

static bool imap_stale_expunge(struct peer *p, const char *line)
{
    return imap_box(p, line, BOX_STALE_EXPUNGE);
}

static bool imap_seen_unsaid(struct peer *p, const char *line)
{
    return imap_box(p, line, BOX_SEEN_UNSAID);
}

/* Untagged lines as fast as the client takes them, until it goes away (or stops reading for
   PEER_SEND_TIMEOUT_S): an endless reply the harness must bound. */
static bool imap_flood_forever(struct peer *p)
{
    static const char line[] = PEER_FLOOD_LINE;
    size_t n = sizeof line - 1, count = PEER_FLOOD_BLOCK / n;
    char *block = mc_xmalloc(count * n);
    for (size_t i = 0; i < count; i++)
        memcpy(block + i * n, line, n);
    while (peer_send(p, block, count * n))
        ;
    free(block);
    return false;
}

/* Greets, answers CAPABILITY always and LOGIN; after login every other command gets untagged
   lines that never end. Before login the rest is refused, as a server would. */
static bool imap_flood(struct peer *p, const char *line)
{
    char tag[64];
    if (!imap_tag(line, tag, sizeof tag))
        return peer_say(p, "* BAD no tag\r\n");
    const char *cmd = line + strlen(tag) + 1;
    if (peer_verb_is(cmd, "CAPABILITY"))
        return imap_reply(p, "* CAPABILITY IMAP4rev1\r\n", tag, "OK done");
    if (peer_verb_is(cmd, "LOGIN")) {
        p->logged_in = true;
        return imap_reply(p, "", tag, "OK logged in");
    }
    if (!p->logged_in) {
        if (peer_verb_is(cmd, "LOGOUT")) {
            imap_reply(p, "* BYE bye\r\n", tag, "OK done");
            return false;
        }
        return imap_reply(p, "", tag, "NO log in first");
    }
    return imap_flood_forever(p);
}

/* "* 1 FETCH (BODY[] {N}\r\n" + N octets of PEER_LITERAL_UNIT + ")\r\nTAG OK". */
static bool imap_send_literal(struct peer *p, const char *tag)
{
    static const char unit[] = PEER_LITERAL_UNIT;
    size_t n = sizeof unit - 1, count = PEER_FLOOD_BLOCK / n;
    char head[64];
    snprintf(head, sizeof head, "* 1 FETCH (BODY[] {%zu}\r\n", p->literal_size);
    if (!peer_say(p, head))
        return false;
    char *block = mc_xmalloc(count * n);
    for (size_t i = 0; i < count; i++)
        memcpy(block + i * n, unit, n);
    bool ok = true;
    for (size_t left = p->literal_size; ok && left > 0;) {
        size_t k = left < count * n ? left : count * n;
        ok = peer_send(p, block, k);
        left -= k;
    }
    free(block);
    return ok && imap_reply(p, ")\r\n", tag, "OK FETCH done");
}

/* A correct server with one message of --literal-size octets: SELECT shows it, FETCH sends it
   as one literal, whatever the fetch items. */
static bool imap_literal(struct peer *p, const char *line)
{
    char tag[64];
    if (imap_tag(line, tag, sizeof tag)) {
        const char *cmd = line + strlen(tag) + 1;
        if (peer_verb_is(cmd, "SELECT") || peer_verb_is(cmd, "EXAMINE"))
            return imap_reply(p, "* 1 EXISTS\r\n* FLAGS (\\Seen)\r\n", tag, "OK [READ-WRITE] done");
        if (peer_verb_is(cmd, "FETCH"))
            return imap_send_literal(p, tag);
    }
    return imap_good(p, line);
}

/* --- SMTP (RFC 5321) --- */

static bool smtp_good(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "EHLO"))
        return peer_say(p, "250-badpeer\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
    if (peer_verb_is(line, "HELO") || peer_verb_is(line, "NOOP") || peer_verb_is(line, "RSET"))
        return peer_say(p, "250 2.0.0 ok\r\n");
    if (peer_verb_is(line, "QUIT")) {
        peer_say(p, "221 2.0.0 bye\r\n");
        return false;
    }
    return peer_say(p, "502 5.5.1 unknown command\r\n");
}

static bool smtp_mixed_codes(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "EHLO"))
        return peer_say(p, "250-a\r\n251 b\r\n");
    return smtp_good(p, line);
}

/* Offers STARTTLS, then answers it with 250: positive, but RFC 3207 4 starts TLS only after
   220, so a client must not begin a handshake (this peer would only see its ClientHello). */
static bool smtp_starttls_250(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "EHLO"))
        return peer_say(p, "250-badpeer\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
    if (peer_verb_is(line, "STARTTLS"))
        return peer_say(p, "250 2.0.0 ok\r\n");
    return smtp_good(p, line);
}

/* STARTTLS answered with the go-ahead 220, and then, once the client's handshake has begun,
   plain text where TLS records should come: the server's fault, not the set-up's. */
static bool smtp_starttls_plain(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "STARTTLS")) {
        peer_say(p, "220 2.0.0 go ahead\r\n");
        poll(NULL, 0, PEER_PLAIN_AFTER_STARTTLS_MS); /* the client is in its handshake by now */
        peer_say(p, "500 5.5.1 what is this?\r\n");
        return peer_stay_silent(p);
    }
    return smtp_starttls_250(p, line);
}

/* STARTTLS answered with the go-ahead 220, then nothing: the handshake never comes (the
   harness must name the stalled handshake, not a missing reply). */
static bool smtp_starttls_stall(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "STARTTLS")) {
        peer_say(p, "220 2.0.0 go ahead\r\n");
        return peer_stay_silent(p);
    }
    return smtp_starttls_250(p, line);
}

/* A submission server that demands TLS before MAIL (RFC 3207 4), with STARTTLS left out of its
   EHLO reply (hidden) or offered; TLS itself is "not available" here, so no handshake starts. */
static bool submission_demands_tls(struct peer *p, const char *line, bool offer)
{
    if (peer_verb_is(line, "EHLO"))
        return peer_say(p, offer ? "250-badpeer\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
                                 : "250-badpeer\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
    if (peer_verb_is(line, "MAIL"))
        return peer_say(p, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    if (peer_verb_is(line, "STARTTLS"))
        return peer_say(p, "454 4.7.0 TLS not available due to temporary reason\r\n");
    return smtp_good(p, line);
}

static bool submission_hides_starttls(struct peer *p, const char *line)
{
    return submission_demands_tls(p, line, false);
}

static bool submission_offers_starttls(struct peer *p, const char *line)
{
    return submission_demands_tls(p, line, true);
}

/* --- Last words: a reply that announces the end, then the connection reset --- */

/* Says `words`, then resets the connection (SO_LINGER 0: RST, not FIN), as a server does that
   closes with the client's bytes unread: the client sees "connection reset by peer", and the
   harness must show the words, not the reset. */
static bool peer_last_words(struct peer *p, const char *words)
{
    peer_say(p, words);
    poll(NULL, 0, PEER_LAST_WORDS_PAUSE_MS);
    struct linger now = {.l_onoff = 1, .l_linger = 0};
    setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
    return false;
}

/* IMAP: CAPABILITY, LOGIN and LOGOUT as good-imap; any other command is answered with an
   untagged BYE and no tagged reply (RFC 9051 7.1.5: the server is about to close). */
static bool imap_bye_reset(struct peer *p, const char *line)
{
    char tag[64];
    if (!imap_tag(line, tag, sizeof tag))
        return imap_good(p, line);
    const char *cmd = line + strlen(tag) + 1;
    if (peer_verb_is(cmd, "CAPABILITY") || peer_verb_is(cmd, "LOGIN") ||
        peer_verb_is(cmd, "LOGOUT"))
        return imap_good(p, line);
    return peer_last_words(p, "* BYE too many errors, closing\r\n");
}

/* POP3: STAT answered with -ERR, then the connection reset. */
static bool pop3_err_reset(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "STAT"))
        return peer_last_words(p, "-ERR [SYS/TEMP] maildrop locked, closing\r\n");
    return pop3_good(p, line);
}

/* SMTP: EHLO answered with 421 (RFC 5321 3.8: the service is closing), then the reset. */
static bool smtp_421_reset(struct peer *p, const char *line)
{
    if (peer_verb_is(line, "EHLO"))
        return peer_last_words(p, "421 4.3.2 badpeer shutting down\r\n");
    return smtp_good(p, line);
}

static const struct peer_mode peer_modes[] = {
    {"good-pop3", "+OK ready\r\n", pop3_good, "a minimal correct POP3 server"},
    {"wrong-status", "+OK ready\r\n", pop3_wrong_status, "POP3, STAT answers -ERR"},
    {"no-terminator", "+OK ready\r\n", pop3_no_terminator, "POP3, CAPA never ends"},
    {"nul-status", "+OK ready\x01\r\n", pop3_nul_status, "POP3, STAT answers -ERR with a NUL"},
    {"pop3-maildrop", "+OK ready\r\n", pop3_maildrop, "POP3, two messages told consistently"},
    {"pop3-stat-miscount", "+OK ready\r\n", pop3_stat_miscount,
     "POP3, STAT's total is one more than the sizes"},
    {"pop3-uidl-twice", "+OK ready\r\n", pop3_uidl_twice, "POP3, UIDL gives one id twice"},
    {"pop3-list-size-wrong", "+OK ready\r\n", pop3_list_size_wrong,
     "POP3, LIST's size is not what RETR sends"},
    {"silence", "+OK ready\r\n", peer_silence, "greets, then never answers"},
    {"early-close", "+OK ready\r\n", peer_early_close, "greets, closes at the first command"},
    {"no-greeting", NULL, peer_silence, "accepts and says nothing"},
    {"garbage", "+OK ready\r\n", peer_garbage, "answers with 1.1 MB without a line end"},
    {"bare-lf", "+OK ready\r\n", pop3_bare_lf, "POP3 replies ending in a bare LF"},
    {"slowloris", "+OK ready\r\n", peer_slowloris, "answers one octet every 200 ms"},
    {"good-imap", "* OK ready\r\n", imap_good, "a minimal correct IMAP server"},
    {"huge-literal", "* OK ready\r\n", imap_huge_literal, "IMAP, announces a 4 GiB literal"},
    {"imap-hides-starttls", "* OK ready\r\n", imap_hides_starttls,
     "IMAP, LOGINDISABLED without STARTTLS"},
    {"imap-offers-starttls", "* OK ready\r\n", imap_offers_starttls,
     "IMAP, LOGINDISABLED with STARTTLS"},
    {"imap-flood", "* OK ready\r\n", imap_flood, "IMAP, after LOGIN untagged lines forever"},
    {"imap-literal", "* OK ready\r\n", imap_literal, "IMAP, FETCH sends --literal-size octets"},
    {"imap-mailbox", "* OK ready\r\n", imap_mailbox,
     "IMAP, a 4-message INBOX: SELECT, FETCH, STORE, EXPUNGE done right"},
    {"imap-stale-expunge", "* OK ready\r\n", imap_stale_expunge,
     "IMAP, EXPUNGE responses numbered as before the expunge"},
    {"imap-seen-unsaid", "* OK ready\r\n", imap_seen_unsaid,
     "IMAP, FETCH BODY[] does not report the \\Seen it sets"},
    {"good-smtp", "220 badpeer ESMTP\r\n", smtp_good, "a minimal correct SMTP server"},
    {"smtp-mixed-codes", "220 badpeer ESMTP\r\n", smtp_mixed_codes, "SMTP, EHLO mixes 250/251"},
    {"smtp-starttls-250", "220 badpeer ESMTP\r\n", smtp_starttls_250,
     "SMTP, STARTTLS answered 250"},
    {"smtp-starttls-plain", "220 badpeer ESMTP\r\n", smtp_starttls_plain,
     "SMTP, STARTTLS answered 220, then plain text"},
    {"smtp-starttls-stall", "220 badpeer ESMTP\r\n", smtp_starttls_stall,
     "SMTP, STARTTLS answered 220, then no handshake"},
    {"smtp-greet-200", "200 badpeer ESMTP\r\n", smtp_good, "SMTP, greets with 200, not 220"},
    {"submission-hides-starttls", "220 badpeer ESMTP\r\n", submission_hides_starttls,
     "SMTP, 530 STARTTLS first, STARTTLS not offered"},
    {"submission-offers-starttls", "220 badpeer ESMTP\r\n", submission_offers_starttls,
     "SMTP, 530 STARTTLS first, STARTTLS offered"},
    {"imap-bye-reset", "* OK ready\r\n", imap_bye_reset,
     "IMAP, after LOGIN any command gets * BYE, then a reset"},
    {"pop3-err-reset", "+OK ready\r\n", pop3_err_reset, "POP3, STAT gets -ERR, then a reset"},
    {"smtp-421-reset", "220 badpeer ESMTP\r\n", smtp_421_reset,
     "SMTP, EHLO gets 421, then a reset"},
};

static const struct peer_mode *peer_mode_find(const char *name)
{
    for (size_t i = 0; i < sizeof peer_modes / sizeof peer_modes[0]; i++)
        if (!strcmp(peer_modes[i].name, name))
            return &peer_modes[i];
    return NULL;
}

/* Cuts the next command line out of p->in (LF or CRLF ended); NULL when none is complete. */
static char *peer_next_line(struct peer *p)
{
    char *lf = memchr(p->in.data ? p->in.data : "", '\n', p->in.len);
    if (!lf) {
        if (p->in.len > PEER_LINE_MAX)
            mc_buf_reset(&p->in); /* not a command anyone sends: drop it */
        return NULL;
    }
    size_t n = (size_t)(lf - p->in.data);
    char *line = mc_xstrndup(p->in.data, n > 0 && lf[-1] == '\r' ? n - 1 : n);
    memmove(p->in.data, lf + 1, p->in.len - n - 1);
    p->in.len -= n + 1;
    p->in.data[p->in.len] = '\0';
    return line;
}

static void peer_serve(int fd, const struct peer_mode *mode, size_t literal_size)
{
    struct peer p = {.fd = fd, .mode = mode, .literal_size = literal_size};
    struct timeval tv = {PEER_SEND_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    bool open = mode->greeting ? peer_say(&p, mode->greeting) : true;
    while (open) {
        char *line;
        while (open && (line = peer_next_line(&p))) {
            open = mode->command(&p, line);
            free(line);
        }
        char chunk[4096];
        ssize_t n = open ? recv(fd, chunk, sizeof chunk, 0) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        mc_buf_append(&p.in, chunk, (size_t)n);
    }
    mc_buf_free(&p.in);
    close(fd);
}

static int peer_listen(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("badpeer: listen");
        exit(2);
    }
    printf("%u\n", (unsigned)ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

static void peer_usage(FILE *f)
{
    fputs("usage: badpeer --mode MODE [--once] [--max-seconds N] [--literal-size N]\n\n"
          "Listens on 127.0.0.1, prints the port, and serves each connection per MODE:\n",
          f);
    for (size_t i = 0; i < sizeof peer_modes / sizeof peer_modes[0]; i++)
        fprintf(f, "  %-17s %s\n", peer_modes[i].name, peer_modes[i].help);
}

int main(int argc, char **argv)
{
    const struct peer_mode *mode = NULL;
    bool once = false;
    long max_seconds = PEER_MAX_SECONDS_DEFAULT;
    long long literal_size = PEER_LITERAL_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            if (!(mode = peer_mode_find(argv[++i]))) {
                fprintf(stderr, "badpeer: unknown mode %s\n", argv[i]);
                peer_usage(stderr);
                return 2;
            }
        } else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc) {
            max_seconds = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--literal-size") && i + 1 < argc) {
            literal_size = strtoll(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--once")) {
            once = true;
        } else {
            peer_usage(strcmp(argv[i], "--help") ? stderr : stdout);
            return strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (!mode || max_seconds < 1 || max_seconds > 3600 || literal_size < 0 ||
        literal_size > PEER_LITERAL_MAX) {
        peer_usage(stderr);
        return 2;
    }
    alarm((unsigned)max_seconds); /* default action of SIGALRM: terminate */
    signal(SIGCHLD, SIG_IGN);     /* children are reaped by the kernel */
    int lfd = peer_listen();
    pid_t parent = getpid();
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            perror("badpeer: accept");
            return 1;
        }
        if (once) {
            peer_serve(fd, mode, (size_t)literal_size);
            return 0;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(lfd);
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* the parent's deadline is ours too */
            if (getppid() != parent)
                _exit(0); /* the parent died before prctl */
            peer_serve(fd, mode, (size_t)literal_size);
            _exit(0);
        }
        close(fd);
    }
}
