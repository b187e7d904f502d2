/*
 * tls — OpenSSL contexts for both sides.
 *
 * Client: one SSL_CTX per run: TLS 1.2 or newer; the server's certificate is checked against the
 * target's CA file, or the system's trust store when none is given, and against the target's
 * TLS server name. Verification is on by default: a certificate that does not verify fails the
 * handshake. Without it (`--insecure`), the handshake goes on and the result of the check is
 * still known (mc_tls_peer_facts), so that the report can say TLS was not verified and why.
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

/* NULL with a message in err when the CA file (or, without one, the system's trust store)
   cannot be read. `verify`: a certificate that does not verify fails the handshake. */
SSL_CTX *mc_tls_client_ctx(const char *ca_file, bool verify, struct mc_buf *err);
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
/* What kind of handshake failure it was: the tester's trust settings, a peer that does not
   speak TLS at all (plain text where TLS was expected), or anything else. */
enum mc_tls_failure_kind {
    MC_TLS_FAIL_OTHER,
    MC_TLS_FAIL_VERIFY,  /* the certificate did not verify (chain, name, dates) */
    MC_TLS_FAIL_NOT_TLS, /* what came is not a TLS record: a plain-text server */
};
/* Why a handshake failed: the verify result (with the certificate's subject) if that was it,
   else OpenSSL's error queue (which it drains). */
enum mc_tls_failure_kind mc_tls_failure(SSL *ssl, unsigned long ssl_err, struct mc_buf *out);

/* What a client learnt of the server's certificate, once the handshake is done (or failed in
   verification). Strings are "" when unknown. */
struct mc_tls_facts {
    bool verified;          /* chain and name verified */
    char version[64];       /* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
    char subject[256];      /* "CN=localhost" (RFC 2253 form) */
    char expires[32];       /* notAfter as "2026-12-31T23:59:59Z" */
    char verify_error[160]; /* why it did not verify, "" when it did */
};
void mc_tls_peer_facts(SSL *ssl, struct mc_tls_facts *out);

#endif
