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
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The subject of the server's certificate, kept by the verify callback, so that a failure to
   verify can name the certificate (the handshake ends before the peer certificate is stored). */
static int tls_subject_index = -1;

static void tls_subject_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                             void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    OPENSSL_free(ptr);
}

static void tls_name_line(const X509_NAME *name, char *out, size_t size)
{
    BIO *b = BIO_new(BIO_s_mem());
    out[0] = '\0';
    if (!b)
        return;
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(b, out, (int)size - 1);
        out[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
}

static int tls_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (ssl && leaf && tls_subject_index >= 0 && !SSL_get_ex_data(ssl, tls_subject_index)) {
        char subject[256];
        tls_name_line(X509_get_subject_name(leaf), subject, sizeof subject);
        SSL_set_ex_data(ssl, tls_subject_index, OPENSSL_strdup(subject));
    }
    return preverify_ok;
}

SSL_CTX *mc_tls_client_ctx(const char *ca_file, bool verify, struct mc_buf *err)
{
    if (tls_subject_index < 0)
        tls_subject_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, tls_subject_free);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        mc_buf_append_str(err, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION); /* RFC 8996: no TLS 1.0/1.1 */
    int loaded = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                         : SSL_CTX_set_default_verify_paths(ctx);
    if (loaded != 1) {
        if (ca_file)
            mc_buf_printf(err, "cannot read the CA file %s", ca_file);
        else
            mc_buf_append_str(err, "cannot read the system's trust store");
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    /* Without `verify` the chain is still checked (the result is reported), the handshake
       just goes on (SSL_VERIFY_NONE). */
    SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, tls_verify_cb);
    return ctx;
}

SSL *mc_tls_client_ssl(SSL_CTX *ctx, const char *server_name)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    if (server_name && *server_name) {
        SSL_set_tlsext_host_name(ssl, server_name);
        SSL_set1_host(ssl, server_name); /* RFC 6125: the name is part of the verification */
    }
    return ssl;
}

static void tls_time_line(const ASN1_TIME *t, char *out, size_t size)
{
    struct tm tm;
    out[0] = '\0';
    if (t && ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void mc_tls_peer_facts(SSL *ssl, struct mc_tls_facts *out)
{
    memset(out, 0, sizeof *out);
    if (!ssl)
        return;
    snprintf(out->version, sizeof out->version, "%s %s", SSL_get_version(ssl),
             SSL_get_cipher_name(ssl));
    long verify = SSL_get_verify_result(ssl);
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert) {
        tls_name_line(X509_get_subject_name(cert), out->subject, sizeof out->subject);
        tls_time_line(X509_get0_notAfter(cert), out->expires, sizeof out->expires);
        X509_free(cert);
    } else if (tls_subject_index >= 0 && SSL_get_ex_data(ssl, tls_subject_index)) {
        snprintf(out->subject, sizeof out->subject, "%s",
                 (const char *)SSL_get_ex_data(ssl, tls_subject_index));
    }
    out->verified = cert && verify == X509_V_OK;
    if (!out->verified)
        snprintf(out->verify_error, sizeof out->verify_error, "%s",
                 cert || verify != X509_V_OK ? X509_verify_cert_error_string(verify)
                                             : "no certificate");
}

void mc_tls_describe(SSL *ssl, struct mc_buf *out)
{
    mc_buf_printf(out, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

/* OpenSSL's reasons for "these bytes are not a TLS record": what a plain-text greeting
   ("* OK", "+OK", "220 ") looks like to a TLS client. */
static bool tls_reason_not_tls(unsigned long e)
{
    if (ERR_GET_LIB(e) != ERR_LIB_SSL)
        return false;
    switch (ERR_GET_REASON(e)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_RECORD_LENGTH_MISMATCH:
        return true;
    default:
        return false;
    }
}

enum mc_tls_failure_kind mc_tls_failure(SSL *ssl, unsigned long ssl_err, struct mc_buf *out)
{
    long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify != X509_V_OK) {
        mc_buf_printf(out, "certificate verification failed: %s",
                      X509_verify_cert_error_string(verify));
        if (tls_subject_index >= 0 && SSL_get_ex_data(ssl, tls_subject_index))
            mc_buf_printf(out, " (certificate subject: %s)",
                          (const char *)SSL_get_ex_data(ssl, tls_subject_index));
        ERR_clear_error();
        return MC_TLS_FAIL_VERIFY;
    }
    unsigned long e = ssl_err ? ssl_err : ERR_get_error();
    enum mc_tls_failure_kind kind = MC_TLS_FAIL_OTHER;
    if (e) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        mc_buf_append_str(out, text);
        if (tls_reason_not_tls(e)) {
            mc_buf_append_str(out, " (the server answered in plain text, not TLS)");
            kind = MC_TLS_FAIL_NOT_TLS;
        }
    } else {
        mc_buf_append_str(out, "the peer closed the connection during the handshake");
    }
    ERR_clear_error();
    return kind;
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
