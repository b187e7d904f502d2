/*
 * run_render — renderings of a run's saved report (run_render.h).
 */
#include "cli/run_render.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report_cmd.h"
#include "lib/buf.h"

static const struct {
    const char *option;
    enum mc_render_format format;
} kinds[MC_RUN_RENDER_COUNT] = {
    [MC_RUN_RENDER_JUNIT] = {"--junit", MC_RENDER_JUNIT},
    [MC_RUN_RENDER_TAP] = {"--tap", MC_RENDER_TAP},
    [MC_RUN_RENDER_HTML] = {"--html", MC_RENDER_HTML},
};

#define REPORT_TMP_NAME "report.json"

bool mc_run_render_wanted(const struct mc_run_render *r)
{
    for (int k = 0; k < MC_RUN_RENDER_COUNT; k++)
        if (r->out[k])
            return true;
    return false;
}

/* Does the folder that would hold `path` exist? ("-" always does.) */
static bool folder_exists(const char *path, const char *option)
{
    if (strcmp(path, "-") == 0)
        return true;
    char *copy = mc_xstrdup(path);
    const char *dir = dirname(copy);
    struct stat st;
    bool ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    if (!ok)
        fprintf(stderr, "mailconform run: %s %s: the folder %s does not exist (nothing was run)\n",
                option, path, dir);
    free(copy);
    return ok;
}

/* PATH with its folder resolved (symbolic links, "..", "."), so that two spellings of one file
   compare equal; NULL when the folder does not resolve. The caller frees it. */
static char *canonical_path(const char *path)
{
    char *copy = mc_xstrdup(path), *copy2 = mc_xstrdup(path);
    char *dir = realpath(dirname(copy), NULL);
    struct mc_buf out = {0};
    if (dir)
        mc_buf_printf(&out, "%s/%s", dir, basename(copy2));
    free(dir);
    free(copy);
    free(copy2);
    return out.data;
}

/* Two outputs (or an output and the report) naming one file would overwrite each other: the
   JUnit file would replace the JSON report the other renderings are made from. */
static bool outputs_distinct(const struct mc_run_render *r)
{
    const char *paths[MC_RUN_RENDER_COUNT + 1];
    const char *names[MC_RUN_RENDER_COUNT + 1];
    size_t n = 0;
    if (r->user_report && strcmp(r->user_report, "-") != 0) {
        paths[n] = r->user_report;
        names[n++] = "--report";
    }
    for (int k = 0; k < MC_RUN_RENDER_COUNT; k++)
        if (r->out[k] && strcmp(r->out[k], "-") != 0) {
            paths[n] = r->out[k];
            names[n++] = kinds[k].option;
        }
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        for (size_t j = i + 1; j < n && ok; j++) {
            char *a = canonical_path(paths[i]), *b = canonical_path(paths[j]);
            if (a && b && strcmp(a, b) == 0) {
                fprintf(stderr,
                        "mailconform run: %s and %s name the same file, %s: give each its own "
                        "(nothing was run)\n",
                        names[i], names[j], paths[j]);
                ok = false;
            }
            free(a);
            free(b);
        }
    return ok;
}

int mc_run_render_prepare(struct mc_run_render *r)
{
    bool user_file = r->user_report && strcmp(r->user_report, "-") != 0;
    if (!mc_run_render_wanted(r)) {
        r->report_path = r->user_report ? mc_xstrdup(r->user_report) : NULL;
        return 0;
    }
    int stdout_users = 0;
    for (int k = 0; k < MC_RUN_RENDER_COUNT; k++) {
        if (!r->out[k])
            continue;
        if (!folder_exists(r->out[k], kinds[k].option))
            return -1;
        stdout_users += strcmp(r->out[k], "-") == 0;
    }
    if (!outputs_distinct(r))
        return -1;
    if (stdout_users + (r->user_report && !user_file) > 1) {
        fputs("mailconform run: only one of --report, --junit, --tap and --html may write to "
              "standard output ('-')\n",
              stderr);
        return -1;
    }
    if (user_file) {
        r->report_path = mc_xstrdup(r->user_report);
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    struct mc_buf dir = {0};
    mc_buf_printf(&dir, "%s/mailconform-report.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir.data)) {
        fprintf(stderr, "mailconform run: cannot make a temporary folder for the report (%s): %s\n",
                dir.data, strerror(errno));
        mc_buf_free(&dir);
        return -1;
    }
    r->tmpdir = mc_buf_steal(&dir);
    struct mc_buf path = {0};
    mc_buf_printf(&path, "%s/" REPORT_TMP_NAME, r->tmpdir);
    r->report_path = mc_buf_steal(&path);
    return 0;
}

/* `--report -` with renderings: the report was written to a temporary file; now to stdout. */
static int copy_to_stdout(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "mailconform run: cannot read back the report %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fwrite(chunk, 1, n, stdout) != n)
            rc = -1;
    if (ferror(f) || fflush(stdout) != 0)
        rc = -1;
    fclose(f);
    if (rc)
        fputs("mailconform run: cannot write the report to standard output\n", stderr);
    return rc;
}

int mc_run_render_finish(const struct mc_run_render *r, int verdict_status)
{
    if (!mc_run_render_wanted(r))
        return verdict_status;
    bool failed = r->tmpdir && r->user_report && copy_to_stdout(r->report_path) != 0;
    struct mc_render_options opts = {.transcripts = r->transcripts, .tap_version = r->tap_version};
    for (int k = 0; k < MC_RUN_RENDER_COUNT; k++) {
        if (!r->out[k])
            continue;
        if (mc_cli_render_file(r->report_path, r->out[k], kinds[k].format, &opts) != MC_EXIT_OK) {
            fprintf(stderr, "mailconform run: %s %s was not written (the run's report is %s)\n",
                    kinds[k].option, r->out[k], r->tmpdir ? "not kept" : r->report_path);
            failed = true;
        }
    }
    return failed && verdict_status == MC_EXIT_OK ? MC_EXIT_USAGE : verdict_status;
}

void mc_run_render_cleanup(struct mc_run_render *r)
{
    if (r->tmpdir) {
        unlink(r->report_path);
        rmdir(r->tmpdir);
    }
    free(r->tmpdir);
    free(r->report_path);
    r->tmpdir = r->report_path = NULL;
}
