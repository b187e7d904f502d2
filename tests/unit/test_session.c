/*
 * test_session — a session reading a reply from a real socket: an IMAP literal far longer than
 * a line streams through the connection's input into the framer (the input never holds more
 * than the protocol's line_max, whatever the literal's size) and arrives intact; a reply that
 * grows without end stops at the reply cap, named in the failure.
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

#include "engine/session.h"
#include "proto/syntax.h"
#include "support_check.h"

static struct event_base *base;
static int lfd, peer = -1;
static struct mc_endpoint ep = {.name = "imap", .proto = &mc_proto_imap, .host = "127.0.0.1"};
static struct mc_session *s;
static enum mc_session_event last;
static bool got;
static char why[512];
static size_t input_max; /* the most the connection's input held at any time */

static void on_event(void *arg, struct mc_session *ss, enum mc_session_event ev, const char *w)
{
    (void)arg;
    (void)ss;
    last = ev;
    got = true;
    snprintf(why, sizeof why, "%s", w ? w : "");
}

static void setup(void)
{
    base = event_base_new();
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    ep.port = ntohs(sa.sin_port);
    s = mc_session_new(0, "a", &mc_proto_imap, &ep, NULL, "example.test");
    s->cb = on_event;
    struct mc_buf err = {0};
    ck_assert_int_eq(mc_session_open(s, base, NULL, NULL, &err), 0);
    mc_buf_free(&err);
    peer = accept(lfd, NULL, NULL);
    ck_assert_int_ge(peer, 0);
    fcntl(peer, F_SETFL, O_NONBLOCK);
    input_max = 0;
}

static void teardown(void)
{
    mc_session_free(s);
    close(peer);
    close(lfd);
    event_base_free(base);
}

/* Sends what the socket takes of data[*sent..n), then runs the loop once. */
static void pump(const char *data, size_t n, size_t *sent)
{
    if (*sent < n) {
        ssize_t k = send(peer, data + *sent, n - *sent, MSG_NOSIGNAL);
        if (k > 0)
            *sent += (size_t)k;
    }
    event_base_loop(base, EVLOOP_NONBLOCK);
    if (s->conn && mc_conn_input_length(s->conn) > input_max)
        input_max = mc_conn_input_length(s->conn);
}

static void await_event(const char *data, size_t n)
{
    size_t sent = 0;
    got = false;
    for (long i = 0; i < 2000000 && !got; i++)
        pump(data, n, &sent);
    ck_assert_msg(got, "no session event");
}

#define LITERAL (8u * 1024u * 1024u) /* eight times the IMAP line limit */

START_TEST(literal_streams_through)
{
    await_event("* OK ready\r\n", 12);
    ck_assert_int_eq(last, MC_SEV_REPLY);
    struct mc_exchange_opts o = {.multiline = -1};
    mc_session_exchange(s, MC_EX_COMMAND, "FETCH 1 BODY[]", 14, &o);
    char head[64];
    int h = snprintf(head, sizeof head, "* 1 FETCH (BODY[] {%u}\r\n", LITERAL);
    static const char tail[] = ")\r\nA0001 OK done\r\n";
    size_t n = (size_t)h + LITERAL + sizeof tail - 1;
    char *reply = malloc(n);
    memcpy(reply, head, (size_t)h);
    for (size_t i = 0; i < LITERAL; i++)
        reply[h + i] = (char)(1 + i % 251); /* any octet but NUL (CHAR8), CR and LF included */
    memcpy(reply + h + LITERAL, tail, sizeof tail - 1);
    await_event(reply, n);
    ck_assert_msg(last == MC_SEV_REPLY, "%s", why);
    ck_assert_uint_le(input_max, mc_proto_imap.line_max);
    ck_assert_uint_eq(s->reply.literals.count, 1);
    ck_assert_uint_eq(s->reply.literals.items[0].len, LITERAL);
    ck_assert_int_eq(memcmp(s->reply.literals.items[0].ptr, reply + h, LITERAL), 0);
    ck_assert_str_eq(s->reply.status, "OK");
    free(reply);
}
END_TEST

/* Untagged lines that never end: the reply stops at its memory cap, which the failure names,
   long before the octets alone would reach it. */
START_TEST(endless_reply_stops_at_cap)
{
    await_event("* OK ready\r\n", 12);
    struct mc_exchange_opts o = {.multiline = -1};
    mc_session_exchange(s, MC_EX_COMMAND, "NOOP", 4, &o);
    static const char line[] = "* 1 EXISTS\r\n";
    size_t count = 64 * 1024, n = count * (sizeof line - 1);
    char *block = malloc(n);
    for (size_t i = 0; i < count; i++)
        memcpy(block + i * (sizeof line - 1), line, sizeof line - 1);
    size_t blocks = 0;
    got = false;
    while (!got && blocks < 64) { /* 48 MiB of lines at most: the cap must come first */
        size_t sent = 0;
        while (sent < n && !got)
            pump(block, n, &sent);
        blocks++;
    }
    ck_assert(got);
    ck_assert_int_eq(last, MC_SEV_FAILED);
    ck_assert_msg(strstr(why, "MC_SYN_REPLY_MEMORY_MAX"), "%s", why);
    ck_assert_uint_lt(blocks * n, MC_SYN_REPLY_MEMORY_MAX / 4);
    free(block);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("session");
    TCase *tc = tcase_create("session");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, literal_streams_through);
    tcase_add_test(tc, endless_reply_stops_at_cap);
    suite_add_tcase(su, tc);
    return mc_check_run(su);
}
