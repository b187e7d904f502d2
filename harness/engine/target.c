/*
 * target — target profiles and target URLs (see target.h, docs/target-format.md).
 *
 * Which URL schemes exist, and the default port, TLS mode and AUTH requirement of each, come
 * from the protocol tables (`struct mc_scheme`, proto/registry.c), like every list of
 * protocols or schemes in an error message here.
 */
#include "engine/target.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/jsonpos.h"
#include "lib/outfile.h"

#define TARGET_PROFILE_MAX (1024 * 1024) /* a profile is a small hand-written file */

static void endpoint_clear(struct mc_endpoint *e)
{
    free(e->name);
    free(e->host);
    mc_strv_free(&e->promised);
}

static void user_clear(struct mc_user *u)
{
    free(u->name);
    free(u->password);
    free(u->address);
}

void mc_target_free(struct mc_target *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->endpoint_count; i++)
        endpoint_clear(&t->endpoints[i]);
    for (size_t i = 0; i < t->user_count; i++)
        user_clear(&t->users[i]);
    for (size_t i = 0; i < t->deviation_count; i++) {
        free(t->deviations[i].scenario);
        free(t->deviations[i].reason);
    }
    if (t->reset_command)
        for (char **a = t->reset_command; *a; a++)
            free(*a);
    free(t->reset_command);
    free(t->endpoints);
    free(t->users);
    free(t->deviations);
    free(t->deliver_endpoint);
    free(t->name);
    free(t->source);
    free(t->domain);
    free(t->ca_file);
    free(t->tls_server_name);
    free(t);
}

struct mc_endpoint *mc_target_add_endpoint(struct mc_target *t)
{
    t->endpoints = mc_xrealloc(t->endpoints, (t->endpoint_count + 1) * sizeof *t->endpoints);
    struct mc_endpoint *e = &t->endpoints[t->endpoint_count++];
    memset(e, 0, sizeof *e);
    return e;
}

struct mc_user *mc_target_add_user(struct mc_target *t)
{
    t->users = mc_xrealloc(t->users, (t->user_count + 1) * sizeof *t->users);
    struct mc_user *u = &t->users[t->user_count++];
    memset(u, 0, sizeof *u);
    return u;
}

/* ---- profiles ---- */

struct profile_ctx {
    const char *path;
    struct mc_buf *errors;
    struct mc_jsonpos *pos;
    int failures;
};

/* Where `field` sits in the file; for a missing field, where its enclosing object starts. */
static void profile_locate(const struct profile_ctx *c, const char *field, int *line, int *col)
{
    char path[256];
    snprintf(path, sizeof path, "%s", field);
    *line = *col = 1;
    while (c->pos) {
        if (mc_jsonpos_find(c->pos, path, line, col) == 0)
            return;
        char *cut = strrchr(path, '.'), *bracket = strrchr(path, '[');
        if (bracket > cut)
            cut = bracket;
        if (!cut) {
            mc_jsonpos_find(c->pos, "", line, col);
            return;
        }
        *cut = '\0';
    }
}

static void profile_error(struct profile_ctx *c, const char *field, const char *why)
{
    int line, col;
    profile_locate(c, field, &line, &col);
    mc_buf_printf(c->errors, "%s:%d:%d: %s: %s\n", c->path, line, col, field, why);
    c->failures++;
}

/* Unknown keys are errors: a typo must not silently drop a setting. */
static void profile_known_keys(struct profile_ctx *c, json_t *obj, const char *prefix,
                               const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            char field[200];
            snprintf(field, sizeof field, "%s%s%s", prefix, *prefix ? "." : "", key);
            profile_error(c, field, "unknown key (see docs/target-format.md)");
        }
    }
}

static const char *profile_string(struct profile_ctx *c, json_t *obj, const char *key,
                                  const char *field, bool required)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            profile_error(c, field, "is required");
        return NULL;
    }
    if (!json_is_string(v)) {
        profile_error(c, field, "must be a string");
        return NULL;
    }
    return json_string_value(v);
}

static int parse_tls_mode(const char *s, enum mc_tls_mode *out)
{
    if (strcmp(s, "none") == 0)
        *out = MC_TLS_NONE;
    else if (strcmp(s, "implicit") == 0)
        *out = MC_TLS_IMPLICIT;
    else
        return -1;
    return 0;
}

/* "promises": ["STARTTLS", "IDLE", "SASL=PLAIN"]: capability names as the probe reports them
   (upper case). */
static void profile_promises(struct profile_ctx *c, struct mc_endpoint *e, const char *field,
                             json_t *promises)
{
    char sub[200];
    snprintf(sub, sizeof sub, "%s.promises", field);
    if (!promises)
        return;
    if (!json_is_array(promises)) {
        profile_error(c, sub, "must be an array of capability names");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(promises, i, v)
    {
        if (!json_is_string(v) || !*json_string_value(v)) {
            snprintf(sub, sizeof sub, "%s.promises[%zu]", field, i);
            profile_error(c, sub, "must be a capability name (a non-empty string)");
            continue;
        }
        struct mc_buf up = {0};
        for (const char *p = json_string_value(v); *p; p++)
            mc_buf_append_char(&up, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
        mc_strv_push(&e->promised, up.data, up.len);
        mc_buf_free(&up);
    }
}

static void profile_endpoint(struct profile_ctx *c, struct mc_target *t, const char *name,
                             json_t *spec)
{
    char field[160];
    snprintf(field, sizeof field, "endpoints.%s", name);
    if (!json_is_object(spec)) {
        profile_error(c, field, "must be an object");
        return;
    }
    static const char *const known[] = {"protocol",      "host",     "port", "tls",
                                        "auth_required", "promises", NULL};
    profile_known_keys(c, spec, field, known);
    struct mc_endpoint *e = mc_target_add_endpoint(t);
    e->name = mc_xstrdup(name);
    char sub[200];
    snprintf(sub, sizeof sub, "%s.protocol", field);
    const char *proto = profile_string(c, spec, "protocol", sub, true);
    if (proto && !(e->proto = mc_protocol_find(proto))) {
        struct mc_buf why = {0};
        mc_buf_append_str(&why, "must be one of ");
        mc_protocol_list(&why, NULL, ", ", ", ");
        profile_error(c, sub, why.data);
        mc_buf_free(&why);
    }
    snprintf(sub, sizeof sub, "%s.host", field);
    const char *host = profile_string(c, spec, "host", sub, false);
    e->host = mc_xstrdup(host ? host : "127.0.0.1");
    json_t *port = json_object_get(spec, "port");
    if (!json_is_integer(port) || json_integer_value(port) < 1 ||
        json_integer_value(port) > 65535) {
        snprintf(sub, sizeof sub, "%s.port", field);
        profile_error(c, sub, "must be an integer from 1 to 65535");
    } else {
        e->port = (int)json_integer_value(port);
    }
    snprintf(sub, sizeof sub, "%s.tls", field);
    const char *tls = profile_string(c, spec, "tls", sub, false);
    if (tls && parse_tls_mode(tls, &e->tls) != 0)
        profile_error(c, sub, "must be \"none\" (STARTTLS is negotiated on it) or \"implicit\"");
    e->auth_required = json_is_true(json_object_get(spec, "auth_required"));
    profile_promises(c, e, field, json_object_get(spec, "promises"));
}

static void profile_users(struct profile_ctx *c, struct mc_target *t, json_t *users)
{
    if (!users)
        return;
    if (!json_is_array(users)) {
        profile_error(c, "users", "must be an array");
        return;
    }
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u)
    {
        char fu[64], fp[64], fa[64];
        snprintf(fu, sizeof fu, "users[%zu].user", i);
        snprintf(fp, sizeof fp, "users[%zu].password", i);
        snprintf(fa, sizeof fa, "users[%zu].address", i);
        const char *name = profile_string(c, u, "user", fu, true);
        const char *pass = profile_string(c, u, "password", fp, true);
        const char *addr = profile_string(c, u, "address", fa, false);
        if (!name || !pass)
            continue;
        struct mc_user *mu = mc_target_add_user(t);
        mu->name = mc_xstrdup(name);
        mu->password = mc_xstrdup(pass);
        if (addr)
            mu->address = mc_xstrdup(addr);
    }
}

static void profile_reset(struct profile_ctx *c, struct mc_target *t, json_t *reset)
{
    if (!reset)
        return;
    if (!json_is_array(reset) || json_array_size(reset) == 0) {
        profile_error(c, "reset", "must be a non-empty array: the command and its arguments");
        return;
    }
    t->reset_command = mc_xcalloc(json_array_size(reset) + 1, sizeof(char *));
    size_t i;
    json_t *a;
    json_array_foreach(reset, i, a)
    {
        if (!json_is_string(a)) {
            profile_error(c, "reset", "every element must be a string");
            t->reset_command[i] = mc_xstrdup("");
            continue;
        }
        t->reset_command[i] = mc_xstrdup(json_string_value(a));
    }
}

static void profile_deviations(struct profile_ctx *c, struct mc_target *t, json_t *devs)
{
    if (!devs)
        return;
    if (!json_is_array(devs)) {
        profile_error(c, "deviations", "must be an array");
        return;
    }
    t->deviations = mc_xcalloc(json_array_size(devs) + 1, sizeof *t->deviations);
    size_t i;
    json_t *d;
    json_array_foreach(devs, i, d)
    {
        char fs[64], fr[64];
        snprintf(fs, sizeof fs, "deviations[%zu].scenario", i);
        snprintf(fr, sizeof fr, "deviations[%zu].reason", i);
        const char *sc = profile_string(c, d, "scenario", fs, true);
        const char *why = profile_string(c, d, "reason", fr, true);
        if (!sc || !why)
            continue;
        t->deviations[t->deviation_count].scenario = mc_xstrdup(sc);
        t->deviations[t->deviation_count].reason = mc_xstrdup(why);
        t->deviation_count++;
    }
}

static void profile_fill(struct profile_ctx *c, struct mc_target *t, json_t *root)
{
    static const char *const known[] = {
        "$schema", "name",     "domain", "ca_file",    "tls_server_name",  "endpoints",
        "users",   "fixtures", "reset",  "deviations", "disposable_users", NULL};
    profile_known_keys(c, root, "", known);
    const char *s;
    t->name = mc_xstrdup((s = profile_string(c, root, "name", "name", false)) ? s : "unnamed");
    t->domain =
        mc_xstrdup((s = profile_string(c, root, "domain", "domain", false)) ? s : "localhost");
    if ((s = profile_string(c, root, "ca_file", "ca_file", false)))
        t->ca_file = mc_xstrdup(s);
    if ((s = profile_string(c, root, "tls_server_name", "tls_server_name", false)))
        t->tls_server_name = mc_xstrdup(s);
    json_t *eps = json_object_get(root, "endpoints");
    if (!json_is_object(eps) || json_object_size(eps) == 0) {
        profile_error(c, "endpoints", "must be a non-empty object: name -> endpoint");
    } else {
        const char *name;
        json_t *spec;
        json_object_foreach(eps, name, spec) profile_endpoint(c, t, name, spec);
    }
    profile_users(c, t, json_object_get(root, "users"));
    json_t *fx = json_object_get(root, "fixtures");
    if (fx && (s = profile_string(c, fx, "deliver", "fixtures.deliver", false))) {
        if (!mc_target_endpoint_named(t, s))
            profile_error(c, "fixtures.deliver", "names no endpoint of this profile");
        else
            t->deliver_endpoint = mc_xstrdup(s);
    }
    profile_reset(c, t, json_object_get(root, "reset"));
    json_t *disp = json_object_get(root, "disposable_users");
    if (disp && !json_is_boolean(disp))
        profile_error(c, "disposable_users", "must be true or false");
    t->disposable_users = json_is_true(disp);
    profile_deviations(c, t, json_object_get(root, "deviations"));
}

static char *read_profile(const char *path, size_t *len, struct mc_buf *errors)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mc_buf_printf(errors, "%s: cannot read: %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = mc_xmalloc(TARGET_PROFILE_MAX + 1);
    *len = fread(text, 1, TARGET_PROFILE_MAX + 1, f);
    fclose(f);
    if (*len > TARGET_PROFILE_MAX) {
        mc_buf_printf(errors, "%s: larger than %d bytes: not a target profile\n", path,
                      TARGET_PROFILE_MAX);
        free(text);
        return NULL;
    }
    text[*len] = '\0';
    return text;
}

struct mc_target *mc_target_load_profile(const char *path, struct mc_buf *errors)
{
    size_t len;
    char *text = read_profile(path, &len, errors);
    if (!text)
        return NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        mc_buf_printf(errors, "%s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
        free(text);
        return NULL;
    }
    struct profile_ctx c = {.path = path, .errors = errors, .pos = mc_jsonpos_build(text, len)};
    struct mc_target *t = mc_xcalloc(1, sizeof *t);
    if (!json_is_object(root))
        profile_error(&c, "(top level)", "must be an object");
    else
        profile_fill(&c, t, root);
    json_decref(root);
    mc_jsonpos_free(c.pos);
    free(text);
    t->source = mc_xstrdup(path);
    if (c.failures) {
        mc_target_free(t);
        return NULL;
    }
    return t;
}

/* ---- URLs ---- */

/* RFC 3986 2.1 percent-decoding of the userinfo parts. */
static char *percent_decode(const char *s, size_t len)
{
    struct mc_buf b = {0};
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && mc_hex_digit(s[i + 1]) >= 0 &&
            mc_hex_digit(s[i + 2]) >= 0) {
            mc_buf_append_char(&b, (char)(mc_hex_digit(s[i + 1]) * 16 + mc_hex_digit(s[i + 2])));
            i += 2;
        } else {
            mc_buf_append_char(&b, s[i]);
        }
    }
    return mc_buf_steal(&b);
}

static void url_add_user(struct mc_target *t, const char *userinfo, size_t len)
{
    const char *colon = memchr(userinfo, ':', len);
    size_t ulen = colon ? (size_t)(colon - userinfo) : len;
    char *name = percent_decode(userinfo, ulen);
    for (size_t i = 0; i < t->user_count; i++) {
        if (strcmp(t->users[i].name, name) == 0) {
            free(name);
            return;
        }
    }
    struct mc_user *u = mc_target_add_user(t);
    u->name = name;
    u->password = colon ? percent_decode(colon + 1, len - ulen - 1) : mc_xstrdup("");
}

/* Splits "host:port", "[v6]:port" or "host". */
static int url_host_port(const char *s, size_t len, char **host, int *port)
{
    const char *end = s + len, *colon = NULL;
    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return -1;
        *host = mc_xstrndup(s + 1, (size_t)(close - s - 1));
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(s, ':', len);
        *host = mc_xstrndup(s, colon ? (size_t)(colon - s) : len);
    }
    if (!**host)
        return -1;
    if (colon) {
        char *stop;
        long p = strtol(colon + 1, &stop, 10);
        if (stop != end || p < 1 || p > 65535)
            return -1;
        *port = (int)p;
    }
    return 0;
}

/* Fixtures go through an LMTP endpoint given by URL, else a plain SMTP one (never one that
   wants AUTH first): as a profile's fixtures.deliver would name it. */
static void url_choose_delivery(struct mc_target *t, const struct mc_endpoint *e)
{
    if (!e->proto->delivery_commands || e->auth_required || e->tls == MC_TLS_IMPLICIT)
        return;
    const struct mc_endpoint *cur =
        t->deliver_endpoint ? mc_target_endpoint_named(t, t->deliver_endpoint) : NULL;
    if (cur && (cur->proto->hello_verb && strcmp(cur->proto->hello_verb, "LHLO") == 0))
        return; /* LMTP already: it answers once the message is stored */
    free(t->deliver_endpoint);
    t->deliver_endpoint = mc_xstrdup(e->name);
}

int mc_target_add_url(struct mc_target **tp, const char *url, struct mc_buf *errors)
{
    const char *sep = strstr(url, "://");
    const struct mc_protocol *proto = NULL;
    const struct mc_scheme *sch = sep ? mc_scheme_find(url, (size_t)(sep - url), &proto) : NULL;
    if (!sch) {
        mc_buf_printf(errors, "%s: not a target URL: expected ", url);
        mc_scheme_list(errors, "://", ", ", " or ");
        mc_buf_append_str(errors, "\n");
        return -1;
    }
    const char *auth = sep + 3;
    size_t rest = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + rest; p++)
        if (*p == '@')
            at = p; /* the last '@': passwords may contain '@' unencoded */
    const char *hostpart = at ? at + 1 : auth;
    char *host = NULL;
    int port = sch->port;
    if (url_host_port(hostpart, (size_t)(auth + rest - hostpart), &host, &port) != 0) {
        mc_buf_printf(errors, "%s: bad host or port\n", url);
        free(host);
        return -1;
    }
    if (!*tp) {
        *tp = mc_xcalloc(1, sizeof **tp);
        (*tp)->name = mc_xstrdup(host);
        (*tp)->domain = mc_xstrdup("localhost");
    }
    struct mc_target *t = *tp;
    struct mc_buf src = {0};
    if (t->source)
        mc_buf_printf(&src, "%s ", t->source);
    mc_buf_printf(&src, "%s://%s", sch->name, hostpart); /* never the password */
    free(t->source);
    t->source = mc_buf_steal(&src);
    struct mc_endpoint *e = mc_target_add_endpoint(t);
    e->name = mc_xstrdup(sch->name);
    e->proto = proto;
    e->host = host;
    e->port = port;
    e->tls = sch->implicit_tls ? MC_TLS_IMPLICIT : MC_TLS_NONE;
    e->auth_required = sch->auth_required;
    if (at)
        url_add_user(t, auth, (size_t)(at - auth));
    url_choose_delivery(t, e);
    return 0;
}

/* ---- lookups ---- */

void mc_user_address(const struct mc_user *u, const char *domain, struct mc_buf *out)
{
    if (u->address)
        mc_buf_append_str(out, u->address);
    else
        mc_buf_printf(out, "%s@%s", u->name, domain);
}

const struct mc_endpoint *mc_target_endpoint_named(const struct mc_target *t, const char *name)
{
    for (size_t i = 0; i < t->endpoint_count; i++)
        if (strcmp(t->endpoints[i].name, name) == 0)
            return &t->endpoints[i];
    return NULL;
}

const struct mc_endpoint *mc_target_endpoint_for(const struct mc_target *t,
                                                 const struct mc_session_spec *spec,
                                                 struct mc_buf *why)
{
    if (spec->endpoint) {
        const struct mc_endpoint *e = mc_target_endpoint_named(t, spec->endpoint);
        if (!e)
            mc_buf_printf(why, "the target has no endpoint named '%s'", spec->endpoint);
        else if (e->proto != spec->proto)
            mc_buf_printf(why, "the target's endpoint '%s' speaks %s, not %s", e->name,
                          e->proto->name, spec->proto->name);
        else if ((spec->tls == MC_TLS_IMPLICIT) != (e->tls == MC_TLS_IMPLICIT))
            mc_buf_printf(why, "the target's endpoint '%s' %s implicit TLS", e->name,
                          e->tls == MC_TLS_IMPLICIT ? "uses" : "does not use");
        else
            return e;
        return NULL;
    }
    bool implicit = spec->tls == MC_TLS_IMPLICIT;
    /* Prefer the endpoint named after the protocol or after its own scheme in this TLS mode
       ("imap", "imaps"), so that "smtp" is chosen over "submission" for plain SMTP. */
    const struct mc_scheme *own = mc_protocol_scheme(spec->proto, implicit);
    const struct mc_endpoint *best = NULL;
    for (size_t i = 0; i < t->endpoint_count; i++) {
        const struct mc_endpoint *e = &t->endpoints[i];
        if (e->proto != spec->proto || (e->tls == MC_TLS_IMPLICIT) != implicit)
            continue;
        if (strcmp(e->name, spec->proto->name) == 0 || (own && strcmp(e->name, own->name) == 0))
            return e;
        if (!best)
            best = e;
    }
    if (!best)
        mc_buf_printf(why, "the target has no %s endpoint%s", spec->proto->name,
                      implicit ? " with implicit TLS" : "");
    return best;
}

const struct mc_deviation *mc_target_deviation_for(const struct mc_target *t, const char *id)
{
    for (size_t i = 0; i < t->deviation_count; i++)
        if (fnmatch(t->deviations[i].scenario, id, 0) == 0)
            return &t->deviations[i];
    return NULL;
}

/* ---- writing a profile ---- */

static json_t *profile_endpoints_json(const struct mc_target *t)
{
    json_t *eps = json_object();
    for (size_t i = 0; i < t->endpoint_count; i++) {
        const struct mc_endpoint *e = &t->endpoints[i];
        json_t *o =
            json_pack("{s:s, s:s, s:i, s:s}", "protocol", e->proto->name, "host", e->host, "port",
                      e->port, "tls", e->tls == MC_TLS_IMPLICIT ? "implicit" : "none");
        if (e->auth_required)
            json_object_set_new(o, "auth_required", json_true());
        if (e->promised.count) {
            json_t *arr = json_array();
            for (size_t k = 0; k < e->promised.count; k++)
                json_array_append_new(arr, json_string(e->promised.items[k].ptr));
            json_object_set_new(o, "promises", arr);
        }
        json_object_set_new(eps, e->name, o);
    }
    return eps;
}

static json_t *profile_users_json(const struct mc_target *t)
{
    json_t *users = json_array();
    for (size_t i = 0; i < t->user_count; i++) {
        const struct mc_user *u = &t->users[i];
        json_t *o = json_pack("{s:s, s:s}", "user", u->name, "password", u->password);
        struct mc_buf addr = {0};
        mc_user_address(u, t->domain, &addr);
        json_object_set_new(o, "address", json_string(addr.data));
        mc_buf_free(&addr);
        json_array_append_new(users, o);
    }
    return users;
}

int mc_target_write_profile(const struct mc_target *t, const char *path, struct mc_buf *err)
{
    json_t *root = json_object();
    json_object_set_new(root, "name", json_string(t->name));
    json_object_set_new(root, "domain", json_string(t->domain));
    if (t->ca_file)
        json_object_set_new(root, "ca_file", json_string(t->ca_file));
    if (t->tls_server_name)
        json_object_set_new(root, "tls_server_name", json_string(t->tls_server_name));
    json_object_set_new(root, "endpoints", profile_endpoints_json(t));
    json_object_set_new(root, "users", profile_users_json(t));
    if (t->deliver_endpoint)
        json_object_set_new(root, "fixtures", json_pack("{s:s}", "deliver", t->deliver_endpoint));
    if (t->disposable_users)
        json_object_set_new(root, "disposable_users", json_true());
    if (t->reset_command) {
        json_t *argv = json_array();
        for (char **a = t->reset_command; *a; a++)
            json_array_append_new(argv, json_string(*a));
        json_object_set_new(root, "reset", argv);
    }
    json_t *deviations = json_array();
    for (size_t i = 0; i < t->deviation_count; i++)
        json_array_append_new(deviations,
                              json_pack("{s:s, s:s}", "scenario", t->deviations[i].scenario,
                                        "reason", t->deviations[i].reason));
    json_object_set_new(root, "deviations", deviations);
    struct mc_outfile of; /* whole or not at all, never renamed over a device (lib/outfile.h) */
    int rc = mc_outfile_open(&of, path, err);
    if (rc == 0 && json_dumpf(root, of.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        mc_buf_printf(err, "cannot write %s: %s", path, strerror(errno));
        mc_outfile_abort(&of);
        rc = -1;
    } else if (rc == 0) {
        rc = mc_outfile_commit(&of, err);
    }
    json_decref(root);
    return rc;
}
