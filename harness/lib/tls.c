/*
 * tls — OpenSSL client contexts (see tls.h).
 */
#include "lib/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/stat.h>

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

/* Names the self-signed certificate answers to (RFC 6125 host name checks). */
static const char self_signed_san[] = "DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1";

static int cert_add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : -1;
}

static X509 *cert_build(EVP_PKEY *key)
{
    X509 *cert = X509_new();
    unsigned char serial[16];
    if (!cert || RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f; /* positive (RFC 5280 4.1.2.2) */
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) : NULL;
    BN_free(bn);
    X509_NAME *name = X509_get_subject_name(cert);
    if (!sn || X509_set_version(cert, 2) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * MC_TLS_SELF_SIGNED_DAYS) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(cert, name) != 1 || X509_set_pubkey(cert, key) != 1 ||
        cert_add_ext(cert, NID_subject_alt_name, self_signed_san) != 0 ||
        cert_add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
        cert_add_ext(cert, NID_subject_key_identifier, "hash") != 0 ||
        X509_sign(cert, key, EVP_sha256()) == 0)
        goto fail;
    return cert;
fail:
    X509_free(cert);
    return NULL;
}

static int pem_write(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    chmod(path, mode);
    int ok =
        key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
    return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

int mc_tls_make_self_signed(const char *cert_path, const char *key_path, struct mc_buf *err)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = key ? cert_build(key) : NULL;
    int rc = -1;
    if (!cert)
        mc_buf_append_str(err, "cannot make a self-signed certificate");
    else if (pem_write(key_path, 0600, key, NULL) != 0)
        mc_buf_printf(err, "cannot write the key %s", key_path);
    else if (pem_write(cert_path, 0644, NULL, cert) != 0)
        mc_buf_printf(err, "cannot write the certificate %s", cert_path);
    else
        rc = 0;
    X509_free(cert);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}

SSL_CTX *mc_tls_server_ctx(const char *cert_path, const char *key_path, struct mc_buf *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        mc_buf_append_str(err, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); /* RFC 8996 */
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        mc_buf_printf(err, "cannot use certificate %s with key %s", cert_path, key_path);
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    return ctx;
}
