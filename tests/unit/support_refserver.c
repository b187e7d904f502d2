/*
 * support_refserver — see support_refserver.h.
 */
#include "support_refserver.h"

#include <arpa/inet.h>
#include <check.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/tls.h"
#include "reference/mailstore.h"

#define REFSERVER_RECEIVE_TIMEOUT_S 20
#define REFSERVER_POLL_MS 20
/* Looks in a row (REFSERVER_POLL_MS apart) that must find the server unchanged and asleep
   before it counts as quiet: more than the 10 ms granularity of its CPU time. */
#define REFSERVER_QUIET_LOOKS 5

static void refserver_child(struct refserver *rs, const struct rs_listener_config *cfg, size_t n,
                            int fd)
{
    struct mc_buf err = {0}, cert = {0}, key = {0};
    mc_buf_printf(&cert, "%s/cert.pem", rs->tmpdir);
    mc_buf_printf(&key, "%s/key.pem", rs->tmpdir);
    if (mc_tls_make_self_signed(cert.data, key.data, &err) != 0)
        _exit(2);
    SSL_CTX *tls = mc_tls_server_ctx(cert.data, key.data, &err);
    struct event_base *base = event_base_new();
    struct ms_store *st = ms_store_new();
    ms_store_add_user(st, "alice", "secret", NULL);
    ms_store_add_user(st, "bob", "builder", NULL);
    struct rs_server *srv = rs_server_new(base, st, tls, REFSERVER_HOSTNAME);
    for (size_t i = 0; i < n; i++)
        if (!tls || rs_server_listen(srv, &cfg[i], "127.0.0.1", 0, &rs->ports[i], &err) != 0)
            _exit(3);
    if (write(fd, rs->ports, sizeof rs->ports) != (ssize_t)sizeof rs->ports)
        _exit(4);
    close(fd);
    event_base_dispatch(base);
    _exit(0);
}

void refserver_start(struct refserver *rs, const char *name, const struct rs_listener_config *cfg,
                     size_t n)
{
    ck_assert_uint_le(n, REFSERVER_LISTENERS_MAX);
    snprintf(rs->tmpdir, sizeof rs->tmpdir, "/tmp/%s.XXXXXX", name);
    ck_assert_ptr_nonnull(mkdtemp(rs->tmpdir));
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    rs->child = fork();
    ck_assert_int_ge(rs->child, 0);
    if (rs->child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test exits without its teardown */
        close(p[0]);
        refserver_child(rs, cfg, n, p[1]);
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], rs->ports, sizeof rs->ports), (ssize_t)sizeof rs->ports);
    close(p[0]);
}

void refserver_stop(struct refserver *rs)
{
    kill(rs->child, SIGKILL);
    waitpid(rs->child, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", rs->tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", rs->tmpdir);
}

long refserver_status_kib(const struct refserver *rs, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)rs->child);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    long kib = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = atol(line + n + 1);
    fclose(f);
    ck_assert_int_ge(kib, 0);
    return kib;
}

int refserver_connect(int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    struct timeval tv = {REFSERVER_RECEIVE_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

SSL *refserver_tls(int fd, SSL_CTX **ctx)
{
    *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(*ctx);
    SSL_set_fd(ssl, fd);
    ck_assert_int_eq(SSL_connect(ssl), 1);
    return ssl;
}

long refserver_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void refserver_poll_pause(void)
{
    struct timespec pause = {0, REFSERVER_POLL_MS * 1000000L};
    nanosleep(&pause, NULL);
}

/* The child's scheduling state and the CPU time it has used, in clock ticks (proc(5):
   /proc/PID/stat, fields 3, 14 and 15; the name in field 2 may hold spaces). */
static void refserver_cpu(const struct refserver *rs, char *state, unsigned long long *ticks)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)rs->child);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *after_name = strrchr(text, ')');
    ck_assert_ptr_nonnull(after_name);
    unsigned long long utime, stime;
    ck_assert_int_eq(sscanf(after_name + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                            state, &utime, &stime),
                     3);
    *ticks = utime + stime;
}

void refserver_wait_quiet(const struct refserver *rs, int fd)
{
    long deadline = refserver_now_ms() + REFSERVER_DEADLINE_MS;
    int quiet = 0, last_waiting = -1;
    unsigned long long last_ticks = 0;
    while (quiet < REFSERVER_QUIET_LOOKS) {
        ck_assert_msg(refserver_now_ms() < deadline,
                      "the server was not quiet within %d ms (%d bytes wait unread)",
                      REFSERVER_DEADLINE_MS, last_waiting);
        refserver_poll_pause();
        int waiting = 0;
        char state;
        unsigned long long ticks;
        ck_assert_int_eq(ioctl(fd, FIONREAD, &waiting), 0);
        refserver_cpu(rs, &state, &ticks);
        bool same = waiting > 0 && waiting == last_waiting && ticks == last_ticks && state == 'S';
        quiet = same ? quiet + 1 : 0;
        last_waiting = waiting;
        last_ticks = ticks;
    }
}
