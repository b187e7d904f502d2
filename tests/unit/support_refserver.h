/*
 * support_refserver — what the reference server's socket-level tests (test_reference_*.c)
 * share: the server runs in a forked child on its own event loop, with an in-memory store
 * holding the users alice/secret and bob/builder, a self-signed certificate and the listeners
 * the test asks for on ephemeral loopback ports; the test talks to it over blocking sockets.
 * The child dies with the test process, even when a failed check skips the teardown.
 *
 * Tests never sleep for a fixed time to let the server get somewhere: they poll for what they
 * wait for, with a deadline (refserver_now_ms, refserver_poll_pause, refserver_wait_quiet).
 */
#ifndef MC_TESTS_SUPPORT_REFSERVER_H
#define MC_TESTS_SUPPORT_REFSERVER_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/types.h>

#include "reference/server.h"

#define REFSERVER_LISTENERS_MAX 8
#define REFSERVER_HOSTNAME "mx.example.test"

struct refserver {
    pid_t child;
    char tmpdir[64];
    int ports[REFSERVER_LISTENERS_MAX]; /* in the order of the listener configurations */
};

/* Starts the server with listeners cfg[0..n); `name` names its temporary directory. */
void refserver_start(struct refserver *rs, const char *name, const struct rs_listener_config *cfg,
                     size_t n);
void refserver_stop(struct refserver *rs); /* kills the child, removes the directory */
/* A field of the server's /proc/PID/status in KiB ("VmPeak", "VmRSS"). */
long refserver_status_kib(const struct refserver *rs, const char *field);
/* A blocking TCP connection to 127.0.0.1:port with a 20 s receive timeout. */
int refserver_connect(int port);
/* A TLS client handshake over fd (no certificate check: the certificate is self-signed). */
SSL *refserver_tls(int fd, SSL_CTX **ctx);

/* How long a test waits for the server to get somewhere before it fails: long enough for a
   sanitizer build on a loaded machine, short of ctest's timeout. */
#define REFSERVER_DEADLINE_MS 30000
/* Milliseconds on a monotonic clock, for deadlines. */
long refserver_now_ms(void);
/* The pause between two looks at a polled condition (REFSERVER_POLL_MS). */
void refserver_poll_pause(void);
/* Waits until the server has done all it will do with what the test sent: replies wait
   unread on `fd`, and the number of those bytes and the server's CPU time stay the same, with
   the server asleep, over REFSERVER_QUIET_LOOKS looks in a row. Fails the test when that does
   not happen within REFSERVER_DEADLINE_MS. */
void refserver_wait_quiet(const struct refserver *rs, int fd);

#endif
