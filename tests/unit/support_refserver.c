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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/tls.h"
#include "reference/mailstore.h"

#define REFSERVER_RECEIVE_TIMEOUT_S 20

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
