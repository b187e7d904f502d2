/*
 * report_browser — the listener, the request checks and the routes of the report browser
 * (report_browser.h). The pages themselves are made in browser_pages.c.
 *
 * Routes (GET and HEAD; any other method is answered 405 with `Allow: GET, HEAD`):
 *   /                      the list of reports in DIR
 *   /report/NAME.json      that report as the HTML report
 *   /raw/NAME.json         the JSON file as it is
 *   /diff?old=A&new=B      the comparison of two reports of DIR (400 without both)
 *
 * Pages are made in the event loop, one at a time: while a report is parsed and rendered, other
 * clients wait. So a report over MC_BROWSER_RENDER_MAX is refused with 422 on /report and
 * /diff (listed as too large to render here), and the connections are bounded by
 * browser_guard.c.
 */
#include "cli/report_browser.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/browser_guard.h"
#include "cli/browser_pages.h"

/* RFC 9112 section 3 recommends supporting request lines of at least 8000 octets; a browser's
   requests here are far smaller, and nothing bigger is needed. */
#define BROWSER_HEADERS_MAX 16384
/* A request that has not arrived, or an answer not taken, in this time is dropped. */
#define BROWSER_TIMEOUT_S 30

struct mc_report_browser {
    struct evhttp *http;
    struct mc_browser_guard *guard; /* the listener, the bounds on connections */
    int dir_fd;                     /* the reports' folder: every file is opened relative to it */
    char *dir;                      /* for messages */
    bool loopback;                  /* the listener is on a loopback address: Host must name one */
    unsigned port;                  /* the port listened on */
    struct mc_browser_cache *cache;
};

/* Security headers every answer carries: no fetch of anything, no sniffing, no referrer. */
static void common_headers(struct evhttp_request *req, const char *type)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                      "img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Cache-Control", "no-store");
}

static void answer(struct evhttp_request *req, int code, const char *reason, const char *type,
                   const struct mc_buf *body)
{
    struct evbuffer *out = evbuffer_new();
    if (body && body->len)
        evbuffer_add(out, body->data, body->len);
    common_headers(req, type);
    evhttp_send_reply(req, code, reason, out);
    evbuffer_free(out);
}

static void answer_problem(struct evhttp_request *req, int code, const char *reason,
                           const char *message)
{
    struct mc_buf body = {0};
    mc_browser_page_problem(&body, code, reason, message);
    answer(req, code, reason, "text/html; charset=utf-8", &body);
    mc_buf_free(&body);
}

/* A report's file name as the browser accepts it: a plain name directly in DIR, ending in
   .json, not hidden. Everything else (slashes, "..", NUL) is refused before any file call. */
bool mc_browser_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n < 6 || n > MC_BROWSER_NAME_MAX || name[0] == '.' || strcmp(name + n - 5, ".json") != 0)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int mc_browser_open(const struct mc_report_browser *b, const char *name, struct mc_buf *err)
{
    if (!mc_browser_name_ok(name)) {
        mc_buf_printf(err, "'%s' is not the name of a report in this folder", name);
        return -1;
    }
    int fd = openat(b->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
        errno = EINVAL;
    }
    if (fd < 0)
        mc_buf_printf(err, "%s: %s", name,
                      errno == ELOOP || errno == EINVAL ? "not a plain file" : strerror(errno));
    return fd;
}

/* The decoded path after `prefix`, or NULL. The caller frees it. */
static char *route_tail(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return NULL;
    size_t len = 0;
    char *name = evhttp_uridecode(path + n, 0, &len);
    if (name && strlen(name) != len) { /* a %00 in the name */
        free(name);
        return mc_xstrdup("");
    }
    return name;
}

static void serve_report(struct mc_report_browser *b, struct evhttp_request *req, const char *name,
                         bool raw)
{
    struct mc_buf body = {0}, err = {0};
    int fd = mc_browser_open(b, name, &err);
    if (fd >= 0 && raw) { /* the file as it is, sent from the file, never held in memory */
        struct stat st;
        struct evbuffer *out = evbuffer_new();
        if (fstat(fd, &st) == 0 && evbuffer_add_file(out, fd, 0, st.st_size) == 0) {
            common_headers(req, "application/json");
            evhttp_send_reply(req, HTTP_OK, "OK", out);
        } else {
            close(fd);
            answer_problem(req, HTTP_INTERNAL, "Internal Server Error", "cannot read the file");
        }
        evbuffer_free(out);
        return;
    }
    int rc = fd < 0 || mc_browser_too_large(fd, name, &err)
                 ? -1
                 : mc_browser_page_report(&body, fd, name, &err);
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        answer(req, HTTP_OK, "OK", "text/html; charset=utf-8", &body);
    else
        answer_problem(req, fd < 0 ? HTTP_NOTFOUND : 422,
                       fd < 0 ? "Not Found" : "Unprocessable Content", err.data);
    mc_buf_free(&body);
    mc_buf_free(&err);
}

static void serve_diff(struct mc_report_browser *b, struct evhttp_request *req, const char *query)
{
    struct evkeyvalq params = {0};
    struct mc_buf body = {0}, err = {0};
    if (!query || evhttp_parse_query_str(query, &params) != 0) {
        answer_problem(req, HTTP_BADREQUEST, "Bad Request", "give ?old=NAME.json&new=NAME.json");
        return;
    }
    const char *old_name = evhttp_find_header(&params, "old");
    const char *new_name = evhttp_find_header(&params, "new");
    int old_fd = -1, new_fd = -1, rc = -1;
    if (!old_name || !new_name) {
        answer_problem(req, HTTP_BADREQUEST, "Bad Request", "give ?old=NAME.json&new=NAME.json");
        evhttp_clear_headers(&params);
        return;
    }
    if ((old_fd = mc_browser_open(b, old_name, &err)) >= 0 &&
        (new_fd = mc_browser_open(b, new_name, &err)) >= 0 &&
        !mc_browser_too_large(old_fd, old_name, &err) &&
        !mc_browser_too_large(new_fd, new_name, &err))
        rc = mc_browser_page_diff(&body, old_fd, old_name, new_fd, new_name, &err);
    if (old_fd >= 0)
        close(old_fd);
    if (new_fd >= 0)
        close(new_fd);
    if (rc == 0)
        answer(req, HTTP_OK, "OK", "text/html; charset=utf-8", &body);
    else
        answer_problem(req, old_fd < 0 || new_fd < 0 ? HTTP_NOTFOUND : 422,
                       old_fd < 0 || new_fd < 0 ? "Not Found" : "Unprocessable Content", err.data);
    evhttp_clear_headers(&params);
    mc_buf_free(&body);
    mc_buf_free(&err);
}

static int host_is_loopback(const char *host, bool *loopback);

/* Host must be a loopback name when the listener is on loopback (DNS rebinding): "localhost"
   (any case, RFC 9110 4.2.3) or a loopback address (127.0.0.0/8, [::1]), with or without a
   port, so a listener on 127.0.0.2 answers to the URL it printed. */
static bool host_ok(const struct mc_report_browser *b, struct evhttp_request *req)
{
    if (!b->loopback)
        return true;
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    if (!host)
        return false;
    char name[64];
    const char *start = host, *end;
    if (*host == '[') {
        start = host + 1;
        end = strchr(start, ']');
        if (!end || (end[1] != '\0' && end[1] != ':'))
            return false;
    } else {
        end = strchr(host, ':');
        end = end ? end : host + strlen(host);
    }
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= sizeof name)
        return false;
    memcpy(name, start, n);
    name[n] = '\0';
    bool loopback = false;
    if (strcasecmp(name, "localhost") == 0)
        return true;
    return host_is_loopback(name, &loopback) == 0 && loopback;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct mc_report_browser *b = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    char *name = NULL;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    mc_browser_guard_request(b->guard, req);
    if (!host_ok(b, req)) {
        answer_problem(req, HTTP_BADREQUEST, "Bad Request",
                       "this report browser answers only to a loopback host name");
    } else if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        answer_problem(req, HTTP_BADMETHOD, "Method Not Allowed",
                       "this report browser is read-only: GET and HEAD only");
    } else if (!path) {
        answer_problem(req, HTTP_BADREQUEST, "Bad Request", "no path");
    } else if (strcmp(path, "/") == 0) {
        struct mc_buf body = {0};
        mc_browser_page_list(&body, b->cache, b->dir_fd, b->dir);
        answer(req, HTTP_OK, "OK", "text/html; charset=utf-8", &body);
        mc_buf_free(&body);
    } else if ((name = route_tail(path, "/report/"))) {
        serve_report(b, req, name, false);
    } else if ((name = route_tail(path, "/raw/"))) {
        serve_report(b, req, name, true);
    } else if (strcmp(path, "/diff") == 0) {
        serve_diff(b, req, evhttp_uri_get_query(uri));
    } else {
        answer_problem(req, HTTP_NOTFOUND, "Not Found", "no such page");
    }
    free(name);
}

/* Splits "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" into host and port. */
static int split_addr(const char *addr, char *host, size_t host_size, unsigned *port)
{
    const char *colon = strrchr(addr, ':');
    const char *port_text = colon ? colon + 1 : addr;
    size_t host_len = colon ? (size_t)(colon - addr) : 0;
    if (host_len >= 2 && addr[0] == '[' && addr[host_len - 1] == ']') {
        addr++;
        host_len -= 2;
    }
    if (host_len >= host_size)
        return -1;
    memcpy(host, addr, host_len);
    host[host_len] = '\0';
    if (!*host)
        snprintf(host, host_size, "127.0.0.1");
    char *end;
    errno = 0;
    unsigned long p = strtoul(port_text, &end, 10);
    if (!*port_text || *end || errno || p > 65535)
        return -1;
    *port = (unsigned)p;
    return 0;
}

static int host_is_loopback(const char *host, bool *loopback)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, host, &v4) == 1)
        *loopback = (ntohl(v4.s_addr) >> 24) == 127;
    else if (inet_pton(AF_INET6, host, &v6) == 1)
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6);
    else
        return -1;
    return 0;
}

static struct mc_report_browser *fail(struct mc_report_browser *b, struct mc_buf *err,
                                      const char *fmt, const char *arg)
{
    mc_buf_printf(err, fmt, arg);
    mc_report_browser_stop(b);
    return NULL;
}

struct mc_report_browser *mc_report_browser_start(struct event_base *base, const char *addr,
                                                  const char *dir, bool public_ok,
                                                  struct mc_buf *url, struct mc_buf *err)
{
    struct mc_report_browser *b = mc_xcalloc(1, sizeof *b);
    b->dir_fd = -1;
    char host[256];
    if (split_addr(addr, host, sizeof host, &b->port) != 0 ||
        host_is_loopback(host, &b->loopback) != 0)
        return fail(b, err,
                    "--http: '%s' is not PORT, HOST:PORT or [V6]:PORT with a numeric "
                    "address",
                    addr);
    if (!b->loopback && !public_ok)
        return fail(b, err,
                    "--http: %s is not a loopback address; the report browser shows whatever "
                    "the reports hold, so give --http-public to serve it beyond this machine",
                    host);
    b->dir = mc_xstrdup(dir);
    b->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (b->dir_fd < 0) {
        mc_buf_printf(err, "--reports %s: %s", dir, strerror(errno));
        mc_report_browser_stop(b);
        return NULL;
    }
    b->cache = mc_browser_cache_new();
    b->http = evhttp_new(base);
    /* Every method reaches on_request, which answers 405 with Allow to all but GET and HEAD
       (RFC 9110 15.5.6); evhttp's own refusal would be 501, "not implemented". */
    evhttp_set_allowed_methods(b->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(b->http, BROWSER_HEADERS_MAX);
    evhttp_set_max_body_size(b->http, 0);
    evhttp_set_timeout(b->http, BROWSER_TIMEOUT_S);
    evhttp_set_gencb(b->http, on_request, b);
    struct mc_buf why = {0};
    b->guard = mc_browser_guard_new(base, b->http, host, b->port, &b->port, &why);
    if (!b->guard) {
        mc_buf_printf(err, "--http: cannot listen on %s: %s", addr, why.data);
        mc_buf_free(&why);
        mc_report_browser_stop(b);
        return NULL;
    }
    mc_buf_printf(url, strchr(host, ':') ? "http://[%s]:%u/" : "http://%s:%u/", host, b->port);
    return b;
}

void mc_report_browser_stop(struct mc_report_browser *b)
{
    if (!b)
        return;
    mc_browser_guard_free(b->guard);
    if (b->http)
        evhttp_free(b->http); /* the listener and the connections too */
    if (b->dir_fd >= 0)
        close(b->dir_fd);
    mc_browser_cache_free(b->cache);
    free(b->dir);
    free(b);
}
