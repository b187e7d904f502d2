/*
 * report_read — loading a saved report and reading its members leniently (report_read.h).
 */
#include "render/report_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/escape.h"

/* How much of an unknown outcome the message quotes: enough to recognise, not a flood. */
#define OUTCOME_SHOWN_MAX 40

static json_t *refuse(json_t *doc, struct mc_buf *err, const char *path, const char *what)
{
    json_decref(doc);
    mc_buf_printf(err, "%s: %s", path, what);
    return NULL;
}

static json_t *parse_fd(int fd, const char *name, struct mc_buf *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        mc_buf_printf(err, "%s: %s", name, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        mc_buf_printf(err, "%s: a folder, not a report", name);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && (long long)st.st_size > MC_REPORT_FILE_MAX) {
        mc_buf_printf(err, "%s: %lld bytes, more than a report may have (%lld)", name,
                      (long long)st.st_size, MC_REPORT_FILE_MAX);
        return NULL;
    }
    /* Through a buffered stream on a copy of the descriptor (the caller keeps fd open):
       jansson's json_loadfd reads one byte per read(2), 2 s for a 4 MiB report. */
    int copy = dup(fd);
    FILE *f = copy >= 0 ? fdopen(copy, "r") : NULL;
    if (!f) {
        if (copy >= 0)
            close(copy);
        mc_buf_printf(err, "%s: %s", name, strerror(errno));
        return NULL;
    }
    json_error_t je;
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!doc)
        mc_buf_printf(err, "%s:%d:%d: not a JSON report: %s", name, je.line, je.column, je.text);
    return doc;
}

static json_t *check(json_t *doc, const char *path, struct mc_buf *err);

json_t *mc_report_read_fd(int fd, const char *name, struct mc_buf *err)
{
    json_t *doc = parse_fd(fd, name, err);
    return doc ? check(doc, name, err) : NULL;
}

json_t *mc_report_read(const char *path, struct mc_buf *err)
{
    if (strcmp(path, "-") == 0)
        return mc_report_read_fd(STDIN_FILENO, "standard input", err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mc_buf_printf(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    json_t *doc = mc_report_read_fd(fd, path, err);
    close(fd);
    return doc;
}

/* The outcomes of format version 1 (docs/report-format.md, Outcomes; the schema's enum). The set
   is closed: a renderer or the diff that met another would have to guess, and every guess of
   JUnit (no child element), the diff (an "other change") or the browser reads as green. */
static bool outcome_known(const char *outcome)
{
    static const char *const known[] = {"pass", "fail", "skip", "error", "deviation", "not_run"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(outcome, known[i]) == 0)
            return true;
    return false;
}

/* What every renderer relies on; frees doc and says what is wrong otherwise. */
static json_t *check(json_t *doc, const char *path, struct mc_buf *err)
{
    if (!json_is_object(doc))
        return refuse(doc, err, path, "not a mailconform report (the top level is not an object)");
    const char *format = mc_rj_str(doc, "format", NULL);
    if (!format || strcmp(format, MC_REPORT_FORMAT) != 0)
        return refuse(doc, err, path,
                      "not a mailconform report (\"format\" is not \"" MC_REPORT_FORMAT "\")");
    long long version = mc_rj_int(doc, "format_version", -1);
    if (version < 1 || version > MC_REPORT_VERSION_MAX) {
        json_decref(doc);
        mc_buf_printf(err,
                      "%s: report format_version %lld is not one this mailconform reads "
                      "(1 to %d): use the mailconform that wrote it, or a newer one",
                      path, version, MC_REPORT_VERSION_MAX);
        return NULL;
    }
    json_t *scenarios = mc_rj_arr(doc, "scenarios");
    if (!scenarios)
        return refuse(doc, err, path, "\"scenarios\" is missing or not an array");
    size_t i;
    json_t *sc;
    json_array_foreach(scenarios, i, sc)
    {
        if (!json_is_object(sc) || !mc_rj_str(sc, "id", NULL) || !mc_rj_str(sc, "outcome", NULL)) {
            json_decref(doc);
            mc_buf_printf(err,
                          "%s: scenarios[%zu] is not a scenario (an object with \"id\" and "
                          "\"outcome\")",
                          path, i);
            return NULL;
        }
        const char *outcome = mc_rj_str(sc, "outcome", "");
        if (!outcome_known(outcome)) {
            struct mc_buf shown = {0};
            mc_escape_append(&shown, outcome, strnlen(outcome, OUTCOME_SHOWN_MAX),
                             MC_ESCAPE_KEEP_UTF8);
            mc_buf_printf(err,
                          "%s: scenarios[%zu] has the outcome '%s', not one of format version 1 "
                          "(pass, fail, skip, error, deviation, not_run)",
                          path, i, shown.data ? shown.data : "");
            mc_buf_free(&shown);
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

const char *mc_rj_str(const json_t *obj, const char *key, const char *fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : fallback;
}

long long mc_rj_int(const json_t *obj, const char *key, long long fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : fallback;
}

double mc_rj_num(const json_t *obj, const char *key, double fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

bool mc_rj_bool(const json_t *obj, const char *key, bool fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

json_t *mc_rj_arr(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

json_t *mc_rj_obj(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

int mc_rj_entry_bytes(const json_t *entry, struct mc_buf *out)
{
    const json_t *text = json_object_get(entry, "text");
    if (json_is_string(text)) {
        mc_buf_append(out, json_string_value(text), json_string_length(text));
        return 0;
    }
    const char *b64 = mc_rj_str(entry, "base64", NULL);
    if (!b64)
        return -1;
    return mc_base64_decode(b64, strlen(b64), out) < 0 ? -1 : 0;
}

void mc_rj_rfc_text(const json_t *refs, struct mc_buf *out)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        long long rfc = mc_rj_int(ref, "rfc", 0);
        const char *section = mc_rj_str(ref, "section", NULL);
        mc_buf_printf(out, "%sRFC %lld", i ? ", " : "", rfc);
        if (section)
            mc_buf_printf(out, " section %s", section);
    }
}
