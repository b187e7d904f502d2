/*
 * report_stream — the JSON report written scenario by scenario (see report.h).
 *
 * jansson can only print a whole value, and a whole report may hold gigabytes of transcripts.
 * So each container whose items are too many to hold at once (the report's scenarios, a
 * scenario's transcript) is printed by jansson with that member empty and last ("[]" just
 * before the closing brace), and its items are printed one by one in its place, each at the
 * depth it has in the document: the result is byte for byte what jansson prints for the whole
 * (JSON_INDENT(2): a newline and two spaces a level, "[]" for an empty array). Newlines appear
 * only between tokens in jansson's output (inside strings they are escaped), which is what
 * lets a value printed on its own be indented after the fact.
 */
#include "engine/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine/report_internal.h"
#include "lib/outfile.h"

#define REPORT_INDENT 2                 /* spaces per level, as JSON_INDENT(2) */
#define REPORT_COPY_CHUNK (64u * 1024u) /* spool octets copied into the report at a time */

/* ---- printing values nested in a document ---- */

struct jout {
    FILE *f;
    int err;             /* errno of the first failure, 0 while all is well */
    struct mc_buf print; /* one value's text, reused from value to value */
};

static void jout_write(struct jout *o, const char *s, size_t n)
{
    if (o->err || n == 0)
        return;
    errno = 0;
    if (fwrite(s, 1, n, o->f) != n)
        o->err = errno ? errno : EIO;
}

/* A line break and the indentation of `depth`. */
static void jout_newline(struct jout *o, int depth)
{
    static const char spaces[] = "\n                                ";
    size_t n = (size_t)depth * REPORT_INDENT;
    jout_write(o, spaces, 1);
    for (; n > 0; n -= n < sizeof spaces - 1 ? n : sizeof spaces - 1)
        jout_write(o, spaces + 1, n < sizeof spaces - 1 ? n : sizeof spaces - 1);
}

/* jansson's text of a value printed alone, indented as if it sat `depth` levels deep. */
static void jout_text(struct jout *o, const char *s, size_t n, int depth)
{
    for (const char *end = s + n; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        jout_write(o, s, len);
        if (!nl)
            return;
        jout_newline(o, depth);
        s = nl + 1;
    }
}

/* A value printed alone, then indented into place (one pass; jansson's callback printer would
   hand over every token on its own). */
static void jout_value(struct jout *o, const json_t *v, int depth)
{
    size_t n = json_dumpb(v, o->print.data, o->print.cap, MC_REPORT_DUMP_FLAGS);
    if (n > o->print.cap || !o->print.data) {
        mc_buf_reset(&o->print);
        mc_buf_extend(&o->print, n);
        n = json_dumpb(v, o->print.data, o->print.cap, MC_REPORT_DUMP_FLAGS);
    }
    if (n == 0 && !o->err)
        o->err = ENOMEM;
    jout_text(o, o->print.data, n, depth);
}

/* Writes one item at `depth`. */
typedef void (*jout_item_fn)(void *ctx, size_t i, struct jout *o, int depth);

/* `obj` at `depth`, its last member (an empty array) filled with `count` items by `item`.
   -1 when obj does not end in an empty array (a programming error). */
static int jout_object_items(struct jout *o, const json_t *obj, int depth, size_t count,
                             jout_item_fn item, void *ctx)
{
    static const char tail[] = "[]\n}";
    char *s = json_dumps(obj, MC_REPORT_DUMP_FLAGS);
    size_t n = s ? strlen(s) : 0;
    if (n < sizeof tail - 1 || memcmp(s + n - (sizeof tail - 1), tail, sizeof tail - 1) != 0) {
        free(s);
        return -1;
    }
    jout_text(o, s, n - (sizeof tail - 1), depth);
    jout_write(o, "[", 1);
    for (size_t i = 0; i < count && !o->err; i++) {
        if (i)
            jout_write(o, ",", 1);
        jout_newline(o, depth + 2);
        item(ctx, i, o, depth + 2);
    }
    if (count)
        jout_newline(o, depth + 1);
    jout_write(o, "]", 1);
    jout_newline(o, depth);
    jout_write(o, "}", 1);
    free(s);
    return 0;
}

/* ---- the sink ---- */

struct spooled {
    off_t off;  /* where the scenario's JSON starts in the spool */
    size_t len; /* 0: not written yet */
};

struct mc_report_sink {
    char *path;
    FILE *spool; /* unlinked: gone with the process, whatever happens */
    struct spooled *at;
    size_t at_count;
    struct mc_buf err; /* the first failure; nothing is written after it */
};

static bool sink_failed(const struct mc_report_sink *s)
{
    return s->err.len > 0;
}

struct mc_report_sink *mc_report_sink_open(const char *path, struct mc_buf *err)
{
    if (!path || !*path) {
        mc_report_error(err, "report: no output path");
        return NULL;
    }
    FILE *spool = NULL;
    if (strcmp(path, "-") == 0) {
        spool = tmpfile();
    } else {
        struct mc_buf name = {0};
        mc_buf_printf(&name, "%s.spool-XXXXXX", path);
        int fd = mkstemp(name.data);
        if (fd >= 0) {
            fcntl(fd, F_SETFD, FD_CLOEXEC); /* never inherited by a reset command */
            unlink(name.data);
            if (!(spool = fdopen(fd, "w+")))
                close(fd);
        }
        mc_buf_free(&name);
    }
    if (!spool) {
        mc_report_error(err, "report: cannot create a spool file beside %s: %s",
                        strcmp(path, "-") ? path : "standard output", strerror(errno));
        return NULL;
    }
    struct mc_report_sink *s = mc_xcalloc(1, sizeof *s);
    s->path = mc_xstrdup(path);
    s->spool = spool;
    return s;
}

void mc_report_sink_free(struct mc_report_sink *s)
{
    if (!s)
        return;
    if (s->spool)
        fclose(s->spool);
    free(s->at);
    free(s->path);
    mc_buf_free(&s->err);
    free(s);
}

static void write_entry(void *ctx, size_t i, struct jout *o, int depth)
{
    json_t *e = mc_report_transcript_entry(ctx, i);
    jout_value(o, e, depth);
    json_decref(e);
}

static void sink_slot(struct mc_report_sink *s, size_t pos)
{
    if (pos < s->at_count)
        return;
    size_t n = s->at_count ? s->at_count : 16;
    while (n <= pos)
        n *= 2;
    s->at = mc_xrealloc(s->at, n * sizeof *s->at);
    memset(s->at + s->at_count, 0, (n - s->at_count) * sizeof *s->at);
    s->at_count = n;
}

/* Scenarios sit two levels deep: the document, then its "scenarios" array. */
#define REPORT_SCENARIO_DEPTH 2

void mc_report_sink_scenario(struct mc_report_sink *s, const struct mc_scenario_result *sr,
                             size_t pos)
{
    if (sink_failed(s))
        return;
    json_t *obj = mc_report_scenario(sr, pos, &s->err);
    if (!obj)
        return;
    struct jout o = {.f = s->spool};
    off_t off = fseeko(s->spool, 0, SEEK_END) == 0 ? ftello(s->spool) : -1;
    if (off < 0 || jout_object_items(&o, obj, REPORT_SCENARIO_DEPTH, sr->transcript_count,
                                     write_entry, (void *)sr) != 0)
        o.err = o.err ? o.err : EINVAL;
    off_t end = ftello(s->spool);
    mc_buf_free(&o.print);
    json_decref(obj);
    if (o.err || end <= off) {
        mc_report_error(&s->err, "report: cannot write the spool file beside %s: %s", s->path,
                        strerror(o.err ? o.err : EIO));
        return;
    }
    sink_slot(s, pos);
    s->at[pos] = (struct spooled){off, (size_t)(end - off)};
}

struct copy_ctx {
    struct mc_report_sink *s;
    char *chunk;
};

/* Scenario i, copied out of the spool (it was written at this very depth). */
static void copy_scenario(void *ctx, size_t i, struct jout *o, int depth)
{
    (void)depth;
    struct copy_ctx *c = ctx;
    const struct spooled *sp = &c->s->at[i];
    if (fseeko(c->s->spool, sp->off, SEEK_SET) != 0) {
        o->err = errno ? errno : EIO;
        return;
    }
    for (size_t left = sp->len; left > 0 && !o->err;) {
        size_t n = left < REPORT_COPY_CHUNK ? left : REPORT_COPY_CHUNK;
        if (fread(c->chunk, 1, n, c->s->spool) != n) {
            o->err = ferror(c->s->spool) ? EIO : ENODATA;
            return;
        }
        jout_write(o, c->chunk, n);
        left -= n;
    }
}

/* The whole document to f: the header, then the spooled scenarios in plan order. */
static int write_document(struct mc_report_sink *s, const struct mc_run_result *run, FILE *f)
{
    json_t *header = mc_report_header(run);
    struct jout o = {.f = f};
    struct copy_ctx c = {s, mc_xmalloc(REPORT_COPY_CHUNK)};
    if (fflush(s->spool) != 0 ||
        jout_object_items(&o, header, 0, run->scenario_count, copy_scenario, &c) != 0)
        o.err = o.err ? o.err : EIO;
    jout_write(&o, "\n", 1);
    if (!o.err && fflush(f) != 0)
        o.err = errno ? errno : EIO;
    free(c.chunk);
    json_decref(header);
    return o.err;
}

/* Whole or not at all (lib/outfile.h): readers see the old report or the whole new one. */
static int write_file(struct mc_report_sink *s, const struct mc_run_result *run, struct mc_buf *err)
{
    struct mc_outfile of;
    struct mc_buf why = {0};
    if (mc_outfile_open(&of, s->path, &why) != 0) {
        mc_report_error(err, "report: cannot create %s", why.data);
        mc_buf_free(&why);
        return -1;
    }
    int failed = write_document(s, run, of.f);
    if (failed) {
        mc_report_error(err, "report: cannot write %s: %s", s->path, strerror(failed));
        mc_outfile_abort(&of);
    } else if (mc_outfile_commit(&of, &why) != 0) {
        mc_report_error(err, "report: cannot write %s", why.data);
        failed = -1;
    }
    mc_buf_free(&why);
    return failed ? -1 : 0;
}

int mc_report_sink_finish(struct mc_report_sink *s, const struct mc_run_result *run,
                          struct mc_buf *err)
{
    int rc = -1;
    if (!run) {
        mc_report_error(err, "report: no run");
        goto done;
    }
    for (size_t i = 0; i < run->scenario_count && !sink_failed(s); i++)
        if (i >= s->at_count || s->at[i].len == 0)
            mc_report_sink_scenario(s, &run->scenarios[i], i);
    if (sink_failed(s)) {
        mc_report_error(err, "%s", s->err.data);
        goto done;
    }
    if (strcmp(s->path, "-") != 0) {
        rc = write_file(s, run, err);
    } else if ((rc = write_document(s, run, stdout)) != 0) {
        mc_report_error(err, "report: cannot write to standard output: %s", strerror(rc));
        rc = -1;
    }
done:
    mc_report_sink_free(s);
    return rc;
}

int mc_report_write_json(const struct mc_run_result *run, const char *path, struct mc_buf *err)
{
    if (!run || !path || !*path)
        return mc_report_error(err, "report: no run or no output path");
    struct mc_report_sink *s = mc_report_sink_open(path, err);
    return s ? mc_report_sink_finish(s, run, err) : -1;
}
