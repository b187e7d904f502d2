/*
 * tls — OpenSSL contexts for the client side of every session.
 *
 * One SSL_CTX per run: TLS 1.2 or newer, peer verification against the target's CA file when
 * one is given (and host name checking against the target's TLS server name), no verification
 * otherwise (the report then says so). The libevent side of TLS (implicit TLS, STARTTLS as a
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
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
void mc_tls_describe(SSL *ssl, struct mc_buf *out);
/* Why a handshake failed: the verify result if that was it, else OpenSSL's error queue
   (which it drains). */
void mc_tls_failure(SSL *ssl, unsigned long ssl_err, struct mc_buf *out);

#endif
