/*
 * tls — OpenSSL contexts for both sides.
 *
 * Client: one SSL_CTX per run: TLS 1.2 or newer, peer verification against the target's CA file
 * when one is given (and host name checking against the target's TLS server name), no
 * verification otherwise (the report then says so).
 * Server (the reference server): a context from a certificate and key, and a self-signed
 * certificate made at start when none is given, naming localhost and 127.0.0.1 both as DNS
 * names and as an IP address (some clients, fetchmail and mbsync among them, check one or the
 * other). The libevent side of TLS (implicit TLS, STARTTLS as a
 * filter over the plain connection) lives in engine/conn.c.
 */
#ifndef MC_LIB_TLS_H
#define MC_LIB_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "lib/buf.h"

/* NULL with a message in err when the CA file cannot be read. */
SSL_CTX *mc_tls_client_ctx(const char *ca_file, struct mc_buf *err);
/* A new SSL for one connection, with SNI and (when verifying) the host name to check. */
SSL *mc_tls_client_ssl(SSL_CTX *ctx, const char *server_name);
/* Writes a new self-signed certificate (ECDSA P-256, valid from an hour ago for
   MC_TLS_SELF_SIGNED_DAYS) and its key as PEM files. 0, or -1 with a message. */
#define MC_TLS_SELF_SIGNED_DAYS 30
int mc_tls_make_self_signed(const char *cert_path, const char *key_path, struct mc_buf *err);
/* A server context (TLS >= 1.2) from PEM files. NULL with a message on failure. */
SSL_CTX *mc_tls_server_ctx(const char *cert_path, const char *key_path, struct mc_buf *err);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
void mc_tls_describe(SSL *ssl, struct mc_buf *out);
/* Why a handshake failed: the verify result if that was it, else OpenSSL's error queue
   (which it drains). */
void mc_tls_failure(SSL *ssl, unsigned long ssl_err, struct mc_buf *out);

#endif
