/*
 * tls — OpenSSL client contexts (see tls.h).
 */
#include "lib/tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

SSL_CTX *mc_tls_client_ctx(const char *ca_file, struct mc_buf *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        mc_buf_append_str(err, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); /* RFC 8996: no TLS 1.0/1.1 */
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            mc_buf_printf(err, "cannot read CA file %s", ca_file);
            SSL_CTX_free(ctx);
            ERR_clear_error();
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    return ctx;
}

SSL *mc_tls_client_ssl(SSL_CTX *ctx, const char *server_name)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    if (server_name && *server_name) {
        SSL_set_tlsext_host_name(ssl, server_name);
        if (SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER)
            SSL_set1_host(ssl, server_name);
    }
    return ssl;
}

void mc_tls_describe(SSL *ssl, struct mc_buf *out)
{
    mc_buf_printf(out, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

void mc_tls_failure(SSL *ssl, unsigned long ssl_err, struct mc_buf *out)
{
    long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify != X509_V_OK) {
        mc_buf_printf(out, "certificate verification failed: %s",
                      X509_verify_cert_error_string(verify));
        ERR_clear_error();
        return;
    }
    unsigned long e = ssl_err ? ssl_err : ERR_get_error();
    if (e) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        mc_buf_append_str(out, text);
    } else {
        mc_buf_append_str(out, "the peer closed the connection during the handshake");
    }
    ERR_clear_error();
}
