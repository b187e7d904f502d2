/*
 * browser_pages — the report browser's pages (browser_pages.h).
 *
 * The list reads each report once to summarise it (target, start, verdict, counts) and keeps
 * the summary while the file's identity, size and modification time stay the same, so a folder
 * of large reports is not parsed again on every visit. At most MC_BROWSER_FILES_MAX reports
 * are listed, the newest by modification time; the page says how many were left out. A report
 * over MC_BROWSER_RENDER_MAX is listed without being read, as too large to render here.
 */
#include "cli/browser_pages.h"

#include <dirent.h>
#include <event2/http.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/diff.h"
#include "render/render.h"
#include "render/render_common.h"
#include "render/report_read.h"

#define PAGE_STYLE                                                                                 \
    "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"                          \
    "table{border-collapse:collapse}th,td{padding:.25em .6em;border-bottom:1px solid #ddd;"        \
    "text-align:left}td.n{text-align:right}.fail{color:#b00}.pass{color:#070}"                     \
    ".untested,.interrupted{color:#a60}form{margin:1em 0}</style>"

static const char *const count_keys[] = {"total", "pass",      "fail",   "skip",
                                         "error", "deviation", "not_run"};
#define COUNT_KEYS (sizeof count_keys / sizeof count_keys[0])

struct summary {
    char *name;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    char *target, *started, *verdict, *problem; /* problem: why it is not a report */
    bool too_large;                             /* over MC_BROWSER_RENDER_MAX: not read */
    long long counts[COUNT_KEYS];
    bool seen; /* still in the folder at the last listing */
};

struct mc_browser_cache {
    struct summary *items;
    size_t count;
};

/* Text for element content and quoted attribute values (render_common.c's XML escaping,
   which is HTML's too). */
static void html_text(struct mc_buf *out, const char *s)
{
    if (s)
        mc_render_xml_escape_str(out, s, true);
}

/* A report name as a URL path segment or query value, escaped for an attribute. */
static void html_url_part(struct mc_buf *out, const char *name)
{
    char *enc = evhttp_encode_uri(name);
    html_text(out, enc);
    free(enc);
}

static void page_head(struct mc_buf *out, const char *title)
{
    mc_buf_append_str(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                           "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    html_text(out, title);
    mc_buf_append_str(out, "</title>" PAGE_STYLE "</head><body>\n");
}

struct mc_browser_cache *mc_browser_cache_new(void)
{
    return mc_xcalloc(1, sizeof(struct mc_browser_cache));
}

static void summary_clear(struct summary *s)
{
    free(s->name);
    free(s->target);
    free(s->started);
    free(s->verdict);
    free(s->problem);
    *s = (struct summary){0};
}

void mc_browser_cache_free(struct mc_browser_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        summary_clear(&c->items[i]);
    free(c->items);
    free(c);
}

static void summarise(struct summary *s, int fd)
{
    struct mc_buf err = {0};
    json_t *doc = mc_report_read_fd(fd, s->name, &err);
    if (!doc) {
        s->problem = mc_buf_steal(&err);
        return;
    }
    const json_t *target = mc_rj_obj(doc, "target");
    const char *name = mc_rj_str(target, "name", NULL);
    s->target = mc_xstrdup(name ? name : mc_rj_str(target, "source", "(embedded)"));
    s->started = mc_xstrdup(mc_rj_str(doc, "started", ""));
    s->verdict = mc_xstrdup(mc_rj_str(mc_rj_obj(doc, "run"), "verdict", "?"));
    struct mc_render_counts n; /* of the scenarios, as the text and TAP renderings count */
    mc_render_count_outcomes(doc, &n);
    const long long counts[COUNT_KEYS] = {n.total, n.pass,      n.fail,   n.skip,
                                          n.error, n.deviation, n.not_run};
    memcpy(s->counts, counts, sizeof counts);
    json_decref(doc);
}

static struct summary *cache_find(struct mc_browser_cache *c, const char *name)
{
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->items[i].name, name) == 0)
            return &c->items[i];
    return NULL;
}

/* The summary of `name` as the file is now: the remembered one, or a fresh one. */
static void cache_visit(struct mc_browser_cache *c, int dir_fd, const char *name,
                        const struct stat *st)
{
    struct summary *s = cache_find(c, name);
    if (s && s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
        s->mtime.tv_sec == st->st_mtim.tv_sec && s->mtime.tv_nsec == st->st_mtim.tv_nsec) {
        s->seen = true;
        return;
    }
    if (s)
        summary_clear(s);
    else {
        c->items = mc_xrealloc(c->items, (c->count + 1) * sizeof *c->items);
        s = &c->items[c->count++];
        *s = (struct summary){0};
    }
    *s = (struct summary){.name = mc_xstrdup(name),
                          .dev = st->st_dev,
                          .ino = st->st_ino,
                          .size = st->st_size,
                          .mtime = st->st_mtim,
                          .seen = true};
    if (st->st_size > MC_BROWSER_RENDER_MAX) {
        s->too_large = true;
        return;
    }
    int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        s->problem = mc_xstrdup("cannot be opened");
        return;
    }
    summarise(s, fd);
    close(fd);
}

struct candidate {
    char *name;
    struct stat st;
};

static int newest_first(const void *a, const void *b)
{
    const struct stat *x = &((const struct candidate *)a)->st;
    const struct stat *y = &((const struct candidate *)b)->st;
    if (x->st_mtim.tv_sec != y->st_mtim.tv_sec)
        return x->st_mtim.tv_sec < y->st_mtim.tv_sec ? 1 : -1;
    if (x->st_mtim.tv_nsec != y->st_mtim.tv_nsec)
        return x->st_mtim.tv_nsec < y->st_mtim.tv_nsec ? 1 : -1;
    return strcmp(((const struct candidate *)a)->name, ((const struct candidate *)b)->name);
}

/* The plain *.json files of the folder, newest first; how many there were in all. */
static size_t scan(int dir_fd, struct candidate **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    int fd = dup(dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    rewinddir(d);
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (!mc_browser_name_ok(de->d_name) ||
            fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (*count == cap) {
            cap = cap ? 2 * cap : 64;
            *out = mc_xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*count)++] = (struct candidate){mc_xstrdup(de->d_name), st};
    }
    closedir(d);
    qsort(*out, *count, sizeof **out, newest_first);
    return *count;
}

static void cache_forget_unseen(struct mc_browser_cache *c)
{
    size_t kept = 0;
    for (size_t i = 0; i < c->count; i++) {
        if (c->items[i].seen)
            c->items[kept++] = c->items[i];
        else
            summary_clear(&c->items[i]);
    }
    c->count = kept;
    for (size_t i = 0; i < c->count; i++)
        c->items[i].seen = false;
}

static void list_row(struct mc_buf *out, const struct summary *s)
{
    mc_buf_append_str(out, "<tr><td><a href=\"/report/");
    html_url_part(out, s->name);
    mc_buf_append_str(out, "\">");
    html_text(out, s->name);
    mc_buf_append_str(out, "</a> <small>(<a href=\"/raw/");
    html_url_part(out, s->name);
    mc_buf_append_str(out, "\">json</a>)</small></td>");
    if (s->too_large) {
        mc_buf_printf(out,
                      "<td colspan=\"10\" class=\"untested\" data-too-large=\"%lld\">%lld MiB, "
                      "%s</td></tr>\n",
                      (long long)s->size, (long long)(s->size >> 20), MC_BROWSER_TOO_LARGE);
        return;
    }
    if (s->problem) {
        mc_buf_append_str(out, "<td colspan=\"10\" class=\"fail\">not a report: ");
        html_text(out, s->problem);
        mc_buf_append_str(out, "</td></tr>\n");
        return;
    }
    mc_buf_append_str(out, "<td>");
    html_text(out, s->target);
    mc_buf_append_str(out, "</td><td>");
    html_text(out, s->started);
    mc_buf_append_str(out, "</td><td class=\"");
    html_text(out, s->verdict);
    mc_buf_append_str(out, "\">");
    html_text(out, s->verdict);
    mc_buf_append_str(out, "</td>");
    for (size_t k = 0; k < COUNT_KEYS; k++)
        mc_buf_printf(out, "<td class=\"n\" data-count=\"%s\">%lld</td>", count_keys[k],
                      s->counts[k]);
    mc_buf_append_str(out, "</tr>\n");
}

static void diff_form(struct mc_buf *out, const struct candidate *files, size_t n)
{
    mc_buf_append_str(out, "<form method=\"get\" action=\"/diff\"><strong>Compare</strong> ");
    for (int which = 0; which < 2; which++) {
        mc_buf_append_str(out,
                          which ? " with new <select name=\"new\">" : "old <select name=\"old\">");
        for (size_t i = 0; i < n; i++) {
            mc_buf_append_str(out, "<option");
            if (i == (which ? 0u : (n > 1 ? 1u : 0u)))
                mc_buf_append_str(out, " selected");
            mc_buf_append_str(out, ">");
            html_text(out, files[i].name);
            mc_buf_append_str(out, "</option>");
        }
        mc_buf_append_str(out, "</select>");
    }
    mc_buf_append_str(out, " <button type=\"submit\">diff</button></form>\n");
}

void mc_browser_page_list(struct mc_buf *out, struct mc_browser_cache *c, int dir_fd,
                          const char *dir)
{
    struct candidate *files;
    size_t found;
    scan(dir_fd, &files, &found);
    size_t shown = found < MC_BROWSER_FILES_MAX ? found : MC_BROWSER_FILES_MAX;
    page_head(out, "mailconform reports");
    mc_buf_append_str(out, "<h1>mailconform reports</h1>\n<p>in <code>");
    html_text(out, dir);
    mc_buf_printf(out, "</code>: <span id=\"report-count\">%zu</span> report file(s)", shown);
    if (found > shown)
        mc_buf_printf(out, " (the newest %zu; %zu older ones are not listed)", shown,
                      found - shown);
    mc_buf_append_str(out, ", newest first</p>\n");
    if (shown > 0)
        diff_form(out, files, shown);
    mc_buf_append_str(out, "<table id=\"reports\"><thead><tr><th>report</th><th>target</th>"
                           "<th>started</th><th>verdict</th>");
    for (size_t k = 0; k < COUNT_KEYS; k++)
        mc_buf_printf(out, "<th>%s</th>", count_keys[k]);
    mc_buf_append_str(out, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < shown; i++) {
        cache_visit(c, dir_fd, files[i].name, &files[i].st);
        list_row(out, cache_find(c, files[i].name));
    }
    mc_buf_append_str(out, "</tbody></table>\n</body></html>\n");
    cache_forget_unseen(c);
    for (size_t i = 0; i < found; i++)
        free(files[i].name);
    free(files);
}

bool mc_browser_too_large(int fd, const char *name, struct mc_buf *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= MC_BROWSER_RENDER_MAX)
        return false;
    mc_buf_printf(err, "%s: %lld MiB, %s (this browser renders reports up to %lld MiB)", name,
                  (long long)(st.st_size >> 20), MC_BROWSER_TOO_LARGE, MC_BROWSER_RENDER_MAX >> 20);
    return true;
}

/* Renders with `fn` into out through a memory stream. */
static int render_to_buf(struct mc_buf *out, struct mc_buf *err,
                         int (*fn)(FILE *, void *, struct mc_buf *), void *arg)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    if (!f) {
        mc_buf_printf(err, "out of memory");
        return -1;
    }
    int rc = fn(f, arg, err);
    if (fclose(f) != 0 && rc == 0) {
        mc_buf_printf(err, "out of memory");
        rc = -1;
    }
    if (rc == 0)
        mc_buf_append(out, data, len);
    free(data);
    return rc;
}

static int render_report_html(FILE *f, void *report, struct mc_buf *err)
{
    struct mc_render_options opts = {.transcripts = MC_TRANSCRIPTS_FAILED};
    return mc_render(f, report, MC_RENDER_HTML, &opts, err);
}

int mc_browser_page_report(struct mc_buf *out, int fd, const char *name, struct mc_buf *err)
{
    json_t *report = mc_report_read_fd(fd, name, err);
    if (!report)
        return -1;
    int rc = render_to_buf(out, err, render_report_html, report);
    json_decref(report);
    return rc;
}

struct diff_page {
    const json_t *model;
    struct mc_diff_html_links links;
};

static int render_diff_html(FILE *f, void *arg, struct mc_buf *err)
{
    const struct diff_page *d = arg;
    return mc_diff_print_html(f, d->model, &d->links, err);
}

/* "/report/NAME" with NAME percent-encoded, as an href. */
static char *report_page(const char *name)
{
    char *enc = evhttp_encode_uri(name);
    struct mc_buf b = {0};
    mc_buf_printf(&b, "/report/%s", enc);
    free(enc);
    return mc_buf_steal(&b);
}

int mc_browser_page_diff(struct mc_buf *out, int old_fd, const char *old_name, int new_fd,
                         const char *new_name, struct mc_buf *err)
{
    json_t *old_r = mc_report_read_fd(old_fd, old_name, err);
    json_t *new_r = old_r ? mc_report_read_fd(new_fd, new_name, err) : NULL;
    json_t *model = NULL;
    if (new_r) {
        struct mc_diff_options opts = {.old_file = old_name, .new_file = new_name};
        model = mc_diff_build(old_r, new_r, &opts, err);
    }
    json_decref(old_r);
    json_decref(new_r);
    if (!model)
        return -1;
    struct diff_page d = {model, {report_page(old_name), report_page(new_name)}};
    int rc = render_to_buf(out, err, render_diff_html, &d);
    free((char *)d.links.old_page);
    free((char *)d.links.new_page);
    json_decref(model);
    return rc;
}

void mc_browser_page_problem(struct mc_buf *out, int code, const char *reason, const char *message)
{
    char title[64];
    snprintf(title, sizeof title, "%d %s", code, reason);
    page_head(out, title);
    mc_buf_append_str(out, "<h1>");
    html_text(out, title);
    mc_buf_append_str(out, "</h1>\n<p id=\"problem\">");
    html_text(out, message ? message : "");
    mc_buf_append_str(out, "</p>\n<p><a href=\"/\">all reports</a></p>\n</body></html>\n");
}
