/*
 * test_reference_smtp — the reference server's SMTP and LMTP (servers-under-test/reference/
 * smtp.c, smtp_data.c), over real sockets: a forked child runs the server (SMTP, submission,
 * LMTP and POP3 listeners on ephemeral ports, one store), the test talks to it with blocking
 * sockets, and checks deliveries through POP3.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "lib/base64.h"
#include "lib/sasl.h"
#include "lib/tls.h"
#include "reference/mailstore.h"
#include "reference/pop3.h"
#include "reference/server.h"
#include "reference/smtp.h"
#include "support_check.h"
#include "support_refserver.h"

enum { L_SMTP, L_SUBMISSION, L_LMTP, L_POP3, L_SMTP_IMPATIENT, L_COUNT };

static struct refserver srv;

static void setup(void)
{
    static struct rs_protocol impatient; /* SMTP with a 1 s idle timeout */
    impatient = rs_smtp;
    impatient.idle_timeout_s = 1;
    const struct rs_listener_config cfg[L_COUNT] = {
        {.name = "smtp", .proto = &rs_smtp},
        {.name = "submission", .proto = &rs_smtp, .auth_required = true},
        {.name = "lmtp", .proto = &rs_lmtp},
        {.name = "pop3", .proto = &rs_pop3},
        {.name = "smtp-impatient", .proto = &impatient},
    };
    refserver_start(&srv, "test_reference_smtp", cfg, L_COUNT);
}

static void teardown(void)
{
    refserver_stop(&srv);
}

/* ---- a blocking client ---- */

struct client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char in[1 << 16];
    size_t len;
    char reply[1 << 14]; /* the last reply, lines joined with "\n" */
};

static struct client *client_new(int which)
{
    struct client *c = calloc(1, sizeof *c);
    c->fd = refserver_connect(srv.ports[which]);
    return c;
}

static void client_free(struct client *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    close(c->fd);
    free(c);
}

static void client_send(struct client *c, const char *data)
{
    size_t len = strlen(data);
    int n = c->ssl ? SSL_write(c->ssl, data, (int)len) : (int)write(c->fd, data, len);
    ck_assert_int_eq(n, (int)len);
}

/* One line without its CRLF into out; false at the end of the stream. */
static bool client_line(struct client *c, char *out, size_t size)
{
    for (;;) {
        char *lf = memchr(c->in, '\n', c->len);
        if (lf) {
            size_t n = (size_t)(lf - c->in) + 1;
            snprintf(out, size, "%.*s", (int)(n > 1 && lf[-1] == '\r' ? n - 2 : n - 1), c->in);
            memmove(c->in, c->in + n, c->len - n);
            c->len -= n;
            return true;
        }
        int r = c->ssl ? SSL_read(c->ssl, c->in + c->len, (int)(sizeof c->in - c->len))
                       : (int)read(c->fd, c->in + c->len, sizeof c->in - c->len);
        if (r <= 0)
            return false;
        c->len += (size_t)r;
    }
}

/* Reads one (multi-line) SMTP reply; returns its code, 0 at the end of the stream. */
static int client_reply(struct client *c)
{
    char line[1100];
    c->reply[0] = '\0';
    for (;;) {
        if (!client_line(c, line, sizeof line))
            return 0;
        if (c->reply[0])
            strncat(c->reply, "\n", sizeof c->reply - strlen(c->reply) - 1);
        strncat(c->reply, line, sizeof c->reply - strlen(c->reply) - 1);
        if (strlen(line) < 4 || line[3] != '-')
            return atoi(line);
    }
}

/* Sends a command and expects the reply code; returns the reply text. */
static const char *cmd(struct client *c, const char *line, int code)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s\r\n", line);
    client_send(c, buf);
    int got = client_reply(c);
    ck_assert_msg(got == code, "%s: expected %d, got \"%s\"", line, code, c->reply);
    return c->reply;
}

static struct client *smtp_connect(int which, const char *hello)
{
    struct client *c = client_new(which);
    ck_assert_int_eq(client_reply(c), 220);
    if (hello)
        cmd(c, hello, 250);
    return c;
}

static void client_starttls(struct client *c)
{
    cmd(c, "STARTTLS", 220);
    c->ssl = refserver_tls(c->fd, &c->ctx);
}

/* The user's INBOX, messages concatenated, through POP3. */
static void pop3_fetch_all(const char *user, const char *password, struct mc_buf *out)
{
    char line[1100], buf[256];
    struct client *c = client_new(L_POP3);
    ck_assert(client_line(c, line, sizeof line) && line[0] == '+');
    snprintf(buf, sizeof buf, "USER %s\r\nPASS %s\r\nSTAT\r\n", user, password);
    client_send(c, buf);
    for (int i = 0; i < 3; i++)
        ck_assert(client_line(c, line, sizeof line) && line[0] == '+');
    int count = atoi(line + 4);
    for (int i = 1; i <= count; i++) {
        snprintf(buf, sizeof buf, "RETR %d\r\n", i);
        client_send(c, buf);
        ck_assert(client_line(c, line, sizeof line) && line[0] == '+');
        while (client_line(c, line, sizeof line) && strcmp(line, ".") != 0)
            mc_buf_printf(out, "%s\n", line + (line[0] == '.')); /* RFC 1939 3 */
    }
    client_free(c);
}

static void send_mail(struct client *c, const char *from, const char *to, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "MAIL FROM:<%s>", from);
    cmd(c, buf, 250);
    snprintf(buf, sizeof buf, "RCPT TO:<%s>", to);
    cmd(c, buf, 250);
    cmd(c, "DATA", 354);
    client_send(c, text);
    ck_assert_int_eq(client_reply(c), 250);
}

/* ---- tests ---- */

START_TEST(test_greeting_and_ehlo)
{
    struct client *c = smtp_connect(L_SMTP, NULL);
    ck_assert_str_eq(c->reply, "220 mx.example.test ESMTP mailconform reference");
    const char *r = cmd(c, "EHLO client.example", 250);
    ck_assert_ptr_nonnull(strstr(r, "250-PIPELINING"));
    ck_assert_ptr_nonnull(strstr(r, "250-SIZE "));
    ck_assert_ptr_nonnull(strstr(r, "250-8BITMIME"));
    ck_assert_ptr_nonnull(strstr(r, "250-ENHANCEDSTATUSCODES"));
    ck_assert_ptr_nonnull(strstr(r, "250-STARTTLS"));
    ck_assert_ptr_nonnull(strstr(r, "SMTPUTF8"));
    ck_assert_ptr_null(strstr(r, "AUTH")); /* never over plaintext */
    cmd(c, "HELP", 214);
    cmd(c, "NOOP", 250);
    cmd(c, "VRFY alice", 252);
    cmd(c, "XYZZY", 500);
    cmd(c, "QUIT", 221);
    ck_assert_int_eq(client_reply(c), 0);
    client_free(c);
}
END_TEST

START_TEST(test_delivery_and_dot_unstuffing)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    send_mail(c, "sender@remote.example", "alice@localhost",
              "Subject: t\r\n\r\n..leading dot\r\n.\r\n");
    cmd(c, "QUIT", 221);
    client_free(c);
    struct mc_buf got = {0};
    pop3_fetch_all("alice", "secret", &got);
    ck_assert_ptr_nonnull(strstr(got.data, "Return-Path: <sender@remote.example>\n"));
    ck_assert_ptr_nonnull(strstr(got.data, "Received: from client.example\n"));
    ck_assert_ptr_nonnull(strstr(got.data, "\n.leading dot\n"));
    ck_assert_ptr_null(strstr(got.data, "..leading"));
    mc_buf_free(&got);
}
END_TEST

START_TEST(test_sequence_and_refusals)
{
    struct client *c = smtp_connect(L_SMTP, NULL);
    cmd(c, "MAIL FROM:<a@b.example>", 503); /* no HELO */
    cmd(c, "EHLO client.example", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 503);
    cmd(c, "DATA", 503);
    cmd(c, "MAIL FROM:<a@b.example> SIZE=999999999999", 552);
    cmd(c, "MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME", 250);
    cmd(c, "MAIL FROM:<a@b.example>", 503);
    cmd(c, "DATA", 503);
    cmd(c, "RCPT TO:<nobody@localhost>", 550);
    cmd(c, "RCPT TO:<victim@elsewhere.example>", 554); /* not an open relay */
    cmd(c, "RCPT TO:<bob@MX.EXAMPLE.TEST> NOTIFY=SUCCESS,FAILURE", 250);
    cmd(c, "RCPT TO:<alice@localhost> FOO=BAR", 555);
    cmd(c, "RSET", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 503);
    cmd(c, "AUTH PLAIN", 538);
    client_free(c);
}
END_TEST

START_TEST(test_recipient_limit)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    cmd(c, "MAIL FROM:<a@b.example>", 250);
    for (int i = 0; i < 100; i++)
        cmd(c, "RCPT TO:<alice@localhost>", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 452);
    client_free(c);
}
END_TEST

/* RFC 5321 2.3.8: "\n.\n" does not end the text, and what follows is never a command. */
START_TEST(test_bare_lf_smuggling)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    cmd(c, "MAIL FROM:<a@b.example>", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 250);
    cmd(c, "DATA", 354);
    client_send(c,
                "Subject: x\r\n\r\nx\n.\nMAIL FROM:<evil@b.example>\r\nRCPT TO:<bob@localhost>\r\n"
                "DATA\r\nsmuggled\r\n.\r\n");
    ck_assert_int_eq(client_reply(c), 550);
    cmd(c, "NOOP", 250);
    client_free(c);
    struct mc_buf got = {0};
    pop3_fetch_all("bob", "builder", &got);
    ck_assert_uint_eq(got.len, 0);
    mc_buf_free(&got);
}
END_TEST

START_TEST(test_line_limits)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    cmd(c, "MAIL FROM:<a@b.example>", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 250);
    cmd(c, "DATA", 354);
    char text[1200];
    memset(text, 'x', 999);
    strcpy(text + 999, "\r\n.\r\n"); /* 1001 octets with its CRLF */
    client_send(c, text);
    ck_assert_int_eq(client_reply(c), 500);
    cmd(c, "NOOP", 250);
    memset(text, 'y', 512);
    text[512] = '\0';
    client_send(c, text); /* 512 octets and no line end yet: over the limit (RFC 5321 4.5.3.1.4) */
    ck_assert_int_eq(client_reply(c), 500);
    ck_assert_int_eq(client_reply(c), 0); /* closed */
    client_free(c);
}
END_TEST

/* The server closes after "500 Line too long" while the client's pipelined bytes are still
   unread: a plain close() would make the kernel answer with RST and the reply could be lost
   before the client reads it. The close must be graceful, every time. */
START_TEST(test_close_keeps_last_reply)
{
    char line[2000 + 2 + 1];
    memset(line, 'x', 2000);
    strcpy(line + 2000, "\r\n");
    for (int i = 0; i < 50; i++) {
        struct client *c = smtp_connect(L_SMTP, NULL);
        client_send(c, line);
        for (int j = 0; j < 20; j++)
            client_send(c, "NOOP pipelined behind the long line\r\n");
        ck_assert_msg(client_reply(c) == 500, "round %d: got \"%s\"", i, c->reply);
        ck_assert_str_eq(c->reply, "500 5.5.2 Line too long");
        ck_assert_int_eq(client_reply(c), 0); /* then the end of the stream, not a reset */
        client_free(c);
    }
}
END_TEST

START_TEST(test_starttls_forgets)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    client_starttls(c);
    cmd(c, "MAIL FROM:<a@b.example>", 503); /* the EHLO is forgotten (RFC 3207 4.2) */
    const char *r = cmd(c, "EHLO client.example", 250);
    ck_assert_ptr_null(strstr(r, "STARTTLS"));
    ck_assert_ptr_nonnull(strstr(r, "AUTH "));
    cmd(c, "STARTTLS", 503);
    client_free(c);
}
END_TEST

/* CVE-2011-0411: a command pipelined behind STARTTLS in the same packet must be discarded,
   never executed inside the TLS session. A vulnerable server would answer the injected HELP
   (214) over TLS before anything the client asks after the handshake. */
START_TEST(test_starttls_discards_injection)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    client_send(c, "STARTTLS\r\nHELP\r\n");
    ck_assert_int_eq(client_reply(c), 220);
    c->ssl = refserver_tls(c->fd, &c->ctx);
    cmd(c, "NOOP", 250); /* the first reply inside TLS answers NOOP, not the injected HELP */
    cmd(c, "QUIT", 221);
    client_free(c);
}
END_TEST

/* A client cut off for an endless line or an endless DATA costs the server nothing else: a
   client connected all along is still served, and so is a new one. */
START_TEST(test_cut_clients_do_not_stop_others)
{
    struct client *bystander = smtp_connect(L_SMTP, "EHLO bystander.example");
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    static char chunk[64 * 1024];
    memset(chunk, 'z', sizeof chunk - 1);
    for (int i = 0; i < 4; i++) /* 256 KiB without a line end */
        client_send(c, chunk);
    ck_assert_int_eq(client_reply(c), 500);
    client_free(c);
    c = smtp_connect(L_SMTP, "EHLO client.example");
    cmd(c, "MAIL FROM:<a@b.example>", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 250);
    cmd(c, "DATA", 354);
    memset(chunk, 'd', sizeof chunk - 3);
    strcpy(chunk + sizeof chunk - 3, "\r\n");
    int code = 0;
    for (int i = 0; i < 40 * 16 && code == 0; i++) { /* up to 40 MiB, never the final dot */
        client_send(c, chunk);
        if (i % 64 == 63) { /* look for the refusal without blocking */
            struct timeval tv = {0, 1000};
            fd_set r;
            FD_ZERO(&r);
            FD_SET(c->fd, &r);
            if (select(c->fd + 1, &r, NULL, NULL, &tv) > 0)
                code = client_reply(c);
        }
    }
    if (code == 0)
        code = client_reply(c);
    ck_assert_int_eq(code, 552); /* over the message size limit: refused, then cut */
    client_free(c);
    cmd(bystander, "NOOP", 250);
    client_free(bystander);
    c = smtp_connect(L_SMTP, "EHLO again.example");
    cmd(c, "QUIT", 221);
    client_free(c);
}
END_TEST

/* One POP3 session per maildrop (RFC 1939 4 lock; RFC 2449 8.1.2 response code): a second
   login is refused with [IN-USE] until the first session ends, which removes nothing. */
START_TEST(test_pop3_in_use)
{
    char line[512];
    struct client *a = client_new(L_POP3), *b = client_new(L_POP3);
    ck_assert(client_line(a, line, sizeof line) && line[0] == '+');
    ck_assert(client_line(b, line, sizeof line) && line[0] == '+');
    client_send(a, "USER bob\r\nPASS builder\r\n");
    ck_assert(client_line(a, line, sizeof line) && line[0] == '+');
    ck_assert(client_line(a, line, sizeof line) && strncmp(line, "+OK", 3) == 0);
    client_send(b, "USER bob\r\nPASS builder\r\n");
    ck_assert(client_line(b, line, sizeof line) && line[0] == '+');
    ck_assert(client_line(b, line, sizeof line));
    ck_assert_msg(strncmp(line, "-ERR [IN-USE]", 13) == 0, "got \"%s\"", line);
    client_send(b, "PASS builder\r\n");
    ck_assert(client_line(b, line, sizeof line));
    ck_assert_str_eq(line, "-ERR USER first"); /* USER is needed again after a refusal */
    client_free(a); /* dropped without QUIT: the lock goes, nothing is removed */
    /* The lock goes when the server has seen the connection end: until then, [IN-USE]. */
    long deadline = refserver_now_ms() + REFSERVER_DEADLINE_MS;
    for (;;) {
        client_send(b, "USER bob\r\nPASS builder\r\n");
        ck_assert(client_line(b, line, sizeof line) && line[0] == '+');
        ck_assert(client_line(b, line, sizeof line));
        if (strncmp(line, "+OK", 3) == 0)
            break;
        ck_assert_msg(strncmp(line, "-ERR [IN-USE]", 13) == 0, "got \"%s\"", line);
        ck_assert_msg(refserver_now_ms() < deadline, "the lock outlived the session by %d ms",
                      REFSERVER_DEADLINE_MS);
        refserver_poll_pause();
    }
    client_free(b);
}
END_TEST

/* APOP (RFC 1939 7): the MD5 of the greeting's timestamp and the password logs in; any other
   digest is refused. */
START_TEST(test_pop3_apop)
{
    char line[512], cmdline[256];
    struct client *c = client_new(L_POP3);
    ck_assert(client_line(c, line, sizeof line) && line[0] == '+');
    const char *lt = strchr(line, '<'), *gt = strrchr(line, '>');
    ck_assert(lt && gt && gt > lt);
    struct mc_buf in = {0}, hex = {0};
    mc_buf_append(&in, lt, (size_t)(gt - lt + 1));
    mc_buf_append_str(&in, "builder");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(in.data, in.len, md, &md_len, EVP_md5(), NULL);
    mc_buf_append_hex(&hex, md, md_len);
    client_send(c, "APOP bob 0123456789abcdef0123456789abcdef\r\n");
    ck_assert(client_line(c, line, sizeof line) && strncmp(line, "-ERR [AUTH]", 11) == 0);
    snprintf(cmdline, sizeof cmdline, "APOP bob %s\r\n", hex.data);
    client_send(c, cmdline);
    ck_assert(client_line(c, line, sizeof line));
    ck_assert_msg(strncmp(line, "+OK", 3) == 0, "got \"%s\"", line);
    mc_buf_free(&in);
    mc_buf_free(&hex);
    client_free(c);
}
END_TEST

static void auth_scram(struct client *c, const char *password, int final_code)
{
    struct mc_sasl *sasl = mc_sasl_new("SCRAM-SHA-256", "alice", password);
    struct mc_buf resp = {0}, line = {0}, chal = {0};
    mc_sasl_initial(sasl, &resp);
    mc_buf_append_str(&line, "AUTH SCRAM-SHA-256 ");
    mc_base64_encode(resp.data, resp.len, &line);
    int code;
    for (;;) {
        mc_buf_append_str(&line, "\r\n");
        client_send(c, line.data);
        code = client_reply(c);
        if (code != 334)
            break;
        mc_buf_reset(&chal);
        mc_buf_reset(&resp);
        mc_buf_reset(&line);
        ck_assert_int_ge(mc_base64_decode(c->reply + 4, strlen(c->reply + 4), &chal), 0);
        if (mc_sasl_step(sasl, chal.data, chal.len, &resp) == MC_SASL_CONTINUE)
            mc_base64_encode(resp.data ? resp.data : "", resp.len, &line);
    }
    ck_assert_msg(code == final_code, "AUTH: %s", c->reply);
    if (code == 235)
        ck_assert(mc_sasl_complete(sasl));
    mc_sasl_free(sasl);
    mc_buf_free(&resp);
    mc_buf_free(&line);
    mc_buf_free(&chal);
}

START_TEST(test_submission_auth)
{
    struct client *c = smtp_connect(L_SUBMISSION, "EHLO client.example");
    ck_assert_ptr_null(strstr(c->reply, "AUTH"));
    cmd(c, "MAIL FROM:<alice@localhost>", 530);
    client_starttls(c);
    cmd(c, "EHLO client.example", 250);
    cmd(c, "MAIL FROM:<alice@localhost>", 530);
    cmd(c, "AUTH PLAIN", 334);
    cmd(c, "*", 501);
    auth_scram(c, "wrong", 535);
    auth_scram(c, "secret", 235);
    cmd(c, "AUTH PLAIN", 503);
    cmd(c, "MAIL FROM:<alice@localhost>", 250);
    cmd(c, "RCPT TO:<friend@elsewhere.example>", 250); /* authenticated: accepted (a sink) */
    cmd(c, "RCPT TO:<bob@localhost>", 250);
    cmd(c, "DATA", 354);
    client_send(c, "Subject: s\r\n\r\nhi\r\n.\r\n");
    ck_assert_int_eq(client_reply(c), 250);
    client_free(c);
    struct mc_buf got = {0};
    pop3_fetch_all("bob", "builder", &got);
    ck_assert_ptr_nonnull(strstr(got.data, "with ESMTPSA"));
    mc_buf_free(&got);
}
END_TEST

START_TEST(test_lmtp)
{
    struct client *c = smtp_connect(L_LMTP, NULL);
    ck_assert_str_eq(c->reply, "220 mx.example.test LMTP mailconform reference");
    cmd(c, "EHLO client.example", 500);
    cmd(c, "LHLO client.example", 250);
    cmd(c, "MAIL FROM:<a@b.example>", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 250);
    cmd(c, "RCPT TO:<nobody@localhost>", 550);
    cmd(c, "RCPT TO:<bob@localhost>", 250);
    cmd(c, "DATA", 354);
    client_send(c, "Subject: l\r\n\r\nhi\r\n.\r\n");
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_ptr_nonnull(strstr(c->reply, "alice@localhost"));
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_ptr_nonnull(strstr(c->reply, "bob@localhost"));
    cmd(c, "QUIT", 221);
    client_free(c);
}
END_TEST

/* RFC 5321 4.5.3.2.7 / 3.8: a server that times a client out says 421 before closing. */
START_TEST(test_idle_timeout_421)
{
    struct client *c = smtp_connect(L_SMTP_IMPATIENT, "EHLO client.example");
    ck_assert_int_eq(client_reply(c), 421);
    ck_assert_ptr_nonnull(strstr(c->reply, "421 4.4.2 mx.example.test"));
    ck_assert_int_eq(client_reply(c), 0);
    client_free(c);
}
END_TEST

/* ---- BDAT (RFC 3030) ---- */

static void client_send_bytes(struct client *c, const void *data, size_t len)
{
    ck_assert_int_eq((int)write(c->fd, data, len), (int)len);
}

START_TEST(test_bdat_two_chunks)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    ck_assert_ptr_nonnull(strstr(c->reply, "250-CHUNKING"));
    ck_assert_ptr_null(strstr(c->reply, "BINARYMIME"));
    cmd(c, "MAIL FROM:<a@b.example>", 250);
    cmd(c, "RCPT TO:<alice@localhost>", 250);
    /* Not dot-stuffed; CRLF and a "." line inside a chunk are plain octets. */
    static const char one[] = "Subject: chunked\r\n\r\nfirst half, ";
    static const char two[] = "second half\r\n.\r\n..two dots\r\n";
    char buf[128];
    snprintf(buf, sizeof buf, "BDAT %zu\r\n%s", strlen(one), one);
    client_send(c, buf);
    ck_assert_int_eq(client_reply(c), 250);
    snprintf(buf, sizeof buf, "250 2.0.0 %zu octets received", strlen(one));
    ck_assert_str_eq(c->reply, buf);
    cmd(c, "DATA", 503); /* no mixing (RFC 3030 2) */
    snprintf(buf, sizeof buf, "BDAT %zu LAST\r\n%s", strlen(two), two);
    client_send(c, buf);
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_ptr_nonnull(strstr(c->reply, "delivered"));
    cmd(c, "NOOP", 250);
    client_free(c);
    struct mc_buf got = {0};
    pop3_fetch_all("alice", "secret", &got);
    /* pop3_fetch_all turns CRLF into "\n" and undoes POP3's own byte-stuffing. */
    ck_assert_ptr_nonnull(
        strstr(got.data, "\nSubject: chunked\n\nfirst half, second half\n.\n..two dots\n"));
    mc_buf_free(&got);
}
END_TEST

START_TEST(test_bdat_refusals)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    /* Refused BDATs still have their chunk read and dropped: "NOOP" inside is no command. */
    client_send(c, "BDAT 6\r\nNOOP\r\n");
    ck_assert_int_eq(client_reply(c), 503);
    cmd(c, "MAIL FROM:<a@b.example>", 250);
    client_send(c, "BDAT 6 LAST\r\nNOOP\r\n");
    ck_assert_int_eq(client_reply(c), 503);
    cmd(c, "RCPT TO:<alice@localhost>", 250);
    cmd(c, "BDAT x", 501);
    cmd(c, "BDAT 5 MORE", 501);
    /* Over the SIZE limit: counted and dropped, 552, and the session goes on. */
    size_t big = 40u * 1024 * 1024; /* over SIZE (32 MiB less headroom) */
    char head[64];
    snprintf(head, sizeof head, "BDAT %zu LAST\r\n", big);
    client_send(c, head);
    size_t block = 1u << 16;
    char *zeros = calloc(1, block);
    for (size_t sent = 0; sent < big; sent += block)
        client_send_bytes(c, zeros, big - sent < block ? big - sent : block);
    free(zeros);
    ck_assert_int_eq(client_reply(c), 552);
    client_send(c, "BDAT 1 LAST\r\nx");
    ck_assert_int_eq(client_reply(c), 503); /* the transaction is gone */
    cmd(c, "NOOP", 250);
    cmd(c, "QUIT", 221);
    client_free(c);
    struct mc_buf got = {0};
    pop3_fetch_all("alice", "secret", &got);
    ck_assert_uint_eq(got.len, 0);
    mc_buf_free(&got);
}
END_TEST

START_TEST(test_bdat_empty_last_and_pipelined_quit)
{
    struct client *c = smtp_connect(L_SMTP, "EHLO client.example");
    /* Everything in one packet: the chunk ends exactly where QUIT begins. */
    client_send(c, "MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@localhost>\r\n"
                   "BDAT 14\r\nSubject: p\r\n\r\nBDAT 0 LAST\r\nQUIT\r\n");
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_str_eq(c->reply, "250 2.0.0 14 octets received");
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_ptr_nonnull(strstr(c->reply, "delivered"));
    ck_assert_int_eq(client_reply(c), 221);
    ck_assert_int_eq(client_reply(c), 0);
    client_free(c);
    /* A single chunk with LAST followed by QUIT, in one packet, over LMTP: one reply per
       recipient (RFC 2033 4.2). */
    c = smtp_connect(L_LMTP, "LHLO client.example");
    client_send(c, "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@localhost>\r\n"
                   "RCPT TO:<bob@localhost>\r\nBDAT 23 LAST\r\nSubject: q\r\n\r\nbare\nLF\r\n"
                   "QUIT\r\n");
    for (int i = 0; i < 4; i++) /* MAIL, RCPT, RCPT, then alice's delivery */
        ck_assert_int_eq(client_reply(c), 250);
    ck_assert_ptr_nonnull(strstr(c->reply, "alice@localhost"));
    ck_assert_int_eq(client_reply(c), 250);
    ck_assert_ptr_nonnull(strstr(c->reply, "bob@localhost"));
    ck_assert_int_eq(client_reply(c), 221);
    client_free(c);
    struct mc_buf got = {0};
    pop3_fetch_all("bob", "builder", &got);
    ck_assert_ptr_nonnull(strstr(got.data, "\nSubject: p\n\n"));
    ck_assert_ptr_nonnull(strstr(got.data, "\nSubject: q\n\nbare\nLF\n"));
    mc_buf_free(&got);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reference_smtp");
    TCase *tc = tcase_create("smtp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_greeting_and_ehlo);
    tcase_add_test(tc, test_delivery_and_dot_unstuffing);
    tcase_add_test(tc, test_sequence_and_refusals);
    tcase_add_test(tc, test_recipient_limit);
    tcase_add_test(tc, test_bare_lf_smuggling);
    tcase_add_test(tc, test_line_limits);
    tcase_add_test(tc, test_close_keeps_last_reply);
    tcase_add_test(tc, test_starttls_forgets);
    tcase_add_test(tc, test_starttls_discards_injection);
    tcase_add_test(tc, test_pop3_in_use);
    tcase_add_test(tc, test_pop3_apop);
    tcase_add_test(tc, test_cut_clients_do_not_stop_others);
    tcase_add_test(tc, test_submission_auth);
    tcase_add_test(tc, test_lmtp);
    tcase_add_test(tc, test_idle_timeout_421);
    tcase_add_test(tc, test_bdat_two_chunks);
    tcase_add_test(tc, test_bdat_refusals);
    tcase_add_test(tc, test_bdat_empty_last_and_pipelined_quit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return mc_check_run(suite());
}
