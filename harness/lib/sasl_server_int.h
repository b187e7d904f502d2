/*
 * sasl_server_int — internal to the SASL server: shared only by sasl_server*.c (sasl_server.c,
 * the exchange rules and the PLAIN, LOGIN and CRAM-MD5 mechanisms; sasl_server_scram.c, SCRAM).
 * Nothing else may include it; the public interface is lib/sasl_server.h. Shared helpers carry
 * the prefix mc_sasl_srv_.
 */
#ifndef MC_LIB_SASL_SERVER_INT_H
#define MC_LIB_SASL_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "lib/buf.h"
#include "lib/sasl.h"
#include "lib/sasl_server.h"

/* User names and authorization identities: RFC 4616 section 2 has servers accept at least 255
   octets; 1024 is generous for any account and keeps log lines short. */
#define SASL_NAME_MAX 1024

enum server_state {
    STATE_START,        /* no step yet */
    STATE_EXCHANGE,     /* challenges and responses */
    STATE_SUCCESS_DATA, /* SUCCESS with data returned: one empty response may follow */
    STATE_DONE,         /* SUCCESS, nothing more to say */
    STATE_FAILED,
};

struct mc_sasl_server;

struct server_mech {
    const char *name;
    const EVP_MD *(*md)(void); /* SCRAM hash; NULL for the others */
    bool initial_ok;           /* may start with an initial response (RFC 4422 section 3.3) */
    /* The first challenge when the client sent no initial response. */
    enum mc_sasl_server_status (*start)(struct mc_sasl_server *s, struct mc_buf *challenge);
    /* Judges one response (at most MC_SASL_SERVER_RESPONSE_MAX bytes). */
    enum mc_sasl_server_status (*step)(struct mc_sasl_server *s, const char *in, size_t len,
                                       struct mc_buf *challenge);
};

struct mc_sasl_server {
    const struct server_mech *mech;
    char *hostname;
    mc_sasl_password_lookup lookup;
    void *ctx;
    enum server_state state;
    int stage;  /* LOGIN: 0 user, 1 password; SCRAM: 0 client-first, 1 client-final */
    char *user; /* authcid, once the mechanism has read it */
    enum mc_sasl_server_failure failure;
    struct mc_buf error;
    struct mc_buf quoted;      /* scratch for quoting peer bytes into the error */
    struct mc_buf quoted_user; /* the same for the user name */
    /* CRAM-MD5 */
    char *challenge;
    /* SCRAM */
    char *authzid;
    char *server_nonce; /* injected; else random */
    struct mc_buf salt; /* injected; else derived from the user name */
    int iterations;
    char *nonce; /* client nonce + server nonce */
    struct mc_buf gs2_header;
    struct mc_buf client_first_bare;
    struct mc_buf server_first;
};

/* Records the first failure (later ones keep it), makes the exchange final, returns FAIL. */
enum mc_sasl_server_status mc_sasl_srv_fail(struct mc_sasl_server *s,
                                            enum mc_sasl_server_failure kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Peer bytes quoted for an error message into a scratch buffer: valid until the next call. */
const char *mc_sasl_srv_quote(struct mc_sasl_server *s, const char *p, size_t n);
/* The user name, quoted into a second scratch buffer so both can appear in one message. */
const char *mc_sasl_srv_quote_user(struct mc_sasl_server *s);
/* Wipes a buffer that held a secret, then frees it. */
void mc_sasl_srv_secret_free(struct mc_buf *b);
/* Fetches the password; for an unknown user a stand-in, so the caller does the same work. */
bool mc_sasl_srv_lookup(struct mc_sasl_server *s, const char *user, struct mc_buf *password);

/* SCRAM-SHA-1 and SCRAM-SHA-256 (sasl_server_scram.c): judges the client-first-message (stage
   0) or the client-final-message (stage 1). */
enum mc_sasl_server_status mc_sasl_srv_scram_step(struct mc_sasl_server *s, const char *in,
                                                  size_t len, struct mc_buf *out);

#endif
