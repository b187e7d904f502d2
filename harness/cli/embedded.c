/*
 * embedded — the in-process reference server (see embedded.h).
 *
 * Its listeners are the schemes of the protocol tables (proto/protocol.h): every scheme of a
 * protocol the reference server speaks (its `struct rs_protocol` and the harness's table share
 * the name) becomes one listener named like the scheme, with its TLS mode and AUTH requirement.
 */
#include "cli/embedded.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/tls.h"
#include "reference/imap.h"
#include "reference/mailstore.h"
#include "reference/pop3.h"
#include "reference/server.h"
#include "reference/smtp.h"

#define EMBEDDED_DOMAIN "localhost"
#define EMBEDDED_USERS_LINE_MAX 512 /* one "name:password" line of a users file */
#define EMBEDDED_PORT_MAX 65535     /* RFC 9293 3.1: a port is 16 bits */

struct mc_embedded {
    char dir[256];            /* holds the certificate and key of this run */
    char cert[300], key[300]; /* dir + "/cert.pem" */
    bool temporary;           /* dir was made for this run: removed at stop */
    SSL_CTX *tls;
    struct ms_store *store;
    struct rs_server *server;
};

/* The protocols the reference server speaks, in the order their listeners are made. */
static const struct rs_protocol *const embedded_protocols[] = {&rs_pop3, &rs_smtp, &rs_lmtp,
                                                               &rs_imap};
#define EMBEDDED_PROTOCOL_COUNT (sizeof embedded_protocols / sizeof embedded_protocols[0])

/* The i-th listener: a scheme of a protocol the reference server speaks, with the harness's
   table of that protocol and the server's; NULL after the last. */
static const struct mc_scheme *listener_at(size_t i, const struct mc_protocol **proto,
                                           const struct rs_protocol **rs)
{
    for (size_t k = 0; k < EMBEDDED_PROTOCOL_COUNT; k++) {
        *rs = embedded_protocols[k];
        *proto = mc_protocol_find((*rs)->name);
        for (const struct mc_scheme *s = *proto ? (*proto)->schemes : NULL; s && s->name; s++)
            if (i-- == 0)
                return s;
    }
    return NULL;
}

static void target_add_endpoint(struct mc_target *t, const struct rs_listener_config *lc,
                                const struct mc_protocol *proto, const char *host, int port)
{
    struct mc_endpoint *e = mc_target_add_endpoint(t);
    e->name = mc_xstrdup(lc->name);
    e->proto = proto;
    e->host = mc_xstrdup(host);
    e->port = port;
    e->tls = lc->implicit_tls ? MC_TLS_IMPLICIT : MC_TLS_NONE;
    e->auth_required = lc->auth_required;
}

static const char *port_value(const char *spec, const char *name)
{
    size_t n = strlen(name);
    return strncmp(spec, name, n) == 0 && spec[n] == '=' ? spec + n + 1 : NULL;
}

void mc_embedded_listener_names(struct mc_buf *out, const char *sep)
{
    const struct mc_protocol *proto;
    const struct rs_protocol *rs;
    const struct mc_scheme *sch;
    for (size_t i = 0; (sch = listener_at(i, &proto, &rs)); i++)
        mc_buf_printf(out, "%s%s", i ? sep : "", sch->name);
}

int mc_embedded_check_port(const char *spec, struct mc_buf *err)
{
    const struct mc_protocol *proto;
    const struct rs_protocol *rs;
    const struct mc_scheme *sch;
    for (size_t i = 0; (sch = listener_at(i, &proto, &rs)); i++) {
        const char *v = port_value(spec, sch->name);
        char *end;
        long port = v ? strtol(v, &end, 10) : -1;
        if (v && *v && !*end && port >= 0 && port <= EMBEDDED_PORT_MAX)
            return 0;
    }
    mc_buf_printf(err, "%s: expected NAME=PORT with NAME one of ", spec);
    mc_embedded_listener_names(err, " ");
    mc_buf_printf(err, " and PORT 0..%d (0: any free port)", EMBEDDED_PORT_MAX);
    return -1;
}

/* The port asked for a listener (the last NAME=PORT naming it), 0 for any free one. */
static int wanted_port(const struct mc_embedded_config *cfg, const char *name)
{
    int port = 0;
    for (size_t i = 0; cfg->ports && i < cfg->ports->count; i++) {
        const char *v = port_value(cfg->ports->items[i].ptr, name);
        if (v)
            port = atoi(v);
    }
    return port;
}

static int add_user(struct mc_embedded *e, struct mc_target *t, const char *name,
                    const char *password, struct mc_buf *err)
{
    enum ms_status st = ms_store_add_user(e->store, name, password, NULL);
    if (st != MS_OK) {
        mc_buf_printf(err, "cannot add user %s: %s", name, ms_status_str(st));
        return -1;
    }
    struct mc_user *u = mc_target_add_user(t);
    u->name = mc_xstrdup(name);
    u->password = mc_xstrdup(password);
    u->address = NULL; /* name@domain */
    return 0;
}

/* mc01..mcNN with random passwords. */
static int add_generated_users(struct mc_embedded *e, struct mc_target *t, int users,
                               struct mc_buf *err)
{
    for (int i = 1; i <= users; i++) {
        unsigned char rnd[6];
        char name[16], password[48];
        if (RAND_bytes(rnd, sizeof rnd) != 1)
            memset(rnd, i, sizeof rnd);
        snprintf(name, sizeof name, "mc%02d", i % 1000);
        snprintf(password, sizeof password, "%s-%02x%02x%02x%02x%02x%02x", name, rnd[0], rnd[1],
                 rnd[2], rnd[3], rnd[4], rnd[5]);
        if (add_user(e, t, name, password, err) != 0)
            return -1;
    }
    return 0;
}

/* A users file: "name:password" a line; blank lines and lines starting with '#' skipped. */
static int add_file_users(struct mc_embedded *e, struct mc_target *t, const char *path,
                          struct mc_buf *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        mc_buf_printf(err, "%s: cannot read", path);
        return -1;
    }
    char line[EMBEDDED_USERS_LINE_MAX];
    int rc = 0, n = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        n++;
        line[strcspn(line, "\r\n")] = '\0';
        char *colon = strchr(line, ':');
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (!colon || colon == line) {
            mc_buf_printf(err, "%s:%d: expected name:password", path, n);
            rc = -1;
            break;
        }
        *colon = '\0';
        rc = add_user(e, t, line, colon + 1, err);
    }
    fclose(f);
    if (rc == 0 && t->user_count == 0) {
        mc_buf_printf(err, "%s: no users", path);
        rc = -1;
    }
    return rc;
}

static int start_tls(struct mc_embedded *e, const char *dir, const char *cert, const char *key,
                     struct mc_buf *err)
{
    if ((cert && strlen(cert) >= sizeof e->cert) || (key && strlen(key) >= sizeof e->key) ||
        !cert != !key) {
        mc_buf_append_str(err, "give both a certificate and its key (paths under 300 bytes)");
        return -1;
    }
    if (dir && strlen(dir) > sizeof e->dir - 16) {
        mc_buf_printf(err, "%s: path too long", dir);
        return -1;
    }
    snprintf(e->dir, sizeof e->dir, "%s", dir ? dir : "/tmp/mailconform-embedded.XXXXXX");
    if (!dir && !mkdtemp(e->dir)) {
        mc_buf_printf(err, "cannot make a temporary folder in /tmp");
        e->dir[0] = '\0';
        return -1;
    }
    e->temporary = !dir;
    if (cert) { /* the operator's certificate: used as given */
        snprintf(e->cert, sizeof e->cert, "%s", cert);
        snprintf(e->key, sizeof e->key, "%s", key);
    } else {
        snprintf(e->cert, sizeof e->cert, "%s/cert.pem", e->dir);
        snprintf(e->key, sizeof e->key, "%s/key.pem", e->dir);
        if (mc_tls_make_self_signed(e->cert, e->key, err) != 0)
            return -1;
    }
    e->tls = mc_tls_server_ctx(e->cert, e->key, err);
    return e->tls ? 0 : -1;
}

struct mc_embedded *mc_embedded_start(struct event_base *base, const struct mc_embedded_config *cfg,
                                      struct mc_target **target, struct mc_buf *err)
{
    struct mc_embedded *e = mc_xcalloc(1, sizeof *e);
    struct mc_target *t = mc_xcalloc(1, sizeof *t);
    *target = NULL;
    t->name = mc_xstrdup("mailconform-reference-" MC_VERSION " (embedded)");
    t->source = mc_xstrdup("embedded reference server");
    t->domain = mc_xstrdup(EMBEDDED_DOMAIN);
    t->tls_server_name = mc_xstrdup("localhost");
    if (cfg->maildir) {
        enum ms_status st = ms_store_open_maildir(cfg->maildir, &e->store);
        if (st != MS_OK) {
            mc_buf_printf(err, "%s: %s", cfg->maildir, ms_status_str(st));
            goto fail;
        }
    } else {
        e->store = ms_store_new();
    }
    if (start_tls(e, cfg->dir, cfg->cert, cfg->key, err) != 0 ||
        (cfg->users_file ? add_file_users(e, t, cfg->users_file, err)
                         : add_generated_users(e, t, cfg->users, err)) != 0)
        goto fail;
    t->ca_file = mc_xstrdup(e->cert);
    e->server = rs_server_new(base, e->store, e->tls, EMBEDDED_DOMAIN);
    const struct mc_protocol *proto;
    const struct rs_protocol *rs;
    const struct mc_scheme *sch;
    for (size_t i = 0; (sch = listener_at(i, &proto, &rs)); i++) {
        const struct rs_listener_config lc = {
            .name = sch->name,
            .proto = rs,
            .implicit_tls = sch->implicit_tls,
            .auth_required = sch->auth_required,
        };
        int port;
        const char *host = cfg->host ? cfg->host : "127.0.0.1";
        if (rs_server_listen(e->server, &lc, host, wanted_port(cfg, lc.name), &port, err) != 0)
            goto fail;
        target_add_endpoint(t, &lc, proto, host, port);
    }
    t->deliver_endpoint = mc_xstrdup("lmtp");
    *target = t;
    return e;
fail:
    mc_target_free(t);
    mc_embedded_stop(e);
    return NULL;
}

/* Empties a user: every mailbox but INBOX deleted, INBOX emptied, no subscriptions. */
int mc_embedded_reset_user(void *arg, const char *user, struct mc_buf *why)
{
    struct mc_embedded *e = arg;
    struct ms_user *u = ms_store_find_user(e->store, user);
    if (!u) {
        mc_buf_printf(why, "no user %s in the embedded server", user);
        return -1;
    }
    while (ms_user_subscriptions(u)->count > 0)
        if (ms_user_unsubscribe(u, ms_user_subscriptions(u)->items[0].ptr) != MS_OK)
            break;
    /* Inferiors first (a mailbox with inferiors would only become \Noselect); a few passes
       settle any order. */
    for (int pass = 0; pass < 4 && ms_user_mailbox_count(u) > 1; pass++) {
        for (size_t i = ms_user_mailbox_count(u); i-- > 0;) {
            struct ms_mailbox *mb = ms_user_mailbox_at(u, i);
            if (mb != ms_user_inbox(u))
                ms_user_delete_mailbox(u, ms_mailbox_name(mb));
        }
    }
    struct ms_mailbox *inbox = ms_user_inbox(u);
    struct ms_uidlist all = {0};
    for (size_t i = 0; i < ms_mailbox_count(inbox); i++)
        ms_uidlist_push(&all, ms_message_uid(ms_mailbox_message_at(inbox, i)));
    enum ms_status st = ms_mailbox_delete_uids(inbox, all.uids, all.count);
    ms_uidlist_free(&all);
    if (st != MS_OK || ms_user_mailbox_count(u) != 1) {
        mc_buf_printf(why, "cannot empty the mailboxes of %s", user);
        return -1;
    }
    return 0;
}

void mc_embedded_stop(struct mc_embedded *e)
{
    if (!e)
        return;
    rs_server_free(e->server);
    ms_store_free(e->store);
    SSL_CTX_free(e->tls);
    if (e->dir[0] && e->temporary) {
        unlink(e->cert);
        unlink(e->key);
        rmdir(e->dir);
    }
    free(e);
}
