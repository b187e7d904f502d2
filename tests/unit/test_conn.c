/*
 * test_conn — a connection's input side over a real socket pair on a libevent loop: `record`
 * gets each line straight out of the connection's buffer as it arrives (no copy per line), a
 * part of a line consumed early and the rest at close; the read limit holds however much the
 * peer sends and reading resumes by itself once the owner consumes, without the read callback
 * spinning while nobody does; STARTTLS keeps its rules (a client refuses plaintext buffered
 * before the handshake, a server discards it and says so).
 */
#include <check.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/conn.h"
#include "lib/tls.h"
#include "support_check.h"

struct probe {
    struct mc_conn *c;
    struct mc_buf received; /* every MC_CONN_RECEIVED octet, in order */
    size_t records;         /* MC_CONN_RECEIVED calls */
    size_t copies;          /* of them, handed bytes from outside the input buffer */
    struct mc_buf events;
    size_t readable;
    bool closed, connected;
};

static void on_record(void *arg, enum mc_conn_dir dir, const char *data, size_t len)
{
    struct probe *p = arg;
    if (dir == MC_CONN_EVENT) {
        mc_buf_append(&p->events, data, len);
        mc_buf_append_char(&p->events, '\n');
    }
    if (dir != MC_CONN_RECEIVED)
        return;
    const char *in = mc_conn_input(p->c);
    if (data < in || data + len > in + mc_conn_input_length(p->c))
        p->copies++;
    p->records++;
    mc_buf_append(&p->received, data, len);
}

static void on_readable(void *arg)
{
    ((struct probe *)arg)->readable++;
}

static void on_closed(void *arg, bool error, const char *why)
{
    (void)error;
    (void)why;
    ((struct probe *)arg)->closed = true;
}

static void on_connected(void *arg)
{
    ((struct probe *)arg)->connected = true;
}

static const struct mc_conn_handlers handlers = {
    .connected = on_connected,
    .readable = on_readable,
    .closed = on_closed,
    .record = on_record,
};

static struct event_base *base;
static int peer; /* the test's end of the socket pair */
static struct probe pr;

static void setup(void)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    base = event_base_new();
    memset(&pr, 0, sizeof pr);
    pr.c = mc_conn_accept(base, sv[0], NULL, false, &handlers, &pr);
    ck_assert_ptr_nonnull(pr.c);
    peer = sv[1];
}

static void teardown(void)
{
    mc_conn_free(pr.c);
    if (peer >= 0)
        close(peer);
    event_base_free(base);
    mc_buf_free(&pr.received);
    mc_buf_free(&pr.events);
}

static void peer_send(const char *s, size_t n)
{
    ck_assert_int_eq(send(peer, s, n, 0), (ssize_t)n);
}

/* Runs the loop until nothing is left to do right now (a few passes, never blocking). */
static void spin(void)
{
    for (int i = 0; i < 20; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

START_TEST(records_lines_in_place)
{
    peer_send("* OK ready\r\n* 1 EXI", 19);
    spin();
    ck_assert_uint_eq(pr.records, 1);
    ck_assert_str_eq(pr.received.data, "* OK ready\r\n");
    peer_send("STS\r\n* 2 EXISTS\r\npartial", 24);
    spin();
    ck_assert_uint_eq(pr.records, 3);
    ck_assert_uint_eq(pr.copies, 0);
    ck_assert_str_eq(pr.received.data, "* OK ready\r\n* 1 EXISTS\r\n* 2 EXISTS\r\n");
    /* The owner consumes into the middle of a line (an IMAP literal): that part is recorded
       now, before it leaves the buffer; the rest follows with its line end. */
    size_t total;
    bool bare;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_ge(mc_conn_find_line(pr.c, &total, &bare), 0);
        mc_conn_consume(pr.c, total);
    }
    mc_conn_consume(pr.c, 4);
    ck_assert_uint_eq(pr.records, 4);
    ck_assert_str_eq(pr.received.data + 36, "part");
    peer_send("-end\r\ntail", 10);
    spin();
    ck_assert_str_eq(pr.received.data + 36, "partial-end\r\n");
    ck_assert_int_eq(memcmp(mc_conn_input(pr.c), "ial-end\r\ntail", 13), 0);
    /* At close the rest without a line end is recorded too. */
    close(peer);
    peer = -1;
    spin();
    ck_assert(pr.closed);
    ck_assert_str_eq(pr.received.data + 36, "partial-end\r\ntail");
    ck_assert_uint_eq(pr.copies, 0);
}
END_TEST

#define LIMIT 1000
#define FLOOD (8u * 1024u * 1024u)

/* The peer sends far more than the limit: the input holds exactly the limit, reading from the
   socket stops (so the peer is held back by TCP flow control instead of filling libevent's
   buffer, and the read callback is not called over and over while nobody consumes), and
   consuming lets the rest in, in order. */
START_TEST(read_limit_holds_and_resumes)
{
    mc_conn_set_read_limit(pr.c, LIMIT);
    char *flood = malloc(FLOOD);
    for (size_t i = 0; i < FLOOD; i++)
        flood[i] = (char)('a' + i % 26);
    fcntl(peer, F_SETFL, O_NONBLOCK);
    size_t sent = 0;
    for (int round = 0; round < 200 && sent < FLOOD; round++) {
        ssize_t n = send(peer, flood + sent, FLOOD - sent, 0);
        if (n > 0)
            sent += (size_t)n;
        spin();
    }
    ck_assert_uint_eq(mc_conn_input_length(pr.c), LIMIT);
    ck_assert_uint_lt(sent, FLOOD / 2);
    size_t calls = pr.readable;
    for (int i = 0; i < 50; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    ck_assert_uint_eq(pr.readable, calls); /* paused, not spinning */

    size_t got = 0;
    for (int round = 0; round < 1000000 && got < FLOOD; round++) {
        size_t n = mc_conn_input_length(pr.c);
        ck_assert_uint_le(n, LIMIT);
        if (n) {
            ck_assert_int_eq(memcmp(mc_conn_input(pr.c), flood + got, n), 0);
            mc_conn_consume(pr.c, n);
            got += n;
        }
        if (sent < FLOOD) {
            ssize_t s = send(peer, flood + sent, FLOOD - sent, 0);
            if (s > 0)
                sent += (size_t)s;
        }
        event_base_loop(base, EVLOOP_NONBLOCK);
    }
    ck_assert_uint_eq(got, FLOOD);
    free(flood);
}
END_TEST

static char tmpdir[] = "/tmp/mc-conn-XXXXXX";
static char cert[64], key[64];

static SSL_CTX *server_ctx(void)
{
    struct mc_buf err = {0};
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(cert, sizeof cert, "%s/cert.pem", tmpdir);
    snprintf(key, sizeof key, "%s/key.pem", tmpdir);
    ck_assert_msg(mc_tls_make_self_signed(cert, key, &err) == 0, "%s", err.data);
    SSL_CTX *ctx = mc_tls_server_ctx(cert, key, &err);
    ck_assert_msg(ctx != NULL, "%s", err.data);
    mc_buf_free(&err);
    unlink(cert);
    unlink(key);
    rmdir(tmpdir);
    return ctx;
}

/* Server side: a command pipelined behind STARTTLS is discarded and recorded as an event
   (RFC 3207 4, CVE-2011-0411), whether it is in the connection's buffer or still in
   libevent's. */
START_TEST(server_discards_plaintext_behind_starttls)
{
    SSL_CTX *ctx = server_ctx();
    mc_conn_free(pr.c);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(peer);
    peer = sv[1];
    pr.c = mc_conn_accept(base, sv[0], ctx, false, &handlers, &pr);
    /* libevent reads no more than the limit at a time: after the first line is consumed, the
       next read brings more than there is room for, and the rest waits in its buffer. */
    mc_conn_set_read_limit(pr.c, 20);
    peer_send("A1 STARTTLS\r\nA2 LOGIN x y\r\n", 27);
    spin();
    size_t total;
    bool bare;
    ck_assert_int_eq(mc_conn_find_line(pr.c, &total, &bare), 11);
    mc_conn_consume(pr.c, total);
    peer_send("A3 NOOP\r\nA4 NOOP\r\n", 18);
    spin();
    ck_assert_uint_eq(mc_conn_input_length(pr.c), 20);
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_conn_start_tls(pr.c, &err), 0);
    ck_assert_ptr_nonnull(strstr(pr.events.data, "discarded 27 byte(s) sent behind STARTTLS"));
    ck_assert_uint_eq(mc_conn_input_length(pr.c), 0);
    mc_buf_free(&err);
    SSL_CTX_free(ctx);
}
END_TEST

/* Client side: a server that sent anything after its STARTTLS reply makes the upgrade fail,
   so those bytes are never read as if they came over TLS (RFC 3207 4, RFC 2595 3.1). */
START_TEST(client_refuses_plaintext_before_handshake)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    struct mc_buf err = {0};
    SSL_CTX *ctx = mc_tls_client_ctx(NULL, false, &err);
    ck_assert_ptr_nonnull(ctx);
    struct probe cp = {0};
    cp.c = mc_conn_new(base, ctx, "localhost", &handlers, &cp);
    ck_assert_int_eq(mc_conn_connect(cp.c, "127.0.0.1", ntohs(sa.sin_port), false, &err), 0);
    int fd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    for (int i = 0; i < 100 && !cp.connected; i++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ck_assert(cp.connected);
    ck_assert_int_eq(send(fd, "220 go ahead\r\n250 injected\r\n", 28, 0), 28);
    for (int i = 0; i < 100 && mc_conn_input_length(cp.c) < 28; i++)
        event_base_loop(base, EVLOOP_ONCE);
    size_t total;
    bool bare;
    ck_assert_int_eq(mc_conn_find_line(cp.c, &total, &bare), 12);
    mc_conn_consume(cp.c, total);
    ck_assert_int_eq(mc_conn_start_tls(cp.c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.data, "CVE-2011-0411"));
    mc_conn_free(cp.c);
    mc_buf_free(&cp.received);
    mc_buf_free(&cp.events);
    mc_buf_free(&err);
    SSL_CTX_free(ctx);
    close(fd);
    close(lfd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conn");
    TCase *tc = tcase_create("conn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, records_lines_in_place);
    tcase_add_test(tc, read_limit_holds_and_resumes);
    tcase_add_test(tc, server_discards_plaintext_behind_starttls);
    tcase_add_test(tc, client_refuses_plaintext_before_handshake);
    suite_add_tcase(s, tc);
    return mc_check_run(s);
}
